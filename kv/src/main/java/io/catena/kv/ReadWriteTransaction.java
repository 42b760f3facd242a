package io.catena.kv;

import java.util.Optional;

/**
 * A serializable read-write transaction (optimistic, as in FoundationDB). Reads see this transaction's own writes.
 * {@link #get} and {@link #getRange} record read conflicts; {@code snapshot*} reads do not. {@link #commit} fails
 * with a retryable {@link io.catena.common.CatenaException} (EAGAIN) if any key or range this transaction read with
 * conflict tracking, or declared with {@code addReadConflict*}, was written by a transaction that committed after
 * this one's read version. Not thread-safe: one transaction belongs to one thread at a time.
 */
public interface ReadWriteTransaction extends ReadTransaction {

  /** Reads {@code key} and records a read conflict on it. */
  Optional<byte[]> get(byte[] key);

  /**
   * Reads a range and records a read conflict on the part of it that was read: the whole range if the result has
   * no more pairs, otherwise up to and including the last key returned (FoundationDB's rule).
   */
  RangeResult getRange(byte[] begin, byte[] end, int limit, boolean reverse);

  void addReadConflictKey(byte[] key);

  /** Declares a read conflict on {@code [begin, end)}. */
  void addReadConflictRange(byte[] begin, byte[] end);

  /** Declares a write conflict on {@code key} without writing it, so concurrent readers of it conflict. */
  void addWriteConflictKey(byte[] key);

  void set(byte[] key, byte[] value);

  void clear(byte[] key);

  /** Clears every key in {@code [begin, end)}. */
  void clearRange(byte[] begin, byte[] end);

  /**
   * Makes the writes durable and visible atomically, or throws. After a successful return the writes survive a
   * crash of the process (for persistent engines). A transaction is committed at most once.
   *
   * @return the commit version
   */
  long commit();

  /** Whether this transaction has buffered any write (set, clear or write conflict). */
  boolean hasWrites();
}
