package io.catena.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** The goal tables {@code catena up} creates: ids and what it prints about them. */
class ClusterBootstrapTest {

  @Test
  void goalTables_areOnePerGoalUpToThreeOrTheNodes_andTheReplicationKeepsTable1() {
    assertEquals("1 (chain table 11), 2 (12), 3 (1, the default); see docs/goals.md",
        ClusterBootstrap.describeGoals(3, 3));
    assertEquals("1 (chain table 11), 2 (12), 3 (1, the default); see docs/goals.md",
        ClusterBootstrap.describeGoals(5, 3));
    assertEquals("1 (chain table 1, the default); see docs/goals.md", ClusterBootstrap.describeGoals(1, 1));
    assertEquals("1 (chain table 1, the default), 2 (12); see docs/goals.md", ClusterBootstrap.describeGoals(2, 1));
    assertEquals("1 (chain table 11), 2 (12), 3 (13), 4 (1, the default); see docs/goals.md",
        ClusterBootstrap.describeGoals(5, 4));
  }

  @Test
  void goalChainsAndTargets_neverCollideWithTable1s() {
    assertEquals(12, ClusterBootstrap.goalTableId(2));
    assertEquals(2003, ClusterBootstrap.goalChainId(2, 2));
    assertEquals(200302, ClusterBootstrap.targetId(ClusterBootstrap.goalChainId(2, 2), 1));
  }
}
