package io.catena.mgmtd.server;

import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/**
 * Operator uploads: targets, chains, chain tables; offline-target and rotate-lastsrv. Storage nodes 10001-10003,
 * each with targets n*10+0 and n*10+1 on disks 0 and 1 (e.g. 100010, 100011); meta node 100.
 */
class ChainAdminTest {

  static TestCluster cluster() {
    TestCluster c = TestCluster.started(1);
    for (long n = 10001; n <= 10003; n++) {
      c.register(n, NodeType.STORAGE);
      long node = n;
      c.call(s -> s.createTargets(CLUSTER, List.of(new TargetSpec(node * 10, node, 0),
          new TargetSpec(node * 10 + 1, node, 1))));
    }
    c.register(100, NodeType.META);
    return c;
  }

  static MgmtdServer p(TestCluster c) {
    return c.primary();
  }

  @Test
  void targets_badUploadsAreRefusedPrecisely_andChangeNothing() {
    try (TestCluster c = cluster()) {
      RoutingInfo before = c.routing();
      expect(Errno.ENOENT, "target 5: node 999 is not registered",
          () -> p(c).createTargets(CLUSTER, List.of(new TargetSpec(5, 999, 0))));
      expect(Errno.EINVAL, "node 100 is a META node", () -> p(c).createTargets(CLUSTER,
          List.of(new TargetSpec(5, 100, 0))));
      expect(Errno.EINVAL, "target 5 is listed twice", () -> p(c).createTargets(CLUSTER,
          List.of(new TargetSpec(5, 10001, 2), new TargetSpec(5, 10001, 2))));
      expect(Errno.EEXIST, "target 100010 already exists on node 10001 disk 0", () -> p(c).createTargets(CLUSTER,
          List.of(new TargetSpec(6, 10002, 3), new TargetSpec(100010, 10002, 0))));
      MembershipTest.assertSameRouting(before, c.routing());
      // Identical re-creation is a no-op.
      p(c).createTargets(CLUSTER, List.of(new TargetSpec(100010, 10001, 0)));
      MembershipTest.assertSameRouting(before, c.routing());
    }
  }

