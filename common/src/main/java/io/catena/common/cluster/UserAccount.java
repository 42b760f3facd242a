package io.catena.common.cluster;

import java.util.List;
import java.util.Objects;

/**
 * A user that requests are authenticated as (by a token kept by mgmtd): POSIX identity for meta's permission
 * checks, and whether it may run admin commands. The token itself is never part of this record. Immutable.
 */
public record UserAccount(long uid, String name, long gid, List<Long> groups, boolean admin) {
  public UserAccount {
    if (uid < 0 || uid > 0xffff_ffffL) {
      throw new IllegalArgumentException("uid out of range: " + uid);
    }
    if (gid < 0 || gid > 0xffff_ffffL) {
      throw new IllegalArgumentException("gid out of range: " + gid);
    }
    Objects.requireNonNull(name, "name");
    groups = List.copyOf(groups);
  }
}
