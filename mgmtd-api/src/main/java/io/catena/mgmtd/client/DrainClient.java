package io.catena.mgmtd.client;

import io.catena.mgmtd.DrainService;
import io.catena.mgmtd.DrainState;
import io.catena.mgmtd.proto.ClusterRequest;
import io.catena.mgmtd.rpc.DrainMethods;
import java.util.List;
import java.util.Objects;

/**
 * {@link DrainService} over RPC through a {@link MgmtdClient} (its redirects, failover and retries). Marking and
 * unmarking are idempotent, so retries are safe. Thread-safe; the MgmtdClient is borrowed.
 */
public final class DrainClient implements DrainService {
  private final MgmtdClient mgmtd;

  public DrainClient(MgmtdClient mgmtd) {
    this.mgmtd = Objects.requireNonNull(mgmtd, "mgmtd");
  }

  @Override
  public List<DrainState> drain(String clusterId, List<Long> targetIds, long nodeId) {
    return DrainMethods.fromMsg(mgmtd.call(DrainMethods.DRAIN, DrainMethods.request(clusterId, targetIds, nodeId)));
  }

  @Override
  public List<DrainState> cancelDrain(String clusterId, List<Long> targetIds, long nodeId) {
    return DrainMethods.fromMsg(mgmtd.call(DrainMethods.CANCEL_DRAIN,
        DrainMethods.request(clusterId, targetIds, nodeId)));
  }

  @Override
  public List<DrainState> drainStatus(String clusterId) {
    return DrainMethods.fromMsg(mgmtd.call(DrainMethods.DRAIN_STATUS,
        ClusterRequest.newBuilder().setClusterId(clusterId).build()));
  }
}
