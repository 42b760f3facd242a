package io.catena.fuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.io.CatenaIo;
import io.catena.io.Completion;
import io.catena.io.IoRing;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import io.catena.io.ring.Words;
import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native I/O rings against a real FUSE mount of Catena (meta on mem://, chunks in memory, 256 KiB chunks over four
 * chains), driven from this JVM through the Java API: the daemon's registration checks, its ring protocol and its
 * answers to malformed entries.
 */
class NativeIoMountTest {
  private static final int CHUNK = 256 * 1024;

  @TempDir
  static Path dir;
  static CatenaTestMount mount;
  static Path mnt;

  @BeforeAll
  static void mountIt() throws Exception {
    mount = CatenaTestMount.start(dir);
    mnt = mount.mnt;
  }

  @AfterAll
  static void unmount() throws Exception {
    if (mount != null) {
      mount.close();
    }
  }

  static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static List<String> iovs() throws IOException {
    return mount.iovs();
  }

  @Test
  void ringReadsReturnExactlyWhatTheMountWrote_atRandomOffsetsAcrossChunksAndChains() throws Exception {
    byte[] data = random(3 * 1024 * 1024 + 777, 1);
    Path file = Files.write(mnt.resolve("read.bin"), data);
    Random rnd = new Random(2);
    try (CatenaIo io = CatenaIo.create(mnt, 8 << 20);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing ring = io.ring(RingLayout.DIRECTION_READ, 64, RingLayout.PRIORITY_NORMAL)) {
      for (int round = 0; round < 5; round++) {
        Map<Long, long[]> asked = new HashMap<>();
        long bufAt = 0;
        for (int i = 0; i < 48; i++) {
          int len = i % 8 == 0 ? 1 + rnd.nextInt(600 * 1024) : 1 + rnd.nextInt(9000);
          long off = rnd.nextLong(data.length + 100); // some past the end: short reads and zero
          if (bufAt + len > (8 << 20)) {
            break;
          }
          assertTrue(ring.prepare(f.fd(), off, bufAt, len, i));
          asked.put((long) i, new long[] {off, bufAt, len});
          bufAt += len;
        }
        ring.submit();
        int got = 0;
        while (got < asked.size()) {
          for (Completion c : ring.await(1, Duration.ofSeconds(30))) {
            long[] a = asked.get(c.userData());
            long expected = Math.max(0, Math.min(a[2], data.length - a[0]));
            assertEquals(expected, c.result(), "entry " + c.userData() + " at " + a[0]);
            for (int k = 0; k < expected; k++) {
              if (data[(int) (a[0] + k)] != io.buffer().get(ValueLayout.JAVA_BYTE, a[1] + k)) {
                throw new AssertionError("byte " + k + " of entry " + c.userData() + " differs");
              }
            }
            got++;
          }
        }
      }
    }
  }