  @Test
  void chains_malformedUploadsAreRefusedPrecisely_andChangeNothing() {
    try (TestCluster c = cluster()) {
      p(c).uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L, 100030L))));
      RoutingInfo before = c.routing();
      RoutingInfo initial = before;
      expect(Errno.ENOENT, "chain 2: unknown target 424242", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(2, List.of(100011L, 424242L)))));
      expect(Errno.EINVAL, "chain 2 lists target 100011 twice", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(2, List.of(100011L, 100021L, 100011L)))));
      expect(Errno.EINVAL, "targets 100011 and 100010 are both on node 10001", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(3, List.of(100021L, 100011L, 100010L)))));
      p(c).createTargets(CLUSTER, List.of(new TargetSpec(100012, 10001, 2)));
      before = c.routing();
      expect(Errno.EINVAL, "chain 4: targets 100011 and 100012 are both on node 10001", () -> p(c).uploadChains(
          CLUSTER, List.of(new ChainSpec(4, List.of(100011L, 100012L)))));
      expect(Errno.EEXIST, "target 100020 already belongs to chain 1", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(2, List.of(100011L, 100020L)))));
      expect(Errno.EEXIST, "target 100021 is listed in chains 2 and 3", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(2, List.of(100011L, 100021L)), new ChainSpec(3, List.of(100031L, 100021L)))));
      expect(Errno.EEXIST, "chain 1 already exists", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(1, List.of(100011L, 100021L)))));
      expect(Errno.EINVAL, "chain 2 has no targets", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(2, List.of()))));
      expect(Errno.EINVAL, "chain id must be positive", () -> p(c).uploadChains(CLUSTER,
          List.of(new ChainSpec(0, List.of(100011L)))));
      MembershipTest.assertSameRouting(before, c.routing());
      assertEquals(initial.chains().size(), c.routing().chains().size());
      // A valid batch creates every chain serving at version 1; re-uploading it is a no-op.
      List<ChainSpec> ok = List.of(new ChainSpec(2, List.of(100011L, 100021L)), new ChainSpec(3,
          List.of(100031L)));
      List<ChainInfo> made = p(c).uploadChains(CLUSTER, ok);
      assertEquals(List.of(ChainInfo.allServing(2, List.of(100011L, 100021L)), ChainInfo.allServing(3,
          List.of(100031L))), made);
      RoutingInfo after = c.routing();
      assertTrue(after.version() > before.version());
      assertEquals(2, after.target(100021).orElseThrow().chainId());
      p(c).uploadChains(CLUSTER, ok);
      assertEquals(after.version(), c.routing().version());
    }
  }

  @Test
  void chainTables_areVersionedAndImmutable_andMalformedOnesAreRefused() {
    try (TestCluster c = cluster()) {
      p(c).uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L)),
          new ChainSpec(2, List.of(100021L, 100030L)), new ChainSpec(3, List.of(100031L, 100011L))));
      RoutingInfo before = c.routing();
      expect(Errno.ENOENT, "chain table 1: unknown chain 9", () -> p(c).uploadChainTable(CLUSTER, 1,
          List.of(1L, 9L)));
      expect(Errno.EINVAL, "chain table 1 lists chain 2 twice", () -> p(c).uploadChainTable(CLUSTER, 1,
          List.of(2L, 1L, 2L)));
      expect(Errno.EINVAL, "chain table 1 has no chains", () -> p(c).uploadChainTable(CLUSTER, 1, List.of()));
      expect(Errno.EINVAL, "chain table id must be positive", () -> p(c).uploadChainTable(CLUSTER, 0,
          List.of(1L)));
      MembershipTest.assertSameRouting(before, c.routing());

      ChainTable v1 = p(c).uploadChainTable(CLUSTER, 1, List.of(1L, 2L));
      assertEquals(new ChainTable(1, 1, List.of(1L, 2L)), v1);
      assertEquals(v1, p(c).uploadChainTable(CLUSTER, 1, List.of(1L, 2L)), "same list: same version");
      ChainTable v2 = p(c).uploadChainTable(CLUSTER, 1, List.of(1L, 2L, 3L));
      assertEquals(2, v2.version());
      RoutingInfo r = c.routing();
      assertEquals(Optional.of(v1), r.chainTable(1, 1), "old versions stay as they were");
      assertEquals(Optional.of(v2), r.latestChainTable(1));
      assertEquals(List.of(v1, v2), p(c).listChainTables(CLUSTER));
    }
  }

  @Test
  void offlineTarget_andRotateLastsrv_throughMgmtd() {
    try (TestCluster c = cluster()) {
      p(c).uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L))));
      for (long n = 10001; n <= 10002; n++) {
        c.heartbeat(n, c.report(n * 10, LocalTargetState.UPTODATE));
      }
      expect(Errno.ENOENT, "unknown target 5", () -> p(c).offlineTarget(CLUSTER, 5));
      expect(Errno.EINVAL, "target 100011 is in no chain", () -> p(c).offlineTarget(CLUSTER, 100011));
      expect(Errno.EINVAL, "chain 1 has no lastsrv target", () -> p(c).rotateLastSrv(CLUSTER, 1,
          OptionalLong.empty()));
      expect(Errno.ENOENT, "unknown chain 7", () -> p(c).rotateLastSrv(CLUSTER, 7, OptionalLong.empty()));

      ChainInfo ch = p(c).offlineTarget(CLUSTER, 100020);
      assertEquals(List.of(100010L, 100020L), ch.targetIds());
      assertEquals(PublicTargetState.OFFLINE, ch.stateOf(100020).orElseThrow());
      // Both nodes die; 100010 was the last serving target.
      c.advance(Duration.ofSeconds(12));
      ch = c.routing().chain(1).orElseThrow();
      assertEquals(PublicTargetState.LASTSRV, ch.stateOf(100010).orElseThrow());
      // Node 10001 is gone for good; 10002 returns and waits, since it missed writes and nobody can sync it.
      c.restart(10002, NodeType.STORAGE);
      c.heartbeat(10002, c.report(100020, LocalTargetState.ONLINE));
      c.tickAll();
      assertEquals(PublicTargetState.WAITING, c.routing().chain(1).orElseThrow().stateOf(100020).orElseThrow());
      ch = p(c).rotateLastSrv(CLUSTER, 1, OptionalLong.empty());
      assertEquals(PublicTargetState.LASTSRV, ch.stateOf(100020).orElseThrow());
      assertEquals(PublicTargetState.OFFLINE, ch.stateOf(100010).orElseThrow());
      c.heartbeat(10002, c.report(100020, LocalTargetState.ONLINE));
      c.tickAll();
      ch = c.routing().chain(1).orElseThrow();
      assertEquals(Optional.of(100020L), ch.head(), ch::toString);
    }
  }

  @Test
  void listOperations_showTheCluster() {
    try (TestCluster c = cluster()) {
      p(c).uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L))));
      assertEquals(5, p(c).listNodes(CLUSTER).size(), "3 storage, 1 meta, the primary mgmtd");
      assertEquals(6, p(c).listTargets(CLUSTER).size());
      assertEquals(1, p(c).listChains(CLUSTER).size());
    }
  }
}
