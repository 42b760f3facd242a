package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.kv.KvFaults;
import java.util.Optional;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Directory quotas: limits, usage and their errnos, one rule per test, checked against a recount each time. */
class QuotaTest {
  static final int RW = OpenFlags.O_CREAT | OpenFlags.O_RDWR;
  final MetaFixture f = new MetaFixture();
  final MetaService m = f.meta;
  final long tmp = f.openDir("tmp").id();

  long dir(long parent, String name) {
    return m.mkdir(ROOT, parent, name, 0777, null).id();
  }

  QuotaUsage usage(long dir) {
    return m.getQuota(ALICE, dir).orElseThrow();
  }

  void assertUsage(long dir, long bytes, long inodes) {
    QuotaUsage u = usage(dir);
    assertEquals(bytes, u.usedBytes(), "bytes of quota " + dir);
    assertEquals(inodes, u.usedInodes(), "inodes of quota " + dir);
    f.assertConsistent(); // the counters equal a recount
  }

  @Test
  void settingAQuota_needsRootAndADirectory_andLimitsMustNotBeNegative() {
    long q = dir(tmp, "q");
    Inode file = f.file(ALICE, tmp, "file", 0644);
    expect(Errno.EPERM, () -> m.setQuota(ALICE, q, QuotaLimits.inodes(5)));
    expect(Errno.EPERM, () -> m.removeQuota(ALICE, q));
    expect(Errno.ENOTDIR, () -> m.setQuota(ROOT, file.id(), QuotaLimits.inodes(5)));
    expect(Errno.ENOENT, () -> m.setQuota(ROOT, 987654, QuotaLimits.inodes(5)));
    expect(Errno.ENOENT, () -> m.getQuota(ALICE, 987654));
    expect(Errno.EINVAL, () -> new QuotaLimits(-1, 0));
    assertEquals(Optional.empty(), m.getQuota(ALICE, q));
    QuotaUsage u = m.setQuota(ROOT, q, new QuotaLimits(100, 5));
    assertEquals(new QuotaUsage(q, new QuotaLimits(100, 5), 0, 0, QuotaUsage.State.ACTIVE), u);
    assertEquals(u, m.getQuota(ALICE, q).orElseThrow()); // anyone may look
    assertEquals(new QuotaLimits(7, 0), m.setQuota(ROOT, q, new QuotaLimits(7, 0)).limits()); // change in place
    assertTrue(m.removeQuota(ROOT, q));
    assertFalse(m.removeQuota(ROOT, q));
    assertEquals(Optional.empty(), m.getQuota(ALICE, q));
    f.assertConsistent();
  }

  @Test
  void inodeLimit_isReachedExactly_thenEveryKindOfCreateFailsWithEdquotAndWritesNothing() {
    long q = dir(tmp, "q");
    m.setQuota(ROOT, q, QuotaLimits.inodes(4));
    Inode a = f.file(ALICE, q, "a", 0644);
    m.mkdir(ALICE, q, "d", 0755, null);
    m.symlink(ALICE, q, "s", "a", null);
    m.mknod(ALICE, q, "fifo", 0010644, 0, null);
    assertUsage(q, 0, 4); // the limit itself is allowed
    f.expectNothingWritten(Errno.EDQUOT, () -> f.file(ALICE, q, "b", 0644));
    f.expectNothingWritten(Errno.EDQUOT, () -> m.mkdir(ALICE, q, "e", 0755, null));
    f.expectNothingWritten(Errno.EDQUOT, () -> m.symlink(ALICE, q, "t", "a", null));
    f.expectNothingWritten(Errno.EDQUOT, () -> m.mknod(ALICE, q, "g", 0010644, 0, null));
    long sub = m.lookup(ALICE, q, "d").id();
    f.expectNothingWritten(Errno.EDQUOT, () -> f.file(ALICE, sub, "deeper", 0644)); // the whole subtree counts
    m.link(ALICE, a.id(), q, "a2", null); // a second name is no new inode
    m.unlink(ALICE, q, "s", null);
    f.file(ALICE, q, "b", 0644); // room again
    assertUsage(q, 0, 4);
  }

