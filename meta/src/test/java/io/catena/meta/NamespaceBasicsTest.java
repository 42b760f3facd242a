package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class NamespaceBasicsTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void formatTwice_keepsTheFirstRoot() {
    assertFalse(f.meta.format(0700));
    Inode root = m.getattr(ROOT, MetaService.ROOT);
    assertEquals(0755, root.mode());
    assertEquals(InodeType.DIRECTORY, root.type());
  }

  @Test
  void createdFile_isFoundByLookupWithCallerAsOwner() {
    Inode c = f.file(ALICE, tmp, "a.txt", 0644);
    Inode l = m.lookup(ALICE, tmp, "a.txt");
    assertEquals(c, l);
    assertEquals(InodeType.FILE, l.type());
    assertEquals(0644, l.mode());
    assertEquals(1000, l.uid());
    assertEquals(1000, l.gid());
    assertEquals(1, l.nlink());
    assertEquals(0100644, l.stMode());
    assertEquals(l, m.getattr(BOB, l.id()));
  }

  @Test
  void lookupOfMissingName_failsWithEnoent() {
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "nope"));
  }

  @Test
  void lookupInAFile_failsWithEnotdir() {
    Inode c = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENOTDIR, () -> m.lookup(ALICE, c.id(), "x"));
  }

  @Test
  void lookupOfDotAndDotDot_givesTheDirectoryAndItsParent() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    assertEquals(d.id(), m.lookup(ALICE, d.id(), ".").id());
    assertEquals(tmp, m.lookup(ALICE, d.id(), "..").id());
    assertEquals(MetaService.ROOT, m.lookup(ALICE, MetaService.ROOT, "..").id());
  }

  @Test
  void createWithOExclOnExistingName_failsWithEexist() {
    f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EEXIST, () -> m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null));
  }

  @Test
  void createWithoutOExclOnExistingName_opensTheExistingFile() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    OpenResult r = m.create(ALICE, tmp, "a", 0600, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c", null);
    assertEquals(a.id(), r.inode().id());
    assertEquals(0644, r.inode().mode());
    assertNotEquals(0, r.sessionId());
  }

  @Test
  void createOverExistingDirectoryForWriting_failsWithEisdir() {
    m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EISDIR, () -> m.create(ALICE, tmp, "d", 0644, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, "c", null));
  }

  @Test
  void mkdir_setsNlinkTwoAndRaisesParentNlink() {
    long before = m.getattr(ROOT, tmp).nlink();
    Inode d = m.mkdir(ALICE, tmp, "d", 0750, null);
    assertEquals(2, d.nlink());
    assertEquals(0750, d.mode());
    assertEquals(before + 1, m.getattr(ROOT, tmp).nlink());
    m.mkdir(ALICE, d.id(), "e", 0750, null);
    m.mkdir(ALICE, d.id(), "f", 0750, null);
    f.file(ALICE, d.id(), "g", 0644);
    assertEquals(4, m.getattr(ROOT, d.id()).nlink());
  }

  @Test
  void mkdirOfExistingName_failsWithEexist() {
    f.file(ALICE, tmp, "x", 0644);
    expect(Errno.EEXIST, () -> m.mkdir(ALICE, tmp, "x", 0755, null));
  }

  @Test
  void mkdirInMissingParent_failsWithEnoent() {
    expect(Errno.ENOENT, () -> m.mkdir(ROOT, 999_999, "x", 0755, null));
  }

  @Test
  void rmdirOfNonEmptyDirectory_failsWithEnotempty() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    f.file(ALICE, d.id(), "x", 0644);
    expect(Errno.ENOTEMPTY, () -> m.rmdir(ALICE, tmp, "d", null));
  }

  @Test
  void rmdirOfEmptyDirectory_removesItAndLowersParentNlink() {
    long before = m.getattr(ROOT, tmp).nlink();
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.rmdir(ALICE, tmp, "d", null);
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "d"));
    expect(Errno.ENOENT, () -> m.getattr(ALICE, d.id()));
    assertEquals(before, m.getattr(ROOT, tmp).nlink());
    f.assertConsistent();
  }

  @Test
  void rmdirOfAFile_failsWithEnotdir() {
    f.file(ALICE, tmp, "x", 0644);
    expect(Errno.ENOTDIR, () -> m.rmdir(ALICE, tmp, "x", null));
  }

  @Test
  void rmdirOfDotAndDotDot_failWithEinvalAndEnotempty() {
    expect(Errno.EINVAL, () -> m.rmdir(ALICE, tmp, ".", null));
    expect(Errno.ENOTEMPTY, () -> m.rmdir(ALICE, tmp, "..", null));
  }

  @Test
  void unlinkOfADirectory_failsWithEisdir() {
    m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EISDIR, () -> m.unlink(ALICE, tmp, "d", null));
  }

  @Test
  void unlinkOfMissingName_failsWithEnoent() {
    expect(Errno.ENOENT, () -> m.unlink(ALICE, tmp, "nope", null));
  }

  @Test
  void unlink_removesTheNameAndUpdatesParentTimes() {
    f.file(ALICE, tmp, "x", 0644);
    f.tick();
    long t = f.meta.context().nowNanos();
    m.unlink(ALICE, tmp, "x", null);
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "x"));
    Inode p = m.getattr(ROOT, tmp);
    assertEquals(t, p.mtime());
    assertEquals(t, p.ctime());
    f.assertConsistent();
  }

  @Test
  void create_setsAllThreeTimesAndTouchesParentMtimeAndCtime() {
    f.tick();
    long t = f.meta.context().nowNanos();
    Inode a = f.file(ALICE, tmp, "a", 0644);
    assertEquals(t, a.atime());
    assertEquals(t, a.mtime());
    assertEquals(t, a.ctime());
    Inode p = m.getattr(ROOT, tmp);
    assertEquals(t, p.mtime());
    assertEquals(t, p.ctime());
  }

  @Test
  void readdir_listsEntriesInNameOrderAcrossPages() {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < 25; k++) {
      String n = String.format("f%02d", k);
      names.add(n);
      f.file(ALICE, tmp, n, 0644);
    }
    m.mkdir(ALICE, tmp, "zdir", 0755, null);
    names.add("zdir");
    List<String> seen = new ArrayList<>();
    String cursor = null;
    boolean more = true;
    int pages = 0;
    while (more) {
      ReaddirPage p = m.readdir(ALICE, tmp, cursor, 10, false);
      p.entries().forEach(e -> seen.add(e.name()));
      assertTrue(p.attrs().isEmpty());
      cursor = p.cursor();
      more = p.more();
      pages++;
    }
    assertEquals(names, seen);
    assertEquals(3, pages);
    ReaddirPage last = m.readdir(ALICE, tmp, "f24", 10, true);
    assertEquals(1, last.entries().size());
    assertEquals(InodeType.DIRECTORY, last.entries().getFirst().type());
    assertEquals(last.entries().getFirst().ino(), last.attrs().getFirst().id());
  }

  @Test
  void readdirOfAFile_failsWithEnotdir() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENOTDIR, () -> m.readdir(ALICE, a.id(), null, 10, false));
  }

  @Test
  void readdirWithoutReadPermission_failsWithEacces() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0711, null);
    expect(Errno.EACCES, () -> m.readdir(BOB, d.id(), null, 10, false));
  }

  @Test
  void batchGetattr_returnsEmptySlotsForUnknownIds() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    List<Optional<Inode>> r = m.batchGetattr(ALICE, List.of(a.id(), 123_456_789L, tmp));
    assertEquals(Optional.of(a), r.get(0));
    assertTrue(r.get(1).isEmpty());
    assertEquals(tmp, r.get(2).orElseThrow().id());
  }

  @Test
  void statfs_reportsStorageSpaceAndNameMax() {
    StatFs s = m.statfs(ALICE);
    assertEquals(1L << 40, s.capacityBytes());
    assertEquals(1L << 39, s.freeBytes());
    assertEquals(255, s.maxNameLength());
    assertTrue(s.usedInodes() > 0);
  }

  @Test
  void getattrOfUnknownInode_failsWithEnoent() {
    expect(Errno.ENOENT, () -> m.getattr(ALICE, 77_777_777L));
  }
}
