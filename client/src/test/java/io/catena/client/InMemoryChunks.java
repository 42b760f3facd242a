package io.catena.client;

import io.catena.common.cluster.ChunkId;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Chunks kept in memory per chain, with storage's semantics (a chunk is as long as its highest written byte; a
 * missing chunk reads as nothing): the stand-in for the storage chains in client unit tests. Thread-safe.
 */
public final class InMemoryChunks implements ChunkIo, ChunkStorage {
  public record Key(long chain, ChunkId chunk) {}

  public final Map<Key, byte[]> chunks = new ConcurrentHashMap<>();

  @Override
  public CompletableFuture<Void> write(long chainId, ChunkId chunk, int chunkSize, int offset, ByteBuffer data) {
    if (offset + data.remaining() > chunkSize) {
      return CompletableFuture.failedFuture(new AssertionError("write crosses a chunk boundary"));
    }
    chunks.compute(new Key(chainId, chunk), (k, old) -> {
      byte[] cur = old == null ? new byte[0] : old;
      int end = offset + data.remaining();
      byte[] next = end > cur.length ? Arrays.copyOf(cur, end) : cur.clone();
      data.duplicate().get(next, offset, data.remaining());
      return next;
    });
    return CompletableFuture.completedFuture(null);
  }

  @Override
  public CompletableFuture<Integer> read(long chainId, ChunkId chunk, int offset, ByteBuffer dst) {
    byte[] cur = chunks.get(new Key(chainId, chunk));
    if (cur == null || offset >= cur.length) {
      return CompletableFuture.completedFuture(0);
    }
    int n = Math.min(dst.remaining(), cur.length - offset);
    dst.put(cur, offset, n);
    return CompletableFuture.completedFuture(n);
  }

  @Override
  public long queryLength(long file, Layout layout) {
    long inode = layout.dataOwner(file);
    long len = 0;
    for (var e : chunks.entrySet()) {
      if (e.getKey().chunk().inode() == inode) {
        len = Math.max(len, e.getKey().chunk().index() * layout.chunkSize() + e.getValue().length);
      }
    }
    return len;
  }

  @Override
  public void removeChunks(long file, Layout layout) {
    long inode = layout.dataOwner(file);
    chunks.keySet().removeIf(k -> k.chunk().inode() == inode);
  }

  @Override
  public void truncate(long file, Layout layout, long length) {
    long inode = layout.dataOwner(file);
    for (var e : chunks.entrySet()) {
      ChunkId c = e.getKey().chunk();
      if (c.inode() != inode) {
        continue;
      }
      long start = c.index() * layout.chunkSize();
      if (start >= length) {
        chunks.remove(e.getKey());
      } else if (start + e.getValue().length > length) {
        chunks.put(e.getKey(), Arrays.copyOf(e.getValue(), (int) (length - start)));
      }
    }
  }

  @Override
  public long copyChunks(Layout layout, long fromData, long toData) {
    for (var e : List.copyOf(chunks.entrySet())) {
      if (e.getKey().chunk().inode() == fromData) {
        chunks.put(new Key(e.getKey().chain(), new ChunkId(toData, e.getKey().chunk().index())), e.getValue().clone());
      }
    }
    return queryLength(fromData, layout.withDataId(Layout.OWN_DATA));
  }
}
