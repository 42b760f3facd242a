package io.catena.common.time;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.time.Clock;
import java.time.Duration;

/**
 * A point in time by which an operation must finish, measured on an injected clock. Immutable.
 */
public record Deadline(Clock clock, long epochMillis) {

  public static Deadline in(Duration d) {
    return in(Clock.systemUTC(), d);
  }

  public static Deadline in(Clock clock, Duration d) {
    return new Deadline(clock, Math.addExact(clock.millis(), Math.min(d.toMillis(), Long.MAX_VALUE / 4)));
  }

  public static Deadline none() {
    return new Deadline(Clock.systemUTC(), Long.MAX_VALUE / 2);
  }

  public Duration remaining() {
    return Duration.ofMillis(Math.max(0, epochMillis - clock.millis()));
  }

  public boolean expired() {
    return clock.millis() >= epochMillis;
  }

  /** Throws a retryable ETIMEDOUT naming {@code what} if the deadline has passed. */
  public void check(String what) {
    if (expired()) {
      throw CatenaException.retryable(Errno.ETIMEDOUT, "deadline exceeded: %s", what);
    }
  }
}
