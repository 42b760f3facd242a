package io.catena.storage.service;

import static io.catena.storage.service.Harness.MIB;
import static io.catena.storage.service.Harness.bytes;
import static io.catena.storage.service.Harness.failure;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import io.catena.common.config.Config;
import io.catena.common.time.ManualClock;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The chain write path's deadline is measured on the node's clock, so a test runs it out by moving that clock. */
class ForwardTimeoutTest {
  static final ChunkId CHUNK = new ChunkId(8, 0);
  @TempDir Path dir;
  final ManualClock clock = new ManualClock();
  final Config config = Harness.config("storage.forward_timeout", "20s");
  LocalCluster cluster;
  RpcClient rpc;

  @BeforeEach
  void setUp() {
    cluster = new LocalCluster(dir, 2, config, clock);
    cluster.createChain(1, 0, 1);
    rpc = Rpc.client(config);
  }

  @AfterEach
  void tearDown() {
    rpc.close();
    cluster.close();
  }

  @Test
  void headGivesUpOnAnUnreachableSuccessorOnlyOnceItsClockPassesTheForwardTimeoutAndKeepsNothingPending()
      throws InterruptedException {
    // Routing still lists the stopped tail as serving, so every forward fails with a retryable connection error
    // and the head keeps waiting for a routing change that never comes.
    cluster.stop(1);
    byte[] d = bytes(1, 4096);
    CRC32C crc = new CRC32C();
    crc.update(d);
    WriteReq req = WriteReq.newBuilder().setTargetId(100).setChainId(1).setChainVersion(cluster.chain(1).version())
        .setChunk(StorageRpc.toProto(CHUNK)).setChunkSize(MIB).setCrc32C((int) crc.getValue()).build();
    CompletableFuture<RpcResponse<WriteResp>> f = rpc.call(cluster.server(0).address(), StorageRpc.WRITE, req,
        Attachment.wrap(d), CallOptions.timeout(Duration.ofSeconds(60)));
    Duration moved = Duration.ZERO;
    // Without the clock moving the head would retry for 20 s of real time; moving it ends the write at once.
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
    CatenaException e = failure(f);
    assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
    assertTrue(e.isRetryable());
    assertTrue(moved.compareTo(Duration.ofSeconds(20)) >= 0, "gave up after " + moved + " of the node's time");
    assertTrue(cluster.server(0).targets().get(100).orElseThrow().store().meta(CHUNK).isEmpty(),
        "the head kept the pending version of a write it failed");
  }
}
