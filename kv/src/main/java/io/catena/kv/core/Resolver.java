package io.catena.kv.core;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Iterator;

/**
 * FoundationDB-style conflict resolution over an in-memory history of recent commits: a commit with read version
 * R conflicts if any of its read-conflict ranges intersects a write-conflict range of a commit with version > R.
 * History older than the conflict window (or beyond {@code maxEntries}) is trimmed; a transaction whose read
 * version is below the newest trimmed version can no longer be checked and is "too old".
 *
 * <p>A check walks the history backwards from the newest commit and stops at R, so its cost is the number of
 * commits that happened during the transaction's lifetime times its range counts, not the window size. Not
 * thread-safe: the engine's commit path serialises check/record/trim; {@link #oldestReadableVersion()} may be read
 * from any thread.
 */
public final class Resolver {
  /** The verdict on one commit. */
  public enum Verdict { OK, CONFLICT, TOO_OLD }

  private record Entry(long version, long timeMillis, byte[][] writeRanges) {}

  private final ArrayDeque<Entry> history = new ArrayDeque<>();
  private final long windowMillis;
  private final int maxEntries;
  private volatile long trimmedVersion;

  public Resolver(Duration window, int maxEntries, long initialVersion) {
    this.windowMillis = window.toMillis();
    this.maxEntries = maxEntries;
    this.trimmedVersion = initialVersion;
  }

  /** Reads at versions below this may miss conflicts (and, for the mem engine, data). */
  public long oldestReadableVersion() {
    return trimmedVersion;
  }

  public Verdict check(long readVersion, byte[][] readRanges) {
    if (readVersion < trimmedVersion) {
      return Verdict.TOO_OLD;
    }
    if (readRanges.length == 0) {
      return Verdict.OK;
    }
    Iterator<Entry> it = history.descendingIterator();
    ReadSet sorted = null;
    while (it.hasNext()) {
      Entry e = it.next();
      if (e.version <= readVersion) {
        break;
      }
      boolean hit;
      if (readRanges.length <= SMALL) {
        hit = intersects(readRanges, e.writeRanges);
      } else {
        if (sorted == null) {
          sorted = new ReadSet(readRanges);
        }
        hit = sorted.intersects(e.writeRanges);
      }
      if (hit) {
        return Verdict.CONFLICT;
      }
    }
    return Verdict.OK;
  }

  /** Up to this many keys (half as many ranges) a plain nested loop beats sorting. */
  private static final int SMALL = 16;

  /**
   * Read ranges sorted by begin with a running maximum of their ends, so one write range is checked with a binary
   * search: some read range intersects {@code [wb, we)} iff, among the ranges beginning before {@code we}, the
   * largest end exceeds {@code wb}. Keeps a transaction with thousands of reads from stalling the commit path.
   */
  static final class ReadSet {
    private final byte[][] begins;
    private final byte[][] maxEnds;

    ReadSet(byte[][] ranges) {
      int n = ranges.length / 2;
      Integer[] order = new Integer[n];
      for (int i = 0; i < n; i++) {
        order[i] = i;
      }
      Arrays.sort(order, (x, y) -> Arrays.compareUnsigned(ranges[2 * x], ranges[2 * y]));
      begins = new byte[n][];
      maxEnds = new byte[n][];
      byte[] max = null;
      for (int i = 0; i < n; i++) {
        begins[i] = ranges[2 * order[i]];
        byte[] end = ranges[2 * order[i] + 1];
        max = max == null || Arrays.compareUnsigned(end, max) > 0 ? end : max;
        maxEnds[i] = max;
      }
    }

    boolean intersects(byte[][] writes) {
      for (int j = 0; j < writes.length; j += 2) {
        byte[] wb = writes[j];
        byte[] we = writes[j + 1];
        // The last read range with begin < we.
        int lo = 0;
        int hi = begins.length - 1;
        int last = -1;
        while (lo <= hi) {
          int mid = (lo + hi) >>> 1;
          if (Arrays.compareUnsigned(begins[mid], we) < 0) {
            last = mid;
            lo = mid + 1;
          } else {
            hi = mid - 1;
          }
        }
        if (last >= 0 && Arrays.compareUnsigned(maxEnds[last], wb) > 0) {
          return true;
        }
      }
      return false;
    }
  }

  /** Remembers a commit's write-conflict ranges. Versions must be recorded in increasing order. */
  public void record(long version, long nowMillis, byte[][] writeRanges) {
    if (writeRanges.length > 0) {
      history.addLast(new Entry(version, nowMillis, writeRanges));
    }
  }

  /** Forgets commits older than the window, advancing {@link #oldestReadableVersion()}. */
  public void trim(long nowMillis) {
    long cutoff = nowMillis - windowMillis;
    Entry first;
    long trimmed = trimmedVersion;
    while ((first = history.peekFirst()) != null && (first.timeMillis < cutoff || history.size() > maxEntries)) {
      history.removeFirst();
      trimmed = first.version;
    }
    if (trimmed != trimmedVersion) {
      trimmedVersion = trimmed;
    }
  }

  /** Declares every version up to {@code version} unreadable, e.g. when history is lost. */
  public void forgetUpTo(long version) {
    history.clear();
    trimmedVersion = Math.max(trimmedVersion, version);
  }

  public int size() {
    return history.size();
  }

  static boolean intersects(byte[][] a, byte[][] b) {
    for (int i = 0; i < a.length; i += 2) {
      byte[] ab = a[i];
      byte[] ae = a[i + 1];
      for (int j = 0; j < b.length; j += 2) {
        if (Arrays.compareUnsigned(ab, b[j + 1]) < 0 && Arrays.compareUnsigned(b[j], ae) < 0) {
          return true;
        }
      }
    }
    return false;
  }

  /** The exception for a {@link Verdict#CONFLICT}. */
  public static CatenaException conflict(long readVersion) {
    return CatenaException.retryable(Errno.EAGAIN,
        "transaction conflict: a key it read changed after read version %d", readVersion);
  }

  /** The exception for a {@link Verdict#TOO_OLD}. */
  public static CatenaException tooOld(long readVersion, long oldest) {
    return CatenaException.retryable(Errno.EAGAIN,
        "transaction too old: read version %d is older than the conflict window (oldest %d)", readVersion, oldest);
  }

  public static CatenaException injectedConflict() {
    return CatenaException.retryable(Errno.EAGAIN, "transaction conflict (injected fault)");
  }
}
