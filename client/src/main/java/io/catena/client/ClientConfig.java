package io.catena.client;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;

/** Keys of the client library (the FUSE mount and JVM programs). */
public final class ClientConfig {
  private ClientConfig() {}

  public static final Key<DataSize> WRITE_BEHIND = Key.dataSize("client.write_behind").defaultValue("16MiB")
      .hotUpdatable()
      .range("0B", "1GiB").doc("Written data per open file that may still be on its way to the storage chains "
          + "when write(2) returns; fsync, close and reads wait for it. 0 makes every write synchronous. Hot on a "
          + "mount: a change applies to files that start writing afterwards (open files keep their window).");

  public static final Key<DataSize> LENGTH_HINT_STEP = Key.dataSize("client.length_hint_step").defaultValue("4MiB")
      .hotUpdatable().range("0B", "1GiB").doc("A file writing past its last reported length by this much tells meta"
          + " its new length in the background, so directory quotas refuse growth while the file is still being"
          + " written (the next write fails with EDQUOT) rather than only at close. 0: only close and fsync report.");

  public static final Key<String> SUBDIR = Key.string("client.subdir").defaultValue("/")
      .doc("The directory of the file system this client mounts as its root (`catena mount --subdir`), as MooseFS"
          + " mounts a subfolder: the client sees nothing above it, and meta refuses any call that names an inode"
          + " outside it. Export rules decide who may mount which directory (docs/exports.md). Resolved once at"
          + " connect; a missing directory fails the connection.");
}
