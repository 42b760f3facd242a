package io.catena.metalogger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.common.CatenaException;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvDump;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.rocksdb.RocksKvEngine;
import io.catena.metalogger.server.MetalogService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real RocksDB engine served by {@link MetalogService} over real RPC, a {@link Metalogger} following it, and
 * {@link MetaRestore} rebuilding the store from the logger's directory alone: the rebuilt store must hash exactly
 * as the original, after a logger restart (resumed, no new checkpoint) and after the logger fell behind what the
 * feed holds (a new checkpoint).
 */
class MetaloggerTest {
  @TempDir Path tmp;
  private RocksKvEngine engine;
  private MetalogService service;
  private RpcServer server;
  private RpcClient rpc;
  private Config config;

  void startControl(String feedSize) {
    config = Config.defaults(ConfigSchema.fromHolders(KvConfig.class, RpcConfig.class, MetaloggerConfig.class))
        .withUpdates(Map.of("kv.rocksdb.change_feed_size", feedSize, "metalogger.poll_wait", "200ms",
            "metalogger.retry_interval", "50ms"), "test", false);
    engine = RocksKvEngine.open("rocksdb://" + tmp.resolve("control"), tmp.resolve("control"), config,
        io.catena.kv.KvFaults.none(), Clock.systemUTC());
    service = new MetalogService(engine, Clock.systemUTC());
    server = Rpc.server(config, Address.parse("tcp://127.0.0.1:0"), List.of(service.definition()));
    rpc = Rpc.client(config);
  }

  @BeforeEach
  void setUp() {
    startControl("32MiB");
  }

  @AfterEach
  void tearDown() {
    rpc.close();
    server.close();
    service.close();
    engine.close();
  }

  private Metalogger logger() {
    return new Metalogger(new MetalogClient(rpc, server.boundAddress(), Duration.ofSeconds(10)), tmp.resolve("ml"),
        config, Clock.systemUTC()).start();
  }

  private void write(int from, int to) {
    for (int i = from; i < to; i++) {
      try (ReadWriteTransaction t = engine.beginReadWrite()) {
        t.set(("k" + i).getBytes(StandardCharsets.UTF_8), ("value " + i).repeat(20).getBytes(StandardCharsets.UTF_8));
        t.atomicAdd("counter".getBytes(StandardCharsets.UTF_8), 1);
        if (i % 7 == 0) {
          t.clear(("k" + (i - 3)).getBytes(StandardCharsets.UTF_8));
        }
        t.commit();
      }
    }
  }

  private static void await(String what, BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out waiting until " + what);
      }
      Thread.sleep(20); // polling the logger's status with a deadline
    }
  }

  private void awaitCaughtUp(Metalogger m) throws InterruptedException {
    long target = engine.changeFeed().latestVersion();
    await("the logger holds version " + target + ": " + m.status().line(),
        () -> m.status().receivedVersion() >= target);
  }

  /** Restores into a new directory and returns the store's digest and version. */
  private String restoredDigest(String name, long[] version) {
    Path to = tmp.resolve(name);
    MetaRestore.Result r = MetaRestore.restore(tmp.resolve("ml"), to);
    version[0] = r.version();
    try (RocksKvEngine restored = RocksKvEngine.open(to, config)) {
      try (var t = restored.beginRead()) {
        assertEquals(r.version(), t.readVersion(), "the restored store continues at the logged version");
      }
      return KvDump.digest(restored);
    }
  }

  @Test
  void followsCommits_andRestoreRebuildsTheSameStore() throws Exception {
    write(0, 50);
    try (Metalogger m = logger()) {
      awaitCaughtUp(m);
      long checkpoint = m.status().checkpointVersion();
      write(50, 200); // after the checkpoint: these arrive through the change feed
      awaitCaughtUp(m);
      assertEquals(checkpoint, m.status().checkpointVersion(), "streamed, not re-checkpointed");
      assertEquals(0, m.status().behindVersions());
      assertTrue(m.status().connected());
      var seen = new MetalogClient(rpc, server.boundAddress(), Duration.ofSeconds(10)).listLoggers();
      assertEquals(1, seen.getLoggersCount(), seen.toString());
      assertTrue(seen.getLoggers(0).getVersion() >= checkpoint, "the control process sees what it holds: " + seen);
    }
    long[] v = new long[1];
    assertEquals(KvDump.digest(engine), restoredDigest("restored", v));
    assertEquals(engine.changeFeed().latestVersion(), v[0]);
  }

  @Test
  void restartedLogger_resumesFromItsLastChange_withoutANewCheckpoint() throws Exception {
    long checkpoint;
    try (Metalogger m = logger()) {
      write(0, 30);
      awaitCaughtUp(m);
      checkpoint = m.status().checkpointVersion();
    }
    write(30, 120); // while the logger is down
    try (Metalogger m = logger()) {
      awaitCaughtUp(m);
      assertEquals(checkpoint, m.status().checkpointVersion(), "resumed from its change log");
    }
    long[] v = new long[1];
    assertEquals(KvDump.digest(engine), restoredDigest("restored", v));
  }

  @Test
  void loggerBehindTheFeed_takesANewCheckpoint() throws Exception {
    tearDown();
    startControl("4KiB");
    long checkpoint;
    try (Metalogger m = logger()) {
      write(0, 10);
      awaitCaughtUp(m);
      checkpoint = m.status().checkpointVersion();
    }
    write(10, 200); // far more than 4 KiB of batches: the feed drops what the logger needs
    try (Metalogger m = logger()) {
      awaitCaughtUp(m);
      assertNotEquals(checkpoint, m.status().checkpointVersion(), "a new checkpoint");
    }
    long[] v = new long[1];
    assertEquals(KvDump.digest(engine), restoredDigest("restored", v));
  }

  @Test
  void restore_refusesANonEmptyDirectory_andADirectoryWithoutCheckpoint() throws Exception {
    try (Metalogger m = logger()) {
      write(0, 5);
      awaitCaughtUp(m);
    }
    long[] v = new long[1];
    restoredDigest("once", v);
    CatenaException e = org.junit.jupiter.api.Assertions.assertThrows(CatenaException.class,
        () -> MetaRestore.restore(tmp.resolve("ml"), tmp.resolve("once")));
    assertTrue(e.getMessage().contains("not empty"), e.getMessage());
    e = org.junit.jupiter.api.Assertions.assertThrows(CatenaException.class,
        () -> MetaRestore.restore(tmp.resolve("control"), tmp.resolve("other")));
    assertTrue(e.getMessage().contains("no checkpoint"), e.getMessage());
  }
}
