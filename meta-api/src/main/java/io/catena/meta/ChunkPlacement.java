package io.catena.meta;

import io.catena.common.cluster.ChainTable;

/**
 * Which chain holds chunk {@code i} of a file, computed from the layout and its (immutable) chain table alone, so
 * clients never ask meta on the data path. FIXED FOREVER — changing it would move every existing file's chunks:
 *
 * <ol>
 *   <li>The file's stripe is the {@code stripeSize} table positions {@code (base + k) mod n}, k = 0..stripe-1.</li>
 *   <li>Those positions are permuted by Fisher-Yates, iterating k from stripe-1 down to 1, swapping k with
 *       {@code j = floorMod(next(), k + 1)}, where {@code next()} is SplitMix64 seeded with the layout's shuffle seed
 *       (state += 0x9E3779B97F4A7C15; z = state; z = (z ^ z>>>30) * 0xBF58476D1CE4E5B9;
 *       z = (z ^ z>>>27) * 0x94D049BB133111EB; return z ^ z>>>31).</li>
 *   <li>Chunk i lives on the chain at permuted stripe position {@code i mod stripe}.</li>
 * </ol>
 * Stateless and thread-safe.
 */
public final class ChunkPlacement {
  private ChunkPlacement() {}

  /** The table positions of the file's stripe, in shuffled order. */
  public static int[] stripe(Layout layout, int tableSize) {
    if (tableSize <= 0) {
      throw new IllegalArgumentException("empty chain table");
    }
    int s = Math.min(layout.stripeSize(), tableSize);
    int[] pos = new int[s];
    for (int k = 0; k < s; k++) {
      pos[k] = (int) ((layout.baseChainIndex() + (long) k) % tableSize);
    }
    long state = layout.shuffleSeed();
    for (int k = s - 1; k >= 1; k--) {
      state += 0x9E3779B97F4A7C15L;
      long z = state;
      z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
      z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
      z = z ^ (z >>> 31);
      int j = (int) Math.floorMod(z, (long) (k + 1));
      int t = pos[k];
      pos[k] = pos[j];
      pos[j] = t;
    }
    return pos;
  }

  /** The chain id holding chunk {@code chunkIndex} of a file with {@code layout}. */
  public static long chainOf(Layout layout, ChainTable table, long chunkIndex) {
    if (table.tableId() != layout.chainTableId() || table.version() != layout.chainTableVersion()) {
      throw new IllegalArgumentException("layout uses table " + layout.chainTableId() + " v"
          + layout.chainTableVersion() + ", given " + table.tableId() + " v" + table.version());
    }
    int[] stripe = stripe(layout, table.chainIds().size());
    return table.chainIds().get(stripe[(int) Math.floorMod(chunkIndex, (long) stripe.length)]);
  }
}
