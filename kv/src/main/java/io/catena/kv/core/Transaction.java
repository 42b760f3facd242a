package io.catena.kv.core;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.RangeResult;
import io.catena.kv.ReadWriteTransaction;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.LongSupplier;

/**
 * The transaction of every local engine: reads go to an engine {@link Snapshot} at the read version, writes are
 * buffered here (read-your-writes, including clearRange over snapshot reads and range reads merged with buffered
 * writes), conflict ranges are recorded here, and {@link #commit} hands everything to the engine's
 * {@link EngineCore#commit} for resolution. Buffered writes are a sorted map of key to value or
 * {@link #TOMBSTONE} plus a set of disjoint cleared ranges; a clearRange drops the buffered point writes it covers,
 * so "ranges first, then points" replays the transaction exactly. Not thread-safe: one thread at a time.
 */
public final class Transaction implements ReadWriteTransaction {
  /** Marks a buffered point clear. Compared by identity. */
  static final byte[] TOMBSTONE = new byte[0];
  private static final byte[][] NO_RANGES = new byte[0][];

  private enum State { OPEN, COMMITTED, FAILED, CLOSED }

  private final EngineCore core;
  private final Snapshot snapshot;
  /** Null when the version was fixed at begin; otherwise asked once, when first needed. */
  private final LongSupplier lazyReadVersion;
  private long readVersion;
  private final boolean readOnly;
  private TreeMap<byte[], byte[]> writes;
  private TreeMap<byte[], byte[]> clears;
  /** Pending atomic additions; never shares a key with {@code writes} (an add after a set folds into the set). */
  private TreeMap<byte[], Long> adds;
  private ArrayList<byte[]> readConflicts;
  private ArrayList<byte[]> extraWriteConflicts;
  private State state = State.OPEN;

  public Transaction(EngineCore core, Snapshot snapshot, long readVersion, boolean readOnly) {
    this.core = core;
    this.snapshot = snapshot;
    this.lazyReadVersion = null;
    this.readVersion = readVersion;
    this.readOnly = readOnly;
  }

  /**
   * A transaction whose read version the engine fixes no later than its first read (a remote engine folds the
   * version into that read instead of paying a round trip at begin); {@code readVersion} tells it, fixing it if no
   * read has yet. Recording a read conflict fixes it too. The version must include every commit acknowledged before
   * the transaction began.
   */
  public Transaction(EngineCore core, Snapshot snapshot, LongSupplier readVersion, boolean readOnly) {
    this.core = core;
    this.snapshot = snapshot;
    this.lazyReadVersion = Objects.requireNonNull(readVersion, "readVersion");
    this.readVersion = -1;
    this.readOnly = readOnly;
  }

  @Override
  public long readVersion() {
    if (lazyReadVersion != null && readVersion < 0) {
      readVersion = lazyReadVersion.getAsLong();
    }
    return readVersion;
  }

  @Override
  public Optional<byte[]> snapshotGet(byte[] key) {
    Objects.requireNonNull(key, "key");
    checkReadableState();
    return lookup(key);
  }

  @Override
  public RangeResult snapshotGetRange(byte[] begin, byte[] end, int limit, boolean reverse) {
    checkRange(begin, end);
    checkReadableState();
    return range(begin, end, limit, reverse);
  }

  @Override
  public void prefetch(java.util.Collection<byte[]> keys) {
    checkReadableState();
    List<byte[]> wanted = new ArrayList<>(keys.size());
    for (byte[] k : keys) {
      if ((writes == null || !writes.containsKey(k)) && !clearedByRange(k)) {
        wanted.add(k.clone());
      }
    }
    if (!wanted.isEmpty()) {
      snapshot.prefetch(wanted);
    }
  }

  @Override
  public Optional<byte[]> get(byte[] key) {
    Objects.requireNonNull(key, "key");
    checkWritableState();
    Optional<byte[]> v = lookup(key); // first: a read that reaches the engine fixes a lazy read version for free
    addReadConflict(key.clone(), Keys.keyAfter(key));
    return v;
  }

