package io.catena.client;

import io.catena.common.cluster.ChunkId;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The chunk operations a file's data path needs from storage, addressed by chain: the storage client implements
 * them against chain heads (writes) and serving replicas (reads). Futures complete exceptionally with a
 * {@link io.catena.common.CatenaException}. Implementations are thread-safe.
 */
public interface ChunkIo {

  /** Writes {@code data} (all of its remaining bytes) at {@code offset} of the chunk; completes when committed. */
  CompletableFuture<Void> write(long chainId, ChunkId chunk, int chunkSize, int offset, ByteBuffer data);

  /**
   * Reads up to {@code dst.remaining()} committed bytes from {@code offset} of the chunk into {@code dst} and
   * completes with how many bytes the chunk had there (0 for a missing chunk or a read past its end); the caller
   * treats the rest as a hole.
   */
  CompletableFuture<Integer> read(long chainId, ChunkId chunk, int offset, ByteBuffer dst);

  /** One piece of a batched read: {@link #read}'s arguments. */
  record ChunkRead(long chainId, ChunkId chunk, int offset, ByteBuffer dst) {}

  /**
   * Reads many pieces as {@link #read} would, each completing on its own (in the order the answers come);
   * implementations may send them together (one request per storage node). Never throws: failures complete the
   * pieces' futures.
   */
  default List<CompletableFuture<Integer>> readBatch(List<ChunkRead> reads) {
    List<CompletableFuture<Integer>> out = new ArrayList<>(reads.size());
    for (ChunkRead r : reads) {
      try {
        out.add(read(r.chainId(), r.chunk(), r.offset(), r.dst()));
      } catch (RuntimeException | InternalError e) {
        // InternalError: the JVM's answer to a fault copying into memory mapped from a file someone truncated
        out.add(CompletableFuture.failedFuture(e));
      }
    }
    return out;
  }
}
