package io.catena.kv.rocksdb;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The newest committed write batches of a {@link RocksKvEngine}, in commit order and bounded in bytes, for metadata
 * loggers to stream. Each entry is one RocksDB WriteBatch exactly as written (its serialized form), covering the
 * versions {@code (fromVersion, toVersion]}; consecutive entries chain ({@code next.fromVersion ==
 * prev.toVersion}), so a reader that holds the store at version V needs exactly the entries after V. It lives in
 * memory only: after a restart it starts at the version the store was opened at, and a reader further behind than
 * what is held gets {@link Outcome#TOO_OLD} and must take a new checkpoint. Thread-safe: one appender (the
 * committer), any number of readers.
 */
public final class ChangeFeed {
  /** One committed write batch: the versions it covers, when it was written, its serialized bytes. */
  public record Entry(long fromVersion, long toVersion, long commitMillis, byte[] batch) {}

  /** What a read found. */
  public enum Outcome { OK, TOO_OLD, AHEAD }

  /**
   * The entries after a version (possibly none), or why there are none to give: TOO_OLD when the version is
   * older than the feed holds, AHEAD when it is newer than anything committed (the reader saw another store).
   */
  public record Read(Outcome outcome, List<Entry> entries, long latestVersion, long oldestVersion) {}

  private final long maxBytes;
  private final ArrayDeque<Entry> entries = new ArrayDeque<>();
  private long bytes;
  /** The version before the oldest entry held: readers at or after it can be served. */
  private long oldestVersion;
  private long latestVersion;
  private List<CompletableFuture<Void>> waiters = new ArrayList<>();

  /** A feed starting at {@code openedAt} (the engine's committed version when opened). */
  public ChangeFeed(long maxBytes, long openedAt) {
    this.maxBytes = maxBytes;
    this.oldestVersion = openedAt;
    this.latestVersion = openedAt;
  }

  public boolean enabled() {
    return maxBytes > 0;
  }

  /** Records a batch just written; wakes readers waiting for it. Committer only. */
  void append(long fromVersion, long toVersion, long commitMillis, byte[] batch) {
    List<CompletableFuture<Void>> wake;
    synchronized (this) {
      add(fromVersion, toVersion, commitMillis, batch);
      if (waiters.isEmpty()) {
        return;
      }
      wake = waiters;
      waiters = new ArrayList<>();
    }
    for (CompletableFuture<Void> f : wake) {
      f.complete(null);
    }
  }

  private void add(long fromVersion, long toVersion, long commitMillis, byte[] batch) {
    if (fromVersion != latestVersion) {
      // A gap would silently lose commits for a reader: restart the feed at this batch instead.
      entries.clear();
      bytes = 0;
      oldestVersion = fromVersion;
    }
    entries.addLast(new Entry(fromVersion, toVersion, commitMillis, batch));
    bytes += batch.length;
    latestVersion = toVersion;
    while (bytes > maxBytes && entries.size() > 1) {
      Entry old = entries.removeFirst();
      bytes -= old.batch().length;
      oldestVersion = old.toVersion();
    }
  }

  /**
   * Completes when a commit after {@code version} is in the feed (at once if one is already), so a server can
   * long-poll without holding a thread. Completed on the committer's thread: continue asynchronously.
   */
  public CompletableFuture<Void> whenAfter(long version) {
    synchronized (this) {
      if (latestVersion != version) {
        return CompletableFuture.completedFuture(null);
      }
      waiters.removeIf(CompletableFuture::isDone); // those that timed out
      CompletableFuture<Void> f = new CompletableFuture<>();
      waiters.add(f);
      return f;
    }
  }

  /** The entries after {@code version}, at most {@code maxBytes} of them (at least one when any). */
  public synchronized Read since(long version, long maxBytes) {
    if (version < oldestVersion) {
      return new Read(Outcome.TOO_OLD, List.of(), latestVersion, oldestVersion);
    }
    if (version > latestVersion) {
      return new Read(Outcome.AHEAD, List.of(), latestVersion, oldestVersion);
    }
    List<Entry> out = new ArrayList<>();
    long size = 0;
    for (Iterator<Entry> it = entries.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      if (e.toVersion() <= version) {
        continue;
      }
      if (!out.isEmpty() && size + e.batch().length > maxBytes) {
        break;
      }
      if (out.isEmpty() && e.fromVersion() != version) {
        // Only batch boundaries are versions a reader can hold; anything else is not a copy of this store.
        return new Read(Outcome.TOO_OLD, List.of(), latestVersion, oldestVersion);
      }
      out.add(e);
      size += e.batch().length;
    }
    return new Read(Outcome.OK, out, latestVersion, oldestVersion);
  }

  public synchronized long latestVersion() {
    return latestVersion;
  }
}
