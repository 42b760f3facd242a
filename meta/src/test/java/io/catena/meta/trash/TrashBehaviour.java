package io.catena.meta.trash;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.BOB;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KvEngine;
import io.catena.meta.Inode;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.SetAttr;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.UserInfo;
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Trash and undelete against one KV engine (subclasses pick it): removal into the trash area by unlink and by rename
 * over a file, restore with content and attributes, expiry by the garbage collector on an injected clock, trash time
 * 0 freeing at once, inheritance and set-trashtime -r, owner-only access, and quota accounting (trash does not count,
 * restore charges again).
 */
abstract class TrashBehaviour {
  static final long HOUR = 3600;

  final MetaFixture f = new MetaFixture();
  KvEngine engine;
  KvMetaService m;
  TrashService trash;
  GarbageCollector gc;
  long dir;

  /** The engine under test; closed after each test. */
  abstract KvEngine openEngine() throws Exception;

  @BeforeEach
  void setUp() throws Exception {
    engine = openEngine();
    m = engine == null ? f.meta : f.service(f.runner(engine, false));
    m.format(0755);
    trash = m.trash();
    gc = new GarbageCollector(m.context());
    dir = m.mkdir(ROOT, MetaService.ROOT, "d", 0777, null).id();
    m.setattr(ROOT, dir, SetAttr.chmod(0777));
  }

  @AfterEach
  void tearDown() throws Exception {
    assertConsistent();
    if (engine != null) {
      engine.close();
    }
  }

  void assertConsistent() {
    NamespaceChecker.Report r = NamespaceChecker.check(engine == null ? f.engine : engine);
    assertTrue(r.ok(), () -> "namespace violations: " + r.violations());
  }

  Inode file(UserInfo u, long parent, String name, long length) {
    Inode i = m.create(u, parent, name, 0640, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c1", null).inode();
    return length == 0 ? i : m.setattr(u, i.id(), SetAttr.truncate(length));
  }

  List<TrashEntry> list(UserInfo u) {
    return trash.listTrash(u, -1, 1000);
  }

  @Test
  void unlink_keepsTheFileInTrash_andRestoreBringsItBackIntact() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    long sub = m.mkdir(ALICE, dir, "sub", 0755, null).id();
    Inode before = file(ALICE, sub, "report.txt", 4096);
    f.tick();
    m.unlink(ALICE, sub, "report.txt", null);

    expect(Errno.ENOENT, () -> m.lookup(ALICE, sub, "report.txt"));
    List<TrashEntry> seen = list(ALICE);
    assertEquals(1, seen.size());
    TrashEntry e = seen.getFirst();
    assertEquals(before.id(), e.id());
    assertEquals("/d/sub/report.txt", e.path());
    assertEquals(sub, e.parent());
    assertEquals(4096, e.length());
    assertEquals(ALICE.uid(), e.uid());
    assertEquals(f.meta.context().nowNanos() + HOUR * 1_000_000_000L, e.expiresAtNanos());
    assertTrue(gc.runOnce() == 0 && !f.storage.removed.contains(before.id()), "trash is not collected");

    Inode back = trash.restore(ALICE, e.id(), null);
    Inode found = m.lookup(ALICE, sub, "report.txt");
    assertEquals(before.id(), found.id());
    assertEquals(4096, found.length());
    assertEquals(before.mode(), found.mode());
    assertEquals(before.uid(), found.uid());
    assertEquals(before.mtime(), found.mtime());
    assertEquals(1, back.nlink());
    assertTrue(list(ROOT).isEmpty());
    expect(Errno.ENOENT, () -> trash.restore(ALICE, e.id(), null));
  }

