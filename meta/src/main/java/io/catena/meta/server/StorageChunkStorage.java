package io.catena.meta.server;

import io.catena.common.CatenaException;
import io.catena.common.Futures;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.cluster.TargetInfo;
import io.catena.meta.ChunkPlacement;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Layout;
import io.catena.storage.client.StorageClient;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * What meta asks of storage (exact file length, truncation, removal of a deleted file's chunks, capacity), done
 * with one request per chain of the file's stripe, in parallel. Thread-safe.
 */
public final class StorageChunkStorage implements ChunkStorage {
  private final StorageClient storage;
  private final RoutingSource routing;

  public StorageChunkStorage(StorageClient storage, RoutingSource routing) {
    this.storage = storage;
    this.routing = routing;
  }

  /** The distinct chains of the file's stripe, in stripe order. */
  private List<Long> stripeChains(Layout layout) {
    RoutingInfo info = routing.current();
    ChainTable table = info.chainTable(layout.chainTableId(), layout.chainTableVersion())
        .or(() -> routing.refresh(info.version()).chainTable(layout.chainTableId(), layout.chainTableVersion()))
        .orElseThrow(() -> CatenaException.retryable(Errno.ESTALE, "chain table %d v%d is not in routing info",
            layout.chainTableId(), layout.chainTableVersion()));
    Set<Long> chains = new LinkedHashSet<>();
    for (int pos : ChunkPlacement.stripe(layout, table.chainIds().size())) {
      chains.add(table.chainIds().get(pos));
    }
    return List.copyOf(chains);
  }

  @Override
  public long queryLength(long file, Layout layout) {
    long inode = layout.dataOwner(file);
    List<CompletableFuture<Long>> ends = new ArrayList<>();
    for (long chain : stripeChains(layout)) {
      ends.add(storage.queryLastChunk(chain, ChunkId.firstOf(inode), ChunkId.endOf(inode))
          .thenApply(last -> last.map(c -> c.chunk().index() * layout.chunkSize() + c.length()).orElse(0L)));
    }
    long length = 0;
    for (CompletableFuture<Long> e : ends) {
      length = Math.max(length, Futures.join(e));
    }
    return length;
  }

  @Override
  public void removeChunks(long file, Layout layout) {
    long inode = layout.dataOwner(file);
    List<CompletableFuture<Long>> all = new ArrayList<>();
    for (long chain : stripeChains(layout)) {
      all.add(storage.removeRange(chain, ChunkId.firstOf(inode), ChunkId.endOf(inode)));
    }
    all.forEach(Futures::join);
  }

  @Override
  public void truncate(long file, Layout layout, long length) {
    long inode = layout.dataOwner(file);
    long cs = layout.chunkSize();
    long firstGone = (length + cs - 1) / cs; // chunks wholly at or past the new end
    List<CompletableFuture<?>> all = new ArrayList<>();
    for (long chain : stripeChains(layout)) {
      all.add(storage.removeRange(chain, new ChunkId(inode, firstGone), ChunkId.endOf(inode)));
    }
    all.forEach(Futures::join);
    if (length > 0) {
      // Set the chunk holding the last byte to its exact length, even when the new end is on a chunk boundary:
      // cutting the tail of a longer chunk, or zero-extending (creating) it when the file grows, so that the
      // length measured from the last chunks at the next close is the truncated length, not the old data's end.
      long index = (length - 1) / cs;
      RoutingInfo info = routing.current();
      ChainTable table = info.chainTable(layout.chainTableId(), layout.chainTableVersion()).orElseThrow();
      long chain = ChunkPlacement.chainOf(layout, table, index);
      Futures.join(storage.truncate(chain, new ChunkId(inode, index), layout.chunkSize(), length - index * cs));
    }
  }

  /**
   * Reads each chunk of {@code fromData} and writes it under {@code toData} on the same chain, {@link #COPY_WINDOW}
   * chunks at a time; missing chunks (holes) stay missing. The bytes pass through this meta server, never a client.
   */
  @Override
  public long copyChunks(Layout layout, long fromData, long toData) {
    long length = queryLength(fromData, layout.withDataId(Layout.OWN_DATA));
    long count = (length + layout.chunkSize() - 1) / layout.chunkSize();
    RoutingInfo info = routing.current();
    ChainTable table = info.chainTable(layout.chainTableId(), layout.chainTableVersion())
        .or(() -> routing.refresh(info.version()).chainTable(layout.chainTableId(), layout.chainTableVersion()))
        .orElseThrow(() -> CatenaException.retryable(Errno.ESTALE, "chain table %d v%d is not in routing info",
            layout.chainTableId(), layout.chainTableVersion()));
    for (long first = 0; first < count; first += COPY_WINDOW) {
      List<CompletableFuture<?>> window = new ArrayList<>();
      for (long k = first; k < Math.min(count, first + COPY_WINDOW); k++) {
        long chain = ChunkPlacement.chainOf(layout, table, k);
        ChunkId to = new ChunkId(toData, k);
        window.add(storage.read(chain, new ChunkId(fromData, k), 0, layout.chunkSize()).thenCompose(d -> {
          byte[] bytes;
          try (d) {
            bytes = d.data().toArray();
          }
          if (bytes.length == 0) {
            return CompletableFuture.completedFuture(null);
          }
          return storage.write(chain, to, layout.chunkSize(), 0, Unpooled.wrappedBuffer(bytes));
        }));
      }
      window.forEach(Futures::join);
    }
    return length;
  }

  private static final int COPY_WINDOW = 8;

  @Override
  public long[] space() {
    long capacity = 0;
    long used = 0;
    for (TargetInfo t : routing.current().targets()) {
      capacity += t.capacityBytes();
      used += t.usedBytes();
    }
    return new long[] {capacity, Math.max(0, capacity - used)};
  }

}
