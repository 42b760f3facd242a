package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Snapshots on a real RocksDB namespace: what the copy holds, the reference counts of shared data (checked against
 * the files by {@link NamespaceChecker} after every test), copy-on-write at the first write or truncate on either
 * side, and chunks freed only with their last reference. Storage is the fake (lengths per data id).
 */
class SnapshotTest {
  @TempDir
  Path dir;
  final MetaFixture f = new MetaFixture();
  KvEngine rocks;
  KvMetaService m;
  GarbageCollector gc;
  long tmp;

  @BeforeEach
  void open() {
    rocks = KvEngines.open("rocksdb://" + dir, Config.defaults(ConfigSchema.fromHolders(KvConfig.class)));
    m = f.service(f.runner(rocks, false));
    m.format(0755);
    gc = new GarbageCollector(m.context());
    Inode t = m.mkdir(ROOT, MetaService.ROOT, "tmp", 0777, null);
    tmp = m.setattr(ROOT, t.id(), SetAttr.chmod(0777)).id();
  }

  @AfterEach
  void checkAndClose() {
    try {
      NamespaceChecker.Report r = NamespaceChecker.check(rocks);
      assertTrue(r.ok(), () -> "namespace violations: " + r.violations());
    } finally {
      rocks.close();
    }
  }

  /** A closed file of {@code length} bytes (as storage reports them). */
  Inode written(UserInfo u, long parent, String name, long length) {
    OpenResult w = m.create(u, parent, name, 0640, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, "c1", null);
    f.storage.lengths.put(data(w.inode()), length);
    return m.close(u, w.inode().id(), w.sessionId(), true);
  }

  static long data(Inode i) {
    return i.layout().dataOwner(i.id());
  }

  Inode at(long parent, String... path) {
    Inode i = m.getattr(ROOT, parent);
    for (String p : path) {
      i = m.lookup(ROOT, i.id(), p);
    }
    return i;
  }

  void collect() {
    f.clock.advance(Duration.ofHours(1));
    while (gc.runOnce() > 0) {
      // until nothing is left to remove
    }
  }

  @Test
  void snapshotOfATree_sharesEveryFilesDataAndCopiesAttributesXattrsAndSymlinks() {
    Inode src = m.mkdir(ALICE, tmp, "src", 0750, null);
    Inode a = written(ALICE, src.id(), "a", 3000);
    m.setxattr(ALICE, a.id(), "user.tag", "blue".getBytes(StandardCharsets.UTF_8), 0, null);
    Inode sub = m.mkdir(ALICE, src.id(), "sub", 0700, null);
    Inode b = written(ALICE, sub.id(), "b", 70);
    m.symlink(ALICE, src.id(), "link", "sub/b", null);
    f.tick();

    SnapshotResult r = m.snapshot(ALICE, src.id(), tmp, "snap", f.req());

    assertEquals(new SnapshotResult(2, 2, 0, 1, 3070), r);
    assertEquals(0, f.storage.copies.get(), "no byte is copied while nobody writes");
    Inode a2 = at(tmp, "snap", "a");
    assertNotEquals(a.id(), a2.id());
    assertEquals(data(a), data(a2), "the copy names the source's chunks");
    assertEquals(3000, a2.length());
    assertEquals(a.mode(), a2.mode());
    assertEquals(a.mtime(), a2.mtime());
    assertEquals(ALICE.uid(), a2.uid());
    assertArrayEquals("blue".getBytes(StandardCharsets.UTF_8), m.getxattr(ALICE, a2.id(), "user.tag"));
    assertEquals(data(b), data(at(tmp, "snap", "sub", "b")));
    assertEquals("sub/b", m.readlink(ALICE, at(tmp, "snap", "link").id()));
    Inode snap = at(tmp, "snap");
    assertEquals(0750, snap.mode());
    assertEquals(3, snap.nlink(), "., its entry and sub's ..");
    assertEquals(0700, at(tmp, "snap", "sub").mode());
    assertFalse(m.readdir(ROOT, tmp, null, 100, false).entries().stream()
        .anyMatch(e -> e.name().startsWith(".catena-snapshot")), "the hidden build name is gone");
  }

