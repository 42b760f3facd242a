package io.catena.meta;

import java.util.Arrays;

/**
 * Who is calling: uid, primary gid and supplementary groups, as the FUSE request or the native client reports them.
 * uid 0 is root and gets root's rules (CAP_DAC_OVERRIDE, CAP_FOWNER, CAP_CHOWN, CAP_FSETID, CAP_MKNOD). Immutable.
 */
public record UserInfo(int uid, int gid, int[] groups) {
  public static final UserInfo ROOT = new UserInfo(0, 0, new int[0]);

  public UserInfo {
    groups = groups == null ? new int[0] : groups.clone();
  }

  public static UserInfo of(int uid, int gid, int... groups) {
    return new UserInfo(uid, gid, groups);
  }

  public boolean isRoot() {
    return uid == 0;
  }

  /** Whether {@code g} is the primary group or one of the supplementary groups. */
  public boolean inGroup(int g) {
    if (g == gid) {
      return true;
    }
    for (int x : groups) {
      if (x == g) {
        return true;
      }
    }
    return false;
  }

  @Override
  public int[] groups() {
    return groups.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof UserInfo u && u.uid == uid && u.gid == gid && Arrays.equals(u.groups, groups);
  }

  @Override
  public int hashCode() {
    return 31 * (31 * uid + gid) + Arrays.hashCode(groups);
  }

  @Override
  public String toString() {
    return "uid=" + uid + " gid=" + gid + " groups=" + Arrays.toString(groups);
  }
}
