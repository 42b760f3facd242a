package io.catena.fuse.usrbio;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * Counts the I/O holding a registered resource (a mapping, an open file) so it is released only after the last
 * holder let go: shared memory is unmapped, and a file closed, only once no storage completion can touch it any more.
 * After {@link #close} no new holder gets in. Thread-safe: one atomic word (bit 0 closed, the rest the holders).
 */
final class Refs {
  private final AtomicInteger state = new AtomicInteger();
  private final Consumer<Boolean> onLast;

  /**
   * @param onLast runs once: on the thread that calls {@link #close} when nothing is held (argument true), else on
   *     the thread that ends the last hold (false: often a storage completion thread, which must not block)
   */
  Refs(Consumer<Boolean> onLast) {
    this.onLast = onLast;
  }

  Refs(Runnable onLast) {
    this(fromClose -> onLast.run());
  }

  /** Takes a hold; false once closed. */
  boolean retain() {
    while (true) {
      int s = state.get();
      if ((s & 1) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 2)) {
        return true;
      }
    }
  }

  void release() {
    if (state.addAndGet(-2) == 1) {
      onLast.accept(false);
    }
  }

  /** Refuses new holds; the resource goes when the current ones end. Idempotent. */
  void close() {
    int before = state.getAndUpdate(s -> s | 1);
    if (before == 0) {
      onLast.accept(true);
    }
  }

  boolean isClosed() {
    return (state.get() & 1) != 0;
  }
}
