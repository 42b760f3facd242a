package io.catena.kv.etcd;

import java.time.Clock;
import java.util.ArrayDeque;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Bounded-staleness reads from the mirror without a round trip to etcd (see docs/etcd-mirror.md, "Recent reads").
 *
 * <p>Every linearizable revision read (a "fence") is recorded with the time it was handed to the batcher, which sends
 * it later: a fence sent at time s answering revision R proves that a snapshot at R or later holds every commit
 * acknowledged anywhere before s. Once the mirror has applied R, a read that begins at t with {@code t - s <=
 * maxStaleness} may therefore read the mirror's applied revision as it is, and it sees every commit acknowledged at
 * least {@code maxStaleness} before it began, plus every commit of this process (no read is pinned below the
 * process's own last commit). While such reads are served, a fence is sent in the background whenever the newest
 * confirmation is older than half the bound, so a steady stream of them never waits for etcd. Times are the
 * engine's injected clock, in milliseconds.
 *
 * <p>Thread-safe: the confirmations are guarded by this object's monitor; the background fence runs on the given
 * executor, one at a time.
 */
final class RecentReads {
  private static final int MAX_PENDING = 64;
  private final EtcdMirror mirror;
  private final LongSupplier linearizableRevision;
  private final Clock clock;
  private final Executor background;
  private final AtomicLong served = new AtomicLong();
  /** The newest fence whose revision the mirror has applied (guarded by this). */
  private long confirmedAt = Long.MIN_VALUE;
  private long confirmedRevision;
  /**
   * Fences not yet applied by the mirror, {sent, revision}, oldest first, both ascending (guarded by this). Under a
   * stream of commits every new fence names a revision the mirror has not applied yet; keeping the older ones lets
   * each be confirmed as soon as the mirror passes it.
   */
  private final ArrayDeque<long[]> pending = new ArrayDeque<>();
  private boolean refreshing; // guarded by this

  RecentReads(EtcdMirror mirror, LongSupplier linearizableRevision, Clock clock, Executor background) {
    this.mirror = mirror;
    this.linearizableRevision = linearizableRevision;
    this.clock = clock;
    this.background = background;
  }

  /** The current revision, read linearizably now, and recorded as a fence. */
  long fence() {
    long sent = clock.millis();
    long revision = linearizableRevision.getAsLong();
    synchronized (this) {
      long[] last = pending.peekLast();
      if (sent > confirmedAt && (last == null || (sent >= last[0] && revision >= last[1]))) {
        if (pending.size() == MAX_PENDING) {
          pending.pollFirst();
        }
        pending.addLast(new long[] {sent, revision});
      }
    }
    return revision;
  }

  /**
   * A mirror view for a read that may miss commits acknowledged less than {@code maxStalenessMillis} before now, or
   * null when the mirror cannot prove that fresh enough a state (then the caller fences as usual).
   */
  EtcdMirror.View begin(long maxStalenessMillis, long ownCommit, long beganMillis) {
    long confirmed = confirmedAt(mirror.appliedRevision());
    long age = confirmed == Long.MIN_VALUE ? Long.MAX_VALUE : clock.millis() - confirmed;
    if (age > maxStalenessMillis / 2) {
      refresh();
    }
    if (age > maxStalenessMillis) {
      return null;
    }
    EtcdMirror.View v = mirror.begin(ownCommit, beganMillis);
    if (v != null) {
      served.incrementAndGet();
    }
    return v;
  }

  /** Transactions served without a fence of their own. */
  long served() {
    return served.get();
  }

  /** When the newest fence the mirror has applied (at {@code applied}) was sent; MIN_VALUE if none. */
  private synchronized long confirmedAt(long applied) {
    while (!pending.isEmpty() && pending.peekFirst()[1] <= applied) {
      long[] f = pending.pollFirst();
      confirmedAt = f[0];
      confirmedRevision = f[1];
    }
    return applied >= confirmedRevision ? confirmedAt : Long.MIN_VALUE;
  }

  private void refresh() {
    synchronized (this) {
      if (refreshing) {
        return;
      }
      refreshing = true;
    }
    try {
      background.execute(() -> {
        try {
          fence();
        } catch (RuntimeException e) {
          // etcd unreachable: readers find no fresh confirmation and fence (and fail) themselves.
        } finally {
          synchronized (this) {
            refreshing = false;
          }
        }
      });
    } catch (RejectedExecutionException closed) {
      synchronized (this) {
        refreshing = false;
      }
    }
  }
}
