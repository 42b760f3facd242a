package io.catena.client;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** FileLayoutIo answers every failure through its futures: callers have one failure path. */
class FileLayoutIoTest {
  private static final Layout LAYOUT = new Layout(1, 1, 64 * 1024, 3, 0, 9);
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(1L, 2L, 3L));

  private static FileLayoutIo io(ChainTable table) {
    return new FileLayoutIo(new InMemoryChunks(),
        new ManualRoutingSource(new RoutingInfo(1, "t", List.of(), List.of(), List.of(), List.of(table))));
  }

  private static Errno failure(CompletableFuture<?> f) {
    try {
      f.join();
    } catch (CompletionException e) {
      return ((CatenaException) e.getCause()).errno();
    }
    throw new AssertionError("completed normally");
  }

  @Test
  void aNegativeOffset_isAFailedFuture() {
    FileLayoutIo io = io(TABLE);
    assertEquals(Errno.EINVAL, failure(io.write(5, LAYOUT, -1, ByteBuffer.allocate(1))));
    assertEquals(Errno.EINVAL, failure(io.read(5, LAYOUT, 10, -1, ByteBuffer.allocate(1))));
  }

  @Test
  void aBatchOfRangesReadsWhatEachReadWouldAcrossChunksHolesAndTheEnd() {
    FileLayoutIo io = io(TABLE);
    byte[] data = new byte[300 * 1024];
    new java.util.Random(3).nextBytes(data);
    io.write(5, LAYOUT, 0, ByteBuffer.wrap(data, 0, 100 * 1024)).join();
    io.write(5, LAYOUT, 200 * 1024, ByteBuffer.wrap(data, 200 * 1024, 100 * 1024)).join(); // chunks 1-2 hole
    long length = data.length;
    java.util.Arrays.fill(data, 100 * 1024, 200 * 1024, (byte) 0);
    long[][] ranges = {{0, 10}, {60 * 1024, 10 * 1024}, {63 * 1024, 200 * 1024}, {150 * 1024, 20}, {length - 5, 100},
        {length, 10}, {length + 99, 1}, {7, 0}};
    List<FileLayoutIo.FileRead> reads = new java.util.ArrayList<>();
    for (long[] r : ranges) {
      reads.add(new FileLayoutIo.FileRead(5, LAYOUT, length, r[0], ByteBuffer.allocateDirect((int) r[1])));
    }
    reads.add(new FileLayoutIo.FileRead(5, LAYOUT, length, -1, ByteBuffer.allocate(1)));
    List<CompletableFuture<Integer>> got = io.readBatch(reads);
    for (int i = 0; i < ranges.length; i++) {
      ByteBuffer one = ByteBuffer.allocate((int) ranges[i][1]);
      int expected = io.read(5, LAYOUT, length, ranges[i][0], one).join();
      assertEquals(expected, got.get(i).join(), "range " + i);
      ByteBuffer dst = reads.get(i).dst();
      assertEquals(0, dst.position(), "positions stay");
      for (int k = 0; k < Math.max(expected, 0); k++) {
        assertEquals(data[(int) ranges[i][0] + k], dst.get(k), "range " + i + " byte " + k);
      }
    }
    assertEquals(Errno.EINVAL, failure(got.getLast()));
  }

  @Test
  void aChainTableMissingFromRouting_isAFailedFuture() {
    FileLayoutIo io = io(new ChainTable(1, 2, List.of(1L)));
    assertEquals(Errno.ESTALE, failure(io.write(5, LAYOUT, 0, ByteBuffer.allocate(1))));
    assertEquals(Errno.ESTALE, failure(io.read(5, LAYOUT, 10, 0, ByteBuffer.allocate(1))));
    assertEquals(Errno.ESTALE, failure(io.readBatch(
        List.of(new FileLayoutIo.FileRead(5, LAYOUT, 10, 0, ByteBuffer.allocate(1)))).getFirst()));
  }

  @Test
  void aLayoutWithADataId_readsAndWritesTheChunksNamedByIt() {
    FileLayoutIo io = io(TABLE);
    byte[] data = new byte[150 * 1024];
    new java.util.Random(4).nextBytes(data);
    io.write(5, LAYOUT, 0, ByteBuffer.wrap(data)).join();
    Layout sharing = LAYOUT.withDataId(5); // inode 6 is a snapshot of inode 5
    ByteBuffer got = ByteBuffer.allocate(data.length);
    assertEquals(data.length, io.read(6, sharing, data.length, 0, got).join());
    org.junit.jupiter.api.Assertions.assertArrayEquals(data, got.array());
    ByteBuffer own = ByteBuffer.allocate(10);
    assertEquals(10, io.read(6, LAYOUT, 10, 0, own).join());
    org.junit.jupiter.api.Assertions.assertArrayEquals(new byte[10], own.array(), "inode 6's own chunks: none");
    io.write(7, LAYOUT.withDataId(70), 0, ByteBuffer.wrap(new byte[] {9})).join();
    ByteBuffer seventy = ByteBuffer.allocate(1);
    io.read(70, LAYOUT, 1, 0, seventy).join();
    assertEquals(9, seventy.get(0), "a write goes to the chunks named by the data id");
  }
}
