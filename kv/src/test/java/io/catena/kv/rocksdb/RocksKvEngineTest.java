package io.catena.kv.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngineConformanceTest;
import io.catena.kv.KvEngines;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RocksKvEngineTest extends KvEngineConformanceTest {
  @TempDir
  Path tmp;

  private final AtomicInteger dbs = new AtomicInteger();

  @Override
  protected KvEngine newEngine(KvFaults faults, Clock clock) {
    Path dir = tmp.resolve("db" + dbs.incrementAndGet());
    return RocksKvEngine.open("rocksdb://" + dir, dir, null, faults, clock);
  }

  @Override
  protected int transfersPerThread() {
    return 1000;
  }

  @Test
  void reopen_keepsDataAndVersionsKeepIncreasing() {
    Path dir = tmp.resolve("reopen");
    long v;
    try (KvEngine kv = KvEngines.open("rocksdb://" + dir, null)) {
      put(kv, "a", "1", "b", "2");
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        t.clear(b("b"));
        t.set(b("c"), b("3"));
        v = t.commit();
      }
    }
    try (KvEngine kv = KvEngines.open("rocksdb://" + dir, null)) {
      assertEquals("1", read(kv, "a"));
      assertEquals(null, read(kv, "b"));
      assertEquals("3", read(kv, "c"));
      try (ReadTransaction t = kv.beginRead()) {
        assertEquals(v, t.readVersion());
      }
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        t.set(b("d"), b("4"));
        assertTrue(t.commit() > v);
      }
    }
  }

  /** Without sync_commits (the default) callers write their own commits; those that queue behind a writer share its batch. */
  @Test
  void concurrentCommits_shareWriteBatches() throws Exception {
    try (RocksKvEngine kv = RocksKvEngine.open(tmp.resolve("group"), null)) {
      putConcurrently(kv, 16, 50);
      assertEquals(16 * 50, kv.commitCount());
      assertTrue(kv.batchCount() < kv.commitCount(),
          "group commit: " + kv.commitCount() + " commits in " + kv.batchCount() + " batches");
    }
  }

  /** {@code threads} threads each committing {@code each} single puts, all at once. */
  static void putConcurrently(KvEngine kv, int threads, int each) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int thread = t;
        fs.add(pool.submit(() -> {
          for (int i = 0; i < each; i++) {
            put(kv, "g/" + thread + "/" + i, "x");
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void unsyncedCommits_areStillDurableAfterCleanClose() {
    Path dir = tmp.resolve("nosync");
    Config noSync = Config.defaults(ConfigSchema.fromHolders(KvConfig.class))
        .withUpdates(Map.of("kv.rocksdb.sync_commits", "false"), "test", false);
    try (KvEngine kv = KvEngines.open("rocksdb://" + dir, noSync)) {
      put(kv, "a", "1");
    }
    try (KvEngine kv = KvEngines.open("rocksdb://" + dir, noSync)) {
      assertEquals("1", read(kv, "a"));
    }
  }

  @Test
  void withoutPerCommitSync_theWalIsSyncedWithinTheInterval_evenWhenNoOtherCommitFollows() {
    Config timed = Config.defaults(ConfigSchema.fromHolders(KvConfig.class))
        .withUpdates(Map.of("kv.rocksdb.sync_interval", "50ms"), "test", false);
    assertEquals(false, timed.get(KvConfig.ROCKSDB_SYNC_COMMITS), "the default: acknowledged at the WAL write");
    try (RocksKvEngine kv = RocksKvEngine.open(tmp.resolve("timed"), timed)) {
      assertEquals(0, kv.timedWalSyncs(), "nothing written, nothing to sync");
      put(kv, "a", "1");
      long deadline = System.nanoTime() + java.time.Duration.ofSeconds(30).toNanos();
      while (kv.timedWalSyncs() == 0 && System.nanoTime() < deadline) {
        Thread.onSpinWait();
      }
      assertEquals(1, kv.timedWalSyncs(), "one sync for the lone commit");
    }
    Config perCommit = Config.defaults(ConfigSchema.fromHolders(KvConfig.class))
        .withUpdates(Map.of("kv.rocksdb.sync_commits", "true"), "test", false);
    try (RocksKvEngine kv = RocksKvEngine.open(tmp.resolve("percommit"), perCommit)) {
      put(kv, "a", "1");
      assertEquals(0, kv.timedWalSyncs(), "every commit synced before it was acknowledged: no timer");
    }
  }

  @Test
  void aRangeReadStopsAtItsEnd_withoutWalkingTheDeletedKeysBehindIt() throws Exception {
    try (RocksKvEngine kv = RocksKvEngine.open(tmp.resolve("tombstones"), null)) {
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        for (int i = 0; i < 2000; i++) {
          t.set(b("t/" + i), b("x"));
        }
        t.commit();
      }
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        for (int i = 0; i < 2000; i++) {
          t.clear(b("t/" + i)); // point tombstones, as closed sessions leave them
        }
        t.set(b("z"), b("live"));
        t.commit();
      }
      org.rocksdb.RocksDB db = kv.rocksDb();
      db.setPerfLevel(org.rocksdb.PerfLevel.ENABLE_COUNT);
      try {
        org.rocksdb.PerfContext perf = db.getPerfContext();
        perf.reset();
        try (ReadTransaction t = kv.beginRead()) {
          assertTrue(t.snapshotGetRange(b("a"), b("b"), 1, false).pairs().isEmpty());
          assertTrue(t.snapshotGetRange(b("s"), b("t/"), 1, false).pairs().isEmpty());
        }
        assertTrue(perf.getInternalDeleteSkippedCount() < 10,
            "deleted keys walked past the ranges' ends: " + perf.getInternalDeleteSkippedCount());
      } finally {
        db.setPerfLevel(org.rocksdb.PerfLevel.DISABLE);
      }
    }
  }

  @Test
  void secondOpenOfSameDirectory_isRefusedWithEbusy() {
    Path dir = tmp.resolve("locked");
    try (KvEngine kv = KvEngines.open("rocksdb://" + dir, null)) {
      CatenaException e = org.junit.jupiter.api.Assertions.assertThrows(CatenaException.class,
          () -> KvEngines.open("rocksdb://" + dir, null));
      assertEquals(Errno.EBUSY, e.errno(), e.getMessage());
      put(kv, "still", "works");
    }
  }
}
