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

  /** Total and free bytes over all storage targets, for statfs. */
  default long[] space() {
    return new long[] {0, 0};
  }
}
