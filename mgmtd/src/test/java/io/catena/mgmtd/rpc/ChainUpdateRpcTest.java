package io.catena.mgmtd.rpc;

import static io.catena.mgmtd.rpc.RpcCluster.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetSpec;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** update-chain and remove-target over real loopback sockets: results and errnos survive the wire. */
class ChainUpdateRpcTest {

  @Test
  void updateChainAndRemoveTarget_roundTrip_withTheirErrnos() {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService s = c.client().service();
      for (long n = 1001; n <= 1003; n++) {
        s.registerNode(new RegisterRequest(CLUSTER, n, NodeType.STORAGE, "tcp://127.0.0.1:" + n, 1));
      }
      s.createTargets(CLUSTER, List.of(new TargetSpec(11, 1001, 0), new TargetSpec(21, 1002, 0),
          new TargetSpec(31, 1003, 0)));
      s.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(11L, 21L))));

      ChainInfo added = s.updateChain(CLUSTER, ChainUpdate.add(1, 31));
      assertEquals(List.of(11L, 21L, 31L), added.targetIds());
      assertEquals(PublicTargetState.WAITING, added.stateOf(31).orElseThrow());
      ChainInfo removed = s.updateChain(CLUSTER, ChainUpdate.remove(1, 31));
      assertEquals(List.of(11L, 21L), removed.targetIds());
      assertEquals(Optional.empty(), s.removeTarget(CLUSTER, 31));

      CatenaException e = assertThrows(CatenaException.class, () -> s.removeTarget(CLUSTER, 11));
      assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
      e = assertThrows(CatenaException.class, () -> s.updateChain(CLUSTER, ChainUpdate.add(1, 31)));
      assertEquals(Errno.ENOENT, e.errno(), e.getMessage());
      assertTrue(e.getMessage().contains("unknown target 31"), e.getMessage());
    }
  }
}