  @Test
  void firstWriteOpenOnEitherSide_makesThatSidesPrivateCopyAndLeavesTheOtherAlone() {
    Inode a = written(ALICE, tmp, "a", 5000);
    m.snapshot(ALICE, a.id(), tmp, "a.snap", null);
    Inode s = at(tmp, "a.snap");
    long shared = data(a);

    OpenResult w = m.open(ALICE, s.id(), OpenFlags.O_RDWR, "c1");
    assertEquals(1, f.storage.copies.get());
    assertNotEquals(shared, data(w.inode()), "the snapshot writes a copy of its own");
    assertEquals(5000L, f.storage.lengths.get(data(w.inode())));
    assertEquals(shared, data(m.getattr(ALICE, a.id())), "the source still names its data");
    f.storage.lengths.put(data(w.inode()), 9000L); // the snapshot side appends
    assertEquals(9000, m.close(ALICE, s.id(), w.sessionId(), true).length());
    assertEquals(5000, m.getattr(ALICE, a.id()).length());

    // The source is alone with its data again: writing it needs no copy.
    OpenResult w2 = m.open(ALICE, a.id(), OpenFlags.O_WRONLY, "c1");
    assertEquals(shared, data(w2.inode()));
    assertEquals(1, f.storage.copies.get());
    m.close(ALICE, a.id(), w2.sessionId(), false);
  }

  @Test
  void writeOpenOfTheSource_copiesTheSourceAndTheSnapshotKeepsTheOriginalData() {
    Inode a = written(ALICE, tmp, "a", 100);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    OpenResult w = m.create(ALICE, tmp, "a", 0640, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, "c1", null);
    assertNotEquals(data(a), data(w.inode()));
    assertEquals(data(a), data(at(tmp, "s")));
    m.close(ALICE, a.id(), w.sessionId(), false);
  }

  @Test
  void truncatingOpen_switchesToFreshEmptyDataWithoutCopying() {
    Inode a = written(ALICE, tmp, "a", 4096);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    OpenResult w = m.open(ALICE, a.id(), OpenFlags.O_WRONLY | OpenFlags.O_TRUNC, "c1");
    assertEquals(0, f.storage.copies.get());
    assertNotEquals(data(a), data(w.inode()));
    assertEquals(0, w.inode().length());
    assertEquals(4096L, f.storage.lengths.get(data(a)), "the snapshot's bytes are untouched");
    assertEquals(4096, at(tmp, "s").length());
    m.close(ALICE, a.id(), w.sessionId(), false);
  }

  @Test
  void readOnlyOpenWithOTrunc_neverCutsSharedData() {
    Inode a = written(ALICE, tmp, "a", 4096);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    m.create(ALICE, tmp, "a", 0640, OpenFlags.O_CREAT | OpenFlags.O_RDONLY | OpenFlags.O_TRUNC, "c1", null);
    assertEquals(0, m.getattr(ALICE, a.id()).length());
    assertNotEquals(data(a), data(m.getattr(ALICE, a.id())));
    assertFalse(f.storage.truncatedTo.containsKey(data(a)), "the snapshot's bytes are untouched");
    assertEquals(4096, at(tmp, "s").length());
  }

  @Test
  void copyThatNeverCommits_failsTheOpen_andItsChunksAreRemovedAfterTheOrphanAge() {
    Inode a = written(ALICE, tmp, "a", 100);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    f.storage.failCopies = true;
    expect(Errno.EIO, () -> m.open(ALICE, a.id(), OpenFlags.O_WRONLY, "c1"));
    f.storage.failCopies = false;
    assertEquals(data(a), data(m.getattr(ALICE, a.id())), "still sharing");
    long orphan = f.storage.lengths.keySet().stream().filter(d -> d != data(a)).findFirst().orElseThrow();
    f.clock.advance(Duration.ofMinutes(10));
    gc.runOnce();
    assertFalse(f.storage.removed.contains(orphan), "younger than meta.cow_orphan_age: may still commit");
    f.clock.advance(Duration.ofHours(1));
    gc.runOnce();
    assertTrue(f.storage.removed.contains(orphan), "the copy nobody committed is removed");
    assertFalse(f.storage.removed.contains(data(a)));
    OpenResult w = m.open(ALICE, a.id(), OpenFlags.O_WRONLY, "c1"); // the next open copies again, and commits
    assertNotEquals(data(a), data(w.inode()));
    m.close(ALICE, a.id(), w.sessionId(), false);
    m.unlink(ALICE, tmp, "a", null);
    collect(); // no write session was left behind by the failed open
    expect(Errno.ENOENT, () -> m.getattr(ALICE, a.id()));
  }

