package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.ChainInfo;
import io.catena.rpc.Attachment;
import io.catena.rpc.RpcReply;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ReadResult;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.QueryLastChunkReq;
import io.catena.storage.proto.QueryLastChunkResp;
import io.catena.storage.proto.ReadItem;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The read side of the storage protocol on a serving replica: committed bytes of one or more chunk ranges, each
 * item answered on its own (a refused item carries its status in the reply, the others are still served), and the
 * last chunk of a range. Thread-safe: no state of its own; reads never wait for updates.
 */
final class ChunkReads {
  /** Ranges this long and longer go with sendfile; shorter ones are copied (see {@link #copyOut}). */
  static final int SENDFILE_MIN = 64 << 10;

  private final TargetGuard guard;

  ChunkReads(TargetGuard guard) {
    this.guard = guard;
  }

  RpcReply<ReadResp> read(ReadReq req) {
    List<ReadItem> items = req.getItemsList();
    ReadResp.Builder out = ReadResp.newBuilder();
    if (items.size() == 1) {
      // One item: a large range goes straight from the data file (sendfile), never through the heap.
      ReadItem it = items.get(0);
      try {
        Target t = readable(it);
        long start = System.nanoTime();
        ChunkReadHandle h;
        try {
          h = t.store().openRead(StorageRpc.fromProto(it.getChunk()), it.getOffset(), it.getLength());
        } catch (RuntimeException e) {
          t.meters.record(StorageMetrics.Op.READ, start, 0, false);
          throw e;
        }
        t.meters.record(StorageMetrics.Op.READ, start, h.length(), true);
        out.addResults(io.catena.storage.proto.ReadResult.newBuilder().setLength(h.length()).setVersion(h.version())
            .setChunkLength(h.chunkLength()).setChunkCrc32C(h.chunkCrc32c()));
        Attachment data = h.length() < SENDFILE_MIN ? Attachment.of(copyOut(h))
            : Attachment.ofFile(h.channel(), h.position(), h.length(), h::close);
        return RpcReply.of(out.build(), data);
      } catch (RuntimeException e) {
        return RpcReply.of(out.clearResults().addResults(error(e)).build());
      }
    }
    List<ByteBuffer> parts = new ArrayList<>();
    for (ReadItem it : items) {
      try {
        Target t = readable(it);
        long start = System.nanoTime();
        ReadResult r;
        try {
          r = t.store().read(StorageRpc.fromProto(it.getChunk()), it.getOffset(), it.getLength());
        } catch (RuntimeException e) {
          t.meters.record(StorageMetrics.Op.READ, start, 0, false);
          throw e;
        }
        t.meters.record(StorageMetrics.Op.READ, start, r.data().remaining(), true);
        parts.add(r.data());
        out.addResults(io.catena.storage.proto.ReadResult.newBuilder().setLength(r.data().remaining())
            .setVersion(r.version()).setChunkLength(r.chunkLength()).setChunkCrc32C(r.chunkCrc32c()));
      } catch (RuntimeException e) {
        out.addResults(error(e));
      }
    }
    ByteBuf att = Unpooled.wrappedBuffer(parts.toArray(ByteBuffer[]::new));
    return RpcReply.of(out.build(), Attachment.of(att));
  }

  /**
   * The handle's bytes in a pooled direct buffer; closes the handle. Read here, on the request's own thread, a
   * small range leaves with its header in one gathering write, where sendfile would cost the event loop a second
   * send (and, on a cold page cache, a disk wait).
   */
  private static ByteBuf copyOut(ChunkReadHandle h) {
    ByteBuf buf = PooledByteBufAllocator.DEFAULT.directBuffer(h.length());
    try (h) {
      ByteBuffer dst = buf.nioBuffer(0, h.length());
      long pos = h.position();
      while (dst.hasRemaining()) {
        int n = h.channel().read(dst, pos + dst.position());
        if (n < 0) {
          throw CatenaException.of(Errno.EIO, "chunk file ended %d bytes short of a committed range",
              dst.remaining());
        }
      }
      buf.writerIndex(h.length());
      return buf;
    } catch (IOException e) {
      buf.release();
      throw CatenaException.of(Errno.EIO, "reading a chunk file: %s", e);
    } catch (RuntimeException e) {
      buf.release();
      throw e;
    }
  }

  QueryLastChunkResp lastChunk(QueryLastChunkReq req) {
    // Answered like a read: a replica restarted while routing still shows it serving may lack the newest chunks, and
    // meta takes this answer for a file's length at close (an empty answer would cut an acknowledged write to 0).
    Target t = guard.readable(req.getTargetId(), req.getChainId(), req.getChainVersion());
    return t.store().lastChunk(StorageRpc.fromProto(req.getBegin()), StorageRpc.fromProto(req.getEnd()))
        .map(m -> QueryLastChunkResp.newBuilder().setFound(true).setChunk(StorageRpc.toProto(m.chunkId()))
            .setLength(m.length()).setVersion(m.committedVersion()).build())
        .orElse(QueryLastChunkResp.getDefaultInstance());
  }

  private Target readable(ReadItem it) {
    return guard.readable(it.getTargetId(), it.getChainId(), it.getChainVersion());
  }

  private static io.catena.storage.proto.ReadResult error(RuntimeException e) {
    Status s = CatenaException.statusOf(e);
    return io.catena.storage.proto.ReadResult.newBuilder().setErrno(s.code().code()).setMessage(s.message())
        .setRetryable(s.retryable()).build();
  }
}
