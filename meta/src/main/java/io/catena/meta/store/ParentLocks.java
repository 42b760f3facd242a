package io.catena.meta.store;

import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;

/**
 * Serialises, within one meta server, renames touching the same directories. A rename writes both parent inodes
 * (mtime/ctime, ARCHITECTURE 3.3), so concurrent renames in one directory always conflict in the KV store and, under
 * optimistic concurrency alone, can retry until they give up (EAGAIN after kv.retry.max_attempts). Queuing them here
 * turns that into one commit after another on this server; servers sharing the engine still resolve their mutual
 * conflicts by retrying. (Single-directory mutations are group-committed by {@link DirBatcher} instead.) Locks are striped by a hash
 * of the directory id (4096 stripes), so unrelated directories rarely share one. The lock is held across the KV
 * commit. Thread-safe.
 */
public final class ParentLocks {
  private static final int STRIPES = 4096;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];

  public ParentLocks() {
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
  }

  private static int stripe(long dir) {
    long h = dir * 0x9E3779B97F4A7C15L;
    return (int) ((h ^ (h >>> 29)) & (STRIPES - 1));
  }

  /** Runs {@code body} holding the lock of directory {@code dir}. */
  public <T> T with(long dir, Supplier<T> body) {
    ReentrantLock l = locks[stripe(dir)];
    l.lock();
    try {
      return body.get();
    } finally {
      l.unlock();
    }
  }

  /** Runs {@code body} holding the locks of both directories, taken in stripe order so two renames never deadlock. */
  public <T> T with(long dirA, long dirB, Supplier<T> body) {
    int a = stripe(dirA);
    int b = stripe(dirB);
    if (a == b) {
      return with(dirA, body);
    }
    ReentrantLock first = locks[Math.min(a, b)];
    ReentrantLock second = locks[Math.max(a, b)];
    first.lock();
    try {
      second.lock();
      try {
        return body.get();
      } finally {
        second.unlock();
      }
    } finally {
      first.unlock();
    }
  }
}
