package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import io.catena.kv.ReadTransaction;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** touchAtime follows Linux relatime on the injected clock, and costs no commit when nothing is due. */
class AtimeTest {
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  long now() {
    return f.meta.context().nowNanos();
  }

  long version() {
    try (ReadTransaction t = f.engine.beginRead()) {
      return t.readVersion();
    }
  }

  @Test
  void firstReadAfterAWrite_movesAtimeToNow_andLeavesMtimeAndCtime() {
    Inode a = f.file(ALICE, tmp, "a", 0600);
    f.tick();
    m.touchAtime(ALICE, a.id());
    Inode b = m.getattr(ALICE, a.id());
    assertEquals(now(), b.atime());
    assertEquals(a.mtime(), b.mtime());
    assertEquals(a.ctime(), b.ctime());
  }

  @Test
  void laterReadsWithinADay_changeNothingAndCommitNothing_thenADayLaterAtimeMovesAgain() {
    Inode a = f.file(ALICE, tmp, "a", 0600);
    f.tick();
    m.touchAtime(ALICE, a.id());
    long atime = m.getattr(ALICE, a.id()).atime();
    long v = version();
    f.clock.advance(Duration.ofHours(23));
    m.touchAtime(ALICE, a.id());
    assertEquals(v, version(), "no commit when relatime says nothing is due");
    assertEquals(atime, m.getattr(ALICE, a.id()).atime());
    f.clock.advance(Duration.ofHours(1));
    m.touchAtime(ALICE, a.id());
    assertEquals(now(), m.getattr(ALICE, a.id()).atime());
  }

  @Test
  void aWriteOrAttributeChangeAfterTheLastRead_makesTheNextReadUpdateAtime() {
    Inode a = f.file(ALICE, tmp, "a", 0600);
    f.tick();
    m.touchAtime(ALICE, a.id());
    f.tick();
    m.setattr(ALICE, a.id(), SetAttr.truncate(5)); // mtime and ctime now after atime
    f.tick();
    m.touchAtime(ALICE, a.id());
    assertEquals(now(), m.getattr(ALICE, a.id()).atime());
    f.tick();
    m.setattr(ALICE, a.id(), SetAttr.chmod(0640)); // ctime only
    f.tick();
    m.touchAtime(ALICE, a.id());
    assertEquals(now(), m.getattr(ALICE, a.id()).atime());
  }

  @Test
  void aReaderWhoIsNotTheOwner_mayTouch_evenWithoutPermissionBitsNow() {
    Inode a = f.file(ALICE, tmp, "a", 0600); // bob opened it before a chmod, say: the open was checked
    f.tick();
    m.touchAtime(BOB, a.id());
    assertEquals(now(), m.getattr(ALICE, a.id()).atime());
  }

  @Test
  void aClockBehindTheStoredAtime_neverMovesItBackwards() {
    Inode a = f.file(ALICE, tmp, "a", 0600);
    m.setattr(ALICE, a.id(), SetAttr.times(a.atime() + Duration.ofDays(3).toNanos(), null));
    long stored = m.getattr(ALICE, a.id()).atime();
    long v = version();
    m.touchAtime(ALICE, a.id());
    assertEquals(stored, m.getattr(ALICE, a.id()).atime());
    assertEquals(v, version());
  }

  @Test
  void directoriesToo_andAMissingInodeIsEnoent() {
    long d = m.mkdir(ALICE, tmp, "d", 0755, null).id();
    f.tick();
    m.touchAtime(ALICE, d);
    assertEquals(now(), m.getattr(ALICE, d).atime());
    expect(Errno.ENOENT, () -> m.touchAtime(ALICE, 123456789));
  }
}
