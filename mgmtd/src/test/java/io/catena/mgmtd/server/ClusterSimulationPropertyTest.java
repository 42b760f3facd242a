package io.catena.mgmtd.server;

import static io.catena.mgmtd.server.TestCluster.CLUSTER;

import io.catena.common.CatenaException;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.TargetSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;

/**
 * The whole of mgmtd under random storage crashes, restarts, silent periods, writes, sync completions and primary
 * kills, with three mgmtd instances on one KV store. Storage nodes follow the protocol (report ONLINE after a
 * restart, UPTODATE only after a sync, obey STOP_SERVING_TARGET). After every step: at most one primary; per chain
 * the version never goes back and moves whenever the chain changes; at most one syncing member; serving members
 * form the front; and no serving member ever missed a committed write. At the end everything heals.
 */
class ClusterSimulationPropertyTest {
  static final int NODES = 4;
  /** Chains over four nodes with two targets each: target id = node * 10 + disk. */
  static final List<ChainSpec> CHAINS = List.of(
      new ChainSpec(1, List.of(100010L, 100020L, 100030L)),
      new ChainSpec(2, List.of(100041L, 100011L, 100021L)),
      new ChainSpec(3, List.of(100031L, 100040L)));

  @Property(tries = 200)
  void randomClusterLife_keepsEveryChainSafe(
      @ForAll @Size(max = 80) List<@IntRange(min = 0, max = 99) Integer> ops) {
    try (TestCluster c = TestCluster.started(3)) {
      Sim sim = new Sim(c);
      for (int op : ops) {
        int n = 10001 + (op / 8) % NODES;
        switch (op % 8) {
          case 0 -> sim.crash(n);
          case 1 -> sim.restart(n);
          case 2 -> sim.heartbeatAll();
          case 3 -> sim.syncDoneAll();
          case 4 -> sim.writeAll();
          case 5 -> sim.advance(1 + op % 3, false);
          case 6 -> sim.advance(1, true);
          default -> sim.killPrimary();
        }
        sim.check();
      }
      for (int n = 10001; n < 10001 + NODES; n++) {
        sim.restart(n);
      }
      for (int i = 0; i < 80 && !sim.healed(); i++) {
        sim.advance(1, true);
        sim.syncDoneAll();
        sim.check();
      }
      if (!sim.healed()) {
        throw new AssertionError("cluster did not heal: " + sim.routing.chains());
      }
    }
  }

  static final class Sim {
    final TestCluster c;
    final Set<Integer> alive = new HashSet<>();
    final Map<Integer, Long> incarnation = new HashMap<>();
    final Map<Integer, Long> hbVersion = new HashMap<>();
    final Set<Integer> registered = new HashSet<>();
    final Set<Long> uptodate = new HashSet<>();
    final Set<Long> complete = new HashSet<>();
    final Map<Long, ChainInfo> lastSeen = new HashMap<>();
    RoutingInfo routing;
    long nextMgmtdId = 4;

    Sim(TestCluster c) {
      this.c = c;
      List<TargetSpec> targets = new ArrayList<>();
      for (int n = 10001; n < 10001 + NODES; n++) {
        alive.add(n);
        incarnation.put(n, 1L);
        hbVersion.put(n, 0L);
        for (long t : targetsOf(n)) {
          targets.add(new TargetSpec(t, n, (int) (t % 10)));
          uptodate.add(t);
          complete.add(t);
        }
      }
      for (int n : alive) {
        c.call(s -> s.registerNode(new RegisterRequest(CLUSTER, n, NodeType.STORAGE, "tcp://n" + n + ":1", 1)));
        registered.add(n);
      }
      c.call(s -> s.createTargets(CLUSTER, targets));
      c.call(s -> s.uploadChains(CLUSTER, CHAINS));
      heartbeatAll();
      check();
    }

    void crash(int n) {
      alive.remove(n);
      registered.remove(n);
      for (long t : targetsOf(n)) {
        uptodate.remove(t);
      }
    }

    void restart(int n) {
      if (alive.add(n)) {
        incarnation.merge(n, 1L, Long::sum);
        hbVersion.put(n, 0L);
      }
    }

    List<Long> targetsOf(int n) {
      return List.of(n * 10L, n * 10L + 1);
    }

    void heartbeatAll() {
      for (int n : List.copyOf(alive)) {
        heartbeat(n);
      }
    }