  @Override
  public RangeResult getRange(byte[] begin, byte[] end, int limit, boolean reverse) {
    checkRange(begin, end);
    checkWritableState();
    RangeResult r = range(begin, end, limit, reverse);
    if (!r.more() || r.pairs().isEmpty()) {
      addReadConflict(begin.clone(), end.clone());
    } else {
      // FoundationDB's rule: only the part actually read conflicts, so paging through a hot range stays cheap.
      byte[] last = r.pairs().getLast().key();
      if (reverse) {
        addReadConflict(last.clone(), end.clone());
      } else {
        addReadConflict(begin.clone(), Keys.keyAfter(last));
      }
    }
    return r;
  }

  @Override
  public void addReadConflictKey(byte[] key) {
    checkWritableState();
    addReadConflict(key.clone(), Keys.keyAfter(key));
  }

  @Override
  public void addReadConflictRange(byte[] begin, byte[] end) {
    checkRange(begin, end);
    checkWritableState();
    if (Arrays.compareUnsigned(begin, end) < 0) {
      addReadConflict(begin.clone(), end.clone());
    }
  }

  @Override
  public void addWriteConflictKey(byte[] key) {
    checkWritableState();
    if (extraWriteConflicts == null) {
      extraWriteConflicts = new ArrayList<>(2);
    }
    extraWriteConflicts.add(key.clone());
    extraWriteConflicts.add(Keys.keyAfter(key));
  }

  @Override
  public void set(byte[] key, byte[] value) {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(value, "value");
    checkWritableState();
    dropAdd(key);
    writes().put(key.clone(), value.clone());
  }

  @Override
  public void clear(byte[] key) {
    Objects.requireNonNull(key, "key");
    checkWritableState();
    dropAdd(key);
    writes().put(key.clone(), TOMBSTONE);
  }

  @Override
  public void atomicAdd(byte[] key, long delta) {
    Objects.requireNonNull(key, "key");
    checkWritableState();
    byte[] buffered = writes == null ? null : writes.get(key);
    if (buffered != null) {
      long base = buffered == TOMBSTONE ? 0 : Keys.counterOf(buffered);
      writes.put(key.clone(), Keys.counterValue(base + delta));
    } else if (clearedByRange(key)) {
      writes().put(key.clone(), Keys.counterValue(delta));
    } else {
      if (adds == null) {
        adds = new TreeMap<>(Keys.ORDER);
      }
      adds.merge(key.clone(), delta, Long::sum);
    }
  }

  private void dropAdd(byte[] key) {
    if (adds != null) {
      adds.remove(key);
    }
  }

  @Override
  public void clearRange(byte[] begin, byte[] end) {
    checkRange(begin, end);
    checkWritableState();
    if (Arrays.compareUnsigned(begin, end) >= 0) {
      return;
    }
    if (writes != null) {
      writes.subMap(begin, true, end, false).clear();
    }
    if (adds != null) {
      adds.subMap(begin, true, end, false).clear();
    }
    if (clears == null) {
      clears = new TreeMap<>(Keys.ORDER);
    }
    byte[] b = begin.clone();
    byte[] e = end.clone();
    Map.Entry<byte[], byte[]> lo = clears.floorEntry(b);
    if (lo != null && Arrays.compareUnsigned(lo.getValue(), b) >= 0) {
      b = lo.getKey();
      e = max(e, lo.getValue());
      clears.remove(lo.getKey());
    }
    Map.Entry<byte[], byte[]> next;
    while ((next = clears.ceilingEntry(b)) != null && Arrays.compareUnsigned(next.getKey(), e) <= 0) {
      e = max(e, next.getValue());
      clears.remove(next.getKey());
    }
    clears.put(b, e);
  }