  @Test
  void truncateBySetattr_copiesFirstAndCutsOnlyTheCopy() {
    Inode a = written(ALICE, tmp, "a", 4096);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    Inode s = at(tmp, "s");
    Inode cut = m.setattr(ALICE, s.id(), SetAttr.truncate(10));
    assertEquals(10, cut.length());
    assertNotEquals(data(a), data(cut));
    assertEquals(10L, f.storage.truncatedTo.get(data(cut)));
    assertFalse(f.storage.truncatedTo.containsKey(data(a)));
    assertEquals(4096L, f.storage.lengths.get(data(a)));
  }

  @Test
  void chunksAreRemovedOnlyWithTheLastFileNamingThem() {
    Inode a = written(ALICE, tmp, "a", 100);
    m.snapshot(ALICE, a.id(), tmp, "s1", null);
    m.snapshot(ALICE, a.id(), tmp, "s2", null);
    long shared = data(a);
    m.unlink(ALICE, tmp, "a", null);
    collect();
    expect(Errno.ENOENT, () -> m.getattr(ALICE, a.id()));
    assertFalse(f.storage.removed.contains(shared), "two snapshots still name the data");
    m.unlink(ALICE, tmp, "s1", null);
    collect();
    assertFalse(f.storage.removed.contains(shared));
    m.removeRecursive(ALICE, tmp, "s2", null);
    collect();
    assertTrue(f.storage.removed.contains(shared), "the last reference went: the chunks go");
  }

