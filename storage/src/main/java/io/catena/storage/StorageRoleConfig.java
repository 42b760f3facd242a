package io.catena.storage;

import io.catena.common.config.Key;
import io.catena.common.net.Address;
import java.util.List;

/** Keys of a storage process ({@code catena storage}): who it is, where it listens, its disks. Immutable. */
public final class StorageRoleConfig {
  private StorageRoleConfig() {}

  public static final Key<Long> NODE_ID = Key.longInteger("storage.node_id").defaultValue("10001").min("1")
      .doc("This storage node's id, unique in the cluster (10000+ by convention).");

  public static final Key<String> LISTEN = Key.address("storage.listen").defaultValue("tcp://127.0.0.1:9000")
      .doc("Address the storage service listens on (port 0: any free port, printed at start); registered with"
          + " mgmtd, so it must be reachable by clients and the other storage nodes.");

  public static final Key<List<String>> DISKS = Key.stringList("storage.disks").defaultValue("")
      .doc("Directories of this node's disks, in disk-index order; targets live in <disk>/targets/<id>.");
}
