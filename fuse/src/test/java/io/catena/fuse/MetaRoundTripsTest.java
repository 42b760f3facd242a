package io.catena.fuse;

import static io.catena.fuse.TestSupport.ok;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * How many meta calls common tools cost through a Catena mount: the round trips the metadata benchmark pays for, pinned
 * so a change that adds one per entry shows up here rather than only as a slower benchmark.
 */
class MetaRoundTripsTest extends CountingMountTestBase {
  @Test
  void lsLongOfALargeDirectoryReadsItInPagesWithoutPerEntryCalls() throws Exception {
    Path big = Files.createDirectory(mnt.resolve("big"));
    for (int i = 0; i < 3000; i++) {
      meta.create(UserInfo.ROOT, meta.resolve(UserInfo.ROOT, MetaService.ROOT, "/big", true).id(), "f" + i, 0644,
          io.catena.meta.OpenFlags.O_CREAT | io.catena.meta.OpenFlags.O_RDONLY, "c1", null);
    }
    resetCounts();
    String out = ok("ls", "-l", big.toString());
    assertEquals(3001, out.split("\n").length, "total line + 3000 entries");
    // Pages of meta.readdir_page_size (256 by default) entries with their attributes, never a call per entry.
    assertTrue(count("readdir") <= 3000 / 256 + 1, "readdir calls: " + counts());
    // ls asks security.selinux of every entry (the mount answers) and system.posix_acl_access of the directory.
    assertTrue(count("getxattr") <= 1, "getxattr calls: " + counts());
    assertTrue(count("getattr") + count("lookup") <= 4, "no per-entry attribute calls: " + counts());
  }

  @Test
  void statOfANewFileIsServedFromTheCreateReply() throws Exception {
    ok("touch", mnt + "/f");
    ok("stat", mnt.toString()); // creating invalidated the parent's attributes (its mtime moved)
    resetCounts();
    ok("stat", mnt + "/f");
    assertEquals(0, count("getattr") + count("lookup"), "cached for fuse.attr_timeout: " + counts());
  }

  @Test
  void loopsOfCreatesAndRemovesInOneDirectory_doNotAskMetaForTheDirectoryAfterEachChange() throws Exception {
    Path dir = Files.createDirectory(mnt.resolve("loop"));
    ok("touch", dir + "/warm");
    resetCounts();
    int n = 50;
    for (int i = 0; i < n; i++) {
      Files.newOutputStream(dir.resolve("f" + i)).close();
    }
    assertEquals(n, count("create"), counts());
    // The kernel drops the directory's attributes on every create and asks again before the next path walk; the
    // create's answer carried them, so at most the first walk asks meta.
    assertTrue(count("getattr") <= 1, "getattr calls for " + n + " creates: " + counts());
    resetCounts();
    for (int i = 0; i < n; i++) {
      Files.delete(dir.resolve("f" + i));
    }
    assertEquals(n, count("unlink"), counts());
    assertTrue(count("getattr") <= 1, "getattr calls for " + n + " removes: " + counts());
    ok("mkdir", dir + "/sub"); // a change whose answer has no directory attributes: the next walk asks
    resetCounts();
    assertTrue(ok("stat", "-c", "%h", dir.toString()).strip().equals("3"), "links after mkdir");
    assertEquals(1, count("getattr"), counts());
  }

  @Test
  void writesDoNotAskMetaForSecurityCapabilities() throws Exception {
    resetCounts();
    ok("dd", "if=/dev/zero", "of=" + mnt + "/w", "bs=4k", "count=100", "status=none");
    // The kernel asks security.capability before every write(2); the mount answers without meta.
    assertEquals(0, count("getxattr"), counts());
  }
}
