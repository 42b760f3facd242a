package io.catena.fuse;

import static io.catena.fuse.TestSupport.ok;
import static io.catena.fuse.TestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.client.ClientConfig;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The virtual control directory /.catena-virt of a Catena mount, driven with real tools through the kernel. */
class ControlDirTest extends CountingMountTestBase {
  @Test
  void controlDirIsReachableByNameButHiddenFromTheRootListing() throws Exception {
    ok("mkdir", mnt + "/visible");
    String rootListing = ok("ls", "-a", mnt.toString());
    assertTrue(rootListing.contains("visible"), rootListing);
    assertFalse(rootListing.contains(".catena-virt"), rootListing);
    String inside = ok("ls", "-la", virt.toString());
    assertTrue(inside.contains("get-conf") && inside.contains("set-conf"), inside);
    assertFalse(inside.contains("rm-rf"), inside);
    long ino = Long.parseUnsignedLong(ok("stat", "-c", "%i", virt.toString()).trim());
    long fileIno = Long.parseUnsignedLong(ok("stat", "-c", "%i", virt + "/get-conf").trim());
    // Reserved at the top of the id space; meta hands out ids counting up from 16.
    assertTrue(ino > Long.MAX_VALUE - 16 && fileIno > Long.MAX_VALUE - 16, ino + " " + fileIno);
    assertEquals("directory", ok("stat", "-c", "%F", virt.toString()).trim());
  }

  @Test
  void getConfIsTheEffectiveConfigurationAsTomlWithSources() throws Exception {
    String conf = ok("cat", virt + "/get-conf");
    assertTrue(conf.contains("fuse.attr_timeout = \"1s\"  # default"), conf);
    assertTrue(conf.contains("client.write_behind = "), conf);
    // Every non-comment line is key = value: the text parses as TOML.
    for (String line : conf.split("\n")) {
      assertTrue(line.startsWith("#") || line.matches("[a-z_.]+ = .+  # .+"), line);
    }
  }

  @Test
  void setConfChangesLiveKeysAtOnceAndGetConfShowsTheSource() throws Exception {
    ok("sh", "-c", "echo 'fuse.attr_timeout = 5s' > " + virt + "/set-conf");
    ok("sh", "-c", "printf '[client]\\nwrite_behind = \"4MiB\"\\n' > " + virt + "/set-conf");
    assertEquals(Duration.ofSeconds(5), fs.config().get(FuseConfig.ATTR_TIMEOUT));
    assertEquals(4L << 20, fs.config().get(ClientConfig.WRITE_BEHIND).bytes());
    String conf = ok("cat", virt + "/get-conf");
    assertTrue(conf.contains("fuse.attr_timeout = \"5s\"  # set-conf by uid 0"), conf);
    // Files written after the change still read back whole.
    ok("sh", "-c", "seq 1 200000 > " + mnt + "/after && seq 1 200000 | cmp - " + mnt + "/after");
  }

  @Test
  void setConfRefusesUnknownAndRestartOnlyKeysWholeWithEinval() throws Exception {
    TestSupport.Result mixed = shell("/usr/bin/printf 'fuse.attr_timeout = 9s\\nfuse.max_threads = 4\\n' > " + virt
        + "/set-conf");
    assertNotEquals(0, mixed.exit());
    assertTrue(mixed.output().contains("Invalid argument"), mixed.output());
    assertEquals(Duration.ofSeconds(1), fs.config().get(FuseConfig.ATTR_TIMEOUT), "nothing of a refused write applies");
    TestSupport.Result unknown = shell("/bin/echo 'fuse.no_such_key = 1' > " + virt + "/set-conf");
    assertTrue(unknown.output().contains("Invalid argument"), unknown.output());
    TestSupport.Result badValue = shell("/bin/echo 'fuse.attr_timeout = soon' > " + virt + "/set-conf");
    assertTrue(badValue.output().contains("Invalid argument"), badValue.output());
    // meta.* keys are hot in meta's own process, not on a mount.
    TestSupport.Result metaKey = shell("/bin/echo 'meta.max_symlink_follow = 4' > " + virt + "/set-conf");
    assertTrue(metaKey.output().contains("Invalid argument"), metaKey.output());
    assertEquals(Duration.ofSeconds(1), fs.config().get(FuseConfig.ATTR_TIMEOUT));
  }

