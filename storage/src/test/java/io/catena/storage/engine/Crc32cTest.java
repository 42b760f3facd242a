package io.catena.storage.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class Crc32cTest {
  @Test
  void combine_equalsCrcOfConcatenation() {
    SplittableRandom rnd = new SplittableRandom(7);
    for (int i = 0; i < 200; i++) {
      byte[] a = new byte[rnd.nextInt(0, 5000)];
      byte[] b = new byte[rnd.nextInt(0, 5000)];
      rnd.nextBytes(a);
      rnd.nextBytes(b);
      ByteBuffer ab = ByteBuffer.allocate(a.length + b.length).put(a).put(b).flip();
      assertEquals(Crc32c.of(ab), Crc32c.combine(Crc32c.of(ByteBuffer.wrap(a)), Crc32c.of(ByteBuffer.wrap(b)),
          b.length));
    }
  }

  @Test
  void ofZeros_equalsCrcOfZeroBuffer() {
    for (int n : new int[] {0, 1, 65535, 65536, 65537, 300_000}) {
      assertEquals(Crc32c.of(ByteBuffer.allocate(n)), Crc32c.ofZeros(n), "n=" + n);
    }
  }

  @Test
  void sizeClass_isSmallestFittingPowerOfTwo() {
    assertEquals(0, SizeClasses.classFor(0));
    assertEquals(0, SizeClasses.classFor(65536));
    assertEquals(1, SizeClasses.classFor(65537));
    assertEquals(10, SizeClasses.classFor(64 << 20));
  }
}
