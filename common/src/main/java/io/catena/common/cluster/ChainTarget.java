package io.catena.common.cluster;

import java.util.Objects;

/** One member of a chain: a target and its public state. Immutable. */
public record ChainTarget(long targetId, PublicTargetState state) {
  public ChainTarget {
    if (targetId <= 0) {
      throw new IllegalArgumentException("target id must be positive: " + targetId);
    }
    Objects.requireNonNull(state, "state");
  }
}
