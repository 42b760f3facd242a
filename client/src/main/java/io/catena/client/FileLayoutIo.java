package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.DirectBufferPool;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.RoutingSource;
import io.catena.meta.ChunkPlacement;
import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Positional file I/O on top of chunk I/O: splits a range at chunk boundaries, finds each chunk's chain from the
 * file's layout alone (meta is never on the data path) and runs the pieces in parallel. Holes (missing chunks, or
 * bytes past a chunk's end but inside the file) read as zeros. Every failure, a bad offset or a chain table missing
 * from the routing information included, completes the returned future exceptionally: nothing is thrown. Thread-safe:
 * stateless apart from its collaborators and a pool of write buffers.
 */
public final class FileLayoutIo {
  private final ChunkIo chunks;
  private final RoutingSource routing;
  private final ClientMetrics metrics;

  /** Enough for a few files' write-behind at its default size (16 MiB each) without allocating. */
  private final DirectBufferPool buffers = new DirectBufferPool(64, 64L << 20);

  public FileLayoutIo(ChunkIo chunks, RoutingSource routing) {
    this(chunks, routing, ClientMetrics.discarding());
  }

  /** As above; the write-behind of files written through it is counted in {@code metrics}. */
  public FileLayoutIo(ChunkIo chunks, RoutingSource routing, ClientMetrics metrics) {
    this.chunks = chunks;
    this.routing = routing;
    this.metrics = metrics;
  }

  ClientMetrics metrics() {
    return metrics;
  }

  /** Gather buffers of the write-behind of every file written through this, kept for reuse. */
  DirectBufferPool buffers() {
    return buffers;
  }