  @Test
  void ringWritesReadBackThroughTheMount_andClosingTheDescriptorRecordsTheLength() throws Exception {
    byte[] data = random(2 * CHUNK + 12345, 3);
    Path file = mnt.resolve("written.bin");
    try (CatenaIo io = CatenaIo.create(mnt, data.length)) {
      MemorySegment.copy(MemorySegment.ofArray(data), 0, io.buffer(), 0, data.length);
      try (CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDWR | Linux.O_CREAT | Linux.O_TRUNC);
           IoRing ring = io.ring(RingLayout.DIRECTION_WRITE, 16, RingLayout.PRIORITY_HIGH)) {
        // Three pieces out of order, one crossing two chunk boundaries.
        int[][] pieces = {{CHUNK * 2, data.length - CHUNK * 2}, {0, 1000}, {1000, CHUNK * 2 - 1000}};
        for (int[] p : pieces) {
          assertTrue(ring.prepare(f.fd(), p[0], p[0], p[1], p[0]));
        }
        ring.submit();
        int got = 0;
        while (got < pieces.length) {
          for (Completion c : ring.await(1, Duration.ofSeconds(30))) {
            assertTrue(c.ok(), "write at " + c.userData() + ": " + c.result());
            got++;
          }
        }
      } // deregisters, then close(2): the mount records the exact length
    }
    assertEquals(data.length, Files.size(file));
    assertArrayEquals(data, Files.readAllBytes(file));
  }

  @Test
  void theListingShowsTheCallersRegistrations_andUnlinkOrCloseEndsThem() throws Exception {
    Path file = Files.write(mnt.resolve("listed.bin"), new byte[] {1, 2, 3});
    try (CatenaIo io = CatenaIo.create(mnt, 4096)) {
      CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
      IoRing ring = io.ring(RingLayout.DIRECTION_READ, 8, RingLayout.PRIORITY_LOW);
      String key = io.key();
      assertEquals(List.of(key + ".buf", key + ".fd" + f.fd(), ring.name()), iovs());
      assertEquals(file.toString(), Files.readSymbolicLink(mnt.resolve(".catena-virt/iovs/" + key + ".fd" + f.fd()))
          .toString());
      assertEquals(3, ring.transfer(f.fd(), 0, 0, 100));
      f.close();
      assertEquals(List.of(key + ".buf", ring.name()), iovs());
      ring.close();
    }
    assertEquals(List.of(), iovs());
  }

  @Test
  void malformedEntriesGetErrorCompletions_andTheRingKeepsServing() throws Exception {
    Path file = Files.write(mnt.resolve("small.bin"), random(10_000, 4));
    try (CatenaIo io = CatenaIo.create(mnt, 8192);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing ring = io.ring(RingLayout.DIRECTION_READ, 16, RingLayout.PRIORITY_NORMAL)) {
      long[][] bad = { // fd, file offset, buffer offset, length -> errno
          {f.fd() + 100, 0, 0, 10, 9}, // EBADF: not registered
          {f.fd(), 0, 8192, 1, 14}, // EFAULT: starts past the buffer
          {f.fd(), 0, 8000, 193, 14}, // EFAULT: runs past the buffer
          {f.fd(), 0, -1, 1, 14}, // EFAULT
          {f.fd(), -5, 0, 1, 22}, // EINVAL: negative file offset
          {f.fd(), 0, 0, -1, 22}, // EINVAL: negative length
          {f.fd(), 0, 0, (1L << 30) + 1, 22}, // EINVAL: more than an entry may move
          {f.fd(), 0, 0, 8192, 0}, // fine
      };
      for (int i = 0; i < bad.length; i++) {
        assertTrue(ring.prepare((int) bad[i][0], bad[i][1], bad[i][2], bad[i][3], i));
      }
      // A reserved flag set by hand: EINVAL.
      assertTrue(ring.prepare(f.fd(), 0, 0, 1, 99));
      ring.memory().set(ValueLayout.JAVA_INT, RingLayout.SQ_START + (long) bad.length * RingLayout.SQE_SIZE
          + RingLayout.SQE_FLAGS, 1);
      ring.submit();
      Map<Long, Long> results = new HashMap<>();
      while (results.size() < bad.length + 1) {
        ring.await(1, Duration.ofSeconds(30)).forEach(c -> results.put(c.userData(), c.result()));
      }
      for (int i = 0; i < bad.length - 1; i++) {
        assertEquals(-bad[i][4], results.get((long) i), "entry " + i);
      }
      assertEquals(8192, results.get((long) bad.length - 1));
      assertEquals(-22, results.get(99L));
      assertEquals(100, ring.transfer(f.fd(), 9900, 0, 1000), "the ring still serves");
    }
  }

  @Test
  void aTornRingIsDeregistered_whileOtherRingsKeepServing() throws Exception {
    Path file = Files.write(mnt.resolve("torn.bin"), random(5000, 5));
    try (CatenaIo io = CatenaIo.create(mnt, 8192);
         CatenaIo.RegisteredFile f = io.open(file, Linux.O_RDONLY);
         IoRing good = io.ring(RingLayout.DIRECTION_READ, 8, RingLayout.PRIORITY_NORMAL);
         IoRing torn = io.ring(RingLayout.DIRECTION_READ, 8, RingLayout.PRIORITY_NORMAL)) {
      MemorySegment mem = torn.memory();
      Words.setRelease(mem, RingLayout.OFF_SQ_TAIL, 1000); // claims 1000 entries in an 8-entry ring
      Words.getAndAdd(mem, RingLayout.OFF_DOORBELL, 1);
      Linux.futexWake(mem.asSlice(RingLayout.OFF_DOORBELL, 4), 1);
      long deadline = System.nanoTime() + 10_000_000_000L;
      while (Words.getAcquire(mem, RingLayout.OFF_STATE) != RingLayout.STATE_CLOSED) {
        assertTrue(System.nanoTime() < deadline, "the torn ring is still served");
        Thread.sleep(10);
      }
      assertFalse(iovs().contains(torn.name()));
      assertThrows(IOException.class, () -> torn.await(1, Duration.ofSeconds(1)));
      assertEquals(5000, good.transfer(f.fd(), 0, 0, 8192));
    }
  }

  @Test
  void registrationsRefuseFilesThatAreNotTheCallersOwnSharedMemory() throws Exception {
    Path iovs = mnt.resolve(".catena-virt/iovs");
    Path notMine = Files.write(Path.of("/dev/shm/catena-io-test-nobody-" + ProcessHandle.current().pid()),
        new byte[4096]);
    Path link = Files.createSymbolicLink(Path.of("/dev/shm/catena-io-test-link-" + ProcessHandle.current().pid()),
        notMine);
    try {
      Files.setAttribute(notMine, "unix:uid", 65534);
      assertEquals("Operation not permitted", refusal(iovs.resolve("k1.buf"), notMine));
      assertEquals("Operation not permitted", refusal(iovs.resolve("k1.buf"), link)); // no symlinks
      assertEquals("Invalid argument", refusal(iovs.resolve("k1.buf"), Path.of("/etc/passwd")));
      assertEquals("Invalid argument", refusal(iovs.resolve("k1.buf"), Path.of("/dev/shm/../../etc/passwd")));
      assertEquals("NoSuchFileException", refusal(iovs.resolve("k1.buf"), Path.of("/dev/shm/none")));
      assertEquals("Invalid argument", refusal(iovs.resolve("k1.r63"), notMine)); // not a power of two
      assertEquals("Invalid argument", refusal(iovs.resolve("k1.bogus"), notMine));
      assertEquals("NoSuchFileException", refusal(iovs.resolve("k2.r8"), notMine), "a ring needs its buffer");
      assertEquals("Bad file descriptor", refusal(iovs.resolve("k3.fd987"), Path.of("/proc/self/fd/987")));
      int fd = Linux.open("/dev/null", Linux.O_RDONLY, 0);
      try {
        assertEquals("Invalid cross-device link", refusal(iovs.resolve("k4.fd" + fd), Path.of("x")));
      } finally {
        Linux.close(fd);
      }
      assertEquals(List.of(), iovs());
    } finally {
      Files.deleteIfExists(link);
      Files.deleteIfExists(notMine);
    }
  }

  @Test
  void aWriteRingCannotWriteThroughAReadOnlyDescriptor_norAReadRingReadAWriteOnlyOne() throws Exception {
    Path file = Files.write(mnt.resolve("ro.bin"), random(100, 6));
    try (CatenaIo io = CatenaIo.create(mnt, 4096);
         CatenaIo.RegisteredFile ro = io.open(file, Linux.O_RDONLY);
         CatenaIo.RegisteredFile wo = io.open(file, Linux.O_WRONLY);
         IoRing w = io.ring(RingLayout.DIRECTION_WRITE, 4, RingLayout.PRIORITY_NORMAL);
         IoRing r = io.ring(RingLayout.DIRECTION_READ, 4, RingLayout.PRIORITY_NORMAL)) {
      assertEquals("ring I/O failed: errno 9", assertThrows(IOException.class, () -> w.transfer(ro.fd(), 0, 0, 10))
          .getMessage());
      assertEquals("ring I/O failed: errno 9", assertThrows(IOException.class, () -> r.transfer(wo.fd(), 0, 0, 10))
          .getMessage());
      assertEquals(100, r.transfer(ro.fd(), 0, 0, 4096));
      assertEquals(10, w.transfer(wo.fd(), 0, 0, 10));
    }
  }

  /** The reason symlink(2) gives for {@code link -> target}. */
  private static String refusal(Path link, Path target) {
    FileSystemException e = assertThrows(FileSystemException.class, () -> Files.createSymbolicLink(link, target));
    return e.getReason() != null ? e.getReason() : e.getClass().getSimpleName();
  }
}
