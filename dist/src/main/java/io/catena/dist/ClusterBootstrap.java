package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.net.Address;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.storage.client.StorageClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * The first start of a single-machine cluster: targets on every storage node, chains of the requested replication
 * with their heads rotated over the nodes (so writes spread), and chain table 1 listing them; then, for every other
 * replication goal 1..min(3, nodes), a chain table {@link #goalTableId} of chains of that many replicas on targets
 * of their own (so moving a file between goals never puts an old and a new copy of a chunk on one target). Later
 * starts add goal tables that are missing (clusters made before goals existed) and wait for every chain to serve.
 * Stateless.
 */
final class ClusterBootstrap {
  static final int TABLE_ID = 1;
  /** Goals {@code catena up} makes chain tables for: 1 up to this (or the number of storage nodes). */
  static final int MAX_BOOTSTRAP_GOAL = 3;

  /** The chain table of goal {@code g} when it is not the default replication: 10 + g. */
  static int goalTableId(int goal) {
    return 10 + goal;
  }

  /** The goals {@code ensure} makes tables for, e.g. "1 (chain table 11), 2 (12), 3 (1, the default)". */
  static String describeGoals(int nodes, int replication) {
    StringBuilder b = new StringBuilder();
    for (int goal = 1; goal <= Math.max(replication, Math.min(MAX_BOOTSTRAP_GOAL, nodes)); goal++) {
      if (goal != replication && goal > Math.min(MAX_BOOTSTRAP_GOAL, nodes)) {
        continue;
      }
      boolean first = b.isEmpty();
      b.append(first ? "" : ", ").append(goal).append(first ? " (chain table " : " (")
          .append(goal == replication ? TABLE_ID + ", the default" : String.valueOf(goalTableId(goal))).append(')');
    }
    return b + "; see docs/goals.md";
  }

  /** Chain ids of goal tables: goal 2's third chain is 2003 (its targets 200301, 200302). */
  static long goalChainId(int goal, int index) {
    return 1000L * goal + index + 1;
  }

  private ClusterBootstrap() {}

  /** Target ids name their chain and position: chain 3's second replica is target 302. */
  static long targetId(long chainId, int position) {
    return chainId * 100 + position + 1;
  }

  static void ensure(MgmtdService mgmtd, String clusterId, RoutingCache routing, StorageClient storage,
      List<Long> nodeIds, int replication, int targetsPerNode, Duration timeout) throws InterruptedException {
    int n = nodeIds.size();
    if (replication < 1 || replication > n) {
      throw CatenaException.of(Errno.EINVAL, "replication %d needs between 1 and %d storage nodes", replication, n);
    }
    RoutingInfo r = await(routing, "all " + n + " storage nodes to register", timeout,
        info -> info.nodesOfType(NodeType.STORAGE).stream().map(NodeInfo::nodeId).collect(Collectors.toSet())
            .containsAll(nodeIds));
    if (r.latestChainTable(TABLE_ID).isEmpty()) {
      Map<Long, Address> addresses = r.nodesOfType(NodeType.STORAGE).stream()
          .collect(Collectors.toMap(NodeInfo::nodeId, x -> Address.parse(x.address())));
      int chains = Math.max(1, n * targetsPerNode / replication);
      List<TargetSpec> targets = new ArrayList<>();
      List<ChainSpec> chainSpecs = new ArrayList<>();
      List<Long> chainIds = new ArrayList<>();
      for (int c = 0; c < chains; c++) {
        long chainId = c + 1;
        List<Long> members = new ArrayList<>();
        for (int k = 0; k < replication; k++) {
          long node = nodeIds.get((c + k) % n);
          long target = targetId(chainId, k);
          targets.add(new TargetSpec(target, node, 0));
          members.add(target);
        }
        chainSpecs.add(new ChainSpec(chainId, members));
        chainIds.add(chainId);
      }
      // Storage first: a target mgmtd knows but its node does not yet hold would be reported missing by the next
      // heartbeat and start its life offline (then resync). Mgmtd ignores reports of targets it does not know.
      for (TargetSpec t : targets) {
        long chainId = t.targetId() / 100;
        try {
          storage.createTarget(addresses.get(t.nodeId()), t.targetId(), chainId, t.diskIndex())
              .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          throw new CatenaException(CatenaException.statusOf(e), e);
        }
      }
      mgmtd.createTargets(clusterId, targets);
      mgmtd.uploadChains(clusterId, chainSpecs);
      mgmtd.uploadChainTable(clusterId, TABLE_ID, chainIds);
    }
    for (int goal = 1; goal <= Math.min(MAX_BOOTSTRAP_GOAL, n); goal++) {
      if (goal != replication && r.latestChainTable(goalTableId(goal)).isEmpty()) {
        createGoalTable(mgmtd, clusterId, r, storage, nodeIds, goal, timeout);
      }
    }
    await(routing, "every chain to serve with all its replicas", timeout, ClusterBootstrap::allServing);
  }

  /** One chain per node (heads rotated) of {@code goal} replicas each, and their table. */
  private static void createGoalTable(MgmtdService mgmtd, String clusterId, RoutingInfo r, StorageClient storage,
      List<Long> nodeIds, int goal, Duration timeout) {
    Map<Long, Address> addresses = r.nodesOfType(NodeType.STORAGE).stream()
        .collect(Collectors.toMap(NodeInfo::nodeId, x -> Address.parse(x.address())));
    int n = nodeIds.size();
    List<TargetSpec> targets = new ArrayList<>();
    List<ChainSpec> chainSpecs = new ArrayList<>();
    List<Long> chainIds = new ArrayList<>();
    for (int c = 0; c < n; c++) {
      long chainId = goalChainId(goal, c);
      List<Long> members = new ArrayList<>();
      for (int k = 0; k < goal; k++) {
        long target = targetId(chainId, k);
        targets.add(new TargetSpec(target, nodeIds.get((c + k) % n), 0));
        members.add(target);
      }
      chainSpecs.add(new ChainSpec(chainId, members));
      chainIds.add(chainId);
    }
    for (TargetSpec t : targets) {
      try {
        storage.createTarget(addresses.get(t.nodeId()), t.targetId(), t.targetId() / 100, t.diskIndex())
            .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CatenaException.of(Errno.EINTR, "interrupted while creating the targets of goal %d", goal);
      } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
        throw new CatenaException(CatenaException.statusOf(e), e);
      }
    }
    mgmtd.createTargets(clusterId, targets);
    mgmtd.uploadChains(clusterId, chainSpecs);
    mgmtd.uploadChainTable(clusterId, goalTableId(goal), chainIds);
  }

  static boolean allServing(RoutingInfo info) {
    if (info.latestChainTable(TABLE_ID).isEmpty()) {
      return false;
    }
    for (var table : info.chainTables()) {
      for (long chainId : table.chainIds()) {
        ChainInfo c = info.chain(chainId).orElse(null);
        if (c == null || c.targetsIn(PublicTargetState.SERVING).size() != c.targets().size()) {
          return false;
        }
      }
    }
    return true;
  }

  static RoutingInfo await(RoutingCache routing, String what, Duration timeout, Predicate<RoutingInfo> done)
      throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    while (true) {
      RoutingInfo r = routing.refresh(routing.current().version());
      if (done.test(r)) {
        return r;
      }
      if (System.nanoTime() > end) {
        throw CatenaException.of(Errno.ETIMEDOUT, "timed out after %s waiting for %s", timeout, what);
      }
      Thread.sleep(200); // polling mgmtd's routing with a deadline; routing changes within a heartbeat
    }
  }
}
