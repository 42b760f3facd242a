package io.catena.kv.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.config.Config;
import io.catena.kv.KeyValue;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.TransactionRunner;
import io.etcd.jetcd.api.CompactionRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The etcd engine's watch-fed mirror on a real etcd: linearizable reads of another engine's commits, snapshot reads
 * at an old revision while newer writes land, a new generation after etcd is killed and restarted and after the
 * watched revision is compacted, and reads from etcd while the mirror is behind. Each test opens a writer engine and
 * a mirror-reading engine on one fresh prefix.
 */
class EtcdMirrorTest {
  private static final Duration READY = Duration.ofSeconds(20);
  @RegisterExtension static final EtcdPerClass etcd = new EtcdPerClass();


  private static EtcdKvEngine open(String prefix, Map<String, String> settings) {
    Config c = EtcdKvEngineTest.config(settings);
    return EtcdKvEngine.open(etcd.url(prefix), c, KvFaults.none(), Clock.systemUTC());
  }

  /** A reader whose mirror waits long enough never to fall back on a busy machine, and is ready. */
  private static EtcdKvEngine mirrorReader(String prefix, Map<String, String> more) {
    java.util.HashMap<String, String> s = new java.util.HashMap<>(Map.of("kv.etcd.mirror_wait", "10s",
        "kv.etcd.mirror_retry", "50ms"));
    s.putAll(more);
    EtcdKvEngine kv = open(prefix, s);
    assertTrue(kv.mirror().awaitCurrent(0, READY), "the mirror lists the prefix and watches it");
    return kv;
  }

  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static String s(byte[] b) {
    return b == null ? null : new String(b, UTF_8);
  }

