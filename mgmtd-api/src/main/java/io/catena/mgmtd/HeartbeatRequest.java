package io.catena.mgmtd;

import java.util.List;
import java.util.Objects;

/**
 * A periodic liveness report. {@code heartbeatVersion} grows with every heartbeat of one incarnation, so a delayed
 * or duplicated heartbeat is refused instead of overwriting newer state. {@code configVersion} and
 * {@code configStatus} say which config version the node runs and how applying it went ("" when fine). Immutable.
 */
public record HeartbeatRequest(String clusterId, long nodeId, long incarnation, long heartbeatVersion,
    long configVersion, String configStatus, List<TargetReport> targets) {
  public HeartbeatRequest {
    Objects.requireNonNull(clusterId, "clusterId");
    configStatus = configStatus == null ? "" : configStatus;
    targets = List.copyOf(targets);
  }
}
