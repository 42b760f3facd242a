package io.catena.kv.core;

/**
 * An engine's consistent view of committed data at one read version, without any transaction's buffered writes.
 * Returned arrays are owned by the caller. Thread-safe (several transactions may share one snapshot); released once
 * by each holder.
 */
public interface Snapshot {

  /** The committed value of {@code key}, or null. */
  byte[] get(byte[] key);

  /** Called with each pair in {@code [begin, end)} in order (descending with {@code reverse}) until it returns false. */
  void scan(byte[] begin, byte[] end, boolean reverse, Visitor visitor);

  /** May fetch {@code keys} now so that {@link #get} of them answers without a round trip (see ReadTransaction). */
  default void prefetch(java.util.List<byte[]> keys) {}

  /** Drops this holder's reference; the engine frees the snapshot when the last holder has released it. */
  void release();

  /** Receives pairs of a scan. */
  @FunctionalInterface
  interface Visitor {
    /** @return whether to continue */
    boolean visit(byte[] key, byte[] value);
  }
}
