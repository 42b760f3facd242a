package io.catena.placement;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Balance figures of a placement, computed from its chains alone (so they also check the planner): chains shared
 * by node pairs (λ), targets and heads per node, targets per disk, and for each node the recovery spread, i.e. how
 * unevenly the reads of its chains move to its peers when it fails (max_v λ(u,v) - min_v λ(u,v)). Immutable.
 */
public record BalanceReport(int nodes, int replication, int chains, int targets, int pairLambdaMin, int pairLambdaMax,
    double pairLambdaIdeal, int targetsPerNodeMin, int targetsPerNodeMax, int targetsPerDiskMin,
    int targetsPerDiskMax, int headsPerNodeMin, int headsPerNodeMax, int recoverySpreadMax, List<NodeBalance> perNode) {

  public BalanceReport {
    perNode = List.copyOf(perNode);
  }

  /** One node: its targets and heads, and the chains it shares with its least and most shared peer. */
  public record NodeBalance(long nodeId, int targets, int heads, int peerLambdaMin, int peerLambdaMax) {
    /** Reads that move to the most loaded peer minus to the least loaded one when this node fails, in chains. */
    public int recoverySpread() {
      return peerLambdaMax - peerLambdaMin;
    }
  }

  public static BalanceReport of(Placement p) {
    PlacementRequest req = p.request();
    int n = req.nodes();
    long begin = req.nodeIdBegin();
    int[][] lambda = new int[n][n];
    int[] targets = new int[n];
    int[] heads = new int[n];
    Map<Long, Integer> perDisk = new HashMap<>();
    for (Placement.Chain c : p.chains()) {
      List<Long> ids = c.nodeIds();
      heads[(int) (c.headNodeId() - begin)]++;
      for (int i = 0; i < ids.size(); i++) {
        for (int j = i + 1; j < ids.size(); j++) {
          int u = (int) (ids.get(i) - begin);
          int v = (int) (ids.get(j) - begin);
          lambda[u][v]++;
          lambda[v][u]++;
        }
      }
    }
    for (Placement.Target t : p.targets()) {
      targets[(int) (t.nodeId() - begin)]++;
      perDisk.merge(t.nodeId() * PlacementRequest.MAX_DISKS_PER_NODE + t.diskIndex(), 1, Integer::sum);
    }
    int pairMin = Integer.MAX_VALUE;
    int pairMax = 0;
    int spreadMax = 0;
    List<NodeBalance> nodes = new ArrayList<>(n);
    for (int u = 0; u < n; u++) {
      int min = Integer.MAX_VALUE;
      int max = 0;
      for (int v = 0; v < n; v++) {
        if (v != u) {
          min = Math.min(min, lambda[u][v]);
          max = Math.max(max, lambda[u][v]);
        }
      }
      if (n == 1) {
        min = 0;
      }
      pairMin = Math.min(pairMin, min);
      pairMax = Math.max(pairMax, max);
      spreadMax = Math.max(spreadMax, max - min);
      nodes.add(new NodeBalance(begin + u, targets[u], heads[u], min, max));
    }
    long pairs = (long) n * (n - 1) / 2;
    int r = req.replication();
    double ideal = pairs == 0 ? 0 : (double) p.chains().size() * r * (r - 1) / 2 / pairs;
    // Disks without any target count as zero.
    int diskMin = perDisk.size() < (long) n * req.disksPerNode() ? 0
        : perDisk.values().stream().mapToInt(Integer::intValue).min().orElse(0);
    int diskMax = perDisk.values().stream().mapToInt(Integer::intValue).max().orElse(0);
    return new BalanceReport(n, r, p.chains().size(), p.targets().size(), pairMin, pairMax, ideal,
        min(targets), max(targets), diskMin, diskMax, min(heads), max(heads), spreadMax, nodes);
  }

  private static int min(int[] a) {
    int m = Integer.MAX_VALUE;
    for (int x : a) {
      m = Math.min(m, x);
    }
    return m;
  }

  private static int max(int[] a) {
    int m = 0;
    for (int x : a) {
      m = Math.max(m, x);
    }
    return m;
  }

  /** Whether pair counts, targets, heads and every node's recovery spread differ by at most one. */
  public boolean balanced() {
    return pairLambdaMax - pairLambdaMin <= 1 && targetsPerNodeMax == targetsPerNodeMin
        && targetsPerDiskMax == targetsPerDiskMin && headsPerNodeMax - headsPerNodeMin <= 1 && recoverySpreadMax <= 1;
  }

  /** The report for people: a summary and one line per node. */
  public String toText() {
    StringBuilder sb = new StringBuilder();
    sb.append(String.format("chains                %d (replication %d, %d targets)%n", chains, replication, targets));
    sb.append(String.format("targets per node      %s%n", range(targetsPerNodeMin, targetsPerNodeMax)));
    sb.append(String.format("targets per disk      %s%n", range(targetsPerDiskMin, targetsPerDiskMax)));
    sb.append(String.format("chains per node pair  min %d, max %d (ideal %.2f)%n", pairLambdaMin, pairLambdaMax,
        pairLambdaIdeal));
    sb.append(String.format("heads per node        min %d, max %d%n", headsPerNodeMin, headsPerNodeMax));
    sb.append(String.format("recovery spread       max %d chain(s) between the peers of a failed node%n",
        recoverySpreadMax));
    sb.append(String.format("balanced              %s%n", balanced() ? "yes" : "no"));
    sb.append(String.format("%n%-10s %8s %6s %14s %14s%n", "node", "targets", "heads", "peer chains", "recovery"));
    for (NodeBalance b : perNode) {
      sb.append(String.format("%-10d %8d %6d %14s %14s%n", b.nodeId(), b.targets(), b.heads(),
          b.peerLambdaMin() + ".." + b.peerLambdaMax(), "spread " + b.recoverySpread()));
    }
    return sb.toString();
  }

  private static String range(int min, int max) {
    return min == max ? Integer.toString(min) : "min " + min + ", max " + max;
  }

  /** The report as one JSON object (keys in camelCase, per-node entries under "perNode"). */
  public String toJson() {
    StringBuilder sb = new StringBuilder("{");
    sb.append("\"nodes\":").append(nodes).append(',');
    sb.append("\"replication\":").append(replication).append(',');
    sb.append("\"chains\":").append(chains).append(',');
    sb.append("\"targets\":").append(targets).append(',');
    sb.append("\"pairLambdaMin\":").append(pairLambdaMin).append(',');
    sb.append("\"pairLambdaMax\":").append(pairLambdaMax).append(',');
    sb.append("\"pairLambdaIdeal\":").append(String.format(java.util.Locale.ROOT, "%.4f", pairLambdaIdeal))
        .append(',');
    sb.append("\"targetsPerNodeMin\":").append(targetsPerNodeMin).append(',');
    sb.append("\"targetsPerNodeMax\":").append(targetsPerNodeMax).append(',');
    sb.append("\"targetsPerDiskMin\":").append(targetsPerDiskMin).append(',');
    sb.append("\"targetsPerDiskMax\":").append(targetsPerDiskMax).append(',');
    sb.append("\"headsPerNodeMin\":").append(headsPerNodeMin).append(',');
    sb.append("\"headsPerNodeMax\":").append(headsPerNodeMax).append(',');
    sb.append("\"recoverySpreadMax\":").append(recoverySpreadMax).append(',');
    sb.append("\"balanced\":").append(balanced()).append(',');
    sb.append("\"perNode\":[");
    for (int i = 0; i < perNode.size(); i++) {
      NodeBalance b = perNode.get(i);
      if (i > 0) {
        sb.append(',');
      }
      sb.append("{\"nodeId\":").append(b.nodeId()).append(",\"targets\":").append(b.targets())
          .append(",\"heads\":").append(b.heads()).append(",\"peerLambdaMin\":").append(b.peerLambdaMin())
          .append(",\"peerLambdaMax\":").append(b.peerLambdaMax()).append(",\"recoverySpread\":")
          .append(b.recoverySpread()).append('}');
    }
    sb.append("]}");
    return sb.toString();
  }
}
