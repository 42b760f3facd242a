package io.catena.it;

import io.catena.storage.client.StorageClientConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.rpc.CallOptions;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcResponse;
import io.catena.storage.StorageConfig;
import io.catena.storage.StorageRpc;
import io.catena.storage.client.StorageClient;
import io.catena.storage.proto.ReadItem;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real cluster through the launcher: {@code catena mgmtd} and three {@code catena storage} processes serving one
 * chain of length 3; replicas killed with SIGKILL mid-stream, mgmtd changing the chain, and a returning replica
 * resynced by its predecessor, all driven by heartbeats.
 */
class StorageProcessTest {
  private static final String CLUSTER = "it-storage";
  private static final Pattern MGMTD = Pattern.compile("mgmtd 1 listening on (tcp://127\\.0\\.0\\.1:\\d+)");
  private static final Pattern STORAGE = Pattern.compile("storage \\d+ listening on (tcp://127\\.0\\.0\\.1:\\d+)");
  private static final int CHUNK = 256 << 10;
  private static final long CHAIN = 1;

  @TempDir Path root;
  Path tokenFile;
  Launcher.Daemon mgmtd;
  Address mgmtdAddress;
  final Launcher.Daemon[] storage = new Launcher.Daemon[3];
  final Address[] addresses = new Address[3];
  RpcClient rpc;
  MgmtdClient mgmtdClient;
  MgmtdService service;
  RoutingCache routing;
  StorageClient client;
  final ExecutorService pool = Executors.newCachedThreadPool();
  final Map<ChunkId, byte[]> acked = new ConcurrentHashMap<>();

  static long nodeId(int i) {
    return 10001 + i;
  }

  static long targetId(int i) {
    return 101 + i;
  }

  Config config() {
    return Config.defaults(ConfigSchema.fromHolders(MgmtdClientConfig.class, RpcConfig.class, StorageConfig.class, StorageClientConfig.class))
        .withUpdates(Map.of("mgmtd.client.timeout", "20s", "mgmtd.client.routing_refresh_interval", "100ms",
            "storage.client_timeout", "60s", "storage.retry_wait", "100ms", "rpc.io_threads", "1",
            "rpc.auth_token_file", tokenFile.toString()), "test", false);
  }

  static Address await(Launcher.Daemon d, Pattern p) throws InterruptedException {
    Matcher m = p.matcher(d.awaitLine(l -> p.matcher(l).find(), Duration.ofMinutes(3)));
    assertTrue(m.find());
    return Address.parse(m.group(1));
  }

  void startStorage(int i) throws InterruptedException {
    storage[i] = new Launcher.Daemon(Map.of(), "storage", "--node-id", Long.toString(nodeId(i)), "--listen",
        "tcp://127.0.0.1:0", "--disk", root.resolve("disk-" + i).toString(), "--mgmtd", mgmtdAddress.toString(),
        "--cluster-id", CLUSTER, "--token-file", tokenFile.toString(), "--set", "mgmtd.client.heartbeat_interval=200ms",
        "--set", "mgmtd.client.routing_refresh_interval=200ms", "--set", "storage.fsync=batch",
        "--set", "storage.retry_wait=100ms", "--set", "rpc.worker_threads=4");
    addresses[i] = await(storage[i], STORAGE);
  }

