package io.catena.mgmtd.server;

import static io.catena.common.cluster.LocalTargetState.ONLINE;
import static io.catena.common.cluster.LocalTargetState.UPTODATE;
import static io.catena.common.cluster.PublicTargetState.SERVING;
import static io.catena.common.cluster.PublicTargetState.SYNCING;
import static io.catena.common.cluster.PublicTargetState.WAITING;
import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.DrainState;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.TargetSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The drain state machine on mgmtd with a manual clock: a draining target's chain gets a replacement on another
 * node, keeps all its serving replicas until the replacement serves, and only then loses the draining target; the
 * marks survive a primary change; impossible drains are refused. Cluster: storage nodes 10001-10004 with targets
 * n*10 (disk 0) and n*10+1 (disk 1); chain 1 = [100010, 100020, 100030], chain 2 = [100011, 100021, 100031].
 */
class DrainerTest {
  private static final long FIRST_NODE = 10001;

  /** Nodes 10001..10000+nodes; chain 1 on nodes 1-3 (disk 0), chain 2 on nodes 1-3 (disk 1). */
  private static TestCluster cluster(int instances, int nodes) {
    TestCluster c = TestCluster.started(instances);
    for (long n = FIRST_NODE; n < FIRST_NODE + nodes; n++) {
      c.register(n, NodeType.STORAGE);
      long node = n;
      c.call(s -> s.createTargets(CLUSTER, List.of(new TargetSpec(node * 10, node, 0),
          new TargetSpec(node * 10 + 1, node, 1))));
    }
    c.call(s -> s.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(100010L, 100020L, 100030L)),
        new ChainSpec(2, List.of(100011L, 100021L, 100031L)))));
    c.call(s -> s.uploadChainTable(CLUSTER, 1, List.of(1L, 2L)));
    beat(c, Map.of());
    c.tickAll();
    return c;
  }

  /**
   * Every storage node reports each of its targets in a chain: UPTODATE unless {@code states} says otherwise (a
   * replacement's sync), at the chain's current version.
   */
  private static void beat(TestCluster c, Map<Long, LocalTargetState> states) {
    RoutingInfo r = c.routing();
    Set<Long> stopped = STOPPED.computeIfAbsent(c, k -> new HashSet<>());
    Map<Long, List<TargetReport>> byNode = new HashMap<>();
    for (TargetInfo t : r.targets()) {
      if (t.chainId() != 0) {
        byNode.computeIfAbsent(t.nodeId(), k -> new ArrayList<>()).add(c.report(t.targetId(),
            stopped.contains(t.targetId()) ? ONLINE : states.getOrDefault(t.targetId(), UPTODATE)));
      }
    }
    // As a storage node does: a target told to stop serving reports ONLINE from then on.
    r.nodesOfType(NodeType.STORAGE).forEach(n -> c.heartbeat(n.nodeId(),
        byNode.getOrDefault(n.nodeId(), List.of()).toArray(TargetReport[]::new)).commands().stream()
        .filter(x -> x.kind() == NodeCommand.Kind.STOP_SERVING_TARGET && x.reason().contains("draining"))
        .forEach(x -> stopped.add(x.targetId())));
  }

  /** Per cluster: targets whose node was told to stop serving them. */
  private static final Map<TestCluster, Set<Long>> STOPPED = new java.util.WeakHashMap<>();

  /** Heartbeats and ticks (one second each) until the chain stops changing, asserting it never loses a replica. */
  private static void settle(TestCluster c, Map<Long, LocalTargetState> states, int servingAtLeast) {
    for (int i = 0; i < 6; i++) {
      c.clock.advance(Duration.ofSeconds(1));
      beat(c, states);
      c.tickAll();
      for (ChainInfo ch : c.routing().chains()) {
        assertTrue(ch.targetsIn(SERVING).size() >= servingAtLeast, () -> "a chain lost a serving replica: " + ch);
      }
    }
  }

  private static DrainState status(TestCluster c, long target) {
    return c.call(s -> s.drainStatus(CLUSTER)).stream().filter(d -> d.targetId() == target).findFirst()
        .orElseThrow(() -> new AssertionError("target " + target + " is not draining"));
  }

  private static PublicTargetState state(TestCluster c, long chain, long target) {
    return c.routing().chain(chain).orElseThrow().stateOf(target).orElseThrow();
  }

  @Test
  void drainedTarget_getsAReplacementThatSyncs_andLeavesOnlyOnceItServes() {
    try (TestCluster c = cluster(1, 4)) {
      DrainState marked = c.primary().drain(CLUSTER, List.of(100010L), 0).getFirst();
      assertEquals(1, marked.chainId());
      assertFalse(marked.done());

      settle(c, Map.of(), 3); // the replacement is created WAITING but not yet reported by its node
      DrainState d = status(c, 100010);
      long rep = d.replacementTargetId();
      assertTrue(rep > 100041, "a fresh target id: " + rep);
      TargetInfo ri = c.routing().target(rep).orElseThrow();
      assertEquals(10004, ri.nodeId(), "the only node outside the chain");
      assertEquals(List.of(100010L, 100020L, 100030L, rep), c.routing().chain(1).orElseThrow().targetIds());
      assertEquals(WAITING, state(c, 1, rep));
      assertEquals("waiting", d.phase());

      settle(c, Map.of(rep, ONLINE), 3);
      assertEquals(SYNCING, state(c, 1, rep));
      assertEquals(SERVING, state(c, 1, 100010), "the draining target serves on while the replacement syncs");
      assertEquals("syncing", status(c, 100010).phase());

      settle(c, Map.of(), 3);
      ChainInfo after = c.routing().chain(1).orElseThrow();
      assertEquals(List.of(100020L, 100030L, rep), after.targetIds());
      assertEquals(3, after.targetsIn(SERVING).size());
      assertEquals(0, c.routing().target(100010).orElseThrow().chainId());
      assertTrue(status(c, 100010).done());
      assertEquals("done", status(c, 100010).phase());

      // Now it holds nothing: remove-target succeeds, and the mark goes with it.
      c.primary().removeTarget(CLUSTER, 100010);
      settle(c, Map.of(), 3);
      assertTrue(c.primary().drainStatus(CLUSTER).isEmpty());
    }
  }

  @Test
  void drainOfANode_movesOneChainAtATime_andEndsWithTheNodeEmpty() {
    try (TestCluster c = cluster(1, 5)) {
      List<DrainState> marked = c.primary().drain(CLUSTER, List.of(), 10001);
      assertEquals(List.of(100010L, 100011L), marked.stream().map(DrainState::targetId).toList());

      settle(c, Map.of(), 3);
      List<DrainState> st = c.primary().drainStatus(CLUSTER);
      assertEquals(1, st.stream().filter(x -> x.replacementTargetId() != 0).count(), st::toString);
      DrainState queued = st.stream().filter(x -> x.replacementTargetId() == 0).findFirst().orElseThrow();
      assertTrue(queued.blockedReason().contains("mgmtd.drain_moves_per_node = 1"), queued::toString);
      assertEquals("blocked", queued.phase());

      // Replacements go to the least loaded nodes: 10004 and 10005 hold nothing, so one each.
      for (int round = 0; round < 2; round++) {
        long rep = c.primary().drainStatus(CLUSTER).stream().mapToLong(DrainState::replacementTargetId)
            .filter(x -> x != 0).findFirst().orElseThrow();
        settle(c, Map.of(rep, ONLINE), 3);
        settle(c, Map.of(), 3);
      }
      assertTrue(c.primary().drainStatus(CLUSTER).stream().allMatch(DrainState::done));
      RoutingInfo r = c.routing();
      assertTrue(r.targets().stream().filter(t -> t.nodeId() == 10001).allMatch(t -> t.chainId() == 0));
      List<Long> newNodes = r.targets().stream().filter(t -> t.targetId() > 100051).map(TargetInfo::nodeId)
          .sorted().toList();
      assertEquals(List.of(10004L, 10005L), newNodes);
      // New placements avoid draining targets.
      expect(Errno.EBUSY, "target 100010 is draining", () -> c.primary().uploadChains(CLUSTER,
          List.of(new ChainSpec(9, List.of(100010L, 100041L)))));
      expect(Errno.EBUSY, "target 100011 is draining", () -> c.primary().updateChain(CLUSTER,
          ChainUpdate.add(1, 100011)));
      c.primary().cancelDrain(CLUSTER, List.of(), 10001);
      assertTrue(c.primary().drainStatus(CLUSTER).isEmpty());
      c.primary().uploadChains(CLUSTER, List.of(new ChainSpec(9, List.of(100010L, 100041L))));
    }
  }

  @Test
  void drainWithNoPossibleReplacement_isRefusedAndSaysWhy() {
    try (TestCluster c = cluster(1, 3)) {
      expect(Errno.ENOSPC, "its chain 1 has replicas on nodes [10001, 10002, 10003] and needs 1 replacement(s) on"
              + " other nodes, but only 0 storage node(s) can take one",
          () -> c.primary().drain(CLUSTER, List.of(100010L), 0));
      assertTrue(c.primary().drainStatus(CLUSTER).isEmpty(), "a refused drain marks nothing");
      expect(Errno.ENOENT, "unknown target 7", () -> c.primary().drain(CLUSTER, List.of(7L), 0));
      expect(Errno.ENOENT, "unknown storage node 42", () -> c.primary().drain(CLUSTER, List.of(), 42));
      expect(Errno.EINVAL, "name targets to drain", () -> c.primary().drain(CLUSTER, List.of(), 0));
    }
    try (TestCluster c = cluster(1, 4)) {
      // Draining two nodes of four leaves no node outside a 3-replica chain: the second is refused.
      c.primary().drain(CLUSTER, List.of(), 10001);
      expect(Errno.ENOSPC, "draining nodes [10001, 10002]", () -> c.primary().drain(CLUSTER, List.of(), 10002));
    }
  }

  @Test
  void drainSurvivesAPrimaryChange_andTheNewPrimaryFinishesIt() {
    try (TestCluster c = cluster(2, 4)) {
      c.call(s -> s.drain(CLUSTER, List.of(100010L), 0));
      settle(c, Map.of(), 3);
      long rep = status(c, 100010).replacementTargetId();
      assertTrue(rep != 0);

      MgmtdServer old = c.servers.removeFirst();
      old.close();
      // The standby takes over after the lease and its grace period; nodes keep beating meanwhile.
      for (long s = 0; s < TestCluster.LEASE.plus(TestCluster.GRACE).toSeconds() + 2; s++) {
        c.clock.advance(Duration.ofSeconds(1));
        c.tickAll();
        if (c.servers.getFirst().isPrimary()) {
          beat(c, Map.of(rep, ONLINE));
        }
      }
      assertEquals(rep, status(c, 100010).replacementTargetId(), "the new primary knows the move under way");
      settle(c, Map.of(rep, ONLINE), 3);
      settle(c, Map.of(), 3);
      assertTrue(status(c, 100010).done());
      assertEquals(List.of(100020L, 100030L, rep), c.routing().chain(1).orElseThrow().targetIds());
    }
  }
}
