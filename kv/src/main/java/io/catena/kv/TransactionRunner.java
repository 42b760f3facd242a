package io.catena.kv;

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
 * The one place that retries transactions. A body is a plain function of a transaction; the runner begins a fresh
 * transaction per attempt, commits it, and retries when a {@link CatenaException} is retryable (a conflict, a
 * "transaction too old", a transient engine error, or {@link CommitUnknownException}), pausing with exponential
 * backoff and full jitter drawn from the injected generator, until the policy's attempts or the deadline run out.
 * Anything else the body throws reaches the caller unchanged and nothing is committed. The body must not commit
 * or close the transaction itself (the runner does both), and may run several times, so it must have no effects
 * outside the transaction.
 *
 * <p>Maybe committed: a {@link CommitUnknownException} is retried like a conflict. That is only safe because callers
 * make every non-idempotent mutation idempotent with an idempotency record in the same transaction (ARCHITECTURE
 * section 3.5): the retry then finds the record and returns the first outcome instead of applying twice.
 *
 * <p>When the runner gives up it throws a retryable CatenaException with the last failure's errno (ETIMEDOUT when
 * the deadline passed) and the last failure's message. Thread-safe: the generator is used under a lock; everything
 * else is immutable.
 */
public final class TransactionRunner {
  private final KvEngine engine;
  private final RetryPolicy policy;
  private final Clock clock;
  private final RandomGenerator random;
  private final Sleeper sleeper;

  public TransactionRunner(KvEngine engine, RetryPolicy policy, Clock clock, RandomGenerator random) {
    this(engine, policy, clock, random, Sleeper.system());
  }

  /** As the four-argument constructor, with the pause between attempts injected (tests need not wait). */
  public TransactionRunner(KvEngine engine, RetryPolicy policy, Clock clock, RandomGenerator random,
      Sleeper sleeper) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.random = Objects.requireNonNull(random, "random");
    this.sleeper = Objects.requireNonNull(sleeper, "sleeper");
  }

  /** The default policy, the system clock and an unseeded generator. */
  public static TransactionRunner withDefaults(KvEngine engine) {
    return new TransactionRunner(engine, RetryPolicy.defaults(), Clock.systemUTC(),
        RandomGenerator.of("L64X128MixRandom"));
  }

  public KvEngine engine() {
    return engine;
  }

  public RetryPolicy policy() {
    return policy;
  }

  /** Runs {@code body} in read-write transactions until one commits, with the policy's timeout as deadline. */
  public <T> T run(TxnFunction<ReadWriteTransaction, T> body) {
    return run(body, Deadline.in(clock, policy.timeout()));
  }

  /**
   * Runs {@code body} in a fresh read-write transaction per attempt and commits it; returns the body's result of the
   * attempt that committed.
   */
  public <T> T run(TxnFunction<ReadWriteTransaction, T> body, Deadline deadline) {
    Objects.requireNonNull(body, "body");
    Objects.requireNonNull(deadline, "deadline");
    CatenaException last = null;
    for (int attempt = 1; ; attempt++) {
      giveUpIfExpired(deadline, attempt - 1, last);
      try (ReadWriteTransaction txn = engine.beginReadWrite()) {
        T result = body.apply(txn);
        txn.commit();
        return result;
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        last = e;
      }
      pauseOrGiveUp(attempt, deadline, last);
    }
  }

  /** Runs {@code body} in a read-only transaction at the latest version, retrying retryable failures. */
  public <T> T read(TxnFunction<ReadTransaction, T> body) {
    Objects.requireNonNull(body, "body");
    Deadline deadline = Deadline.in(clock, policy.timeout());
    CatenaException last = null;
    for (int attempt = 1; ; attempt++) {
      giveUpIfExpired(deadline, attempt - 1, last);
      try (ReadTransaction txn = engine.beginRead()) {
        return body.apply(txn);
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        last = e;
      }
      pauseOrGiveUp(attempt, deadline, last);
    }
  }

  private void pauseOrGiveUp(int failures, Deadline deadline, CatenaException last) {
    if (failures >= policy.maxAttempts()) {
      throw giveUp(last.errno(), "transaction failed after " + failures + " attempts: " + last.getMessage());
    }
    long bound = policy.backoffBoundNanos(failures);
    long pause;
    synchronized (random) {
      pause = bound <= 0 ? 0 : random.nextLong(bound + 1);
    }
    // Never sleep past the deadline: waking up after it only to give up wastes the caller's time budget.
    pause = Math.min(pause, deadline.remaining().toNanos());
    if (pause > 0) {
      try {
        sleeper.sleep(Duration.ofNanos(pause));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CatenaException.of(Errno.EINTR, "interrupted while retrying a transaction");
      }
    }
  }

  private static void giveUpIfExpired(Deadline deadline, int failures, CatenaException last) {
    if (deadline.expired()) {
      throw giveUp(Errno.ETIMEDOUT, "deadline exceeded after " + failures + " attempts"
          + (last == null ? "" : ": " + last.getMessage()));
    }
  }

  private static CatenaException giveUp(Errno code, String message) {
    // CatenaException cannot carry a cause (its constructor fixes the cause to null), so the last failure's
    // message is folded into ours.
    return new CatenaException(new Status(code, message, true, Optional.empty()));
  }
}
