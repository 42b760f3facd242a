package io.catena.storage.service;

import static io.catena.storage.service.Harness.MIB;
import static io.catena.storage.service.Harness.bytes;
import static io.catena.storage.service.Harness.get;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.cluster.ChunkId;
import io.catena.common.config.Config;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.client.StorageClient;
import io.catena.storage.client.StorageClient.ReadData;
import io.catena.storage.client.StorageClient.ReadRange;
import io.catena.storage.client.StorageClient.WriteResult;
import io.netty.buffer.Unpooled;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ReplicationTest {
  @TempDir Path dir;
  LocalCluster cluster;
  RpcClient rpc;
  StorageClient client;
  final Config config = Harness.config();

  @BeforeEach
  void setUp() {
    cluster = new LocalCluster(dir, 3, config);
    rpc = Rpc.client(config);
    client = new StorageClient(cluster.routing(), rpc, config);
  }

  @AfterEach
  void tearDown() {
    client.close();
    rpc.close();
    cluster.close();
  }

  private static byte[] data(ReadData d) {
    try (d) {
      return d.data().toArray();
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3})
  void writesReachEveryReplicaAndReadBackFromAny(int length) {
    int[] nodes = IntStream.range(0, length).toArray();
    cluster.createChain(1, nodes);
    for (int i = 0; i < 5; i++) {
      byte[] b = bytes(i, MIB);
      WriteResult w = get(client.write(1, new ChunkId(7, i), MIB, 0, Unpooled.wrappedBuffer(b)));
      assertEquals(1, w.version());
      assertEquals(MIB, w.chunkLength());
      byte[] patch = bytes(100 + i, 1000);
      WriteResult w2 = get(client.write(1, new ChunkId(7, i), MIB, 4096, Unpooled.wrappedBuffer(patch)));
      assertEquals(2, w2.version());
      System.arraycopy(patch, 0, b, 4096, patch.length);
      for (int k = 0; k < 3; k++) {
        assertArrayEquals(b, data(get(client.read(1, new ChunkId(7, i), 0, MIB))));
      }
    }
    long[] ts = IntStream.range(0, length).mapToLong(n -> LocalCluster.targetId(1, n)).toArray();
    Harness.assertReplicasIdentical(cluster, 1, ts);
    assertEquals(5, cluster.fingerprint(ts[0]).size());
  }

  @Test
  void batchedReadReturnsItemsInOrderAcrossChains() {
    cluster.createChain(1, 0, 1, 2);
    cluster.createChain(2, 2, 0, 1);
    List<ReadRange> ranges = new ArrayList<>();
    List<byte[]> expect = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      long chain = 1 + i % 2;
      byte[] b = bytes(i, 70_000 + i);
      get(client.write(chain, new ChunkId(9, i), MIB, 0, Unpooled.wrappedBuffer(b)));
      ranges.add(new ReadRange(chain, new ChunkId(9, i), 10, 50_000));
      expect.add(java.util.Arrays.copyOfRange(b, 10, 50_010));
    }
    List<ReadData> got = get(client.batchRead(ranges));
    for (int i = 0; i < 6; i++) {
      assertArrayEquals(expect.get(i), data(got.get(i)), "item " + i);
    }
  }

  @Test
  void truncateRemoveRangeAndLastChunkAreReplicated() {
    cluster.createChain(1, 0, 1, 2);
    for (int i = 0; i < 4; i++) {
      get(client.write(1, new ChunkId(5, i), MIB, 0, Unpooled.wrappedBuffer(bytes(i, 300_000))));
    }
    Optional<StorageClient.LastChunk> last = get(client.queryLastChunk(1, ChunkId.firstOf(5), ChunkId.endOf(5)));
    assertEquals(new ChunkId(5, 3), last.orElseThrow().chunk());
    assertEquals(300_000, last.get().length());
    WriteResult t = get(client.truncate(1, new ChunkId(5, 3), MIB, 1234));
    assertEquals(1234, t.chunkLength());
    assertEquals(1234, get(client.queryLastChunk(1, ChunkId.firstOf(5), ChunkId.endOf(5))).orElseThrow().length());
    assertEquals(2, get(client.removeRange(1, new ChunkId(5, 2), ChunkId.endOf(5))));
    assertEquals(new ChunkId(5, 1),
        get(client.queryLastChunk(1, ChunkId.firstOf(5), ChunkId.endOf(5))).orElseThrow().chunk());
    Harness.assertReplicasIdentical(cluster, 1, 100, 101, 102);
    assertEquals(2, cluster.fingerprint(102).size());
  }

  @Test
  void concurrentWritersToTheSameChunksLeaveIdenticalReplicasAndReadsNeverSeeRolledBackVersions()
      throws Exception {
    cluster.createChain(1, 0, 1, 2);
    int chunks = 3;
    int writers = 8;
    int writesEach = 40;
    int chunkSize = 256 << 10;
    // For every chunk: version -> CRC of the whole chunk after it, as acknowledged to writers and seen by readers.
    Map<String, Integer> acked = new ConcurrentHashMap<>();
    Map<String, Integer> seen = new ConcurrentHashMap<>();
    List<String> conflicts = java.util.Collections.synchronizedList(new ArrayList<>());
    AtomicBoolean stop = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(writers + 2);
    try {
      List<Future<?>> ws = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int id = w;
        ws.add(pool.submit(() -> {
          Random rnd = new Random(id);
          for (int k = 0; k < writesEach; k++) {
            int c = rnd.nextInt(chunks);
            int len = 1 + rnd.nextInt(32 << 10);
            int off = rnd.nextInt(chunkSize - len);
            WriteResult r = get(client.write(1, new ChunkId(3, c), chunkSize, off,
                Unpooled.wrappedBuffer(bytes(id * 1000L + k, len))));
            Integer prev = acked.putIfAbsent(c + "@" + r.version(), r.chunkCrc32c());
            if (prev != null && prev != r.chunkCrc32c()) {
              conflicts.add("two acks for chunk " + c + " v" + r.version());
            }
          }
          return null;
        }));
      }
      for (int rd = 0; rd < 2; rd++) {
        pool.submit(() -> {
          Random rnd = new Random();
          while (!stop.get()) {
            int c = rnd.nextInt(chunks);
            try {
              ReadData d = get(client.read(1, new ChunkId(3, c), 0, chunkSize));
              d.close();
              Integer prev = seen.putIfAbsent(c + "@" + d.version(), d.chunkCrc32c());
              if (prev != null && prev != d.chunkCrc32c()) {
                conflicts.add("chunk " + c + " v" + d.version() + " read with two contents");
              }
            } catch (io.catena.common.CatenaException e) {
              // ENOENT before the first commit of the chunk
            }
          }
          return null;
        });
      }
      for (Future<?> f : ws) {
        f.get();
      }
    } finally {
      stop.set(true);
      pool.shutdown();
      pool.awaitTermination(30, java.util.concurrent.TimeUnit.SECONDS);
    }
    assertTrue(conflicts.isEmpty(), conflicts.toString());
    assertEquals(writers * writesEach, acked.size(), "every write got its own version");
    for (Map.Entry<String, Integer> e : seen.entrySet()) {
      assertEquals(acked.get(e.getKey()), e.getValue(), "read " + e.getKey() + " was never acknowledged as such");
    }
    Harness.assertReplicasIdentical(cluster, 1, 100, 101, 102);
  }
}
