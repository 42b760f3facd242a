package io.catena.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The balance and recovery-load properties over a grid of feasible parameters: N from R to 20, R in {2, 3},
 * D in {1, 2}, T in {1, 2, 4}. The properties are computed here from the chains themselves, not only through
 * {@link BalanceReport}, so a wrong report cannot hide a wrong placement.
 */
class PlacementGridTest {
  private static final List<Placement> PLACEMENTS = new ArrayList<>();
  private static long planMillis;

  @BeforeAll
  static void planGrid() {
    long start = System.nanoTime();
    for (int r : new int[] {2, 3}) {
      for (int d : new int[] {1, 2}) {
        for (int t : new int[] {1, 2, 4}) {
          for (int n = r; n <= 20; n++) {
            PlacementRequest req = PlacementRequest.of(n, d, t, r);
            if (req.infeasibility().isEmpty()) {
              PLACEMENTS.add(PlacementPlanner.plan(req));
            }
          }
        }
      }
    }
    planMillis = (System.nanoTime() - start) / 1_000_000;
    System.out.printf("grid: %d placements planned in %d ms%n", PLACEMENTS.size(), planMillis);
  }

  @Test
  void grid_coversEveryFeasiblePointAndPlansQuickly() {
    // 3*19 (R=2) + 3*18 (R=3) points per D; feasible where N*D*T is a multiple of R: all 114 for R=2, 27 for R=3.
    assertEquals(141, PLACEMENTS.size());
    assertTrue(planMillis < 15_000, "grid took " + planMillis + " ms");
  }

  @Test
  void everyNode_hostsTargetsPerDiskOnEachDisk_andChainsUseDistinctNodes() {
    for (Placement p : PLACEMENTS) {
      PlacementRequest req = p.request();
      Map<String, Integer> perDisk = new HashMap<>();
      for (Placement.Target t : p.targets()) {
        perDisk.merge(t.nodeId() + "/" + t.diskIndex(), 1, Integer::sum);
      }
      assertEquals(req.nodes() * req.disksPerNode(), perDisk.size(), req.toOptions());
      perDisk.values().forEach(c -> assertEquals(req.targetsPerDisk(), c, req.toOptions()));
      assertEquals(req.chains(), p.chains().size(), req.toOptions());
      for (Placement.Chain c : p.chains()) {
        assertEquals(req.replication(), new HashSet<>(c.nodeIds()).size(), req.toOptions() + " chain " + c);
      }
    }
  }

  @Test
  void everyPairOfNodes_sharesAlmostTheSameNumberOfChains() {
    List<String> failures = new ArrayList<>();
    for (Placement p : PLACEMENTS) {
      int[][] lambda = pairCounts(p);
      int min = Integer.MAX_VALUE;
      int max = Integer.MIN_VALUE;
      for (int u = 0; u < lambda.length; u++) {
        for (int v = u + 1; v < lambda.length; v++) {
          min = Math.min(min, lambda[u][v]);
          max = Math.max(max, lambda[u][v]);
        }
      }
      if (max - min > 1) {
        failures.add(p.request().toOptions() + ": pair counts " + min + ".." + max);
      }
    }
    assertEquals(List.of(), failures);
  }

  /**
   * Simulates the failure of each node: every chain that loses a replica sends its reads to its surviving members
   * (one chain's worth each), and the load the peers receive must differ by at most one chain.
   */
  @Test
  void nodeFailure_movesReadsEvenlyToItsPeers() {
    List<String> failures = new ArrayList<>();
    for (Placement p : PLACEMENTS) {
      long begin = p.request().nodeIdBegin();
      int n = p.request().nodes();
      for (int failed = 0; failed < n; failed++) {
        int[] moved = new int[n];
        for (Placement.Chain c : p.chains()) {
          if (c.nodeIds().contains(begin + failed)) {
            for (long survivor : c.nodeIds()) {
              if (survivor != begin + failed) {
                moved[(int) (survivor - begin)]++;
              }
            }
          }
        }
        int min = Integer.MAX_VALUE;
        int max = Integer.MIN_VALUE;
        for (int v = 0; v < n; v++) {
          if (v != failed) {
            min = Math.min(min, moved[v]);
            max = Math.max(max, moved[v]);
          }
        }
        if (n > 1 && max - min > 1) {
          failures.add(p.request().toOptions() + ": node " + (begin + failed) + " moves " + min + ".." + max);
        }
      }
    }
    assertEquals(List.of(), failures);
  }

  @Test
  void heads_areSpreadOverNodesWithinOne() {
    for (Placement p : PLACEMENTS) {
      Map<Long, Integer> heads = new HashMap<>();
      for (Placement.Chain c : p.chains()) {
        heads.merge(c.headNodeId(), 1, Integer::sum);
      }
      int n = p.request().nodes();
      int floor = p.chains().size() / n;
      int ceil = (p.chains().size() + n - 1) / n;
      for (int u = 0; u < n; u++) {
        int h = heads.getOrDefault(p.request().nodeIdBegin() + u, 0);
        assertTrue(h >= floor && h <= ceil, p.request().toOptions() + ": node " + u + " heads " + h);
      }
    }
  }

  @Test
  void report_agreesWithTheChains() {
    for (Placement p : PLACEMENTS) {
      BalanceReport b = BalanceReport.of(p);
      assertTrue(b.balanced(), p.request().toOptions() + ": " + b.toJson());
      assertEquals(p.request().targetsPerNode(), b.targetsPerNodeMin());
    }
  }

  @Test
  void chainTable_interleavesNodes_whenThereAreEnoughOfThem() {
    // With 3R nodes or more, at most a third of adjacent chains share a node (measured: 3 of 11 at N=9, R=3, T=4;
    // 1 of 31 at N=12, R=3, D=2, T=4; none from N=13). Fewer nodes may force overlaps: N=6, R=3 has a balanced
    // design only with pairwise intersecting chains.
    for (Placement p : PLACEMENTS) {
      if (p.request().nodes() < 3 * p.request().replication()) {
        continue;
      }
      List<Placement.Chain> cs = p.chains();
      int shared = 0;
      for (int k = 1; k < cs.size(); k++) {
        Set<Long> a = new HashSet<>(cs.get(k - 1).nodeIds());
        a.retainAll(cs.get(k).nodeIds());
        shared += a.isEmpty() ? 0 : 1;
      }
      assertTrue(shared * 3 <= cs.size() - 1, p.request().toOptions() + ": " + shared + " of " + (cs.size() - 1)
          + " adjacent chain pairs share a node");
    }
  }

  static int[][] pairCounts(Placement p) {
    int n = p.request().nodes();
    long begin = p.request().nodeIdBegin();
    int[][] lambda = new int[n][n];
    for (Placement.Chain c : p.chains()) {
      for (int i = 0; i < c.nodeIds().size(); i++) {
        for (int j = i + 1; j < c.nodeIds().size(); j++) {
          int u = (int) (c.nodeIds().get(i) - begin);
          int v = (int) (c.nodeIds().get(j) - begin);
          lambda[u][v]++;
          lambda[v][u]++;
        }
      }
    }
    return lambda;
  }
}
