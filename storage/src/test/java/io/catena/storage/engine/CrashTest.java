package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.storage.CheckReport;
import io.catena.storage.ChunkMeta;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of a real storage process in the middle of a write stream, then restart: every acknowledged version (or
 * the next one, which was in flight) is readable with a valid CRC32C, nothing is torn, the startup check is clean
 * and no block leaked. Several kills on the same directory, so recovery from recovered state is covered too.
 */
class CrashTest {
  @TempDir Path dir;

  private record Ack(long version, int crc, int length) {}

  @Test
  void killNineDuringWrites_everyAcknowledgedVersionSurvives() throws Exception {
    SplittableRandom rnd = new SplittableRandom(0xC4A5E);
    Path store = dir.resolve("disk");
    Map<ChunkId, Ack> acked = new HashMap<>();
    int totalAcks = 0;
    // The default policy first; then batch and never, which must survive a process crash just as well (only
    // power loss tells them apart, and this test cannot cut power).
    String[] policies = {"always", "always", "always", "batch", "never"};
    for (int round = 0; round < policies.length; round++) {
      int killAfter = rnd.nextInt(20, 300);
      totalAcks += runAndKill(store, rnd.nextLong(), policies[round], killAfter, acked,
          dir.resolve("worker-" + round + ".log"));
      verify(store, acked, round);
    }
    assertTrue(totalAcks >= 100, "acks seen: " + totalAcks);
  }

  @Test
  void killNineWithPendingVersion_committedIntactAndPendingRecoverable() throws Exception {
    Path store = dir.resolve("disk");
    Process p = new ProcessBuilder(workerCommand(store, 1, "pending-then-wait"))
        .redirectError(dir.resolve("worker.log").toFile()).start();
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null && !line.equals("PENDING")) {
        // skip
      }
      assertEquals("PENDING", line, () -> "worker died: " + readQuietly(dir.resolve("worker.log")));
    } finally {
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    }
    ChunkId id = new ChunkId(9, 9);
    try (CowChunkStore s = TestStores.open(store, "storage.verify_on_start", "full")) {
      assertTrue(s.startupReport().clean(), s.startupReport().toString());
      ChunkMeta m = s.meta(id).orElseThrow();
      assertEquals(1, m.committedVersion());
      assertEquals(2, m.pendingVersion());
      assertArrayEquals(TestStores.bytes(1, 100_000), TestStores.readAll(s, id));
      s.commit(id, 2);
      byte[] want = TestStores.bytes(1, 100_000);
      System.arraycopy(TestStores.bytes(2, 5_000), 0, want, 50_000, 5_000);
      assertArrayEquals(want, TestStores.readAll(s, id));
    }
  }

  private static String readQuietly(Path p) {
    try {
      return Files.readString(p);
    } catch (java.io.IOException e) {
      return e.toString();
    }
  }

  private static List<String> workerCommand(Path store, long seed, String... extra) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command().orElseThrow());
    cmd.add("--enable-native-access=ALL-UNNAMED");
    cmd.add("-Xmx256m");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(CrashWorker.class.getName());
    cmd.add(store.toString());
    cmd.add(Long.toString(seed));
    cmd.addAll(List.of(extra));
    return cmd;
  }

  private static int runAndKill(Path store, long seed, String fsync, int killAfter, Map<ChunkId, Ack> acked,
      Path log) throws Exception {
    Process p = new ProcessBuilder(workerCommand(store, seed, fsync)).redirectError(log.toFile()).start();
    int acks = 0;
    boolean killed = false;
    try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      // Lines printed before the kill landed are acknowledgements too: keep reading to EOF after the kill.
      while ((line = in.readLine()) != null) {
        if (line.startsWith("ACK ")) {
          String[] f = line.split(" ");
          ChunkId id = new ChunkId(Long.parseLong(f[1]), Long.parseLong(f[2]));
          acked.put(id, new Ack(Long.parseLong(f[3]), Integer.parseInt(f[4]), Integer.parseInt(f[5])));
          if (++acks == killAfter) {
            // SIGKILL through the handle: Process.destroyForcibly would also close our end of stdout.
            p.toHandle().destroyForcibly();
            killed = true;
          }
        }
      }
    } finally {
      p.destroyForcibly();
      assertTrue(p.waitFor(30, TimeUnit.SECONDS), "worker did not die");
    }
    if (!killed) {
      fail("worker exited after " + acks + " acks with " + p.exitValue() + ":\n" + Files.readString(log));
    }
    assertEquals(137, p.exitValue(), "killed by SIGKILL");
    return acks;
  }

  private static void verify(Path store, Map<ChunkId, Ack> acked, int round) {
    try (CowChunkStore s = TestStores.open(store, "storage.verify_on_start", "full")) {
      CheckReport report = s.startupReport();
      assertTrue(report.clean(), "round " + round + ": " + report);
      for (Map.Entry<ChunkId, Ack> e : acked.entrySet()) {
        ChunkMeta m = s.meta(e.getKey()).orElseThrow(() -> new AssertionError("acked chunk lost: " + e.getKey()));
        Ack a = e.getValue();
        if (m.committedVersion() == a.version()) {
          assertEquals(a.crc(), m.crc32c(), e.getKey() + " CRC of the acknowledged version");
          assertEquals(a.length(), m.length(), e.getKey() + " length of the acknowledged version");
        } else {
          assertEquals(a.version() + 1, m.committedVersion(),
              e.getKey() + ": committed version is neither the acknowledged one nor the one in flight");
        }
      }
      List<ChunkMeta> all = s.list(ChunkId.firstOf(0), ChunkId.endOf(100), 10_000);
      long inFlight = all.stream().filter(m -> acked.containsKey(m.chunkId())
          && m.committedVersion() > acked.get(m.chunkId()).version()).count();
      long pending = all.stream().filter(ChunkMeta::hasPending).count();
      System.out.printf("round %d: %d chunks, %d committed past their last ack (in flight), %d pending%n", round,
          all.size(), inFlight, pending);
      for (ChunkMeta m : all) {
        if (m.hasPending()) {
          // A pending update that reached disk is intact: commit it and read it back through its CRC.
          assertEquals(m.committedVersion() + 1, m.pendingVersion(), m.toString());
          s.commit(m.chunkId(), m.pendingVersion());
        }
        if (s.meta(m.chunkId()).orElseThrow().hasCommitted()) {
          TestStores.readAll(s, m.chunkId());
        }
      }
      long live = s.list(ChunkId.firstOf(0), ChunkId.endOf(100), 10_000).stream()
          .mapToLong(ChunkMeta::usedBytes).sum();
      assertEquals(live, s.space().used(), "round " + round + ": used space equals the live blocks (no leak)");
      CheckReport after = s.check(true);
      assertTrue(after.clean(), after.toString());
      // Versions committed here are what the next round's worker continues from.
      for (ChunkMeta m : s.list(ChunkId.firstOf(0), ChunkId.endOf(100), 10_000)) {
        acked.put(m.chunkId(), new Ack(m.committedVersion(), m.crc32c(), m.length()));
      }
    }
  }
}
