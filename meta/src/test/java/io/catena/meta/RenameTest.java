package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

class RenameTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void renameOfFile_movesTheNameAndKeepsTheInode() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    f.tick();
    m.rename(ALICE, tmp, "a", d.id(), "b", 0, null);
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "a"));
    Inode b = m.lookup(ALICE, d.id(), "b");
    assertEquals(a.id(), b.id());
    long now = f.meta.context().nowNanos();
    assertEquals(now, b.ctime());
    assertEquals(now, m.getattr(ALICE, tmp).mtime());
    assertEquals(now, m.getattr(ALICE, d.id()).mtime());
    f.assertConsistent();
  }

  @Test
  void renameOntoItself_doesNothing() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.rename(ALICE, tmp, "a", tmp, "a", 0, null);
    assertEquals(a, m.lookup(ALICE, tmp, "a"));
  }

  @Test
  void renameBetweenHardLinksOfOneInode_doesNothing() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.link(ALICE, a.id(), tmp, "b", null);
    m.rename(ALICE, tmp, "a", tmp, "b", 0, null);
    assertEquals(a.id(), m.lookup(ALICE, tmp, "a").id());
    assertEquals(a.id(), m.lookup(ALICE, tmp, "b").id());
    assertEquals(2, m.getattr(ALICE, a.id()).nlink());
    f.assertConsistent();
  }

  @Test
  void renameOverExistingFile_replacesItAndUnlinksTheOld() {
    f.file(ALICE, tmp, "a", 0644);
    Inode b = f.file(ALICE, tmp, "b", 0644);
    m.rename(ALICE, tmp, "a", tmp, "b", 0, null);
    assertEquals(0, m.getattr(ROOT, b.id()).nlink()); // kept for open handles until GC
    f.assertConsistent();
  }

  @Test
  void renameOfDirectoryOverEmptyDirectory_replacesIt() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, tmp, "b", 0755, null);
    long nlink = m.getattr(ROOT, tmp).nlink();
    m.rename(ALICE, tmp, "a", tmp, "b", 0, null);
    assertEquals(a.id(), m.lookup(ALICE, tmp, "b").id());
    expect(Errno.ENOENT, () -> m.getattr(ROOT, b.id()));
    assertEquals(nlink - 1, m.getattr(ROOT, tmp).nlink());
    f.assertConsistent();
  }

  @Test
  void renameOfDirectoryOverNonEmptyDirectory_failsWithEnotempty() {
    m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, tmp, "b", 0755, null);
    f.file(ALICE, b.id(), "x", 0644);
    expect(Errno.ENOTEMPTY, () -> m.rename(ALICE, tmp, "a", tmp, "b", 0, null));
  }

  @Test
  void renameOfFileOverDirectory_failsWithEisdir() {
    f.file(ALICE, tmp, "a", 0644);
    m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EISDIR, () -> m.rename(ALICE, tmp, "a", tmp, "d", 0, null));
  }

  @Test
  void renameOfDirectoryOverFile_failsWithEnotdir() {
    m.mkdir(ALICE, tmp, "d", 0755, null);
    f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENOTDIR, () -> m.rename(ALICE, tmp, "d", tmp, "a", 0, null));
  }

  @Test
  void renameOfDirectoryIntoItsOwnSubtree_failsWithEinval() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, a.id(), "b", 0755, null);
    Inode c = m.mkdir(ALICE, b.id(), "c", 0755, null);
    f.expectNothingWritten(Errno.EINVAL, () -> m.rename(ALICE, tmp, "a", c.id(), "a", 0, null));
    expect(Errno.EINVAL, () -> m.rename(ALICE, tmp, "a", a.id(), "x", 0, null));
  }

  @Test
  void renameOfDirectoryToAnotherParent_movesNlinkAndParentLink() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    Inode b = m.mkdir(ALICE, tmp, "b", 0755, null);
    Inode c = m.mkdir(ALICE, a.id(), "c", 0755, null);
    m.rename(ALICE, a.id(), "c", b.id(), "c2", 0, null);
    assertEquals(2, m.getattr(ROOT, a.id()).nlink());
    assertEquals(3, m.getattr(ROOT, b.id()).nlink());
    Inode moved = m.getattr(ROOT, c.id());
    assertEquals(b.id(), moved.parent());
    assertEquals("c2", moved.name());
    assertEquals(b.id(), m.lookup(ALICE, c.id(), "..").id());
    f.assertConsistent();
  }

  @Test
  void renameNoreplaceOntoExistingName_failsWithEexist() {
    f.file(ALICE, tmp, "a", 0644);
    f.file(ALICE, tmp, "b", 0644);
    f.expectNothingWritten(Errno.EEXIST, () -> m.rename(ALICE, tmp, "a", tmp, "b", RenameFlags.NOREPLACE, null));
    m.rename(ALICE, tmp, "a", tmp, "c", RenameFlags.NOREPLACE, null);
    m.lookup(ALICE, tmp, "c");
  }

  @Test
  void renameExchange_swapsTwoNamesIncludingDirectoriesAcrossParents() {
    Inode d1 = m.mkdir(ALICE, tmp, "d1", 0755, null);
    Inode d2 = m.mkdir(ALICE, tmp, "d2", 0755, null);
    Inode file = f.file(ALICE, d1.id(), "x", 0644);
    Inode dir = m.mkdir(ALICE, d2.id(), "y", 0755, null);
    m.rename(ALICE, d1.id(), "x", d2.id(), "y", RenameFlags.EXCHANGE, null);
    assertEquals(dir.id(), m.lookup(ALICE, d1.id(), "x").id());
    assertEquals(file.id(), m.lookup(ALICE, d2.id(), "y").id());
    assertEquals(3, m.getattr(ROOT, d1.id()).nlink());
    assertEquals(2, m.getattr(ROOT, d2.id()).nlink());
    assertEquals(d1.id(), m.getattr(ROOT, dir.id()).parent());
    f.assertConsistent();
  }

  @Test
  void renameExchangeWithMissingTarget_failsWithEnoent() {
    f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENOENT, () -> m.rename(ALICE, tmp, "a", tmp, "b", RenameFlags.EXCHANGE, null));
  }

  @Test
  void renameExchangeOfDirectoryWithItsOwnDescendant_failsWithEinval() {
    Inode a = m.mkdir(ALICE, tmp, "a", 0755, null);
    m.mkdir(ALICE, a.id(), "b", 0755, null);
    expect(Errno.EINVAL, () -> m.rename(ALICE, tmp, "a", a.id(), "b", RenameFlags.EXCHANGE, null));
  }

  @Test
  void renameWithBothFlagsOrUnknownFlags_failsWithEinval() {
    f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EINVAL, () -> m.rename(ALICE, tmp, "a", tmp, "b", 3, null));
    expect(Errno.EINVAL, () -> m.rename(ALICE, tmp, "a", tmp, "b", 16, null));
  }

  @Test
  void renameOfDotOrDotDot_failsWithEbusy() {
    expect(Errno.EBUSY, () -> m.rename(ALICE, tmp, ".", tmp, "x", 0, null));
    expect(Errno.EBUSY, () -> m.rename(ALICE, tmp, "..", tmp, "x", 0, null));
  }

  @Test
  void renameOfMissingSource_failsWithEnoent() {
    expect(Errno.ENOENT, () -> m.rename(ALICE, tmp, "nope", tmp, "x", 0, null));
  }
}
