package io.catena.mgmtd.exports;

/** The uid and gid a {@code maproot=} or {@code mapall=} option turns a caller into. Immutable. */
public record IdMapping(long uid, long gid) {
  public IdMapping {
    if (uid < 0 || uid > 0xffff_ffffL || gid < 0 || gid > 0xffff_ffffL) {
      throw new IllegalArgumentException("uid and gid must be within 0..4294967295");
    }
  }

  /** {@code UID[:GID]}, numbers only; without a GID the group is the number of the UID. */
  public static IdMapping parse(String s) {
    String[] p = s.split(":", -1);
    if (p.length > 2 || p[0].isEmpty()) {
      throw new IllegalArgumentException("'" + s + "' is not UID[:GID]");
    }
    long uid = number(p[0], s);
    return new IdMapping(uid, p.length == 2 ? number(p[1], s) : uid);
  }

  private static long number(String n, String whole) {
    try {
      return Long.parseLong(n);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("'" + whole + "' is not UID[:GID] with numeric ids (names are not"
          + " looked up)");
    }
  }

  @Override
  public String toString() {
    return uid + ":" + gid;
  }
}
