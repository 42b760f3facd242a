package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code catena admin health}: one verdict from one routing snapshot: failed nodes, chains with fewer serving
 * members than members (under-replicated) or none (unavailable), and targets that are not serving.
 */
@Command(name = "health", sortOptions = false,
    description = {"Summarize the cluster's health: failed nodes, under-replicated and unavailable chains, "
        + "syncing, waiting, offline and lastsrv targets.",
        "With --wait, watch (progress on stderr) until the cluster is healthy, e.g. while targets resync."},
    footer = {"%nExit codes: 0 healthy, 1 degraded (something above is listed), 2 cluster unreachable or the check "
        + "failed (e.g. token refused), or bad usage."})
final class HealthCommand extends AdminCall.Remote {
  static final int HEALTHY = 0;
  static final int DEGRADED = 1;
  static final int UNREACHABLE = 2;

  @Option(names = "--wait", description = "poll until healthy (or --wait-timeout)")
  boolean await;

  @CommandLine.Mixin
  WaitTimeout waitTimeout;

  /** The verdict of one snapshot. */
  record Report(RoutingInfo routing, List<NodeInfo> failedNodes, List<ChainInfo> underReplicated,
      List<ChainInfo> unavailable, Map<PublicTargetState, List<Long>> targets) {
    boolean healthy() {
      return failedNodes.isEmpty() && underReplicated.isEmpty() && unavailable.isEmpty()
          && targets.values().stream().allMatch(List::isEmpty);
    }

    String summary() {
      return failedNodes.size() + " failed nodes, " + underReplicated.size() + " under-replicated and "
          + unavailable.size() + " unavailable chains, " + targets.get(PublicTargetState.SYNCING).size()
          + " syncing, " + targets.get(PublicTargetState.WAITING).size() + " waiting, "
          + targets.get(PublicTargetState.OFFLINE).size() + " offline targets";
    }
  }

  static Report assess(RoutingInfo r) {
    List<NodeInfo> failed = r.nodes().stream().filter(n -> n.status() == NodeStatus.FAILED)
        .sorted(Comparator.comparingLong(NodeInfo::nodeId)).toList();
    List<ChainInfo> under = new ArrayList<>();
    List<ChainInfo> unavailable = new ArrayList<>();
    Map<PublicTargetState, List<Long>> targets = new EnumMap<>(PublicTargetState.class);
    for (PublicTargetState s : List.of(PublicTargetState.SYNCING, PublicTargetState.WAITING,
        PublicTargetState.OFFLINE, PublicTargetState.LASTSRV)) {
      targets.put(s, new ArrayList<>());
    }
    for (ChainInfo c : r.chains().stream().sorted(Comparator.comparingLong(ChainInfo::chainId)).toList()) {
      int serving = c.targetsIn(PublicTargetState.SERVING).size();
      if (serving == 0) {
        unavailable.add(c);
      } else if (serving < c.targets().size()) {
        under.add(c);
      }
      for (var m : c.targets()) {
        List<Long> l = targets.get(m.state());
        if (l != null) {
          l.add(m.targetId());
        }
      }
    }
    return new Report(r, failed, under, unavailable, targets);
  }

  @Override
  int exitCode(CatenaException e) {
    return UNREACHABLE;
  }

  @Override
  int run(AdminSession s) throws InterruptedException {
    Report rep = assess(s.routing());
    io.catena.meta.goal.GoalStatus goals = GoalCommands.status(s);
    if (await) {
      Duration timeout = waitTimeout.duration();
      long end = System.nanoTime() + timeout.toNanos();
      long start = System.nanoTime();
      String last = null;
      while ((!rep.healthy() || underGoal(goals)) && System.nanoTime() < end) {
        String now = rep.summary() + "; " + GoalCommands.summary(goals);
        if (!now.equals(last)) {
          err().printf("health: %s (%ds)%n", now, (System.nanoTime() - start) / 1_000_000_000L);
          err().flush();
          last = now;
        }
        Thread.sleep(1000); // polling mgmtd's routing with a deadline: states change with heartbeats
        rep = assess(s.routing());
        goals = GoalCommands.status(s);
      }
    }
    List<io.catena.mgmtd.DrainState> drains = DrainMarks.states(s);
    Map<String, Object> doc = doc(s.clusterId(), rep);
    doc.put("draining", drains.stream().map(DrainCommand::view).toList());
    doc.put("goals", GoalCommands.doc(goals));
    if (underGoal(goals)) {
      doc.put("status", "degraded");
    }
    Table table = table(s.clusterId(), rep);
    if (!drains.isEmpty()) {
      // A drain is work in progress, not a fault: it shows, but the verdict is the chains'.
      table.footer(DrainCommand.summary(drains) + " (drain --status)");
    }
    table.footer(GoalCommands.summary(goals));
    print(json(), doc, table);
    return rep.healthy() && !underGoal(goals) ? HEALTHY : DEGRADED;
  }

  /** Files moving to more copies than they have are below their goal until the move ends. */
  private static boolean underGoal(io.catena.meta.goal.GoalStatus g) {
    return g != null && g.underGoalFiles() > 0;
  }

  private static Map<String, Object> doc(String cluster, Report rep) {
    RoutingInfo r = rep.routing();
    Map<String, Object> targets = Views.obj();
    rep.targets().forEach((k, v) -> targets.put(k.name().toLowerCase(), v));
    return Views.obj("cluster_id", cluster, "status", rep.healthy() ? "healthy" : "degraded",
        "routing_version", r.version(),
        "nodes", Views.obj("total", r.nodes().size(), "failed", rep.failedNodes().stream().map(Views::node).toList()),
        "chains", Views.obj("total", r.chains().size(),
            "under_replicated", rep.underReplicated().stream().map(Views::chain).toList(),
            "unavailable", rep.unavailable().stream().map(Views::chain).toList()),
        "targets", Views.obj("total", r.targets().size(), "not_serving", targets));
  }

  private static Table table(String cluster, Report rep) {
    RoutingInfo r = rep.routing();
    Table t = new Table("PROBLEM", "ID", "DETAIL");
    for (NodeInfo n : rep.failedNodes()) {
      t.row("failed node", n.nodeId(), n.type() + " at " + n.address() + ", last heartbeat "
          + Views.time(n.lastHeartbeatMillis()));
    }
    for (ChainInfo c : rep.unavailable()) {
      t.row("unavailable chain", c.chainId(), "nothing serving: " + Views.members(c));
    }
    for (ChainInfo c : rep.underReplicated()) {
      t.row("under-replicated chain", c.chainId(), c.targetsIn(PublicTargetState.SERVING).size() + "/"
          + c.targets().size() + " serving: " + Views.members(c));
    }
    rep.targets().forEach((state, ids) -> {
      for (long id : ids) {
        t.row(state.name().toLowerCase() + " target", id, "chain " + r.target(id).map(x -> x.chainId()).orElse(0L)
            + ", node " + Views.nodeOf(r, id));
      }
    });
    StringBuilder head = new StringBuilder();
    head.append("cluster ").append(cluster).append(": ").append(rep.healthy() ? "HEALTHY" : "DEGRADED")
        .append(" (routing v").append(r.version()).append(")");
    Table out = rep.healthy() ? new Table("NODES", "CHAINS", "TARGETS") : t;
    if (rep.healthy()) {
      out.row(r.nodes().size(), r.chains().size(), r.targets().size());
    }
    out.footer(head + ": " + rep.summary());
    return out;
  }
}
