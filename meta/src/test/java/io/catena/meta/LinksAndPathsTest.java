package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

class LinksAndPathsTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void hardLink_addsANameAndRaisesNlink() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    f.tick();
    Inode l = m.link(ALICE, a.id(), tmp, "b", null);
    assertEquals(2, l.nlink());
    assertEquals(f.meta.context().nowNanos(), l.ctime());
    assertEquals(a.id(), m.lookup(ALICE, tmp, "b").id());
    m.unlink(ALICE, tmp, "a", null);
    assertEquals(1, m.getattr(ALICE, a.id()).nlink());
    f.assertConsistent();
  }

  @Test
  void hardLinkToDirectory_failsWithEperm() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    f.expectNothingWritten(Errno.EPERM, () -> m.link(ALICE, d.id(), tmp, "d2", null));
  }

  @Test
  void hardLinkOntoExistingName_failsWithEexist() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    f.file(ALICE, tmp, "b", 0644);
    expect(Errno.EEXIST, () -> m.link(ALICE, a.id(), tmp, "b", null));
  }

  @Test
  void hardLinkToUnlinkedInode_failsWithEnoent() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.unlink(ALICE, tmp, "a", null);
    expect(Errno.ENOENT, () -> m.link(ALICE, a.id(), tmp, "back", null));
  }

  @Test
  void symlink_storesTargetAndReadlinkReturnsIt() {
    Inode s = m.symlink(ALICE, tmp, "s", "../some/where", null);
    assertEquals(InodeType.SYMLINK, s.type());
    assertEquals(0777, s.mode());
    assertEquals("../some/where".length(), s.length());
    assertEquals("../some/where", m.readlink(BOB, s.id()));
  }

  @Test
  void readlinkOfNonSymlink_failsWithEinval() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EINVAL, () -> m.readlink(ALICE, a.id()));
  }

  @Test
  void symlinkWithEmptyOrTooLongTarget_fails() {
    expect(Errno.ENOENT, () -> m.symlink(ALICE, tmp, "s", "", null));
    expect(Errno.ENAMETOOLONG, () -> m.symlink(ALICE, tmp, "s", "x".repeat(4096), null));
  }

  @Test
  void resolve_walksPathsFollowingSymlinksInTheMiddle() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, a.id(), "b", 0755, null);
    Inode file = f.file(ALICE, b.id(), "file", 0644);
    m.symlink(ALICE, tmp, "toB", "a/b", null);
    m.symlink(ALICE, tmp, "abs", "/tmp/a", null);
    assertEquals(file.id(), m.resolve(ALICE, MetaService.ROOT, "/tmp/a/b/file", true).id());
    assertEquals(file.id(), m.resolve(ALICE, MetaService.ROOT, "//tmp/./a/../a/b//file", true).id());
    assertEquals(file.id(), m.resolve(ALICE, MetaService.ROOT, "/tmp/toB/file", false).id());
    assertEquals(file.id(), m.resolve(ALICE, tmp, "abs/b/file", false).id());
    assertEquals(InodeType.SYMLINK, m.resolve(ALICE, MetaService.ROOT, "/tmp/toB", false).type());
    assertEquals(b.id(), m.resolve(ALICE, MetaService.ROOT, "/tmp/toB", true).id());
    assertEquals(b.id(), m.resolve(ALICE, MetaService.ROOT, "/tmp/toB/", false).id());
    assertEquals(MetaService.ROOT, m.resolve(ALICE, MetaService.ROOT, "/../..", true).id());
  }

  @Test
  void resolve_reportsEnoentEnotdirAndEacces() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0700, null);
    f.file(ALICE, a.id(), "file", 0644);
    expect(Errno.ENOENT, () -> m.resolve(ALICE, MetaService.ROOT, "/tmp/nope", true));
    expect(Errno.ENOTDIR, () -> m.resolve(ALICE, MetaService.ROOT, "/tmp/a/file/x", true));
    expect(Errno.ENOTDIR, () -> m.resolve(ALICE, MetaService.ROOT, "/tmp/a/file/", true));
    expect(Errno.EACCES, () -> m.resolve(BOB, MetaService.ROOT, "/tmp/a/file", true));
    expect(Errno.ENOENT, () -> m.resolve(ALICE, MetaService.ROOT, "", true));
  }

  @Test
  void symlinkLoop_failsWithEloop() {
    m.symlink(ALICE, tmp, "x", "y", null);
    m.symlink(ALICE, tmp, "y", "x", null);
    m.symlink(ALICE, tmp, "self", "self/z", null);
    expect(Errno.ELOOP, () -> m.resolve(ALICE, tmp, "x", true));
    expect(Errno.ELOOP, () -> m.resolve(ALICE, tmp, "self", true));
  }

  @Test
  void symlinkChainOf40_isFollowedAnd41_isEloop() {
    Inode target = f.file(ALICE, tmp, "l0", 0644);
    for (int k = 1; k <= 41; k++) {
      m.symlink(ALICE, tmp, "l" + k, "l" + (k - 1), null);
    }
    assertEquals(target.id(), m.resolve(ALICE, tmp, "l40", true).id());
    expect(Errno.ELOOP, () -> m.resolve(ALICE, tmp, "l41", true));
  }

  @Test
  void realpath_removesSymlinksDotsAndSlashes() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, a.id(), "b", 0755, null);
    f.file(ALICE, b.id(), "file", 0644);
    m.symlink(ALICE, tmp, "link", "a/./b", null);
    assertEquals("/tmp/a/b/file", m.realpath(ALICE, "/tmp/link/../b//file"));
    assertEquals("/tmp/a/b", m.realpath(ALICE, "/tmp/link"));
    assertEquals("/", m.realpath(ALICE, "/tmp/.."));
    assertEquals("/tmp", m.realpath(ROOT, "/tmp/"));
  }
}
