package io.catena.kv;

import java.util.Optional;

/**
 * A consistent read-only view of the store at one read version. Reads never block writers and never conflict.
 * Not thread-safe: one transaction belongs to one thread at a time. Close it to release its snapshot.
 *
 * <p>Keys are compared as unsigned bytes. Ranges are {@code [begin, end)}. Errors are thrown as
 * {@link io.catena.common.CatenaException} (e.g. a retryable "transaction too old" when a snapshot outlived the
 * engine's history window).
 */
public interface ReadTransaction extends AutoCloseable {

  /** The version this transaction reads at (fixed by this call if the engine fixes it lazily and no read has yet). */
  long readVersion();

  /** The value of {@code key} at the read version (with this transaction's own writes applied, if any). */
  Optional<byte[]> snapshotGet(byte[] key);

  /**
   * Up to {@code limit} pairs with {@code begin <= key < end} (limit {@code <= 0} means no limit), ascending, or
   * descending with {@code reverse}. Adds no read conflict.
   */
  RangeResult snapshotGetRange(byte[] begin, byte[] end, int limit, boolean reverse);

  /**
   * A hint that this transaction is about to read {@code keys}: a remote engine may fetch them all in one round trip
   * now, at the read version, so the reads that follow cost none. It has no other effect (no read conflict, nothing
   * a read answers changes); local engines ignore it.
   */
  default void prefetch(java.util.Collection<byte[]> keys) {}

  @Override
  void close();
}
