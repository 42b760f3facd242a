package io.catena.mgmtd;

import io.catena.common.cluster.LocalTargetState;
import java.util.Objects;

/**
 * One target's part of a storage heartbeat: its local state, the chain version the node last saw for the target's
 * chain (an UPTODATE made at an older version is treated as ONLINE), and its space. Immutable.
 */
public record TargetReport(long targetId, LocalTargetState state, long chainVersion, long usedBytes,
    long capacityBytes) {
  public TargetReport {
    Objects.requireNonNull(state, "state");
  }
}
