package io.catena.mgmtd;

import java.util.List;

/** An operator's request to create a chain from targets, in chain order. Immutable. */
public record ChainSpec(long chainId, List<Long> targetIds) {
  public ChainSpec {
    targetIds = List.copyOf(targetIds);
  }
}
