package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Goals and chain tables: the goal of a table is the number of replicas of its chains (in its newest version), and
 * goal N is served by the lowest-numbered table whose chains all have N replicas. Read from routing info each time
 * (tables change rarely and routing is a snapshot). Thread-safe: stateless over a thread-safe supplier.
 */
public final class GoalTables {
  /** MooseFS's goals run 1..9; more replicas than that is a mistake. */
  public static final int MAX_GOAL = 9;

  private final Supplier<RoutingInfo> routing;

  public GoalTables(Supplier<RoutingInfo> routing) {
    this.routing = routing;
  }

  /** The goal of table {@code tableId}, or 0 if it is unknown or its chains differ in replication. */
  public int goalOf(int tableId) {
    RoutingInfo r = routing.get();
    return r.latestChainTable(tableId).map(t -> replication(r, t)).orElse(0);
  }

  /** The table serving goal {@code goal}; EINVAL with what is wrong and what exists when there is none. */
  public int tableFor(int goal) {
    RoutingInfo r = routing.get();
    if (goal < 1 || goal > MAX_GOAL) {
      throw CatenaException.of(Errno.EINVAL, "goal %d is out of range 1..%d", goal, MAX_GOAL);
    }
    int nodes = r.nodesOfType(NodeType.STORAGE).size();
    if (goal > nodes) {
      throw CatenaException.of(Errno.EINVAL, "goal %d needs %d storage nodes, the cluster has %d", goal, goal, nodes);
    }
    TreeMap<Integer, Integer> goals = goalsByTable(r);
    Optional<Integer> table = goals.entrySet().stream().filter(e -> e.getValue() == goal).map(e -> e.getKey())
        .findFirst();
    return table.orElseThrow(() -> CatenaException.of(Errno.EINVAL, "no chain table has chains of %d replicas "
        + "(tables and their goals: %s); upload one with upload-chains and upload-chain-table", goal, goals));
  }

  private static TreeMap<Integer, Integer> goalsByTable(RoutingInfo r) {
    TreeMap<Integer, Integer> goals = new TreeMap<>();
    for (ChainTable t : r.chainTables()) {
      r.latestChainTable(t.tableId()).ifPresent(latest -> goals.put(latest.tableId(), replication(r, latest)));
    }
    goals.values().removeIf(g -> g == 0);
    return goals;
  }

  private static int replication(RoutingInfo r, ChainTable t) {
    int goal = -1;
    for (long chainId : t.chainIds()) {
      Optional<ChainInfo> c = r.chain(chainId);
      if (c.isEmpty()) {
        return 0;
      }
      int n = c.get().targets().size();
      if (goal != -1 && goal != n) {
        return 0;
      }
      goal = n;
    }
    return Math.max(goal, 0);
  }
}