  @Test
  void snapshotOfASnapshot_countsEveryReferenceAndFreesAfterAllAreGone() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    Inode a = written(ALICE, d.id(), "a", 100);
    m.snapshot(ALICE, d.id(), tmp, "d1", null);
    m.snapshot(ALICE, at(tmp, "d1").id(), tmp, "d2", null);
    assertEquals(data(a), data(at(tmp, "d2", "a")));
    for (String name : new String[] {"d", "d1", "d2"}) {
      assertFalse(f.storage.removed.contains(data(a)));
      m.removeRecursive(ALICE, tmp, name, null);
      collect();
    }
    assertTrue(f.storage.removed.contains(data(a)));
  }

  @Test
  void fileOpenForWritingDuringTheSnapshot_isCopiedNotShared() {
    OpenResult w = m.create(ALICE, tmp, "busy", 0644, OpenFlags.O_CREAT | OpenFlags.O_WRONLY, "c1", null);
    f.storage.lengths.put(data(w.inode()), 777L); // written, not closed yet
    SnapshotResult r = m.snapshot(ALICE, w.inode().id(), tmp, "s", null);
    assertEquals(1, r.copiedFiles());
    Inode s = at(tmp, "s");
    assertEquals(s.id(), data(s), "the copy owns its data");
    assertEquals(777, s.length(), "what was written by the snapshot");
    f.storage.lengths.put(data(w.inode()), 1000L); // the writer goes on
    assertEquals(1000, m.close(ALICE, w.inode().id(), w.sessionId(), true).length());
    assertEquals(777, at(tmp, "s").length());
  }

  @Test
  void aTreeLargerThanOneTransaction_isCopiedWholeAndEachFileShared() {
    Inode src = m.mkdir(ALICE, tmp, "big", 0755, null);
    long expected = 0;
    for (int k = 0; k < 40; k++) {
      written(ALICE, src.id(), "f" + k, k);
      expected += k;
    }
    SnapshotResult r = m.snapshot(ALICE, src.id(), tmp, "big.snap", null);
    assertEquals(40, r.sharedFiles());
    assertEquals(expected, r.bytes());
    assertEquals(40, m.readdir(ALICE, at(tmp, "big.snap").id(), null, 100, false).entries().size());
  }

  @Test
  void interruptedSnapshot_isRemovedAndRedoneByTheNextRun() {
    Inode a = written(ALICE, tmp, "a", 10);
    // What a crash after the first batch leaves: the hidden tree with a shared file in it.
    Inode d = m.mkdir(ALICE, tmp, ".catena-snapshot-half", 0755, null);
    m.snapshot(ALICE, a.id(), d.id(), "a", null);
    m.rename(ALICE, tmp, ".catena-snapshot-half", tmp, snapshotBuildName("s"), 0, null);
    m.snapshot(ALICE, a.id(), tmp, "s", null);
    assertEquals(data(a), data(at(tmp, "s")));
    expect(Errno.ENOENT, () -> m.lookup(ALICE, tmp, snapshotBuildName("s")));
    collect(); // the leftover's file dropped its reference
  }

  private static String snapshotBuildName(String dst) {
    long h = 1125899906842597L;
    for (int i = 0; i < dst.length(); i++) {
      h = 31 * h + dst.charAt(i);
    }
    return ".catena-snapshot-" + Long.toHexString(h);
  }

  @Test
  void badRequests_getClearErrnos() {
    Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
    Inode inner = m.mkdir(ALICE, d.id(), "inner", 0755, null);
    written(ALICE, tmp, "a", 1);
    expect(Errno.EEXIST, () -> m.snapshot(ALICE, d.id(), tmp, "a", null));
    expect(Errno.EINVAL, () -> m.snapshot(ALICE, d.id(), inner.id(), "loop", null));
    expect(Errno.EINVAL, () -> m.snapshot(ALICE, d.id(), d.id(), "loop", null));
    Inode secret = written(ALICE, tmp, "secret", 5);
    m.setattr(ALICE, secret.id(), SetAttr.chmod(0600));
    expect(Errno.EACCES, () -> m.snapshot(BOB, secret.id(), tmp, "stolen", null));
    expect(Errno.EACCES, () -> m.snapshot(BOB, d.id(), d.id(), "x", null)); // d is not BOB's to write
  }

  @Test
  void nonRootCaller_ownsTheCopyAndRootKeepsOwners() {
    Inode a = written(ALICE, tmp, "a", 5);
    m.setattr(ALICE, a.id(), SetAttr.chmod(0644));
    m.snapshot(BOB, a.id(), tmp, "bob", null);
    assertEquals(BOB.uid(), at(tmp, "bob").uid());
    m.snapshot(ROOT, a.id(), tmp, "root", null);
    assertEquals(ALICE.uid(), at(tmp, "root").uid());
  }

  @Test
  void quota_countsTheSnapshotByLogicalSizeAndRefusesPastTheLimit() {
    Inode q = m.mkdir(ROOT, tmp, "q", 0777, null);
    Inode a = written(ALICE, tmp, "a", 600);
    m.setQuota(ROOT, q.id(), new QuotaLimits(1000, 0));
    m.snapshot(ALICE, a.id(), q.id(), "one", null);
    QuotaUsage u = m.getQuota(ROOT, q.id()).orElseThrow();
    assertEquals(600, u.usedBytes(), "a snapshot counts its logical size, as MooseFS does");
    assertEquals(1, u.usedInodes());
    expect(Errno.EDQUOT, () -> m.snapshot(ALICE, a.id(), q.id(), "two", null));
    assertEquals(600, m.getQuota(ROOT, q.id()).orElseThrow().usedBytes());
  }

  @Test
  void repeatedRequest_afterALostReply_isAnsweredNotRedone() {
    Inode a = written(ALICE, tmp, "a", 5);
    RequestId req = f.req();
    m.snapshot(ALICE, a.id(), tmp, "s", req);
    assertEquals(new SnapshotResult(0, 0, 0, 0, 0), m.snapshot(ALICE, a.id(), tmp, "s", req));
  }
}