  @Test
  void onlyRootMayWriteSetConfAndNobodyMayWriteGetConf() throws Exception {
    TestSupport.Result user = run(asUser("sh", "-c", "echo 'fuse.attr_timeout = 3s' > " + virt + "/set-conf"));
    assertNotEquals(0, user.exit());
    assertTrue(user.output().contains("Permission denied"), user.output());
    TestSupport.Result getConf = shell("echo x > " + virt + "/get-conf");
    assertTrue(getConf.output().contains("Permission denied"), getConf.output());
    TestSupport.Result readSet = run("cat", virt + "/set-conf");
    assertNotEquals(0, readSet.exit());
    assertEquals(Duration.ofSeconds(1), fs.config().get(FuseConfig.ATTR_TIMEOUT));
    // Anyone may read get-conf.
    ok(asUser("cat", virt + "/get-conf"));
  }

  @Test
  void attrTimeoutSetLiveDecidesWhetherTheKernelAsksMetaAgain() throws Exception {
    ok("sh", "-c", "echo 'fuse.attr_timeout = 0s' > " + virt + "/set-conf");
    ok("touch", mnt + "/uncached"); // its replies carry the new timeout
    long before = count("getattr") + count("lookup");
    for (int i = 0; i < 5; i++) {
      ok("stat", mnt + "/uncached");
    }
    assertTrue(count("getattr") + count("lookup") - before >= 5, "uncached: every stat asks meta");
    ok("sh", "-c", "printf 'fuse.attr_timeout = 60s\nfuse.entry_timeout = 60s\n' > " + virt + "/set-conf");
    ok("touch", mnt + "/cached");
    ok("stat", mnt + "/cached"); // the mount root's attributes, last fetched with the 0 s timeout
    before = count("getattr") + count("lookup");
    for (int i = 0; i < 5; i++) {
      ok("stat", mnt + "/cached");
    }
    assertEquals(before, count("getattr") + count("lookup"), "cached for 60 s: no stat reaches meta");
  }

  @Test
  void rmRfSymlinkRemovesTheTreeOnTheServerWithoutCreatingTheLink() throws Exception {
    ok("mkdir", "-p", mnt + "/tree/a/b/c");
    for (int i = 0; i < 20; i++) {
      ok("touch", mnt + "/tree/a/b/f" + i);
    }
    ok("ls", "-R", mnt + "/tree"); // the kernel now caches the names
    ok("ln", "-s", mnt + "/tree/a", virt + "/rm-rf");
    assertEquals(1, count("removeRecursive"));
    // Gone at once, although the kernel cached the names for fuse.entry_timeout: the mount dropped them.
    assertFalse(Files.exists(mnt.resolve("tree/a")));
    assertEquals("", ok("ls", "-A", mnt + "/tree").trim());
    CatenaException e = assertThrows(CatenaException.class,
        () -> meta.resolve(UserInfo.ROOT, MetaService.ROOT, "/tree/a", false));
    assertEquals(Errno.ENOENT, e.errno());
    assertFalse(ok("ls", "-A", virt.toString()).contains("rm-rf"));
    // The name is free again: a second removal works the same way.
    ok("mkdir", mnt + "/tree/again");
    ok("ln", "-s", mnt + "/tree/again", virt + "/rm-rf");
    assertFalse(Files.exists(mnt.resolve("tree/again")));
  }

