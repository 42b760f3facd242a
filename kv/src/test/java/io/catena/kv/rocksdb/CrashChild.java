package io.catena.kv.rocksdb;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.ReadWriteTransaction;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The child process of {@link RocksCrashTest}: opens {@code rocksdb://<dir>}, and in several threads commits
 * forever, printing {@code ACK <thread> <seq> <version>} after each acknowledged commit, until it is killed. Each
 * commit writes {@code w/<thread>/<seq>} and the thread's high-water mark {@code hw/<thread>}, and adds 1 to the
 * counter {@code n/<thread>} (an atomic add, a RocksDB merge), so the verifier can check individual keys, a
 * read-modify-write chain and merges. The memtable is tiny, so the WAL is switched (and old WAL files recycled)
 * many times before the kill: recovery must replay recycled logs correctly.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String tag = args[1];
    int threads = Integer.parseInt(args[2]);
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    Config config = Config.defaults(ConfigSchema.fromHolders(KvConfig.class))
        .withUpdates(Map.of("kv.rocksdb.write_buffer_size", "64KiB", "kv.rocksdb.recycle_wal_files", "4"),
            "crash-child", false);
    KvEngine kv = KvEngines.open("rocksdb://" + dir, config);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String id = tag + "-" + t;
      ts.add(Thread.ofPlatform().start(() -> {
        for (long seq = 0; ; seq++) {
          long version;
          try (ReadWriteTransaction txn = kv.beginReadWrite()) {
            txn.set(("w/" + id + "/" + seq).getBytes(StandardCharsets.UTF_8), ("v" + seq).getBytes(StandardCharsets.UTF_8));
            txn.set(("hw/" + id).getBytes(StandardCharsets.UTF_8), Long.toString(seq).getBytes(StandardCharsets.UTF_8));
            txn.atomicAdd(("n/" + id).getBytes(StandardCharsets.UTF_8), 1);
            version = txn.commit();
          }
          synchronized (out) {
            out.println("ACK " + id + " " + seq + " " + version);
            out.flush();
          }
        }
      }));
    }
    synchronized (out) {
      out.println("READY");
      out.flush();
    }
    for (Thread t : ts) {
      t.join();
    }
  }
}
