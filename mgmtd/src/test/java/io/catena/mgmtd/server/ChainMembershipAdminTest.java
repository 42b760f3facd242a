package io.catena.mgmtd.server;

import static io.catena.common.cluster.LocalTargetState.ONLINE;
import static io.catena.common.cluster.LocalTargetState.UPTODATE;
import static io.catena.common.cluster.PublicTargetState.OFFLINE;
import static io.catena.common.cluster.PublicTargetState.SERVING;
import static io.catena.common.cluster.PublicTargetState.SYNCING;
import static io.catena.common.cluster.PublicTargetState.WAITING;
import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.chain.ChainMembership;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * update-chain (add/remove a member) and remove-target: the operator's membership changes and the refusals that
 * keep a chain's data safe. Cluster of {@link ChainAdminTest#cluster()}: storage nodes 10001-10003 with targets
 * n*10 (disk 0) and n*10+1 (disk 1); chain 1 = [100010, 100020], all serving and heard from.
 */
class ChainMembershipAdminTest {

  private static TestCluster withChain() {
    TestCluster c = ChainAdminTest.cluster();
    c.primary().uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L))));
    c.heartbeat(10001, c.report(100010, UPTODATE));
    c.heartbeat(10002, c.report(100020, UPTODATE));
    c.tickAll();
    return c;
  }

  private static ChainInfo chain(TestCluster c) {
    return c.routing().chain(1).orElseThrow();
  }

  private static PublicTargetState state(TestCluster c, long target) {
    return chain(c).stateOf(target).orElseThrow();
  }

  @Test
  void addedTarget_joinsWaiting_thenSyncs_thenServes() {
    try (TestCluster c = withChain()) {
      ChainInfo added = c.primary().updateChain(CLUSTER, ChainUpdate.add(1, 100030));
      assertEquals(2, added.version());
      assertEquals(List.of(100010L, 100020L, 100030L), added.targetIds());
      assertEquals(WAITING, added.stateOf(100030).orElseThrow());
      assertEquals(1, c.routing().target(100030).orElseThrow().chainId());
      assertSame(added.version(), c.primary().updateChain(CLUSTER, ChainUpdate.add(1, 100030)).version(),
          "adding a member again is a no-op");

      c.heartbeat(10003, c.report(100030, ONLINE));
      c.tickAll();
      assertEquals(SYNCING, state(c, 100030), chain(c)::toString);
      c.heartbeat(10003, c.report(100030, UPTODATE));
      c.tickAll();
      assertEquals(List.of(SERVING, SERVING, SERVING), chain(c).targets().stream().map(ChainTarget::state).toList());
    }
  }

  @Test
  void add_isRefusedPrecisely_andChangesNothing() {
    try (TestCluster c = withChain()) {
      c.primary().uploadChains(CLUSTER, List.of(new ChainSpec(2, List.of(100021L, 100031L))));
      RoutingInfo before = c.routing();
      expect(Errno.ENOENT, "unknown chain 9", () -> c.primary().updateChain(CLUSTER, ChainUpdate.add(9, 100030)));
      expect(Errno.ENOENT, "unknown target 424242", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.add(1, 424242)));
      expect(Errno.EEXIST, "target 100031 already belongs to chain 2", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.add(1, 100031)));
      expect(Errno.EINVAL, "chain 1 already has target 100010 on node 10001", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.add(1, 100011)));
      expect(Errno.EINVAL, "cluster 'other'", () -> c.primary().updateChain("other", ChainUpdate.add(1, 100030)));
      MembershipTest.assertSameRouting(before, c.routing());
    }
  }

  @Test
  void removingAServingMember_keepsTheOthersServing_andFreesTheTarget() {
    try (TestCluster c = withChain()) {
      ChainInfo after = c.primary().updateChain(CLUSTER, ChainUpdate.remove(1, 100010));
      assertEquals(List.of(100020L), after.targetIds());
      assertEquals(2, after.version());
      assertEquals(Optional.of(100020L), after.head());
      assertEquals(0, c.routing().target(100010).orElseThrow().chainId(), "the target stays, in no chain");
      // Its node still reports it at the chain's old version: not an error for a target in no chain.
      c.heartbeat(10001, new TargetReport(100010, UPTODATE, 1, 0, 0));
    }
  }

  @Test
  void remove_refusesToTakeAwayTheChainsData() {
    try (TestCluster c = withChain()) {
      c.primary().offlineTarget(CLUSTER, 100020);
      RoutingInfo before = c.routing();
      expect(Errno.EBUSY, "target 100010 is the last serving member of chain 1", () -> c.primary().updateChain(
          CLUSTER, ChainUpdate.remove(1, 100010)));
      expect(Errno.ENOENT, "target 100030 is not a member of chain 1", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.remove(1, 100030)));
      MembershipTest.assertSameRouting(before, c.routing());
      // The offline member may go; then the serving one is the only member and must stay.
      ChainInfo after = c.primary().updateChain(CLUSTER, ChainUpdate.remove(1, 100020));
      assertEquals(List.of(100010L), after.targetIds());
      expect(Errno.EBUSY, "target 100010 is the only member of chain 1", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.remove(1, 100010)));
    }
  }

  @Test
  void removingTheLastsrvMember_isRefused() {
    ChainInfo lastSrv = new ChainInfo(1, 5, List.of(new ChainTarget(7, PublicTargetState.LASTSRV),
        new ChainTarget(8, OFFLINE)));
    expect(Errno.EBUSY, "lastsrv member of chain 1", () -> ChainMembership.remove(lastSrv, 7));
    assertEquals(List.of(7L), ChainMembership.remove(lastSrv, 8).targetIds());
    // An added member goes before the lastsrv and offline ones, after the waiting ones.
    assertEquals(List.of(9L, 7L, 8L), ChainMembership.add(lastSrv, 9).targetIds());
  }

  @Test
  void removeTarget_takesFreeAndOfflineTargets_andRefusesServingOnes() {
    try (TestCluster c = withChain()) {
      expect(Errno.ENOENT, "unknown target 5", () -> c.primary().removeTarget(CLUSTER, 5));
      RoutingInfo before = c.routing();
      expect(Errno.EBUSY, "target 100010 is SERVING in chain 1; take it offline first", () -> c.primary()
          .removeTarget(CLUSTER, 100010));
      MembershipTest.assertSameRouting(before, c.routing());

      assertEquals(Optional.empty(), c.primary().removeTarget(CLUSTER, 100031), "a free target just goes");
      assertTrue(c.routing().target(100031).isEmpty());

      c.primary().offlineTarget(CLUSTER, 100020);
      ChainInfo after = c.primary().removeTarget(CLUSTER, 100020).orElseThrow();
      assertEquals(List.of(100010L), after.targetIds());
      assertTrue(c.routing().target(100020).isEmpty());
      assertEquals(List.of(100010L), chain(c).targetIds());
      // Its node still holds it and reports it: the heartbeat is accepted and the report ignored.
      c.heartbeat(10002, new TargetReport(100020, UPTODATE, 2, 0, 0),
          new TargetReport(100021, ONLINE, 0, 0, 0));
      assertTrue(c.routing().target(100020).isEmpty());
      expect(Errno.ENOENT, "unknown target 100020", () -> c.primary().removeTarget(CLUSTER, 100020));
    }
  }

  @Test
  void heartbeatReportingAnotherNodesTarget_isStillRefused() {
    try (TestCluster c = withChain()) {
      expect(Errno.EINVAL, "target 100020, which is not one of its targets", () -> c.primary().heartbeat(
          new HeartbeatRequest(CLUSTER, 10001, 1, 99, 0, "", List.of(new TargetReport(100020, UPTODATE, 1, 0, 0)))));
    }
  }
}
