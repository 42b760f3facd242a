package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.UserInfo;

/**
 * Linux's permission rules (generic_permission, the sticky-directory rule, inode_owner_or_capable): owner, then group
 * (primary or supplementary), then other bits, exactly one class applies; root may read and write anything and may
 * search any directory, but executes a non-directory only if some execute bit is set. Stateless and thread-safe.
 */
public final class PermissionChecker {
  public static final int R = 4;
  public static final int W = 2;
  public static final int X = 1;

  private PermissionChecker() {}

  public static boolean allowed(UserInfo u, int ownerUid, int ownerGid, int mode, boolean isDir, int mask) {
    if (u.isRoot()) {
      return (mask & X) == 0 || isDir || (mode & 0111) != 0;
    }
    int bits;
    if (u.uid() == ownerUid) {
      bits = (mode >> 6) & 7;
    } else if (u.inGroup(ownerGid)) {
      bits = (mode >> 3) & 7;
    } else {
      bits = mode & 7;
    }
    return (bits & mask) == mask;
  }

  public static boolean allowed(UserInfo u, Inode i, int mask) {
    return allowed(u, i.uid(), i.gid(), i.mode(), i.type() == InodeType.DIRECTORY, mask);
  }

  /** Throws EACCES unless {@code u} has every bit of {@code mask} on {@code i}. */
  public static void check(UserInfo u, Inode i, int mask) {
    if (!allowed(u, i, mask)) {
      throw CatenaException.of(Errno.EACCES, "%s lacks %s permission on inode %d", u, bits(mask), i.id());
    }
  }

  public static boolean ownerOrRoot(UserInfo u, Inode i) {
    return u.isRoot() || u.uid() == i.uid();
  }

  /**
   * In a sticky directory only the owner of the entry's inode, the owner of the directory or root may remove or
   * rename the entry (EPERM otherwise).
   */
  public static void checkSticky(UserInfo u, Inode dir, Inode child) {
    if ((dir.mode() & Inode.S_ISVTX) != 0 && !u.isRoot() && u.uid() != dir.uid() && u.uid() != child.uid()) {
      throw CatenaException.of(Errno.EPERM, "sticky directory %d: %s may not remove inode %d", dir.id(), u,
          child.id());
    }
  }

  /** The mode bits a write by {@code u} leaves: suid always goes, sgid if group-executable; root keeps both. */
  public static int afterWrite(UserInfo u, Inode i) {
    if (u.isRoot() || i.type() != InodeType.FILE) {
      return i.mode();
    }
    int m = killSuid(i.mode());
    // Linux 6.x (setattr_should_drop_sgid): set-group-ID without group execute goes too when the writer is not in
    // the file's group.
    return u.inGroup(i.gid()) ? m : m & ~Inode.S_ISGID;
  }

  /** suid goes; sgid goes only together with group execute (sgid without it marks mandatory locking). */
  public static int killSuid(int mode) {
    int m = mode & ~Inode.S_ISUID;
    if ((m & 0010) != 0) {
      m &= ~Inode.S_ISGID;
    }
    return m;
  }

  private static String bits(int mask) {
    return ((mask & R) != 0 ? "r" : "") + ((mask & W) != 0 ? "w" : "") + ((mask & X) != 0 ? "x" : "");
  }
}
