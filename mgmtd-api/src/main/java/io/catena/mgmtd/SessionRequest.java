package io.catena.mgmtd;

import io.catena.common.cluster.NodeType;
import java.util.Objects;

/** A client creating or extending its session; the first call creates it. Immutable. */
public record SessionRequest(String clusterId, String clientId, NodeType type, String host, String description) {
  public SessionRequest {
    Objects.requireNonNull(clusterId, "clusterId");
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(type, "type");
  }
}
