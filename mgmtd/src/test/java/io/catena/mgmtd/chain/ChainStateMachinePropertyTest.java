package io.catena.mgmtd.chain;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.PublicTargetState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * Random crash / restart / write / sync-done / scan sequences against a model of which targets hold every
 * committed write. Storage behaves as designed: a write commits only when every serving and syncing member is up;
 * a restarted target reports offline until it sees itself offline (or lastsrv); sync completes only from a live
 * serving predecessor; a target that sees itself offline or waiting drops any UPTODATE claim (mgmtd tells it to).
 */
class ChainStateMachinePropertyTest {

  @Property(tries = 1000)
  void randomFailuresAndReturns_keepTheChainSafe(@ForAll @IntRange(min = 1, max = 4) int replicas,
      @ForAll @Size(max = 80) List<@IntRange(min = 0, max = 99) Integer> ops) {
    Model m = new Model(replicas);
    for (int op : ops) {
      int t = (op / 5) % replicas;
      switch (op % 5) {
        case 0 -> m.crash(t);
        case 1 -> m.restart(t);
        case 2 -> m.write();
        case 3 -> m.syncDone(t);
        default -> m.scan();
      }
    }
    m.scan();
    // Liveness sanity: with everyone up and enough scans, the chain heals completely.
    for (int t = 0; t < replicas; t++) {
      m.restart(t);
    }
    for (int round = 0; round < 4 * replicas + 4; round++) {
      m.scan();
      for (int t = 0; t < replicas; t++) {
        m.syncDone(t);
      }
    }
    for (ChainTarget ct : m.chain.targets()) {
      if (ct.state() != PublicTargetState.SERVING) {
        throw new AssertionError("chain did not heal: " + m.chain);
      }
    }
  }

  static final class Model {
    final int n;
    final boolean[] alive;
    final boolean[] complete;
    final boolean[] localUptodate;
    final boolean[] mustReportOffline;
    ChainInfo chain;

    Model(int n) {
      this.n = n;
      alive = new boolean[n];
      complete = new boolean[n];
      localUptodate = new boolean[n];
      mustReportOffline = new boolean[n];
      List<Long> ids = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        alive[i] = complete[i] = localUptodate[i] = true;
        ids.add(id(i));
      }
      chain = ChainInfo.allServing(1, ids);
    }

    static long id(int i) {
      return 100 + i;
    }

    PublicTargetState state(int i) {
      return chain.stateOf(id(i)).orElseThrow();
    }

    void crash(int i) {
      alive[i] = false;
      localUptodate[i] = false;
    }

    void restart(int i) {
      if (!alive[i]) {
        alive[i] = true;
        PublicTargetState s = state(i);
        mustReportOffline[i] = s != PublicTargetState.OFFLINE && s != PublicTargetState.LASTSRV;
      }
    }

    void write() {
      boolean anyServing = false;
      for (int i = 0; i < n; i++) {
        PublicTargetState s = state(i);
        anyServing |= s == PublicTargetState.SERVING;
        if (s.receivesWrites() && !alive[i]) {
          return; // the chain stalls until mgmtd moves the dead member out
        }
      }
      if (!anyServing) {
        return;
      }
      for (int i = 0; i < n; i++) {
        if (!state(i).receivesWrites()) {
          complete[i] = false;
        }
      }
    }

    void syncDone(int i) {
      if (state(i) != PublicTargetState.SYNCING || !alive[i] || mustReportOffline[i]) {
        return;
      }
      List<ChainTarget> ts = chain.targets();
      int pos = chain.targetIds().indexOf(id(i));
      if (pos == 0) {
        return;
      }
      ChainTarget pred = ts.get(pos - 1);
      int p = (int) (pred.targetId() - 100);
      if (pred.state() == PublicTargetState.SERVING && alive[p]) {
        complete[i] = true;
        localUptodate[i] = true;
      }
    }

    void scan() {
      Map<Long, LocalTargetState> r = new HashMap<>();
      for (int i = 0; i < n; i++) {
        LocalTargetState l = !alive[i] || mustReportOffline[i] ? LocalTargetState.OFFLINE
            : localUptodate[i] ? LocalTargetState.UPTODATE : LocalTargetState.ONLINE;
        r.put(id(i), l);
      }
      ChainInfo before = chain;
      chain = ChainStateMachine.next(before, r);
      check(before, chain);
      for (int i = 0; i < n; i++) {
        PublicTargetState s = state(i);
        if (s == PublicTargetState.OFFLINE || s == PublicTargetState.LASTSRV) {
          mustReportOffline[i] = false;
        }
        if (s == PublicTargetState.OFFLINE || s == PublicTargetState.WAITING) {
          localUptodate[i] = false; // obeys STOP_SERVING_TARGET: up to date again only through a sync
        }
      }
    }

    void check(ChainInfo before, ChainInfo after) {
      boolean changed = !before.targets().equals(after.targets());
      if (changed ? after.version() != before.version() + 1 : after.version() != before.version()) {
        throw new AssertionError("version must increase by one on every change and only then: " + before + " -> "
            + after);
      }
      int serving = 0;
      int syncing = 0;
      int lastsrv = 0;
      boolean seenNonServing = false;
      PublicTargetState prev = null;
      for (ChainTarget ct : after.targets()) {
        int i = (int) (ct.targetId() - 100);
        switch (ct.state()) {
          case SERVING -> {
            serving++;
            if (seenNonServing) {
              throw new AssertionError("serving members must form the front of the chain: " + after);
            }
            if (!complete[i]) {
              throw new AssertionError("target " + ct.targetId() + " serves but missed committed writes: " + before
                  + " -> " + after);
            }
          }
          case SYNCING -> {
            syncing++;
            if (prev != PublicTargetState.SERVING) {
              throw new AssertionError("a syncing member needs a serving predecessor: " + after);
            }
          }
          case LASTSRV -> {
            lastsrv++;
            if (!complete[i]) {
              throw new AssertionError("lastsrv target " + ct.targetId() + " missed committed writes: " + after);
            }
          }
          default -> { }
        }
        seenNonServing |= ct.state() != PublicTargetState.SERVING;
        prev = ct.state();
      }
      if (syncing > 1) {
        throw new AssertionError("more than one syncing member: " + after);
      }
      if (serving > 0 ? lastsrv != 0 : lastsrv != 1) {
        throw new AssertionError("a chain either serves or has exactly one lastsrv member: " + after);
      }
      if (serving > 0 && !after.head().equals(Optional.of(after.targets().get(0).targetId()))) {
        throw new AssertionError("the head is the first member: " + after);
      }
    }
  }
}
