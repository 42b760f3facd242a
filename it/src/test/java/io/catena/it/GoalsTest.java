package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Replication goals end to end: {@code catena up} (3 storage nodes, goal tables 1..3), files written through the
 * real mount with goal 3, {@code admin set-goal -r} to 1 and then 2 with the mover paced slowly enough that the
 * cluster is restarted in the middle of the second move, and afterwards every file byte for byte and {@code stat}
 * showing chunks on chains of the new replication; health counts the files moving until they are done.
 */
class GoalsTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  /** Slow moves (a few seconds for the tree) so a restart lands in the middle; old copies go after 1 s. */
  private static final Map<String, String> ENV = Map.of("CATENA_META_GOAL_MOVE_RATE", "512KiB",
      "CATENA_META_GOAL_OLD_COPY_DELAY", "1s", "CATENA_META_GOAL_MOVE_INTERVAL", "200ms");

  @TempDir static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = SingleMachineCluster.start(data, ENV);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static Launcher.Result adminRaw(String command, String... args) {
    List<String> all = new ArrayList<>(List.of("admin", command, "--data", data.toString()));
    all.addAll(List.of(args));
    return Launcher.run(all.toArray(String[]::new));
  }

  private static String admin(String command, String... args) {
    Launcher.Result r = adminRaw(command, args);
    assertEquals(0, r.exitCode(), () -> command + " " + String.join(" ", args) + " failed:\n" + r.out() + r.err());
    return r.out();
  }

  /** health --json: its exit code and the goals part. */
  private record Health(int exit, JsonNode goals) {}

  private static Health health() throws Exception {
    Launcher.Result r = adminRaw("health", "--json");
    assertTrue(r.exitCode() == 0 || r.exitCode() == 1, () -> "health failed:\n" + r.out() + r.err());
    return new Health(r.exitCode(), JSON.readTree(r.out()).get("goals"));
  }

  private static JsonNode goals() throws Exception {
    return health().goals();
  }

  private static JsonNode awaitGoals(String what, Predicate<JsonNode> done) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (true) {
      JsonNode g = goals();
      if (g != null && done.test(g)) {
        return g;
      }
      assertTrue(System.nanoTime() < deadline, "timed out waiting for " + what + "; goals: " + g);
      Thread.sleep(200); // polling health with a deadline: the mover works in the background
    }
  }

  /** Every file byte for byte through the mount (page cache dropped first, so reads reach storage). */
  private static void assertContent(Path mnt, Map<String, byte[]> files) throws Exception {
    Files.writeString(Path.of("/proc/sys/vm/drop_caches"), "3");
    for (var e : files.entrySet()) {
      assertArrayEquals(e.getValue(), Files.readAllBytes(mnt.resolve(e.getKey().substring(1))), e.getKey());
    }
  }

  /** get-goal -r counts every file at {@code goal}; stat shows each chunk of the larger files on such chains. */
  private static void assertOnGoal(Map<String, byte[]> files, int goal) throws Exception {
    String tree = admin("get-goal", "-r", "/g");
    assertTrue(tree.contains(String.format(" files with goal        %2d : %10d%n", goal, files.size())), tree);
    assertTrue(tree.contains(String.format(" directories with goal  %2d : %10d%n", goal, 3)), tree);
    for (String path : List.of("/g/a/f3", "/g/b/f5", "/g/b/f0")) {
      JsonNode st = JSON.readTree(admin("stat", path, "--json"));
      assertEquals(goal, st.get("goal").get("goal").asInt(), path + ": " + st);
      assertEquals("ok", st.get("goal").get("state").asText(), path);
      int table = goal == 3 ? 1 : 10 + goal;
      assertEquals(table, st.get("layout").get("chain_table_id").asInt(), path);
      for (JsonNode c : st.get("chunks")) {
        assertEquals(goal, c.get("replicas").size(), path + " chunk " + c);
      }
      assertEquals(files.get(path).length, st.get("length").asLong(), path);
    }
  }

  @Test
  void setGoalRecursive_movesEveryFile_survivesARestartMidMove_andKeepsEveryByte() throws Exception {
    SplittableRandom random = new SplittableRandom(14);
    Map<String, byte[]> files = new LinkedHashMap<>();
    int[] sizes = {0, 1, 4096, (1 << 20) + 3, 700 * 1024, 2 * (1 << 20) + 17};
    for (String dir : List.of("a", "b")) {
      Files.createDirectories(cluster.mnt.resolve("g").resolve(dir));
      for (int i = 0; i < sizes.length; i++) {
        byte[] b = new byte[sizes[i]];
        random.nextBytes(b);
        String path = "/g/" + dir + "/f" + i;
        Files.write(cluster.mnt.resolve(path.substring(1)), b);
        files.put(path, b);
      }
    }
    assertEquals("/g: 3\n", admin("get-goal", "/g"));
    assertOnGoal(files, 3);

    // Beyond the storage nodes: refused with what is wrong, and nothing changes.
    Launcher.Result four = adminRaw("set-goal", "-r", "/g", "4");
    assertEquals(1, four.exitCode(), four.out() + four.err());
    assertTrue(four.err().contains("goal 4 needs 4 storage nodes, the cluster has 3"), four.err());

    // 3 -> 1: three directories and twelve files change; the ten with data move in the background.
    String set = admin("set-goal", "-r", "/g", "1");
    assertTrue(set.contains("inodes with goal changed:              15"), set);
    assertTrue(set.contains("inodes with goal not changed:           0"), set);
    assertTrue(set.contains("inodes with permission denied:          0"), set);
    Files.write(cluster.mnt.resolve("g/a/new"), new byte[] {1, 2, 3});
    assertEquals("/g/a/new: 1\n", admin("get-goal", "/g/a/new")); // inherited at creation
    files.put("/g/a/new", new byte[] {1, 2, 3});
    awaitGoals("the move to goal 1", g -> g.get("moving_files").asLong() == 0);
    assertContent(cluster.mnt, files);
    assertOnGoal(files, 1);

    // 1 -> 2 (more copies: under goal until moved, health degraded), restarting the whole cluster mid-move.
    String again = admin("set-goal", "-r", "/g", "2");
    assertTrue(again.contains("inodes with goal changed:              16"), again);
    Health during = health();
    assertEquals(1, during.exit(), "health while files are under goal: " + during.goals());
    long moving = during.goals().get("moving_files").asLong();
    assertTrue(moving > 0 && moving == during.goals().get("under_goal_files").asLong(), during.goals().toString());
    cluster.stop();
    cluster = SingleMachineCluster.start(data, ENV);
    awaitGoals("the move to goal 2 after the restart", g -> g.get("moving_files").asLong() == 0);
    assertContent(cluster.mnt, files);
    assertOnGoal(files, 2);
    awaitGoals("the old copies to be removed", g -> g.get("old_copies").asLong() == 0);
    assertContent(cluster.mnt, files);
    assertEquals(0, adminRaw("health").exitCode());
  }
}
