package io.catena.client;

import io.catena.meta.client.MetaClientConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.ChainTableSource;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.OpenFlags;
import io.catena.meta.UserInfo;
import io.catena.meta.store.KvMetaService;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CatenaClientTest {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(11L, 12L, 13L, 14L, 15L));

  private KvEngine kv;
  private InMemoryChunks chunks;
  private CatenaClient client;

  @BeforeEach
  void setUp() {
    kv = new MemKvEngine();
    chunks = new InMemoryChunks();
    Config config = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class))
        .withUpdates(java.util.Map.of("meta.default_chunk_size", "64KiB", "meta.default_stripe_size", "4"),
            "test", false);
    KvMetaService meta = new KvMetaService(TransactionRunner.withDefaults(kv), new ManualClock(), config,
        ChainTableSource.fixed(TABLE), chunks);
    meta.format(0777);
    var routing = new ManualRoutingSource(
        new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(TABLE)));
    client = new CatenaClient(meta, new FileLayoutIo(chunks, routing), UserInfo.of(1000, 1000), "client-1");
  }

  @AfterEach
  void tearDown() {
    kv.close();
  }

  @Test
  void randomWritesAndReadsMatchAModelOfTheFile() {
    Random rnd = new Random(42);
    byte[] model = new byte[0];
    try (CatenaFile f = client.create("/model.bin", 0644)) {
      for (int op = 0; op < 300; op++) {
        long off = rnd.nextInt(600_000);
        if (rnd.nextInt(3) > 0) {
          byte[] data = new byte[1 + rnd.nextInt(200_000)];
          rnd.nextBytes(data);
          f.write(off, ByteBuffer.wrap(data));
          if (off + data.length > model.length) {
            model = Arrays.copyOf(model, (int) off + data.length);
          }
          System.arraycopy(data, 0, model, (int) off, data.length);
        } else {
          ByteBuffer dst = ByteBuffer.allocate(1 + rnd.nextInt(300_000));
          int n = f.read(off, dst);
          int expected = off >= model.length ? -1 : (int) Math.min(dst.capacity(), model.length - off);
          assertEquals(expected, n, "read at " + off);
          if (n > 0) {
            assertArrayEquals(Arrays.copyOfRange(model, (int) off, (int) off + n), Arrays.copyOf(dst.array(), n));
          }
        }
      }
    }
    assertEquals(model.length, client.stat("/model.bin").length(), "close records the exact length from storage");
    try (CatenaFile f = client.open("/model.bin", OpenFlags.O_RDONLY)) {
      ByteBuffer all = ByteBuffer.allocate(model.length + 10);
      assertEquals(model.length, f.read(0, all));
      assertArrayEquals(model, Arrays.copyOf(all.array(), model.length));
    }
  }

  @Test
  void aFileSpreadsOverItsStripeOfChains() {
    try (CatenaFile f = client.create("/wide.bin", 0644)) {
      f.write(0, ByteBuffer.allocate(64 * 1024 * 8));
    }
    Set<Long> chains = new HashSet<>();
    chunks.chunks.keySet().forEach(k -> chains.add(k.chain()));
    assertEquals(4, chains.size(), "8 chunks over a stripe of 4 chains: " + chains);
  }

  @Test
  void holesReadAsZeros() {
    try (CatenaFile f = client.create("/sparse.bin", 0644)) {
      f.write(300_000, ByteBuffer.wrap(new byte[] {7}));
      ByteBuffer dst = ByteBuffer.allocate(300_001);
      java.util.Arrays.fill(dst.array(), (byte) 1);
      assertEquals(300_001, f.read(0, dst));
      for (int i = 0; i < 300_000; i++) {
        if (dst.get(i) != 0) {
          throw new AssertionError("byte " + i + " of a hole is " + dst.get(i));
        }
      }
      assertEquals(7, dst.get(300_000));
    }
  }

  @Test
  void directoriesRenameAndDelete() {
    client.mkdirs("/a/b/c", 0755);
    try (CatenaFile f = client.create("/a/b/c/x", 0644)) {
      f.write(0, ByteBuffer.wrap("hello".getBytes()));
    }
    client.rename("/a/b/c/x", "/a/y");
    assertEquals(List.of("b", "y"), client.list("/a").stream().map(e -> e.name()).toList());
    assertEquals(5, client.stat("/a/y").length());
    assertEquals(Errno.ENOTEMPTY, assertThrows(CatenaException.class, () -> client.delete("/a/b")).errno());
    client.delete("/a/y");
    assertTrue(client.deleteRecursive("/a") >= 3);
    assertEquals(Errno.ENOENT, assertThrows(CatenaException.class, () -> client.stat("/a")).errno());
  }

  @Test
  void readOnlyHandleRefusesWritesWithEbadf() {
    try (CatenaFile f = client.create("/ro", 0644)) {
      f.write(0, ByteBuffer.wrap(new byte[] {1}));
    }
    try (CatenaFile f = client.open("/ro", OpenFlags.O_RDONLY)) {
      assertEquals(Errno.EBADF,
          assertThrows(CatenaException.class, () -> f.write(0, ByteBuffer.wrap(new byte[] {2}))).errno());
    }
  }

  @Test
  void appendWritesAtTheEnd() {
    try (CatenaFile f = client.create("/log", 0644)) {
      f.write(0, ByteBuffer.wrap("abc".getBytes()));
    }
    try (CatenaFile f = client.open("/log", OpenFlags.O_WRONLY | OpenFlags.O_APPEND)) {
      f.write(0, ByteBuffer.wrap("def".getBytes()));
    }
    try (CatenaFile f = client.open("/log", OpenFlags.O_RDONLY)) {
      ByteBuffer b = ByteBuffer.allocate(10);
      assertEquals(6, f.read(0, b));
      assertEquals("abcdef", new String(b.array(), 0, 6));
    }
  }
}
