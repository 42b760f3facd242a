package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Trash and undelete as an operator meets them (docs/trash.md), through {@code catena up}, the real launcher and
 * the real mount: a file removed with rm shows in {@code .catena-virt/trash/} and comes back byte-identical with
 * {@code catena admin trash restore}; a short trash time expires and the garbage collector frees the chunks (the
 * targets' used bytes drop); trash time 0 frees at once. meta.gc_delay is 1s here, so freeing is quick to see.
 */
class TrashMountTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;
  private static final Duration DEADLINE = Duration.ofSeconds(90);

  @TempDir static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = SingleMachineCluster.start(data, Map.of("CATENA_META_GC_DELAY", "1s", "CATENA_META_GC_INTERVAL",
        "300ms", "CATENA_MGMTD_CLIENT_HEARTBEAT_INTERVAL", "500ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code catena admin ARGS... --data DATA}: its result, whatever the exit code. */
  private static Launcher.Result adminRaw(String... args) {
    List<String> all = new ArrayList<>(List.of("admin"));
    all.addAll(List.of(args));
    all.addAll(List.of("--data", data.toString()));
    return Launcher.run(all.toArray(String[]::new));
  }

  private static String admin(String... args) {
    Launcher.Result r = adminRaw(args);
    assertEquals(0, r.exitCode(), () -> String.join(" ", args) + " failed:\n" + r.out() + r.err());
    return r.out();
  }

  private static List<JsonNode> trashList() throws IOException {
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(admin("trash", "list", "--json")).get("entries").forEach(out::add);
    return out;
  }

  private static List<String> trashDir() throws IOException {
    try (Stream<Path> s = Files.list(cluster.mnt.resolve(".catena-virt/trash"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  /** The bytes the storage targets report as used (from their heartbeats). */
  private static long usedBytes() throws IOException {
    long sum = 0;
    for (JsonNode t : JSON.readTree(admin("list-targets", "--json")).get("targets")) {
      sum += t.get("used_bytes").asLong();
    }
    return sum;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError(what + " not within " + DEADLINE);
      }
      Thread.sleep(200); // polling interval of a condition with a deadline
    }
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Written and closed through the mount, and its chunks reported by the targets. */
  private static void write(Path file, byte[] content) throws Exception {
    long before = usedBytes();
    Files.write(file, content);
    await("the targets report the new file's chunks", () -> {
      try {
        return usedBytes() >= before + content.length;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void rmThroughTheMount_listsInTrash_andRestoreBringsItBackByteIdentical() throws Exception {
    Path dir = Files.createDirectories(cluster.mnt.resolve("keep"));
    assertTrue(admin("set-trashtime", "/keep", "1d").lines().anyMatch(l -> l.matches("/keep +1d +1 +0 +0")));
    assertTrue(admin("get-trashtime", "/keep").contains("1d"));
    byte[] content = random(3 * MIB + 12345, 1);
    Files.write(dir.resolve("data.bin"), content);
    Files.delete(dir.resolve("data.bin"));
    assertFalse(Files.exists(dir.resolve("data.bin")));

    List<String> names = trashDir().stream().filter(n -> n.endsWith("|keep|data.bin")).toList();
    assertEquals(1, names.size(), () -> "trash/ holds " + names);
    long id = Long.parseLong(names.getFirst().substring(0, names.getFirst().indexOf('|')));
    assertEquals(content.length, Files.size(cluster.mnt.resolve(".catena-virt/trash/" + names.getFirst())));
    JsonNode entry = trashList().stream().filter(e -> e.get("id").asLong() == id).findFirst().orElseThrow();
    assertEquals("/keep/data.bin", entry.get("path").asText());
    assertEquals(content.length, entry.get("length").asLong());

    admin("trash", "restore", String.valueOf(id));
    await("the restored file is visible through the mount", () -> Files.exists(dir.resolve("data.bin")));
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.bin")));
    assertTrue(trashDir().isEmpty(), "restored: no longer in the trash");

    // Taken path: EEXIST with a hint; --to puts it elsewhere.
    Files.delete(dir.resolve("data.bin"));
    Files.write(dir.resolve("data.bin"), new byte[] {1});
    Launcher.Result taken = adminRaw("trash", "restore", String.valueOf(id));
    assertEquals(1, taken.exitCode(), taken.out() + taken.err());
    assertTrue(taken.err().contains("(EEXIST)") && taken.err().contains("--to PATH"), taken.err());
    admin("trash", "restore", String.valueOf(id), "--to", "/keep/data.old");
    await("the file restored under another name", () -> Files.exists(dir.resolve("data.old")));
    assertArrayEquals(content, Files.readAllBytes(dir.resolve("data.old")));
  }

  @Test
  void shortTrashTime_expires_andTheGarbageCollectorFreesTheChunks() throws Exception {
    Path dir = Files.createDirectories(cluster.mnt.resolve("short"));
    admin("set-trashtime", "/short", "3s");
    byte[] content = random(4 * MIB, 2);
    write(dir.resolve("brief.bin"), content);
    long withFile = usedBytes();
    Files.delete(dir.resolve("brief.bin"));
    assertTrue(trashDir().stream().anyMatch(n -> n.endsWith("|short|brief.bin")), "in trash right after rm");
    await("the entry expires out of the trash", () -> {
      try {
        return trashList().stream().noneMatch(e -> e.get("path").asText().equals("/short/brief.bin"));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    await("the expired file's chunks are freed", () -> {
      try {
        return usedBytes() <= withFile - content.length;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  @Test
  void trashTimeZero_freesAtOnce() throws Exception {
    Path dir = Files.createDirectories(cluster.mnt.resolve("off"));
    assertTrue(admin("get-trashtime", "/off").contains("0 (off)"));
    byte[] content = random(4 * MIB, 3);
    write(dir.resolve("gone.bin"), content);
    long withFile = usedBytes();
    Files.delete(dir.resolve("gone.bin"));
    assertTrue(trashDir().stream().noneMatch(n -> n.endsWith("|off|gone.bin")), "never in the trash");
    await("the removed file's chunks are freed", () -> {
      try {
        return usedBytes() <= withFile - content.length;
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    try {
      Files.size(dir.resolve("gone.bin"));
      throw new AssertionError("gone.bin still exists");
    } catch (NoSuchFileException expected) {
      // gone, as rm said
    }
  }
}
