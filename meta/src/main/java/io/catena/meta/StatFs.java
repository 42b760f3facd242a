package io.catena.meta;

/**
 * statfs(2) numbers: capacity and free space in bytes (from storage), inode ids handed out so far (an upper bound of
 * the live inodes: counting them exactly would need a hot counter every create conflicts on), the block size and
 * the longest name. Immutable.
 */
public record StatFs(long capacityBytes, long freeBytes, long usedInodes, int blockSize, int maxNameLength) {}
