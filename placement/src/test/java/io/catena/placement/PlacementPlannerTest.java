package io.catena.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PlacementPlannerTest {

  @Test
  void sameParameters_writeIdenticalFiles(@TempDir Path dir) throws IOException {
    PlacementRequest req = PlacementRequest.of(12, 2, 4, 3);
    List<Path> first = PlacementFiles.write(PlacementPlanner.plan(req), dir.resolve("a"));
    List<Path> second = PlacementFiles.write(PlacementPlanner.plan(req), dir.resolve("b"));
    for (int i = 0; i < first.size(); i++) {
      assertEquals(Files.readString(first.get(i)), Files.readString(second.get(i)), first.get(i).toString());
    }
  }

  @Test
  void anotherSeed_givesAnotherPlacementThatIsAlsoBalanced() {
    PlacementRequest a = PlacementRequest.of(12, 2, 4, 3);
    PlacementRequest b = new PlacementRequest(12, 2, 4, 3, 10001, 1, 42);
    Placement pa = PlacementPlanner.plan(a);
    Placement pb = PlacementPlanner.plan(b);
    assertFalse(pa.chains().equals(pb.chains()));
    assertTrue(BalanceReport.of(pb).balanced(), BalanceReport.of(pb).toJson());
  }

  @Test
  void targetCountNotAMultipleOfReplication_isExplainedWithNearestFeasibleCounts() {
    InfeasiblePlacementException e =
        assertThrows(InfeasiblePlacementException.class, () -> PlacementPlanner.plan(PlacementRequest.of(5, 1, 2, 3)));
    assertTrue(e.getMessage().contains("10 targets cannot be grouped into chains of 3"), e.getMessage());
    List<PlacementRequest> nearest = e.infeasibility().nearest();
    assertTrue(nearest.contains(PlacementRequest.of(5, 1, 3, 3)), nearest.toString());
    assertTrue(nearest.contains(PlacementRequest.of(6, 1, 2, 3)), nearest.toString());
    nearest.forEach(r -> assertTrue(r.infeasibility().isEmpty(), r.toString()));
    assertTrue(e.getMessage().contains("--nodes 5 --disks-per-node 1 --targets-per-disk 3 --replication 3"));
  }

  @Test
  void replicationAboveNodeCount_isExplainedWithNearestFeasibleCounts() {
    var inf = PlacementRequest.of(2, 1, 3, 3).infeasibility().orElseThrow();
    assertTrue(inf.explanation().contains("replication 3 needs at least 3 storage nodes"), inf.explanation());
    assertEquals(List.of(PlacementRequest.of(3, 1, 3, 3), PlacementRequest.of(2, 1, 3, 2)), inf.nearest());
  }

  @Test
  void malformedParameters_areRejectedWithTheValue() {
    var e = assertThrows(IllegalArgumentException.class, () -> PlacementRequest.of(0, 1, 1, 1));
    assertEquals("nodes must be positive: 0", e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> PlacementRequest.of(3, 11, 1, 3));
    assertThrows(IllegalArgumentException.class, () -> PlacementRequest.of(3, 1, 100, 3));
    assertThrows(IllegalArgumentException.class, () -> new PlacementRequest(3, 1, 1, 3, 0, 1, 0));
  }

  @Test
  void files_describeEveryTargetOnceWithStructuredIds(@TempDir Path dir) throws IOException {
    PlacementRequest req = new PlacementRequest(7, 2, 3, 3, 20001, 4, 0);
    Placement p = PlacementPlanner.plan(req);
    PlacementFiles.write(p, dir);
    List<String> targets = Files.readAllLines(dir.resolve(PlacementFiles.TARGETS));
    List<String> chains = Files.readAllLines(dir.resolve(PlacementFiles.CHAINS));
    List<String> table = Files.readAllLines(dir.resolve(PlacementFiles.CHAIN_TABLE));
    assertEquals("target_id,node_id,disk_index,chain_id", targets.getFirst());
    assertEquals("chain_id,target_1,target_2,target_3", chains.getFirst());
    assertEquals("table_id,chain_id", table.getFirst());
    assertEquals(7 * 2 * 3 + 1, targets.size());
    assertEquals(14 + 1, chains.size());
    assertEquals(14 + 1, table.size());

    Map<Long, long[]> byTarget = new HashMap<>(); // target -> {node, disk, chain}
    for (String line : targets.subList(1, targets.size())) {
      String[] f = line.split(",");
      long target = Long.parseLong(f[0]);
      long node = Long.parseLong(f[1]);
      int disk = Integer.parseInt(f[2]);
      assertTrue(node >= 20001 && node <= 20007, line);
      assertEquals(node, target / 1000, line);
      assertEquals(disk, target % 1000 / 100, line);
      int index = (int) (target % 100);
      assertTrue(index >= 1 && index <= 3, line);
      byTarget.put(target, new long[] {node, disk, Long.parseLong(f[3])});
    }
    Set<Long> listed = new HashSet<>();
    for (int k = 1; k < chains.size(); k++) {
      String[] f = chains.get(k).split(",");
      long chainId = Long.parseLong(f[0]);
      assertEquals(4 * 100_000L + k, chainId, "chain ids follow table order");
      assertEquals("4," + chainId, table.get(k));
      Set<Long> nodes = new HashSet<>();
      for (int j = 1; j < f.length; j++) {
        long t = Long.parseLong(f[j]);
        assertTrue(listed.add(t), "target " + t + " in two chains");
        long[] info = byTarget.get(t);
        assertEquals(chainId, info[2], "targets.csv names the chain of " + t);
        nodes.add(info[0]);
      }
      assertEquals(3, nodes.size(), chains.get(k));
    }
    assertEquals(byTarget.keySet(), listed);
  }

  @Test
  void report_detectsAnUnevenPlacement() {
    // Four nodes, R=2, each node in two chains: a double edge 1-2 and 3-4 leaves 1-3 etc. at zero.
    PlacementRequest req = PlacementRequest.of(4, 1, 2, 2);
    List<Placement.Chain> chains = List.of(
        chain(1, 10001, 10002), chain(2, 10001, 10002), chain(3, 10003, 10004), chain(4, 10003, 10004));
    List<Placement.Target> targets = chains.stream().flatMap(c -> c.targetIds().stream()
        .map(t -> new Placement.Target(t, t / 1000, 0, c.chainId()))).toList();
    BalanceReport b = BalanceReport.of(new Placement(req, chains, targets));
    assertEquals(0, b.pairLambdaMin());
    assertEquals(2, b.pairLambdaMax());
    assertEquals(2, b.recoverySpreadMax());
    assertFalse(b.balanced());
    assertTrue(b.toJson().contains("\"recoverySpreadMax\":2"), b.toJson());
  }

  @Test
  void replicationEqualToNodeCount_putsEveryNodeInEveryChain() {
    Placement p = PlacementPlanner.plan(PlacementRequest.of(3, 1, 4, 3));
    BalanceReport b = BalanceReport.of(p);
    assertEquals(4, b.pairLambdaMin());
    assertEquals(4, b.pairLambdaMax());
    assertTrue(b.balanced());
  }

  @Test
  void largerCluster_plansInAFewSeconds() {
    long start = System.nanoTime();
    BalanceReport b = BalanceReport.of(PlacementPlanner.plan(PlacementRequest.of(20, 4, 9, 3)));
    long millis = (System.nanoTime() - start) / 1_000_000;
    assertTrue(b.balanced(), b.toJson());
    assertTrue(millis < 5_000, millis + " ms");
  }

  private static Placement.Chain chain(long id, long... nodes) {
    List<Long> ids = new java.util.ArrayList<>();
    for (long n : nodes) {
      ids.add(Placement.targetId(n, 0, (int) (id)));
    }
    return new Placement.Chain(id, ids, java.util.Arrays.stream(nodes).boxed().toList());
  }
}