  @Override
  public boolean hasWrites() {
    return (writes != null && !writes.isEmpty()) || (clears != null && !clears.isEmpty())
        || (adds != null && !adds.isEmpty()) || (extraWriteConflicts != null && !extraWriteConflicts.isEmpty());
  }

  @Override
  public long commit() {
    checkWritableState();
    if (!hasWrites()) {
      // Read-only: serializable at its read version by construction, nothing to resolve.
      state = State.COMMITTED;
      return readVersion();
    }
    int n = (writes == null ? 0 : 2 * writes.size()) + (clears == null ? 0 : 2 * clears.size())
        + (adds == null ? 0 : 2 * adds.size()) + (extraWriteConflicts == null ? 0 : extraWriteConflicts.size());
    byte[][] wc = new byte[n][];
    int i = 0;
    List<byte[]> clearList = List.of();
    if (clears != null) {
      clearList = new ArrayList<>(2 * clears.size());
      for (Map.Entry<byte[], byte[]> c : clears.entrySet()) {
        clearList.add(c.getKey());
        clearList.add(c.getValue());
        wc[i++] = c.getKey();
        wc[i++] = c.getValue();
      }
    }
    if (writes != null) {
      for (byte[] k : writes.keySet()) {
        wc[i++] = k;
        wc[i++] = Keys.keyAfter(k);
      }
    }
    if (adds != null) {
      for (byte[] k : adds.keySet()) {
        wc[i++] = k;
        wc[i++] = Keys.keyAfter(k);
      }
    }
    if (extraWriteConflicts != null) {
      for (byte[] k : extraWriteConflicts) {
        wc[i++] = k;
      }
    }
    byte[][] rc = readConflicts == null ? NO_RANGES : readConflicts.toArray(NO_RANGES);
    NavigableMap<byte[], byte[]> w = writes == null ? Collections.emptyNavigableMap() : writes;
    NavigableMap<byte[], Long> a = adds == null ? Collections.emptyNavigableMap() : adds;
    try {
      // A lazy engine that was never asked for the version gets -1 and fixes it itself only if a check needs it.
      long v = core.commit(new CommitRequest(readVersion, rc, wc, clearList, w, a));
      state = State.COMMITTED;
      return v;
    } catch (RuntimeException e) {
      state = State.FAILED;
      throw e;
    }
  }

  @Override
  public void close() {
    if (state != State.CLOSED) {
      state = State.CLOSED;
      snapshot.release();
    }
  }

  private TreeMap<byte[], byte[]> writes() {
    if (writes == null) {
      writes = new TreeMap<>(Keys.ORDER);
    }
    return writes;
  }

  private void addReadConflict(byte[] begin, byte[] end) {
    // A conflict is declared against the read version: it must exist by now, or later writes would slip under it.
    readVersion();
    if (readConflicts == null) {
      readConflicts = new ArrayList<>(4);
    }
    readConflicts.add(begin);
    readConflicts.add(end);
  }

  private Optional<byte[]> lookup(byte[] key) {
    if (writes != null) {
      byte[] w = writes.get(key);
      if (w != null) {
        return w == TOMBSTONE ? Optional.empty() : Optional.of(w.clone());
      }
    }
    if (clearedByRange(key)) {
      return Optional.empty();
    }
    byte[] v = snapshot.get(key);
    core.checkReadable(readVersion());
    Long delta = adds == null ? null : adds.get(key);
    if (delta != null) {
      return Optional.of(Keys.counterValue(Keys.counterOf(v) + delta));
    }
    return Optional.ofNullable(v);
  }

  private boolean clearedByRange(byte[] key) {
    if (clears == null) {
      return false;
    }
    Map.Entry<byte[], byte[]> e = clears.floorEntry(key);
    return e != null && Arrays.compareUnsigned(key, e.getValue()) < 0;
  }