  /** Writes all remaining bytes of {@code data} at {@code offset} of file {@code inode}. */
  public CompletableFuture<Void> write(long inode, Layout layout, long offset, ByteBuffer data) {
    try {
      return writePieces(inode, layout, offset, data);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Void> writePieces(long inode, Layout layout, long offset, ByteBuffer data) {
    checkOffset(offset, data.remaining());
    ChainTable table = table(layout);
    List<CompletableFuture<Void>> parts = new ArrayList<>();
    long pos = offset;
    ByteBuffer rest = data.slice();
    while (rest.hasRemaining()) {
      long index = pos / layout.chunkSize();
      int inChunk = (int) (pos % layout.chunkSize());
      int n = Math.min(rest.remaining(), layout.chunkSize() - inChunk);
      ByteBuffer piece = rest.slice(rest.position(), n);
      rest.position(rest.position() + n);
      long chain = ChunkPlacement.chainOf(layout, table, index);
      ChunkId id = new ChunkId(layout.dataOwner(inode), index);
      parts.add(chunks.write(chain, id, layout.chunkSize(), inChunk, piece));
      pos += n;
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new));
  }

  /**
   * Reads into {@code dst} from {@code offset} of a file of length {@code fileLength}; completes with the bytes read
   * (short only at end of file, -1 when {@code offset} is at or past it).
   */
  public CompletableFuture<Integer> read(long inode, Layout layout, long fileLength, long offset, ByteBuffer dst) {
    try {
      return readPieces(inode, layout, fileLength, offset, dst);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  private CompletableFuture<Integer> readPieces(long inode, Layout layout, long fileLength, long offset,
      ByteBuffer dst) {
    checkOffset(offset, 0);
    if (offset >= fileLength) {
      return CompletableFuture.completedFuture(dst.hasRemaining() ? -1 : 0);
    }
    int total = (int) Math.min(dst.remaining(), fileLength - offset);
    ChainTable table = table(layout);
    ByteBuffer out = dst.slice(dst.position(), total);
    List<CompletableFuture<Integer>> parts = new ArrayList<>();
    long pos = offset;
    int done = 0;
    while (done < total) {
      long index = pos / layout.chunkSize();
      int inChunk = (int) (pos % layout.chunkSize());
      int n = Math.min(total - done, layout.chunkSize() - inChunk);
      ByteBuffer piece = out.slice(done, n);
      long chain = ChunkPlacement.chainOf(layout, table, index);
      parts.add(chunks.read(chain, new ChunkId(layout.dataOwner(inode), index), inChunk, piece.duplicate())
          .thenApply(got -> {
            zeroFrom(piece, got); // a hole inside the file
            return n;
          }));
      pos += n;
      done += n;
    }
    return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(v -> {
      dst.position(dst.position() + total);
      return total;
    });
  }

  /** One range of a batched read: {@link #read}'s arguments. */
  public record FileRead(long inode, Layout layout, long fileLength, long offset, ByteBuffer dst) {}

  /**
   * Reads many ranges, of one file or several, as {@link #read} would, but sends all their chunk pieces together
   * (one request per storage node where the chunk I/O batches): a queue of small random reads costs a few round
   * trips instead of one each. Each range completes on its own with its bytes read (short only at end of file, -1
   * when its offset is at or past it); {@code dst} positions are not moved. Never throws.
   */
  public List<CompletableFuture<Integer>> readBatch(List<FileRead> reads) {
    List<CompletableFuture<Integer>> out = new ArrayList<>(reads.size());
    List<ChunkIo.ChunkRead> pieces = new ArrayList<>();
    List<int[]> pieceRanges = new ArrayList<>(); // per read: [first piece, piece count, total]
    for (FileRead r : reads) {
      try {
        checkOffset(r.offset(), 0);
        int total = r.offset() >= r.fileLength() ? -1
            : (int) Math.min(r.dst().remaining(), r.fileLength() - r.offset());
        int first = pieces.size();
        if (total > 0) {
          ChainTable table = table(r.layout());
          ByteBuffer whole = r.dst().slice(r.dst().position(), total);
          long pos = r.offset();
          int done = 0;
          while (done < total) {
            long index = pos / r.layout().chunkSize();
            int inChunk = (int) (pos % r.layout().chunkSize());
            int n = Math.min(total - done, r.layout().chunkSize() - inChunk);
            pieces.add(new ChunkIo.ChunkRead(ChunkPlacement.chainOf(r.layout(), table, index),
                new ChunkId(r.layout().dataOwner(r.inode()), index), inChunk, whole.slice(done, n)));
            pos += n;
            done += n;
          }
        }
        pieceRanges.add(new int[] {first, pieces.size() - first, r.dst().hasRemaining() ? total : 0});
        out.add(null);
      } catch (RuntimeException e) {
        pieceRanges.add(null);
        out.add(CompletableFuture.failedFuture(e));
      }
    }
    List<CompletableFuture<Integer>> got = pieces.isEmpty() ? List.of() : chunks.readBatch(pieces);
    for (int i = 0; i < reads.size(); i++) {
      int[] range = pieceRanges.get(i);
      if (range == null) {
        continue;
      }
      int total = range[2];
      CompletableFuture<?>[] parts = new CompletableFuture<?>[range[1]];
      for (int k = 0; k < range[1]; k++) {
        ChunkIo.ChunkRead piece = pieces.get(range[0] + k);
        parts[k] = got.get(range[0] + k).thenAccept(n -> zeroFrom(piece.dst(), n)); // a hole inside the file
      }
      out.set(i, CompletableFuture.allOf(parts).thenApply(v -> total));
    }
    return out;
  }

  private ChainTable table(Layout layout) {
    var info = routing.current();
    return info.chainTable(layout.chainTableId(), layout.chainTableVersion())
        .or(() -> routing.refresh(info.version()).chainTable(layout.chainTableId(), layout.chainTableVersion()))
        .orElseThrow(() -> CatenaException.retryable(Errno.ESTALE, "chain table %d v%d is not in routing info v%d",
            layout.chainTableId(), layout.chainTableVersion(), info.version()));
  }

  private static final byte[] ZEROS = new byte[16 << 10];

  private static void zeroFrom(ByteBuffer piece, int from) {
    for (int i = Math.max(0, from); i < piece.limit(); i += ZEROS.length) {
      piece.put(i, ZEROS, 0, Math.min(ZEROS.length, piece.limit() - i));
    }
  }

  private static void checkOffset(long offset, int length) {
    if (offset < 0 || offset + length < 0) {
      throw CatenaException.of(Errno.EINVAL, "negative or overflowing file offset %d", offset);
    }
  }
}
