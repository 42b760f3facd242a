package io.catena.kv;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Copies every key of one engine into another, offline (nothing may write to either meanwhile): how a cluster moves
 * from the embedded store onto a distributed one ({@code catena admin kv-copy}). Pages are read in key order from a
 * fresh snapshot each and written in transactions small enough for every engine (etcd refuses more than 128
 * operations or 1.5 MiB in one), each also recording the last key copied under {@link #PROGRESS_KEY}; a copy that
 * stopped half way resumes after that key. At the end both sides are read again in full and compared by a SHA-256
 * of every key and value; the progress record is removed only when they match. Not thread-safe: one copy at a time.
 */
public final class KvCopy {
  /** Outside every record kind's prefix (they are 4 ASCII bytes), so no Catena key sorts at or after it. */
  public static final byte[] PROGRESS_KEY = "\u00ffkv-copy/progress".getBytes(StandardCharsets.ISO_8859_1);
  private static final byte[] END = {(byte) 0xff};

  /** What a copy did: keys copied now, keys in all, and the digest both sides share. */
  public record Result(long copied, long keys, String sha256, boolean resumed) {}

  private final KvEngine from;
  private final KvEngine to;
  private final int maxOps;
  private final long maxBytes;

  /**
   * @param maxOps keys per destination transaction (one more operation records progress)
   * @param maxBytes bytes of keys and values per destination transaction
   */
  public KvCopy(KvEngine from, KvEngine to, int maxOps, long maxBytes) {
    if (maxOps < 1 || maxBytes < 1) {
      throw new IllegalArgumentException("maxOps and maxBytes must be positive");
    }
    this.from = from;
    this.to = to;
    this.maxOps = maxOps;
    this.maxBytes = maxBytes;
  }

  /** Copies (or resumes copying), then verifies; {@code progress} hears the keys copied so far after each page. */
  public Result run(Consumer<Long> progress) {
    byte[] resumeAfter = resumePoint();
    boolean resumed = resumeAfter != null;
    if (!resumed && !isEmpty(to)) {
      throw CatenaException.of(Errno.EEXIST, "the destination %s is not empty and holds no unfinished copy: copy "
          + "into an empty store (or a fresh etcd prefix)", to.url());
    }
    byte[] begin = resumed ? next(resumeAfter) : new byte[0];
    long copied = 0;
    while (true) {
      RangeResult page;
      try (ReadTransaction r = from.beginRead()) {
        page = r.snapshotGetRange(begin, END, maxOps, false);
      }
      List<KeyValue> pairs = page.pairs();
      if (pairs.isEmpty()) {
        break;
      }
      int n = 0;
      long bytes = PROGRESS_KEY.length;
      while (n < pairs.size()) {
        KeyValue kv = pairs.get(n);
        long size = kv.key().length + kv.value().length;
        if (size + PROGRESS_KEY.length + kv.key().length > maxBytes) {
          throw CatenaException.of(Errno.EFBIG, "key %s with a %d-byte value does not fit one destination "
              + "transaction of at most %d bytes", printable(kv.key()), kv.value().length, maxBytes);
        }
        if (n > 0 && bytes + size + kv.key().length > maxBytes) {
          break;
        }
        bytes += size;
        n++;
      }
      List<KeyValue> batch = pairs.subList(0, n);
      byte[] last = batch.get(n - 1).key();
      try (ReadWriteTransaction w = to.beginReadWrite()) {
        for (KeyValue kv : batch) {
          w.set(kv.key(), kv.value());
        }
        w.set(PROGRESS_KEY, last);
        w.commit();
      }
      copied += n;
      progress.accept(copied);
      begin = next(last);
    }
    // The dump's digest: SHA-256 over (length, key, length, value) of every key below 0xff, in key order.
    String a = KvDump.digest(from);
    String b = KvDump.digest(to);
    long keys = count(from);
    if (!a.equals(b)) {
      throw CatenaException.of(Errno.EIO, "verification failed: the source's keys hash to %s, the destination's to "
          + "%s (was either store written during the copy?); the copy can be rerun into an empty store", a, b);
    }
    try (ReadWriteTransaction w = to.beginReadWrite()) {
      w.clear(PROGRESS_KEY);
      w.commit();
    }
    return new Result(copied, keys, a, resumed);
  }

  private byte[] resumePoint() {
    try (ReadTransaction r = to.beginRead()) {
      Optional<byte[]> v = r.snapshotGet(PROGRESS_KEY);
      return v.orElse(null);
    }
  }

  private static boolean isEmpty(KvEngine e) {
    try (ReadTransaction r = e.beginRead()) {
      return r.snapshotGetRange(new byte[0], END, 1, false).pairs().isEmpty()
          && r.snapshotGet(PROGRESS_KEY).isEmpty();
    }
  }

  private static long count(KvEngine e) {
    long n = 0;
    byte[] begin = new byte[0];
    while (true) {
      RangeResult page;
      try (ReadTransaction r = e.beginRead()) {
        page = r.snapshotGetRange(begin, END, 1000, false);
      }
      n += page.pairs().size();
      if (!page.more() || page.pairs().isEmpty()) {
        return n;
      }
      begin = next(page.pairs().getLast().key());
    }
  }

  /** The smallest key after {@code k}. */
  private static byte[] next(byte[] k) {
    return Arrays.copyOf(k, k.length + 1);
  }

  private static String printable(byte[] k) {
    return new String(k, 0, Math.min(k.length, 4), StandardCharsets.ISO_8859_1) + "+"
        + HexFormat.of().formatHex(k, Math.min(k.length, 4), Math.min(k.length, 24));
  }
}
