package io.catena.meta;

import io.catena.kv.KvEngine;
import io.catena.kv.RangeResult;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import java.util.Optional;
import java.util.concurrent.locks.LockSupport;

/**
 * A KV engine whose read-write transactions pause before committing, so that concurrent transactions really
 * overlap (on the mem engine a transaction is over in microseconds and races between them are rare). The pause
 * widens the window between a transaction's reads and its commit; it is not used to wait for anything.
 * Thread-safe as the engine it wraps.
 */
public final class SlowCommits implements KvEngine {
  private final KvEngine inner;
  private final long pauseNanos;

  public SlowCommits(KvEngine inner, long pauseNanos) {
    this.inner = inner;
    this.pauseNanos = pauseNanos;
  }

  @Override
  public ReadTransaction beginRead() {
    return inner.beginRead();
  }

  @Override
  public ReadWriteTransaction beginReadWrite() {
    ReadWriteTransaction t = inner.beginReadWrite();
    return new ReadWriteTransaction() {
      @Override public long readVersion() { return t.readVersion(); }
      @Override public Optional<byte[]> snapshotGet(byte[] key) { return t.snapshotGet(key); }
      @Override public RangeResult snapshotGetRange(byte[] b, byte[] e, int limit, boolean reverse) {
        return t.snapshotGetRange(b, e, limit, reverse);
      }
      @Override public Optional<byte[]> get(byte[] key) { return t.get(key); }
      @Override public RangeResult getRange(byte[] b, byte[] e, int limit, boolean reverse) {
        return t.getRange(b, e, limit, reverse);
      }
      @Override public void addReadConflictKey(byte[] key) { t.addReadConflictKey(key); }
      @Override public void addReadConflictRange(byte[] b, byte[] e) { t.addReadConflictRange(b, e); }
      @Override public void addWriteConflictKey(byte[] key) { t.addWriteConflictKey(key); }
      @Override public void set(byte[] key, byte[] value) { t.set(key, value); }
      @Override public void clear(byte[] key) { t.clear(key); }
      @Override public void clearRange(byte[] b, byte[] e) { t.clearRange(b, e); }
      @Override public void atomicAdd(byte[] key, long delta) { t.atomicAdd(key, delta); }
      @Override public boolean hasWrites() { return t.hasWrites(); }
      @Override public void close() { t.close(); }

      @Override
      public long commit() {
        if (t.hasWrites()) {
          LockSupport.parkNanos(pauseNanos);
        }
        return t.commit();
      }
    };
  }

  @Override
  public String url() {
    return inner.url();
  }

  @Override
  public void close() {
    inner.close();
  }
}
