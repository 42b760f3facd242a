package io.catena.storage.service;

import static io.catena.storage.service.Harness.MIB;
import static io.catena.storage.service.Harness.bytes;
import static io.catena.storage.service.Harness.failure;
import static io.catena.storage.service.Harness.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.ReadItem;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Requests the service must refuse with a precise status, storing nothing on any replica. */
class RejectionTest {
  @TempDir Path dir;
  LocalCluster cluster;
  RpcClient rpc;
  final Config config = Harness.config();
  static final ChunkId CHUNK = new ChunkId(42, 0);

  @BeforeEach
  void setUp() {
    cluster = new LocalCluster(dir, 3, config);
    cluster.createChain(1, 0, 1, 2);
    rpc = Rpc.client(config);
  }

  @AfterEach
  void tearDown() {
    rpc.close();
    cluster.close();
  }

  static int crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    return (int) c.getValue();
  }

  WriteReq.Builder write(long target, long chainVersion, long offset, byte[] data) {
    return WriteReq.newBuilder().setTargetId(target).setChainId(1).setChainVersion(chainVersion)
        .setChunk(StorageRpc.toProto(CHUNK)).setChunkSize(MIB).setOffset(offset).setCrc32C(crc(data));
  }

  CatenaException rejected(int node, WriteReq req, byte[] data) {
    Address a = cluster.server(node).address();
    return failure(rpc.call(a, StorageRpc.WRITE, req, Attachment.wrap(data), CallOptions.timeout(
        Duration.ofSeconds(10))));
  }

  void assertNothingStored() {
    for (long t : new long[] {100, 101, 102}) {
      assertTrue(cluster.fingerprint(t).isEmpty(), "target " + t + " stored something");
      assertTrue(cluster.server(LocalCluster.nodeOf(t)).targets().get(t).orElseThrow().store().meta(CHUNK)
          .isEmpty(), "target " + t + " kept a pending version");
    }
  }

  @Test
  void staleChainVersionIsRejectedAsRetryableEstale() {
    byte[] d = bytes(1, 4096);
    long v = cluster.chain(1).version();
    cluster.setChain(1, cluster.chain(1).targets()); // same members, newer version
    CatenaException e = rejected(0, write(100, v, 0, d).build(), d);
    assertEquals(Errno.ESTALE, e.errno());
    assertTrue(e.isRetryable());
    assertNothingStored();
  }

  @Test
  void writeToAHeadThatLeftTheChain_isRetryableEstale_soTheSenderRefreshesRouting() {
    byte[] d = bytes(1, 4096);
    long v = cluster.chain(1).version();
    // The head is taken out of the chain (a drain's last step); a client still has the old routing.
    cluster.setChain(1, cluster.chain(1).targets().stream().filter(t -> t.targetId() != 100).toList());
    CatenaException e = rejected(0, write(100, v, 0, d).build(), d);
    assertEquals(Errno.ESTALE, e.errno(), e::getMessage);
    assertTrue(e.isRetryable());
    assertNothingStored();
  }

  @Test
  void headThatLeavesTheChainWhileForwarding_doesNotCommitAsTheTail_butFailsRetryably() throws Exception {
    byte[] d = bytes(1, 4096);
    // The successor is down, so the head's forward waits for a routing change...
    cluster.stop(1);
    CompletableFuture<RpcResponse<WriteResp>> f = rpc.call(cluster.server(0).address(), StorageRpc.WRITE,
        write(100, cluster.chain(1).version(), 0, d).build(), Attachment.wrap(d),
        CallOptions.timeout(Duration.ofSeconds(30)));
    Target head = cluster.server(0).targets().get(100).orElseThrow();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (head.store().meta(CHUNK).map(m -> m.pendingVersion() == 0).orElse(true)) {
      assertTrue(System.nanoTime() < end, "the head never stored the write pending");
      Thread.sleep(5); // polling the head's store until the write is in its forward
    }
    // ...and the change takes the head out of the chain (a drain's last step). Finding no successor in the new
    // chain must not make it the tail: acknowledging would leave the write on no member of the chain.
    cluster.setChain(1, List.of(new ChainTarget(101, PublicTargetState.SERVING),
        new ChainTarget(102, PublicTargetState.SERVING)));
    CatenaException e = failure(f);
    assertEquals(Errno.ESTALE, e.errno(), e::getMessage);
    assertTrue(e.isRetryable());
    assertTrue(cluster.fingerprint(100).isEmpty(), "the head that left committed the write");
    assertTrue(head.store().meta(CHUNK).isEmpty(), "the head kept the write pending");
  }

  @Test
  void writeToATargetThatIsNotTheHeadIsRejectedWithEnxio() {
    byte[] d = bytes(1, 4096);
    CatenaException e = rejected(1, write(101, cluster.chain(1).version(), 0, d).build(), d);
    assertEquals(Errno.ENXIO, e.errno());
    assertFalse(e.isRetryable());
    CatenaException e2 = rejected(0, write(555, cluster.chain(1).version(), 0, d).build(), d);
    assertEquals(Errno.ENXIO, e2.errno());
    assertNothingStored();
  }

  @Test
  void corruptedPayloadIsRejectedWithEbadmsg() {
    byte[] d = bytes(1, 4096);
    WriteReq req = write(100, cluster.chain(1).version(), 0, d).build();
    d[17] ^= 1;
    CatenaException e = rejected(0, req, d);
    assertEquals(Errno.EBADMSG, e.errno());
    assertNothingStored();
  }

  @Test
  void outOfRangeOffsetIsRejectedWithEinvalAndOversizedWriteWithEfbig() {
    byte[] d = bytes(1, 4096);
    assertEquals(Errno.EINVAL, rejected(0, write(100, cluster.chain(1).version(), MIB + 1, d).build(), d).errno());
    byte[] big = bytes(2, MIB + 1);
    assertEquals(Errno.EFBIG, rejected(0, write(100, cluster.chain(1).version(), 0, big).build(), big).errno());
    byte[] tail = bytes(3, 4096);
    assertEquals(Errno.EFBIG,
        rejected(0, write(100, cluster.chain(1).version(), MIB - 100, tail).build(), tail).errno());
    assertNothingStored();
  }

  @Test
  void targetMarkedOfflineStopsServingReadsAndWrites() {
    byte[] d = bytes(1, 4096);
    Address head = cluster.server(0).address();
    try (RpcResponse<WriteResp> r = get(rpc.call(head, StorageRpc.WRITE, write(100, cluster.chain(1).version(), 0,
        d).build(), Attachment.wrap(d), CallOptions.DEFAULT))) {
      assertEquals(1, r.message().getVersion());
    }
    // mgmtd marks the tail offline; a reader with the new routing must not be served by it.
    cluster.setChain(1, List.of(new ChainTarget(100, PublicTargetState.SERVING),
        new ChainTarget(101, PublicTargetState.SERVING), new ChainTarget(102, PublicTargetState.OFFLINE)));
    ReadReq read = ReadReq.newBuilder().addItems(ReadItem.newBuilder().setTargetId(102).setChainId(1)
        .setChainVersion(cluster.chain(1).version()).setChunk(StorageRpc.toProto(CHUNK)).setLength(4096)).build();
    try (RpcResponse<ReadResp> r = get(rpc.call(cluster.server(2).address(), StorageRpc.READ, read))) {
      assertEquals(Errno.EAGAIN.code(), r.message().getResults(0).getErrno());
      assertTrue(r.message().getResults(0).getRetryable(), "a refused read item says it may be retried");
    }
    // Writes no longer reach it, and it refuses updates sent to it.
    byte[] d2 = bytes(2, 4096);
    try (RpcResponse<WriteResp> r = get(rpc.call(head, StorageRpc.WRITE, write(100, cluster.chain(1).version(), 0,
        d2).build(), Attachment.wrap(d2), CallOptions.DEFAULT))) {
      assertEquals(2, r.message().getVersion());
    }
    assertTrue(cluster.fingerprint(102).get(CHUNK).startsWith("v1:"));
    assertTrue(cluster.fingerprint(101).get(CHUNK).startsWith("v2:"));
  }
}