    void heartbeat(int n) {
      try {
        if (!registered.contains(n)) {
          c.call(s -> s.registerNode(new RegisterRequest(CLUSTER, n, NodeType.STORAGE, "tcp://n" + n + ":1",
              incarnation.get(n))));
          registered.add(n);
        }
        RoutingInfo r = c.call(s -> s.getRoutingInfo(CLUSTER, -1)).orElseThrow();
        List<TargetReport> reports = new ArrayList<>();
        for (long t : targetsOf(n)) {
          long chain = r.target(t).orElseThrow().chainId();
          reports.add(new TargetReport(t, uptodate.contains(t) ? LocalTargetState.UPTODATE : LocalTargetState.ONLINE,
              r.chain(chain).orElseThrow().version(), 0, 0));
        }
        long hv = hbVersion.merge(n, 1L, Long::sum);
        HeartbeatReply reply = c.call(s -> s.heartbeat(new HeartbeatRequest(CLUSTER, n, incarnation.get(n), hv, 0,
            "", reports)));
        for (NodeCommand cmd : reply.commands()) {
          uptodate.remove(cmd.targetId());
        }
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
      }
    }

    void syncDoneAll() {
      if (routing == null) {
        return;
      }
      for (ChainInfo ch : routing.chains()) {
        List<ChainTarget> ts = ch.targets();
        for (int i = 1; i < ts.size(); i++) {
          ChainTarget pred = ts.get(i - 1);
          ChainTarget t = ts.get(i);
          if (t.state() == PublicTargetState.SYNCING && pred.state() == PublicTargetState.SERVING
              && alive.contains(node(t.targetId())) && alive.contains(node(pred.targetId()))
              && registered.contains(node(t.targetId()))) {
            complete.add(t.targetId());
            uptodate.add(t.targetId());
          }
        }
      }
    }

    static int node(long target) {
      return (int) (target / 10);
    }

    void writeAll() {
      if (routing == null) {
        return;
      }
      for (ChainInfo ch : routing.chains()) {
        boolean ok = ch.head().isPresent();
        for (ChainTarget t : ch.targets()) {
          ok &= !t.state().receivesWrites() || alive.contains(node(t.targetId()));
        }
        if (ok) {
          for (ChainTarget t : ch.targets()) {
            if (!t.state().receivesWrites()) {
              complete.remove(t.targetId());
            }
          }
        }
      }
    }

    void advance(int seconds, boolean withHeartbeats) {
      for (int i = 0; i < seconds; i++) {
        if (withHeartbeats) {
          heartbeatAll();
        }
        c.advance(Duration.ofSeconds(1));
      }
    }

    void killPrimary() {
      MgmtdServer p = c.servers.stream().filter(MgmtdServer::isPrimary).findFirst().orElse(null);
      if (p == null) {
        return;
      }
      p.close();
      c.servers.remove(p);
      c.servers.add(c.newServer(nextMgmtdId++, c.clock));
    }

    boolean healed() {
      return routing != null && routing.chains().stream().allMatch(ch -> ch.targets().stream()
          .allMatch(t -> t.state() == PublicTargetState.SERVING));
    }

    void check() {
      long primaries = c.servers.stream().filter(MgmtdServer::isPrimary).count();
      if (primaries > 1) {
        throw new AssertionError("two primaries at once");
      }
      if (primaries == 0) {
        return;
      }
      RoutingInfo r = c.servers.stream().filter(MgmtdServer::isPrimary).findFirst().orElseThrow()
          .getRoutingInfo(CLUSTER, -1).orElseThrow();
      if (routing != null && r.version() < routing.version()) {
        throw new AssertionError("routing version went back: " + routing.version() + " -> " + r.version());
      }
      for (ChainInfo ch : r.chains()) {
        ChainInfo before = lastSeen.get(ch.chainId());
        if (before != null && (ch.version() < before.version()
            || (ch.version() == before.version() && !ch.targets().equals(before.targets())))) {
          throw new AssertionError("chain changed without a version bump: " + before + " -> " + ch);
        }
        lastSeen.put(ch.chainId(), ch);
        int syncing = 0;
        boolean nonServingSeen = false;
        for (ChainTarget t : ch.targets()) {
          if (t.state() == PublicTargetState.SERVING) {
            if (nonServingSeen) {
              throw new AssertionError("serving members must form the front: " + ch);
            }
            if (!complete.contains(t.targetId())) {
              throw new AssertionError("target " + t.targetId() + " serves but missed committed writes: " + ch);
            }
          } else {
            nonServingSeen = true;
          }
          syncing += t.state() == PublicTargetState.SYNCING ? 1 : 0;
        }
        if (syncing > 1) {
          throw new AssertionError("two syncing members: " + ch);
        }
      }
      routing = r;
    }
  }
}
