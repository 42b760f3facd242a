package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KvFaults;
import io.catena.meta.store.KvMetaService;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Quota usage under contention: two meta services on one engine that fails commits with conflicts and unknown
 * outcomes, many threads creating, growing and removing under one quota (each in its own directory, so only the
 * quota is shared). The limit must hold exactly and the counters must equal a recount.
 */
class QuotaConcurrencyTest {
  static final int THREADS = 8;

  @Test
  void concurrentCreatesUnderOneQuota_withInjectedFaults_fillItExactlyAndNeverPassIt() throws Exception {
    MetaFixture f = new MetaFixture(KvFaults.of(0.10, 0.02, new SplittableRandom(11)));
    SlowCommits slow = new SlowCommits(f.engine, 300_000); // transactions overlap: the limit check is raced
    KvMetaService one = f.service(f.runner(slow, true));
    KvMetaService two = f.service(f.runner(slow, true));
    long q = one.mkdir(ROOT, MetaService.ROOT, "q", 0777, f.req()).id();
    int limit = 150;
    one.setQuota(ROOT, q, QuotaLimits.inodes(limit));
    long[] dirs = new long[THREADS];
    for (int t = 0; t < THREADS; t++) {
      dirs[t] = one.mkdir(ROOT, q, "d" + t, 0777, f.req()).id();
    }
    AtomicInteger created = new AtomicInteger();
    AtomicInteger refused = new AtomicInteger();
    List<Throwable> unexpected = java.util.Collections.synchronizedList(new ArrayList<>());
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    List<Future<?>> done = new ArrayList<>();
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      MetaService m = t % 2 == 0 ? one : two;
      done.add(pool.submit(() -> {
        start.await();
        for (int i = 0; i < 40; i++) {
          try {
            RequestId req = new RequestId("t" + thread, i);
            if (i % 4 == 3) {
              m.mkdir(ROOT, dirs[thread], "s" + i, 0755, req);
            } else {
              m.create(ROOT, dirs[thread], "f" + i, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "t" + thread, req);
            }
            created.incrementAndGet();
          } catch (CatenaException e) {
            if (e.errno() == Errno.EDQUOT) {
              refused.incrementAndGet();
            } else {
              unexpected.add(e);
            }
          } catch (Throwable e) {
            unexpected.add(e);
          }
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> d : done) {
      d.get(120, TimeUnit.SECONDS);
    }
    pool.shutdown();
    assertTrue(unexpected.isEmpty(), () -> "unexpected failures: " + unexpected);
    assertEquals(limit - THREADS, created.get(), "creates that succeeded fill the quota exactly");
    assertEquals(THREADS * 40 - created.get(), refused.get());
    assertEquals(limit, one.getQuota(ROOT, q).orElseThrow().usedInodes());
    f.assertConsistent();

    // Unlinking everything concurrently hands every inode back.
    done.clear();
    ExecutorService pool2 = Executors.newFixedThreadPool(THREADS);
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      MetaService m = t % 2 == 0 ? two : one;
      done.add(pool2.submit(() -> {
        for (DirEntry e : m.readdir(ROOT, dirs[thread], null, 1000, false).entries()) {
          RequestId req = new RequestId("rm" + thread, e.ino());
          if (e.type() == InodeType.DIRECTORY) {
            m.rmdir(ROOT, dirs[thread], e.name(), req);
          } else {
            m.unlink(ROOT, dirs[thread], e.name(), req);
          }
        }
        return null;
      }));
    }
    for (Future<?> d : done) {
      d.get(120, TimeUnit.SECONDS);
    }
    pool2.shutdown();
    assertEquals(THREADS, one.getQuota(ROOT, q).orElseThrow().usedInodes());
    f.assertConsistent();
  }
}
