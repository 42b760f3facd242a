package io.catena.mgmtd.server;

import static io.catena.common.cluster.LocalTargetState.OFFLINE;
import static io.catena.common.cluster.LocalTargetState.ONLINE;
import static io.catena.common.cluster.LocalTargetState.UPTODATE;
import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeStatus;
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
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Registration, heartbeats, failure detection and the chain state machine driven through mgmtd. Storage nodes
 * 10001-10003 carry targets 101-103, one chain 1 = [101, 102, 103].
 */
class MembershipTest {

  static TestCluster withChain(int instances) {
    TestCluster c = TestCluster.started(instances);
    for (long n = 10001; n <= 10003; n++) {
      c.register(n, NodeType.STORAGE);
    }
    c.call(s -> s.createTargets(CLUSTER, List.of(new TargetSpec(101, 10001, 0), new TargetSpec(102, 10002, 0),
        new TargetSpec(103, 10003, 0))));
    c.call(s -> s.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(101L, 102L, 103L)))));
    return c;
  }

  /** Every storage node heartbeats with its target in the given state, at the current chain version. */
  static void heartbeatAll(TestCluster c, long... skipNodes) {
    outer:
    for (long n = 10001; n <= 10003; n++) {
      for (long s : skipNodes) {
        if (s == n) {
          continue outer;
        }
      }
      c.heartbeat(n, c.report(n - 10001 + 101, UPTODATE));
    }
  }

  static ChainInfo chain(TestCluster c) {
    return c.routing().chain(1).orElseThrow();
  }

  @Test
  void silentNode_isDeclaredFailedAfterTheTimeout_andItsTargetGoesOfflineToTheTail() {
    try (TestCluster c = withChain(1)) {
      for (int i = 0; i < 9; i++) {
        heartbeatAll(c, 10001);
        c.advance(Duration.ofSeconds(1));
      }
      assertEquals(NodeStatus.ALIVE, c.routing().node(10001).orElseThrow().status(), "not yet: 9 s < 10 s");
      long rv = c.routing().version();
      for (int i = 0; i < 3; i++) {
        heartbeatAll(c, 10001);
        c.advance(Duration.ofSeconds(1));
      }
      RoutingInfo r = c.routing();
      assertEquals(NodeStatus.FAILED, r.node(10001).orElseThrow().status());
      assertEquals(NodeStatus.ALIVE, r.node(10002).orElseThrow().status());
      assertEquals(List.of(102L, 103L, 101L), r.chain(1).orElseThrow().targetIds());
      assertEquals(PublicTargetState.OFFLINE, r.chain(1).orElseThrow().stateOf(101).orElseThrow());
      assertEquals(2, r.chain(1).orElseThrow().version());
      assertTrue(r.version() > rv, "routing version moved");
      assertEquals(102L, r.chain(1).orElseThrow().head().orElseThrow());
    }
  }

  @Test
  void returningNode_mustBeSeenOfflineThenSyncsThenServes() {
    try (TestCluster c = withChain(1)) {
      for (int i = 0; i < 12; i++) {
        heartbeatAll(c, 10002);
        c.advance(Duration.ofSeconds(1));
      }
      assertEquals(PublicTargetState.OFFLINE, chain(c).stateOf(102).orElseThrow());
      // It comes back (new process) claiming UPTODATE: never trusted, it missed writes while it was away.
      c.restart(10002, NodeType.STORAGE);
      c.heartbeat(10002, c.report(102, UPTODATE));
      heartbeatAll(c, 10002);
      c.tickAll();
      assertEquals(PublicTargetState.WAITING, chain(c).stateOf(102).orElseThrow());
      c.heartbeat(10002, c.report(102, UPTODATE));
      c.tickAll();
      assertEquals(PublicTargetState.WAITING, chain(c).stateOf(102).orElseThrow(),
          "a waiting target that claims UPTODATE is not trusted to sync: it waits for ONLINE");
      c.heartbeat(10002, c.report(102, ONLINE));
      c.tickAll();
      assertEquals(PublicTargetState.SYNCING, chain(c).stateOf(102).orElseThrow());
      // A delayed UPTODATE made at an older chain version must not finish the sync.
      long old = chain(c).version() - 1;
      c.heartbeat(10002, new TargetReport(102, UPTODATE, old, 0, 0));
      c.tickAll();
      assertEquals(PublicTargetState.SYNCING, chain(c).stateOf(102).orElseThrow());
      c.heartbeat(10002, c.report(102, UPTODATE));
      c.tickAll();
      ChainInfo ch = chain(c);
      assertEquals(List.of(101L, 103L, 102L), ch.targetIds());
      assertTrue(ch.targets().stream().allMatch(t -> t.state() == PublicTargetState.SERVING), ch::toString);
    }
  }

  @Test
  void quickRestartBeforeDetection_targetIsFencedUntilItsChainShowsItOffline() {
    try (TestCluster c = withChain(1)) {
      heartbeatAll(c);
      c.restart(10003, NodeType.STORAGE);
      HeartbeatReply reply = c.heartbeat(10003, c.report(103, ONLINE));
      assertEquals(List.of(NodeCommand.Kind.STOP_SERVING_TARGET),
          reply.commands().stream().map(NodeCommand::kind).toList());
      heartbeatAll(c, 10003);
      c.tickAll();
      assertEquals(PublicTargetState.OFFLINE, chain(c).stateOf(103).orElseThrow(),
          "serving -> offline although it reports ONLINE: the restart was noticed");
      c.heartbeat(10003, c.report(103, ONLINE));
      c.tickAll();
      assertEquals(PublicTargetState.WAITING, chain(c).stateOf(103).orElseThrow());
    }
  }

  @Test
  void offlineTargetReportingUptodate_isToldToStopServing() {
    try (TestCluster c = withChain(1)) {
      heartbeatAll(c);
      c.call(s -> s.offlineTarget(CLUSTER, 101));
      assertEquals(PublicTargetState.OFFLINE, chain(c).stateOf(101).orElseThrow());
      HeartbeatReply r = c.heartbeat(10001, new TargetReport(101, UPTODATE, chain(c).version(), 0, 0));
      assertEquals(1, r.commands().size());
      assertEquals(101, r.commands().getFirst().targetId());
    }
  }

  @Test
  void lastServingTargetFails_lastsrv_thenServesAgainWhenItReturns() {
    try (TestCluster c = withChain(1)) {
      for (int i = 0; i < 12; i++) {
        heartbeatAll(c, 10002, 10003);
        c.advance(Duration.ofSeconds(1));
      }
      assertEquals(PublicTargetState.SERVING, chain(c).stateOf(101).orElseThrow());
      for (int i = 0; i < 12; i++) {
        c.advance(Duration.ofSeconds(1));
      }
      ChainInfo ch = chain(c);
      assertEquals(PublicTargetState.LASTSRV, ch.stateOf(101).orElseThrow(), ch::toString);
      assertTrue(ch.head().isEmpty());
      c.restart(10001, NodeType.STORAGE);
      c.heartbeat(10001, c.report(101, ONLINE));
      c.tickAll();
      assertEquals(PublicTargetState.SERVING, chain(c).stateOf(101).orElseThrow());
    }
  }

  @Test
  void gracePeriodAfterAPrimaryChange_nothingFailsUntilNodesHadTimeToFindTheNewPrimary() {
    try (TestCluster c = withChain(2)) {
      heartbeatAll(c);
      long v = chain(c).version();
      MgmtdServer old = c.primary();
      old.close();
      c.servers.remove(old);
      // Lease expiry, then the new primary's grace period: nodes heartbeat to it meanwhile, except 10003.
      while (c.servers.stream().noneMatch(MgmtdServer::isPrimary)) {
        c.advance(Duration.ofSeconds(1));
      }
      MgmtdServer next = c.primary();
      for (int i = 0; i < TestCluster.GRACE.toSeconds() - 1; i++) {
        heartbeatAll(c, 10003);
        c.advance(Duration.ofSeconds(1));
      }
      assertEquals(v, chain(c).version(), "no state change inside the grace period, though 10003 is silent");
      assertEquals(NodeStatus.ALIVE, c.routing().node(10003).orElseThrow().status());
      for (int i = 0; i < 2; i++) {
        heartbeatAll(c, 10003);
        c.advance(Duration.ofSeconds(1));
      }
      assertTrue(next.isPrimary());
      assertEquals(NodeStatus.FAILED, c.routing().node(10003).orElseThrow().status());
      assertEquals(NodeStatus.ALIVE, c.routing().node(10001).orElseThrow().status());
      assertEquals(PublicTargetState.OFFLINE, chain(c).stateOf(103).orElseThrow());
    }
  }

  @Test
  void failedNodeHeartbeatsAgain_isAliveAgain() {
    try (TestCluster c = withChain(1)) {
      c.advance(Duration.ofSeconds(12));
      assertEquals(NodeStatus.FAILED, c.routing().node(10001).orElseThrow().status());
      c.heartbeat(10001, c.report(101, ONLINE));
      assertEquals(NodeStatus.ALIVE, c.routing().node(10001).orElseThrow().status());
    }
  }

  @Test
  void targetNoLongerReportedByItsLiveNode_goesOffline() {
    try (TestCluster c = withChain(1)) {
      heartbeatAll(c);
      c.heartbeat(10002);
      c.tickAll();
      assertEquals(PublicTargetState.OFFLINE, chain(c).stateOf(102).orElseThrow());
      assertEquals(NodeStatus.ALIVE, c.routing().node(10002).orElseThrow().status(), "the node itself is fine");
    }
  }

  // --- hostile input: refused with precise errors, state unchanged ------------------------------------------

  @Test
  void heartbeatWithAnUnknownClusterId_isRefused() {
    try (TestCluster c = withChain(1)) {
      RoutingInfo before = c.routing();
      expect(Errno.EINVAL, "request for cluster 'evil'", () -> c.primary().heartbeat(
          new HeartbeatRequest("evil", 10001, 1, 99, 0, "", List.of(new TargetReport(101, OFFLINE, 1, 0, 0)))));
      assertSameRouting(before, c.routing());
    }
  }

  @Test
  void heartbeatFromAnUnregisteredNode_isRefused() {
    try (TestCluster c = withChain(1)) {
      expect(Errno.ENOENT, "node 777 is not registered", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 777, 1, 1, 0, "", List.of())));
    }
  }

  @Test
  void staleHeartbeatVersion_isRefused_andChangesNothing() {
    try (TestCluster c = withChain(1)) {
      c.primary().heartbeat(new HeartbeatRequest(CLUSTER, 10001, 1, 5, 0, "",
          List.of(new TargetReport(101, UPTODATE, 1, 0, 0))));
      long heard = c.routing().node(10001).orElseThrow().lastHeartbeatMillis();
      c.clock.advance(Duration.ofSeconds(1));
      RoutingInfo before = c.routing();
      for (long hv : new long[] {5, 4}) {
        expect(Errno.ESTALE, "stale heartbeat version " + hv, () -> c.primary().heartbeat(new HeartbeatRequest(
            CLUSTER, 10001, 1, hv, 0, "", List.of(new TargetReport(101, OFFLINE, 1, 0, 0)))));
      }
      assertEquals(heard, c.routing().node(10001).orElseThrow().lastHeartbeatMillis(), "liveness not refreshed");
      c.tickAll();
      assertSameRouting(before, c.routing());
    }
  }

  @Test
  void heartbeatFromAnOldIncarnation_isRefused() {
    try (TestCluster c = withChain(1)) {
      c.restart(10001, NodeType.STORAGE);
      expect(Errno.ESTALE, "register again", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 10001, 1, 100, 0, "", List.of())));
    }
  }

  @Test
  void heartbeatReportingAnotherNodesTarget_orAFutureChainVersion_isRefusedWhole() {
    try (TestCluster c = withChain(1)) {
      heartbeatAll(c);
      RoutingInfo before = c.routing();
      expect(Errno.EINVAL, "target 102, which is not one of its targets", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 10001, 1, 50, 0, "", List.of(new TargetReport(101, OFFLINE, 1, 0, 0),
              new TargetReport(102, OFFLINE, 1, 0, 0)))));
      expect(Errno.EINVAL, "reports target 101 twice", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 10001, 1, 52, 0, "", List.of(new TargetReport(101, OFFLINE, 1, 0, 0),
              new TargetReport(101, UPTODATE, 1, 0, 0)))));
      expect(Errno.EINVAL, "at chain version 9", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 10001, 1, 51, 0, "", List.of(new TargetReport(101, OFFLINE, 9, 0, 0)))));
      c.tickAll();
      assertSameRouting(before, c.routing());
      assertEquals(PublicTargetState.SERVING, chain(c).stateOf(101).orElseThrow(), "the OFFLINE was not applied");
    }
  }

  @Test
  void duplicateNodeIds_areRefused() {
    try (TestCluster c = withChain(1)) {
      heartbeatAll(c);
      RoutingInfo before = c.routing();
      expect(Errno.EEXIST, "already a STORAGE node", () -> c.primary().registerNode(
          new RegisterRequest(CLUSTER, 10001, NodeType.META, "tcp://other:1", 1)));
      expect(Errno.EEXIST, "already registered by a live node at tcp://node10001:9000", () -> c.primary()
          .registerNode(new RegisterRequest(CLUSTER, 10001, NodeType.STORAGE, "tcp://other:1", 1)));
      expect(Errno.ESTALE, "older than the registered", () -> c.primary().registerNode(
          new RegisterRequest(CLUSTER, 10001, NodeType.STORAGE, "tcp://node10001:9000", 0)));
      expect(Errno.EINVAL, "not an address", () -> c.primary().registerNode(
          new RegisterRequest(CLUSTER, 20000, NodeType.STORAGE, "nonsense", 1)));
      expect(Errno.EINVAL, "do not register", () -> c.primary().registerNode(
          new RegisterRequest(CLUSTER, 20000, NodeType.FUSE, "tcp://f:1", 1)));
      assertSameRouting(before, c.routing());
      // The same node registering again with the same incarnation is harmless.
      c.primary().registerNode(new RegisterRequest(CLUSTER, 10001, NodeType.STORAGE, "tcp://node10001:9000", 1));
      assertSameRouting(before, c.routing());
    }
  }

  static void assertSameRouting(RoutingInfo a, RoutingInfo b) {
    assertEquals(a.version(), b.version());
    assertEquals(List.copyOf(a.chains()), List.copyOf(b.chains()));
    assertEquals(a.chainTables(), b.chainTables());
    assertEquals(a.nodes().stream().map(n -> n.withRuntime(0, 0, "")).toList(),
        b.nodes().stream().map(n -> n.withRuntime(0, 0, "")).toList());
    assertEquals(a.targets().stream().map(t -> List.of(t.targetId(), t.nodeId(), t.chainId(), t.publicState()))
        .toList(), b.targets().stream().map(t -> List.of(t.targetId(), t.nodeId(), t.chainId(), t.publicState()))
        .toList());
  }
}
