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
 * Routing vouches for a replica's data only when it puts the replica back into service: a routing that merely keeps
 * showing it SERVING must not undo mgmtd's STOP_SERVING_TARGET (a drained replica would serve reads again).
 */
class TargetStatesTest {

  private static RoutingInfo routing(long version, PublicTargetState replacement) {
    ChainInfo c = new ChainInfo(1, version, List.of(new ChainTarget(101, PublicTargetState.SERVING),
        new ChainTarget(205, replacement)));
    return new RoutingInfo(version, "c", List.of(
        new NodeInfo(1, NodeType.STORAGE, "tcp://a:1", NodeStatus.ALIVE, 1, 0, 0, ""),
        new NodeInfo(2, NodeType.STORAGE, "tcp://b:1", NodeStatus.ALIVE, 1, 0, 0, "")),
        List.of(new TargetInfo(101, 1, 0, 1, PublicTargetState.SERVING, LocalTargetState.UPTODATE, 0, 0),
            new TargetInfo(205, 2, 0, 1, replacement, LocalTargetState.ONLINE, 0, 0)),
        List.of(c), List.of());
  }

  @Test
  void onlyTheTransitionIntoServingMakesAReplicaUpToDate(@TempDir Path disk) {
    try (TargetManager targets = new TargetManager(List.of(disk), Harness.config(), Clock.systemUTC())) {
      TargetAdopter.adopt(targets, 2, routing(5, PublicTargetState.WAITING));
      Target t = targets.get(205).orElseThrow();
      TargetStates states = new TargetStates(targets, null);

      states.onRouting(routing(5, PublicTargetState.WAITING));
      assertFalse(t.upToDate(), "waiting for a sync");
      states.onRouting(routing(6, PublicTargetState.SERVING));
      assertTrue(t.upToDate(), "put into service after the sync");
      assertEquals(LocalTargetState.UPTODATE, TargetStates.localState(t));

      t.setUpToDate(false); // what STOP_SERVING_TARGET does before the replica leaves its chain
      states.onRouting(routing(6, PublicTargetState.SERVING));
      states.onRouting(routing(7, PublicTargetState.SERVING));
      assertFalse(t.upToDate(), "a routing still showing SERVING revived a replica told to stop serving");
      assertEquals(LocalTargetState.ONLINE, TargetStates.localState(t));

      states.onRouting(routing(8, PublicTargetState.OFFLINE));
      states.onRouting(routing(9, PublicTargetState.SERVING));
      assertTrue(t.upToDate(), "put back into service again");
    }
  }
}
