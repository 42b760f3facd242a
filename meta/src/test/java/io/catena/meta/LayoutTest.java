package io.catena.meta;

import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChunkId;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LayoutTest {
  static final ChainTable T = new ChainTable(1, 3, List.of(11L, 12L, 13L, 14L, 15L, 16L, 17L, 18L));

  @Test
  void stripe_isAFixedPermutationOfConsecutiveTablePositions() {
    Layout l = new Layout(1, 3, 1 << 20, 4, 6, 42);
    int[] s = ChunkPlacement.stripe(l, 8);
    int[] sorted = s.clone();
    Arrays.sort(sorted);
    assertArrayEquals(new int[] {0, 1, 6, 7}, sorted);
    // Pinned forever: a change here moves every existing file's chunks.
    assertArrayEquals(new int[] {0, 6, 1, 7}, s); // also computed by a separate Python model of the doc
  }

  @Test
  void chunkPlacement_cyclesThroughTheStripe() {
    Layout l = new Layout(1, 3, 1 << 20, 3, 2, 7);
    Set<Long> chains = new HashSet<>();
    for (int i = 0; i < 3; i++) {
      chains.add(ChunkPlacement.chainOf(l, T, i));
    }
    assertEquals(Set.of(13L, 14L, 15L), chains);
    for (int i = 0; i < 30; i++) {
      assertEquals(ChunkPlacement.chainOf(l, T, i), ChunkPlacement.chainOf(l, T, i + 3));
    }
  }

  @Test
  void differentSeeds_giveDifferentOrders() {
    Set<String> orders = new HashSet<>();
    for (long seed = 0; seed < 50; seed++) {
      orders.add(Arrays.toString(ChunkPlacement.stripe(new Layout(1, 3, 1 << 20, 8, 0, seed), 8)));
    }
    assertTrue(orders.size() > 30, "shuffle hardly depends on the seed: " + orders.size());
  }

  @Test
  void chunkId_isInodeThenIndexBigEndianAndSortsByFile() {
    ChunkId a = new ChunkId(0x0102030405060708L, 9);
    byte[] b = a.toBytes();
    assertEquals(16, b.length);
    assertEquals(1, b[0]);
    assertEquals(8, b[7]);
    assertEquals(9, b[15]);
    assertEquals(a, ChunkId.fromBytes(b));
    assertTrue(new ChunkId(5, 1).compareTo(new ChunkId(5, 2)) < 0);
    assertTrue(new ChunkId(5, 99).compareTo(new ChunkId(6, 0)) < 0);
  }

  @Test
  void chunkIndex_dividesByChunkSize() {
    Layout l = new Layout(1, 3, 1 << 16, 1, 0, 0);
    assertEquals(0, l.chunkIndex(65535));
    assertEquals(1, l.chunkIndex(65536));
  }
}
