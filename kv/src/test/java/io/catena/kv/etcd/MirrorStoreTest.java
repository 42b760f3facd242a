package io.catena.kv.etcd;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.catena.common.time.ManualClock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The mirror's multi-version store without etcd: visibility by revision, ordered scans, pruning by pins. */
class MirrorStoreTest {
  private static byte[] b(String s) {
    return s.getBytes(UTF_8);
  }

  private static String at(MirrorStore s, String key, long rev) {
    MirrorStore.Version v = s.get(b(key), rev);
    return v == null ? null : new String(v.value(), UTF_8);
  }

  private static List<String> scan(MirrorStore s, long rev, boolean reverse) {
    List<String> out = new ArrayList<>();
    s.scan(b("a"), b("z"), reverse, rev, (k, v) -> out.add(new String(k, UTF_8)));
    return out;
  }

  @Test
  void readsSeeEachKeyAsOfTheirRevision_andPruningKeepsWhatPinnedReadersNeed() {
    ManualClock clock = new ManualClock();
    MirrorStore s = new MirrorStore(10, new ReadPins(clock, 5_000));
    s.load(b("a"), b("a1"), 3);
    s.load(b("c"), b("c1"), 10);
    ReadPins.Pin at10 = s.pins().pin(s, clock.millis());
    s.apply(b("a"), b("a2"), 11);
    s.apply(b("b"), b("b1"), 12);
    s.apply(b("c"), null, 12);
    s.advanceTo(12);
    s.prune();
    assertEquals("a1", at(s, "a", 10));
    assertEquals("a2", at(s, "a", 11));
    assertNull(at(s, "b", 11));
    assertEquals("b1", at(s, "b", 12));
    assertEquals("c1", at(s, "c", 11));
    assertNull(at(s, "c", 12));
    assertEquals(List.of("a", "c"), scan(s, 10, false));
    assertEquals(List.of("b", "a"), scan(s, 12, true));
    assertEquals(3, s.size());

    s.pins().unpin(at10);
    s.apply(b("d"), b("d1"), 13);
    s.advanceTo(13);
    s.prune(); // nothing superseded by d: nothing to do yet
    s.apply(b("d"), b("d2"), 14);
    s.advanceTo(14);
    s.prune(); // no pins: floor 14, old a and the c tombstone go
    assertEquals(3, s.size(), "a, b, d");
    assertEquals("a2", at(s, "a", 14));
    assertNull(at(s, "a", 10), "pruned below the floor");
  }

  @Test
  void aPinOlderThanTheConflictWindow_noLongerHoldsTheFloor() {
    ManualClock clock = new ManualClock();
    ReadPins pins = new ReadPins(clock, 5_000);
    MirrorStore s = new MirrorStore(10, pins);
    pins.pin(s, clock.millis());
    assertEquals(10, pins.advanceFloor(20));
    clock.advance(java.time.Duration.ofSeconds(6));
    assertEquals(20, pins.advanceFloor(20));
  }

  @Test
  void mirrorKeys_defaults_envOverride_andValidation() {
    io.catena.common.config.ConfigSchema schema = io.catena.common.config.ConfigSchema.fromHolders(
        io.catena.kv.KvConfig.class, EtcdConfig.class);
    io.catena.common.config.Config d = io.catena.common.config.ConfigLoader.load(schema, null, java.util.Map.of(),
        java.util.Map.of());
    assertEquals(true, d.get(EtcdConfig.MIRROR));
    assertEquals(java.time.Duration.ofMillis(200), d.get(EtcdConfig.MIRROR_WAIT));
    io.catena.common.config.Config env = io.catena.common.config.ConfigLoader.load(schema, null,
        java.util.Map.of("CATENA_KV_ETCD_MIRROR", "false", "CATENA_KV_ETCD_MIRROR_WAIT", "50ms"), java.util.Map.of());
    assertEquals(false, env.get(EtcdConfig.MIRROR));
    assertEquals(java.time.Duration.ofMillis(50), env.get(EtcdConfig.MIRROR_WAIT));
    org.junit.jupiter.api.Assertions.assertThrows(RuntimeException.class, () -> io.catena.common.config.ConfigLoader
        .load(schema, null, java.util.Map.of("CATENA_KV_ETCD_MIRROR_WAIT", "2m"), java.util.Map.of()));
  }
}
