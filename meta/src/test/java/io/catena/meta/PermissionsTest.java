package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.CAROL;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

class PermissionsTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void createInDirectoryWithoutWritePermission_failsWithEacces() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EACCES, () -> m.create(BOB, d.id(), "x", 0644, OpenFlags.O_CREAT, "c", null));
    expect(Errno.EACCES, () -> m.mkdir(BOB, d.id(), "x", 0755, null));
  }

  @Test
  void lookupWithoutSearchPermission_failsWithEacces() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0766, null);
    f.file(ALICE, d.id(), "x", 0644);
    expect(Errno.EACCES, () -> m.lookup(BOB, d.id(), "x"));
    assertDoesNotThrow(() -> m.lookup(ALICE, d.id(), "x"));
    assertDoesNotThrow(() -> m.lookup(ROOT, d.id(), "x"));
  }

  @Test
  void groupBits_applyToSupplementaryGroupsAndOwnerBitsExcludeOwnerFromGroup() {
    Inode a = f.file(ALICE, tmp, "a", 0464);
    expect(Errno.EACCES, () -> m.open(ALICE, a.id(), OpenFlags.O_WRONLY, "c")); // owner class applies alone
    assertDoesNotThrow(() -> m.open(CAROL, a.id(), OpenFlags.O_RDWR, "c")); // group 1000 is supplementary
    expect(Errno.EACCES, () -> m.open(BOB, a.id(), OpenFlags.O_WRONLY, "c"));
    assertDoesNotThrow(() -> m.open(BOB, a.id(), OpenFlags.O_RDONLY, "c"));
  }

  @Test
  void root_readsAndWritesAnythingButExecutesOnlyWithSomeXBit() {
    Inode a = f.file(ALICE, tmp, "a", 0000);
    assertDoesNotThrow(() -> m.open(ROOT, a.id(), OpenFlags.O_RDWR, "c"));
    expect(Errno.EACCES, () -> m.access(ROOT, a.id(), Access.X_OK));
    m.setattr(ALICE, a.id(), SetAttr.chmod(0001));
    assertDoesNotThrow(() -> m.access(ROOT, a.id(), Access.X_OK));
    Inode d = m.mkdir(ALICE, tmp, "d", 0000, null);
    assertDoesNotThrow(() -> m.access(ROOT, d.id(), Access.X_OK | Access.R_OK | Access.W_OK));
  }

  @Test
  void access_reportsEachMaskBit() {
    Inode a = f.file(ALICE, tmp, "a", 0640);
    assertDoesNotThrow(() -> m.access(ALICE, a.id(), Access.R_OK | Access.W_OK));
    expect(Errno.EACCES, () -> m.access(ALICE, a.id(), Access.X_OK));
    assertDoesNotThrow(() -> m.access(CAROL, a.id(), Access.R_OK));
    expect(Errno.EACCES, () -> m.access(CAROL, a.id(), Access.W_OK));
    expect(Errno.EACCES, () -> m.access(BOB, a.id(), Access.R_OK));
    assertDoesNotThrow(() -> m.access(BOB, a.id(), Access.F_OK));
    expect(Errno.EINVAL, () -> m.access(BOB, a.id(), 8));
  }

  @Test
  void stickyDirectory_letsOnlyOwnersRemoveOrRenameEntries() {
    Inode t = m.mkdir(ROOT, MetaService.ROOT, "sticky", 01777, null);
    m.setattr(ROOT, t.id(), SetAttr.chmod(01777));
    f.file(ALICE, t.id(), "alices", 0666);
    expect(Errno.EPERM, () -> m.unlink(BOB, t.id(), "alices", null));
    expect(Errno.EPERM, () -> m.rename(BOB, t.id(), "alices", t.id(), "mine", 0, null));
    f.file(BOB, t.id(), "bobs", 0666);
    expect(Errno.EPERM, () -> m.rename(BOB, t.id(), "bobs", t.id(), "alices", 0, null)); // replacing alice's
    assertDoesNotThrow(() -> m.unlink(ROOT, t.id(), "bobs", null));
    assertDoesNotThrow(() -> m.unlink(ALICE, t.id(), "alices", null));
    Inode owned = m.mkdir(BOB, tmp, "bobsticky", 01777, null);
    f.file(ALICE, owned.id(), "x", 0644);
    assertDoesNotThrow(() -> m.unlink(BOB, owned.id(), "x", null)); // the directory's owner may
  }

  @Test
  void setgidDirectory_passesItsGroupToFilesAndItsSetgidBitToSubdirectories() {
    Inode d = m.mkdir(ALICE, tmp, "shared", 0777, null);
    m.setattr(ALICE, d.id(), new SetAttr(02777, null, null, null, null, null, null));
    Inode file = f.file(BOB, d.id(), "f", 0644);
    assertEquals(1000, file.gid());
    assertEquals(0644, file.mode());
    Inode sub = m.mkdir(BOB, d.id(), "sub", 0755, null);
    assertEquals(1000, sub.gid());
    assertEquals(02755, sub.mode());
    Inode fifo = m.mknod(BOB, d.id(), "p", InodeType.FIFO.ifmt() | 02644, 0, null);
    assertEquals(0644, fifo.mode()); // bob is not in group 1000: sgid dropped
  }

  @Test
  void chmodByNonOwner_failsWithEperm() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EPERM, () -> m.setattr(BOB, a.id(), SetAttr.chmod(0777)));
    assertEquals(0600, m.setattr(ALICE, a.id(), SetAttr.chmod(0600)).mode());
    assertEquals(0700, m.setattr(ROOT, a.id(), SetAttr.chmod(0700)).mode());
  }

  @Test
  void chmodSetgidByOwnerOutsideTheGroup_dropsTheSetgidBit() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.setattr(ROOT, a.id(), SetAttr.chown(null, 3000));
    assertEquals(0755, m.setattr(ALICE, a.id(), SetAttr.chmod(02755)).mode());
    assertEquals(02755, m.setattr(ROOT, a.id(), SetAttr.chmod(02755)).mode());
  }

  @Test
  void chownToAnotherUser_isRootsAlone() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EPERM, () -> m.setattr(ALICE, a.id(), SetAttr.chown(1001, null)));
    expect(Errno.EPERM, () -> m.setattr(BOB, a.id(), SetAttr.chown(1001, null)));
    assertEquals(1001, m.setattr(ROOT, a.id(), SetAttr.chown(1001, null)).uid());
  }

  @Test
  void chownToOwnUidByOwner_isAllowedAndByOthersNot() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    assertDoesNotThrow(() -> m.setattr(ALICE, a.id(), SetAttr.chown(1000, null)));
    expect(Errno.EPERM, () -> m.setattr(BOB, a.id(), SetAttr.chown(1000, null)));
  }

  @Test
  void chgrp_byOwnerOnlyToGroupsTheOwnerIsIn() {
    Inode b = f.file(BOB, tmp, "b", 0644);
    assertEquals(3000, m.setattr(BOB, b.id(), SetAttr.chown(null, 3000)).gid());
    expect(Errno.EPERM, () -> m.setattr(BOB, b.id(), SetAttr.chown(null, 4000)));
    expect(Errno.EPERM, () -> m.setattr(ALICE, b.id(), SetAttr.chown(null, 1000)));
    assertEquals(4000, m.setattr(ROOT, b.id(), SetAttr.chown(null, 4000)).gid());
  }

  @Test
  void chown_clearsSuidAndExecutableSgidOfFilesEvenForRoot() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.setattr(ALICE, a.id(), SetAttr.chmod(06755));
    assertEquals(0755, m.setattr(ROOT, a.id(), SetAttr.chown(1001, null)).mode());
    Inode b = f.file(ALICE, tmp, "b", 0644);
    m.setattr(ALICE, b.id(), SetAttr.chmod(06745)); // sgid without group x: a mandatory-lock marker, kept
    assertEquals(02745, m.setattr(ALICE, b.id(), SetAttr.chown(null, 1000)).mode());
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.setattr(ALICE, d.id(), SetAttr.chmod(02755));
    assertEquals(02755, m.setattr(ROOT, d.id(), SetAttr.chown(1001, null)).mode());
  }

  @Test
  void truncateByNonRootWriter_clearsSuid() {
    Inode a = f.file(ALICE, tmp, "a", 0666);
    m.setattr(ALICE, a.id(), SetAttr.chmod(04666));
    assertEquals(0666, m.setattr(BOB, a.id(), SetAttr.truncate(10)).mode());
  }

  @Test
  void writeByNonRoot_clearsSuidAtSyncButRootsWriteKeepsIt() {
    Inode a = f.file(ALICE, tmp, "a", 0666);
    m.setattr(ALICE, a.id(), SetAttr.chmod(04666));
    OpenResult r = m.open(ROOT, a.id(), OpenFlags.O_WRONLY, "c");
    assertEquals(04666, m.close(ROOT, a.id(), r.sessionId(), true).mode());
    OpenResult w = m.open(BOB, a.id(), OpenFlags.O_WRONLY, "c");
    assertEquals(0666, m.close(BOB, a.id(), w.sessionId(), true).mode());
  }

  @Test
  void utimensNow_isAllowedToWritersAndExplicitTimesOnlyToTheOwner() {
    Inode a = f.file(ALICE, tmp, "a", 0666);
    f.tick();
    long now = f.meta.context().nowNanos();
    Inode t = m.setattr(BOB, a.id(), SetAttr.times(SetAttr.UTIME_NOW, SetAttr.UTIME_NOW));
    assertEquals(now, t.atime());
    assertEquals(now, t.mtime());
    assertEquals(now, t.ctime());
    expect(Errno.EPERM, () -> m.setattr(BOB, a.id(), SetAttr.times(5L, 6L)));
    Inode own = m.setattr(ALICE, a.id(), SetAttr.times(5L, null));
    assertEquals(5L, own.atime());
    assertEquals(now, own.mtime()); // UTIME_OMIT
    Inode ro = f.file(ALICE, tmp, "ro", 0644);
    expect(Errno.EACCES, () -> m.setattr(BOB, ro.id(), SetAttr.times(SetAttr.UTIME_NOW, SetAttr.UTIME_NOW)));
    assertDoesNotThrow(() -> m.setattr(ROOT, ro.id(), SetAttr.times(1L, 2L)));
  }

  @Test
  void chmod_changesCtimeOnly() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    f.tick();
    Inode c = m.setattr(ALICE, a.id(), SetAttr.chmod(0600));
    assertEquals(a.mtime(), c.mtime());
    assertEquals(a.atime(), c.atime());
    assertEquals(f.meta.context().nowNanos(), c.ctime());
  }

  @Test
  void chmodOfDirectory_updatesTheEntrysPermissionCopy() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.setattr(ALICE, d.id(), SetAttr.chmod(0700));
    m.setattr(ROOT, d.id(), SetAttr.chown(1001, 1001));
    f.assertConsistent();
  }

  @Test
  void renameOfDirectoryToAnotherParent_needsWritePermissionOnTheDirectory() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0555, null);
    Inode other = m.mkdir(ALICE, tmp, "o", 0777, null);
    expect(Errno.EACCES, () -> m.rename(ALICE, tmp, "d", other.id(), "d", 0, null));
    assertDoesNotThrow(() -> m.rename(ALICE, tmp, "d", tmp, "d2", 0, null)); // same parent: ".." unchanged
    assertDoesNotThrow(() -> m.rename(ROOT, tmp, "d2", other.id(), "d", 0, null));
    assertEquals(other.id(), m.getattr(ALICE, d.id()).parent());
  }

  @Test
  void openWithOTruncWithoutWritePermission_failsWithEacces() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EACCES, () -> m.open(BOB, a.id(), OpenFlags.O_RDONLY | OpenFlags.O_TRUNC, "c"));
  }
}
