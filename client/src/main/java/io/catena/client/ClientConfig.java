package io.catena.client;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;

/** Keys of the client library (the FUSE mount and JVM programs). */
public final class ClientConfig {
  private ClientConfig() {}

  public static final Key<DataSize> WRITE_BEHIND = Key.dataSize("client.write_behind").defaultValue("16MiB")
      .range("0B", "1GiB").doc("Written data per open file that may still be on its way to the storage chains "
          + "when write(2) returns; fsync, close and reads wait for it. 0 makes every write synchronous.");
}
