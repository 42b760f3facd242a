package io.catena.mgmtd;

import java.util.List;
import java.util.Optional;

/**
 * What a node learns from a heartbeat: the current routing version (refetch when newer than yours), a newer config
 * for its type if there is one, and commands. Immutable.
 */
public record HeartbeatReply(long routingVersion, Optional<VersionedConfig> newerConfig, List<NodeCommand> commands) {
  public HeartbeatReply {
    commands = List.copyOf(commands);
  }
}
