package io.catena.kv.etcd;

import java.util.ArrayDeque;
import java.util.List;

/**
 * Natural batching of requests to etcd: a request is sent at once while fewer than {@code maxInFlight} batches are
 * outstanding; otherwise it waits, and the waiting ones go out together as soon as an answer frees a slot. A lone
 * request therefore pays no delay, and under load one etcd request carries many callers' work. Every item goes out
 * in a batch sent after it was submitted (what a batched begin relies on). The policy of what may share a batch is
 * the {@link Sender}'s. Thread-safe: the queue and the count are guarded by the monitor; sending happens outside it.
 */
final class Batcher<T> {
  /** Sends batches; called outside the batcher's lock, possibly from several threads at once. */
  interface Sender<T> {
    /** Takes the next batch from the head of {@code queue} (never empty; the head must be taken). */
    List<T> take(ArrayDeque<T> queue);

    /** Sends {@code batch} and calls {@code done} exactly once when its answer (or failure) is handled. */
    void send(List<T> batch, Runnable done);
  }

  private final Sender<T> sender;
  private final int maxInFlight;
  private final ArrayDeque<T> queue = new ArrayDeque<>();
  private int inFlight;
  private long batches;
  private long items;

  Batcher(Sender<T> sender, int maxInFlight) {
    this.sender = sender;
    this.maxInFlight = maxInFlight;
  }

  void submit(T item) {
    List<T> batch;
    synchronized (this) {
      queue.add(item);
      if (inFlight >= maxInFlight) {
        return;
      }
      inFlight++;
      batch = take();
    }
    sender.send(batch, this::done);
  }

  private List<T> take() {
    List<T> batch = sender.take(queue);
    batches++;
    items += batch.size();
    return batch;
  }

  /** {batches sent, items in them} so far: how much batching there was. */
  synchronized long[] counts() {
    return new long[] {batches, items};
  }

  private void done() {
    List<T> batch;
    synchronized (this) {
      if (queue.isEmpty()) {
        inFlight--;
        return;
      }
      batch = take();
    }
    sender.send(batch, this::done);
  }
}
