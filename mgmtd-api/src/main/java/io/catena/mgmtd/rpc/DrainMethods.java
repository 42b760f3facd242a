package io.catena.mgmtd.rpc;

import io.catena.mgmtd.DrainState;
import io.catena.mgmtd.proto.ClusterRequest;
import io.catena.mgmtd.proto.DrainRequest;
import io.catena.mgmtd.proto.DrainStateList;
import io.catena.mgmtd.proto.DrainStateMsg;
import io.catena.rpc.MethodDescriptor;
import java.util.List;

/**
 * The wire addresses of {@link io.catena.mgmtd.DrainService}: methods of mgmtd's service (id 1) from 60 up, apart
 * from MgmtdMethods' own range so both grow without clashing; admin-only (MgmtdAccess's default). Immutable.
 */
public final class DrainMethods {
  private DrainMethods() {}

  public static final MethodDescriptor<DrainRequest, DrainStateList> DRAIN = MethodDescriptor.of(
      MgmtdMethods.SERVICE_ID, 60, MgmtdMethods.SERVICE_NAME + "/Drain", DrainRequest.getDefaultInstance(),
      DrainStateList.getDefaultInstance());
  public static final MethodDescriptor<DrainRequest, DrainStateList> CANCEL_DRAIN = MethodDescriptor.of(
      MgmtdMethods.SERVICE_ID, 61, MgmtdMethods.SERVICE_NAME + "/CancelDrain", DrainRequest.getDefaultInstance(),
      DrainStateList.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, DrainStateList> DRAIN_STATUS = MethodDescriptor.of(
      MgmtdMethods.SERVICE_ID, 62, MgmtdMethods.SERVICE_NAME + "/DrainStatus", ClusterRequest.getDefaultInstance(),
      DrainStateList.getDefaultInstance());

  public static DrainRequest request(String clusterId, List<Long> targetIds, long nodeId) {
    return DrainRequest.newBuilder().setClusterId(clusterId).addAllTargetIds(targetIds).setNodeId(nodeId).build();
  }

  public static DrainStateList toMsg(List<DrainState> states) {
    DrainStateList.Builder b = DrainStateList.newBuilder();
    for (DrainState s : states) {
      b.addStates(DrainStateMsg.newBuilder().setTargetId(s.targetId()).setNodeId(s.nodeId()).setChainId(s.chainId())
          .setReplacementTargetId(s.replacementTargetId()).setReplacementState(s.replacementState())
          .setSourceUsedBytes(s.sourceUsedBytes()).setReplacementUsedBytes(s.replacementUsedBytes())
          .setMarkedAtMillis(s.markedAtMillis()).setBlockedReason(s.blockedReason()));
    }
    return b.build();
  }

  public static List<DrainState> fromMsg(DrainStateList m) {
    return m.getStatesList().stream().map(s -> new DrainState(s.getTargetId(), s.getNodeId(), s.getChainId(),
        s.getReplacementTargetId(), s.getReplacementState(), s.getSourceUsedBytes(), s.getReplacementUsedBytes(),
        s.getMarkedAtMillis(), s.getBlockedReason())).toList();
  }
}
