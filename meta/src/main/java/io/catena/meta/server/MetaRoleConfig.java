package io.catena.meta.server;

import io.catena.common.config.Key;

/** Keys of the standalone meta process ({@code catena meta}). Immutable constants. */
public final class MetaRoleConfig {
  private MetaRoleConfig() {}

  public static final Key<String> LISTEN = Key.address("meta.listen").defaultValue("tcp://127.0.0.1:8100")
      .doc("Address this meta process serves RPC on; nothing else is listened on. Port 0 picks a free port.");

  public static final Key<Long> NODE_ID = Key.longInteger("meta.node_id").defaultValue("100").range("1", "9999")
      .doc("This meta process's node id, unique in the cluster (100-999 by convention).");
}
