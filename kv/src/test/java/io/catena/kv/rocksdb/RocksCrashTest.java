package io.catena.kv.rocksdb;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.kv.Keys;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.ReadTransaction;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Durability under SIGKILL: a child JVM commits in a loop and reports each acknowledged commit on stdout; it is
 * killed with {@link Process#destroyForcibly()} (SIGKILL, no shutdown hooks, no RocksDB close) mid-stream; after
 * reopening, every acknowledged commit must be there. Several rounds on the same directory, so recovery of a
 * recovered database is exercised too; the child's tiny memtable makes it recycle WAL files all the time.
 */
class RocksCrashTest {
  @TempDir
  Path tmp;

  @Test
  void killedMidCommitStream_everyAcknowledgedCommitSurvives() throws Exception {
    Path dir = tmp.resolve("crash");
    long lastVersion = 0;
    for (int round = 0; round < 3; round++) {
      int wantAcks = 300 + 250 * round;
      List<String[]> acks = runAndKill(dir, "r" + round, wantAcks);
      assertTrue(acks.size() >= wantAcks, "child acknowledged only " + acks.size());
      Map<String, Long> highWater = new HashMap<>();
      try (KvEngine kv = KvEngines.open("rocksdb://" + dir, null); ReadTransaction t = kv.beginRead()) {
        for (String[] a : acks) {
          String key = "w/" + a[1] + "/" + a[2];
          assertEquals("v" + a[2], t.snapshotGet(key.getBytes(UTF_8)).map(v -> new String(v, UTF_8)).orElse(null),
              "acknowledged commit lost: " + String.join(" ", a));
          long version = Long.parseLong(a[3]);
          assertTrue(version > lastVersion, "versions must keep increasing across restarts");
          assertTrue(t.readVersion() >= version);
          highWater.merge(a[1], Long.parseLong(a[2]), Math::max);
        }
        for (Map.Entry<String, Long> e : highWater.entrySet()) {
          long stored = Long.parseLong(new String(t.snapshotGet(("hw/" + e.getKey()).getBytes(UTF_8)).orElseThrow(),
              UTF_8));
          // The child keeps committing after the acks we read, so the stored mark can only be at or above them.
          assertTrue(stored >= e.getValue(), e + " stored " + stored);
          // Every commit of a thread added 1 to its counter in the same transaction: merges replayed exactly once.
          assertEquals(stored + 1, Keys.counterOf(t.snapshotGet(("n/" + e.getKey()).getBytes(UTF_8)).orElse(null)),
              "counter of " + e.getKey());
        }
        lastVersion = t.readVersion();
      }
    }
  }

  private static List<String[]> runAndKill(Path dir, String tag, int wantAcks) throws Exception {
    String java = ProcessHandle.current().info().command().orElse("java");
    String cp = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process p = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-cp", cp,
        CrashChild.class.getName(), dir.toString(), tag, "4")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    List<String[]> acks = new ArrayList<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          acks.add(line.split(" "));
          if (acks.size() >= wantAcks) {
            p.destroyForcibly();
            break;
          }
        }
      }
      // (Process.destroyForcibly also closes our end of the pipe: acks still in it are simply not checked.)
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "child did not die");
      assertEquals(137, p.exitValue(), "child must die of SIGKILL");
    } finally {
      p.destroyForcibly();
    }
    return acks;
  }
}
