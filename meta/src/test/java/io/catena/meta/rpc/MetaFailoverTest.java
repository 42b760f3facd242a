package io.catena.meta.rpc;

import static io.catena.meta.MetaFixture.ALICE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.KvFaults;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.MetaFixture;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RequestId;
import io.catena.meta.client.MetaClient;
import io.catena.meta.store.NamespaceChecker;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Stateless meta servers on one KV engine: shared namespace, failover, lost replies, bounded retries. */
class MetaFailoverTest {
  static final int EXCL = OpenFlags.O_CREAT | OpenFlags.O_EXCL;

  @Test
  void createThroughServerA_isVisibleThroughServerB() {
    MetaFixture f = new MetaFixture();
    try (MetaRpcCluster c = new MetaRpcCluster(f, 2)) {
      sharedNamespace(c);
    }
  }

  @Test
  void twoServersOnOneRocksDb_serveOneNamespace(@TempDir Path dir) {
    MetaFixture f = new MetaFixture();
    Config kvConfig = Config.defaults(ConfigSchema.fromHolders(KvConfig.class));
    try (KvEngine rocks = KvEngines.open("rocksdb://" + dir, kvConfig);
        MetaRpcCluster c = new MetaRpcCluster(f, rocks, 2, s -> s)) {
      sharedNamespace(c);
      NamespaceChecker.Report r = NamespaceChecker.check(rocks);
      assertTrue(r.ok(), () -> r.violations().toString());
    }
  }

  private static void sharedNamespace(MetaRpcCluster c) {
    List<Address> both = c.addresses();
    try (MetaClient a = onlyServer(c, both.get(0)); MetaClient b = onlyServer(c, both.get(1))) {
      Inode d = a.mkdir(MetaFixture.ROOT, 0, "shared", 0777, null);
      OpenResult created = a.create(ALICE, d.id(), "x", 0644, EXCL, "c", null);
      assertEquals(created.inode(), b.lookup(ALICE, d.id(), "x"));
      CatenaException e = assertThrows(CatenaException.class, () -> b.create(ALICE, d.id(), "x", 0644, EXCL, "c",
          null));
      assertEquals(Errno.EEXIST, e.errno());
      b.rename(ALICE, d.id(), "x", d.id(), "y", 0, null);
      assertEquals(created.inode().id(), a.lookup(ALICE, d.id(), "y").id());
      a.unlink(ALICE, d.id(), "y", null);
      assertEquals(Errno.ENOENT, assertThrows(CatenaException.class, () -> b.lookup(ALICE, d.id(), "y")).errno());
      // Ids come from one shared counter: servers never hand out the same inode id.
      Set<Long> ids = ConcurrentHashMap.newKeySet();
      for (int k = 0; k < 200; k++) {
        MetaClient via = k % 2 == 0 ? a : b;
        assertTrue(ids.add(via.create(ALICE, d.id(), "f" + k, 0644, EXCL, "c", null).inode().id()));
      }
    }
  }

  @Test
  void afterAFailover_theFirstCallWaitsOutTheReadDelay_countedFromTheLastAnswer() throws Exception {
    MetaFixture f = new MetaFixture();
    try (MetaRpcCluster c = new MetaRpcCluster(f, 2)) {
      List<Duration> slept = new java.util.concurrent.CopyOnWriteArrayList<>();
      Duration delay = Duration.ofSeconds(30);
      MetaClient client = new MetaClient(c.rpc, c.addresses(), "delay", new MetaClient.Options(8, Duration.ZERO,
          Duration.ZERO, Duration.ofSeconds(20), Duration.ofSeconds(60), delay), new SplittableRandom(3),
          d -> {
            if (d.isPositive()) {
              slept.add(d);
            }
          });
      Inode d = client.mkdir(MetaFixture.ROOT, io.catena.meta.MetaService.ROOT, "d", 0777, null);
      assertEquals(d.id(), client.lookup(ALICE, io.catena.meta.MetaService.ROOT, "d").id());
      assertEquals(List.of(), slept, "the same server: no delay");
      Address first = client.currentServer();
      c.server(first).shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
      assertEquals(d.id(), client.lookup(ALICE, io.catena.meta.MetaService.ROOT, "d").id());
      assertNotEquals(first, client.currentServer());
      assertEquals(1, slept.size(), "one wait before the first call to the new server: " + slept);
      assertTrue(slept.get(0).compareTo(delay.minusSeconds(10)) > 0 && slept.get(0).compareTo(delay) <= 0,
          "the rest of the delay since the last answer: " + slept);
      client.lookup(ALICE, io.catena.meta.MetaService.ROOT, "d");
      assertEquals(1, slept.size(), "later calls to the new server do not wait");
    }
  }

