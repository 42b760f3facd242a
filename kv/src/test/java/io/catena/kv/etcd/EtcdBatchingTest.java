package io.catena.kv.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.ByteString;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.Keys;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.TransactionRunner;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The engine's batching against a real three-member etcd: reads and begins shared by concurrent transactions still
 * see every commit acknowledged before they began, and a group commit's members keep their own outcomes (a
 * conflicting member fails alone, the others commit once, counters stay exact), within etcd's nested op limits.
 */
class EtcdBatchingTest {
  private static EtcdProcess etcd;

  @BeforeAll
  static void start() {
    TestLogs.quietGrpc();
    etcd = EtcdProcess.builder().members(3).start();
  }

  @AfterAll
  static void stop() {
    if (etcd != null) {
      etcd.close();
    }
  }

  private static EtcdKvEngine open() {
    return EtcdKvEngine.open(etcd.url(EtcdProcess.uniquePrefix("batch")), null, KvFaults.none(),
        Clock.systemUTC());
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static long n(byte[] v) {
    return v == null ? -1 : Long.parseLong(new String(v, UTF_8));
  }

  @Test
  void batchedBeginsAndReads_seeEveryCommitAcknowledgedBeforeTheyBegan() throws Exception {
    int writers = 4;
    int readers = 12;
    try (EtcdKvEngine kv = open()) {
      AtomicLongArray acked = new AtomicLongArray(writers);
      for (int w = 0; w < writers; w++) {
        acked.set(w, -1);
      }
      AtomicBoolean stop = new AtomicBoolean();
      List<String> problems = java.util.Collections.synchronizedList(new ArrayList<>());
      ExecutorService pool = Executors.newFixedThreadPool(writers + readers);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int w = 0; w < writers; w++) {
          int me = w;
          fs.add(pool.submit(() -> {
            for (long i = 0; i < 40; i++) {
              try (ReadWriteTransaction t = kv.beginReadWrite()) {
                t.set(b("w/" + me), b(Long.toString(i)));
                t.commit();
              }
              acked.set(me, i);
            }
            return null;
          }));
        }
        for (int r = 0; r < readers; r++) {
          int me = r;
          fs.add(pool.submit(() -> {
            while (!stop.get()) {
              long[] before = new long[writers];
              for (int w = 0; w < writers; w++) {
                before[w] = acked.get(w);
              }
              try (ReadTransaction t = kv.beginRead()) {
                if (me % 2 == 0) {
                  List<byte[]> ks = new ArrayList<>();
                  for (int w = 0; w < writers; w++) {
                    ks.add(b("w/" + w));
                  }
                  t.prefetch(ks); // the whole snapshot in one batched request
                }
                for (int w = 0; w < writers; w++) {
                  long seen = n(t.snapshotGet(b("w/" + w)).orElse(null));
                  if (seen < before[w]) {
                    problems.add("reader " + me + " saw w/" + w + "=" + seen + " after " + before[w]
                        + " was acknowledged");
                  }
                }
              }
            }
            return null;
          }));
        }
        for (Future<?> f : fs.subList(0, writers)) {
          f.get(120, TimeUnit.SECONDS);
        }
        stop.set(true);
        for (Future<?> f : fs) {
          f.get(60, TimeUnit.SECONDS);
        }
      } finally {
        stop.set(true);
        pool.shutdownNow();
      }
      assertTrue(problems.isEmpty(), problems.subList(0, Math.min(5, problems.size())).toString());
      long[] c = kv.requestCounts();
      assertTrue(c[1] > c[0], "reads were batched: " + c[1] + " reads in " + c[0] + " requests");
    }
  }

  @Test
  void groupCommit_conflictingMembersFailAlone_theOthersCommitExactlyOnce() throws Exception {
    try (EtcdKvEngine kv = open()) {
      int n = 32;
      boolean batched = false;
      for (int round = 0; round < 10 && !batched; round++) {
        String p = "r" + round + "/";
        for (int i = 0; i < n; i++) {
          try (ReadWriteTransaction t = kv.beginReadWrite()) {
            t.set(b(p + "c/" + i), b("0"));
            t.commit();
          }
        }
        List<ReadWriteTransaction> txns = new ArrayList<>();
        for (int i = 0; i < n; i++) {
          ReadWriteTransaction t = kv.beginReadWrite();
          assertEquals("0", new String(t.get(b(p + "c/" + i)).orElseThrow(), UTF_8));
          t.set(b(p + "out/" + i), b("done"));
          if (i % 4 == 0) {
            t.atomicAdd(b(p + "count"), 1); // a shared counter: never two adds to it in one batch
          }
          t.atomicAdd(b(p + "count/" + i), 1);
          txns.add(t);
        }
        for (int i = 1; i < n; i += 2) {
          try (ReadWriteTransaction w = kv.beginReadWrite()) {
            w.set(b(p + "c/" + i), b("moved")); // every odd reader now conflicts
            w.commit();
          }
        }
        long[] before = kv.requestCounts();
        CountDownLatch go = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<Future<Errno>> fs = new ArrayList<>();
        try {
          for (ReadWriteTransaction t : txns) {
            fs.add(pool.submit(() -> {
              go.await();
              try {
                t.commit();
                return null;
              } catch (CatenaException e) {
                return e.errno();
              }
            }));
          }
          go.countDown();
          for (int i = 0; i < n; i++) {
            Errno e = fs.get(i).get(60, TimeUnit.SECONDS);
            assertEquals(i % 2 == 1 ? Errno.EAGAIN : null, e, "member " + i);
          }
        } finally {
          pool.shutdownNow();
          txns.forEach(ReadWriteTransaction::close);
        }
        long[] after = kv.requestCounts();
        batched = after[3] - before[3] > after[2] - before[2];
        try (ReadTransaction t = kv.beginRead()) {
          for (int i = 0; i < n; i++) {
            assertEquals(i % 2 == 0, t.snapshotGet(b(p + "out/" + i)).isPresent(), "out/" + i);
            long c = Keys.counterOf(t.snapshotGet(b(p + "count/" + i)).orElse(null));
            assertEquals(i % 2 == 0 ? 1 : 0, c, "count/" + i + " added exactly once by its own commit");
          }
          // members 0, 4, 8, ... added 1: all even, so all committed
          assertEquals(n / 4, Keys.counterOf(t.snapshotGet(b(p + "count")).orElse(null)));
        }
      }
      assertTrue(batched, "32 commits released at once never shared an etcd request in 10 rounds");
    }
  }

  @Test
  void groupCommit_largeMembers_stayWithinEtcdsNestedOpLimit() throws Exception {
    // 100 writes each: alone they fit --max-txn-ops (128), and a batch of them must leave each member its 100 ops
    // below the outer level's; with counters and conflict reads the failure branch nests once more.
    try (EtcdKvEngine kv = open()) {
      int threads = 12;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int th = 0; th < threads; th++) {
          int me = th;
          fs.add(pool.submit(() -> {
            TransactionRunner runner = TransactionRunner.withDefaults(kv);
            for (int round = 0; round < 3; round++) {
              int r = round;
              runner.run(t -> {
                for (int i = 0; i < (me % 2 == 0 ? 100 : 40); i++) {
                  t.set(b("big/" + me + "/" + i), b(Integer.toString(r)));
                }
                if (me % 2 == 1) {
                  for (int i = 0; i < 40; i++) {
                    t.get(b("big/" + (me - 1) + "/" + i));
                  }
                  t.atomicAdd(b("adds/" + me), 1);
                }
                return null;
              });
            }
            return null;
          }));
        }
        for (Future<?> f : fs) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      try (ReadTransaction t = kv.beginRead()) {
        for (int th = 1; th < threads; th += 2) {
          assertEquals(3, Keys.counterOf(t.snapshotGet(b("adds/" + th)).orElse(null)));
        }
        assertEquals(6 * 100 + 6 * 40, t.snapshotGetRange(b("big/"), b("big0"), 0, false).pairs().size());
      }
    }
  }

  @Test
  void keySpans_overlapOnSharedKeysOnly() {
    KeySpans s = new KeySpans();
    s.add(bs("b"), ByteString.EMPTY); // the key b alone
    s.add(bs("d"), bs("f")); // [d, f)
    Map<String, Boolean> cases = new java.util.LinkedHashMap<>();
    cases.put("a", false);
    cases.put("b", true);
    cases.put("b\u0000", false);
    cases.put("c", false);
    cases.put("d", true);
    cases.put("e", true);
    cases.put("f", false);
    for (Map.Entry<String, Boolean> c : cases.entrySet()) {
      KeySpans one = new KeySpans();
      one.add(bs(c.getKey()), ByteString.EMPTY);
      assertEquals(c.getValue(), s.overlaps(one), c.getKey());
    }
    KeySpans range = new KeySpans();
    range.add(bs("b\u0000"), bs("d"));
    assertFalse(s.overlaps(range), "[b\\0, d) lies between b and [d, f)");
    range.add(bs("c"), bs("d\u0000"));
    assertTrue(s.overlaps(range));
    KeySpans open = new KeySpans();
    open.add(bs("x"), ByteString.copyFrom(new byte[] {0})); // etcd's "from x on"
    KeySpans z = new KeySpans();
    z.add(bs("zzz"), ByteString.EMPTY);
    assertTrue(open.overlaps(z));
    assertFalse(open.overlaps(s));
  }

  private static ByteString bs(String s) {
    return ByteString.copyFromUtf8(s);
  }
}
