package io.catena.storage.service;

import static io.catena.storage.service.Harness.MIB;
import static io.catena.storage.service.Harness.bytes;
import static io.catena.storage.service.Harness.failure;
import static io.catena.storage.service.Harness.get;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChunkId;
import io.catena.common.config.Config;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.OfflineTargetReq;
import io.catena.storage.proto.QueryLastChunkReq;
import io.catena.storage.proto.QueryLastChunkResp;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Retried client writes applied once; target administration. */
class DedupAndAdminTest {
  @TempDir Path dir;
  LocalCluster cluster;
  RpcClient rpc;
  final Config config = Harness.config();
  static final ChunkId CHUNK = new ChunkId(1, 1);

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

  WriteResp write(long seq, long offset, byte[] d) {
    CRC32C c = new CRC32C();
    c.update(d);
    WriteReq req = WriteReq.newBuilder().setTargetId(100).setChainId(1).setChainVersion(cluster.chain(1).version())
        .setChunk(StorageRpc.toProto(CHUNK)).setChunkSize(MIB).setOffset(offset).setCrc32C((int) c.getValue())
        .setTag(RequestTag.newBuilder().setClientId(77).setChannel(3).setSeq(seq)).build();
    try (RpcResponse<WriteResp> r = get(rpc.call(cluster.server(0).address(), StorageRpc.WRITE, req,
        Attachment.wrap(d), CallOptions.DEFAULT))) {
      return r.message();
    }
  }

  @Test
  void aRetriedWriteWithTheSameTagReturnsTheFirstResultAndIsNotAppliedTwice() {
    WriteResp first = write(1, 0, bytes(1, 5000));
    assertEquals(1, first.getVersion());
    WriteResp retry = write(1, 0, bytes(1, 5000));
    assertEquals(first, retry);
    WriteResp next = write(2, 100, bytes(2, 10));
    assertEquals(2, next.getVersion());
    for (long t : new long[] {100, 101, 102}) {
      assertTrue(cluster.fingerprint(t).get(CHUNK).startsWith("v2:5000:"), cluster.fingerprint(t).toString());
    }
    // An older sequence number on the channel is a request the client already gave up on.
    CatenaException e = assertThrows(CatenaException.class, () -> write(1, 0, bytes(1, 5000)));
    assertEquals(Errno.EALREADY, e.errno());
  }

  @Test
  void createTargetIsIdempotentAndRefusesConflicts() {
    StorageService s = cluster.server(0).service();
    Target t = s.createTarget(100, 1, 0);
    assertEquals(1, t.chainId());
    assertEquals(Errno.EEXIST, assertThrows(CatenaException.class, () -> s.createTarget(100, 2, 0)).errno());
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> s.createTarget(900, 9, 3)).errno());
  }

  @Test
  void offlineTargetStopsServingAndRemovedTargetIsGone() {
    write(1, 0, bytes(1, 100));
    try (RpcResponse<?> r = get(rpc.call(cluster.server(0).address(), StorageRpc.OFFLINE_TARGET,
        OfflineTargetReq.newBuilder().setTargetId(100).build()))) {
      assertTrue(r.message() != null);
    }
    CatenaException e = assertThrows(CatenaException.class, () -> write(2, 0, bytes(2, 100)));
    assertEquals(Errno.EAGAIN, e.errno());
    assertTrue(e.isRetryable());
    cluster.server(2).targets().remove(102);
    assertTrue(cluster.server(2).targets().get(102).isEmpty());
    assertTrue(dir.resolve("node-2/targets").toFile().list().length == 0);
  }

  @Test
  void aReplicaRestartedWhileRoutingShowsItServing_answersNeitherReadsNorLengthQueries() {
    write(1, 0, bytes(1, 100));
    cluster.stop(1);
    cluster.start(1);
    QueryLastChunkReq q = QueryLastChunkReq.newBuilder().setTargetId(101).setChainId(1)
        .setChainVersion(cluster.chain(1).version()).setBegin(StorageRpc.toProto(ChunkId.firstOf(1)))
        .setEnd(StorageRpc.toProto(ChunkId.endOf(1))).build();
    // It may have missed writes while it was down: meta must ask another replica for a file's length.
    CatenaException e = assertThrows(CatenaException.class, () -> get(rpc.call(cluster.server(1).address(),
        StorageRpc.QUERY_LAST_CHUNK, q)).close());
    assertEquals(Errno.EAGAIN, e.errno());
    assertTrue(e.isRetryable());
    try (RpcResponse<QueryLastChunkResp> r = get(rpc.call(cluster.server(0).address(), StorageRpc.QUERY_LAST_CHUNK,
        q.toBuilder().setTargetId(100).build()))) {
      assertEquals(100, r.message().getLength());
    }
  }

  @Test
  void targetsAreLoadedFromDiskOnRestart() {
    write(1, 0, bytes(1, 100));
    cluster.stop(1);
    cluster.start(1);
    Target t = cluster.server(1).targets().get(101).orElseThrow();
    assertTrue(t.loadedAtStart());
    assertEquals(io.catena.common.cluster.LocalTargetState.OFFLINE, cluster.server(1).service().localState(t),
        "a restarted target reports offline until mgmtd has seen it out of service");
    assertTrue(cluster.fingerprint(101).get(CHUNK).startsWith("v1:100:"));
    assertEquals(List.of(CHUNK), List.copyOf(cluster.fingerprint(101).keySet()));
  }
}