  @Test
  void byteLimit_appliesToHintsTruncateAndCloseAtTheBoundary() {
    long q = dir(tmp, "q");
    m.setQuota(ROOT, q, QuotaLimits.bytes(1000));
    OpenResult o = m.create(ALICE, q, "f", 0644, RW, "c1", null);
    long ino = o.inode().id();
    m.lengthHint(ALICE, ino, o.sessionId(), 600, 0);
    assertUsage(q, 600, 1);
    expect(Errno.EDQUOT, () -> m.lengthHint(ALICE, ino, o.sessionId(), 1001, 0));
    m.lengthHint(ALICE, ino, o.sessionId(), 1000, 0); // exactly the limit
    assertUsage(q, 1000, 1);
    expect(Errno.EDQUOT, () -> m.setattr(ALICE, ino, SetAttr.truncate(1001)));
    m.setattr(ALICE, ino, SetAttr.truncate(300));
    assertUsage(q, 300, 1);
    m.open(ALICE, ino, OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, "c1");
    assertUsage(q, 0, 1);
    // close records what storage holds even past the limit (the bytes are there), then reports EDQUOT
    f.storage.lengths.put(ino, 1500L);
    expect(Errno.EDQUOT, () -> m.close(ALICE, ino, o.sessionId(), true));
    assertEquals(1500, m.getattr(ALICE, ino).length());
    assertUsage(q, 1500, 1);
    m.close(ALICE, ino, o.sessionId(), true); // a repeated close changes nothing and so is fine
    expect(Errno.EDQUOT, () -> m.setattr(ALICE, ino, SetAttr.truncate(1501))); // over the limit nothing grows
    m.setattr(ALICE, ino, SetAttr.truncate(1000)); // but it may shrink
    assertUsage(q, 1000, 1);
  }

  @Test
  void usageFollowsUnlinkOfTheLastNameAndRmdir_andUnlinkedFilesStopCounting() {
    long q = dir(tmp, "q");
    m.setQuota(ROOT, q, new QuotaLimits(10_000, 100));
    OpenResult o = m.create(ALICE, q, "f", 0644, RW, "c1", null);
    m.setattr(ALICE, o.inode().id(), SetAttr.truncate(700));
    m.link(ALICE, o.inode().id(), q, "g", null);
    long d = m.mkdir(ALICE, q, "d", 0755, null).id();
    assertUsage(q, 700, 2);
    m.unlink(ALICE, q, "f", null);
    assertUsage(q, 700, 2); // one name left
    m.unlink(ALICE, q, "g", null);
    assertUsage(q, 0, 1);
    // still open for writing: it grows, but counts toward no quota any more
    m.lengthHint(ALICE, o.inode().id(), o.sessionId(), 50_000, 1);
    assertUsage(q, 0, 1);
    m.rmdir(ALICE, q, "d", null);
    assertUsage(q, 0, 0);
    expect(Errno.ENOENT, () -> m.getattr(ALICE, d));
  }

