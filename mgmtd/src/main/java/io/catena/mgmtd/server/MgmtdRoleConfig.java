package io.catena.mgmtd.server;

import io.catena.common.config.Key;
import io.catena.common.net.Address;

/** Keys of a standalone mgmtd process ({@code catena mgmtd}): where it listens and who it is. Immutable constants. */
public final class MgmtdRoleConfig {
  private MgmtdRoleConfig() {}

  public static final Key<String> LISTEN = Key.address("mgmtd.listen").defaultValue("tcp://127.0.0.1:8000")
      .doc("Address this mgmtd serves RPC on (port 0: any free port, printed at start). Other mgmtd instances"
          + " redirect callers to it while it is primary, so it must be reachable by every node.");

  public static final Key<Long> NODE_ID = Key.longInteger("mgmtd.node_id").defaultValue("1").min("1")
      .doc("This mgmtd's node id, unique among mgmtd instances (1-99 by convention).");
}
