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
  void aChainTableMissingFromRouting_isAFailedFuture() {
    FileLayoutIo io = io(new ChainTable(1, 2, List.of(1L)));
    assertEquals(Errno.ESTALE, failure(io.write(5, LAYOUT, 0, ByteBuffer.allocate(1))));
    assertEquals(Errno.ESTALE, failure(io.read(5, LAYOUT, 10, 0, ByteBuffer.allocate(1))));
  }
}
