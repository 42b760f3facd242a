package io.catena.fuse;

import io.catena.meta.client.MetaClientConfig;
import static io.catena.fuse.TestSupport.ok;
import static io.catena.fuse.TestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.client.FileLayoutIo;
import io.catena.client.InMemoryChunks;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.fuse.catena.CatenaFileSystem;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.ChainTableSource;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.store.KvMetaService;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Catena's namespace and data path behind a real FUSE mount (meta on mem://, chunks in memory). */
class CatenaMountTest {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(1L, 2L, 3L, 4L));

  @TempDir
  Path dir;

  private KvEngine kv;
  private InMemoryChunks chunks;
  private KvMetaService meta;
  private FileLayoutIo fileIo;
  private Path mnt;

  @BeforeEach
  void setUp() throws Exception {
    kv = new MemKvEngine();
    chunks = new InMemoryChunks();
    Config config = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class))
        .withUpdates(Map.of("meta.default_chunk_size", "256KiB", "meta.default_stripe_size", "4"), "test", false);
    meta = new KvMetaService(TransactionRunner.withDefaults(kv), Clock.systemUTC(), config,
        ChainTableSource.fixed(TABLE), chunks);
    meta.format(0755);
    fileIo = new FileLayoutIo(chunks, new ManualRoutingSource(
        new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(TABLE))));
    // Non-root callers must be able to reach the mount point, or their refusals would come from /tmp, not from meta.
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
  }

  @AfterEach
  void tearDown() throws Exception {
    if (TestSupport.mounted(mnt)) {
      FuseMount.forceUnmount(mnt);
    }
    kv.close();
  }

  private FuseMount mount(String clientId) {
    return FuseMount.mount(mnt, new CatenaFileSystem(meta, fileIo, clientId), TestSupport.config(Map.of()));
  }

  @Test
  void filesWrittenWithRealToolsReadBackIdenticallyAfterRemount() throws Exception {
    byte[] data = new byte[5 * 1024 * 1024 + 12345];
    new Random(7).nextBytes(data);
    Path src = Files.write(dir.resolve("src.bin"), data);
    try (FuseMount m = mount("c1")) {
      ok("mkdir", "-p", mnt + "/a/b");
      ok("cp", src.toString(), mnt + "/a/b/data.bin");
      ok("mv", mnt + "/a/b/data.bin", mnt + "/a/data.bin");
      assertEquals(data.length, Files.size(mnt.resolve("a/data.bin")));
      ok("cmp", src.toString(), mnt + "/a/data.bin");
      ok("ln", "-s", "data.bin", mnt + "/a/link");
      assertEquals("data.bin", Files.readSymbolicLink(mnt.resolve("a/link")).toString());
      String ls = ok("ls", "-la", mnt + "/a");
      assertTrue(ls.contains("data.bin") && ls.contains("link -> data.bin") && ls.contains(" b"), ls);
    }
    assertFalse(TestSupport.mounted(mnt));
    // The namespace and the recorded length outlive the mount: meta holds them, not the daemon.
    assertEquals(data.length, meta.resolve(io.catena.meta.UserInfo.ROOT, 0, "/a/data.bin", true).length());
    try (FuseMount m = mount("c2")) {
      ok("cmp", src.toString(), mnt + "/a/link");
      ok("rm", "-r", mnt + "/a");
      assertFalse(Files.exists(mnt.resolve("a")));
    }
  }

  @Test
  void callerIdentityReachesMetaPermissionChecks() throws Exception {
    try (FuseMount m = mount("c1")) {
      ok("mkdir", mnt + "/rootonly");
      ok("chmod", "755", mnt + "/rootonly");
      ok("mkdir", mnt + "/shared");
      ok("chmod", "1777", mnt + "/shared");
      TestSupport.Result denied = run("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "touch",
          mnt + "/rootonly/x");
      assertNotEquals(0, denied.exit());
      assertTrue(denied.output().contains("Permission denied"), denied.output());
      ok("setpriv", "--reuid=1000", "--regid=1000", "--clear-groups", "touch", mnt + "/shared/mine");
      String owner = ok("stat", "-c", "%u:%g", mnt + "/shared/mine").trim();
      assertEquals("1000:1000", owner);
      // Sticky directory: another user may not remove it.
      TestSupport.Result sticky = run("setpriv", "--reuid=1001", "--regid=1001", "--clear-groups", "rm", "-f",
          mnt + "/shared/mine");
      assertNotEquals(0, sticky.exit(), sticky.output());
      assertTrue(Files.exists(mnt.resolve("shared/mine")));
    }
  }

  @Test
  void appendsTruncatesAndSparseFilesBehaveLikeALocalFileSystem() throws Exception {
    try (FuseMount m = mount("c1")) {
      Path f = mnt.resolve("log.txt");
      Files.writeString(f, "one\n");
      Files.writeString(f, "two\n", java.nio.file.StandardOpenOption.APPEND);
      assertEquals("one\ntwo\n", Files.readString(f));
      ok("truncate", "-s", "2", f.toString());
      assertEquals("on", Files.readString(f));
      ok("truncate", "-s", "1000000", f.toString());
      byte[] grown = Files.readAllBytes(f);
      assertEquals(1_000_000, grown.length);
      assertEquals('n', grown[1]);
      for (int i = 2; i < grown.length; i++) {
        if (grown[i] != 0) {
          throw new AssertionError("byte " + i + " after truncate-up is " + grown[i]);
        }
      }
      ok("dd", "if=/dev/zero", "of=" + mnt + "/sparse", "bs=1", "count=1", "seek=3000000", "conv=notrunc",
          "status=none");
      assertEquals(3_000_001, Files.size(mnt.resolve("sparse")));
    }
  }

  @Test
  void readsUpdateAtimeUnderRelatimeOncePerNeed() throws Exception {
    try (FuseMount m = mount("c1")) {
      Path f = mnt.resolve("atime.txt");
      Files.writeString(f, "hello\n");
      ok("touch", "-m", "-d", "@2000", f.toString());
      ok("touch", "-a", "-d", "@1000", f.toString());
      assertEquals("hello\n", ok("cat", f.toString()));
      long first = Long.parseLong(ok("stat", "-c", "%X", f.toString()).trim());
      assertTrue(first > 2000, "an atime older than mtime moves to now on read: " + first);
      // Not due while atime is after mtime and ctime and less than a day old: a read leaves it.
      long ahead = first + 100;
      ok("touch", "-a", "-d", "@" + ahead, f.toString());
      assertEquals("hello\n", ok("cat", f.toString()));
      assertEquals(ahead, Long.parseLong(ok("stat", "-c", "%X", f.toString()).trim()));
    }
  }

  @Test
  void relatimeOffLeavesAtimeAlone() throws Exception {
    try (FuseMount m = FuseMount.mount(mnt, new CatenaFileSystem(meta, fileIo, "c1", configWithRelatime(false)),
        TestSupport.config(Map.of()))) {
      Path f = mnt.resolve("noatime.txt");
      Files.writeString(f, "x");
      ok("touch", "-a", "-d", "@1000", f.toString());
      ok("cat", f.toString());
      assertEquals("1000", ok("stat", "-c", "%X", f.toString()).trim());
    }
  }

  private static Config configWithRelatime(boolean on) {
    return Config.defaults(ConfigSchema.fromHolders(FuseConfig.class, io.catena.client.ClientConfig.class))
        .withUpdates(Map.of("fuse.relatime", Boolean.toString(on)), "test", false);
  }
}
