package io.catena.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.io.CatenaIo;
import io.catena.io.Completion;
import io.catena.io.IoRing;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native zero-copy I/O against a {@code catena up} cluster through the real launcher: the mount daemon serves rings
 * to this JVM (the Java API), to C programs built on the shipped libcatena_io.so and to Python; the data moves between
 * three storage processes (replication 3, four chains, 1 MiB chunks) and the programs' shared memory. The last test
 * kills a storage node, so it runs last.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NativeIoTest {
  static final Path NATIVE = Launcher.ROOT.resolve("dist/target/native");
  static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
  static final Path SCRIPT = Launcher.ROOT.resolve("fuse/src/test/python/ring_hostile.py");
  static final int MIB = 1 << 20;

  @TempDir
  static Path tmp;
  static SingleMachineCluster cluster;
  static Path mnt;
  static Path hostile;
  static byte[] content;
  static Path file;

  @BeforeAll
  static void up() throws Exception {
    cluster = SingleMachineCluster.start(tmp.resolve("data"));
    mnt = cluster.mnt;
    Files.setPosixFilePermissions(tmp, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(tmp.resolve("data"),
        java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    hostile = tmp.resolve("ring_hostile");
    Run gcc = run(List.of("gcc", "-O1", "-I" + NATIVE, "-o", hostile.toString(),
        Launcher.ROOT.resolve("fuse/src/test/c/ring_hostile.c").toString(), "-L" + NATIVE, "-lcatena_io",
        "-Wl,-rpath," + NATIVE));
    assertEquals(0, gcc.exit(), gcc.output());
    content = new byte[24 * MIB + 333];
    new Random(42).nextBytes(content);
    file = Files.write(mnt.resolve("data.bin"), content);
  }

  @AfterAll
  static void down() throws Exception {
    if (cluster != null) {
      cluster.close();
    }
  }

  record Run(int exit, Map<String, String> values, String output) {}

  static Run run(List<String> cmd) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PYTHONPATH", NATIVE.toString());
    Process p = pb.start();
    byte[] out = p.getInputStream().readAllBytes();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("timed out: " + cmd);
    }
    String text = new String(out, StandardCharsets.UTF_8);
    Map<String, String> values = new HashMap<>();
    text.lines().filter(l -> l.matches("[a-z0-9]+=.*")).forEach(l -> values.put(l.substring(0, l.indexOf('=')),
        l.substring(l.indexOf('=') + 1)));
    return new Run(p.exitValue(), values, text);
  }

  static String fnv(byte[] b) {
    long h = 0xcbf29ce484222325L;
    for (byte x : b) {
      h = (h ^ (x & 0xff)) * 0x100000001b3L;
    }
    return String.format("%016x", h);
  }

  /**
   * Random reads of {@code content} through one ring: sizes from 1 byte to 8 MiB at any offset (across chunks and
   * chains, some past the end), up to {@code depth} in flight, each checked byte for byte. Returns how many.
   */
  static long randomReads(CatenaIo io, IoRing ring, int fd, Random rnd, int depth, long nanos, int maxLen)
      throws IOException {
    long bufSize = io.buffer().byteSize();
    long slot = bufSize / depth;
    Map<Long, long[]> inFlight = new HashMap<>();
    long done = 0;
    long end = System.nanoTime() + nanos;
    long next = 0;
    while (System.nanoTime() < end || !inFlight.isEmpty()) {
      while (System.nanoTime() < end && inFlight.size() < depth) {
        long s = next++ % depth;
        if (inFlight.containsKey(s)) {
          break;
        }
        int len = rnd.nextInt(8) == 0 ? 1 + rnd.nextInt((int) Math.min(maxLen, slot))
            : 1 + rnd.nextInt((int) Math.min(64 * 1024, slot));
        long off = rnd.nextLong(content.length + 4096L);
        assertTrue(ring.prepare(fd, off, s * slot, len, s));
        inFlight.put(s, new long[] {off, len});
      }
      ring.submit();
      for (Completion c : ring.await(1, Duration.ofSeconds(90))) {
        long[] a = inFlight.remove(c.userData());
        long expected = Math.max(0, Math.min(a[1], content.length - a[0]));
        assertEquals(expected, c.result(), "read of " + a[1] + " at " + a[0]);
        long base = c.userData() * slot;
        for (int k = 0; k < expected; k++) {
          if (content[(int) (a[0] + k)] != io.buffer().get(ValueLayout.JAVA_BYTE, base + k)) {
            throw new AssertionError("byte " + (a[0] + k) + " differs (read of " + a[1] + " at " + a[0] + ")");
          }
        }
        done++;
      }
    }
    return done;
  }

  @Test
  @Order(1)
  void bytesWrittenThroughTheMountReadIdenticallyThroughARing_manyInFlightAtRandomOffsets() throws Exception {
    try (CatenaIo io = CatenaIo.create(mnt, 64L * MIB);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing ring = io.ring(RingLayout.DIRECTION_READ, 32, RingLayout.PRIORITY_NORMAL)) {
      // Every size up to 8 MiB appears; 8 slots of 8 MiB for the big ones.
      long n = randomReads(io, ring, f.fd(), new Random(1), 8, TimeUnit.SECONDS.toNanos(4), 8 * MIB);
      n += randomReads(io, ring, f.fd(), new Random(2), 32, TimeUnit.SECONDS.toNanos(3), 2 * MIB);
      assertTrue(n > 50, "only " + n + " reads");
    }
  }

  @Test
  @Order(2)
  void bytesWrittenThroughARingReadIdenticallyThroughTheMount_withTheExactLength() throws Exception {
    byte[] written = new byte[20 * MIB + 77];
    new Random(3).nextBytes(written);
    Path target = mnt.resolve("ring-written.bin");
    try (CatenaIo io = CatenaIo.create(mnt, written.length)) {
      MemorySegment.copy(MemorySegment.ofArray(written), 0, io.buffer(), 0, written.length);
      int fd = Linux.open(target.toString(), Linux.O_RDWR | Linux.O_CREAT | Linux.O_TRUNC, 0644);
      io.register(fd);
      try (IoRing ring = io.ring(RingLayout.DIRECTION_WRITE, 16, RingLayout.PRIORITY_NORMAL)) {
        // Random pieces from 1 byte to 8 MiB, in shuffled order, many in flight.
        List<long[]> pieces = new ArrayList<>();
        Random rnd = new Random(4);
        for (long at = 0; at < written.length; ) {
          long len = Math.min(written.length - at, rnd.nextInt(4) == 0 ? 1 + rnd.nextInt(8 * MIB)
              : 1 + rnd.nextInt(300_000));
          pieces.add(new long[] {at, len});
          at += len;
        }
        java.util.Collections.shuffle(pieces, rnd);
        int next = 0;
        int done = 0;
        int inFlight = 0;
        while (done < pieces.size()) {
          while (next < pieces.size() && inFlight < 16) {
            long[] p = pieces.get(next);
            assertTrue(ring.prepare(fd, p[0], p[0], p[1], next++));
            inFlight++;
          }
          ring.submit();
          for (Completion c : ring.await(1, Duration.ofSeconds(90))) {
            assertEquals(pieces.get((int) c.userData())[1], c.result(), "piece " + c.userData());
            done++;
            inFlight--;
          }
        }
      }
      assertEquals(0, Linux.close(fd), "close(2) records the exact length");
      io.deregister(fd);
    }
    assertEquals(written.length, Files.size(target));
    assertEquals(fnv(written), fnv(Files.readAllBytes(target)));
  }

  @Test
  @Order(3)
  void cAndPythonProgramsReadWhatTheMountWrote_andPythonWritesWhatTheMountReads() throws Exception {
    Run c = run(List.of(hostile.toString(), mnt.toString(), file.toString(), "read"));
    assertEquals(fnv(content), c.values().get("fnv"), c.output());
    Run py = run(List.of(PYTHON, SCRIPT.toString(), mnt.toString(), file.toString(), "read"));
    assertEquals(fnv(content), py.values().get("fnv"), py.output());
    Path target = mnt.resolve("from-python.bin");
    Run w = run(List.of(PYTHON, SCRIPT.toString(), mnt.toString(), target.toString(), "write"));
    assertEquals(Integer.toString(3 * MIB), w.values().get("written"), w.output());
    assertEquals(3 * MIB, Files.size(target));
    assertEquals(w.values().get("fnv"), fnv(Files.readAllBytes(target)));
  }

  @Test
  @Order(4)
  void ringWritesPastADirectoryQuotaFailWithEdquot_likeTheMountsWrites() throws Exception {
    Files.createDirectory(mnt.resolve("q"));
    Launcher.Result set = Launcher.run("admin", "set-quota", "--data", cluster.data.toString(), "/q", "--bytes",
        "8MiB");
    assertEquals(0, set.exitCode(), set.out() + set.err());
    Path target = mnt.resolve("q/big.bin");
    List<Long> results = new ArrayList<>();
    int closed;
    try (CatenaIo io = CatenaIo.create(mnt, 4L * MIB)) {
      int fd = Linux.open(target.toString(), Linux.O_WRONLY | Linux.O_CREAT, 0644);
      io.register(fd);
      try (IoRing ring = io.ring(RingLayout.DIRECTION_WRITE, 4, RingLayout.PRIORITY_NORMAL)) {
        for (long at = 0; at < 48L * MIB && !results.contains(-122L); at += 4L * MIB) {
          for (int k = 0; k < 4; k++) {
            assertTrue(ring.prepare(fd, at + (long) k * MIB, (long) k * MIB, MIB, k));
          }
          ring.submit();
          int got = 0;
          while (got < 4) {
            for (Completion c : ring.await(1, Duration.ofSeconds(90))) {
              results.add(c.result());
              got++;
            }
          }
          Thread.sleep(100); // lets the background length hint reach meta, as a slow writer would
        }
      }
      closed = Linux.close(fd);
      io.deregister(fd);
    }
    assertTrue(results.contains(-122L) || closed == -122, "no EDQUOT: results " + results + ", close " + closed);
    assertTrue(Files.size(target) < 48L * MIB, "growth stopped: " + Files.size(target));
  }

  @Test
  @Order(5)
  void aNonOwnerCannotReadA0600FileThroughARing() throws Exception {
    Path secret = Files.write(mnt.resolve("secret.bin"), "only root".getBytes(StandardCharsets.UTF_8));
    Files.setPosixFilePermissions(secret, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    Run r = run(List.of("sh", "-c", "exec setpriv --reuid 65534 --regid 65534 --clear-groups " + PYTHON + " "
        + SCRIPT + " " + mnt + " " + secret + " noaccess 3 3<" + secret));
    assertEquals("-13", r.values().get("open"), r.output());
    assertEquals("-13", r.values().get("register"), r.output());
    assertTrue(!r.values().containsKey("ringread"), r.output());
  }

  @Test
  @Order(6)
  void hostileProgramsInCAndPython_leaveTheDaemonServingEveryoneElse() throws Exception {
    Run errors = run(List.of(hostile.toString(), mnt.toString(), file.toString(), "errors"));
    assertEquals(Map.of("badfd", "-9", "pastbuffer", "-14", "lengthpast", "-14", "hugelength", "-22", "negative",
        "-22", "wrap", "-14", "flags", "-22", "good", "4096"), errors.values(), errors.output());
    for (String mode : List.of("torn", "badcq")) {
      Run r = run(List.of(hostile.toString(), mnt.toString(), file.toString(), mode));
      assertEquals("1", r.values().get("closed"), r.output());
      assertEquals("100", r.values().get("other"), r.output());
    }
    Run truncated = run(List.of(hostile.toString(), mnt.toString(), file.toString(), "truncate"));
    assertEquals("-14", truncated.values().get("truncated0"), truncated.output());
    Run py = run(List.of(PYTHON, SCRIPT.toString(), mnt.toString(), file.toString(), "torn"));
    assertEquals("1", py.values().get("closed"), py.output());
    assertEquals("1", run(List.of(hostile.toString(), mnt.toString(), file.toString(), "die")).values().get("dying"));
    assertEquals("1", run(List.of(PYTHON, SCRIPT.toString(), mnt.toString(), file.toString(), "die")).values()
        .get("dying"));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try (var s = Files.list(mnt.resolve(".catena-virt/iovs"))) {
        if (s.findAny().isEmpty()) {
          break;
        }
      }
      assertTrue(System.nanoTime() < deadline, "registrations of dead programs remain");
      Thread.sleep(50);
    }
    try (CatenaIo io = CatenaIo.create(mnt, 8L * MIB);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing ring = io.ring(RingLayout.DIRECTION_READ, 16, RingLayout.PRIORITY_NORMAL)) {
      randomReads(io, ring, f.fd(), new Random(6), 8, TimeUnit.SECONDS.toNanos(1), MIB);
    }
  }

  @Test
  @Order(7)
  void aStorageNodeKilledDuringRingReads_readsCompleteFromAnotherReplica() throws Exception {
    AtomicLong reads = new AtomicLong();
    AtomicReference<Throwable> failure = new AtomicReference<>();
    long runNanos = TimeUnit.SECONDS.toNanos(16);
    Thread reader = Thread.ofPlatform().name("ring-reader").start(() -> {
      try (CatenaIo io = CatenaIo.create(mnt, 16L * MIB);
           CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
           IoRing ring = io.ring(RingLayout.DIRECTION_READ, 16, RingLayout.PRIORITY_NORMAL)) {
        long end = System.nanoTime() + runNanos;
        Random rnd = new Random(7);
        while (System.nanoTime() < end) {
          reads.addAndGet(randomReads(io, ring, f.fd(), rnd, 16, TimeUnit.MILLISECONDS.toNanos(500), MIB));
        }
      } catch (Throwable t) {
        failure.set(t);
      }
    });
    // The kill must land while the ring is reading: wait (with a deadline) until its first reads completed.
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (reads.get() == 0 && reader.isAlive() && System.nanoTime() < waitUntil) {
      Thread.sleep(10); // polling the reader's progress
    }
    long before = reads.get();
    ProcessHandle storage2 = SingleMachineCluster.child(cluster.data.resolve("storage-2").toString()).orElseThrow();
    storage2.destroyForcibly();
    assertTrue(storage2.onExit().get(30, TimeUnit.SECONDS) != null);
    reader.join(TimeUnit.SECONDS.toMillis(120));
    assertTrue(!reader.isAlive(), "the reader hangs");
    if (failure.get() != null) {
      throw new AssertionError("a ring read failed after the kill", failure.get());
    }
    assertTrue(before > 0 && reads.get() > before, "reads before the kill " + before + ", in all " + reads.get());
  }
}
