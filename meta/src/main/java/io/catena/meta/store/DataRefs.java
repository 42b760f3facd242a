package io.catena.meta.store;

import io.catena.meta.Inode;
import io.catena.meta.Layout;
import java.util.Optional;

/**
 * Reference counts of shared file data (docs/snapshots.md). A file's chunks are named by its layout's data owner
 * ({@link Layout#dataOwner}); a snapshot makes several files name the same data. The count of data {@code d} is
 * stored under {@link MetaKeys#dataRef} only while it is above one: no record means exactly one file names
 * {@code d} (the common case costs nothing), so a file whose data has no record may write it in place and its chunks
 * go when it does. Every read here is conflict-tracked: a transaction that decided on a count retries if the count
 * changes before it commits. Stateless and thread-safe.
 */
final class DataRefs {
  private DataRefs() {}

  /** The data id naming the chunks of file {@code i}. */
  static long dataOf(Inode i) {
    return i.layout().dataOwner(i.id());
  }

  /** How many files name data {@code data} (1 when there is no record). */
  static long count(Tx tx, long data) {
    Optional<byte[]> v = tx.get(MetaKeys.dataRef(data), true);
    return v.map(Codec::decodeLong).orElse(1L);
  }

  /** Whether file {@code i} shares its data with another file (a write must first make it a private copy). */
  static boolean shared(Tx tx, Inode i) {
    return i.isFile() && i.layout() != null && count(tx, dataOf(i)) > 1;
  }

  /** One more file names {@code data}. */
  static void share(Tx tx, long data) {
    tx.set(MetaKeys.dataRef(data), Codec.encodeLong(count(tx, data) + 1));
  }

  /**
   * One file fewer names {@code data}; returns false (changing nothing) when it was the last one: then the caller
   * must remove the chunks before it forgets the file.
   */
  static boolean release(Tx tx, long data) {
    long n = count(tx, data);
    if (n <= 1) {
      return false;
    }
    if (n == 2) {
      tx.clear(MetaKeys.dataRef(data));
    } else {
      tx.set(MetaKeys.dataRef(data), Codec.encodeLong(n - 1));
    }
    return true;
  }
}