  private static long put(EtcdKvEngine kv, String... kvs) {
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      for (int i = 0; i < kvs.length; i += 2) {
        t.set(b(kvs[i]), b(kvs[i + 1]));
      }
      return t.commit();
    }
  }

  private static String read(EtcdKvEngine kv, String key) {
    try (ReadTransaction t = kv.beginRead()) {
      return t.snapshotGet(b(key)).map(EtcdMirrorTest::s).orElse(null);
    }
  }

  private static long served(EtcdKvEngine kv) {
    return kv.mirrorCounts()[0];
  }

  @Test
  void readsSeeAnotherEnginesCommit_assoonAsItReturned() {
    String p = EtcdProcess.uniquePrefix("mirror-lin");
    try (EtcdKvEngine writer = open(p, Map.of("kv.etcd.mirror", "false"));
        EtcdKvEngine reader = mirrorReader(p, Map.of())) {
      int rounds = 300;
      for (int i = 0; i < rounds; i++) {
        long rev = put(writer, "k", "v" + i, "list/" + i, "x");
        try (ReadTransaction t = reader.beginRead()) {
          assertEquals("v" + i, t.snapshotGet(b("k")).map(EtcdMirrorTest::s).orElse(null), "round " + i);
          assertTrue(t.readVersion() >= rev, "read revision " + t.readVersion() + " below commit " + rev);
          if (i % 50 == 0) {
            List<KeyValue> l = t.snapshotGetRange(b("list/"), b("list0"), 0, false).pairs();
            assertEquals(i + 1, l.size(), "round " + i);
          }
        }
      }
      long[] c = reader.mirrorCounts();
      assertEquals(rounds, c[0], "every read transaction was served by the mirror");
      assertEquals(0, c[1], "none fell back to etcd");
      // Reads ride on one shared revision request each: the values themselves were local.
      assertTrue(reader.requestCounts()[1] <= rounds + 5, "reads sent to etcd: " + reader.requestCounts()[1]);
    }
  }

  @Test
  void aTransactionKeepsReadingItsRevision_whileNewerWritesLand_andPrunedVersionsDoNotLeak() {
    String p = EtcdProcess.uniquePrefix("mirror-mv");
    try (EtcdKvEngine writer = open(p, Map.of("kv.etcd.mirror", "false"));
        EtcdKvEngine reader = mirrorReader(p, Map.of())) {
      put(writer, "k", "old", "d/1", "a", "d/2", "b", "gone", "x");
      long last;
      try (ReadWriteTransaction t = reader.beginReadWrite()) {
        assertEquals("old", s(t.get(b("k")).orElse(null)));
        long rv = t.readVersion();
        last = 0;
        for (int i = 0; i < 50; i++) {
          last = put(writer, "k", "new" + i, "d/1" + i, "n");
        }
        try (ReadWriteTransaction w = writer.beginReadWrite()) {
          w.clear(b("gone"));
          w.clear(b("d/2"));
          last = w.commit();
        }
        assertTrue(reader.mirror().awaitCurrent(last, READY));
        // Same transaction, same revision: none of the 51 newer commits is visible.
        assertEquals(rv, t.readVersion());
        assertEquals("old", s(t.snapshotGet(b("k")).orElse(null)));
        assertEquals("x", s(t.snapshotGet(b("gone")).orElse(null)));
        assertEquals(List.of("d/1", "d/2"), t.snapshotGetRange(b("d/"), b("d0"), 0, false).pairs().stream()
            .map(kv -> s(kv.key())).toList());
        assertEquals(List.of("d/2", "d/1"), t.snapshotGetRange(b("d/"), b("d0"), 0, true).pairs().stream()
            .map(kv -> s(kv.key())).toList());
        assertEquals(1, t.snapshotGetRange(b("d/"), b("d0"), 1, false).pairs().size());
        // Its conflict-tracked read still fails the commit: the mirror served it with k's old mod revision.
        t.set(b("out"), b("1"));
        assertTrue(commitConflicts(t), "the commit conflicts");
      }
      // A new transaction sees the latest revision.
      try (ReadTransaction t = reader.beginRead()) {
        assertTrue(t.readVersion() >= last);
        assertEquals("new49", s(t.snapshotGet(b("k")).orElse(null)));
        assertTrue(t.snapshotGet(b("gone")).isEmpty());
        assertEquals(51, t.snapshotGetRange(b("d/"), b("d0"), 0, false).pairs().size());
      }
      // With no transaction open, the next event prunes every superseded version and tombstone.
      put(writer, "k", "final");
      long rev = put(writer, "z", "1");
      assertTrue(reader.mirror().awaitCurrent(rev, READY));
      MirrorStore store = storeOf(reader);
      assertEquals(1 + 51 + 1, store.size(), "k, d/1 and d/10..d/149, z: no tombstones left");
      assertEquals(0, store.pins().size(), "every transaction unpinned its revision");
    }
  }

  private static boolean commitConflicts(ReadWriteTransaction t) {
    try {
      t.commit();
      return false;
    } catch (io.catena.common.CatenaException e) {
      return e.isRetryable() && e.getMessage().contains("conflict");
    }
  }

  private static MirrorStore storeOf(EtcdKvEngine kv) {
    try (ReadTransaction t = kv.beginRead()) {
      t.snapshotGet(b("any"));
      EtcdTxn txn = (EtcdTxn) unwrap(t);
      return txn.view().store();
    }
  }

  /** The engine core behind a transaction (the etcd engine's transaction is its own snapshot). */
  private static Object unwrap(ReadTransaction t) {
    try {
      java.lang.reflect.Field f = io.catena.kv.core.Transaction.class.getDeclaredField("snapshot");
      f.setAccessible(true);
      return f.get(t);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void etcdKilledAndRestarted_theMirrorListsAgain_andServesReadsThatSeeEveryCommit() {
    String p = EtcdProcess.uniquePrefix("mirror-kill");
    try (EtcdKvEngine writer = open(p, Map.of("kv.etcd.mirror", "false", "kv.etcd.request_timeout", "1s"));
        EtcdKvEngine reader = mirrorReader(p, Map.of("kv.etcd.request_timeout", "1s"))) {
      put(writer, "k", "before");
      assertEquals("before", read(reader, "k"));
      long generations = reader.mirrorCounts()[2];
      etcd.kill(0);
      etcd.restart(0);
      // The first commit after the restart may meet a member still electing itself: the runner retries.
      TransactionRunner.withDefaults(writer).run(t -> {
        t.set(b("k"), b("after"));
        return null;
      });
      long rev = put(writer, "k2", "after");
      assertTrue(reader.mirror().awaitCurrent(rev, READY), "a new generation caught up after the restart");
      assertTrue(reader.mirrorCounts()[2] > generations, "the broken watch started a new generation");
      long servedBefore = served(reader);
      assertEquals("after", TransactionRunner.withDefaults(reader).read(t ->
          t.snapshotGet(b("k")).map(EtcdMirrorTest::s).orElse(null)));
      assertEquals("after", read(reader, "k2"));
      assertTrue(served(reader) > servedBefore, "served by the new generation");
    }
  }

  @Test
  void watchedRevisionCompacted_theMirrorListsAgain() throws Exception {
    String p = EtcdProcess.uniquePrefix("mirror-compact");
    try (EtcdKvEngine writer = open(p, Map.of("kv.etcd.mirror", "false"))) {
      put(writer, "k", "v0");
      AtomicBoolean compacted = new AtomicBoolean();
      java.util.concurrent.CompletableFuture<Void> hookDone = new java.util.concurrent.CompletableFuture<>();
      // Between the first listing and its watch, two commits and a compaction past the watch's start revision.
      Runnable hook = () -> {
        if (compacted.compareAndSet(false, true)) {
          put(writer, "k", "v1");
          compact(put(writer, "k", "v2"));
          hookDone.complete(null);
        }
      };
      try (EtcdKvEngine r = EtcdKvEngine.open(etcd.url(p), EtcdKvEngineTest.config(Map.of("kv.etcd.mirror_wait",
          "10s", "kv.etcd.mirror_retry", "50ms")), KvFaults.none(), Clock.systemUTC(), hook)) {
        hookDone.get(20, TimeUnit.SECONDS); // v3 must come after the hook's writes
        long rev = put(writer, "k", "v3");
        assertTrue(r.mirror().awaitCurrent(rev, READY), "the mirror recovered from the compaction");
        assertTrue(compacted.get());
        assertTrue(r.mirrorCounts()[2] >= 2, "a second generation: " + r.mirrorCounts()[2]);
        long before = served(r);
        assertEquals("v3", read(r, "k"));
        assertEquals(before + 1, served(r));
      }
    }
  }

  private static void compact(long revision) {
    ManagedChannel ch = ManagedChannelBuilder.forTarget(etcd.endpoints().getFirst()).usePlaintext().build();
    try {
      KVGrpc.newBlockingStub(ch).withDeadlineAfter(10, TimeUnit.SECONDS)
          .compact(CompactionRequest.newBuilder().setRevision(revision).setPhysical(true).build());
    } finally {
      ch.shutdownNow();
    }
  }

  @Test
  void mirrorBehind_readsGoToEtcd_andSeeTheLatestCommit_thenTheMirrorServesAgain() {
    String p = EtcdProcess.uniquePrefix("mirror-behind");
    try (EtcdKvEngine writer = open(p, Map.of("kv.etcd.mirror", "false"));
        EtcdKvEngine reader = mirrorReader(p, Map.of("kv.etcd.mirror_wait", "50ms"))) {
      put(writer, "k", "v1");
      assertEquals("v1", read(reader, "k"));
      reader.mirror().holdEvents(true);
      long rev = put(writer, "k", "v2");
      long[] before = reader.mirrorCounts();
      assertEquals("v2", read(reader, "k"), "the mirror cannot reach the commit's revision: read from etcd");
      assertEquals(before[1] + 1, reader.mirrorCounts()[1], "one transaction waited and fell back");
      assertEquals("v2", read(reader, "k"));
      assertEquals(before[1] + 1, reader.mirrorCounts()[1], "later ones skip the mirror while it is behind");
      assertEquals(before[0], reader.mirrorCounts()[0]);
      reader.mirror().holdEvents(false);
      assertTrue(reader.mirror().awaitCurrent(rev, READY));
      assertEquals("v2", read(reader, "k"));
      assertEquals(before[0] + 1, reader.mirrorCounts()[0], "caught up: served by the mirror again");
    }
  }

  @Test
  void mirrorOff_everyReadGoesToEtcd() {
    String p = EtcdProcess.uniquePrefix("mirror-off");
    try (EtcdKvEngine kv = open(p, Map.of("kv.etcd.mirror", "false"))) {
      put(kv, "k", "v");
      assertEquals("v", read(kv, "k"));
      assertNull(kv.mirror());
      assertEquals(0, kv.mirrorCounts()[0]);
    }
  }
}
