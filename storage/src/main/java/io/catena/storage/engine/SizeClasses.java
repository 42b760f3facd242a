package io.catena.storage.engine;

/**
 * Block size classes (64 KiB, 128 KiB, ..., 64 MiB) and the block address encoding: a block is a long,
 * {@code class << 56 | index}. Stateless.
 */
final class SizeClasses {
  static final int MIN_SHIFT = 16;
  static final int MAX_SHIFT = 26;
  static final int COUNT = MAX_SHIFT - MIN_SHIFT + 1;
  static final int MIN_BLOCK = 1 << MIN_SHIFT;
  static final int MAX_BLOCK = 1 << MAX_SHIFT;
  private static final long INDEX_MASK = (1L << 56) - 1;

  private SizeClasses() {}

  static int blockSize(int cls) {
    return 1 << (MIN_SHIFT + cls);
  }

  /** The smallest class whose blocks hold {@code length} bytes; a chunk grows into larger classes by copy. */
  static int classFor(long length) {
    if (length <= MIN_BLOCK) {
      return 0;
    }
    int shift = 64 - Long.numberOfLeadingZeros(length - 1);
    if (shift > MAX_SHIFT) {
      throw new IllegalArgumentException("no size class holds " + length + " bytes");
    }
    return shift - MIN_SHIFT;
  }

  static long block(int cls, long index) {
    return ((long) cls << 56) | index;
  }

  static int classOf(long block) {
    return (int) (block >>> 56);
  }

  static long indexOf(long block) {
    return block & INDEX_MASK;
  }

  static int blockSizeOf(long block) {
    return blockSize(classOf(block));
  }

  static boolean valid(long block) {
    int c = classOf(block);
    return c >= 0 && c < COUNT && indexOf(block) <= Integer.MAX_VALUE;
  }

  static String describe(long block) {
    return (blockSizeOf(block) >> 10) + "KiB#" + indexOf(block);
  }
}
