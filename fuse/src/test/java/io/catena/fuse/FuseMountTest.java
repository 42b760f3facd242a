package io.catena.fuse;

import static io.catena.fuse.TestSupport.mounted;
import static io.catena.fuse.TestSupport.ok;
import static io.catena.fuse.TestSupport.run;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserDefinedFileAttributeView;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A {@link MemoryFileSystem} mounted for real on /dev/fuse, exercised through java.nio.file and real tools. */
class FuseMountTest {
  @TempDir Path tmp;
  Path mnt;
  MemoryFileSystem fs;
  FuseMount mount;

  @BeforeEach
  void mount() throws IOException {
    // The temp dir is 0700; other uids (setpriv tests) must reach the mount point.
    Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxr-xr-x"));
    mnt = Files.createDirectory(tmp.resolve("mnt"));
    remount(Map.of());
  }

  void remount(Map<String, String> overrides) {
    if (mount != null) {
      mount.close();
    }
    fs = new MemoryFileSystem();
    mount = FuseMount.mount(mnt, fs, TestSupport.config(overrides), "catenatest");
  }

  @AfterEach
  void unmount() throws IOException {
    if (mount != null) {
      mount.close();
    }
    assertFalse(mounted(mnt), "mount left behind at " + mnt);
  }

  @Test
  void mountShowsInMountTableAsFuse() throws Exception {
    assertTrue(mounted(mnt));
    assertTrue(FuseMount.isFuseMounted(mnt));
    String line = Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.contains(mnt.toString()))
        .findFirst().orElseThrow();
    assertTrue(line.startsWith("catenatest " + mnt + " fuse.catenatest "), line);
    assertTrue(line.contains("allow_other"), line);
    assertTrue(line.contains("default_permissions"), line);
    // 4 MiB readahead (fuse.max_readahead) on the mount's bdi: the kernel's INIT only offers 128 KiB.
    String dev = Files.readAllLines(Path.of("/proc/self/mountinfo")).stream()
        .filter(l -> l.split(" ")[4].equals(mnt.toString())).findFirst().orElseThrow().split(" ")[2];
    assertEquals("4096", Files.readString(Path.of("/sys/class/bdi", dev, "read_ahead_kb")).trim());
  }

  @Test
  void filesAndDirectories_createWriteReadRenameDelete() throws Exception {
    Path d = Files.createDirectory(mnt.resolve("dir"));
    Path f = d.resolve("hello.txt");
    Files.writeString(f, "hello, fuse");
    assertEquals("hello, fuse", Files.readString(f));
    assertEquals(11, Files.size(f));
    assertTrue(Files.isDirectory(d));
    try (Stream<Path> s = Files.list(d)) {
      assertEquals(List.of("hello.txt"), s.map(p -> p.getFileName().toString()).toList());
    }
    Path g = mnt.resolve("moved.txt");
    Files.move(f, g);
    assertFalse(Files.exists(f));
    assertEquals("hello, fuse", Files.readString(g));
    assertThrows(NoSuchFileException.class, () -> Files.readString(f));
    Files.writeString(d.resolve("x"), "x");
    assertThrows(DirectoryNotEmptyException.class, () -> Files.delete(d));
    Files.delete(d.resolve("x"));
    Files.delete(d);
    Files.delete(g);
    try (Stream<Path> s = Files.list(mnt)) {
      assertEquals(0, s.count());
    }
  }

  @Test
  void attributes_chmodChownUtimensTruncate() throws Exception {
    Path f = mnt.resolve("a");
    Files.write(f, new byte[10000]);
    Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-r-----"));
    ok("chown", "1234:5678", f.toString());
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.truncate(1234);
    }
    ok("touch", "-d", "2001-02-03 04:05:06.789 UTC", f.toString()); // after truncate, which sets mtime
    PosixFileAttributes a = Files.readAttributes(f, PosixFileAttributes.class);
    assertEquals("rw-r-----", PosixFilePermissions.toString(a.permissions()));
    assertEquals(1234, Files.getAttribute(f, "unix:uid"));
    assertEquals(5678, Files.getAttribute(f, "unix:gid"));
    assertEquals(981173106789L, a.lastModifiedTime().toMillis());
    assertEquals(1234, a.size());
    ok("truncate", "-s", "5", f.toString());
    assertEquals(5, Files.size(f));
    String stat = ok("stat", "-c", "%s %a %u %g %F %h", f.toString()).trim();
    assertEquals("5 640 1234 5678 regular file 1", stat);
  }

  @Test
  void links_symlinkReadlinkHardLinkCount() throws Exception {
    Path f = mnt.resolve("target");
    Files.writeString(f, "data");
    Path s = Files.createSymbolicLink(mnt.resolve("sym"), Path.of("target"));
    assertEquals(Path.of("target"), Files.readSymbolicLink(s));
    assertEquals("data", Files.readString(s));
    Path h = Files.createLink(mnt.resolve("hard"), f);
    assertEquals(2, Files.getAttribute(f, "unix:nlink"));
    assertEquals(Files.getAttribute(f, "unix:ino"), Files.getAttribute(h, "unix:ino"));
    Files.delete(f);
    assertEquals("data", Files.readString(h));
    assertEquals(1, Files.getAttribute(h, "unix:nlink"));
    assertFalse(Files.exists(s)); // dangling now
    assertTrue(Files.exists(s, java.nio.file.LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void realTools_lsStatDdCatCpMvLnRmDf() throws Exception {
    String m = mnt.toString();
    ok("mkdir", "-p", m + "/a/b/c");
    ok("dd", "if=/dev/urandom", "of=" + m + "/a/b/c/blob", "bs=1M", "count=3", "status=none");
    ok("dd", "if=" + m + "/a/b/c/blob", "of=" + m + "/a/direct", "bs=1M", "iflag=direct", "oflag=direct",
        "status=none");
    ok("cmp", m + "/a/b/c/blob", m + "/a/direct");
    ok("cp", m + "/a/b/c/blob", m + "/a/copy");
    ok("cmp", m + "/a/b/c/blob", m + "/a/copy");
    ok("mv", m + "/a/copy", m + "/a/b/moved");
    ok("ln", m + "/a/b/moved", m + "/a/hard");
    ok("ln", "-s", "b/moved", m + "/a/soft");
    String sum1 = ok("sh", "-c", "cat " + m + "/a/b/c/blob | md5sum").split(" ")[0];
    String sum2 = ok("sh", "-c", "cat " + m + "/a/soft | md5sum").split(" ")[0];
    assertEquals(sum1, sum2);
    String ls = ok("ls", "-l", m + "/a");
    assertTrue(ls.contains("hard") && ls.contains("soft -> b/moved"), ls);
    assertTrue(ok("stat", "-c", "%s %h", m + "/a/hard").trim().equals("3145728 2"));
    String df = ok("df", "-k", m);
    assertTrue(df.contains("catenatest") && df.contains("16777216"), df);
    ok("rm", "-r", m + "/a");
    assertEquals("", ok("ls", "-A", m));
  }

  @Test
  void bigDirectory_listsEveryEntryAcrossManyReplies() throws Exception {
    // ~3000 long names span many readdir replies; with READDIRPLUS_AUTO the kernel uses readdirplus for the first
    // page and plain readdir for the rest, so both encoders and offset continuation are exercised.
    Path d = Files.createDirectory(mnt.resolve("big"));
    String pad = "x".repeat(60);
    int n = 3000;
    for (int i = 0; i < n; i++) {
      Files.createFile(d.resolve(pad + i));
    }
    try (Stream<Path> s = Files.list(d)) {
      assertEquals(n, s.count());
    }
    String[] plain = ok("ls", "-f", d.toString()).trim().split("\n");
    assertEquals(n + 2, plain.length); // with . and ..
    assertEquals(n + 1, ok("ls", "-l", d.toString()).trim().split("\n").length); // "total" line + entries
    ok("rm", "-r", d.toString());
    assertFalse(Files.exists(d));
  }

  @Test
  void xattrs_setGetListRemove() throws Exception {
    Path f = mnt.resolve("x");
    Files.writeString(f, "");
    UserDefinedFileAttributeView v = Files.getFileAttributeView(f, UserDefinedFileAttributeView.class);
    v.write("color", StandardCharsets.UTF_8.encode("blue"));
    v.write("big", ByteBuffer.wrap(new byte[5000]));
    assertEquals(List.of("color", "big"), v.list());
    ByteBuffer b = ByteBuffer.allocate(v.size("color"));
    v.read("color", b);
    assertEquals("blue", new String(b.array(), StandardCharsets.UTF_8));
    assertEquals(5000, v.size("big"));
    v.delete("color");
    assertEquals(List.of("big"), v.list());
    assertThrows(FileSystemException.class, () -> v.size("color"));
    if (Files.isExecutable(Path.of("/usr/bin/setfattr"))) { // Debian package attr
      ok("setfattr", "-n", "user.tool", "-v", "0x414243", f.toString());
      assertEquals("ABC", ok("getfattr", "--absolute-names", "--only-values", "-n", "user.tool", f.toString()));
    }
  }

  @Test
  void mmapRead_seesFileContents() throws Exception {
    Path f = mnt.resolve("mapped");
    byte[] data = new byte[3 * 4096 + 123];
    new Random(1).nextBytes(data);
    Files.write(f, data);
    // Map through an arena so the mapping is gone before unmount (a MappedByteBuffer lives until GC and keeps
    // the detached mount busy).
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ); Arena arena = Arena.ofConfined()) {
      var map = ch.map(FileChannel.MapMode.READ_ONLY, 0, data.length, arena);
      assertArrayEquals(data, map.toArray(ValueLayout.JAVA_BYTE));
    }
  }

  @Test
  void openFlags_appendExclTrunc() throws Exception {
    Path f = mnt.resolve("log");
    Files.writeString(f, "one\n", StandardOpenOption.CREATE_NEW);
    assertThrows(FileAlreadyExistsException.class,
        () -> Files.writeString(f, "x", StandardOpenOption.CREATE_NEW));
    try (FileChannel a = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
        FileChannel b = FileChannel.open(f, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
      a.write(StandardCharsets.UTF_8.encode("two\n"));
      b.write(StandardCharsets.UTF_8.encode("three\n"));
      a.write(StandardCharsets.UTF_8.encode("four\n"));
    }
    assertEquals("one\ntwo\nthree\nfour\n", Files.readString(f));
    Files.writeString(f, "new", StandardOpenOption.TRUNCATE_EXISTING);
    assertEquals("new", Files.readString(f));
  }

  @SuppressWarnings("restricted")
  private static final MethodHandle RENAMEAT2 = Linker.nativeLinker().downcallHandle(
      Linker.nativeLinker().defaultLookup().find("renameat2").orElseThrow(),
      FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT,
          ValueLayout.ADDRESS, ValueLayout.JAVA_INT),
      Linker.Option.captureCallState("errno"));

  private static int renameat2(Path from, Path to, int flags) throws Throwable {
    try (Arena a = Arena.ofConfined()) {
      var st = a.allocate(Linker.Option.captureStateLayout());
      int r = (int) RENAMEAT2.invokeExact(st, -100, a.allocateFrom(from.toString()), -100,
          a.allocateFrom(to.toString()), flags);
      return r == 0 ? 0 : st.get(ValueLayout.JAVA_INT, 0);
    }
  }

  @Test
  void renameFlags_noreplaceFailsOnExistingAndExchangeSwaps() throws Throwable {
    Path a = mnt.resolve("a");
    Path b = mnt.resolve("b");
    Files.writeString(a, "A");
    Files.writeString(b, "B");
    assertEquals(17, renameat2(a, b, FuseFileSystem.RENAME_NOREPLACE)); // EEXIST
    assertEquals(0, renameat2(a, b, FuseFileSystem.RENAME_EXCHANGE));
    assertEquals("B", Files.readString(a));
    assertEquals("A", Files.readString(b));
    assertEquals(0, renameat2(a, mnt.resolve("c"), FuseFileSystem.RENAME_NOREPLACE));
    assertEquals(2, renameat2(a, b, FuseFileSystem.RENAME_EXCHANGE)); // ENOENT: a is gone
  }

  private static String md5(byte[] b) throws Exception {
    return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("MD5").digest(b));
  }

  @Test
  void largeFile_oneMebibyteIoRoundTrips() throws Exception {
    Path f = mnt.resolve("large");
    byte[] block = new byte[1 << 20];
    MessageDigest w = MessageDigest.getInstance("MD5");
    Random rnd = new Random(7);
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      for (int i = 0; i < 48; i++) {
        rnd.nextBytes(block);
        w.update(block);
        ByteBuffer bb = ByteBuffer.wrap(block);
        while (bb.hasRemaining()) {
          ch.write(bb);
        }
      }
    }
    assertEquals(48L << 20, Files.size(f));
    MessageDigest r = MessageDigest.getInstance("MD5");
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      ByteBuffer bb = ByteBuffer.allocateDirect(1 << 20);
      while (ch.read(bb.clear()) > 0) {
        r.update(bb.flip());
      }
    }
    assertArrayEquals(w.digest(), r.digest());
    // A sparse read past a hole returns zeros.
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {1}), 100L << 20);
    }
    try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
      ByteBuffer bb = ByteBuffer.allocate(16);
      ch.read(bb, 60L << 20);
      assertArrayEquals(new byte[16], bb.array());
    }
  }

  @Test
  void statfs_reportsFileSystemCapacity() throws Exception {
    var store = Files.getFileStore(mnt);
    assertEquals(16L << 30, store.getTotalSpace());
    Files.write(mnt.resolve("f"), new byte[1 << 20]);
    assertEquals((16L << 30) - (1 << 20), store.getUsableSpace());
  }

  @Test
  void concurrentReadersAndWriters_allDataIntact_threadsGrow() throws Exception {
    int n = 6;
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> fs1 = new ArrayList<>();
      for (int t = 0; t < n; t++) {
        int id = t;
        fs1.add(pool.submit(() -> {
          byte[] data = new byte[(1 << 20) + id * 1000];
          new Random(id).nextBytes(data);
          Path p = mnt.resolve("f" + id);
          for (int round = 0; round < 10; round++) {
            Files.write(p, data);
            assertArrayEquals(data, Files.readAllBytes(p));
          }
          return null;
        }));
      }
      for (Future<?> f : fs1) {
        f.get(120, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(mount.threads() > 1, "readers grew under concurrent load: " + mount.threads());
  }

  @Test
  void everyReaderBusyAtTheThreadLimit_theReaderGrowerWaitsWithoutSpinning() throws Exception {
    remount(Map.of("fuse.max_threads", "2"));
    List<Process> stats = new ArrayList<>();
    try {
      for (String name : List.of("held-a", "held-b")) {
        stats.add(new ProcessBuilder("stat", mnt.resolve(name).toString()).start());
      }
      assertTrue(fs.heldLookupsEntered.tryAcquire(2, 30, TimeUnit.SECONDS), "both lookups reached the file system");
      assertEquals(2, mount.threads());
      Thread grower = Thread.getAllStackTraces().keySet().stream()
          .filter(t -> t.getName().equals("fuse-" + mnt.getFileName() + "-grow")).findFirst()
          .orElseThrow();
      java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
      long cpuBefore = mx.getThreadCpuTime(grower.threadId());
      long wallBefore = System.nanoTime();
      Thread.sleep(500); // the window over which the grower's CPU time is measured
      long cpuNanos = mx.getThreadCpuTime(grower.threadId()) - cpuBefore;
      long wallNanos = System.nanoTime() - wallBefore;
      // Spinning costs about the whole window (it did: a core burned for as long as every reader was busy).
      assertTrue(cpuNanos < wallNanos / 10, "grower used " + cpuNanos / 1_000_000 + " ms of CPU in "
          + wallNanos / 1_000_000 + " ms while it could add no reader");
    } finally {
      fs.heldLookups.countDown();
      for (Process p : stats) {
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
      }
    }
  }

  /** Holds every read until {@code expected} are waiting, then answers them last-come first from another thread. */
  static final class HeldReads extends MemoryFileSystem {
    private final int expected;
    private final List<Runnable> held = new ArrayList<>();
    final List<Long> answeredOffsets = java.util.Collections.synchronizedList(new ArrayList<>());
    volatile boolean allArrived;

    HeldReads(int expected) {
      this.expected = expected;
    }

    @Override
    public java.util.concurrent.CompletableFuture<ByteBuffer> readAsync(io.catena.fuse.RequestContext ctx, long ino,
        long fh, long offset, int size, ByteBuffer dst) {
      var f = new java.util.concurrent.CompletableFuture<ByteBuffer>();
      List<Runnable> release = null;
      synchronized (held) {
        held.add(() -> {
          answeredOffsets.add(offset);
          f.complete(read(ctx, ino, fh, offset, size, dst));
        });
        if (held.size() == expected) {
          allArrived = true;
          release = new ArrayList<>(held);
          java.util.Collections.reverse(release);
        } else if (held.size() == 1) {
          // Never wedge the mount if they do not all come: let them go after a while; the test then fails.
          Thread.ofVirtual().start(() -> {
            try {
              Thread.sleep(20_000);
            } catch (InterruptedException e) {
              return;
            }
            List<Runnable> late;
            synchronized (held) {
              late = allArrived ? List.of() : new ArrayList<>(held);
              held.clear();
            }
            late.forEach(Runnable::run);
          });
        }
      }
      if (release != null) {
        List<Runnable> r = release;
        Thread.ofPlatform().start(() -> r.forEach(Runnable::run));
      }
      return f;
    }
  }

  @Test
  void asynchronousReads_oneReaderHasManyReadsInFlight_answersInAnyOrderReachTheirCallers() throws Exception {
    int n = 4;
    int size = 64 << 10;
    mount.close();
    HeldReads held = new HeldReads(n);
    fs = held;
    mount = FuseMount.mount(mnt, fs, TestSupport.config(Map.of("fuse.max_threads", "1")), "catenatest");
    byte[] data = new byte[n * size];
    new Random(7).nextBytes(data);
    Path f = mnt.resolve("f");
    Files.write(f, data);
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<byte[]>> got = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        long at = (long) i * size;
        got.add(pool.submit(() -> {
          // O_DIRECT: each read goes to the file system as one READ, whatever the page cache holds.
          try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ,
              com.sun.nio.file.ExtendedOpenOption.DIRECT)) {
            ByteBuffer b = ByteBuffer.allocateDirect(size + 4096).alignedSlice(4096).limit(size);
            while (b.hasRemaining() && ch.read(b, at + b.position()) > 0) {
              // until full
            }
            byte[] out = new byte[b.flip().remaining()];
            b.get(out);
            return out;
          }
        }));
      }
      for (int i = 0; i < n; i++) {
        assertArrayEquals(java.util.Arrays.copyOfRange(data, i * size, (i + 1) * size),
            got.get(i).get(60, TimeUnit.SECONDS), "read " + i);
      }
    } finally {
      pool.shutdownNow();
    }
    assertTrue(held.allArrived, "all " + n + " reads were in flight at once with one reader thread");
    assertEquals(1, mount.threads());
    assertEquals(n, held.answeredOffsets.size());
  }

  @Test
  void failingOperation_answersEioAndMountKeepsWorking() throws Exception {
    FileSystemException e = assertThrows(FileSystemException.class,
        () -> Files.readAttributes(mnt.resolve("boom"), PosixFileAttributes.class));
    assertTrue(String.valueOf(e.getReason()).contains("Input/output error"), e.toString());
    TestSupport.Result r = run("stat", mnt.resolve("boom2").toString());
    assertNotEquals(0, r.exit());
    assertTrue(r.output().contains("Input/output error"), r.output());
    Files.writeString(mnt.resolve("still"), "works");
    assertEquals("works", Files.readString(mnt.resolve("still")));
  }

  @Test
  void interruptedRequest_callerKilledWhileFileSystemBlocks_isReleasedAndMountKeepsServing() throws Exception {
    // A synchronous request (lookup) blocks in the file system; only FUSE_INTERRUPT can release its caller, since
    // the kernel waits uninterruptibly for an answer once a request was read.
    Process stat = new ProcessBuilder("stat", mnt.resolve("slow").toString()).start();
    assertTrue(fs.slowLookupEntered.await(30, TimeUnit.SECONDS));
    stat.toHandle().destroyForcibly();
    assertTrue(stat.waitFor(30, TimeUnit.SECONDS), "the killed caller was released");
    Files.writeString(mnt.resolve("after"), "ok");
    assertEquals("ok", Files.readString(mnt.resolve("after")));
  }

  @Test
  void callerCredentials_uidGidAndSupplementaryGroupsReachTheFileSystem() throws Exception {
    Path shared = Files.createDirectory(mnt.resolve("shared"));
    ok("chown", "0:4242", shared.toString());
    ok("chmod", "0770", shared.toString());
    String target = shared.resolve("mine").toString();
    TestSupport.Result denied = run("setpriv", "--reuid=1234", "--regid=1234", "--clear-groups", "touch", target);
    assertNotEquals(0, denied.exit());
    assertTrue(denied.output().contains("Permission denied"), denied.output());
    ok("setpriv", "--reuid=1234", "--regid=1234", "--groups=4242", "touch", target);
    assertEquals("1234 1234", ok("stat", "-c", "%u %g", target).trim());
    // the owner bits now apply to uid 1234: root-owned 0600 files stay closed
    Path secret = mnt.resolve("secret");
    Files.writeString(secret, "s");
    Files.setPosixFilePermissions(secret, PosixFilePermissions.fromString("rw-------"));
    TestSupport.Result r = run("setpriv", "--reuid=1234", "--regid=1234", "--clear-groups", "cat",
        secret.toString());
    assertTrue(r.output().contains("Permission denied"), r.output());
  }

  @Test
  void notify_invalidateInodeDropsCachedAttributesAndData() throws Exception {
    remount(Map.of("fuse.attr_timeout", "1h", "fuse.entry_timeout", "1h"));
    Path f = mnt.resolve("cached");
    Files.writeString(f, "old");
    assertEquals("old", Files.readString(f));
    long ino = (Long) Files.getAttribute(f, "unix:ino");
    // Change the file behind the kernel's back, as another client would.
    fs.write(TestSupport.rootContext(), ino, -1, 0, ByteBuffer.wrap("NEW!".getBytes(StandardCharsets.UTF_8)), 0);
    assertEquals(3, Files.size(f), "attributes are cached for an hour");
    mount.notifier().invalidateInode(ino, 0, 0);
    assertEquals(4, Files.size(f));
    assertEquals("NEW!", Files.readString(f));
    // A name removed behind the kernel's back disappears after invalidateEntry.
    fs.unlink(TestSupport.rootContext(), FuseFileSystem.ROOT_INO, "cached");
    assertTrue(Files.exists(f), "the name is cached for an hour");
    mount.notifier().invalidateEntry(FuseFileSystem.ROOT_INO, "cached");
    assertFalse(Files.exists(f));
  }

  @Test
  void negativeTimeout_kernelRemembersMissingNamesUntilInvalidated() throws Exception {
    remount(Map.of("fuse.negative_timeout", "1h"));
    Path f = mnt.resolve("later");
    assertFalse(Files.exists(f));
    // Created behind the kernel's back: the cached "no such name" still answers.
    fs.create(TestSupport.rootContext(), FuseFileSystem.ROOT_INO, "later", 0644, 0);
    assertFalse(Files.exists(f), "the negative entry is cached for an hour");
    mount.notifier().invalidateEntry(FuseFileSystem.ROOT_INO, "later");
    assertTrue(Files.exists(f));
  }

  @Test
  void unmount_callsDestroyOnce() throws Exception {
    java.util.concurrent.atomic.AtomicInteger destroys = new java.util.concurrent.atomic.AtomicInteger();
    mount.close();
    fs = new MemoryFileSystem() {
      @Override
      public void destroy() {
        destroys.incrementAndGet();
      }
    };
    mount = FuseMount.mount(mnt, fs, TestSupport.config(Map.of()), "catenatest");
    Files.writeString(mnt.resolve("f"), "x");
    mount.close();
    assertEquals(1, destroys.get());
  }

  @Test
  void close_withFileStillOpen_stillUnmountsAndStops() throws Exception {
    Path f = mnt.resolve("open");
    Files.writeString(f, "x");
    FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
    mount.close(); // lazy unmount leaves the open file's connection alive; close aborts it after the grace
    assertFalse(mounted(mnt));
    assertThrows(IOException.class, () -> ch.read(ByteBuffer.allocate(1), 0));
    try {
      ch.close();
    } catch (IOException expected) {
      // ENOTCONN: the connection is gone
    }
    mount = null;
  }
}
