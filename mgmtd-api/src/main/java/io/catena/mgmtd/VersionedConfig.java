package io.catena.mgmtd;

import io.catena.common.cluster.NodeType;
import java.util.Objects;

/** One stored version of the config text (TOML) for one node type. Versions start at 1. Immutable. */
public record VersionedConfig(NodeType type, long version, String toml) {
  public VersionedConfig {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(toml, "toml");
    if (version <= 0) {
      throw new IllegalArgumentException("config version must be positive: " + version);
    }
  }
}
