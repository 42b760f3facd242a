package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Meta's length is exact only after close/fsync; while a handle writes, storage may hold more. Truncates must reach
 * storage whatever meta's (stale) length says, or bytes past the new end survive and come back at the next close.
 */
class TruncateReachesStorageTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void truncateDown_whileMetaLengthIsStale_cutsStorage() {
    OpenResult w = m.create(ALICE, tmp, "f", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null);
    long ino = w.inode().id();
    f.storage.lengths.put(ino, 10_000L); // written through the open handle; meta still says 0
    m.setattr(ALICE, ino, SetAttr.truncate(100));
    assertEquals(100L, f.storage.truncatedTo.get(ino));
    assertEquals(100, m.close(ALICE, ino, w.sessionId(), true).length());
  }

  @Test
  void truncateUp_reachesStorageSoThatCloseKeepsTheGrownLength() {
    OpenResult w = m.create(ALICE, tmp, "g", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null);
    long ino = w.inode().id();
    m.setattr(ALICE, ino, SetAttr.truncate(5000));
    assertEquals(5000L, f.storage.truncatedTo.get(ino));
  }

  @Test
  void openWithOTrunc_whileAnotherHandleWrites_cutsStorage() {
    OpenResult w = m.create(ALICE, tmp, "h", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null);
    long ino = w.inode().id();
    f.storage.lengths.put(ino, 10_000L); // meta's length is 0 until that handle closes
    m.open(ALICE, ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, "c2");
    assertEquals(0L, f.storage.truncatedTo.get(ino));
  }
}
