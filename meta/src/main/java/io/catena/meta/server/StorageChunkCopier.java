package io.catena.meta.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Futures;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.meta.ChunkPlacement;
import io.catena.meta.Layout;
import io.catena.meta.store.ChunkCopier;
import io.catena.storage.client.StorageClient;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Copies a chunk between chains through the storage client: reads the committed chunk from a serving replica of
 * the source chain, writes it whole at offset 0 on the destination chain (CRAQ: acknowledged once every replica of
 * that chain has it) and compares the destination's whole-chunk length and CRC32C, as the chain's tail reports them,
 * with the source's. Thread-safe.
 */
public final class StorageChunkCopier implements ChunkCopier {
  private final StorageClient storage;
  private final RoutingSource routing;

  public StorageChunkCopier(StorageClient storage, RoutingSource routing) {
    this.storage = storage;
    this.routing = routing;
  }

  @Override
  public long copy(long ino, long index, Layout from, Layout to) {
    // Each layout names its chunks by its data owner (a snapshot's or a copied-on-write file's data id; see
    // docs/snapshots.md).
    ChunkId chunk = new ChunkId(from.dataOwner(ino), index);
    ChunkId target = new ChunkId(to.dataOwner(ino), index);
    long src = chainOf(from, index);
    long dst = chainOf(to, index);
    StorageClient.ReadData data;
    try {
      data = Futures.join(storage.read(src, chunk, 0, from.chunkSize()));
    } catch (CatenaException e) {
      if (e.errno() != Errno.ENOENT) {
        throw e;
      }
      Futures.join(storage.removeRange(dst, target, new ChunkId(target.inode(), index + 1))); // a hole stays a hole
      return 0;
    }
    try (data) {
      ByteBuf buf = Unpooled.wrappedBuffer(data.data().toArray());
      StorageClient.WriteResult w;
      try {
        w = Futures.join(storage.write(dst, target, to.chunkSize(), 0, buf));
      } finally {
        buf.release();
      }
      if (w.chunkLength() > data.chunkLength()) {
        // A longer leftover of an earlier attempt: cut it to the source's length.
        w = Futures.join(storage.truncate(dst, target, to.chunkSize(), data.chunkLength()));
      }
      if (w.chunkLength() != data.chunkLength() || w.chunkCrc32c() != data.chunkCrc32c()) {
        throw CatenaException.retryable(Errno.EIO, "copy of chunk %s to chain %d does not verify: %d bytes crc %08x, "
            + "source %d bytes crc %08x", chunk, dst, w.chunkLength(), w.chunkCrc32c(), data.chunkLength(),
            data.chunkCrc32c());
      }
      return data.chunkLength();
    }
  }

  private long chainOf(Layout l, long index) {
    RoutingInfo info = routing.current();
    ChainTable table = info.chainTable(l.chainTableId(), l.chainTableVersion())
        .or(() -> routing.refresh(info.version()).chainTable(l.chainTableId(), l.chainTableVersion()))
        .orElseThrow(() -> CatenaException.retryable(Errno.ESTALE, "chain table %d v%d is not in routing info",
            l.chainTableId(), l.chainTableVersion()));
    return ChunkPlacement.chainOf(l, table, index);
  }
}
