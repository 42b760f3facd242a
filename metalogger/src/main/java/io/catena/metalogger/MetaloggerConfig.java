package io.catena.metalogger;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/** Keys of the metadata logger ({@code catena metalogger}). */
public final class MetaloggerConfig {
  private MetaloggerConfig() {}

  public static final Key<String> LISTEN = Key.address("metalogger.listen").defaultValue("tcp://127.0.0.1:0")
      .doc("Address the logger answers `catena status --address` on (its lag in the role line); port 0: any.");

  public static final Key<Duration> POLL_WAIT = Key.duration("metalogger.poll_wait").defaultValue("1s")
      .range("10ms", "5s")
      .doc("How long one request for changes may wait on the control process for the next commit (a long poll).");

  public static final Key<Duration> RETRY_INTERVAL = Key.duration("metalogger.retry_interval").defaultValue("1s")
      .range("10ms", "1m")
      .doc("Pause before reconnecting after the control process could not be reached.");

  public static final Key<DataSize> CHECKPOINT_AFTER = Key.dataSize("metalogger.checkpoint_after")
      .defaultValue("256MiB").range("1KiB", "64GiB")
      .doc("A new checkpoint is taken once the change log since the last one has grown this large, so a restore"
          + " replays at most this much.");

  public static final Key<Integer> KEEP_CHECKPOINTS = Key.integer("metalogger.keep_checkpoints").defaultValue("2")
      .range("1", "100")
      .doc("Checkpoints (each with its change log) kept in the logger's directory; older ones are deleted.");
}