  private RangeResult range(byte[] begin, byte[] end, int limit, boolean reverse) {
    if (Arrays.compareUnsigned(begin, end) >= 0) {
      return new RangeResult(List.of(), false);
    }
    long want = limit <= 0 ? Long.MAX_VALUE : (long) limit + 1;
    NavigableMap<byte[], byte[]> overlay = writes == null ? null : writes.subMap(begin, true, end, false);
    if (adds != null && !adds.subMap(begin, true, end, false).isEmpty()) {
      // Pending adds show as their resulting counter values: fold them into a copy of the buffered writes.
      TreeMap<byte[], byte[]> merged = new TreeMap<>(Keys.ORDER);
      if (overlay != null) {
        merged.putAll(overlay);
      }
      for (Map.Entry<byte[], Long> e : adds.subMap(begin, true, end, false).entrySet()) {
        merged.put(e.getKey(), Keys.counterValue(Keys.counterOf(snapshot.get(e.getKey())) + e.getValue()));
      }
      overlay = merged;
    }
    Merger m = new Merger(overlay, reverse, want);
    snapshot.scan(begin, end, reverse, m);
    m.drainBuffered();
    core.checkReadable(readVersion());
    List<KeyValue> out = m.out;
    boolean more = limit > 0 && out.size() > limit;
    if (more) {
      out.removeLast();
    }
    return new RangeResult(out, more);
  }

  /**
   * Merges a snapshot scan with the buffered writes of the same range (pending adds folded in), in scan order, up
   * to {@code want} pairs.
   */
  private final class Merger implements Snapshot.Visitor {
    final ArrayList<KeyValue> out = new ArrayList<>();
    final boolean reverse;
    final long want;
    final Iterator<Map.Entry<byte[], byte[]>> buffered;
    Map.Entry<byte[], byte[]> pending;

    Merger(NavigableMap<byte[], byte[]> sub, boolean reverse, long want) {
      this.reverse = reverse;
      this.want = want;
      if (sub == null || sub.isEmpty()) {
        buffered = Collections.emptyIterator();
      } else {
        buffered = (reverse ? sub.descendingMap() : sub).entrySet().iterator();
      }
      pending = buffered.hasNext() ? buffered.next() : null;
    }

    @Override
    public boolean visit(byte[] key, byte[] value) {
      while (pending != null) {
        int c = Arrays.compareUnsigned(pending.getKey(), key);
        if (reverse ? c <= 0 : c >= 0) {
          break;
        }
        emitPending();
        if (out.size() >= want) {
          return false;
        }
      }
      if (pending != null && Arrays.equals(pending.getKey(), key)) {
        emitPending();
      } else if (!clearedByRange(key)) {
        out.add(new KeyValue(key, value));
      }
      return out.size() < want;
    }

    void drainBuffered() {
      while (pending != null && out.size() < want) {
        emitPending();
      }
    }

    private void emitPending() {
      byte[] v = pending.getValue();
      if (v != TOMBSTONE) {
        out.add(new KeyValue(pending.getKey().clone(), v.clone()));
      }
      pending = buffered.hasNext() ? buffered.next() : null;
    }
  }

  private void checkReadableState() {
    if (state == State.CLOSED) {
      throw CatenaException.of(Errno.EINVAL, "transaction is closed");
    }
  }

  private void checkWritableState() {
    if (readOnly) {
      throw CatenaException.of(Errno.EINVAL, "read-only transaction");
    }
    switch (state) {
      case OPEN -> { }
      case COMMITTED -> throw CatenaException.of(Errno.EINVAL, "transaction already committed");
      case FAILED -> throw CatenaException.of(Errno.EINVAL, "transaction already failed to commit; start a new one");
      case CLOSED -> throw CatenaException.of(Errno.EINVAL, "transaction is closed");
    }
  }

  private static void checkRange(byte[] begin, byte[] end) {
    Objects.requireNonNull(begin, "begin");
    Objects.requireNonNull(end, "end");
  }

  private static byte[] max(byte[] a, byte[] b) {
    return Arrays.compareUnsigned(a, b) >= 0 ? a : b;
  }
}
