package io.catena.meta.store;

import io.catena.meta.Layout;

/**
 * Copies one chunk of a file from the chain of one layout to the chain of another, for the goal mover. Calls do I/O,
 * so they are never made inside a KV transaction. Implementations are thread-safe.
 */
public interface ChunkCopier {

  /**
   * Copies chunk {@code index} of {@code ino} from its chain under {@code from} to its chain under {@code to} and
   * verifies the copy (whole-chunk length and CRC32C equal the source's) before returning; a chunk missing at the
   * source (a hole) is removed at the destination. Returns the bytes copied. Throws if the copy does not verify.
   */
  long copy(long ino, long index, Layout from, Layout to);
}