  @BeforeEach
  void startCluster() throws Exception {
    tokenFile = Launcher.initCluster(root.resolve("mgmtd"), CLUSTER);
    mgmtd = new Launcher.Daemon(Map.of(), "mgmtd", "--listen", "tcp://127.0.0.1:0", "--data",
        root.resolve("mgmtd").toString(), "--node-id", "1", "--cluster-id", CLUSTER, "--token-file", tokenFile.toString(),
        "--set", "mgmtd.heartbeat_timeout=2s", "--set", "mgmtd.primary_grace_period=0s",
        "--set", "mgmtd.tick_interval=100ms", "--set", "mgmtd.lease_duration=5s",
        "--set", "mgmtd.lease_renew_interval=1s");
    mgmtdAddress = await(mgmtd, MGMTD);
    for (int i = 0; i < 3; i++) {
      startStorage(i);
    }
    Config cfg = config();
    rpc = Rpc.client(cfg);
    mgmtdClient = new MgmtdClient(rpc, List.of(mgmtdAddress), CLUSTER, cfg);
    service = mgmtdClient.service();
    routing = new RoutingCache(mgmtdClient, cfg);
    routing.start();
    client = new StorageClient(routing, rpc, cfg);
    awaitRouting("3 storage nodes registered", r -> r.nodesOfType(NodeType.STORAGE).size() == 3);
    List<TargetSpec> specs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      specs.add(new TargetSpec(targetId(i), nodeId(i), 0));
    }
    service.createTargets(CLUSTER, specs);
    for (int i = 0; i < 3; i++) {
      client.createTarget(addresses[i], targetId(i), CHAIN, 0).get(30, TimeUnit.SECONDS);
    }
    service.uploadChains(CLUSTER, List.of(new ChainSpec(CHAIN, List.of(101L, 102L, 103L))));
    service.uploadChainTable(CLUSTER, 1, List.of(CHAIN));
    awaitServing(101, 102, 103);
  }

  @AfterEach
  void stopCluster() throws Exception {
    pool.shutdownNow();
    pool.awaitTermination(30, TimeUnit.SECONDS);
    if (client != null) {
      client.close();
      routing.close();
      mgmtdClient.close();
      rpc.close();
    }
    for (Launcher.Daemon d : storage) {
      if (d != null) {
        d.close();
      }
    }
    if (mgmtd != null) {
      mgmtd.close();
    }
  }

  RoutingInfo awaitRouting(String what, Predicate<RoutingInfo> p) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (true) {
      RoutingInfo r = routing.refresh(routing.current().version());
      if (p.test(r)) {
        return r;
      }
      if (System.nanoTime() > end) {
        fail("timed out waiting for " + what + "; routing: " + r + " " + r.chains());
      }
      Thread.sleep(100); // polling mgmtd's routing with a deadline
    }
  }

  void awaitServing(long... targets) throws InterruptedException {
    awaitRouting("serving " + Arrays.toString(targets), r -> r.chain(CHAIN).map(c -> c.targetsIn(
        PublicTargetState.SERVING).equals(Arrays.stream(targets).boxed().toList())).orElse(false));
  }

  void kill9(int i) throws InterruptedException {
    storage[i].process.toHandle().destroyForcibly();
    assertTrue(storage[i].process.waitFor(30, TimeUnit.SECONDS));
    storage[i] = null;
  }

  List<Future<?>> startWriters(int writers, int chunksEach, AtomicBoolean stop, AtomicInteger done, long seed) {
    List<Future<?>> fs = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int id = w;
      fs.add(pool.submit(() -> {
        Random rnd = new Random(seed * 31 + id);
        for (int k = 0; !stop.get(); k++) {
          ChunkId c = new ChunkId(7, id * chunksEach + k % chunksEach);
          byte[] b = new byte[CHUNK];
          rnd.nextBytes(b);
          client.write(CHAIN, c, CHUNK, 0, Unpooled.wrappedBuffer(b)).get(90, TimeUnit.SECONDS);
          acked.put(c, b);
          done.incrementAndGet();
        }
        return null;
      }));
    }
    return fs;
  }

  static void awaitCount(AtomicInteger n, int atLeast) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (n.get() < atLeast) {
      if (System.nanoTime() > end) {
        fail("only " + n.get() + " of " + atLeast + " writes finished");
      }
      Thread.sleep(20); // polling a counter with a deadline
    }
  }

  static void finish(List<Future<?>> fs, AtomicBoolean stop) throws Exception {
    stop.set(true);
    for (Future<?> f : fs) {
      f.get(120, TimeUnit.SECONDS);
    }
  }

  /** What one replica holds for a chunk: "ENOENT" or version, CRC and the bytes' hash. */
  String replicaView(int node, long target, ChunkId c) throws Exception {
    ReadReq req = ReadReq.newBuilder().addItems(ReadItem.newBuilder().setTargetId(target).setChainId(CHAIN)
        .setChunk(StorageRpc.toProto(c)).setLength(CHUNK)).build();
    try (RpcResponse<ReadResp> r = rpc.call(addresses[node], StorageRpc.READ, req, null,
        CallOptions.timeout(Duration.ofSeconds(20))).get(30, TimeUnit.SECONDS)) {
      var x = r.message().getResults(0);
      if (x.getErrno() != 0) {
        return "errno " + x.getErrno();
      }
      byte[] b = ByteBufUtil.getBytes(r.attachment().orElseThrow());
      return "v" + x.getVersion() + " crc " + x.getChunkCrc32C() + " hash " + Arrays.hashCode(b);
    }
  }

  void assertReplicasIdentical(List<ChunkId> chunks, int... nodes) throws Exception {
    for (ChunkId c : chunks) {
      String first = replicaView(nodes[0], targetId(nodes[0]), c);
      for (int k = 1; k < nodes.length; k++) {
        assertEquals(first, replicaView(nodes[k], targetId(nodes[k]), c), "chunk " + c + " on node " + nodes[k]);
      }
    }
  }

  void assertAckedReadable() throws Exception {
    for (Map.Entry<ChunkId, byte[]> e : acked.entrySet()) {
      StorageClient.ReadData d = client.read(CHAIN, e.getKey(), 0, CHUNK).get(60, TimeUnit.SECONDS);
      try (d) {
        assertArrayEquals(e.getValue(), d.data().toArray(), "acknowledged chunk " + e.getKey());
      }
    }
  }

  @Test
  void killNineOfTailThenMiddleDuringAWriteStream_writesResumeAndNothingAcknowledgedIsLost() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> ws = startWriters(4, 6, stop, done, 1);
    awaitCount(done, 40);
    kill9(2);
    awaitServing(101, 102);
    awaitCount(done, done.get() + 40);
    finish(ws, stop);
    assertReplicasIdentical(new ArrayList<>(acked.keySet()), 0, 1);
    assertAckedReadable();

    AtomicBoolean stop2 = new AtomicBoolean();
    List<Future<?>> ws2 = startWriters(4, 6, stop2, done, 2);
    awaitCount(done, done.get() + 40);
    kill9(1);
    awaitServing(101);
    awaitCount(done, done.get() + 40);
    finish(ws2, stop2);
    assertAckedReadable();
  }

  @Test
  void replicaThatMissedWritesOverwritesAndRemovesIsResyncedWhileWritesContinue() throws Exception {
    for (int i = 0; i < 12; i++) {
      byte[] b = new byte[CHUNK];
      new Random(i).nextBytes(b);
      client.write(CHAIN, new ChunkId(8, i), CHUNK, 0, Unpooled.wrappedBuffer(b)).get(60, TimeUnit.SECONDS);
    }
    kill9(2);
    awaitServing(101, 102);
    // Missed while down: overwrites, patches, truncates, removes and new chunks.
    for (int i = 0; i < 4; i++) {
      byte[] b = new byte[1000];
      new Random(100 + i).nextBytes(b);
      client.write(CHAIN, new ChunkId(8, i), CHUNK, 5000, Unpooled.wrappedBuffer(b)).get(60, TimeUnit.SECONDS);
    }
    client.truncate(CHAIN, new ChunkId(8, 4), CHUNK, 77).get(60, TimeUnit.SECONDS);
    assertEquals(4L, client.removeRange(CHAIN, new ChunkId(8, 8), ChunkId.endOf(8)).get(60, TimeUnit.SECONDS));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger done = new AtomicInteger();
    List<Future<?>> ws = startWriters(3, 5, stop, done, 3);
    awaitCount(done, 30);

    startStorage(2); // same disk: target 103 comes back with stale data
    awaitServing(101, 102, 103);
    awaitCount(done, done.get() + 30);
    finish(ws, stop);
    List<ChunkId> all = new ArrayList<>(acked.keySet());
    for (int i = 0; i < 12; i++) {
      all.add(new ChunkId(8, i));
    }
    assertReplicasIdentical(all, 0, 1, 2);
    assertEquals("errno 2", replicaView(2, 103, new ChunkId(8, 9)), "a removed chunk survived the resync");
    assertAckedReadable();
  }
}
