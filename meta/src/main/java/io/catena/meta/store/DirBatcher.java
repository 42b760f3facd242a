package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.kv.TransactionRunner;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * Group commit of the mutations that change one directory's entries (create, mkdir, mknod, symlink, link, unlink,
 * rmdir) on this server. Each of them writes the parent inode (mtime/ctime, ARCHITECTURE 3.3), so concurrent ones in
 * one directory always conflict in the KV store: under plain optimistic concurrency sixteen clients creating in one
 * directory retried until they gave up with EAGAIN. Here callers queue their operation on the directory's stripe;
 * the stripe's current leader runs every queued operation, in order, in ONE transaction (ARCHITECTURE 3.5: "batched
 * into one transaction"), so N waiting creates cost one commit instead of N conflicting ones.
 *
 * <p>Each operation sees the effects of the ones before it (the transaction reads its own writes and {@link Tx} caches
 * inodes). An operation that fails commits nothing of its own: the batch transaction is abandoned and the operations
 * run again without it (see {@link #execute}). Retryable failures (conflicts with other servers) retry the whole
 * batch through the runner. Stripes (4096, by a hash of the directory id) may batch two directories together, which
 * is harmless. Thread-safe.
 */
final class DirBatcher {
  private static final int STRIPES = 4096;
  private static final int MAX_BATCH = 256;

  private final TransactionRunner runner;
  private final Stripe[] stripes = new Stripe[STRIPES];

  /**
   * One stripe: the queue of waiting operations and whether a leader is running batches; both guarded by the
   * stripe's monitor.
   */
  private static final class Stripe {
    final ArrayDeque<Op<?>> queue = new ArrayDeque<>();
    boolean busy;
  }

  /**
   * A queued operation. A leader writes its outcome, then completes {@code wake} with true; {@code wake} completes
   * with false when the operation's thread is to lead the next batches instead (happens-before via the future).
   */
  private static final class Op<T> {
    final Function<Tx, T> body;
    final CompletableFuture<Boolean> wake = new CompletableFuture<>();
    T result;
    RuntimeException error;
    boolean done;

    Op(Function<Tx, T> body) {
      this.body = body;
    }

    @SuppressWarnings("unchecked")
    void succeed(Object r) {
      result = (T) r;
      done = true;
      wake.complete(true);
    }

    void fail(RuntimeException e) {
      error = e;
      done = true;
      wake.complete(true);
    }
  }

  /** Thrown inside a batch transaction to abandon it because one operation failed. */
  private static final class Abandon extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Abandon() {
      super(null, null, false, false);
    }
  }

  DirBatcher(TransactionRunner runner) {
    this.runner = runner;
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  private static int stripe(long dir) {
    long h = dir * 0x9E3779B97F4A7C15L;
    return (int) ((h ^ (h >>> 29)) & (STRIPES - 1));
  }

  /**
   * Runs {@code body} (one mutation of directory {@code dir}) in a transaction shared with its queued neighbours.
   * The first caller of an idle stripe leads: it runs batches until its own operation is done, then hands the lead to
   * the oldest waiting operation's thread, so no thread runs other threads' batches for long and none waits for a
   * lock only to learn that its operation was already done.
   */
  <T> T run(long dir, Function<Tx, T> body) {
    Stripe s = stripes[stripe(dir)];
    Op<T> op = new Op<>(body);
    boolean lead;
    synchronized (s) {
      s.queue.add(op);
      lead = !s.busy;
      s.busy = true;
    }
    if (lead || !op.wake.join()) {
      lead(s, op);
    }
    if (op.error != null) {
      throw op.error;
    }
    return op.result;
  }

  private void lead(Stripe s, Op<?> own) {
    while (true) {
      List<Op<?>> batch = new ArrayList<>();
      synchronized (s) {
        while (batch.size() < MAX_BATCH && !s.queue.isEmpty()) {
          batch.add(s.queue.poll());
        }
      }
      try {
        execute(batch);
      } catch (Throwable t) {
        for (Op<?> o : batch) {
          if (!o.done) {
            o.fail(new CatenaException(io.catena.common.Status.of(io.catena.common.Errno.EIO,
                "directory batch failed: %s", t), t));
          }
        }
      }
      if (own.done) {
        Op<?> next;
        synchronized (s) {
          next = s.queue.peek();
          if (next == null) {
            s.busy = false;
          }
        }
        if (next != null) {
          next.wake.complete(false); // still queued: it drains itself in its first batch
        }
        return;
      }
    }
  }

  /**
   * Runs {@code batch} in as few transactions as possible. When operation k fails, only an operation that ran first
   * in its transaction fails for good: its error then depends on committed state alone. A failure further in may
   * stem from the uncommitted writes of the operations before it (a create of a name an earlier create in the batch
   * made), so those earlier ones are committed first and operation k runs again at the head of the next transaction.
   */
  private void execute(List<Op<?>> batch) {
    List<Op<?>> pending = new ArrayList<>(batch);
    int limit = pending.size();
    while (!pending.isEmpty()) {
      List<Op<?>> group = List.copyOf(pending.subList(0, Math.min(limit, pending.size())));
      int[] failedAt = {-1};
      RuntimeException[] error = {null};
      Object[] results;
      try {
        results = runner.run(txn -> {
          failedAt[0] = -1;
          Tx tx = new Tx(txn);
          Object[] r = new Object[group.size()];
          for (int i = 0; i < group.size(); i++) {
            try {
              r[i] = group.get(i).body.apply(tx);
            } catch (CatenaException e) {
              if (e.isRetryable()) {
                throw e; // a conflict or a transient engine error: the runner retries the whole group
              }
              failedAt[0] = i;
              error[0] = e;
              throw new Abandon();
            } catch (RuntimeException e) {
              failedAt[0] = i;
              error[0] = e;
              throw new Abandon();
            }
          }
          return r;
        });
      } catch (Abandon a) {
        if (failedAt[0] == 0) {
          pending.remove(0).fail(error[0]);
          limit = pending.size();
        } else {
          limit = failedAt[0];
        }
        continue;
      } catch (RuntimeException e) {
        // The runner gave up (or the engine failed): the operations of this group share the outcome.
        for (Op<?> o : group) {
          o.fail(e);
        }
        pending.subList(0, group.size()).clear();
        limit = pending.size();
        continue;
      }
      for (int i = 0; i < group.size(); i++) {
        group.get(i).succeed(results[i]);
      }
      pending.subList(0, group.size()).clear();
      limit = pending.size();
    }
  }
}
