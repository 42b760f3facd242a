package io.catena.fuse;

import static io.catena.fuse.TestSupport.mounted;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.kernel.Native;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A mount served by a child JVM: SIGTERM unmounts it; kill -9 leaves ENOTCONN that forceUnmount clears. */
class FuseLifecycleTest {
  @TempDir Path tmp;
  Path mnt;
  Process child;

  @BeforeEach
  void setUp() throws IOException {
    mnt = Files.createDirectory(tmp.resolve("mnt"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (child != null && child.isAlive()) {
      child.toHandle().destroyForcibly();
      child.waitFor(30, TimeUnit.SECONDS);
    }
    if (mounted(mnt)) {
      FuseMount.forceUnmount(mnt);
    }
    assertFalse(mounted(mnt), "mount left behind at " + mnt);
  }

  private void startChild() throws Exception {
    String javaBin = ProcessHandle.current().info().command().orElse(System.getProperty("java.home") + "/bin/java");
    child = new ProcessBuilder(javaBin, "--enable-native-access=ALL-UNNAMED", "-cp",
        System.getProperty("java.class.path"), ChildMount.class.getName(), mnt.toString())
        .redirectErrorStream(true).start();
    BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<Void> mountedLine = CompletableFuture.runAsync(() -> {
      try {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("mounted ")) {
            return;
          }
        }
        throw new IllegalStateException("child exited before mounting");
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
    mountedLine.get(60, TimeUnit.SECONDS);
    // keep draining so the child never blocks on a full pipe
    Thread.ofVirtual().start(() -> {
      try {
        out.transferTo(java.io.Writer.nullWriter());
      } catch (IOException e) {
        // child gone
      }
    });
    assertTrue(mounted(mnt));
  }

  @Test
  void sigterm_daemonUnmountsCleanly() throws Exception {
    startChild();
    Files.writeString(mnt.resolve("f"), "x");
    child.toHandle().destroy(); // SIGTERM -> shutdown hook -> close()
    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    assertFalse(mounted(mnt));
    assertEquals(List.of(), listNames(mnt)); // the bare directory again
  }

  @Test
  void killedDaemon_leavesEnotconn_forceUnmountClearsIt() throws Exception {
    startChild();
    child.toHandle().destroyForcibly(); // SIGKILL: no unmount
    assertTrue(child.waitFor(60, TimeUnit.SECONDS));
    assertTrue(mounted(mnt), "a killed daemon leaves its mount behind");
    FileSystemException e = assertThrows(FileSystemException.class, () -> Files.readAttributes(mnt,
        "unix:ino"));
    assertTrue(String.valueOf(e.getReason()).contains("Transport endpoint is not connected"), e.toString());
    FuseMount.forceUnmount(mnt);
    assertFalse(mounted(mnt));
    assertEquals(List.of(), listNames(mnt));
  }

  @Test
  void mountThroughFusermount3_receivesTheDeviceOverAUnixSocket() throws Exception {
    assumeTrue(Files.isExecutable(Path.of("/usr/bin/fusermount3")), "Debian package fuse3 not installed");
    try (FuseMount m = FuseMount.mount(mnt, new MemoryFileSystem(),
        TestSupport.config(java.util.Map.of("fuse.mount_method", "fusermount")), "catenatest")) {
      String line = Files.readAllLines(Path.of("/proc/mounts")).stream().filter(l -> l.contains(mnt.toString()))
          .findFirst().orElseThrow();
      assertTrue(line.startsWith("catenatest " + mnt + " fuse.catenatest "), line);
      Files.writeString(mnt.resolve("f"), "through the helper");
      assertEquals("through the helper", Files.readString(mnt.resolve("f")));
      assertEquals(mnt, m.mountpoint());
    }
    assertFalse(mounted(mnt));
  }

  @Test
  void forceUnmount_refusesWhatIsNotAFuseMount() throws Exception {
    CatenaException missing = assertThrows(CatenaException.class,
        () -> FuseMount.forceUnmount(tmp.resolve("nope")));
    assertEquals(Errno.ENOENT, missing.errno());
    CatenaException plain = assertThrows(CatenaException.class, () -> FuseMount.forceUnmount(mnt));
    assertEquals(Errno.EINVAL, plain.errno());
    assertTrue(plain.getMessage().contains("not a mount point"), plain.getMessage());
    Native.mount("tmpfs", mnt.toString(), "tmpfs", 0, "size=1m");
    try {
      CatenaException tmpfs = assertThrows(CatenaException.class, () -> FuseMount.forceUnmount(mnt));
      assertEquals(Errno.EINVAL, tmpfs.errno());
      assertTrue(tmpfs.getMessage().contains("tmpfs mount, not FUSE"), tmpfs.getMessage());
      assertTrue(mounted(mnt));
    } finally {
      assertEquals(0, Native.umount2(mnt.toString(), 0));
    }
  }

  private static List<String> listNames(Path dir) throws IOException {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }
}
