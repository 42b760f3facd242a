package io.catena.kv.etcd;

import com.google.protobuf.ByteString;
import io.catena.kv.Keys;
import io.etcd.jetcd.api.Compare;
import io.etcd.jetcd.api.RequestOp;
import io.etcd.jetcd.api.TxnRequest;
import java.util.Map;
import java.util.TreeMap;

/**
 * A set of etcd key spans {@code [begin, end)} (a single key k is {@code [k, k\0)}), kept merged, answering whether a
 * span overlaps it. The group commit uses two per batch: what its members may read and what they write. Not
 * thread-safe.
 */
final class KeySpans {
  private final TreeMap<byte[], byte[]> spans = new TreeMap<>(Keys.ORDER);

  /** What one etcd transaction reads (its compares, at every level, and its ranges) and writes. */
  record Footprint(KeySpans reads, KeySpans writes) {
    static Footprint of(TxnRequest t) {
      Footprint f = new Footprint(new KeySpans(), new KeySpans());
      f.collect(t);
      return f;
    }

    private void collect(TxnRequest t) {
      for (Compare c : t.getCompareList()) {
        reads.add(c.getKey(), c.getRangeEnd());
      }
      for (RequestOp op : t.getSuccessList()) {
        collect(op);
      }
      for (RequestOp op : t.getFailureList()) {
        collect(op);
      }
    }

    private void collect(RequestOp op) {
      switch (op.getRequestCase()) {
        case REQUEST_RANGE -> reads.add(op.getRequestRange().getKey(), op.getRequestRange().getRangeEnd());
        case REQUEST_PUT -> writes.add(op.getRequestPut().getKey(), ByteString.EMPTY);
        case REQUEST_DELETE_RANGE -> writes.add(op.getRequestDeleteRange().getKey(),
            op.getRequestDeleteRange().getRangeEnd());
        case REQUEST_TXN -> collect(op.getRequestTxn());
        default -> { }
      }
    }
  }

  /** Adds etcd's {@code (key, range_end)}: an empty end is the key alone. */
  void add(ByteString key, ByteString rangeEnd) {
    byte[] b = key.toByteArray();
    byte[] e = rangeEnd.isEmpty() ? Keys.keyAfter(b) : rangeEnd.toByteArray();
    if (rangeEnd.size() == 1 && rangeEnd.byteAt(0) == 0) {
      e = null; // etcd's "every key from key on"
    }
    add(b, e);
  }

  private void add(byte[] b, byte[] e) {
    Map.Entry<byte[], byte[]> lo = spans.floorEntry(b);
    if (lo != null && after(lo.getValue(), b)) {
      b = lo.getKey();
      e = max(e, lo.getValue());
      spans.remove(lo.getKey());
    }
    Map.Entry<byte[], byte[]> next;
    while ((next = spans.ceilingEntry(b)) != null && (e == null || Keys.compare(next.getKey(), e) <= 0)) {
      e = max(e, next.getValue());
      spans.remove(next.getKey());
    }
    spans.put(b, e);
  }

  void addAll(KeySpans other) {
    for (Map.Entry<byte[], byte[]> s : other.spans.entrySet()) {
      add(s.getKey(), s.getValue());
    }
  }

  /** Whether any span of {@code other} shares a key with this set. */
  boolean overlaps(KeySpans other) {
    for (Map.Entry<byte[], byte[]> s : other.spans.entrySet()) {
      if (overlaps(s.getKey(), s.getValue())) {
        return true;
      }
    }
    return false;
  }

  private boolean overlaps(byte[] b, byte[] e) {
    Map.Entry<byte[], byte[]> lo = spans.floorEntry(b);
    if (lo != null && after(lo.getValue(), b)) {
      return true;
    }
    byte[] next = spans.higherKey(b);
    return next != null && (e == null || Keys.compare(next, e) < 0);
  }

  /** Whether an end (null: unbounded) lies beyond key {@code k}, i.e. the span it closes still holds k. */
  private static boolean after(byte[] end, byte[] k) {
    return end == null || Keys.compare(end, k) > 0;
  }

  private static byte[] max(byte[] a, byte[] b) {
    if (a == null || b == null) {
      return null;
    }
    return Keys.compare(a, b) >= 0 ? a : b;
  }
}
