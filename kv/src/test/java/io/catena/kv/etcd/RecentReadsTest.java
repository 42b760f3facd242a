package io.catena.kv.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.time.ManualClock;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Bounded-staleness reads ({@code KvEngine.beginRead(Duration)}) on a real etcd: served from the mirror without a
 * round trip while a fence younger than the bound proves it fresh enough, never missing this engine's own commits,
 * and never missing another engine's commit once the bound has passed since the last fence (the reader's clock is a
 * manual one, so "the bound has passed" is exact). The reader's watch answers are held back where a test needs the
 * mirror to stay behind. (A stream of such reads refreshing its fence in the background is what `bench meta` counts
 * as "without a fence".)
 */
class RecentReadsTest {
  private static final Duration BOUND = Duration.ofMillis(100);
  @RegisterExtension static final EtcdPerClass etcd = new EtcdPerClass();

  private static EtcdKvEngine open(String prefix, Clock clock, Map<String, String> settings) {
    return EtcdKvEngine.open(etcd.url(prefix), EtcdKvEngineTest.config(settings), KvFaults.none(), clock);
  }

  private static EtcdKvEngine reader(String prefix, ManualClock clock) {
    EtcdKvEngine kv = open(prefix, clock, Map.of("kv.etcd.mirror_wait", "300ms", "kv.etcd.mirror_retry", "50ms"));
    assertTrue(kv.mirror().awaitCurrent(0, Duration.ofSeconds(20)), "the mirror lists the prefix and watches it");
    return kv;
  }

  private static long put(EtcdKvEngine kv, String key, String value) {
    try (ReadWriteTransaction t = kv.beginReadWrite()) {
      t.set(key.getBytes(UTF_8), value.getBytes(UTF_8));
      return t.commit();
    }
  }

  private static String read(EtcdKvEngine kv, Duration staleness, String key) {
    try (ReadTransaction t = staleness.isZero() ? kv.beginRead() : kv.beginRead(staleness)) {
      return t.snapshotGet(key.getBytes(UTF_8)).map(v -> new String(v, UTF_8)).orElse(null);
    }
  }

  private static long withoutFence(EtcdKvEngine kv) {
    return kv.mirrorCounts()[3];
  }

  @Test
  void anotherEnginesCommit_mayBeMissedWithinTheBound_butNotOnceTheBoundHasPassed() {
    String p = EtcdProcess.uniquePrefix("recent-bound");
    ManualClock clock = new ManualClock();
    try (EtcdKvEngine writer = open(p, Clock.systemUTC(), Map.of("kv.etcd.mirror", "false"));
        EtcdKvEngine reader = reader(p, clock)) {
      long rev = put(writer, "k", "v1");
      assertEquals("v1", read(reader, Duration.ZERO, "k"), "a latest read fences, and the mirror applies the fence");
      assertTrue(reader.mirror().awaitCurrent(rev, Duration.ofSeconds(20)));
      long before = withoutFence(reader);
      long requests = reader.requestCounts()[0];
      assertEquals("v1", read(reader, BOUND, "k"));
      assertEquals(before + 1, withoutFence(reader), "served from the mirror on the last fence");
      assertEquals(requests, reader.requestCounts()[0], "no request to etcd");

      reader.mirror().holdEvents(true);
      put(writer, "k", "v2");
      assertEquals("v1", read(reader, BOUND, "k"), "within the bound the mirror may answer behind");
      clock.advance(BOUND.plusMillis(1));
      assertEquals("v2", read(reader, BOUND, "k"), "past the bound since the last fence: never behind");
      assertEquals("v2", read(reader, Duration.ZERO, "k"));
      reader.mirror().holdEvents(false);
    }
  }

  @Test
  void thisEnginesOwnCommit_isSeenAtOnce_evenWhileTheMirrorHasNotAppliedIt() {
    String p = EtcdProcess.uniquePrefix("recent-own");
    ManualClock clock = new ManualClock();
    try (EtcdKvEngine kv = reader(p, clock)) {
      put(kv, "k", "v1");
      assertEquals("v1", read(kv, Duration.ZERO, "k"));
      kv.mirror().holdEvents(true);
      put(kv, "k", "mine");
      assertEquals("mine", read(kv, Duration.ofHours(1), "k"), "however large the bound");
      kv.mirror().holdEvents(false);
    }
  }
}
