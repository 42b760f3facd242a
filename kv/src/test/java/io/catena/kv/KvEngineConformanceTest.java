package io.catena.kv;

import io.catena.common.retry.Sleeper;
import io.catena.common.retry.RetryPolicy;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.time.Deadline;
import io.catena.common.time.ManualClock;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The behaviour every {@link KvEngine} must have, written once and run by a thin subclass per engine. Subclasses
 * create engines; the suite closes them. Other modules may extend it (it ships in the kv test-jar) to check an
 * engine of their own.
 */
public abstract class KvEngineConformanceTest {

  private final List<KvEngine> opened = new ArrayList<>();

  /** A fresh, empty engine with the given faults, measuring the conflict window on {@code clock}. */
  protected abstract KvEngine newEngine(KvFaults faults, Clock clock);

  /** Transfers per thread in the concurrency invariant test; persistent engines with fsync may lower it. */
  protected int transfersPerThread() {
    return 1000;
  }

  protected final KvEngine engine() {
    return track(newEngine(KvFaults.none(), Clock.systemUTC()));
  }

  protected final KvEngine track(KvEngine e) {
    opened.add(e);
    return e;
  }

  @AfterEach
  void closeEngines() {
    for (KvEngine e : opened) {
      e.close();
    }
  }

  protected static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  protected static String s(byte[] b) {
    return new String(b, UTF_8);
  }

  protected static String s(Optional<byte[]> b) {
    return b.map(KvEngineConformanceTest::s).orElse(null);
  }

