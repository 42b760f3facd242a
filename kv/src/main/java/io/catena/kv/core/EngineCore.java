package io.catena.kv.core;

/** The part of an engine a {@link Transaction} talks to. Thread-safe. */
public interface EngineCore {

  /**
   * Throws if a read at {@code readVersion} may no longer be correct: the engine is closed (ESHUTDOWN) or the
   * version fell out of the conflict window (retryable EAGAIN "transaction too old"). Called after each read, so a
   * read racing with garbage collection is caught.
   */
  void checkReadable(long readVersion);

  /** Resolves and applies a commit; returns its version or throws (retryable EAGAIN on conflict). */
  long commit(CommitRequest request);
}
