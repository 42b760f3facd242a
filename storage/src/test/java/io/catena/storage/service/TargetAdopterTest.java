package io.catena.storage.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storage node creates the WAITING or OFFLINE members mgmtd placed on it (a drain's replacement), empty and not up
 * to date so they report ONLINE and get synced; a missing LASTSRV member stays missing.
 */
class TargetAdopterTest {

  private static TargetInfo target(long id, long node, long chain) {
    return new TargetInfo(id, node, 0, chain, PublicTargetState.SERVING, LocalTargetState.UPTODATE, 0, 0);
  }

  @Test
  void createsOnlyItsMissingWaitingMembers_emptyAndNotUpToDate(@TempDir Path disk) {
    try (TargetManager targets = new TargetManager(List.of(disk), Harness.config(), Clock.systemUTC())) {
      ChainInfo c1 = new ChainInfo(1, 4, List.of(new ChainTarget(101, PublicTargetState.SERVING),
          new ChainTarget(205, PublicTargetState.WAITING)));
      ChainInfo c2 = new ChainInfo(2, 3, List.of(new ChainTarget(201, PublicTargetState.SERVING),
          new ChainTarget(206, PublicTargetState.OFFLINE), new ChainTarget(207, PublicTargetState.WAITING),
          new ChainTarget(208, PublicTargetState.LASTSRV)));
      RoutingInfo r = new RoutingInfo(9, "c", List.of(
          new NodeInfo(1, NodeType.STORAGE, "tcp://a:1", NodeStatus.ALIVE, 1, 0, 0, ""),
          new NodeInfo(2, NodeType.STORAGE, "tcp://b:1", NodeStatus.ALIVE, 1, 0, 0, "")),
          List.of(target(101, 1, 1), target(205, 2, 1), target(201, 1, 2), target(206, 2, 2), target(207, 1, 2),
              target(208, 2, 2)),
          List.of(c1, c2), List.of());

      // Node 2 lacks 205 (WAITING) and 206 (OFFLINE): created, to be synced; 208 (LASTSRV) must not be.
      assertEquals(List.of(205L, 206L), TargetAdopter.adopt(targets, 2, r));
      Target made = targets.get(205).orElseThrow();
      assertEquals(1, made.chainId());
      assertFalse(made.upToDate());
      assertEquals(LocalTargetState.ONLINE, TargetStates.localState(made));
      assertTrue(targets.get(208).isEmpty(), "an empty lastsrv would vouch for data it lacks");
      assertTrue(targets.get(207).isEmpty(), "another node's member");
      assertEquals(List.of(), TargetAdopter.adopt(targets, 2, r), "once only");
    }
  }
}
