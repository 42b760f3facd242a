package io.catena.mgmtd;

import io.catena.common.cluster.NodeType;
import java.util.Objects;

/**
 * A node announcing itself. {@code incarnation} is chosen by the node at process start and must grow across
 * restarts (e.g. start time in ms): a new incarnation tells mgmtd the node restarted, so its targets must be seen
 * offline before they serve or sync again. Immutable.
 */
public record RegisterRequest(String clusterId, long nodeId, NodeType type, String address, long incarnation) {
  public RegisterRequest {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(address, "address");
  }
}
