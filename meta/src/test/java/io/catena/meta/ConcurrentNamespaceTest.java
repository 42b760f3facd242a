package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KvFaults;
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * Many threads on two meta services sharing one engine create, rename, link and unlink in a few shared directories
 * while the engine fails 10% of commits with conflicts and 2% with an unknown outcome (applied or not); afterwards the checker must find a consistent namespace.
 */
class ConcurrentNamespaceTest {
  static final int THREADS = 8;
  static final int OPS = 400;
  static final String[] NAMES = {"a", "b", "c", "d", "e", "f"};
  /** Outcomes POSIX allows when other threads change the same names. */
  static final Set<Errno> EXPECTED = EnumSet.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY, Errno.EISDIR,
      Errno.ENOTDIR, Errno.EINVAL, Errno.EPERM);
  /** With quotas on two of the shared directories, moves between them may also be refused. */
  static final Set<Errno> EXPECTED_WITH_QUOTAS = EnumSet.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY,
      Errno.EISDIR, Errno.ENOTDIR, Errno.EINVAL, Errno.EPERM, Errno.EXDEV, Errno.EDQUOT);

  @Test
  void concurrentCreatesRenamesLinksAndUnlinks_leaveAConsistentNamespace() throws Exception {
    run(false);
  }

  /** The same with a quota on s0 (tight, so EDQUOT happens) and one on s1 (usage only): counters stay exact. */
  @Test
  void concurrentChangesAcrossQuotaDirectories_keepUsageEqualToARecount() throws Exception {
    run(true);
  }

  private void run(boolean quotas) throws Exception {
    Set<Errno> expected = quotas ? EXPECTED_WITH_QUOTAS : EXPECTED;
    MetaFixture f = new MetaFixture(KvFaults.of(0.10, 0.02, new SplittableRandom(quotas ? 2 : 1)));
    KvMetaService one = f.service(f.runner(f.engine, true));
    KvMetaService two = f.service(f.runner(f.engine, true));
    long[] shared = new long[3];
    for (int k = 0; k < shared.length; k++) {
      shared[k] = one.mkdir(ROOT, MetaService.ROOT, "s" + k, 0777, null).id();
    }
    if (quotas) {
      one.setQuota(ROOT, shared[0], QuotaLimits.inodes(12));
      one.setQuota(ROOT, shared[1], QuotaLimits.NONE);
    }
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      MetaService m = t % 2 == 0 ? one : two;
      done.add(pool.submit(() -> {
        SplittableRandom rnd = new SplittableRandom(100 + thread);
        start.await();
        for (int i = 0; i < OPS; i++) {
          String[] op = {"?"};
          try {
            step(m, rnd, shared, thread, i, op);
            outcomes.computeIfAbsent(op[0] + ":ok", k -> new AtomicLong()).incrementAndGet();
          } catch (CatenaException e) {
            if (!expected.contains(e.errno())) {
              unexpected.add(e);
            }
            outcomes.computeIfAbsent(op[0] + ":" + e.errno(), k -> new AtomicLong()).incrementAndGet();
          } catch (Throwable e) {
            unexpected.add(e);
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> d : done) {
      d.get();
    }
    pool.shutdown();
    assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + unexpected);
    long successes = outcomes.entrySet().stream().filter(e -> e.getKey().endsWith(":ok"))
        .mapToLong(e -> e.getValue().get()).sum();
    // Not vacuous: a good share of the random operations must have done something (under quotas many are refused
    // with EDQUOT/EXDEV by design, so the bar is a sixth).
    assertTrue(successes > THREADS * OPS / 6, () -> "too few operations succeeded: " + outcomes);

    NamespaceChecker.Report report = NamespaceChecker.check(f.engine);
    assertTrue(report.ok(), () -> "violations: " + report.violations() + "\noutcomes: " + outcomes);
    assertTrue(report.inodes() > 3);
    System.out.println("outcomes " + new java.util.TreeMap<>(outcomes) + " inodes " + report.inodes());

    f.clock.advance(Duration.ofHours(1));
    GarbageCollector gc = new GarbageCollector(one.context());
    while (gc.runOnce() > 0) {
      // each pass handles one batch
    }
    f.assertConsistent();
    assertEquals(0, gcEntries(f));
  }

  private static long gcEntries(MetaFixture f) {
    try (var t = f.engine.beginRead()) {
      byte[] p = io.catena.meta.store.MetaKeys.GCQ;
      return t.snapshotGetRange(p, io.catena.kv.Keys.strinc(p), 0, false).pairs().size();
    }
  }

  /** One random operation; its name goes to {@code op[0]} before it runs. */
  private static void step(MetaService m, SplittableRandom rnd, long[] shared, int thread, int i, String[] op) {
    long dir = pickDir(m, rnd, shared);
    String name = NAMES[rnd.nextInt(NAMES.length)];
    RequestId req = new RequestId("t" + thread, i);
    int choice = rnd.nextInt(10);
    op[0] = switch (choice) {
      case 0, 1 -> "create";
      case 2 -> "mkdir";
      case 3 -> "link";
      case 4 -> "unlink";
      case 5 -> "rmdir";
      case 6, 7 -> "rename";
      case 8 -> "chmod";
      default -> "truncate";
    };
    switch (choice) {
      case 0, 1 -> {
        m.create(ROOT, dir, name, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "t" + thread, req);
      }
      case 2 -> {
        m.mkdir(ROOT, dir, name, 0755, req);
      }
      case 3 -> {
        Inode src = m.lookup(ROOT, dir, name);
        m.link(ROOT, src.id(), pickDir(m, rnd, shared), NAMES[rnd.nextInt(NAMES.length)], req);
      }
      case 4 -> {
        m.unlink(ROOT, dir, name, req);
      }
      case 5 -> {
        m.rmdir(ROOT, dir, name, req);
      }
      case 6, 7 -> {
        int flags = switch (rnd.nextInt(4)) {
          case 0 -> RenameFlags.NOREPLACE;
          case 1 -> RenameFlags.EXCHANGE;
          default -> 0;
        };
        m.rename(ROOT, dir, name, pickDir(m, rnd, shared), NAMES[rnd.nextInt(NAMES.length)], flags, req);
      }
      case 8 -> {
        Inode x = m.lookup(ROOT, dir, name);
        m.setattr(ROOT, x.id(), SetAttr.chmod(0700 | rnd.nextInt(0100)));
      }
      default -> {
        Inode x = m.lookup(ROOT, dir, name);
        if (x.isFile()) {
          m.setattr(ROOT, x.id(), SetAttr.truncate(rnd.nextInt(1000)));
        }
      }
    }
  }

  /** A shared directory, or a subdirectory of one (found by name), so renames also move directories around. */
  private static long pickDir(MetaService m, SplittableRandom rnd, long[] shared) {
    long top = shared[rnd.nextInt(shared.length)];
    if (rnd.nextBoolean()) {
      return top;
    }
    try {
      Inode sub = m.lookup(ROOT, top, NAMES[rnd.nextInt(NAMES.length)]);
      return sub.isDirectory() ? sub.id() : top;
    } catch (CatenaException e) {
      return top;
    }
  }
}
