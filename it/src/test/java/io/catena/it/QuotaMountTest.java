package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * Directory quotas as an operator sets them ({@code catena admin set-quota} through the real launcher) and as
 * programs meet them through a real FUSE mount: EDQUOT ("Disk quota exceeded") for creates past an inode limit and
 * for writes past a byte limit, df inside the quota directory showing the quota, and room again after deleting.
 */
class QuotaMountTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int EDQUOT = 122;
  private static final long MIB = 1 << 20;

  @TempDir static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    cluster = SingleMachineCluster.start(data);
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  /** {@code catena admin COMMAND --data DATA ARGS...}, which must succeed. */
  private static String admin(String command, String... args) {
    List<String> all = new ArrayList<>(List.of("admin", command, "--data", data.toString()));
    all.addAll(List.of(args));
    Launcher.Result r = Launcher.run(all.toArray(String[]::new));
    assertEquals(0, r.exitCode(), () -> String.join(" ", all) + " failed:\n" + r.out() + r.err());
    return r.out();
  }

  private static JsonNode quota(String path) throws IOException {
    return JSON.readTree(admin("quota", path, "--json"));
  }

  /** The outcome of a local command. */
  record Run(int exit, String out) {}

  private static Run run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + " did not finish within 60 s:\n" + out);
    }
    return new Run(p.exitValue(), out);
  }

  /** df's view (statfs(2) of {@code dir}): size and available bytes, total and used inodes. */
  private static long[] df(Path dir) throws Exception {
    Run r = run("df", "-B1", "--output=size,avail,itotal,iused", dir.toString());
    assertEquals(0, r.exit(), r.out());
    String[] f = r.out().lines().toList().get(1).trim().split("\\s+");
    return new long[] {Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3])};
  }

  private static void quotaExceeded(Executable op) {
    FileSystemException e = assertThrows(FileSystemException.class, op);
    assertEquals("Disk quota exceeded", e.getReason(), e::toString);
  }

  @Test
  void inodeLimit_refusesCreatesBeyondIt_withEdquot_andDeletingMakesRoomAgain() throws Exception {
    Path dir = Files.createDirectory(cluster.mnt.resolve("inodes"));
    Files.writeString(dir.resolve("a"), "a");
    Files.writeString(dir.resolve("b"), "bb");

    String set = admin("set-quota", "/inodes", "--inodes", "3");
    assertTrue(set.lines().anyMatch(l -> l.matches("/inodes +ACTIVE +3B +none +- +2 +3 +66\\.7%")), set);
    Files.createFile(dir.resolve("c")); // usage == limit is allowed
    quotaExceeded(() -> Files.createFile(dir.resolve("d")));
    quotaExceeded(() -> Files.createDirectory(dir.resolve("sub")));
    quotaExceeded(() -> Files.createSymbolicLink(dir.resolve("link"), Path.of("a")));
    assertEquals(List.of("a", "b", "c"), Files.list(dir).map(p -> p.getFileName().toString()).sorted().toList());
    JsonNode full = quota("/inodes");
    assertEquals(3, full.get("used_inodes").asLong());
    assertEquals(100.0, full.get("inodes_percent").asDouble());
    long[] df = df(dir);
    assertEquals(3, df[2], "df -i inside the quota directory shows the inode limit");
    assertEquals(3, df[3]);

    Files.delete(dir.resolve("a"));
    assertEquals(2, quota("/inodes").get("used_inodes").asLong());
    Files.createFile(dir.resolve("d"));
    assertEquals(3, quota("/inodes").get("used_inodes").asLong());
  }

  @Test
  void byteLimit_refusesGrowthWithEdquot_atCloseOrWhileWriting_lengthsStayExact_andDeletingMakesRoomAgain() throws Exception {
    Path dir = Files.createDirectory(cluster.mnt.resolve("bytes"));
    admin("set-quota", "/bytes", "--bytes", "1MiB");
    long[] empty = df(dir);
    assertEquals(MIB, empty[0], "df inside the quota directory shows the byte limit as the size");
    assertEquals(MIB, empty[1]);

    // 3 MiB through one handle, in 64 KiB write(2)s. That stays below the first length hint the mount sends while
    // writing (client.length_hint_step, 4 MiB), so no write(2) fails: meta first sees the growth when the flush of
    // close(2) records the length, and refuses it there (QuotaLedger: "close and fsync ... report EDQUOT"), after the
    // bytes are on storage. The length stays exact.
    Path big = dir.resolve("big");
    String py = """
        import os, sys
        fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT, 0o644)
        n, werr, cerr = 0, 0, 0
        try:
            for _ in range(48):
                n += os.write(fd, b'x' * 65536)
        except OSError as e:
            werr = e.errno
        try:
            os.close(fd)
        except OSError as e:
            cerr = e.errno
        print(n, werr, cerr, os.stat(sys.argv[1]).st_size)
        """;
    Run r = run("python3", "-c", py, big.toString());
    assertEquals(0, r.exit(), r.out());
    String[] f = r.out().trim().split(" ");
    assertEquals(List.of(String.valueOf(3 * MIB), "0", String.valueOf(EDQUOT), String.valueOf(3 * MIB)), List.of(f),
        "written, write errno, close errno, length: " + r.out());
    JsonNode over = quota("/bytes");
    assertEquals(3 * MIB, over.get("used_bytes").asLong(), "usage follows the recorded length past the limit");
    assertEquals(300.0, over.get("bytes_percent").asDouble());
    assertTrue(admin("quota", "/bytes").contains("over its limit"));
    assertEquals(0, df(dir)[1], "nothing available");

    // Over the limit, every further growth is refused: dd sees it when closing its output, a truncate upward at once.
    Run dd = run("dd", "if=/dev/zero", "of=" + dir.resolve("dd"), "bs=64k", "count=4");
    assertEquals(1, dd.exit(), dd.out());
    assertTrue(dd.out().contains("closing output file") && dd.out().contains("Disk quota exceeded"), dd.out());
    Run grow = run("truncate", "-s", "10", dir.resolve("empty").toString());
    assertEquals(1, grow.exit(), grow.out());
    assertTrue(grow.out().contains("Disk quota exceeded"), grow.out());
    assertEquals(0, Files.size(dir.resolve("empty")), "the file was created (no inode limit), not grown");
    assertEquals(3 * MIB + 256 * 1024, quota("/bytes").get("used_bytes").asLong());

    Files.delete(big);
    Files.delete(dir.resolve("dd"));
    assertEquals(0, quota("/bytes").get("used_bytes").asLong());
    Files.write(dir.resolve("fits"), new byte[512 * 1024]); // no error at close: within the limit
    assertEquals(512 * 1024, quota("/bytes").get("used_bytes").asLong());
    assertEquals(MIB - 512 * 1024, df(dir)[1]);

    // A long write is stopped while it runs: the length hint past 4 MiB is refused, and the next growing write(2)
    // fails with EDQUOT. What was accepted before that stays, with its exact length.
    String stream = py.replace("range(48)", "range(1024)");
    Run sr = run("python3", "-c", stream, dir.resolve("stream").toString());
    assertEquals(0, sr.exit(), sr.out());
    String[] g = sr.out().trim().split(" ");
    long written = Long.parseLong(g[0]);
    assertEquals(String.valueOf(EDQUOT), g[1], "a write(2) failed with EDQUOT: " + sr.out());
    assertTrue(written >= 4 * MIB && written < 32 * MIB, "stopped soon after the first hint: " + sr.out());
    assertEquals(String.valueOf(written), g[3], "the length is exactly what was accepted: " + sr.out());
    Files.delete(dir.resolve("stream"));

    String removed = admin("remove-quota", "/bytes");
    assertTrue(removed.contains("512.0KiB, 2 inodes"), removed);
    Files.write(dir.resolve("unlimited"), new byte[(int) (2 * MIB)]);
    assertTrue(df(dir)[0] > MIB, "df shows the whole file system again");
  }
}
