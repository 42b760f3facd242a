package io.catena.common.cluster;

import java.util.Objects;

/**
 * A storage target: a slice of one disk of one storage node, member of at most one chain. The public state is the
 * one in its chain; local state and space are advisory (last heartbeat) and do not bump the routing version.
 * Immutable.
 *
 * @param chainId the chain it belongs to, 0 if none yet
 */
public record TargetInfo(long targetId, long nodeId, int diskIndex, long chainId, PublicTargetState publicState,
    LocalTargetState localState, long usedBytes, long capacityBytes) {

  public TargetInfo {
    if (targetId <= 0) {
      throw new IllegalArgumentException("target id must be positive: " + targetId);
    }
    if (nodeId <= 0) {
      throw new IllegalArgumentException("node id must be positive: " + nodeId);
    }
    if (diskIndex < 0) {
      throw new IllegalArgumentException("disk index must not be negative: " + diskIndex);
    }
    if (chainId < 0) {
      throw new IllegalArgumentException("chain id must not be negative: " + chainId);
    }
    Objects.requireNonNull(publicState, "publicState");
    Objects.requireNonNull(localState, "localState");
  }
}
