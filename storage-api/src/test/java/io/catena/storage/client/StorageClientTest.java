package io.catena.storage.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.common.time.ManualClock;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class StorageClientTest {

  /** A peer that must not be called: the tests below never get as far as a storage node. */
  static final RpcClient NO_CALLS = new RpcClient() {
    @Override
    public <Q extends Message, A extends Message> CompletableFuture<RpcResponse<A>> call(Address address,
        MethodDescriptor<Q, A> method, Q request, Attachment attachment, CallOptions options) {
      throw new AssertionError("unexpected call of " + method);
    }

    @Override
    public String transportName() {
      return "none";
    }

    @Override
    public void close() {}
  };

  @Test
  void aReadOfAChainWithoutServingReplicaFailsOnlyWhenTheInjectedClockPassesTheClientTimeout()
      throws InterruptedException {
    Config config = Config.defaults(ConfigSchema.fromHolders(StorageClientConfig.class)).withUpdates(
        Map.of("storage.client_timeout", "30s", "storage.retry_wait", "10ms"), "test", false);
    ManualRoutingSource routing = new ManualRoutingSource(new RoutingInfo(1, "test", List.of(), List.of(),
        List.of(), List.of()));
    ManualClock clock = new ManualClock();
    try (StorageClient client = new StorageClient(routing, NO_CALLS, config, clock,
        RandomGenerator.of("L64X128MixRandom"))) {
      CompletableFuture<StorageClient.ReadData> f = client.read(7, new ChunkId(1, 0), 0, 100);
      Duration moved = Duration.ZERO;
      // Without the clock moving the client would retry for 30 s of real time; moving it ends the read at once.
      while (!f.isDone() && moved.compareTo(Duration.ofMinutes(10)) < 0) {
        try {
          f.get(20, TimeUnit.MILLISECONDS);
        } catch (TimeoutException | ExecutionException e) {
          if (!f.isDone()) {
            clock.advance(Duration.ofSeconds(1));
            moved = moved.plusSeconds(1);
          }
        }
      }
      assertTrue(moved.compareTo(Duration.ofSeconds(30)) >= 0, "gave up after " + moved + " of its clock's time");
      ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
      CatenaException ce = assertInstanceOf(CatenaException.class, e.getCause());
      assertEquals(Errno.ETIMEDOUT, ce.errno());
      assertTrue(ce.isRetryable());
      assertTrue(ce.getMessage().contains("chain 7 has no serving replica"), ce.getMessage());
    }
  }

  @Test
  void chunkBytesCopyWhatFitsFromEveryPartAndReleaseTheirBufferOnce() {
    ByteBuf parts = Unpooled.wrappedBuffer(Unpooled.wrappedBuffer(new byte[] {1, 2, 3}),
        Unpooled.wrappedBuffer(new byte[] {4, 5}));
    ChunkBytes bytes = new ChunkBytes(parts);
    assertEquals(5, bytes.length());
    ByteBuffer dst = ByteBuffer.allocate(6).position(2).limit(6);
    assertEquals(4, bytes.copyTo(dst));
    assertEquals(6, dst.position());
    assertArrayEquals(new byte[] {0, 0, 1, 2, 3, 4}, dst.array());
    assertArrayEquals(new byte[] {1, 2, 3, 4, 5}, bytes.toArray());
    bytes.close();
    assertEquals(0, parts.refCnt());
    bytes.close();
  }
}