  protected static void put(KvEngine kv, String... kvs) {
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < kvs.length; i += 2) {
        t.set(b(kvs[i]), b(kvs[i + 1]));
      }
      t.commit();
    }
  }

  protected static String read(KvEngine kv, String key) {
    try (ReadTransaction t = kv.beginRead()) {
      return s(t.snapshotGet(b(key)));
    }
  }

  private static List<String> keys(RangeResult r) {
    return r.pairs().stream().map(p -> s(p.key())).toList();
  }

  private static void assertConflict(Runnable r) {
    CatenaException e = assertThrows(CatenaException.class, r::run);
    assertEquals(Errno.EAGAIN, e.errno(), e.getMessage());
    assertTrue(e.isRetryable(), e.getMessage());
  }

  // ---------------------------------------------------------------------------------------------- basics

  @Test
  void emptyEngine_readsNothing() {
    KvEngine kv = engine();
    try (ReadTransaction t = kv.beginRead()) {
      assertTrue(t.snapshotGet(b("a")).isEmpty());
      RangeResult r = t.snapshotGetRange(new byte[0], new byte[] {(byte) 0xff}, 0, false);
      assertTrue(r.pairs().isEmpty());
      assertFalse(r.more());
    }
  }

  @Test
  void committedWrites_visibleToLaterTransactions_andVersionsIncrease() {
    KvEngine kv = engine();
    long v1;
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("a"), b("1"));
      v1 = t.commit();
    }
    long v2;
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertTrue(t.readVersion() >= v1);
      assertEquals("1", s(t.get(b("a"))));
      t.set(b("a"), b("2"));
      v2 = t.commit();
    }
    assertTrue(v2 > v1);
    assertEquals("2", read(kv, "a"));
    try (ReadTransaction t = kv.beginRead()) {
      assertTrue(t.readVersion() >= v2);
    }
  }

  @Test
  void readYourWrites_setClearAndClearRange() {
    KvEngine kv = engine();
    put(kv, "a", "0", "b", "0", "c", "0", "d", "0");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("a"), b("1"));
      assertEquals("1", s(t.get(b("a"))));
      assertEquals("1", s(t.snapshotGet(b("a"))));
      t.clear(b("b"));
      assertTrue(t.get(b("b")).isEmpty());
      t.clearRange(b("c"), b("e"));
      assertTrue(t.get(b("c")).isEmpty());
      assertTrue(t.snapshotGet(b("d")).isEmpty());
      t.set(b("d"), b("again"));
      assertEquals("again", s(t.get(b("d"))));
      assertEquals(List.of("a", "d"), keys(t.getRange(b("a"), b("z"), 0, false)));
      assertEquals(List.of("d", "a"), keys(t.getRange(b("a"), b("z"), 0, true)));
      // Not visible to others before commit.
      assertEquals("0", read(kv, "b"));
      t.commit();
    }
    assertEquals("1", read(kv, "a"));
    assertEquals(null, read(kv, "b"));
    assertEquals(null, read(kv, "c"));
    assertEquals("again", read(kv, "d"));
  }

  @Test
  void rangeRead_mergesBufferedWritesWithSnapshot() {
    KvEngine kv = engine();
    put(kv, "k1", "s", "k3", "s", "k5", "s", "k7", "s");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("k0"), b("w"));
      t.set(b("k3"), b("w"));
      t.set(b("k4"), b("w"));
      t.clear(b("k5"));
      t.set(b("k9"), b("w"));
      RangeResult all = t.getRange(b("k"), b("l"), 0, false);
      assertEquals(List.of("k0", "k1", "k3", "k4", "k7", "k9"), keys(all));
      assertEquals(List.of("w", "s", "w", "w", "s", "w"), all.pairs().stream().map(p -> s(p.value())).toList());
      RangeResult page = t.getRange(b("k"), b("l"), 3, true);
      assertEquals(List.of("k9", "k7", "k4"), keys(page));
      assertTrue(page.more());
      RangeResult exact = t.getRange(b("k"), b("l"), 6, false);
      assertFalse(exact.more());
    }
  }

  @Test
  void pagingForwardAndReverse_coversRangeExactlyOnce() {
    KvEngine kv = engine();
    List<String> expected = new ArrayList<>();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < 100; i++) {
        String k = String.format("p%03d", i);
        t.set(b(k), b("v" + i));
        expected.add(k);
      }
      t.set(b("o"), b("outside"));
      t.set(b("q"), b("outside"));
      t.commit();
    }
    for (boolean reverse : new boolean[] {false, true}) {
      List<String> got = new ArrayList<>();
      byte[] begin = b("p");
      byte[] end = b("p\u00ff");
      try (ReadTransaction t = kv.beginRead()) {
        while (true) {
          RangeResult r = t.snapshotGetRange(begin, end, 7, reverse);
          assertTrue(r.pairs().size() <= 7);
          r.pairs().forEach(p -> got.add(s(p.key())));
          if (!r.more()) {
            break;
          }
          byte[] last = r.pairs().getLast().key();
          if (reverse) {
            end = last;
          } else {
            begin = Keys.keyAfter(last);
          }
        }
        List<String> want = new ArrayList<>(expected);
        if (reverse) {
          want = want.reversed();
        }
        assertEquals(want, got);
        assertEquals(100, t.snapshotGetRange(b("p"), b("p\u00ff"), 0, false).pairs().size());
        assertEquals(0, t.snapshotGetRange(b("p5"), b("p1"), 0, false).pairs().size());
      }
    }
  }

  @Test
  void keysCompareAsUnsignedBytes() {
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(new byte[] {(byte) 0x80}, b("high"));
      t.set(new byte[] {0x7f}, b("low"));
      t.set(new byte[] {(byte) 0xff, 0}, b("top"));
      t.commit();
    }
    try (ReadTransaction t = kv.beginRead()) {
      List<KeyValue> r = t.snapshotGetRange(new byte[0], new byte[] {(byte) 0xff, (byte) 0xff}, 0, false).pairs();
      assertEquals(List.of("low", "high", "top"), r.stream().map(p -> s(p.value())).toList());
    }
  }

  @Test
  void largeValues_roundTrip() {
    KvEngine kv = engine();
    byte[] big = new byte[4 << 20];
    new Random(7).nextBytes(big);
    byte[] bigKey = new byte[8 << 10];
    new Random(8).nextBytes(bigKey);
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("big"), big);
      t.set(bigKey, b("long key"));
      t.commit();
    }
    try (ReadTransaction t = kv.beginRead()) {
      assertArrayEquals(big, t.snapshotGet(b("big")).orElseThrow());
      assertEquals("long key", s(t.snapshotGet(bigKey)));
    }
  }

  @Test
  void callerOwnsArrays_mutatingThemChangesNothingStored() {
    KvEngine kv = engine();
    byte[] key = b("own");
    byte[] value = b("v1");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(key, value);
      value[1] = '9';
      t.get(key).orElseThrow()[0] = 'X';
      t.commit();
    }
    key[0] = 'X';
    assertEquals("v1", read(kv, "own"));
    try (ReadTransaction t = kv.beginRead()) {
      t.snapshotGet(b("own")).orElseThrow()[0] = 'Y';
      assertEquals("v1", s(t.snapshotGet(b("own"))));
    }
  }

  @Test
  void randomOperations_matchASortedMapModel() {
    // Read-your-writes over snapshot data is where merge bugs hide: compare every read with a TreeMap model.
    KvEngine kv = engine();
    SplittableRandom rnd = new SplittableRandom(20261121);
    TreeMap<byte[], byte[]> model = new TreeMap<>(Keys.ORDER);
    for (int round = 0; round < 40; round++) {
      TreeMap<byte[], byte[]> txnModel = new TreeMap<>(model);
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        for (int op = 0; op < 30; op++) {
          byte[] k = randomKey(rnd);
          switch (rnd.nextInt(6)) {
            case 0, 1 -> {
              byte[] v = b("v" + rnd.nextInt(1000));
              t.set(k, v);
              txnModel.put(k, v);
            }
            case 2 -> {
              t.clear(k);
              txnModel.remove(k);
            }
            case 3 -> {
              byte[] e = randomKey(rnd);
              t.clearRange(k, e);
              if (Keys.compare(k, e) < 0) {
                txnModel.subMap(k, e).clear();
              }
            }
            case 4 -> assertEquals(s(Optional.ofNullable(txnModel.get(k))), s(t.get(k)));
            default -> {
              byte[] e = randomKey(rnd);
              boolean reverse = rnd.nextBoolean();
              int limit = rnd.nextInt(5);
              RangeResult r = t.getRange(k, e, limit, reverse);
              List<String> want = new ArrayList<>();
              if (Keys.compare(k, e) < 0) {
                var sub = txnModel.subMap(k, true, e, false);
                (reverse ? sub.descendingMap() : sub).forEach((kk, vv) -> want.add(s(kk) + "=" + s(vv)));
              }
              List<String> got = r.pairs().stream().map(p -> s(p.key()) + "=" + s(p.value())).toList();
              if (limit > 0 && want.size() > limit) {
                assertTrue(r.more());
                assertEquals(want.subList(0, limit), got);
              } else {
                assertFalse(r.more());
                assertEquals(want, got);
              }
            }
          }
        }
        if (rnd.nextInt(4) != 0) {
          t.commit();
          model = txnModel;
        }
      }
      try (ReadTransaction t = kv.beginRead()) {
        List<String> all = t.snapshotGetRange(new byte[0], new byte[] {(byte) 0xff}, 0, false).pairs().stream()
            .map(p -> s(p.key()) + "=" + s(p.value())).toList();
        List<String> want = new ArrayList<>();
        model.forEach((kk, vv) -> want.add(s(kk) + "=" + s(vv)));
        assertEquals(want, all, "after round " + round);
      }
    }
  }

  private static byte[] randomKey(SplittableRandom rnd) {
    return b("k" + (char) ('a' + rnd.nextInt(12)) + (rnd.nextBoolean() ? "" : String.valueOf(rnd.nextInt(3))));
  }

  // ----------------------------------------------------------------------------------- isolation & conflicts

  @Test
  void snapshotIsolation_readerDoesNotSeeLaterCommits() {
    KvEngine kv = engine();
    put(kv, "x", "1", "y", "1");
    try (ReadTransaction reader = kv.beginRead()) {
      assertEquals("1", s(reader.snapshotGet(b("y")))); // fixes the read version (engines may fix it lazily)
      put(kv, "x", "2", "z", "2");
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        t.clearRange(b("a"), b("zz"));
        t.commit();
      }
      assertEquals("1", s(reader.snapshotGet(b("x"))));
      assertEquals(List.of("x", "y"), keys(reader.snapshotGetRange(b("a"), b("zz"), 0, false)));
    }
    try (ReadTransaction after = kv.beginRead()) {
      assertTrue(after.snapshotGetRange(b("a"), b("zz"), 0, false).pairs().isEmpty());
    }
  }

  @Test
  void readVersion_includesEveryCommitAcknowledgedBeforeBegin_andStaysFixedOnceRead() {
    KvEngine kv = engine();
    for (int i = 0; i < 20; i++) {
      put(kv, "seq", "" + i);
      try (ReadTransaction r = kv.beginRead(); ReadWriteTransaction w = kv.beginReadWrite()) {
        assertEquals("" + i, s(r.snapshotGet(b("seq"))));
        assertEquals("" + i, s(w.get(b("seq"))));
        put(kv, "seq", "after-" + i);
        assertEquals("" + i, s(r.snapshotGet(b("seq"))), "one version for all reads");
        assertEquals("" + i, s(w.snapshotGet(b("seq"))));
      }
    }
  }

  @Test
  void prefetch_changesNoAnswer_andRecordsNoConflict() {
    KvEngine kv = engine();
    put(kv, "p/a", "1", "p/b", "2");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("p/b"), b("mine"));
      t.prefetch(List.of(b("p/a"), b("p/b"), b("p/c")));
      put(kv, "p/a", "changed");
      assertEquals("1", s(t.get(b("p/a"))), "prefetched at the read version");
      assertEquals("mine", s(t.get(b("p/b"))), "own writes win");
      assertEquals(null, s(t.snapshotGet(b("p/c"))));
      t.set(b("out"), b("x"));
      assertConflict(t::commit); // the get of p/a recorded its conflict as usual
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals("2", s(t.get(b("p/b"))));
      t.prefetch(List.of(b("q")));
      put(kv, "q", "new");
      t.set(b("out"), b("y"));
      t.commit(); // prefetched but never read: no conflict
    }
    assertEquals("y", read(kv, "out"));
  }

  @Test
  void writeSkew_isPrevented() {
    // Classic: two doctors on call; each checks the other is on call, then goes off call.
    KvEngine kv = engine();
    put(kv, "alice", "on", "bob", "on");
    ReadWriteTransaction t1 = kv.beginReadWrite();
    ReadWriteTransaction t2 = kv.beginReadWrite();
    assertEquals("on", s(t1.get(b("bob"))));
    assertEquals("on", s(t2.get(b("alice"))));
    t1.set(b("alice"), b("off"));
    t2.set(b("bob"), b("off"));
    t1.commit();
    assertConflict(t2::commit);
    t1.close();
    t2.close();
    assertEquals("off", read(kv, "alice"));
    assertEquals("on", read(kv, "bob"));
  }

  @Test
  void pointConflict_onlyOnKeysRead() {
    KvEngine kv = engine();
    put(kv, "a", "0", "b", "0");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.get(b("a"));
      t.snapshotGet(b("b"));
      put(kv, "b", "1"); // snapshot read: no conflict
      put(kv, "ab", "1"); // neighbour of a read key: no conflict
      t.set(b("c"), b("1"));
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.get(b("a"));
      t.set(b("c"), b("2"));
      put(kv, "a", "1");
      assertConflict(t::commit);
    }
    assertEquals("1", read(kv, "c"));
  }

  @Test
  void readOfMissingKey_conflictsWithItsCreation() {
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertTrue(t.get(b("name")).isEmpty());
      t.set(b("name"), b("mine"));
      put(kv, "name", "theirs");
      assertConflict(t::commit);
    }
    assertEquals("theirs", read(kv, "name"));
  }

  @Test
  void rangeConflict_insertIntoReadRange_conflicts() {
    KvEngine kv = engine();
    put(kv, "d/1", "x", "d/3", "x");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals(2, t.getRange(b("d/"), b("d0"), 0, false).pairs().size());
      t.set(b("count"), b("2"));
      put(kv, "d/2", "x"); // phantom
      assertConflict(t::commit);
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.getRange(b("d/"), b("d0"), 0, false);
      t.set(b("count"), b("3"));
      put(kv, "d0", "x", "d.", "x"); // just outside [d/, d0) on both sides
      t.commit();
    }
  }

  @Test
  void rangeConflict_clearRangeOverlappingReadKey_conflicts() {
    KvEngine kv = engine();
    put(kv, "m", "1");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.get(b("m"));
      t.set(b("other"), b("1"));
      try (ReadWriteTransaction c = kv.beginReadWrite()) {
        c.clearRange(b("a"), b("n"));
        c.commit();
      }
      assertConflict(t::commit);
    }
  }

  @Test
  void limitedRangeRead_conflictsOnlyUpToLastKeyReturned() {
    KvEngine kv = engine();
    put(kv, "r1", "x", "r2", "x", "r3", "x");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      RangeResult r = t.getRange(b("r"), b("s"), 2, false);
      assertEquals(List.of("r1", "r2"), keys(r));
      assertTrue(r.more());
      t.set(b("out"), b("1"));
      put(kv, "r3", "changed", "r25", "new"); // after the last key read
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      RangeResult r = t.getRange(b("r"), b("s"), 2, true);
      assertEquals(List.of("r3", "r25"), keys(r));
      t.set(b("out"), b("2"));
      put(kv, "r1", "changed"); // before the last key read in reverse
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.getRange(b("r"), b("s"), 2, false);
      t.set(b("out"), b("3"));
      put(kv, "r2", "changed");
      assertConflict(t::commit);
    }
  }

  @Test
  void explicitConflictRanges() {
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.addReadConflictRange(b("lock/"), b("lock0"));
      t.set(b("x"), b("1"));
      put(kv, "lock/7", "held");
      assertConflict(t::commit);
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.addReadConflictKey(b("parent"));
      t.set(b("x"), b("1"));
      try (ReadWriteTransaction w = kv.beginReadWrite()) {
        w.addWriteConflictKey(b("parent"));
        assertTrue(w.hasWrites());
        w.commit();
      }
      assertConflict(t::commit);
    }
    assertEquals(null, read(kv, "parent"));
  }

  @Test
  void readOnlyCommit_isTrivialAndNeverConflicts() {
    KvEngine kv = engine();
    put(kv, "a", "1");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.get(b("a"));
      put(kv, "a", "2");
      assertFalse(t.hasWrites());
      assertEquals(t.readVersion(), t.commit());
    }
  }

  @Test
  void committedTransaction_cannotCommitOrWriteAgain_andFailedOneIsDead() {
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("a"), b("1"));
      t.commit();
      assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, t::commit).errno());
      assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> t.set(b("a"), b("2"))).errno());
    }
    assertEquals("1", read(kv, "a"));
    ReadTransaction r = kv.beginRead();
    r.close();
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class, () -> r.snapshotGet(b("a"))).errno());
  }

  @Test
  void conflictWithinOneBatchOfConcurrentCommits_exactlyOneWins() throws Exception {
    // Many transactions read and write the same counter at the same read version and commit together: with group
    // commit they may land in one batch, and later members must still conflict with earlier ones.
    KvEngine kv = engine();
    put(kv, "ctr", "0");
    int n = 16;
    List<ReadWriteTransaction> txns = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      ReadWriteTransaction t = kv.beginReadWrite();
      t.get(b("ctr"));
      t.set(b("ctr"), b("" + (i + 1)));
      txns.add(t);
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<Boolean>> fs = new ArrayList<>();
      for (ReadWriteTransaction t : txns) {
        fs.add(pool.submit(() -> {
          try {
            t.commit();
            return true;
          } catch (CatenaException e) {
            assertTrue(e.isRetryable());
            return false;
          }
        }));
      }
      int wins = 0;
      for (Future<Boolean> f : fs) {
        wins += f.get(30, TimeUnit.SECONDS) ? 1 : 0;
      }
      assertEquals(1, wins);
    } finally {
      pool.shutdownNow();
      txns.forEach(ReadWriteTransaction::close);
    }
  }

  @Test
  void transactionOlderThanWindow_isTooOld() {
    ManualClock clock = new ManualClock();
    KvEngine kv = track(newEngine(KvFaults.none(), clock));
    put(kv, "a", "1");
    ReadWriteTransaction old = kv.beginReadWrite();
    assertEquals("1", s(old.get(b("a"))));
    put(kv, "b", "1");
    clock.advance(Duration.ofSeconds(6)); // beyond the default 5 s window
    put(kv, "c", "1"); // trims history older than the window
    old.set(b("d"), b("1"));
    CatenaException e = assertThrows(CatenaException.class, old::commit);
    assertTrue(e.isRetryable());
    assertTrue(e.getMessage().contains("too old"), e.getMessage());
    old.close();
    try (ReadTransaction r = kv.beginRead()) {
      put(kv, "e", "1");
      clock.advance(Duration.ofSeconds(6));
      put(kv, "f", "1"); // trims e, which committed after r's read version

      CatenaException re = assertThrows(CatenaException.class, () -> r.snapshotGet(b("a")));
      assertTrue(re.isRetryable() && re.getMessage().contains("too old"), re.getMessage());
    }
    // The runner retries too-old transparently.
    assertEquals("1", TransactionRunner.withDefaults(kv).read(t -> s(t.snapshotGet(b("a")))));
  }

  @Test
  void closedEngine_failsOpenTransactionsCleanly() {
    KvEngine kv = newEngine(KvFaults.none(), Clock.systemUTC());
    put(kv, "a", "1");
    ReadWriteTransaction t = kv.beginReadWrite();
    ReadTransaction r = kv.beginRead();
    t.set(b("b"), b("1"));
    kv.close();
    assertEquals(Errno.ESHUTDOWN, assertThrows(CatenaException.class, t::commit).errno());
    assertEquals(Errno.ESHUTDOWN, assertThrows(CatenaException.class, () -> r.snapshotGet(b("a"))).errno());
    assertEquals(Errno.ESHUTDOWN, assertThrows(CatenaException.class, kv::beginRead).errno());
    t.close();
    r.close();
    kv.close(); // idempotent
  }

  @Test
  void closeUnderLoad_failsEveryClientWithEshutdown_andNothingCrashes() throws Exception {
    KvEngine kv = newEngine(KvFaults.none(), Clock.systemUTC());
    put(kv, "a", "0");
    int threads = 4;
    java.util.concurrent.CountDownLatch warmedUp = new java.util.concurrent.CountDownLatch(threads * 20);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Errno>> fs = new ArrayList<>();
      for (int th = 0; th < threads; th++) {
        int thread = th;
        fs.add(pool.submit(() -> {
          TransactionRunner runner = TransactionRunner.withDefaults(kv);
          for (long i = 0; ; i++) {
            long n = i;
            try {
              runner.run(t -> {
                t.get(b("a"));
                t.getRange(b("k"), b("l"), 10, (n & 1) == 0);
                t.set(b("k" + thread + "/" + n), b("v"));
                return null;
              });
              try (ReadTransaction r = kv.beginRead()) {
                r.snapshotGetRange(b("k"), b("l"), 5, true);
              }
            } catch (CatenaException e) {
              return e.errno();
            }
            warmedUp.countDown();
          }
        }));
      }
      assertTrue(warmedUp.await(60, TimeUnit.SECONDS));
      kv.close();
      for (Future<Errno> f : fs) {
        assertEquals(Errno.ESHUTDOWN, f.get(60, TimeUnit.SECONDS));
      }
    } finally {
      pool.shutdownNow();
      kv.close();
    }
  }

  // ------------------------------------------------------------------------------------------ retry runner

  private static final class RecordingSleeper implements Sleeper {
    final List<Duration> pauses = new ArrayList<>();
    final ManualClock clock;

    RecordingSleeper(ManualClock clock) {
      this.clock = clock;
    }

    @Override
    public synchronized void sleep(Duration d) {
      pauses.add(d);
      if (clock != null) {
        clock.advance(d);
      }
    }
  }

  @Test
  void runner_retriesInjectedConflicts_untilCommitted() {
    KvEngine kv = track(newEngine(KvFaults.conflicts(0.5, new SplittableRandom(42)), Clock.systemUTC()));
    RecordingSleeper sleeper = new RecordingSleeper(null);
    TransactionRunner runner = new TransactionRunner(kv, KvConfig.defaultRetryPolicy(), Clock.systemUTC(),
        new SplittableRandom(1), sleeper);
    AtomicInteger attempts = new AtomicInteger();
    for (int i = 0; i < 20; i++) {
      String k = "k" + i;
      runner.run(t -> {
        attempts.incrementAndGet();
        t.set(b(k), b("v"));
        return null;
      });
    }
    for (int i = 0; i < 20; i++) {
      assertEquals("v", read(kv, "k" + i));
    }
    assertTrue(attempts.get() > 20, "some attempts must have hit injected conflicts");
    assertEquals(attempts.get() - 20, sleeper.pauses.size());
    for (Duration d : sleeper.pauses) {
      assertTrue(!d.isNegative() && d.compareTo(KvConfig.defaultRetryPolicy().maxBackoff()) <= 0, d.toString());
    }
  }

  @Test
  void runner_bodyErrorReachesCallerUnchanged_andNothingCommits() {
    KvEngine kv = engine();
    TransactionRunner runner = TransactionRunner.withDefaults(kv);
    AtomicInteger attempts = new AtomicInteger();
    CatenaException e = assertThrows(CatenaException.class, () -> runner.run(t -> {
      attempts.incrementAndGet();
      t.set(b("half"), b("done"));
      throw CatenaException.of(Errno.ENOENT, "no such entry");
    }));
    assertEquals(Errno.ENOENT, e.errno());
    assertEquals(1, attempts.get());
    assertEquals(null, read(kv, "half"));
    IllegalStateException ise = new IllegalStateException("bug");
    assertTrue(ise == assertThrows(IllegalStateException.class, () -> runner.run(t -> {
      throw ise;
    })));
  }

  @Test
  void runner_givesUpAfterMaxAttempts_withRetryableError() {
    KvEngine kv = track(newEngine(KvFaults.conflicts(1.0, new SplittableRandom(3)), Clock.systemUTC()));
    RecordingSleeper sleeper = new RecordingSleeper(null);
    RetryPolicy policy = new RetryPolicy(5, Duration.ofMillis(10), Duration.ofMillis(40), Duration.ofSeconds(30));
    TransactionRunner runner = new TransactionRunner(kv, policy, Clock.systemUTC(), new SplittableRandom(1), sleeper);
    AtomicInteger attempts = new AtomicInteger();
    CatenaException e = assertThrows(CatenaException.class, () -> runner.run(t -> {
      attempts.incrementAndGet();
      t.set(b("x"), b("1"));
      return null;
    }));
    assertEquals(Errno.EAGAIN, e.errno());
    assertTrue(e.isRetryable());
    assertEquals(5, attempts.get());
    assertEquals(4, sleeper.pauses.size());
    long[] bounds = {10, 20, 40, 40};
    for (int i = 0; i < 4; i++) {
      assertTrue(sleeper.pauses.get(i).toMillis() <= bounds[i], sleeper.pauses.toString());
    }
    assertEquals(null, read(kv, "x"));
  }

  @Test
  void runner_stopsAtDeadline() {
    ManualClock clock = new ManualClock();
    KvEngine kv = track(newEngine(KvFaults.conflicts(1.0, new SplittableRandom(3)), clock));
    RecordingSleeper sleeper = new RecordingSleeper(clock);
    RetryPolicy policy = new RetryPolicy(1_000_000, Duration.ofMillis(50), Duration.ofMillis(200),
        Duration.ofSeconds(1));
    TransactionRunner runner = new TransactionRunner(kv, policy, clock, new SplittableRandom(9), sleeper);
    CatenaException e = assertThrows(CatenaException.class, () -> runner.run(t -> {
      t.set(b("x"), b("1"));
      return null;
    }, Deadline.in(clock, Duration.ofSeconds(2))));
    assertEquals(Errno.ETIMEDOUT, e.errno());
    assertTrue(e.isRetryable());
    long slept = sleeper.pauses.stream().mapToLong(Duration::toMillis).sum();
    assertTrue(slept <= 2000 && slept >= 1900, "slept " + slept);
  }

  @Test
  void runner_commitUnknown_isRetried_soIdempotencyRecordsMatter() {
    // Every commit ends "unknown", applied or not. The body is made idempotent with a request record, as the meta
    // service does (ARCHITECTURE 3.5): applied twice would double the counter.
    KvEngine kv = track(newEngine(KvFaults.of(0, 0.7, new SplittableRandom(5)), Clock.systemUTC()));
    TransactionRunner runner = new TransactionRunner(kv, new RetryPolicy(200, Duration.ZERO, Duration.ZERO,
        Duration.ofSeconds(30)), Clock.systemUTC(), new SplittableRandom(1), d -> { });
    for (int req = 0; req < 30; req++) {
      byte[] reqKey = b("req/" + req);
      runner.run(t -> {
        if (t.get(reqKey).isPresent()) {
          return null;
        }
        long c = t.get(b("counter")).map(v -> ByteBuffer.wrap(v).getLong()).orElse(0L);
        t.set(b("counter"), ByteBuffer.allocate(8).putLong(c + 1).array());
        t.set(reqKey, b("done"));
        return null;
      });
    }
    try (ReadTransaction t = kv.beginRead()) {
      assertEquals(30L, ByteBuffer.wrap(t.snapshotGet(b("counter")).orElseThrow()).getLong());
    }
  }

  @Test
  void runner_read_returnsBodyResult() {
    KvEngine kv = engine();
    put(kv, "a", "1");
    assertEquals("1", TransactionRunner.withDefaults(kv).read(t -> s(t.snapshotGet(b("a")))));
  }

  // ------------------------------------------------------------------------------------ concurrency invariant

  @Test
  void concurrentTransfers_preserveTotal_andEveryBalanceMatchesItsLog() throws Exception {
    KvEngine kv = engine();
    int accounts = 100;
    long initial = 1000;
    int threads = 8;
    int perThread = transfersPerThread();
    TransactionRunner setup = TransactionRunner.withDefaults(kv);
    setup.run(t -> {
      for (int a = 0; a < accounts; a++) {
        t.set(account(a), longBytes(initial));
      }
      return null;
    });
    AtomicLong conflicts = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int th = 0; th < threads; th++) {
        int thread = th;
        fs.add(pool.submit(() -> {
          RandomGenerator rnd = new SplittableRandom(1000 + thread);
          TransactionRunner runner = new TransactionRunner(kv, new RetryPolicy(1000, Duration.ofNanos(1000),
              Duration.ofMillis(2), Duration.ofSeconds(60)), Clock.systemUTC(), new SplittableRandom(thread),
              d -> {
                conflicts.incrementAndGet();
                Thread.sleep(d);
              });
          for (int i = 0; i < perThread; i++) {
            int from = rnd.nextInt(accounts);
            int to = (from + 1 + rnd.nextInt(accounts - 1)) % accounts;
            long amount = 1 + rnd.nextInt(50);
            byte[] logKey = Keys.builder("XFER").intBE(thread).intBE(i).build();
            runner.run(t -> {
              long fb = ByteBuffer.wrap(t.get(account(from)).orElseThrow()).getLong();
              long tb = ByteBuffer.wrap(t.get(account(to)).orElseThrow()).getLong();
              t.set(account(from), longBytes(fb - amount));
              t.set(account(to), longBytes(tb + amount));
              t.set(logKey, ByteBuffer.allocate(16).putInt(from).putInt(to).putLong(amount).array());
              return null;
            });
          }
          return null;
        }));
      }
      // Meanwhile every snapshot must be a consistent cut: the total never changes in any read version.
      long snapshots = 0;
      while (!fs.stream().allMatch(Future::isDone)) {
        try (ReadTransaction t = kv.beginRead()) {
          byte[] p = Keys.kind("ACCT");
          long total = 0;
          for (KeyValue a : t.snapshotGetRange(p, Keys.strinc(p), 0, snapshots % 2 == 0).pairs()) {
            total += ByteBuffer.wrap(a.value()).getLong();
          }
          assertEquals(initial * accounts, total, "total at read version " + t.readVersion());
          snapshots++;
        }
      }
      for (Future<?> f : fs) {
        f.get(120, TimeUnit.SECONDS);
      }
      assertTrue(snapshots > 0);
    } finally {
      pool.shutdownNow();
    }
    Map<Integer, Long> expected = new TreeMap<>();
    try (ReadTransaction t = kv.beginRead()) {
      byte[] logPrefix = Keys.kind("XFER");
      List<KeyValue> log = t.snapshotGetRange(logPrefix, Keys.strinc(logPrefix), 0, false).pairs();
      assertEquals(threads * perThread, log.size());
      for (KeyValue kvp : log) {
        ByteBuffer bb = ByteBuffer.wrap(kvp.value());
        int from = bb.getInt();
        int to = bb.getInt();
        long amount = bb.getLong();
        expected.merge(from, -amount, Long::sum);
        expected.merge(to, amount, Long::sum);
      }
      long total = 0;
      for (int a = 0; a < accounts; a++) {
        long bal = ByteBuffer.wrap(t.snapshotGet(account(a)).orElseThrow()).getLong();
        total += bal;
        assertEquals(initial + expected.getOrDefault(a, 0L), bal, "account " + a);
      }
      assertEquals(initial * accounts, total);
    }
    assertNotNull(conflicts); // conflicts are expected but their number depends on scheduling
  }

  // ------------------------------------------------------------------------------------------ atomic add

  private static long counter(KvEngine kv, String key) {
    try (ReadTransaction t = kv.beginRead()) {
      return Keys.counterOf(t.snapshotGet(b(key)).orElse(null));
    }
  }

  @Test
  void atomicAdd_missingKeyIsZero_addsAccumulate_negativeAndWrapping() {
    KvEngine kv = engine();
    for (long d : new long[] {5, -7, 1L << 40}) {
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        t.atomicAdd(b("c"), d);
        t.atomicAdd(b("c"), 1);
        t.commit();
      }
    }
    assertEquals(5 + 1 - 7 + 1 + (1L << 40) + 1, counter(kv, "c"));
    try (ReadTransaction t = kv.beginRead()) {
      assertArrayEquals(Keys.counterValue(1 + (1L << 40)), t.snapshotGet(b("c")).orElseThrow());
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("m"), Keys.counterValue(Long.MAX_VALUE));
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.atomicAdd(b("m"), 1);
      t.commit();
    }
    assertEquals(Long.MIN_VALUE, counter(kv, "m"));
  }

  @Test
  void atomicAdd_onValueThatIsNotEightBytes_countsItAsZero() {
    KvEngine kv = engine();
    put(kv, "odd", "abc");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.atomicAdd(b("odd"), 3);
      t.commit();
    }
    assertEquals(3, counter(kv, "odd"));
  }

  @Test
  void atomicAdd_readYourOwnAdds_andSetClearClearRangeInteractInOrder() {
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("a"), Keys.counterValue(10));
      t.set(b("b"), Keys.counterValue(10));
      t.set(b("r1"), Keys.counterValue(10));
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.atomicAdd(b("a"), 2); // committed 10 + 2
      assertEquals(12, Keys.counterOf(t.snapshotGet(b("a")).orElseThrow()));
      assertEquals(12, Keys.counterOf(t.get(b("a")).orElseThrow()));
      t.atomicAdd(b("b"), 5);
      t.set(b("b"), Keys.counterValue(100)); // a set replaces the pending add
      t.atomicAdd(b("b"), 1); // and an add after a set adds to it
      t.clear(b("c"));
      t.atomicAdd(b("c"), 4); // after a clear: from zero
      t.atomicAdd(b("r1"), 1);
      t.clearRange(b("r"), b("s")); // drops the pending add of r1
      t.atomicAdd(b("r2"), 6); // cleared by the range: from zero
      List<KeyValue> range = t.snapshotGetRange(b("a"), b("z"), 0, false).pairs();
      assertEquals(List.of("a", "b", "c", "r2"), range.stream().map(p -> s(p.key())).toList());
      assertEquals(List.of(12L, 101L, 4L, 6L), range.stream().map(p -> Keys.counterOf(p.value())).toList());
      List<KeyValue> rev = t.snapshotGetRange(b("a"), b("z"), 2, true).pairs();
      assertEquals(List.of("r2", "c"), rev.stream().map(p -> s(p.key())).toList());
      t.commit();
    }
    assertEquals(12, counter(kv, "a"));
    assertEquals(101, counter(kv, "b"));
    assertEquals(4, counter(kv, "c"));
    assertEquals(null, read(kv, "r1"));
    assertEquals(6, counter(kv, "r2"));
  }

  @Test
  void concurrentAdds_toOneKey_neverConflict_andNoneIsLost() {
    KvEngine kv = engine();
    ReadWriteTransaction t1 = kv.beginReadWrite();
    ReadWriteTransaction t2 = kv.beginReadWrite();
    ReadWriteTransaction reader = kv.beginReadWrite();
    try {
      t1.atomicAdd(b("n"), 3);
      t2.atomicAdd(b("n"), 4);
      reader.get(b("n")); // a conflict-tracked reader of the counter
      reader.set(b("other"), b("x"));
      t1.commit();
      t2.commit(); // no read conflict: both adds commit
      assertConflict(reader::commit); // but a reader of the counter does conflict with the adds
    } finally {
      t1.close();
      t2.close();
      reader.close();
    }
    assertEquals(7, counter(kv, "n"));
  }

  @Test
  void concurrentAdds_fromManyThreadsWithInjectedConflicts_sumExactly() throws Exception {
    KvEngine kv = track(newEngine(KvFaults.conflicts(0.2, new SplittableRandom(7)), Clock.systemUTC()));
    int threads = 8;
    int perThread = Math.max(50, transfersPerThread() / 4);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int th = 0; th < threads; th++) {
        int thread = th;
        fs.add(pool.submit(() -> {
          TransactionRunner runner = new TransactionRunner(kv, new RetryPolicy(1000, Duration.ofNanos(1000),
              Duration.ofMillis(1), Duration.ofSeconds(60)), Clock.systemUTC(), new SplittableRandom(thread),
              d -> { });
          for (int i = 0; i < perThread; i++) {
            runner.run(t -> {
              t.atomicAdd(b("total"), 2);
              t.atomicAdd(b("count"), 1);
              t.atomicAdd(b("down"), -1);
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
    assertEquals(2L * threads * perThread, counter(kv, "total"));
    assertEquals((long) threads * perThread, counter(kv, "count"));
    assertEquals(-(long) threads * perThread, counter(kv, "down"));
  }

  private static byte[] account(int a) {
    return Keys.builder("ACCT").intBE(a).build();
  }

  private static byte[] longBytes(long v) {
    return ByteBuffer.allocate(8).putLong(v).array();
  }
}
