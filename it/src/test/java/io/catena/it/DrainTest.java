package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;

/**
 * Draining through the real launcher and mount ({@code catena up --storage-nodes 4}): a target and then a whole
 * storage node are drained while a program keeps writing files through the mount; every file written before and
 * during the drains reads back byte for byte, remove-target then deletes the drained targets, and killing the
 * drained node (kill -9) loses nothing.
 */
class DrainTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  // Kept when the test fails: the processes' logs under DATA/logs say what happened.
  @TempDir(cleanup = CleanupMode.ON_SUCCESS) static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = SingleMachineCluster.start(data, Map.of(), List.of("--storage-nodes", "4", "--targets-per-node", "2"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Launcher.Result adminRun(String command, String... args) {
    List<String> all = new ArrayList<>(List.of("admin", command, "--data", data.toString()));
    all.addAll(List.of(args));
    return Launcher.run(all.toArray(String[]::new));
  }

  /** {@code catena admin COMMAND --data DATA ARGS...}, which must succeed. */
  private static String admin(String command, String... args) {
    Launcher.Result r = adminRun(command, args);
    assertEquals(0, r.exitCode(), () -> command + " " + String.join(" ", args) + " failed:\n" + r.out() + r.err());
    return r.out();
  }

  private static JsonNode json(String command, String... args) throws IOException {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--json");
    return JSON.readTree(admin(command, all.toArray(String[]::new)));
  }

  /** The content of file {@code i}: its own length and bytes, so a mix-up between files shows. */
  private static byte[] content(int i) {
    byte[] b = new byte[16 * 1024 + new Random(i).nextInt(240 * 1024)];
    new Random(1000 + i).nextBytes(b);
    return b;
  }

  /** Writes files f0, f1, ... into {@code dir} until stopped; records which ones were closed successfully. */
  private static final class Writer implements AutoCloseable {
    final Path dir;
    final Map<Integer, Boolean> written = new ConcurrentHashMap<>();
    final AtomicBoolean stop = new AtomicBoolean();
    final AtomicReference<Throwable> failure = new AtomicReference<>();
    final Thread thread;

    Writer(Path dir) {
      this.dir = dir;
      this.thread = Thread.ofPlatform().name("drain-writer").start(this::loop);
    }

    private void loop() {
      for (int i = 0; !stop.get(); i++) {
        try {
          Files.write(dir.resolve("f" + i), content(i));
          written.put(i, true);
          // Pacing, not synchronisation: a steady trickle (about 1 MiB/s) keeps writes in flight during every
          // step of the drains without piling up more data for each resync to copy.
          Thread.sleep(100);
        } catch (IOException | RuntimeException | InterruptedException e) {
          failure.set(e);
          return;
        }
      }
    }

    int count() {
      return written.size();
    }

    @Override
    public void close() throws Exception {
      stop.set(true);
      thread.join(TimeUnit.MINUTES.toMillis(2));
      if (failure.get() != null) {
        throw new AssertionError("a write through the mount failed during the drain", failure.get());
      }
    }
  }

  private static void awaitWrites(Writer w, int atLeast) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (w.count() < atLeast && w.failure.get() == null) {
      assertTrue(System.nanoTime() < end, "the writer made no progress: " + w.count() + " files");
      Thread.sleep(50); // polling the writer's progress
    }
  }

  /** Polls {@code drain --status --json} until every draining target is done; returns the last status. */
  private static JsonNode awaitDrained(Writer w) throws Exception {
    long end = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (true) {
      JsonNode st = json("drain", "--status");
      if (st.get("all_done").asBoolean()) {
        return st;
      }
      assertTrue(w.failure.get() == null, () -> "writer failed: " + w.failure.get());
      assertTrue(System.nanoTime() < end, () -> "drain not done in 4 minutes: " + st.toPrettyString());
      Thread.sleep(500); // polling mgmtd's drain status with a deadline
    }
  }

  private static void verify(Path dir, Writer w) throws IOException {
    assertTrue(w.count() > 0);
    for (int i : w.written.keySet()) {
      Path f = dir.resolve("f" + i);
      assertArrayEquals(content(i), Files.readAllBytes(f), () -> f + " (size now " + size(f) + ", data " + data + ")");
    }
  }

  private static String size(Path f) {
    try {
      return Long.toString(Files.size(f));
    } catch (IOException e) {
      return e.toString();
    }
  }

  /** Every chain has all its members serving, and none of them on {@code node}. */
  private static void assertChainsServeOffNode(long node) throws IOException {
    JsonNode targets = json("list-targets").get("targets");
    for (JsonNode t : targets) {
      if (t.get("chain_id").asLong() != 0) {
        assertEquals("SERVING", t.get("public_state").asText(), t::toString);
        assertTrue(t.get("node_id").asLong() != node, () -> "a chain still uses node " + node + ": " + t);
      }
    }
  }

  private static long chainTargetsOn(long node) throws IOException {
    long n = 0;
    for (JsonNode t : json("list-targets").get("targets")) {
      if (t.get("node_id").asLong() == node && t.get("chain_id").asLong() != 0) {
        n++;
      }
    }
    return n;
  }

  @Test
  void drainTargetThenNode_underWrites_everyFileIntact_removeTargetWorks_andKillingTheNodeLosesNothing()
      throws Exception {
    // 4 nodes x 2 targets / replication 3 = 2 chains: chain 1 on nodes 10001-10003, chain 2 on nodes 10002-10004;
    // besides them, the goal tables `up` makes (goals 1 and 2: one chain per node each, on targets of their own).
    JsonNode before = json("list-targets").get("targets");
    long target = 0;
    for (JsonNode t : before) {
      if (t.get("node_id").asLong() == 10002 && t.get("chain_id").asLong() == 2) {
        target = t.get("target_id").asLong();
      }
    }
    assertTrue(target != 0, before::toString);

    // Two replicas of chain 1 (nodes 1-3) would need two nodes outside it; only node 10004 is: refused, no mark.
    Launcher.Result refused = adminRun("drain", "102", "103");
    assertEquals(1, refused.exitCode(), refused::out);
    assertTrue(refused.err().contains("(ENOSPC)") && refused.err().contains("chain 1 has replicas on nodes [10001,"
        + " 10002, 10003] and needs 2 replacement(s)"), refused::err);
    assertEquals(0, json("drain", "--status").get("draining").size());

    Path dir = Files.createDirectory(cluster.mnt.resolve("stream"));
    long onNode1;
    Writer w = new Writer(dir);
    try (w) {
      awaitWrites(w, 5);
      admin("drain", Long.toString(target));
      String listing = admin("list-targets");
      assertTrue(listing.contains("DRAIN"), listing);
      JsonNode st = awaitDrained(w);
      assertEquals(target, st.get("draining").get(0).get("target_id").asLong());
      assertEquals("done", st.get("draining").get(0).get("phase").asText());
      awaitWrites(w, w.count() + 3);

      // Now the whole of node 10001: its chain 1 replica, the chain 2 replica the first drain put there, and its
      // replicas of goal chains.
      onNode1 = chainTargetsOn(10001);
      assertTrue(onNode1 >= 3, () -> onNode1 + " targets on node 10001");
      admin("drain", "--node", "10001");
      // health counts the drain; a chain with a replica still syncing is under-replicated meanwhile (exit 1).
      Launcher.Result health = adminRun("health");
      assertTrue(health.out().contains("draining targets"), health::out);
      awaitDrained(w);
      awaitWrites(w, w.count() + 3);
    }
    verify(dir, w);
    assertChainsServeOffNode(10001);

    // The drained targets hold nothing: remove-target deletes them.
    JsonNode drained = json("drain", "--status").get("draining");
    assertEquals(1 + onNode1, drained.size(), drained::toString);
    for (JsonNode d : drained) {
      admin("remove-target", "--target", d.get("target_id").asText());
    }
    assertEquals(0, json("drain", "--status").get("draining").size());

    // Stop the drained node the hard way; a fresh mount (no page cache) reads every file from the other nodes.
    ProcessHandle node1 = SingleMachineCluster.child(data.resolve("storage-1").toString()).orElseThrow();
    node1.destroyForcibly();
    node1.onExit().get(30, TimeUnit.SECONDS);
    Path second = cluster.secondMount("mnt2");
    verify(second.resolve("stream"), w);
    assertChainsServeOffNode(10001);
  }
}
