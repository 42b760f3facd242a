package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import io.catena.storage.client.StorageClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * File data on the storage chains: writes go to the chain's head (CRAQ), reads to a serving replica. Thread-safe,
 * as the storage client is.
 */
public final class StorageChunkIo implements ChunkIo {
  private final StorageClient storage;

  public StorageChunkIo(StorageClient storage) {
    this.storage = storage;
  }

  @Override
  public CompletableFuture<Void> write(long chainId, ChunkId chunk, int chunkSize, int offset, ByteBuffer data) {
    // Wrapping, not copying: the caller keeps `data` untouched until the future completes.
    ByteBuf buf = Unpooled.wrappedBuffer(data.slice());
    return storage.write(chainId, chunk, chunkSize, offset, buf)
        .whenComplete((r, e) -> buf.release())
        .thenApply(r -> null);
  }

  @Override
  public CompletableFuture<Integer> read(long chainId, ChunkId chunk, int offset, ByteBuffer dst) {
    return copied(storage.read(chainId, chunk, offset, dst.remaining()), dst);
  }

  /** One request per storage node for the whole batch ({@link StorageClient#batchReadEach}). */
  @Override
  public List<CompletableFuture<Integer>> readBatch(List<ChunkRead> reads) {
    List<StorageClient.ReadRange> ranges = new ArrayList<>(reads.size());
    for (ChunkRead r : reads) {
      ranges.add(new StorageClient.ReadRange(r.chainId(), r.chunk(), r.offset(), r.dst().remaining()));
    }
    List<CompletableFuture<StorageClient.ReadData>> got = storage.batchReadEach(ranges);
    List<CompletableFuture<Integer>> out = new ArrayList<>(reads.size());
    for (int i = 0; i < reads.size(); i++) {
      out.add(copied(got.get(i), reads.get(i).dst()));
    }
    return out;
  }

  /**
   * Copies what storage answered straight from the RPC receive buffer into {@code dst} (a heap, direct or mapped
   * buffer: the only copy on the read path).
   */
  private static CompletableFuture<Integer> copied(CompletableFuture<StorageClient.ReadData> read, ByteBuffer dst) {
    return read.thenApply(r -> {
      try (r) {
        return r.data().copyTo(dst);
      }
    }).exceptionally(e -> {
      // Storage answers ENOENT (never retryable) only for a chunk with no committed version: a hole in a sparse
      // file, or a chunk past a truncation. The contract is "0 bytes there"; the caller zero-fills.
      Throwable cause = e instanceof java.util.concurrent.CompletionException && e.getCause() != null
          ? e.getCause() : e;
      if (cause instanceof CatenaException ce && ce.errno() == Errno.ENOENT && !ce.status().retryable()) {
        return 0;
      }
      throw e instanceof RuntimeException re ? re : new java.util.concurrent.CompletionException(e);
    });
  }
}
