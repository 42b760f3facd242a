package io.catena.common.retry;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.random.RandomGenerator;

/**
 * Carries out a {@link RetryPolicy}: the one retry toolkit every loop in Catena uses, with the clock that measures
 * deadlines, the generator that draws jitter and the sleeper that pauses all injected, so tests move a manual clock
 * instead of sleeping. A loop asks {@link #begin} for the state of one call and, after each retryable failure, calls
 * {@link Attempts#failed}, which pauses or says that the call is out of attempts or time:
 *
 * <pre>{@code
 * Retrier.Attempts a = retrier.begin();
 * while (true) {
 *   try { return once(); }
 *   catch (CatenaException e) { if (!e.isRetryable()) throw e; a.failed(e); }
 * }
 * }</pre>
 *
 * Thread-safe: the generator is drawn from under a lock; {@link Attempts} belongs to one call and one thread.
 */
public final class Retrier {
  private final RetryPolicy policy;
  private final Clock clock;
  private final RandomGenerator random;
  private final Sleeper sleeper;

  public Retrier(RetryPolicy policy, Clock clock, RandomGenerator random, Sleeper sleeper) {
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /** The system clock, an unseeded generator and real sleeps. */
  public static Retrier system(RetryPolicy policy) {
    return new Retrier(policy, Clock.systemUTC(), RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
  }

  public RetryPolicy policy() {
    return policy;
  }

  public Clock clock() {
    return clock;
  }

  /** The same clock, generator and sleeper with another policy. */
  public Retrier with(RetryPolicy other) {
    return new Retrier(other, clock, random, sleeper);
  }

  /** One call's attempts, with the policy's timeout as its deadline. */
  public Attempts begin() {
    return begin(Deadline.in(clock, policy.timeout()));
  }

  public Attempts begin(Deadline deadline) {
    return new Attempts(Objects.requireNonNull(deadline, "deadline"));
  }

  /** A uniform draw from {@code [0, bound]}; used for jitter by the loops that pace themselves. */
  public long jitterNanos(long bound) {
    if (bound <= 0) {
      return 0;
    }
    synchronized (random) {
      return random.nextLong(bound + 1);
    }
  }

  /** Pauses for {@code d}; an interrupt becomes EINTR (not retryable). */
  public void sleep(Duration d) {
    if (!d.isPositive()) {
      return;
    }
    try {
      sleeper.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CatenaException.of(Errno.EINTR, "interrupted while waiting to retry");
    }
  }

  /** The retry state of one call. Not thread-safe: it belongs to the calling thread. */
  public final class Attempts {
    private final Deadline deadline;
    private int failures;
    private CatenaException last;

    private Attempts(Deadline deadline) {
      this.deadline = deadline;
    }

    public Deadline deadline() {
      return deadline;
    }

    public int failures() {
      return failures;
    }

    /** The last failure recorded, if any. */
    public Optional<CatenaException> last() {
      return Optional.ofNullable(last);
    }

    /** Time left before the deadline. */
    public Duration remaining() {
      return deadline.remaining();
    }

    /**
     * Records a retryable failure and pauses with full jitter (never past the deadline); throws the give-up error
     * (retryable, the failure's errno or ETIMEDOUT after the deadline, with the failure's message) when the
     * attempts or the time are used up.
     */
    public void failed(CatenaException e) {
      record(e);
      sleep(Duration.ofNanos(Math.min(jitterNanos(policy.backoffBoundNanos(failures)),
          deadline.remaining().toNanos())));
      checkTime();
    }

    /** Records a failure without pausing (e.g. the next attempt goes to another server at once). */
    public void failedNoPause(CatenaException e) {
      record(e);
      checkTime();
    }

    /** Throws the give-up error if the deadline has passed; a loop calls it before an attempt. */
    public void checkTime() {
      if (deadline.expired()) {
        throw giveUp(Errno.ETIMEDOUT, "deadline exceeded after " + failures + " attempts"
            + (last == null ? "" : ": " + last.getMessage()));
      }
    }

    private void record(CatenaException e) {
      last = Objects.requireNonNull(e, "failure");
      failures++;
      if (failures >= policy.maxAttempts()) {
        throw giveUp(e.errno(), "failed after " + failures + " attempts: " + e.getMessage());
      }
    }
  }

  private static CatenaException giveUp(Errno code, String message) {
    // Retryable: the caller's caller may well try again later (the cluster may have recovered by then).
    return new CatenaException(new Status(code, message, true, Optional.empty()));
  }
}