  @Test
  void rmRfErrorsAreSymlinksErrnoAndPermissionsAreMetas() throws Exception {
    TestSupport.Result missing = run("ln", "-s", mnt + "/nothing", virt + "/rm-rf");
    assertTrue(missing.output().contains("No such file or directory"), missing.output());
    TestSupport.Result outside = run("ln", "-s", dir.toString(), virt + "/rm-rf");
    assertTrue(outside.output().contains("Invalid cross-device link"), outside.output());
    TestSupport.Result relative = run("ln", "-s", "tree", virt + "/rm-rf");
    assertTrue(relative.output().contains("Invalid argument"), relative.output());
    TestSupport.Result root = run("ln", "-s", mnt.toString(), virt + "/rm-rf");
    assertNotEquals(0, root.exit());
    TestSupport.Result self = run("ln", "-s", virt.toString(), virt + "/rm-rf");
    assertTrue(self.output().contains("Operation not permitted"), self.output());
    // A user may not remove root's tree: meta checks each removal as the caller.
    ok("mkdir", "-p", mnt + "/shared/rootfiles");
    ok("chmod", "1777", mnt + "/shared");
    ok("touch", mnt + "/shared/rootfiles/x");
    TestSupport.Result denied = run(asUser("ln", "-s", mnt + "/shared/rootfiles", virt + "/rm-rf"));
    assertNotEquals(0, denied.exit());
    assertTrue(denied.output().contains("Permission denied") || denied.output().contains("not permitted"),
        denied.output());
    assertTrue(Files.exists(mnt.resolve("shared/rootfiles/x")));
    // ... but may remove their own.
    ok(asUser("mkdir", "-p", mnt + "/shared/mine/deep"));
    ok(asUser("touch", mnt + "/shared/mine/deep/y"));
    ok(asUser("ln", "-s", mnt + "/shared/mine", virt + "/rm-rf"));
    assertFalse(Files.exists(mnt.resolve("shared/mine")));
  }

  @Test
  void everythingElseInTheControlDirIsRefusedWithAnErrno() throws Exception {
    String[][] refused = {
        {"touch", virt + "/new"},
        {"mkdir", virt + "/sub"},
        {"rm", "-f", virt + "/get-conf"},
        {"mv", virt + "/get-conf", virt + "/other"},
        {"mv", virt + "/get-conf", mnt + "/stolen"},
        {"ln", virt + "/get-conf", mnt + "/hard"},
        {"ln", "-s", "x", virt + "/other-link"},
        {"rmdir", virt.toString()},
        {"mv", virt.toString(), mnt + "/renamed"},
        {"chmod", "777", virt + "/get-conf"},
        {"setfattr", "-n", "user.k", "-v", "v", virt + "/get-conf"},
    };
    for (String[] cmd : refused) {
      TestSupport.Result r = run(cmd);
      assertNotEquals(0, r.exit(), String.join(" ", cmd));
      assertTrue(r.output().contains("Operation not permitted") || r.output().contains("Permission denied")
          || r.output().contains("No such file"), String.join(" ", cmd) + ": " + r.output());
    }
    TestSupport.Result mk = run("mkdir", virt.toString());
    assertTrue(mk.output().contains("File exists"), mk.output());
    assertTrue(Files.isDirectory(virt));
    ok("cat", virt + "/get-conf");
    assertTrue(mount.threads() > 0, "the mount still serves");
  }

  @Test
  void securityXattrsAreAnsweredByTheMountUnlessEnabled() throws Exception {
    ok("touch", mnt + "/f");
    long before = count("getxattr");
    TestSupport.Result r = run("getfattr", "-n", "security.selinux", mnt + "/f");
    assertTrue(r.output().contains("Operation not supported"), r.output());
    assertEquals(before, count("getxattr"), "no meta round trip for security.*");
    ok("setfattr", "-n", "user.k", "-v", "v", mnt + "/f");
    assertTrue(ok("getfattr", "-n", "user.k", mnt + "/f").contains("user.k=\"v\""));
    ok("sh", "-c", "echo 'fuse.security_xattrs = true' > " + virt + "/set-conf");
    ok("setfattr", "-n", "security.test", "-v", "s", mnt + "/f");
    assertTrue(ok("getfattr", "-n", "security.test", mnt + "/f").contains("security.test=\"s\""));
  }
}
