package io.catena.mgmtd.server;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.PublicTargetState;
import io.catena.mgmtd.chain.ChainStateMachine;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves every chain's state machine on from what the primary heard: failed nodes and fenced targets count as
 * offline, reported local states as reported. Also what an operator's offline-target decides with.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class ChainScanner {
  private static final Logger log = LoggerFactory.getLogger(ChainScanner.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final LiveState live;
  private final RoutingPublisher routing;
  private final long nodeId;

  ChainScanner(ClusterStore store, PrimaryLease lease, LiveState live, RoutingPublisher routing, long nodeId) {
    this.store = store;
    this.lease = lease;
    this.live = live;
    this.routing = routing;
    this.nodeId = nodeId;
  }

  /** One step of every chain whose state machine moves; a chain changed meanwhile keeps its stored state. */
  void scan() {
    RoutingSnapshot s = routing.snapshot();
    Map<Long, ChainInfo> changed = new HashMap<>();
    for (ChainInfo c : s.chains().values()) {
      ChainInfo next = ChainStateMachine.next(c, reportsFor(c, s, OptionalLong.empty()));
      if (next != c) {
        changed.put(c.chainId(), next);
      }
    }
    if (!changed.isEmpty()) {
      lease.write(txn -> {
        boolean any = false;
        for (ChainInfo next : changed.values()) {
          Optional<ChainInfo> cur = store.chain(txn, next.chainId());
          if (cur.isPresent() && cur.get().version() == next.version() - 1) {
            store.putChain(txn, next);
            any = true;
          }
        }
        if (any) {
          store.bumpRoutingVersion(txn);
        }
        return null;
      });
      changed.values().forEach(c -> log.info("mgmtd {}: {}", nodeId, c));
    }
    for (ChainInfo c : s.chains().values()) {
      unfenceIfSeenOffline(changed.getOrDefault(c.chainId(), c));
    }
  }

  /** A fenced target is released once its chain shows it offline: the restart has then been noticed. */
  void unfenceIfSeenOffline(ChainInfo c) {
    for (var t : c.targets()) {
      if (t.state() == PublicTargetState.OFFLINE || t.state() == PublicTargetState.LASTSRV) {
        live.unfence(t.targetId());
      }
    }
  }

  /** The local states the state machine sees: failed nodes and fenced targets are offline, unheard ones absent. */
  Map<Long, LocalTargetState> reportsFor(ChainInfo c, RoutingSnapshot s, OptionalLong forcedOffline) {
    Map<Long, LocalTargetState> r = new HashMap<>();
    for (long t : c.targetIds()) {
      StoredTarget st = s.targets().get(t);
      NodeInfo n = st == null ? null : s.nodes().get(st.nodeId());
      if (n == null || n.status() == NodeStatus.FAILED || live.isFenced(t)
          || (forcedOffline.isPresent() && forcedOffline.getAsLong() == t)) {
        r.put(t, LocalTargetState.OFFLINE);
      } else {
        live.target(t).ifPresent(tl ->
            r.put(t, ChainStateMachine.effectiveLocal(tl.state(), tl.chainVersion(), c.version())));
      }
    }
    return r;
  }
}
