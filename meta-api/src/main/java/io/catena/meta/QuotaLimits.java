package io.catena.meta;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/**
 * The hard limits of a directory quota: at most {@code maxBytes} bytes of file length and {@code maxInodes} inodes
 * (files, directories, symlinks, special files) beneath the directory, the directory itself not included. 0 means
 * "no limit" (as in xfs_quota and MooseFS), so a quota with both 0 only reports usage. Immutable.
 */
public record QuotaLimits(long maxBytes, long maxInodes) {
  public static final QuotaLimits NONE = new QuotaLimits(0, 0);

  public QuotaLimits {
    if (maxBytes < 0 || maxInodes < 0) {
      throw CatenaException.of(Errno.EINVAL, "quota limits must be >= 0 (0: no limit), got %d bytes, %d inodes",
          maxBytes, maxInodes);
    }
  }

  public static QuotaLimits bytes(long maxBytes) {
    return new QuotaLimits(maxBytes, 0);
  }

  public static QuotaLimits inodes(long maxInodes) {
    return new QuotaLimits(0, maxInodes);
  }
}
