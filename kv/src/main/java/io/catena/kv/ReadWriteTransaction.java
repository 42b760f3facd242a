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
   * Adds {@code delta} to the 64-bit counter stored at {@code key} (FoundationDB's ADD): the value is 8 bytes,
   * little-endian two's complement, wrapping on overflow; a missing key, or a value that is not exactly 8 bytes,
   * counts as 0. Conflict-free: it records no read conflict, so any number of transactions may add to one key
   * concurrently and all commit, while the key's write conflict still makes readers of the counter (with
   * {@link #get}) conflict. The addition happens at commit against the latest committed value, so concurrent adds
   * are never lost. Reads of the key in this transaction see the committed value at the read version plus the
   * pending delta. A later {@link #set}, {@link #clear} or {@link #clearRange} of the key replaces the pending
   * delta; an add after a set or clear in this transaction adds to that value.
   */
  void atomicAdd(byte[] key, long delta);

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
