package io.catena.meta.store;

import io.catena.kv.TransactionRunner;
import java.util.Optional;

/**
 * Hands out inode (and session) ids from blocks taken from one shared KV counter, so meta servers on one engine never
 * hand out the same id and the counter key is written once per block, not once per create. Ids are never reused.
 * Thread-safe: synchronized; the KV transaction runs only when a block is used up.
 */
public final class IdAllocator {
  /** Ids below this are reserved (0 is the root). */
  public static final long FIRST_ID = 16;

  private final TransactionRunner runner;
  private final int block;
  private long next;
  private long end;

  public IdAllocator(TransactionRunner runner, int block) {
    this.runner = runner;
    this.block = block;
  }

  public synchronized long next() {
    if (next == end) {
      long start = runner.run(txn -> {
        Optional<byte[]> v = txn.get(MetaKeys.ID_COUNTER);
        long s = v.map(Codec::decodeLong).orElse(FIRST_ID);
        txn.set(MetaKeys.ID_COUNTER, Codec.encodeLong(s + block));
        return s;
      });
      next = start;
      end = start + block;
    }
    return next++;
  }
}
