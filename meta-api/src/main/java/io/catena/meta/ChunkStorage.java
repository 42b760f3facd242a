package io.catena.meta;

/**
 * What meta asks of the storage service. Calls do I/O, so meta never makes them inside a KV transaction.
 * Implementations must be thread-safe.
 */
public interface ChunkStorage {

  /** Storage that holds nothing, for namespaces whose files are never written (benchmarks, admin tests). */
  ChunkStorage NONE = new ChunkStorage() {
    @Override
    public long queryLength(long inode, Layout layout) {
      return 0;
    }

    @Override
    public void removeChunks(long inode, Layout layout) {}

    @Override
    public void truncate(long inode, Layout layout, long length) {}

    @Override
    public long copyChunks(Layout layout, long fromData, long toData) {
      return 0;
    }
  };

  /**
   * The exact length of a file from its chunks: for each chain of the stripe, the last chunk and its length, and
   * the file length is the largest end among them.
   */
  long queryLength(long inode, Layout layout);

  /** Removes every chunk of the file. Idempotent: removing a file with no chunks is a success. */
  void removeChunks(long inode, Layout layout);

  /** Removes the file's bytes from {@code length} on (whole chunks beyond it, and the tail of the last chunk). */
  void truncate(long inode, Layout layout, long length);

  /**
   * Copies every chunk named by data id {@code fromData} to the same index under {@code toData}, each on its own
   * chain (placement depends on the layout and the index only, so both names live on the same chain); returns the
   * length of the copy. Used to give a file sharing its data copy-on-write its private copy (docs/snapshots.md).
   * Chunks already under {@code toData} are overwritten; the caller makes sure nobody writes {@code fromData}.
   */
  default long copyChunks(Layout layout, long fromData, long toData) {
    throw new UnsupportedOperationException("this storage cannot copy chunks");
  }

  /** Total and free bytes over all storage targets, for statfs. */
  default long[] space() {
    return new long[] {0, 0};
  }
}
