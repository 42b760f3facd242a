package io.catena.storage.service;

import static io.catena.storage.service.Harness.bytes;
import static io.catena.storage.service.Harness.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.config.Config;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.client.StorageClient;
import io.catena.storage.client.StorageClient.ReadData;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A replica leaving the chain mid-stream, and a replica returning and being resynced, with writes running. */
class FailoverAndResyncTest {
  static final int CHUNK = 128 << 10;
  @TempDir Path dir;
  LocalCluster cluster;
  RpcClient rpc;
  StorageClient client;
  final Config config = Harness.config();
  // chunk -> content acknowledged last (writers own disjoint chunks, so this is the expected final content)
  final Map<ChunkId, byte[]> acked = new ConcurrentHashMap<>();
  final ExecutorService pool = Executors.newCachedThreadPool();

  @BeforeEach
  void setUp() {
    cluster = new LocalCluster(dir, 3, config);
    cluster.createChain(1, 0, 1, 2);
    rpc = Rpc.client(config);
    client = new StorageClient(cluster.routing(), rpc, config);
  }

  @AfterEach
  void tearDown() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(30, TimeUnit.SECONDS);
    client.close();
    rpc.close();
    cluster.close();
  }

  /** Writers each own 8 chunks and overwrite them round-robin until stopped; returns their futures. */
  List<Future<?>> startWriters(int writers, AtomicBoolean stop, AtomicInteger done) {
    List<Future<?>> fs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      fs.add(pool.submit(() -> {
        for (int k = 0; !stop.get(); k++) {
          ChunkId c = new ChunkId(11, id * 8 + k % 8);
          byte[] b = bytes(id * 100_000L + k, CHUNK);
          get(client.write(1, c, CHUNK, 0, Unpooled.wrappedBuffer(b)));
          acked.put(c, b);
          done.incrementAndGet();
        }
        return null;
      }));
    }
    return fs;
  }

  void awaitWrites(AtomicInteger done, int atLeast) {
    Harness.await(atLeast + " writes", Duration.ofSeconds(60), () -> done.get() >= atLeast);
  }

  void assertAckedReadable() {
    for (Map.Entry<ChunkId, byte[]> e : acked.entrySet()) {
      ReadData d = get(client.read(1, e.getKey(), 0, CHUNK));
      try (d) {
        assertArrayEquals(e.getValue(), d.data().toArray(), "chunk " + e.getKey());
      }
    }
  }

  void replicaLeavesMidStream(int node) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> ws = startWriters(4, stop, done);
    awaitWrites(done, 40);
    cluster.stop(node);
    int before = done.get();
    // mgmtd's view after missed heartbeats: the failed member moves to the end, offline, with a new version.
    List<ChainTarget> members = new ArrayList<>();
    for (ChainTarget t : cluster.chain(1).targets()) {
      if (LocalCluster.nodeOf(t.targetId()) != node) {
        members.add(t);
      }
    }
    members.add(new ChainTarget(LocalCluster.targetId(1, node), PublicTargetState.OFFLINE));
    cluster.setChain(1, members);
    awaitWrites(done, before + 60);
    stop.set(true);
    for (Future<?> f : ws) {
      f.get(60, TimeUnit.SECONDS);
    }
    long[] alive = members.stream().filter(t -> t.state() == PublicTargetState.SERVING)
        .mapToLong(ChainTarget::targetId).toArray();
    assertEquals(2, alive.length);
    Harness.assertReplicasIdentical(cluster, 1, alive);
    assertAckedReadable();
  }

  @Test
  void tailStoppedMidStream_writesResumeAfterChainChangeAndNothingAcknowledgedIsLost() throws Exception {
    replicaLeavesMidStream(2);
  }

  @Test
  void middleStoppedMidStream_writesResumeAfterChainChangeAndNothingAcknowledgedIsLost() throws Exception {
    replicaLeavesMidStream(1);
  }

  @Test
  void returningReplicaIsResyncedIncludingWritesDuringTheSync() throws Exception {
    // Some data everyone has, including chunks the returning replica must later lose.
    for (int i = 0; i < 10; i++) {
      get(client.write(1, new ChunkId(20, i), CHUNK, 0, Unpooled.wrappedBuffer(bytes(i, CHUNK))));
    }
    cluster.stop(2);
    cluster.setChain(1, List.of(new ChainTarget(100, PublicTargetState.SERVING),
        new ChainTarget(101, PublicTargetState.SERVING), new ChainTarget(102, PublicTargetState.OFFLINE)));
    // Missed while down: new chunks, overwrites, partial overwrites, truncates and removes.
    for (int i = 0; i < 5; i++) {
      get(client.write(1, new ChunkId(20, i), CHUNK, 100, Unpooled.wrappedBuffer(bytes(50 + i, 1000))));
    }
    get(client.truncate(1, new ChunkId(20, 5), CHUNK, 10));
    assertEquals(3, get(client.removeRange(1, new ChunkId(20, 7), ChunkId.endOf(20))));
    for (int i = 0; i < 5; i++) {
      get(client.write(1, new ChunkId(21, i), CHUNK, 0, Unpooled.wrappedBuffer(bytes(70 + i, CHUNK / 2))));
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> ws = startWriters(3, stop, done);
    awaitWrites(done, 20);

    cluster.start(2);
    Target returning = cluster.server(2).targets().get(102).orElseThrow();
    assertFalse(returning.upToDate(), "a target loaded from disk is not up to date until synced");
    cluster.setChain(1, List.of(new ChainTarget(100, PublicTargetState.SERVING),
        new ChainTarget(101, PublicTargetState.SERVING), new ChainTarget(102, PublicTargetState.SYNCING)));
    Harness.await("sync done", Duration.ofSeconds(60), returning::upToDate);
    int before = done.get();
    awaitWrites(done, before + 20); // writes keep flowing to the synced, still "syncing" target
    cluster.setChain(1, List.of(new ChainTarget(100, PublicTargetState.SERVING),
        new ChainTarget(101, PublicTargetState.SERVING), new ChainTarget(102, PublicTargetState.SERVING)));
    awaitWrites(done, done.get() + 20);
    stop.set(true);
    for (Future<?> f : ws) {
      f.get(60, TimeUnit.SECONDS);
    }
    Harness.assertReplicasIdentical(cluster, 1, 100, 101, 102);
    Map<ChunkId, String> fp = cluster.fingerprint(102);
    assertFalse(fp.containsKey(new ChunkId(20, 8)), "removed chunk survived on the returning replica");
    assertTrue(fp.get(new ChunkId(20, 5)).contains(":10:"), "truncate was not synced: " + fp.get(new ChunkId(20, 5)));
    assertAckedReadable();
  }
}
