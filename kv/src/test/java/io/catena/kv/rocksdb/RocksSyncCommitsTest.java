package io.catena.kv.rocksdb;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngineConformanceTest;
import io.catena.kv.KvFaults;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's contract with {@code kv.rocksdb.sync_commits=true}: every commit goes through the committer thread's
 * group commit (one WAL fsync per batch), a different path from the default's callers writing their own commits.
 */
class RocksSyncCommitsTest extends KvEngineConformanceTest {
  @TempDir
  Path tmp;

  private final AtomicInteger dbs = new AtomicInteger();

  static Config syncCommits() {
    return Config.defaults(ConfigSchema.fromHolders(KvConfig.class))
        .withUpdates(Map.of("kv.rocksdb.sync_commits", "true"), "test", false);
  }

  @Override
  protected KvEngine newEngine(KvFaults faults, Clock clock) {
    Path dir = tmp.resolve("db" + dbs.incrementAndGet());
    return RocksKvEngine.open("rocksdb://" + dir, dir, syncCommits(), faults, clock);
  }

  @Override
  protected int transfersPerThread() {
    return 200; // each commit is an fsync here
  }

  @Test
  void concurrentCommits_shareOneFsyncPerBatch() throws Exception {
    try (RocksKvEngine kv = RocksKvEngine.open("rocksdb://group", tmp.resolve("group"), syncCommits(),
        KvFaults.none(), Clock.systemUTC())) {
      RocksKvEngineTest.putConcurrently(kv, 16, 20);
      assertEquals(16 * 20, kv.commitCount());
      assertTrue(kv.batchCount() < kv.commitCount(),
          "group commit: " + kv.commitCount() + " commits in " + kv.batchCount() + " batches");
      assertEquals(0, kv.timedWalSyncs(), "every batch was synced as it was written");
    }
  }
}
