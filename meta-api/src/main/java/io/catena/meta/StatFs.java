package io.catena.meta;

/**
 * statfs(2) numbers: capacity and free space in bytes (from storage), inode ids handed out so far (an upper bound of
 * the live inodes: counting them exactly would need a hot counter every create conflicts on), the block size and
 * the longest name. Asked for an inode under a directory quota with limits ({@link MetaService#statfs(UserInfo,
 * long)}), capacity/free are the byte limit and what is left of it (never more than storage has), usedInodes is the
 * quota's inode count and {@code maxInodes} its inode limit; {@code maxInodes} is 0 when no inode limit applies.
 * Immutable.
 */
public record StatFs(long capacityBytes, long freeBytes, long usedInodes, int blockSize, int maxNameLength,
    long maxInodes) {

  /** Numbers without an inode limit. */
  public StatFs(long capacityBytes, long freeBytes, long usedInodes, int blockSize, int maxNameLength) {
    this(capacityBytes, freeBytes, usedInodes, blockSize, maxNameLength, 0);
  }
}
