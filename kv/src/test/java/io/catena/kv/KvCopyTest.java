package io.catena.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.mem.MemKvEngine;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@link KvCopy}: every key arrives, a copy that stopped half way resumes, and unsafe destinations are refused. */
class KvCopyTest {

  private static List<KeyValue> fill(KvEngine e, int n, long seed) {
    Random r = new Random(seed);
    List<KeyValue> all = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] k = ("DENT" + String.format("%06d", i)).getBytes(StandardCharsets.US_ASCII);
      byte[] v = new byte[r.nextInt(3000)];
      r.nextBytes(v);
      all.add(new KeyValue(k, v));
    }
    for (int from = 0; from < n; from += 100) {
      try (ReadWriteTransaction t = e.beginReadWrite()) {
        for (KeyValue kv : all.subList(from, Math.min(n, from + 100))) {
          t.set(kv.key(), kv.value());
        }
        t.commit();
      }
    }
    return all;
  }

  private static void assertHolds(KvEngine e, List<KeyValue> expected) {
    try (ReadTransaction r = e.beginRead()) {
      List<KeyValue> got = r.snapshotGetRange(new byte[0], new byte[] {(byte) 0xff}, 100_000, false).pairs();
      assertEquals(expected.size(), got.size());
      for (int i = 0; i < got.size(); i++) {
        assertArrayEquals(expected.get(i).key(), got.get(i).key());
        assertArrayEquals(expected.get(i).value(), got.get(i).value());
      }
      assertTrue(r.snapshotGet(KvCopy.PROGRESS_KEY).isEmpty(), "the progress record is gone after a verified copy");
    }
  }

  @Test
  void copiesEveryKeyInBoundedTransactions_andVerifies() {
    try (KvEngine from = new MemKvEngine(); KvEngine to = new MemKvEngine()) {
      List<KeyValue> all = fill(from, 1500, 1);
      List<Long> progress = new ArrayList<>();
      KvCopy.Result r = new KvCopy(from, to, 100, 64 * 1024).run(progress::add);
      assertEquals(1500, r.copied());
      assertEquals(1500, r.keys());
      assertFalse(r.resumed());
      assertTrue(progress.size() >= 1500 * 1500 / 64 / 1024, "pages bounded by bytes, not only by count: "
          + progress.size());
      assertHolds(to, all);
    }
  }

  @Test
  void aCopyThatStoppedHalfWay_resumesAfterItsLastKey() {
    try (KvEngine from = new MemKvEngine(); KvEngine to = new MemKvEngine()) {
      List<KeyValue> all = fill(from, 500, 2);
      // What an interrupted run leaves: the first 200 keys and the progress record naming the last of them.
      try (ReadWriteTransaction t = to.beginReadWrite()) {
        for (KeyValue kv : all.subList(0, 200)) {
          t.set(kv.key(), kv.value());
        }
        t.set(KvCopy.PROGRESS_KEY, all.get(199).key());
        t.commit();
      }
      KvCopy.Result r = new KvCopy(from, to, 50, 1L << 20).run(n -> { });
      assertTrue(r.resumed());
      assertEquals(300, r.copied(), "only what was left is copied");
      assertEquals(500, r.keys());
      assertHolds(to, all);
    }
  }

  @Test
  void aDestinationWithOtherKeys_isRefused() {
    try (KvEngine from = new MemKvEngine(); KvEngine to = new MemKvEngine()) {
      fill(from, 10, 3);
      fill(to, 1, 4);
      CatenaException e = assertThrows(CatenaException.class, () -> new KvCopy(from, to, 100, 1L << 20)
          .run(n -> { }));
      assertEquals(Errno.EEXIST, e.errno());
    }
  }

  @Test
  void aValueLargerThanOneTransaction_isRefusedByName() {
    try (KvEngine from = new MemKvEngine(); KvEngine to = new MemKvEngine()) {
      try (ReadWriteTransaction t = from.beginReadWrite()) {
        t.set("INODbig".getBytes(StandardCharsets.US_ASCII), new byte[10_000]);
        t.commit();
      }
      CatenaException e = assertThrows(CatenaException.class, () -> new KvCopy(from, to, 100, 4096).run(n -> { }));
      assertEquals(Errno.EFBIG, e.errno());
      assertTrue(e.getMessage().contains("INOD"), e.getMessage());
    }
  }
}
