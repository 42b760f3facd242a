package io.catena.fuse;

import static io.catena.fuse.TestSupport.ok;
import static io.catena.fuse.TestSupport.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.meta.MetaService;
import io.catena.meta.TrashEntry;
import io.catena.meta.UserInfo;
import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * /.catena-virt/trash through the kernel: a file removed with rm shows there as ID|path, to its owner and root only,
 * with its size and owner; it cannot be opened; rm of the entry purges it; a restore brings the content back.
 */
class TrashDirMountTest extends CountingMountTestBase {
  @Test
  void removedFilesAreListedToTheirOwner_andRmOfAnEntryPurgesIt() throws Exception {
    ok("mkdir", "-m", "777", mnt + "/d");
    long d = meta.lookup(UserInfo.ROOT, MetaService.ROOT, "d").id();
    meta.trash().setTrashTime(UserInfo.ROOT, d, 3600, false);
    ok(asUser("sh", "-c", "seq 1 50000 > " + mnt + "/d/kept && seq 1 10 > " + mnt + "/d/gone"));
    String want = ok("cat", mnt + "/d/kept");
    ok(asUser("rm", mnt + "/d/kept", mnt + "/d/gone"));
    assertFalse(Files.exists(mnt.resolve("d/kept")));

    List<TrashEntry> entries = meta.trash().listTrash(UserInfo.ROOT, -1, 10);
    assertEquals(2, entries.size());
    TrashEntry kept = entries.stream().filter(e -> e.path().equals("/d/kept")).findFirst().orElseThrow();
    TrashEntry gone = entries.stream().filter(e -> e.path().equals("/d/gone")).findFirst().orElseThrow();
    String keptName = kept.id() + "|d|kept";
    String goneName = gone.id() + "|d|gone";

    assertTrue(ok("ls", "-a", virt.toString()).contains("trash"));
    String mine = ok(asUser("ls", virt + "/trash"));
    assertTrue(mine.contains(keptName) && mine.contains(goneName), mine);
    assertTrue(ok("ls", virt + "/trash").contains(keptName), "root sees everyone's");
    String other = ok("setpriv", "--reuid=1001", "--regid=1001", "--clear-groups", "ls", virt + "/trash");
    assertEquals("", other.trim(), "another user sees none of them");
    String stat = ok("stat", "-c", "%s %u %F", virt + "/trash/" + keptName).trim();
    assertEquals(want.length() + " 1000 regular file", stat);

    TestSupport.Result cat = run("cat", virt + "/trash/" + keptName);
    assertNotEquals(0, cat.exit());
    assertTrue(cat.output().contains("Permission denied"), cat.output());
    TestSupport.Result foreignRm = run("setpriv", "--reuid=1001", "--regid=1001", "--clear-groups", "rm", "-f",
        virt + "/trash/" + goneName);
    assertTrue(meta.trash().listTrash(UserInfo.ROOT, -1, 10).size() == 2, foreignRm.output());
    ok(asUser("rm", virt + "/trash/" + goneName));
    assertEquals(List.of(kept.id()), meta.trash().listTrash(UserInfo.ROOT, -1, 10).stream().map(TrashEntry::id)
        .toList());

    meta.trash().restore(UserInfo.ROOT, kept.id(), null);
    assertEquals(want, ok("cat", mnt + "/d/kept"));
    assertEquals("", ok("ls", virt + "/trash").trim());
  }
}