  private static MetaClient onlyServer(MetaRpcCluster c, Address server) {
    return new MetaClient(c.rpc, List.of(server), "one-" + server.port(), new MetaClient.Options(3,
        Duration.ZERO, Duration.ZERO, Duration.ofSeconds(20)), new SplittableRandom(1), d -> {});
  }

  @Test
  void serverKilledMidStream_everyCreateSucceedsExactlyOnce() throws Exception {
    MetaFixture f = new MetaFixture();
    int threads = 4;
    int perThread = 150;
    // Once armed, the victim holds each create's reply after the commit until it dies: those replies are lost.
    AtomicInteger holdOn = new AtomicInteger(-1);
    CountDownLatch held = new CountDownLatch(threads);
    CountDownLatch never = new CountDownLatch(1);
    AtomicInteger index = new AtomicInteger();
    try (MetaRpcCluster c = new MetaRpcCluster(f, f.engine, 2, s -> {
      int i = index.getAndIncrement();
      return MetaRpcCluster.afterEachCall(s, method -> {
        if (method.equals("create") && holdOn.get() == i) {
          held.countDown();
          never.await(60, TimeUnit.SECONDS); // interrupted by the no-grace shutdown
        }
      });
    })) {
      long dir = f.openDir("stream").id();
      MetaClient client = c.client("stream", 3, io.catena.common.retry.Sleeper.system());
      Address victim = client.currentServer();
      CountDownLatch halfway = new CountDownLatch(threads * perThread / 2);
      Map<String, Long> created = new ConcurrentHashMap<>();
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> work = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int tt = t;
          work.add(pool.submit(() -> {
            for (int k = 0; k < perThread; k++) {
              String name = "t" + tt + "-" + k;
              // O_EXCL: a retried create that ran twice would fail with EEXIST instead of returning its answer.
              OpenResult r = client.create(ALICE, dir, name, 0644, EXCL, "c", null);
              created.put(name, r.inode().id());
              halfway.countDown();
            }
            return null;
          }));
        }
        assertTrue(halfway.await(60, TimeUnit.SECONDS));
        holdOn.set(c.addresses().indexOf(victim));
        assertTrue(held.await(60, TimeUnit.SECONDS), "every client thread has a committed create in flight");
        // No grace: the calls in flight on the victim are cut off after their commits.
        c.server(victim).shutdown(Duration.ZERO).get(30, TimeUnit.SECONDS);
        for (Future<?> w : work) {
          w.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      assertNotEquals(victim, client.currentServer());
      assertEquals(threads * perThread, created.size());
      assertEquals(created, listAll(f.meta, dir));
      f.assertConsistent();
    }
  }

  static Map<String, Long> listAll(io.catena.meta.MetaService m, long dir) {
    Map<String, Long> out = new HashMap<>();
    String cursor = null;
    while (true) {
      ReaddirPage p = m.readdir(MetaFixture.ROOT, dir, cursor, 256, false);
      for (DirEntry e : p.entries()) {
        out.put(e.name(), e.ino());
      }
      if (!p.more()) {
        return out;
      }
      cursor = p.cursor();
    }
  }

