package io.catena.kv.etcd;

import io.catena.kv.Keys;
import java.util.Map;
import java.util.TreeMap;

/**
 * What one transaction's reads revealed at its read revision: the mod revision of every key seen, and the disjoint
 * intervals whose complete content is known (a point read covers its key, a range page the span it answered for).
 * The commit turns it into compares without asking etcd again. Not thread-safe; owned by one transaction.
 */
final class ReadLog {
  private final TreeMap<byte[], Long> mods = new TreeMap<>(Keys.ORDER);
  private final TreeMap<byte[], byte[]> covered = new TreeMap<>(Keys.ORDER);

  void saw(byte[] key, long modRevision) {
    mods.put(key, modRevision);
  }

  void cover(byte[] b, byte[] e) {
    if (Keys.compare(b, e) >= 0) {
      return;
    }
    Map.Entry<byte[], byte[]> lo = covered.floorEntry(b);
    if (lo != null && Keys.compare(lo.getValue(), b) >= 0) {
      b = lo.getKey();
      if (Keys.compare(lo.getValue(), e) > 0) {
        e = lo.getValue();
      }
      covered.remove(lo.getKey());
    }
    Map.Entry<byte[], byte[]> next;
    while ((next = covered.ceilingEntry(b)) != null && Keys.compare(next.getKey(), e) <= 0) {
      if (Keys.compare(next.getValue(), e) > 0) {
        e = next.getValue();
      }
      covered.remove(next.getKey());
    }
    covered.put(b, e);
  }

  /** The end of the known interval holding {@code key}, or null. */
  private byte[] coveredEnd(byte[] key) {
    Map.Entry<byte[], byte[]> lo = covered.floorEntry(key);
    return lo != null && Keys.compare(lo.getValue(), key) > 0 ? lo.getValue() : null;
  }

  /** The key's mod revision at the read revision (0: absent), or -1 if the reads did not reveal it. */
  long modOf(byte[] key) {
    if (coveredEnd(key) == null) {
      return -1;
    }
    Long m = mods.get(key);
    return m == null ? 0 : m;
  }

  /**
   * The smallest key present in {@code [b, e)} at the read revision as {@code {key}}, {@code {}} if the range was
   * empty, or null if the reads did not reveal it.
   */
  byte[][] firstKey(byte[] b, byte[] e) {
    byte[] end = coveredEnd(b);
    if (end == null) {
      return null;
    }
    byte[] k = mods.ceilingKey(b);
    if (k != null && Keys.compare(k, e) < 0 && Keys.compare(k, end) < 0) {
      return new byte[][] {k};
    }
    return Keys.compare(end, e) >= 0 ? new byte[0][] : null;
  }
}
