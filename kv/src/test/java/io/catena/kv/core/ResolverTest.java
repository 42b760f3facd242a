package io.catena.kv.core;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ResolverTest {

  private static byte[] key(SplittableRandom rnd) {
    byte[] k = new byte[1 + rnd.nextInt(3)];
    for (int i = 0; i < k.length; i++) {
      k[i] = (byte) rnd.nextInt(6);
    }
    return k;
  }

  private static byte[][] ranges(SplittableRandom rnd, int n) {
    byte[][] r = new byte[2 * n][];
    for (int i = 0; i < n; i++) {
      byte[] a = key(rnd);
      byte[] b = key(rnd);
      boolean ordered = java.util.Arrays.compareUnsigned(a, b) <= 0;
      r[2 * i] = ordered ? a : b;
      r[2 * i + 1] = ordered ? b : a;
    }
    return r;
  }

  @Test
  void sortedReadSet_agreesWithTheNestedLoop() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int trial = 0; trial < 20_000; trial++) {
      byte[][] reads = ranges(rnd, 1 + rnd.nextInt(40));
      byte[][] writes = ranges(rnd, 1 + rnd.nextInt(5));
      assertEquals(Resolver.intersects(reads, writes), new Resolver.ReadSet(reads).intersects(writes),
          "trial " + trial);
    }
  }

  @Test
  void commitsAtOrBeforeTheReadVersion_doNotConflict_andTrimmingMakesOldReadersTooOld() {
    Resolver r = new Resolver(Duration.ofSeconds(5), 1000, 0);
    byte[][] a = {{1}, {2}};
    r.record(1, 0, a);
    r.record(2, 1000, new byte[][] {{5}, {6}});
    assertEquals(Resolver.Verdict.OK, r.check(1, a));
    assertEquals(Resolver.Verdict.CONFLICT, r.check(0, a));
    r.trim(5500); // version 1 (t=0) is out of the window, version 2 (t=1s) is not
    assertEquals(1, r.oldestReadableVersion());
    assertEquals(Resolver.Verdict.TOO_OLD, r.check(0, a));
    assertEquals(Resolver.Verdict.OK, r.check(1, a));
    assertEquals(Resolver.Verdict.CONFLICT, r.check(1, new byte[][] {{5}, {5, 0}}));
  }
}
