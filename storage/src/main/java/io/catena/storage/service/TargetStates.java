package io.catena.storage.service;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import java.util.Optional;

/**
 * Keeps this node's view of its targets' states in step with routing (ARCHITECTURE §4.4): a target routing takes
 * out of service stops counting as up to date, one mgmtd puts back into service counts as up to date again (on that
 * transition only), and a
 * serving target whose successor is syncing gets a resync started. Thread-safe: the states are the targets'
 * volatile flags, and routing events may arrive on any thread.
 */
final class TargetStates {
  private final TargetManager targets;
  private final SyncWorker sync;
  private volatile boolean closed;

  TargetStates(TargetManager targets, SyncWorker sync) {
    this.targets = targets;
    this.sync = sync;
  }

  /**
   * What this node reports for a target: UPTODATE when it holds every committed write, OFFLINE when fenced or
   * restarted and not yet seen out of service by mgmtd, otherwise ONLINE.
   */
  static LocalTargetState localState(Target t) {
    if (t.fenced() || (t.loadedAtStart() && !t.seenNotServing())) {
      return LocalTargetState.OFFLINE;
    }
    return t.upToDate() ? LocalTargetState.UPTODATE : LocalTargetState.ONLINE;
  }

  void onRouting(RoutingInfo r) {
    if (closed) {
      return;
    }
    for (Target t : targets.all()) {
      Optional<ChainInfo> c = r.chain(t.chainId());
      if (c.isEmpty()) {
        continue;
      }
      PublicTargetState s = c.get().stateOf(t.targetId()).orElse(PublicTargetState.OFFLINE);
      if (s == PublicTargetState.OFFLINE || s == PublicTargetState.WAITING || s == PublicTargetState.LASTSRV) {
        // Self-fencing: requests are refused by the state checks; what we held may be missing writes now.
        if (s != PublicTargetState.LASTSRV) {
          t.setUpToDate(false);
        }
      }
      boolean wasServing = t.noteServing(s == PublicTargetState.SERVING);
      if (s != PublicTargetState.SERVING) {
        t.markSeenNotServing();
      } else if (!wasServing && t.seenNotServing()) {
        // Put back into service after mgmtd saw us out of it: the chain state machine vouches for our data. Only on
        // the transition: routings that keep showing SERVING after a STOP_SERVING_TARGET must not revive the target.
        t.setUpToDate(true);
      }
      if (s == PublicTargetState.SERVING) {
        ChainReplicator.successor(c.get(), t.targetId()).filter(x -> x.state() == PublicTargetState.SYNCING)
            .ifPresent(x -> sync.ensureRunning(t, x.targetId()));
      }
    }
  }

  void close() {
    closed = true;
  }
}