  @Test
  void renames_moveFilesBetweenQuotas_refuseDirectoriesAndLinkedFilesWithExdev() {
    long a = dir(tmp, "a");
    long b = dir(tmp, "b");
    long free = dir(tmp, "free");
    m.setQuota(ROOT, a, new QuotaLimits(1000, 10));
    m.setQuota(ROOT, b, new QuotaLimits(1000, 2));
    Inode x = f.file(ALICE, a, "x", 0644);
    m.setattr(ALICE, x.id(), SetAttr.truncate(400));
    m.rename(ALICE, a, "x", b, "x", 0, null);
    assertUsage(a, 0, 0);
    assertUsage(b, 400, 1);
    m.rename(ALICE, b, "x", free, "x", 0, null); // out of any quota: refunded
    assertUsage(b, 0, 0);
    m.rename(ALICE, free, "x", b, "x", 0, null); // and back in: charged
    assertUsage(b, 400, 1);
    Inode big = f.file(ALICE, a, "big", 0644);
    m.setattr(ALICE, big.id(), SetAttr.truncate(700));
    f.expectNothingWritten(Errno.EDQUOT, () -> m.rename(ALICE, a, "big", b, "big", 0, null)); // 1100 > 1000
    // replacing x (400) with big (700) fits: the replaced file's refund comes first
    m.rename(ALICE, a, "big", b, "x", 0, null);
    assertUsage(b, 700, 1);
    assertUsage(a, 0, 0);
    long sub = m.mkdir(ALICE, a, "sub", 0755, null).id();
    f.expectNothingWritten(Errno.EXDEV, () -> m.rename(ALICE, a, "sub", b, "sub", 0, null));
    f.expectNothingWritten(Errno.EXDEV, () -> m.rename(ALICE, a, "sub", free, "sub", 0, null));
    m.rename(ALICE, a, "sub", a, "sub2", 0, null); // within one quota: fine
    Inode y = f.file(ALICE, a, "y", 0644);
    m.link(ALICE, y.id(), a, "y2", null);
    f.expectNothingWritten(Errno.EXDEV, () -> m.rename(ALICE, a, "y", b, "y", 0, null));
    f.expectNothingWritten(Errno.EXDEV, () -> m.link(ALICE, y.id(), b, "y3", null));
    f.expectNothingWritten(Errno.EXDEV, () -> m.link(ALICE, y.id(), free, "y3", null));
    // exchange of two files across quotas moves both
    Inode z = f.file(ALICE, free, "z", 0644);
    m.setattr(ALICE, z.id(), SetAttr.truncate(100));
    m.rename(ALICE, free, "z", b, "x", RenameFlags.EXCHANGE, null);
    assertUsage(b, 100, 1);
    assertEquals(700, m.lookup(ALICE, free, "z").length());
    assertEquals(sub, m.lookup(ALICE, a, "sub2").id());
  }

  @Test
  void nestedQuotas_countAtEveryLevel_andMovesBetweenSiblingsLeaveTheOuterAlone() {
    long outer = dir(tmp, "outer");
    m.setQuota(ROOT, outer, QuotaLimits.inodes(5));
    long a = dir(outer, "a");
    long b = dir(outer, "b");
    m.setQuota(ROOT, a, QuotaLimits.inodes(2));
    m.setQuota(ROOT, b, QuotaLimits.NONE); // usage only
    f.file(ALICE, a, "1", 0644);
    f.file(ALICE, a, "2", 0644);
    expect(Errno.EDQUOT, () -> f.file(ALICE, a, "3", 0644)); // the inner limit
    f.file(ALICE, b, "3", 0644);
    assertUsage(outer, 0, 5); // a, b and three files
    assertUsage(a, 0, 2);
    expect(Errno.EDQUOT, () -> f.file(ALICE, b, "4", 0644)); // the outer limit, though b has none
    m.rename(ALICE, a, "1", b, "1", 0, null); // the outer quota is full but shared: the move is fine
    assertUsage(a, 0, 1);
    assertUsage(b, 0, 2);
    assertUsage(outer, 0, 5);
    StatFs s = m.statfs(ALICE, a);
    assertEquals(2, s.maxInodes());
    assertEquals(1, s.usedInodes());
    StatFs sb = m.statfs(ALICE, m.lookup(ALICE, b, "1").id()); // b has no limit: the outer quota shows
    assertEquals(5, sb.maxInodes());
    assertEquals(m.statfs(ALICE), m.statfs(ALICE, tmp));
  }

  @Test
  void statfsInsideAByteQuota_reportsTheQuotaAsTheDisk() {
    long q = dir(tmp, "q");
    m.setQuota(ROOT, q, QuotaLimits.bytes(1 << 20));
    Inode x = f.file(ALICE, q, "x", 0644);
    m.setattr(ALICE, x.id(), SetAttr.truncate(1 << 18));
    StatFs s = m.statfs(ALICE, q);
    assertEquals(1 << 20, s.capacityBytes());
    assertEquals((1 << 20) - (1 << 18), s.freeBytes());
    assertEquals(0, s.maxInodes());
  }

