package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

/** Which times each operation changes, as ext4 does it. */
class TimestampsTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  long later() {
    f.tick();
    return f.meta.context().nowNanos();
  }

  @Test
  void link_changesTheInodesCtimeAndTheDirectorysMtimeAndCtime() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    long t = later();
    m.link(ALICE, a.id(), d.id(), "b", null);
    Inode a2 = m.getattr(ALICE, a.id());
    assertEquals(t, a2.ctime());
    assertEquals(a.mtime(), a2.mtime());
    assertEquals(t, m.getattr(ALICE, d.id()).mtime());
    assertEquals(t, m.getattr(ALICE, d.id()).ctime());
  }

  @Test
  void unlinkOfOneOfTwoNames_changesTheInodesCtimeOnly() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.link(ALICE, a.id(), tmp, "b", null);
    long t = later();
    m.unlink(ALICE, tmp, "a", null);
    Inode left = m.getattr(ALICE, a.id());
    assertEquals(t, left.ctime());
    assertEquals(a.mtime(), left.mtime());
    assertEquals(1, left.nlink());
  }

  @Test
  void truncate_changesMtimeAndCtimeButNotAtime() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    long t = later();
    Inode b = m.setattr(ALICE, a.id(), SetAttr.truncate(100));
    assertEquals(t, b.mtime());
    assertEquals(t, b.ctime());
    assertEquals(a.atime(), b.atime());
    assertEquals(100, b.length());
  }

  @Test
  void explicitTimes_setAtimeAndMtimeAndStampCtimeWithNow() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    long t = later();
    Inode b = m.setattr(ALICE, a.id(), SetAttr.times(-5_000_000_000L, 1_000_000_001L));
    assertEquals(-5_000_000_000L, b.atime());
    assertEquals(1_000_000_001L, b.mtime());
    assertEquals(t, b.ctime());
  }

  @Test
  void mkdirAndRmdir_changeTheParentsMtimeAndCtime() {
    long t1 = later();
    m.mkdir(ALICE, tmp, "d", 0755, null);
    assertEquals(t1, m.getattr(ALICE, tmp).mtime());
    long t2 = later();
    m.rmdir(ALICE, tmp, "d", null);
    assertEquals(t2, m.getattr(ALICE, tmp).mtime());
    assertEquals(t2, m.getattr(ALICE, tmp).ctime());
  }

  @Test
  void chownWithMinusOne_leavesIdsAndModeAlone() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.setattr(ALICE, a.id(), SetAttr.chmod(04755));
    Inode b = m.setattr(ALICE, a.id(), new SetAttr(null, -1, -1, null, null, null, null));
    assertEquals(1000, b.uid());
    assertEquals(04755, b.mode());
  }

  @Test
  void linkOfDirectoryOntoExistingName_failsWithEexistFirst() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    f.file(ALICE, tmp, "x", 0644);
    expect(Errno.EEXIST, () -> m.link(ALICE, d.id(), tmp, "x", null));
  }
}
