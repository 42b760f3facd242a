package io.catena.kv.rocksdb;

import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.ReadWriteTransaction;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The child process of {@link RocksCrashTest}: opens {@code rocksdb://<dir>}, and in several threads commits
 * forever, printing {@code ACK <thread> <seq> <version>} after each acknowledged commit, until it is killed. Each
 * commit writes {@code w/<thread>/<seq>} and the thread's high-water mark {@code hw/<thread>}, so the verifier can
 * check both individual keys and a read-modify-write chain.
 */
public final class CrashChild {
  private CrashChild() {}

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    String tag = args[1];
    int threads = Integer.parseInt(args[2]);
    PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
    KvEngine kv = KvEngines.open("rocksdb://" + dir, null);
    List<Thread> ts = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String id = tag + "-" + t;
      ts.add(Thread.ofPlatform().start(() -> {
        for (long seq = 0; ; seq++) {
          long version;
          try (ReadWriteTransaction txn = kv.beginReadWrite()) {
            txn.set(("w/" + id + "/" + seq).getBytes(StandardCharsets.UTF_8), ("v" + seq).getBytes(StandardCharsets.UTF_8));
            txn.set(("hw/" + id).getBytes(StandardCharsets.UTF_8), Long.toString(seq).getBytes(StandardCharsets.UTF_8));
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