  @Test
  void lostReplyAfterCommit_retryOnTheOtherServerReturnsTheFirstAnswer() {
    MetaFixture f = new MetaFixture();
    // Every mutation's first reply is lost after its commit, on whichever server runs it first.
    Set<String> lostOnce = ConcurrentHashMap.newKeySet();
    AtomicInteger losses = new AtomicInteger();
    try (MetaRpcCluster c = new MetaRpcCluster(f, f.engine, 2, s -> MetaRpcCluster.losingReplies(s, method -> {
      boolean mutation = Set.of("create", "mkdir", "rename", "unlink", "rmdir", "link", "symlink", "setxattr",
          "removexattr", "removeRecursive", "mknod").contains(method);
      if (mutation && lostOnce.add(method)) {
        losses.incrementAndGet();
        return true;
      }
      return false;
    }))) {
      MetaClient m = c.client("lossy", 5);
      long tmp = f.openDir("tmp").id();
      OpenResult a = m.create(ALICE, tmp, "a", 0644, EXCL | OpenFlags.O_RDWR, "c", null);
      assertEquals(a.inode(), f.meta.lookup(ALICE, tmp, "a"));
      Inode d = m.mkdir(ALICE, tmp, "d", 0755, null);
      assertEquals(d, f.meta.lookup(ALICE, tmp, "d"));
      m.rename(ALICE, tmp, "a", d.id(), "b", 0, null);
      m.link(ALICE, a.inode().id(), tmp, "hard", null);
      m.symlink(ALICE, tmp, "sym", "d/b", null);
      m.mknod(ALICE, tmp, "fifo", 0010644, 0, null);
      m.setxattr(ALICE, a.inode().id(), "user.k", new byte[] {1}, io.catena.meta.XattrFlags.CREATE, null);
      m.removexattr(ALICE, a.inode().id(), "user.k", null);
      m.unlink(ALICE, d.id(), "b", null);
      m.rmdir(ALICE, tmp, "d", null);
      m.mkdir(ALICE, tmp, "tree", 0755, null);
      assertEquals(1, m.removeRecursive(ALICE, tmp, "tree", new RequestId("caller", 9)));
      assertEquals(11, losses.get());
      assertEquals(Set.of("hard", "sym", "fifo"), listAll(f.meta, tmp).keySet());
      f.assertConsistent();
    }
  }

  @Test
  void unknownCommitOutcomesInTheKvLayer_areAbsorbedOverRpc() {
    MetaFixture f = new MetaFixture(KvFaults.of(0.0, 0.3, new SplittableRandom(11)));
    try (MetaRpcCluster c = new MetaRpcCluster(f, 2)) {
      MetaClient m = c.client("unknown", 7);
      long dir = m.mkdir(MetaFixture.ROOT, 0, "d", 0777, null).id();
      for (int k = 0; k < 30; k++) {
        m.create(ALICE, dir, "f" + k, 0644, EXCL, "c", null);
        m.rename(ALICE, dir, "f" + k, dir, "g" + k, 0, null);
        m.unlink(ALICE, dir, "g" + k, null);
      }
      assertTrue(m.readdir(ALICE, dir, null, 10, false).entries().isEmpty());
      f.assertConsistent();
    }
  }

  @Test
  void nonRetryableErrors_reachTheCallerAfterOneAttempt() {
    MetaFixture f = new MetaFixture();
    AtomicInteger calls = new AtomicInteger();
    try (MetaRpcCluster c = new MetaRpcCluster(f, f.engine, 2, s -> MetaRpcCluster.counting(s, calls))) {
      MetaClient m = c.client("once", 9);
      CatenaException e = assertThrows(CatenaException.class, () -> m.lookup(ALICE, 0, "missing"));
      assertEquals(Errno.ENOENT, e.errno());
      assertEquals(1, calls.get());
      assertEquals(Errno.EEXIST, assertThrows(CatenaException.class,
          () -> m.mkdir(MetaFixture.ROOT, 0, "..", 0755, null)).errno());
      assertEquals(2, calls.get());
    }
  }

  @Test
  void allServersDown_failsRetryablyAfterTheConfiguredAttempts() {
    MetaFixture f = new MetaFixture();
    MetaRpcCluster c = new MetaRpcCluster(f, 2);
    List<Address> gone = c.addresses();
    for (var s : c.servers) {
      s.close();
    }
    List<Duration> pauses = new ArrayList<>();
    try (MetaClient m = new MetaClient(c.rpc, gone, "down", new MetaClient.Options(5, Duration.ofMillis(10),
        Duration.ofMillis(15), Duration.ofSeconds(5)), new SplittableRandom(2), pauses::add)) {
      CatenaException e = assertThrows(CatenaException.class, () -> m.getattr(ALICE, 0));
      assertTrue(e.isRetryable());
      assertEquals(Errno.ECONNREFUSED, e.errno(), e.getMessage());
      assertTrue(e.getMessage().contains("after 5 attempts"), e.getMessage());
      // No pause before the first failover; then jittered pauses bounded by 10ms, 15ms, 15ms.
      assertTrue(pauses.size() <= 3, pauses.toString());
      assertTrue(pauses.stream().allMatch(p -> p.compareTo(Duration.ofMillis(15)) <= 0), pauses.toString());
    } finally {
      c.close();
    }
  }
}
