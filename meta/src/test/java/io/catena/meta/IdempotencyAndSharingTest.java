package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.catena.common.Errno;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.SessionPruner;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class IdempotencyAndSharingTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  @Test
  void retriedCreateWithSameRequestId_returnsTheFirstAnswer() {
    RequestId r = f.req();
    OpenResult first = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR,
        "c1", r);
    OpenResult again = m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR,
        "c1", r);
    assertEquals(first.inode(), again.inode());
    assertEquals(first.sessionId(), again.sessionId());
    assertEquals(first.inode().parent(), first.parent().id(), "the first answer names the directory's attributes");
    assertEquals(null, again.parent(), "a retry's answer comes from the record, which keeps no directory");
    expect(Errno.EEXIST, () -> m.create(ALICE, tmp, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c1",
        f.req()));
  }

  @Test
  void retriedMkdirRenameUnlinkWithSameRequestId_succeedAgain() {
    RequestId mk = f.req();
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, mk);
    assertEquals(d, m.mkdir(ALICE, tmp, "d", 0755, mk));
    f.file(ALICE, tmp, "x", 0644);
    RequestId mv = f.req();
    m.rename(ALICE, tmp, "x", d.id(), "y", 0, mv);
    assertDoesNotThrow(() -> m.rename(ALICE, tmp, "x", d.id(), "y", 0, mv));
    RequestId rm = f.req();
    m.unlink(ALICE, d.id(), "y", rm);
    assertDoesNotThrow(() -> m.unlink(ALICE, d.id(), "y", rm));
    expect(Errno.ENOENT, () -> m.unlink(ALICE, d.id(), "y", f.req()));
    f.assertConsistent();
  }

  @Test
  void idempotencyRecords_expireAndArePruned() {
    RequestId rm = f.req();
    f.file(ALICE, tmp, "x", 0644);
    m.unlink(ALICE, tmp, "x", rm);
    f.clock.advance(Duration.ofMinutes(31));
    expect(Errno.ENOENT, () -> m.unlink(ALICE, tmp, "x", rm));
    SessionPruner p = new SessionPruner(f.meta.context(), Set::of);
    assertEquals(1, p.runOnce().idempotencyRecords());
    assertEquals(0, p.runOnce().idempotencyRecords());
  }

  @Test
  void unknownCommitOutcomes_areAbsorbedByIdempotencyRecords() {
    MetaFixture faulty = new MetaFixture(io.catena.kv.KvFaults.of(0.0, 0.3, new java.util.SplittableRandom(7)));
    long dir = faulty.openDir("d").id();
    for (int k = 0; k < 50; k++) {
      faulty.meta.mkdir(ALICE, dir, "m" + k, 0755, faulty.req());
      faulty.meta.create(ALICE, dir, "f" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", faulty.req());
      faulty.meta.rename(ALICE, dir, "f" + k, dir, "g" + k, 0, faulty.req());
      faulty.meta.unlink(ALICE, dir, "g" + k, faulty.req());
      faulty.meta.rmdir(ALICE, dir, "m" + k, faulty.req());
    }
    assertEquals(0, faulty.meta.readdir(ALICE, dir, null, 10, false).entries().size());
    faulty.assertConsistent();
  }

  @Test
  void twoServicesOnOneEngine_serveOneNamespace() {
    KvMetaService other = f.service(f.runner(f.engine, false));
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    assertEquals(d, other.lookup(ALICE, tmp, "d"));
    Inode a = other.create(ALICE, d.id(), "a", 0644, OpenFlags.O_CREAT, "c", null).inode();
    assertEquals(a, m.lookup(ALICE, d.id(), "a"));
    expect(Errno.EEXIST, () -> m.create(ALICE, d.id(), "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null));
    other.rename(ALICE, d.id(), "a", tmp, "b", 0, null);
    assertEquals(a.id(), m.lookup(ALICE, tmp, "b").id());
    m.unlink(ALICE, tmp, "b", null);
    expect(Errno.ENOENT, () -> other.lookup(ALICE, tmp, "b"));
    f.assertConsistent();
  }

  @Test
  void twoServicesOnOneEngine_neverHandOutTheSameInodeId() {
    KvMetaService other = f.service(f.runner(f.engine, false));
    Set<Long> ids = new HashSet<>();
    for (int k = 0; k < 3000; k++) {
      MetaService s = k % 2 == 0 ? m : other;
      long id = s.create(ROOT, tmp, "f" + k, 0644, OpenFlags.O_CREAT, "c", null).inode().id();
      assertEquals(true, ids.add(id), "duplicate id " + id);
      assertNotEquals(MetaService.ROOT, id);
    }
  }
}
