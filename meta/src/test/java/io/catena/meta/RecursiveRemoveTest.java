package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import org.junit.jupiter.api.Test;

class RecursiveRemoveTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void removeRecursive_removesAWholeTree() {
    Inode top = m.mkdir(ALICE, tmp, "top", 0755, null);
    long parent = top.id();
    for (int depth = 0; depth < 4; depth++) {
      for (int k = 0; k < 5; k++) {
        f.file(ALICE, parent, "f" + k, 0644);
      }
      m.symlink(ALICE, parent, "s", "f0", null);
      parent = m.mkdir(ALICE, parent, "d", 0755, null).id();
    }
    assertEquals(4 * 6 + 4 + 1, m.removeRecursive(ALICE, tmp, "top", null));
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "top"));
    assertEquals(2, m.getattr(ALICE, tmp).nlink());
    f.assertConsistent();
  }

  @Test
  void removeRecursiveOfAFile_unlinksIt() {
    f.file(ALICE, tmp, "a", 0644);
    assertEquals(1, m.removeRecursive(ALICE, tmp, "a", null));
    f.assertConsistent();
  }

  @Test
  void removeRecursive_stopsWithEaccesWhereTheCallerMayNotRemove() {
    Inode top = m.mkdir(BOB, tmp, "top", 0777, null);
    Inode locked = m.mkdir(ALICE, top.id(), "locked", 0755, null);
    f.file(ALICE, locked.id(), "x", 0644);
    expect(Errno.EACCES, () -> m.removeRecursive(BOB, tmp, "top", null));
    m.lookup(ALICE, locked.id(), "x");
    f.assertConsistent();
  }

  @Test
  void retriedRemoveRecursiveWithSameRequestId_returnsTheFirstCount() {
    Inode top = m.mkdir(ALICE, tmp, "top", 0755, null);
    f.file(ALICE, top.id(), "a", 0644);
    f.file(ALICE, top.id(), "b", 0644);
    RequestId r = f.req();
    assertEquals(3, m.removeRecursive(ALICE, tmp, "top", r));
    assertEquals(3, m.removeRecursive(ALICE, tmp, "top", r));
    expect(Errno.ENOENT, () -> m.removeRecursive(ALICE, tmp, "top", f.req()));
  }
}
