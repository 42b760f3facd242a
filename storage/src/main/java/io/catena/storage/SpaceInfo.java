package io.catena.storage;

import java.util.List;

/**
 * Space of one chunk store. {@code used} is exactly the sum of the sizes of blocks held by live chunk versions
 * (committed and pending) plus blocks still pinned by read handles after being freed. Immutable.
 *
 * @param capacity bytes the store may use for blocks
 */
public record SpaceInfo(long capacity, long used, long free, List<ClassSpace> classes) {

  /**
   * One size class.
   *
   * @param usedBlocks blocks in use
   * @param slots      block slots ever allocated in the data files (the high-water mark); slots - used are free
   *                   for reuse without growing a file
   */
  public record ClassSpace(int blockSize, long usedBlocks, long slots) {
    public long usedBytes() {
      return usedBlocks * blockSize;
    }
  }
}
