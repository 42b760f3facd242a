package io.catena.meta;

import static io.catena.meta.MetaFixture.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.retry.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.meta.store.KvMetaService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Many threads changing one directory through one service: every mutation writes the parent inode, so under plain
 * optimistic concurrency they conflict until the retry budget runs out (EAGAIN); the service queues them per
 * directory and commits them in groups instead, so a tight budget of 5 attempts is enough, and a failing operation in
 * a group neither commits anything nor takes the others down.
 */
class OneDirectoryContentionTest {
  @Test
  void sixteenExclusiveCreatesOfOneName_oneSucceedsTheRestGetEexist() throws Exception {
    MetaFixture f = new MetaFixture();
    long dir = f.openDir("hot").id();
    for (int round = 0; round < 20; round++) {
      String name = "same" + round;
      int threads = 16;
      java.util.concurrent.CyclicBarrier go = new java.util.concurrent.CyclicBarrier(threads);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      java.util.concurrent.atomic.AtomicInteger won = new java.util.concurrent.atomic.AtomicInteger();
      java.util.concurrent.atomic.AtomicInteger eexist = new java.util.concurrent.atomic.AtomicInteger();
      try {
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          work.add(pool.submit(() -> {
            go.await(10, TimeUnit.SECONDS);
            try {
              f.meta.create(ALICE, dir, name, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDWR, "c",
                  null);
              won.incrementAndGet();
            } catch (io.catena.common.CatenaException e) {
              assertEquals(io.catena.common.Errno.EEXIST, e.errno());
              eexist.incrementAndGet();
            }
            return null;
          }));
        }
        for (Future<?> w : work) {
          w.get(60, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertEquals(1, won.get());
      assertEquals(threads - 1, eexist.get());
    }
    f.assertConsistent();
  }

  @Test
  void failingOperationsQueuedAmongGoodOnes_commitNothingAndLeaveTheOthersApplied() throws Exception {
    MetaFixture f = new MetaFixture();
    long dir = f.openDir("mixed").id();
    long closed = f.meta.mkdir(ALICE, dir, "alice-only", 0755, null).id();
    int threads = 12;
    int perThread = 40;
    java.util.concurrent.atomic.AtomicInteger failures = new java.util.concurrent.atomic.AtomicInteger();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tt = t;
        work.add(pool.submit(() -> {
          for (int k = 0; k < perThread; k++) {
            // Odd threads are bob, who may not write in alice's directory: EACCES, queued among alice's creates.
            UserInfo u = tt % 2 == 0 ? ALICE : MetaFixture.BOB;
            try {
              f.meta.mkdir(u, closed, "d" + tt + "-" + k, 0755, null);
              f.meta.create(u, closed, "d" + tt + "-" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null);
            } catch (io.catena.common.CatenaException e) {
              failures.incrementAndGet();
            }
          }
          return null;
        }));
      }
      for (Future<?> w : work) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    // Every create after a successful mkdir of the same name fails with EEXIST; every bob call fails with EACCES.
    assertEquals(threads * perThread, failures.get());
    int listed = 0;
    String cursor = null;
    while (true) {
      ReaddirPage p = f.meta.readdir(ALICE, closed, cursor, 256, false);
      listed += p.entries().size();
      assertTrue(p.entries().stream().allMatch(e -> e.type() == InodeType.DIRECTORY));
      if (!p.more()) {
        break;
      }
      cursor = p.cursor();
    }
    assertEquals(threads / 2 * perThread, listed);
    assertEquals(2 + threads / 2 * perThread, f.meta.getattr(ALICE, closed).nlink());
    f.assertConsistent();
  }

  @Test
  void sixteenThreadsCreatingAndUnlinkingInOneDirectory_allSucceedWithinATightRetryBudget() throws Exception {
    MetaFixture f = new MetaFixture();
    TransactionRunner tight = new TransactionRunner(f.engine, new RetryPolicy(5, Duration.ofMillis(1),
        Duration.ofMillis(2), Duration.ofMinutes(5)), f.clock, new SplittableRandom(3), d -> {});
    KvMetaService m = f.service(tight);
    long dir = f.openDir("hot").id();
    int threads = 16;
    int perThread = 60;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        int tt = t;
        work.add(pool.submit(() -> {
          for (int k = 0; k < perThread; k++) {
            m.create(ALICE, dir, "f" + tt + "-" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null);
            if (k % 2 == 1) {
              m.unlink(ALICE, dir, "f" + tt + "-" + (k - 1), null);
            }
          }
          return null;
        }));
      }
      for (Future<?> w : work) {
        w.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    int listed = 0;
    String cursor = null;
    while (true) {
      ReaddirPage p = m.readdir(ALICE, dir, cursor, 256, false);
      listed += p.entries().size();
      if (!p.more()) {
        break;
      }
      cursor = p.cursor();
    }
    assertEquals(threads * perThread / 2, listed);
    f.assertConsistent();
  }
}
