package io.catena.mgmtd;

import io.catena.common.cluster.NodeType;
import java.util.Objects;

/**
 * A client (FUSE mount or native client) kept alive by periodic extensions. Meta prunes the write sessions of
 * clients whose session is gone. Immutable.
 */
public record ClientSession(String clientId, NodeType type, String host, String description, long startMillis,
    long lastExtendMillis, long expiresAtMillis) {
  public ClientSession {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(type, "type");
    host = host == null ? "" : host;
    description = description == null ? "" : description;
  }
}
