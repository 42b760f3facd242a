package io.catena.rpc;

import io.catena.common.time.Deadline;
import java.time.Duration;

/**
 * Per-call settings. Immutable.
 *
 * @param timeout how long the caller waits; null means {@code rpc.default_timeout}
 * @param deadline an absolute deadline, used instead of {@code timeout} when not null
 */
public record CallOptions(Duration timeout, Deadline deadline) {

  public static final CallOptions DEFAULT = new CallOptions(null, null);

  public static CallOptions timeout(Duration timeout) {
    return new CallOptions(timeout, null);
  }

  public static CallOptions deadline(Deadline deadline) {
    return new CallOptions(null, deadline);
  }
}
