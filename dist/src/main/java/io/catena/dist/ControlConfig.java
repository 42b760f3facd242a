package io.catena.dist;

import io.catena.common.config.Key;
import io.catena.common.net.Address;

/** Keys of the control process (the cluster manager and metadata service host). */
public final class ControlConfig {
  private ControlConfig() {}

  public static final Key<String> LISTEN = Key.address("control.listen").defaultValue("tcp://127.0.0.1:8000")
      .doc("Address the control process serves RPC on; nothing else is listened on.");

  public static final Key<Long> NODE_ID = Key.longInteger("control.node_id").defaultValue("1").range("1", "99")
      .doc("This control process's node id (mgmtd ids are 1-99 by convention).");

  public static final Key<Long> META_NODE_ID = Key.longInteger("control.meta_node_id").defaultValue("100")
      .range("1", "9999").doc("The node id the metadata service in this process registers with mgmtd (100-999 by "
          + "convention).");
}
