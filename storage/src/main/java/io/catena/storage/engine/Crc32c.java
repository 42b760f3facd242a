package io.catena.storage.engine;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * CRC32C helpers, chiefly {@link #combine}: an in-place append must extend the chunk's CRC without rereading the
 * chunk, and java.util.zip.CRC32C cannot resume from a stored value. Stateless.
 */
final class Crc32c {
  private static final long POLY = 0x82F63B78L; // reflected Castagnoli polynomial
  private static final ByteBuffer ZEROS = ByteBuffer.allocateDirect(1 << 16).asReadOnlyBuffer();

  private Crc32c() {}

  static int of(ByteBuffer data) {
    CRC32C c = new CRC32C();
    c.update(data.duplicate());
    return (int) c.getValue();
  }

  static int ofZeros(long n) {
    CRC32C c = new CRC32C();
    while (n > 0) {
      int k = (int) Math.min(n, ZEROS.capacity());
      c.update(ZEROS.duplicate().limit(k));
      n -= k;
    }
    return (int) c.getValue();
  }

  /** CRC of A followed by B from CRC(A), CRC(B) and B's length (zlib's crc32_combine, GF(2) matrix method). */
  static int combine(int crcA, int crcB, long lenB) {
    if (lenB <= 0) {
      return crcA;
    }
    long[] even = new long[32];
    long[] odd = new long[32];
    odd[0] = POLY;
    long row = 1;
    for (int n = 1; n < 32; n++) {
      odd[n] = row;
      row <<= 1;
    }
    square(even, odd);
    square(odd, even);
    long c = crcA & 0xFFFFFFFFL;
    do {
      square(even, odd);
      if ((lenB & 1) != 0) {
        c = times(even, c);
      }
      lenB >>>= 1;
      if (lenB == 0) {
        break;
      }
      square(odd, even);
      if ((lenB & 1) != 0) {
        c = times(odd, c);
      }
      lenB >>>= 1;
    } while (lenB != 0);
    return (int) (c ^ (crcB & 0xFFFFFFFFL));
  }

  private static long times(long[] mat, long vec) {
    long sum = 0;
    for (int i = 0; vec != 0; i++, vec >>>= 1) {
      if ((vec & 1) != 0) {
        sum ^= mat[i];
      }
    }
    return sum;
  }

  private static void square(long[] square, long[] mat) {
    for (int n = 0; n < 32; n++) {
      square[n] = times(mat, mat[n]);
    }
  }
}
