package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.LongPredicate;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots end to end: {@code catena admin snapshot} through the real launcher on a {@code catena up} cluster, the
 * trees read and changed through the real FUSE mount. A tree is snapshotted while a writer keeps adding files to it;
 * then both sides are changed (overwrite, append, truncate, delete) and every file of each side is compared with
 * what that side must hold; the shared data takes no second copy of space until a side writes; removing both trees
 * gives the space back.
 */
class SnapshotMountTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int MIB = 1 << 20;
  private static final int STREAM_FILE = 256 * 1024;

  @TempDir static Path data;
  static SingleMachineCluster cluster;

  @BeforeAll
  static void start() throws Exception {
    // Unlinked files are collected a second after the unlink, and storage reports its space often, so freed space
    // shows in df within seconds.
    cluster = SingleMachineCluster.start(data, Map.of("CATENA_META_GC_DELAY", "1s",
        "CATENA_META_GC_INTERVAL", "200ms", "CATENA_MGMTD_CLIENT_HEARTBEAT_INTERVAL", "200ms"));
  }

  @AfterAll
  static void stop() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  private static JsonNode snapshot(String src, String dst) throws IOException {
    Launcher.Result r = Launcher.run("admin", "snapshot", src, dst, "--data", data.toString(), "--json");
    assertEquals(0, r.exitCode(), () -> "snapshot " + src + " " + dst + " failed:\n" + r.out() + r.err());
    return JSON.readTree(r.out());
  }

  private static byte[] random(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** Byte {@code off} of stream file {@code k}: never 0, so a hole (zeros) is told apart from data. */
  private static byte pattern(int k, long off) {
    return (byte) (1 + (k * 31 + off * 7 + (off >>> 9)) % 255);
  }

  /** Every regular file under {@code root} (relative path to content) and every symlink (to "-> target"). */
  private static Map<String, byte[]> contents(Path root) throws IOException {
    Map<String, byte[]> out = new TreeMap<>();
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted().toList()) {
        String rel = root.relativize(p).toString();
        if (Files.isSymbolicLink(p)) {
          out.put(rel, ("-> " + Files.readSymbolicLink(p)).getBytes(StandardCharsets.UTF_8));
        } else if (Files.isRegularFile(p)) {
          out.put(rel, Files.readAllBytes(p));
        }
      }
    }
    return out;
  }

  private static void assertSameFiles(Map<String, byte[]> want, Path root) throws IOException {
    Map<String, byte[]> got = contents(root);
    assertEquals(want.keySet(), got.keySet(), "files under " + root);
    for (String name : want.keySet()) {
      assertArrayEquals(want.get(name), got.get(name), root + "/" + name + " differs from what that side holds");
    }
  }

  /** Used bytes of the file system as df shows them. */
  private static long used() {
    try {
      Process p = new ProcessBuilder("df", "-B1", "--output=used", cluster.mnt.toString()).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      return Long.parseLong(out.lines().toList().get(1).trim());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  /** Polls df until the used bytes satisfy {@code ok} (storage reports its space with its heartbeats). */
  private static long awaitUsed(String what, LongPredicate ok) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long u = used();
    while (!ok.test(u)) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError(what + ": df still shows " + u + " bytes used");
      }
      Thread.sleep(100); // polling interval of a condition with a deadline
      u = used();
    }
    return u;
  }

  /** Used bytes once three readings 300 ms apart agree (every storage node reported since the last change). */
  private static long settledUsed() throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    long last = -1;
    int same = 0;
    while (System.nanoTime() < deadline) {
      long u = used();
      same = u == last ? same + 1 : 0;
      last = u;
      if (same >= 2) {
        return u;
      }
      Thread.sleep(300); // polling interval of a condition with a deadline
    }
    throw new AssertionError("df's used bytes did not settle");
  }

  @Test
  void snapshotUnderWrites_thenChangesOnBothSides_eachSideHoldsItsOwn_andRemovingBothFreesTheSpace()
      throws Exception {
    long empty = settledUsed();
    Path src = Files.createDirectory(cluster.mnt.resolve("src"));
    byte[] a = random(1, 3 * MIB + 12345);
    byte[] b = random(2, 3 * MIB / 2);
    byte[] c = random(3, 100_000);
    Files.write(src.resolve("a"), a);
    Files.write(src.resolve("b"), b);
    Files.setPosixFilePermissions(src.resolve("b"), PosixFilePermissions.fromString("rw-------"));
    Path sub = Files.createDirectory(src.resolve("sub"));
    Files.write(sub.resolve("c"), c);
    Files.getFileAttributeView(src.resolve("a"), UserDefinedFileAttributeView.class)
        .write("origin", ByteBuffer.wrap("test".getBytes(StandardCharsets.UTF_8)));
    Files.createSymbolicLink(src.resolve("link"), Path.of("sub/c"));
    Path stream = Files.createDirectory(src.resolve("stream"));

    // A writer adds 256 KiB files one after another, each written in 16 KiB pieces and closed.
    AtomicBoolean stopWriter = new AtomicBoolean();
    List<Integer> closed = new CopyOnWriteArrayList<>();
    List<Throwable> writerFailed = new CopyOnWriteArrayList<>();
    Thread writer = Thread.ofPlatform().name("stream-writer").start(() -> {
      try {
        for (int k = 0; !stopWriter.get(); k++) {
          try (FileChannel ch = FileChannel.open(stream.resolve("w" + k), StandardOpenOption.CREATE_NEW,
              StandardOpenOption.WRITE)) {
            ByteBuffer piece = ByteBuffer.allocate(16 * 1024);
            for (int off = 0; off < STREAM_FILE; off += piece.capacity()) {
              piece.clear();
              for (int i = 0; i < piece.capacity(); i++) {
                piece.put(i, pattern(k, off + i));
              }
              while (piece.hasRemaining()) {
                ch.write(piece);
              }
            }
          }
          closed.add(k);
        }
      } catch (Throwable t) {
        writerFailed.add(t);
      }
    });
    try {
      long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (closed.size() < 3 && writerFailed.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20); // polling interval of a condition with a deadline
      }
      assertTrue(closed.size() >= 3, "the writer closed " + closed + ", failures " + writerFailed);
      List<Integer> closedBefore = List.copyOf(closed);
      JsonNode made = snapshot("/src", "/snap");
      int after = closed.size();
      while (closed.size() < after + 2 && writerFailed.isEmpty() && System.nanoTime() < deadline) {
        Thread.sleep(20); // the writer goes on after the snapshot
      }
      stopWriter.set(true);
      writer.join(60_000);
      assertFalse(writer.isAlive());
      assertEquals(List.of(), writerFailed);
      assertEquals(3, made.get("directories").asLong(), made.toString()); // src, sub, stream
      assertTrue(made.get("shared_files").asLong() >= 3 + closedBefore.size(), made.toString());

      // The snapshot: the tree as it was, every stream file closed before it whole, any other one a prefix.
      Path snap = cluster.mnt.resolve("snap");
      assertArrayEquals(a, Files.readAllBytes(snap.resolve("a")));
      assertArrayEquals(b, Files.readAllBytes(snap.resolve("b")));
      assertArrayEquals(c, Files.readAllBytes(snap.resolve("sub/c")));
      assertEquals(Path.of("sub/c"), Files.readSymbolicLink(snap.resolve("link")));
      assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(snap.resolve("b"))));
      var xattrs = Files.getFileAttributeView(snap.resolve("a"), UserDefinedFileAttributeView.class);
      ByteBuffer origin = ByteBuffer.allocate(16);
      xattrs.read("origin", origin);
      assertEquals("test", new String(origin.array(), 0, origin.position(), StandardCharsets.UTF_8));
      List<String> snapStream;
      try (Stream<Path> s = Files.list(snap.resolve("stream"))) {
        snapStream = s.map(p -> p.getFileName().toString()).sorted().toList();
      }
      for (int k : closedBefore) {
        assertTrue(snapStream.contains("w" + k), "w" + k + " was closed before the snapshot: " + snapStream);
      }
      for (String name : snapStream) {
        int k = Integer.parseInt(name.substring(1));
        byte[] got = Files.readAllBytes(snap.resolve("stream").resolve(name));
        if (closedBefore.contains(k)) {
          assertEquals(STREAM_FILE, got.length, name);
        }
        assertTrue(got.length <= STREAM_FILE, name);
        for (int off = 0; off < got.length; off++) {
          if (got[off] != pattern(k, off) && got[off] != 0) {
            throw new AssertionError(name + " byte " + off + " is " + got[off] + ": neither written nor a hole");
          }
        }
      }

      // What each side must hold from now on.
      Map<String, byte[]> wantSrc = contents(src);
      Map<String, byte[]> wantSnap = contents(snap);

      // Source: overwrite the start of a in place; cut sub/c to 10 bytes; delete b.
      try (FileChannel ch = FileChannel.open(src.resolve("a"), StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap(new byte[1000]), 0);
      }
      byte[] a1 = a.clone();
      Arrays.fill(a1, 0, 1000, (byte) 0);
      wantSrc.put("a", a1);
      try (FileChannel ch = FileChannel.open(sub.resolve("c"), StandardOpenOption.WRITE)) {
        ch.truncate(10);
      }
      wantSrc.put("sub/c", Arrays.copyOf(c, 10));
      Files.delete(src.resolve("b"));
      wantSrc.remove("b");

      // Snapshot: append to b; truncate a; overwrite the middle of a stream file; delete sub/c.
      byte[] tail = random(4, 500_000);
      Files.write(snap.resolve("b"), tail, StandardOpenOption.APPEND);
      byte[] b1 = Arrays.copyOf(b, b.length + tail.length);
      System.arraycopy(tail, 0, b1, b.length, tail.length);
      wantSnap.put("b", b1);
      try (FileChannel ch = FileChannel.open(snap.resolve("a"), StandardOpenOption.WRITE)) {
        ch.truncate(MIB + 7);
      }
      wantSnap.put("a", Arrays.copyOf(a, MIB + 7));
      String w0 = "stream/w" + closedBefore.getFirst();
      try (FileChannel ch = FileChannel.open(snap.resolve(w0), StandardOpenOption.WRITE)) {
        ch.write(ByteBuffer.wrap("snapshot side".getBytes(StandardCharsets.UTF_8)), 4096);
      }
      byte[] w0want = wantSnap.get(w0).clone();
      System.arraycopy("snapshot side".getBytes(StandardCharsets.UTF_8), 0, w0want, 4096, 13);
      wantSnap.put(w0, w0want);
      Files.delete(snap.resolve("sub/c"));
      wantSnap.remove("sub/c");

      assertSameFiles(wantSrc, src);
      assertSameFiles(wantSnap, snap);
    } finally {
      stopWriter.set(true);
      writer.join(60_000);
    }

    // Space: both trees hold ~4.5 MiB of shared data plus what either side copied; removing both frees it all.
    long withBoth = settledUsed();
    assertTrue(withBoth > empty, "data is stored: " + empty + " -> " + withBoth);
    rmrf(cluster.mnt.resolve("src"));
    long oneLeft = awaitUsed("the source removed", u -> u < withBoth);
    rmrf(cluster.mnt.resolve("snap"));
    long slack = MIB / 4;
    awaitUsed("both removed (empty was " + empty + ", with both " + withBoth + ", one left " + oneLeft + ")",
        u -> u <= empty + slack);
  }

  @Test
  void sharedDataTakesSpaceOnce_untilOneSideWrites() throws Exception {
    Path dir = Files.createDirectory(cluster.mnt.resolve("space"));
    byte[] big = random(9, 4 * MIB);
    long before = settledUsed();
    Files.write(dir.resolve("big"), big);
    long one = awaitUsed("the file written", u -> u >= before + 4L * MIB);
    long perCopy = settledUsed() - before; // 4 MiB times the replication
    JsonNode made = snapshot("/space", "/space-snap");
    assertEquals(1, made.get("shared_files").asLong(), made.toString());
    assertEquals(0, made.get("copied_files").asLong(), made.toString());
    // The first write on one side copies that file once: used grows by one copy, not two (the snapshot took none).
    try (FileChannel ch = FileChannel.open(cluster.mnt.resolve("space-snap/big"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {42}), 0);
    }
    long copied = awaitUsed("the snapshot side's private copy", u -> u >= before + perCopy + perCopy * 9 / 10);
    assertTrue(copied < before + perCopy * 2 + perCopy / 2, "one copy made, not more: before " + before
        + ", a copy " + perCopy + ", now " + copied + " (first reading " + one + ")");
    big[0] = 42;
    assertArrayEquals(big, Files.readAllBytes(cluster.mnt.resolve("space-snap/big")));
    assertArrayEquals(random(9, 4 * MIB), Files.readAllBytes(dir.resolve("big")));
    rmrf(dir);
    rmrf(cluster.mnt.resolve("space-snap"));
    awaitUsed("both removed", u -> u <= before + MIB / 4);
  }

  private static void rmrf(Path root) throws IOException {
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
