package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import io.catena.common.time.Deadline;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
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
 * the deadline passed) and the last failure's message. Thread-safe: the retrier is; everything else is immutable.
 */
public final class TransactionRunner {
  private final KvEngine engine;
  private final Retrier retrier;
  private final KvMetrics metrics;

  public TransactionRunner(KvEngine engine, RetryPolicy policy, Clock clock, RandomGenerator random) {
    this(engine, policy, clock, random, Sleeper.system());
  }

  /** As the four-argument constructor, with the pause between attempts injected (tests need not wait). */
  public TransactionRunner(KvEngine engine, RetryPolicy policy, Clock clock, RandomGenerator random,
      Sleeper sleeper) {
    this(engine, new Retrier(policy, clock, random, sleeper));
  }

  public TransactionRunner(KvEngine engine, Retrier retrier) {
    this(engine, retrier, KvMetrics.discarding());
  }

  /** As above, counting commits, conflicts and retries in {@code metrics}. */
  public TransactionRunner(KvEngine engine, Retrier retrier, KvMetrics metrics) {
    this.engine = Objects.requireNonNull(engine, "engine");
    this.retrier = Objects.requireNonNull(retrier, "retrier");
    this.metrics = Objects.requireNonNull(metrics, "metrics");
  }

  /** The policy on the given clock and generator, counting into {@code metrics}. */
  public TransactionRunner(KvEngine engine, RetryPolicy policy, Clock clock, RandomGenerator random,
      KvMetrics metrics) {
    this(engine, new Retrier(policy, clock, random, Sleeper.system()), metrics);
  }

  /** The default policy, the system clock and an unseeded generator. */
  public static TransactionRunner withDefaults(KvEngine engine) {
    return new TransactionRunner(engine, Retrier.system(KvConfig.defaultRetryPolicy()));
  }

  public KvEngine engine() {
    return engine;
  }

  public RetryPolicy policy() {
    return retrier.policy();
  }

  /** Runs {@code body} in read-write transactions until one commits, with the policy's timeout as deadline. */
  public <T> T run(TxnFunction<ReadWriteTransaction, T> body) {
    return run(body, Deadline.in(retrier.clock(), retrier.policy().timeout()));
  }

  /**
   * Runs {@code body} in a fresh read-write transaction per attempt and commits it; returns the body's result of the
   * attempt that committed.
   */
  public <T> T run(TxnFunction<ReadWriteTransaction, T> body, Deadline deadline) {
    Objects.requireNonNull(body, "body");
    Retrier.Attempts attempts = retrier.begin(deadline);
    while (true) {
      try {
        attempts.checkTime();
      } catch (CatenaException e) {
        metrics.failed();
        throw e;
      }
      try (ReadWriteTransaction txn = engine.beginReadWrite()) {
        T result = body.apply(txn);
        long start = System.nanoTime();
        txn.commit();
        metrics.commitTook(start);
        metrics.committed();
        return result;
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          metrics.failed();
          throw e;
        }
        metrics.retry(e.errno());
        try {
          attempts.failed(e);
        } catch (CatenaException giveUp) {
          metrics.failed();
          throw giveUp;
        }
      }
    }
  }

  /** Runs {@code body} in a read-only transaction at the latest version, retrying retryable failures. */
  public <T> T read(TxnFunction<ReadTransaction, T> body) {
    return read(Duration.ZERO, body);
  }

  /**
   * Runs {@code body} in a read-only transaction that may be up to {@code maxStaleness} behind
   * ({@link KvEngine#beginRead(Duration)}; zero: the latest version), retrying retryable failures.
   */
  public <T> T read(Duration maxStaleness, TxnFunction<ReadTransaction, T> body) {
    Objects.requireNonNull(body, "body");
    boolean latest = maxStaleness.isZero();
    Retrier.Attempts attempts = retrier.begin();
    while (true) {
      attempts.checkTime();
      try (ReadTransaction txn = latest ? engine.beginRead() : engine.beginRead(maxStaleness)) {
        return body.apply(txn);
      } catch (CatenaException e) {
        if (!e.isRetryable()) {
          throw e;
        }
        attempts.failed(e);
      }
    }
  }
}
