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
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.SessionPruner;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.Test;

class FileLifecycleTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();
  final GarbageCollector gc = new GarbageCollector(f.meta.context());
  final Set<String> live = ConcurrentHashMap.newKeySet();
  final SessionPruner pruner = new SessionPruner(f.meta.context(), () -> Set.copyOf(live));

  OpenResult createForWrite(String name) {
    return m.create(ALICE, tmp, name, 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null);
  }

  @Test
  void writableCreate_opensAWriteSessionAndReadOnlyCreateDoesNot() {
    OpenResult w = createForWrite("w");
    assertNotEquals(0, w.sessionId());
    OpenResult r = m.create(ALICE, tmp, "r", 0644, OpenFlags.O_CREAT, "c1", null);
    assertEquals(0, r.sessionId());
    OpenResult again = m.open(ALICE, w.inode().id(), OpenFlags.O_WRONLY, "c1");
    assertNotEquals(w.sessionId(), again.sessionId());
  }

  @Test
  void close_storesTheExactLengthFromStorage() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    m.lengthHint(ALICE, ino, w.sessionId(), 4096, 0);
    assertEquals(4096, m.getattr(ALICE, ino).length());
    f.storage.lengths.put(ino, 3000L);
    f.tick();
    Inode c = m.close(ALICE, ino, w.sessionId(), true);
    assertEquals(3000, c.length());
    assertEquals(f.meta.context().nowNanos(), c.mtime());
  }

  @Test
  void fsync_storesTheExactLengthAndKeepsTheSession() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    f.storage.lengths.put(ino, 123L);
    assertEquals(123, m.sync(ALICE, ino, w.sessionId(), true).length());
    assertEquals(200, m.lengthHint(ALICE, ino, w.sessionId(), 200, 0).length());
  }

  @Test
  void lengthHint_neverShrinksAndIsIgnoredAfterATruncate() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    m.lengthHint(ALICE, ino, w.sessionId(), 1000, 0);
    assertEquals(1000, m.lengthHint(ALICE, ino, w.sessionId(), 10, 0).length());
    Inode t = m.setattr(ALICE, ino, SetAttr.truncate(5));
    assertEquals(1, t.truncateVersion());
    assertEquals(5, m.lengthHint(ALICE, ino, w.sessionId(), 900, 0).length()); // stale hint
    assertEquals(900, m.lengthHint(ALICE, ino, w.sessionId(), 900, 1).length());
    assertEquals(5L, f.storage.truncatedTo.get(ino));
  }

  @Test
  void openWithOTrunc_zeroesTheLengthAndBumpsTheTruncateVersion() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    m.lengthHint(ALICE, ino, w.sessionId(), 1000, 0);
    OpenResult t = m.open(ALICE, ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, "c1");
    assertEquals(0, t.inode().length());
    assertEquals(1, t.inode().truncateVersion());
    assertEquals(0L, f.storage.truncatedTo.get(ino));
  }

  @Test
  void truncateOfDirectoryOrFifo_failsWithEisdirOrEinval() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EISDIR, () -> m.setattr(ALICE, d.id(), SetAttr.truncate(0)));
    Inode p = m.mknod(ALICE, tmp, "p", 0010644, 0, null);
    expect(Errno.EINVAL, () -> m.setattr(ALICE, p.id(), SetAttr.truncate(0)));
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.EINVAL, () -> m.setattr(ALICE, a.id(), SetAttr.truncate(-1)));
    expect(Errno.EACCES, () -> m.setattr(BOB, a.id(), SetAttr.truncate(0)));
  }

  @Test
  void openOfDirectoryForWriting_failsWithEisdir() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0777, null);
    expect(Errno.EISDIR, () -> m.open(ALICE, d.id(), OpenFlags.O_RDWR, "c1"));
    Inode a = f.file(ALICE, tmp, "a", 0644);
    expect(Errno.ENOTDIR, () -> m.open(ALICE, a.id(), OpenFlags.O_DIRECTORY, "c1"));
  }

  @Test
  void unlinkedFile_staysReadableThroughItsHandleUntilCollected() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    f.storage.lengths.put(ino, 77L);
    m.unlink(ALICE, tmp, "f", null);
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, "f"));
    Inode still = m.getattr(ALICE, ino);
    assertEquals(0, still.nlink());
    assertEquals(77, m.close(ALICE, ino, w.sessionId(), true).length());
    f.assertConsistent();
  }

  @Test
  void garbageCollector_waitsForTheDelayAndForWriteSessionsToClose() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    m.unlink(ALICE, tmp, "f", null);
    assertEquals(0, gc.runOnce()); // too early
    f.clock.advance(Duration.ofMinutes(6));
    assertEquals(0, gc.runOnce()); // session still open
    assertFalse(f.storage.removed.contains(ino));
    m.close(ALICE, ino, w.sessionId(), false);
    assertEquals(1, gc.runOnce());
    assertTrue(f.storage.removed.contains(ino));
    expect(Errno.ENOENT, () -> m.getattr(ALICE, ino));
    f.assertConsistent();
    assertEquals(0, gc.runOnce());
  }

  @Test
  void garbageCollector_leavesLinkedFilesAlone() {
    Inode a = f.file(ALICE, tmp, "a", 0644);
    m.link(ALICE, a.id(), tmp, "b", null);
    m.unlink(ALICE, tmp, "a", null);
    f.clock.advance(Duration.ofHours(1));
    assertEquals(0, gc.runOnce());
    assertEquals(1, m.getattr(ALICE, a.id()).nlink());
  }

  @Test
  void sessionsOfDeadClients_arePrunedAndTheirFilesBecomeCollectable() {
    OpenResult w = createForWrite("f");
    long ino = w.inode().id();
    OpenResult other = m.create(ALICE, tmp, "g", 0644, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, "c2", null);
    m.unlink(ALICE, tmp, "f", null);
    f.clock.advance(Duration.ofMinutes(10));
    live.add("c2");
    assertEquals(0, gc.runOnce());
    assertEquals(1, pruner.runOnce().sessions());
    expect(Errno.EBADF, () -> m.lengthHint(ALICE, ino, w.sessionId(), 1, 0));
    assertEquals(1, gc.runOnce());
    assertTrue(f.storage.removed.contains(ino));
    assertEquals(0, pruner.runOnce().sessions()); // c2 is alive
    expect(Errno.ENOENT, () -> m.lengthHint(ALICE, ino, w.sessionId(), 1, 0));
    assertEquals(0, m.lengthHint(ALICE, other.inode().id(), other.sessionId(), 0, 0).length());
    f.assertConsistent();
  }

  @Test
  void fileLayout_comesFromTheCurrentChainTableAndTheDirectoryDefault() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    m.setattr(ALICE, d.id(), SetAttr.layout(Layout.defaults(1, 4 << 20, 2)));
    Inode a = f.file(ALICE, d.id(), "a", 0644);
    Layout l = a.layout();
    assertEquals(1, l.chainTableId());
    assertEquals(3, l.chainTableVersion());
    assertEquals(4 << 20, l.chunkSize());
    assertEquals(2, l.stripeSize());
    assertEquals(a.id(), l.shuffleSeed());
    Inode sub = m.mkdir(ALICE, d.id(), "sub", 0755, null);
    assertEquals(4 << 20, f.file(ALICE, sub.id(), "b", 0644).layout().chunkSize()); // inherited
    Inode root = m.getattr(ROOT, MetaService.ROOT);
    assertEquals(1 << 20, root.layout().chunkSize());
    assertEquals(6, f.file(ALICE, tmp, "c", 0644).layout().stripeSize()); // 16 capped at the table's 6
  }

  @Test
  void layoutOfDirectory_isTheOwnersToSetAndUnknownTableIsEnospc() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    expect(Errno.EPERM, () -> m.setattr(BOB, d.id(), SetAttr.layout(Layout.defaults(1, 1 << 20, 1))));
    m.setattr(ALICE, d.id(), SetAttr.layout(Layout.defaults(9, 1 << 20, 1)));
    expect(Errno.ENOSPC, () -> f.file(ALICE, d.id(), "x", 0644));
    expect(Errno.EINVAL, () -> Layout.defaults(1, 3 << 20, 1));
    expect(Errno.EINVAL, () -> Layout.defaults(1, 32 << 10, 1));
  }

  @Test
  void garbageCollector_findsDueFilesBehindManyThatAreNotDueYet() {
    java.util.List<Inode> files = new java.util.ArrayList<>();
    for (int k = 0; k < 301; k++) {
      files.add(f.file(ALICE, tmp, "f" + k, 0644));
    }
    // The due file is the one whose GC key sorts last (ids are little-endian in keys), behind the others.
    Inode due = files.stream()
        .max((a, b) -> Long.compareUnsigned(Long.reverseBytes(a.id()), Long.reverseBytes(b.id()))).orElseThrow();
    m.unlink(ALICE, tmp, "f" + files.indexOf(due), null);
    f.clock.advance(Duration.ofMinutes(4));
    for (int k = 0; k < files.size(); k++) {
      if (files.get(k) != due) {
        m.unlink(ALICE, tmp, "f" + k, null);
      }
    }
    f.clock.advance(Duration.ofMinutes(2));
    assertEquals(1, gc.runOnce());
    assertTrue(f.storage.removed.contains(due.id()));
    f.clock.advance(Duration.ofMinutes(5));
    assertEquals(128, gc.runOnce()); // meta.gc_batch per pass
    assertEquals(128, gc.runOnce());
    assertEquals(44, gc.runOnce());
    f.assertConsistent();
  }
}