  @Test
  void renameOverAFile_trashesTheReplacedFile() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    Inode old = file(ALICE, dir, "b", 10);
    Inode fresh = file(ALICE, dir, "a", 20);
    m.rename(ALICE, dir, "a", dir, "b", 0, null);
    assertEquals(fresh.id(), m.lookup(ALICE, dir, "b").id());
    List<TrashEntry> seen = list(ALICE);
    assertEquals(1, seen.size());
    assertEquals(old.id(), seen.getFirst().id());
    assertEquals("/d/b", seen.getFirst().path());
    expect(Errno.EEXIST, () -> trash.restore(ALICE, old.id(), null));
    trash.restore(ALICE, old.id(), "/d/b.old");
    assertEquals(10, m.lookup(ALICE, dir, "b.old").length());
  }

  @Test
  void restore_createsNothing_andRefusesMissingOrForeignDirectories() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    long gone = m.mkdir(ALICE, dir, "gone", 0755, null).id();
    Inode victim = file(ALICE, gone, "f", 1);
    m.unlink(ALICE, gone, "f", null);
    m.rmdir(ALICE, dir, "gone", null);
    CatenaException x = org.junit.jupiter.api.Assertions.assertThrows(CatenaException.class,
        () -> trash.restore(ALICE, victim.id(), null));
    assertEquals(Errno.ENOENT, x.errno());
    assertTrue(x.getMessage().contains("/d/gone") && x.getMessage().contains("does not exist"), x.getMessage());
    expect(Errno.ENOENT, () -> m.lookup(ALICE, dir, "gone"));
    expect(Errno.EINVAL, () -> trash.restore(ALICE, victim.id(), "relative/path"));
    long rootOnly = m.mkdir(ROOT, MetaService.ROOT, "rootonly", 0755, null).id();
    expect(Errno.EACCES, () -> trash.restore(ALICE, victim.id(), "/rootonly/f"));
    expect(Errno.ENOENT, () -> m.lookup(ROOT, rootOnly, "f"));
    trash.restore(ALICE, victim.id(), "/d/f");
    assertEquals(victim.id(), m.lookup(ALICE, dir, "f").id());
  }

  @Test
  void expiredEntries_areFreedByTheGarbageCollector_inBoundedBatches() {
    trash.setTrashTime(ROOT, dir, 60, false);
    int n = 75; // more than one transaction's worth
    long[] ids = new long[n];
    for (int k = 0; k < n; k++) {
      ids[k] = file(ALICE, dir, "f" + k, 1).id();
      m.unlink(ALICE, dir, "f" + k, null);
    }
    f.clock.advance(Duration.ofSeconds(59));
    gc.runOnce();
    assertEquals(n, list(ROOT).size(), "nothing expires early");
    assertTrue(f.storage.removed.isEmpty());
    f.clock.advance(Duration.ofSeconds(2));
    gc.runOnce();
    assertTrue(list(ROOT).isEmpty(), "expired entries leave the trash at once");
    assertTrue(f.storage.removed.isEmpty(), "their chunks wait for meta.gc_delay after the deletion, as without trash");
    f.clock.advance(m.context().config().get(io.catena.meta.server.MetaConfig.GC_DELAY));
    for (int pass = 0; pass < 5 && f.storage.removed.size() < n; pass++) {
      gc.runOnce();
    }
    assertTrue(list(ROOT).isEmpty());
    for (long id : ids) {
      assertTrue(f.storage.removed.contains(id), "chunks of " + id + " removed");
      expect(Errno.ENOENT, () -> m.getattr(ROOT, id));
    }
  }

  @Test
  void trashTimeZero_freesAtOnce_asBefore() {
    Inode i = file(ALICE, dir, "f", 5);
    assertEquals(0, trash.getTrashTime(ALICE, i.id()));
    m.unlink(ALICE, dir, "f", null);
    assertTrue(list(ROOT).isEmpty());
    f.clock.advance(m.context().config().get(io.catena.meta.server.MetaConfig.GC_DELAY).plusSeconds(1));
    gc.runOnce();
    assertTrue(f.storage.removed.contains(i.id()));
  }

  @Test
  void trashTime_isInheritedAtCreation_andSetRecursivelyWithCounts() {
    long a = m.mkdir(ALICE, dir, "a", 0755, null).id();
    long b = m.mkdir(ALICE, a, "b", 0755, null).id();
    for (int k = 0; k < 40; k++) {
      file(ALICE, b, "x" + k, 0);
    }
    file(BOB, dir, "bobs", 0);
    // before: nothing set
    assertEquals(0, trash.getTrashTime(ALICE, b));
    TrashTimeChange c = trash.setTrashTime(ALICE, a, 7200, true);
    assertEquals(new TrashTimeChange(42, 0, 0), c); // a, b and 40 files
    assertEquals(new TrashTimeChange(0, 42, 0), trash.setTrashTime(ALICE, a, 7200, true));
    expect(Errno.EPERM, () -> trash.setTrashTime(ALICE, dir, 60, false));
    // alice cannot change root's directory or bob's file: reported, not fatal
    TrashTimeChange mixed = trash.setTrashTime(ALICE, a, 60, true);
    assertEquals(42, mixed.changed());
    TrashTimeChange fromTop = trash.setTrashTime(BOB, dir, 60, true);
    assertEquals(1, fromTop.changed()); // bob's file only
    assertEquals(43, fromTop.notPermitted()); // d, a, b and the 40 files
    assertEquals(60, trash.getTrashTime(ALICE, m.lookup(ALICE, b, "x3").id()));

    long c1 = m.mkdir(ALICE, b, "c", 0755, null).id();
    Inode inB = file(ALICE, c1, "new", 0);
    assertEquals(60, trash.getTrashTime(ALICE, c1));
    assertEquals(60, trash.getTrashTime(ALICE, inB.id()));
    trash.setTrashTime(ALICE, b, 0, false);
    assertEquals(0, trash.getTrashTime(ALICE, file(ALICE, b, "later", 0).id()));
    expect(Errno.EINVAL, () -> trash.setTrashTime(ROOT, dir, -1, false));
  }

  @Test
  void onlyTheOwnerOrRoot_seesRestoresAndPurges() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    Inode i = file(ALICE, dir, "mine", 1);
    m.unlink(ALICE, dir, "mine", null);
    assertTrue(list(BOB).isEmpty());
    assertEquals(1, list(ROOT).size());
    expect(Errno.EPERM, () -> trash.restore(BOB, i.id(), "/d/stolen"));
    expect(Errno.EPERM, () -> trash.purge(BOB, i.id(), 0));
    assertEquals(0, trash.purge(BOB, -1, 0));
    assertEquals(1, list(ALICE).size());
    trash.restore(ROOT, i.id(), null);
    assertEquals(ALICE.uid(), m.lookup(ROOT, dir, "mine").uid());
  }

  @Test
  void purge_byIdOrAge_handsEntriesToTheCollector() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    Inode a = file(ALICE, dir, "a", 1);
    m.unlink(ALICE, dir, "a", null);
    f.clock.advance(Duration.ofMinutes(30));
    Inode b = file(ALICE, dir, "b", 1);
    m.unlink(ALICE, dir, "b", null);
    Inode c = file(ALICE, dir, "c", 1);
    m.unlink(ALICE, dir, "c", null);
    assertEquals(1, trash.purge(ALICE, -1, 600)); // only a is older than 10 minutes
    assertEquals(1, trash.purge(ALICE, c.id(), 0));
    expect(Errno.ENOENT, () -> trash.purge(ALICE, c.id(), 0));
    assertEquals(List.of(b.id()), list(ALICE).stream().map(TrashEntry::id).toList());
    gc.runOnce();
    assertTrue(f.storage.removed.containsAll(List.of(a.id(), c.id())));
    assertFalse(f.storage.removed.contains(b.id()));
    assertEquals(1, trash.purge(ROOT, -1, 0));
    gc.runOnce();
    assertTrue(f.storage.removed.contains(b.id()));
  }

  @Test
  void hardLinkedFile_goesToTrashOnlyWithItsLastName() {
    trash.setTrashTime(ROOT, dir, HOUR, false);
    Inode i = file(ALICE, dir, "one", 1);
    m.link(ALICE, i.id(), dir, "two", null);
    m.unlink(ALICE, dir, "one", null);
    assertTrue(list(ALICE).isEmpty());
    m.unlink(ALICE, dir, "two", null);
    assertEquals("/d/two", list(ALICE).getFirst().path());
  }

  @Test
  void trashDoesNotCountTowardQuotas_andRestoreChargesAgain() {
    m.setQuota(ROOT, dir, new QuotaLimits(1000, 3));
    trash.setTrashTime(ROOT, dir, HOUR, false);
    Inode big = file(ALICE, dir, "big", 800);
    assertEquals(800, usage().usedBytes());
    m.unlink(ALICE, dir, "big", null);
    assertEquals(0, usage().usedBytes());
    assertEquals(0, usage().usedInodes());
    Inode other = file(ALICE, dir, "other", 500);
    expect(Errno.EDQUOT, () -> trash.restore(ALICE, big.id(), null));
    assertEquals(1, list(ALICE).size(), "a refused restore leaves the entry in trash");
    m.unlink(ALICE, dir, "other", null);
    trash.purge(ALICE, other.id(), 0);
    trash.restore(ALICE, big.id(), null);
    assertEquals(800, usage().usedBytes());
    assertEquals(1, usage().usedInodes());
  }

  private QuotaUsage usage() {
    return m.getQuota(ROOT, dir).orElseThrow();
  }
}
