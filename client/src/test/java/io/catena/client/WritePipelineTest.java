package io.catena.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class WritePipelineTest {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(1L, 2L, 3L));
  private static final Layout LAYOUT = new Layout(1, 1, 64 * 1024, 3, 0, 9);

  private final ScheduledExecutorService delays = Executors.newScheduledThreadPool(4);

  @AfterEach
  void stop() {
    delays.shutdownNow();
  }

  /** Chunk I/O that finishes each write after a random delay, so later writes often finish first. */
  private final class SlowChunks implements ChunkIo {
    final InMemoryChunks target = new InMemoryChunks();
    final Random random = new Random(3);
    final AtomicInteger maxConcurrent = new AtomicInteger();
    final AtomicInteger concurrent = new AtomicInteger();
    volatile boolean fail;

    @Override
    public synchronized CompletableFuture<Void> write(long chainId, ChunkId chunk, int chunkSize, int offset,
        ByteBuffer data) {
      CompletableFuture<Void> f = new CompletableFuture<>();
      maxConcurrent.accumulateAndGet(concurrent.incrementAndGet(), Math::max);
      delays.schedule(() -> {
        concurrent.decrementAndGet();
        if (fail) {
          f.completeExceptionally(CatenaException.of(Errno.ENOSPC, "target full"));
        } else {
          target.write(chainId, chunk, chunkSize, offset, data).join();
          f.complete(null);
        }
      }, random.nextInt(5), TimeUnit.MILLISECONDS);
      return f;
    }

    @Override
    public CompletableFuture<Integer> read(long chainId, ChunkId chunk, int offset, ByteBuffer dst) {
      return target.read(chainId, chunk, offset, dst);
    }
  }

  private static FileLayoutIo io(ChunkIo chunks) {
    return new FileLayoutIo(chunks, new ManualRoutingSource(
        new RoutingInfo(1, "t", List.of(), List.of(), List.of(), List.of(TABLE))));
  }

  @Test
  void overlappingWritesLandInWriteOrderWhileOthersRunInParallel() {
    SlowChunks chunks = new SlowChunks();
    FileLayoutIo fio = io(chunks);
    WritePipeline p = new WritePipeline(fio, 5, LAYOUT, 1 << 20);
    // The same 1000 bytes rewritten 200 times: only the last version may remain.
    byte[] buf = new byte[1000];
    for (int i = 0; i < 200; i++) {
      Arrays.fill(buf, (byte) i);
      p.write(70_000, ByteBuffer.wrap(buf));
      Arrays.fill(buf, (byte) -1); // the pipeline copied the data: reusing the buffer must not matter
    }
    for (int i = 0; i < 50; i++) {
      p.write(100_000 + i * 10_000L, ByteBuffer.wrap(new byte[5_000])); // disjoint: free to run in parallel
    }
    p.drain();
    ByteBuffer back = ByteBuffer.allocate(1000);
    fio.read(5, LAYOUT, 71_000, 70_000, back).join();
    byte[] expected = new byte[1000];
    Arrays.fill(expected, (byte) 199);
    assertArrayEquals(expected, back.array());
    assertTrue(chunks.maxConcurrent.get() > 1, "disjoint writes must overlap in time");
  }

  @Test
  void contentMatchesAModelDespiteOutOfOrderCompletion() {
    SlowChunks chunks = new SlowChunks();
    FileLayoutIo fio = io(chunks);
    WritePipeline p = new WritePipeline(fio, 6, LAYOUT, 512 * 1024);
    Random rnd = new Random(12);
    byte[] model = new byte[300_000];
    for (int i = 0; i < 300; i++) {
      int off = rnd.nextInt(model.length - 40_000);
      byte[] data = new byte[1 + rnd.nextInt(40_000)];
      rnd.nextBytes(data);
      p.write(off, ByteBuffer.wrap(data));
      System.arraycopy(data, 0, model, off, data.length);
    }
    p.drain();
    ByteBuffer back = ByteBuffer.allocate(model.length);
    assertEquals(model.length, fio.read(6, LAYOUT, model.length, 0, back).join());
    assertArrayEquals(model, back.array());
    assertTrue(chunks.maxConcurrent.get() > 1, "non-overlapping writes run concurrently");
  }

  @Test
  void aFailedBackgroundWriteSurfacesAtTheNextWriteAndAtDrain() {
    SlowChunks chunks = new SlowChunks();
    chunks.fail = true;
    WritePipeline p = new WritePipeline(io(chunks), 7, LAYOUT, 1 << 20);
    p.write(0, ByteBuffer.wrap(new byte[100]));
    CatenaException e = assertThrows(CatenaException.class, p::drain);
    assertEquals(Errno.ENOSPC, e.errno());
    assertThrows(CatenaException.class, () -> p.write(200, ByteBuffer.wrap(new byte[10])));
    assertThrows(CatenaException.class, p::drain, "the failure stays until the file is closed");
  }
}
