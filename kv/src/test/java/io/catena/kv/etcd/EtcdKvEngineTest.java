package io.catena.kv.etcd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngineConformanceTest;
import io.catena.kv.KvEngines;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.TransactionRunner;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared conformance suite against a real etcd, plus the etcd-specific pitfalls: deletes seen by point and
 * range readers, exact counters, etcd's limits as clear errors, prefix isolation and URL parsing. One etcd per class
 * (started with an 8 MiB request limit, as a deployment storing the suite's 4 MiB values would configure it); every
 * engine gets a fresh prefix.
 */
class EtcdKvEngineTest extends KvEngineConformanceTest {
  private static final long SERVER_MAX_REQUEST = 8L << 20;

  @RegisterExtension
  static final EtcdPerClass etcd =
      new EtcdPerClass(() -> EtcdProcess.builder().maxRequestBytes(SERVER_MAX_REQUEST).start());

  static Config config(Map<String, String> settings) {
    return Config.defaults(ConfigSchema.fromHolders(KvConfig.class, EtcdConfig.class))
        .withUpdates(settings, "test", false);
  }

  /** The configuration matching the class's etcd. */
  private static Config serverConfig() {
    return config(Map.of("kv.etcd.max_request_bytes", SERVER_MAX_REQUEST + ""));
  }

  @Override
  protected KvEngine newEngine(KvFaults faults, Clock clock) {
    return EtcdKvEngine.open(etcd.url(EtcdProcess.uniquePrefix("conf")), serverConfig(), faults, clock);
  }

  @Override
  protected int transfersPerThread() {
    // Each transfer is four etcd round trips (begin, two reads, commit) with raft behind the commit.
    return 120;
  }

  private KvEngine open(Config config) {
    return track(EtcdKvEngine.open(etcd.url(EtcdProcess.uniquePrefix("t")), config, KvFaults.none(),
        Clock.systemUTC()));
  }

  private static void assertConflict(ReadWriteTransaction t) {
    CatenaException e = assertThrows(CatenaException.class, t::commit);
    assertEquals(Errno.EAGAIN, e.errno(), e.getMessage());
    assertTrue(e.isRetryable(), e.getMessage());
    assertTrue(e.getMessage().contains("conflict"), e.getMessage());
  }

  private static void write(KvEngine kv, Consumer<ReadWriteTransaction> body) {
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      body.accept(t);
      t.commit();
    }
  }

  // ------------------------------------------------------------------------------------- deletes and conflicts

  @Test
  void pointRead_conflictsWithDelete_andWithDeleteAndRecreate() {
    KvEngine kv = engine();
    put(kv, "k", "v1");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals("v1", s(t.get(b("k"))));
      t.set(b("out"), b("1"));
      write(kv, w -> w.clear(b("k")));
      assertConflict(t);
    }
    put(kv, "k", "v1");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals("v1", s(t.get(b("k"))));
      t.set(b("out"), b("2"));
      write(kv, w -> w.clear(b("k")));
      put(kv, "k", "v1"); // same value again: its mod revision still differs from the one read
      assertConflict(t);
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals("v1", s(t.get(b("k"))));
      t.set(b("out"), b("3"));
      write(kv, w -> w.clearRange(b("a"), b("z"))); // a range clear deletes it too
      assertConflict(t);
    }
    assertEquals(null, read(kv, "out"), "none of the three readers committed");
  }

  /** Each way of deleting a key that a range read saw, and a few that must not conflict. */
  @Test
  void rangeRead_conflictsWithEveryDeleteOfAKeyItSaw() {
    Map<String, Consumer<ReadWriteTransaction>> conflicting = new HashMap<>();
    conflicting.put("clear of a middle key", w -> w.clear(b("d/3")));
    conflicting.put("clear of the first key", w -> w.clear(b("d/1")));
    conflicting.put("clear of the last key", w -> w.clear(b("d/5")));
    conflicting.put("clearRange starting inside", w -> w.clearRange(b("d/4"), b("e")));
    conflicting.put("clearRange starting before, reaching the first key", w -> w.clearRange(b("c"), b("d/2")));
    conflicting.put("clearRange covering all", w -> w.clearRange(b("a"), b("z")));
    conflicting.put("insert", w -> w.set(b("d/2"), b("new")));
    conflicting.put("update", w -> w.set(b("d/3"), b("changed")));
    conflicting.put("write conflict key inside", w -> w.addWriteConflictKey(b("d/4")));
    for (Map.Entry<String, Consumer<ReadWriteTransaction>> c : conflicting.entrySet()) {
      KvEngine kv = engine();
      put(kv, "d/1", "x", "d/3", "x", "d/5", "x", "c", "x", "e", "x");
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        assertEquals(3, t.getRange(b("d/"), b("d0"), 0, false).pairs().size());
        t.set(b("count"), b("3"));
        write(kv, c.getValue());
        CatenaException e = assertThrows(CatenaException.class, t::commit, c.getKey());
        assertEquals(Errno.EAGAIN, e.errno(), c.getKey() + ": " + e.getMessage());
      }
      kv.close();
    }
    Map<String, Consumer<ReadWriteTransaction>> harmless = new HashMap<>();
    harmless.put("clear before the range", w -> w.clear(b("c")));
    harmless.put("clear after the range", w -> w.clear(b("e")));
    harmless.put("clearRange ending at the range", w -> w.clearRange(b("a"), b("d/")));
    harmless.put("clearRange starting at its end", w -> w.clearRange(b("d0"), b("z")));
    for (Map.Entry<String, Consumer<ReadWriteTransaction>> c : harmless.entrySet()) {
      KvEngine kv = engine();
      put(kv, "d/1", "x", "d/3", "x", "d/5", "x", "c", "x", "e", "x");
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        assertEquals(3, t.getRange(b("d/"), b("d0"), 0, false).pairs().size());
        t.set(b("count"), b("3"));
        write(kv, c.getValue());
        t.commit();
      }
      kv.close();
    }
  }

  @Test
  void limitedRangeRead_deleteBeyondTheLastKeyRead_doesNotConflict_deleteBeforeDoes() {
    KvEngine kv = engine();
    put(kv, "r1", "x", "r2", "x", "r3", "x", "r4", "x");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals(2, t.getRange(b("r"), b("s"), 2, false).pairs().size()); // r1, r2: conflict range [r, r2\0)
      t.set(b("out"), b("1"));
      write(kv, w -> w.clearRange(b("r3"), b("s")));
      t.commit();
    }
    put(kv, "r3", "x", "r4", "x");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      assertEquals(2, t.getRange(b("r"), b("s"), 2, true).pairs().size()); // r4, r3: conflict range [r3, s)
      t.set(b("out"), b("2"));
      write(kv, w -> w.clearRange(b("a"), b("r3\u0000"))); // starts before the range, deletes r3
      assertConflict(t);
    }
  }

  @Test
  void declaredConflictRange_withoutRead_seesDeletesInside() {
    KvEngine kv = engine();
    put(kv, "lock/1", "held", "lock/2", "held");
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.addReadConflictRange(b("lock/"), b("lock0"));
      t.set(b("x"), b("1"));
      write(kv, w -> w.clear(b("lock/2")));
      assertConflict(t);
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.addReadConflictRange(b("lock/"), b("lock0"));
      t.set(b("x"), b("1"));
      write(kv, w -> w.clearRange(b("a"), b("lock/15"))); // from before the range, deletes lock/1
      assertConflict(t);
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(b("k"), b("mine"));
      assertEquals("mine", s(t.get(b("k")))); // answered from its own write: the commit looks k up itself
      write(kv, w -> w.set(b("k"), b("theirs")));
      assertConflict(t);
    }
  }

  @Test
  void manyPointReads_stillFitEtcdsOpLimit() {
    // 100 point reads need 100 equality compares plus a marker compare each: the marker compares are merged.
    KvEngine kv = engine();
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < 100; i++) {
        t.set(Keys.builder("MANY").intBE(i).build(), b("v"));
      }
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < 100; i++) {
        assertEquals("v", s(t.get(Keys.builder("MANY").intBE(i).build())));
      }
      t.set(b("sum"), b("100"));
      t.commit();
    }
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < 100; i++) {
        t.get(Keys.builder("MANY").intBE(i).build());
      }
      t.set(b("sum"), b("101"));
      write(kv, w -> w.addWriteConflictKey(Keys.builder("MANY").intBE(57).build()));
      assertConflict(t);
    }
  }

  @Test
  void concurrentAdds_mixedWithConflictTrackedReads_countExactly() throws Exception {
    // Every transaction increments x (read with conflict tracking) and adds 1 to a counter: real conflicts on x and
    // concurrent adds to the counter must be told apart, or x and the counter drift apart.
    KvEngine kv = engine();
    int threads = 4;
    int each = 40;
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<?>> fs = new ArrayList<>();
      for (int th = 0; th < threads; th++) {
        int thread = th;
        fs.add(pool.submit(() -> {
          TransactionRunner runner = TransactionRunner.withDefaults(kv);
          for (int i = 0; i < each; i++) {
            boolean tracked = i % 2 == 0;
            runner.run(t -> {
              if (tracked) {
                long x = Keys.counterOf(t.get(b("x")).orElse(null));
                t.set(b("x"), Keys.counterValue(x + 1));
              } else {
                t.atomicAdd(b("x"), 1);
              }
              t.atomicAdd(b("total"), 1);
              t.atomicAdd(b("per/" + thread), 1);
              return null;
            });
          }
          return null;
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    try (ReadTransaction t = kv.beginRead()) {
      assertEquals(threads * each, Keys.counterOf(t.snapshotGet(b("x")).orElseThrow()));
      assertEquals(threads * each, Keys.counterOf(t.snapshotGet(b("total")).orElseThrow()));
      for (int th = 0; th < threads; th++) {
        assertEquals(each, Keys.counterOf(t.snapshotGet(b("per/" + th)).orElseThrow()));
      }
    }
  }

  // ----------------------------------------------------------------------------------------------- limits

  private static CatenaException assertLimit(Errno errno, String fragment, Runnable r) {
    CatenaException e = assertThrows(CatenaException.class, r::run);
    assertEquals(errno, e.errno(), e.getMessage());
    assertFalse(e.isRetryable(), e.getMessage());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
    return e;
  }

  @Test
  void tooManyOps_isAClearNonRetryableError_beforeSending_andFromEtcd() {
    KvEngine kv = open(config(Map.of()));
    CatenaException e = assertLimit(Errno.E2BIG, "--max-txn-ops", () -> write(kv, t -> {
      for (int i = 0; i < 129; i++) {
        t.set(b("op/" + i), b("v"));
      }
    }));
    assertTrue(e.getMessage().contains("128") && e.getMessage().contains("kv.etcd.max_txn_ops"), e.getMessage());
    write(kv, t -> {
      for (int i = 0; i < 128; i++) {
        t.set(b("op/" + i), b("v")); // exactly the limit is fine
      }
    });
    // A client configured with a higher limit than the server's: etcd's own refusal is mapped the same way.
    KvEngine lax = open(config(Map.of("kv.etcd.max_txn_ops", "10000")));
    assertLimit(Errno.E2BIG, "--max-txn-ops", () -> write(lax, t -> {
      for (int i = 0; i < 200; i++) {
        t.set(b("op/" + i), b("v"));
      }
    }));
    try (ReadTransaction t = lax.beginRead()) {
      assertTrue(t.snapshotGetRange(b("op/"), b("op0"), 0, false).pairs().isEmpty(), "nothing applied");
    }
  }

  @Test
  void tooLargeRequest_isAClearNonRetryableError_beforeSending_andFromEtcd() {
    KvEngine kv = open(config(Map.of())); // etcd's default 1.5 MiB
    CatenaException e = assertLimit(Errno.EFBIG, "--max-request-bytes",
        () -> write(kv, t -> t.set(b("big"), new byte[(3 << 20) / 2 + 1])));
    assertTrue(e.getMessage().contains("1572864") && e.getMessage().contains("kv.etcd.max_request_bytes"),
        e.getMessage());
    write(kv, t -> t.set(b("fits"), new byte[1 << 20]));
    KvEngine lax = open(config(Map.of("kv.etcd.max_request_bytes", "64MiB")));
    assertLimit(Errno.EFBIG, "--max-request-bytes",
        () -> write(lax, t -> t.set(b("big"), new byte[(int) SERVER_MAX_REQUEST + (1 << 20)])));
    assertEquals(null, read(lax, "big"));
  }

  // ---------------------------------------------------------------------------------------- prefixes & URLs

  @Test
  void prefixes_areIsolated_evenWhenOneNestsInAnother() {
    String p = EtcdProcess.uniquePrefix("iso");
    try (KvEngine outer = EtcdKvEngine.open(etcd.url(p), serverConfig(), KvFaults.none(), Clock.systemUTC());
        KvEngine inner = EtcdKvEngine.open(etcd.url(p + "/d"), serverConfig(), KvFaults.none(),
            Clock.systemUTC());
        KvEngine other = KvEngines.open(etcd.url(p + "-x"), serverConfig())) {
      put(outer, "a", "outer", "k", "outer");
      put(inner, "a", "inner");
      put(other, "a", "other");
      assertEquals("outer", read(outer, "a"));
      assertEquals("inner", read(inner, "a"));
      assertEquals("other", read(other, "a"));
      byte[] all0 = new byte[0];
      byte[] allEnd = {(byte) 0xff, (byte) 0xff};
      try (ReadTransaction t = outer.beginRead()) {
        List<KeyValue> all = t.snapshotGetRange(all0, allEnd, 0, false).pairs();
        assertEquals(List.of("a", "k"), all.stream().map(kv -> s(kv.key())).toList(), "no markers, no neighbours");
      }
      write(outer, t -> t.clearRange(all0, allEnd));
      assertEquals(null, read(outer, "a"));
      assertEquals("inner", read(inner, "a"));
      assertEquals("other", read(other, "a"));
      write(inner, t -> t.clear(b("a"))); // puts a marker: still invisible to everyone's ranges
      try (ReadTransaction t = outer.beginRead()) {
        assertTrue(t.snapshotGetRange(all0, allEnd, 0, false).pairs().isEmpty());
      }
    }
  }

  @Test
  void badUrls_areEinvalWithAPreciseMessage() {
    String ep = etcd.endpoints().getFirst();
    Map<String, String> cases = new java.util.LinkedHashMap<>();
    cases.put("etcd://", "no endpoints");
    cases.put("etcd:///catena", "no endpoints");
    cases.put("etcd://" + ep, "no prefix");
    cases.put("etcd://" + ep + "/", "no prefix");
    cases.put("etcd://localhost/catena", "has no port");
    cases.put("etcd://localhost:0/catena", "not a number in 1..65535");
    cases.put("etcd://localhost:x/catena", "not a number in 1..65535");
    cases.put("etcd://" + ep + ",/catena", "empty endpoint");
    cases.put("etcd://" + ep + "/catena/", "empty segment");
    cases.put("etcd://" + ep + "//catena", "empty segment");
    cases.put("etcd://" + ep + "/a//b", "empty segment");
    cases.put("etcd://" + ep + "/cat:ena", "may only hold letters");
    cases.put("etcd://" + ep + "/catena?timeout=1s", "go in kv.etcd.* keys");
    cases.put("etcd://root:pw@" + ep + "/catena", "kv.etcd.user");
    cases.put("etcd://bad_host!:2379/catena", "bad host");
    for (Map.Entry<String, String> c : cases.entrySet()) {
      CatenaException e = assertThrows(CatenaException.class, () -> KvEngines.open(c.getKey(), null), c.getKey());
      assertEquals(Errno.EINVAL, e.errno(), c.getKey() + ": " + e.getMessage());
      assertTrue(e.getMessage().contains(c.getValue()), c.getKey() + ": " + e.getMessage());
      assertTrue(e.getMessage().contains(c.getKey()), "names the URL: " + e.getMessage());
    }
    CatenaException unknown = assertThrows(CatenaException.class, () -> KvEngines.open("zk://x/y", null));
    assertTrue(unknown.getMessage().contains("known: mem, rocksdb, etcd"), unknown.getMessage());
    CatenaException none = assertThrows(CatenaException.class, () -> KvEngines.open("", null));
    assertTrue(none.getMessage().contains("etcd://host:port/prefix"), none.getMessage());
  }

  @Test
  void urlsWithSeveralEndpoints_andIpv6Brackets_parse() {
    EtcdUrl u = EtcdUrl.parse("etcd://a.example:2379,10.0.0.2:22379,[::1]:2379/catena/prod-1");
    assertEquals(List.of("a.example:2379", "10.0.0.2:22379", "[::1]:2379"), u.endpoints());
    assertEquals("catena/prod-1", u.prefix());
    try (KvEngine kv = KvEngines.open(etcd.url(EtcdProcess.uniquePrefix("url")), null)) {
      assertTrue(kv instanceof EtcdKvEngine);
      put(kv, "a", "1");
      assertEquals("1", read(kv, "a"));
    }
  }

  @Test
  void unreachableEtcd_failsOpenAfterTheOpenTimeoutWithARetryableError() {
    int port;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      port = s.getLocalPort();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    long t0 = System.nanoTime();
    CatenaException e = assertThrows(CatenaException.class, () -> KvEngines.open("etcd://127.0.0.1:" + port
        + "/x", config(Map.of("kv.etcd.request_timeout", "2s", "kv.etcd.open_timeout", "1s"))));
    long took = System.nanoTime() - t0;
    assertTrue(e.isRetryable(), e.getMessage());
    assertTrue(e.getMessage().contains("cannot open"), e.getMessage());
    assertTrue(took < TimeUnit.SECONDS.toNanos(5), "bounded by kv.etcd.open_timeout plus one request: " + took);
  }
}
