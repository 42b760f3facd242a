package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.meta.LockRequest.Type;
import io.catena.meta.store.SessionPruner;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class AdvisoryLockTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();
  final long ino = f.file(ALICE, tmp, "a", 0644).id();

  @Test
  void flockExclusive_blocksOtherOwnersUntilReleased() {
    m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.WRITE));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.flock("c2", 1, Type.READ)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.flock("c1", 2, Type.WRITE)));
    m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.UNLOCK));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.flock("c2", 1, Type.WRITE)));
  }

  @Test
  void flockShared_isSharedAndConvertsForItsOwner() {
    m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.READ));
    m.setLock(ALICE, ino, LockRequest.flock("c2", 1, Type.READ));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.WRITE)));
    m.setLock(ALICE, ino, LockRequest.flock("c2", 1, Type.UNLOCK));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.WRITE)));
  }

  @Test
  void flockAndRangeLocks_doNotInteract() {
    m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.WRITE));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.range("c2", 7, Type.WRITE, 0, 0)));
  }

  @Test
  void rangeLocks_conflictOnlyWhereTheyOverlapAndOneWrites() {
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, Type.WRITE, 100, 100));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.WRITE, 0, 100)));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.WRITE, 200, 10)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.READ, 199, 1)));
    Optional<FileLock> g = m.getLock(ALICE, ino, LockRequest.range("c3", 1, Type.READ, 150, 0));
    assertEquals(new FileLock("c1", 1, LockRequest.Kind.POSIX, Type.WRITE, 100, 200), g.orElseThrow());
    assertTrue(m.getLock(ALICE, ino, LockRequest.range("c1", 1, Type.WRITE, 150, 1)).isEmpty()); // own lock
  }

  @Test
  void unlockingTheMiddleOfARange_keepsBothEnds() {
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, Type.WRITE, 0, 300));
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, Type.UNLOCK, 100, 100));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.WRITE, 100, 100)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.READ, 99, 1)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.READ, 200, 1)));
  }

  @Test
  void downgradingPartOfAWriteLock_letsReadersInThere() {
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, Type.WRITE, 0, 0));
    m.setLock(ALICE, ino, LockRequest.range("c1", 1, Type.READ, 0, 50));
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.READ, 10, 10)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("c2", 1, Type.READ, 50, 1)));
  }

  @Test
  void locksOfDeadClients_arePruned() {
    m.setLock(ALICE, ino, LockRequest.flock("dead", 1, Type.WRITE));
    m.setLock(ALICE, ino, LockRequest.range("alive", 1, Type.READ, 0, 10));
    assertEquals(1, new SessionPruner(f.meta.context(), () -> Set.of("alive")).runOnce().locks());
    assertDoesNotThrow(() -> m.setLock(ALICE, ino, LockRequest.flock("other", 1, Type.WRITE)));
    expect(Errno.EAGAIN, () -> m.setLock(ALICE, ino, LockRequest.range("other", 1, Type.WRITE, 5, 1)));
  }

  @Test
  void badLockRequests_failWithEinvalOrEnoent() {
    expect(Errno.EINVAL, () -> LockRequest.range("c", 1, Type.READ, -1, 5));
    expect(Errno.EINVAL, () -> LockRequest.range("", 1, Type.READ, 0, 5));
    expect(Errno.ENOENT, () -> m.setLock(ALICE, 424242, LockRequest.flock("c", 1, Type.READ)));
  }

  @Test
  void locksOfRemovedInode_goWithIt() {
    m.setLock(ALICE, ino, LockRequest.flock("c1", 1, Type.WRITE));
    m.unlink(ALICE, tmp, "a", null);
    f.clock.advance(java.time.Duration.ofHours(1));
    assertEquals(1, new io.catena.meta.store.GarbageCollector(f.meta.context()).runOnce());
    f.assertConsistent();
  }
}