  @Test
  void rmdirOfAnEmptyQuotaDirectory_dropsTheQuota() {
    long outer = dir(tmp, "outer");
    m.setQuota(ROOT, outer, QuotaLimits.inodes(10));
    long inner = dir(outer, "inner");
    m.setQuota(ROOT, inner, QuotaLimits.inodes(1));
    assertUsage(outer, 0, 1);
    m.rmdir(ALICE, outer, "inner", null);
    expect(Errno.ENOENT, () -> m.getQuota(ALICE, inner));
    assertUsage(outer, 0, 0); // and the checker finds no record of the gone quota
  }

  @Test
  void settingAQuotaOnAFullTree_countsWhatIsThere_andRemovingHandsItBack() {
    long top = dir(tmp, "top");
    m.setQuota(ROOT, top, QuotaLimits.NONE);
    long t = dir(top, "t");
    long bytes = 0;
    long inodes = 0;
    long wide = dir(t, "wide");
    inodes++;
    for (int k = 0; k < 300; k++) { // more than one page of the walk
      Inode x = f.file(ALICE, wide, "f" + k, 0644);
      m.setattr(ALICE, x.id(), SetAttr.truncate(k));
      bytes += k;
      inodes++;
    }
    long deep = t;
    for (int k = 0; k < 5; k++) {
      deep = dir(deep, "d" + k);
      inodes++;
    }
    m.symlink(ALICE, deep, "s", "x", null);
    inodes++;
    long nested = dir(t, "nested");
    inodes++;
    m.setQuota(ROOT, nested, QuotaLimits.inodes(50));
    f.file(ALICE, nested, "n1", 0644);
    f.file(ALICE, nested, "n2", 0644);
    inodes += 2;
    assertUsage(top, bytes, inodes + 1); // t itself counts toward top

    QuotaUsage u = m.setQuota(ROOT, t, new QuotaLimits(0, inodes + 1));
    assertEquals(QuotaUsage.State.ACTIVE, u.state());
    assertEquals(bytes, u.usedBytes());
    assertEquals(inodes, u.usedInodes());
    assertUsage(top, bytes, inodes + 1); // unchanged: t's quota nests inside top's
    assertUsage(nested, 0, 2);
    f.file(ALICE, t, "last", 0644);
    expect(Errno.EDQUOT, () -> f.file(ALICE, deep(t), "over", 0644));

    assertTrue(m.removeQuota(ROOT, t));
    assertEquals(Optional.empty(), m.getQuota(ALICE, t));
    assertUsage(top, bytes, inodes + 2);
    assertUsage(nested, 0, 2);
    f.file(ALICE, wide, "free-again", 0644);
    assertUsage(top, bytes, inodes + 3);
  }

  private long deep(long t) {
    return m.lookup(ALICE, t, "d0").id();
  }

  @Test
  void retriedMutationsWithRequestIds_underUnknownCommitOutcomes_countOnce() {
    MetaFixture g = new MetaFixture(KvFaults.of(0.2, 0.2, new SplittableRandom(3)));
    MetaService s = g.meta;
    long q = s.mkdir(ROOT, MetaService.ROOT, "q", 0777, g.req()).id();
    s.setQuota(ROOT, q, new QuotaLimits(0, 1000));
    for (int k = 0; k < 60; k++) {
      RequestId req = g.req();
      Inode x = s.create(ROOT, q, "f" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", req).inode();
      assertEquals(x, s.create(ROOT, q, "f" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", req).inode());
      s.setattr(ROOT, x.id(), SetAttr.truncate(10));
      s.setattr(ROOT, x.id(), SetAttr.truncate(10)); // repeated: no change, no charge
      if (k % 3 == 0) {
        RequestId del = g.req();
        s.unlink(ROOT, q, "f" + k, del);
        s.unlink(ROOT, q, "f" + k, del); // the retry returns the first answer
      }
    }
    QuotaUsage u = s.getQuota(ROOT, q).orElseThrow();
    assertEquals(40, u.usedInodes());
    assertEquals(400, u.usedBytes());
    g.assertConsistent();
  }
}
