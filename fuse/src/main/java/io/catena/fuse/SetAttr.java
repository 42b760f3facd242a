package io.catena.fuse;

import java.util.OptionalLong;

/**
 * What a setattr changes ({@code struct fuse_setattr_in}): only the fields whose bit is set in {@code valid} mean
 * anything. chmod sets {@link #MODE}, chown {@link #UID}/{@link #GID}, truncate {@link #SIZE} (with the handle when
 * it came through an open file), utimens {@link #ATIME}/{@link #MTIME} or the {@code *_NOW} bits. Immutable.
 */
public record SetAttr(int valid, int mode, int uid, int gid, long size, long atimeSec, int atimeNsec,
    long mtimeSec, int mtimeNsec, long ctimeSec, int ctimeNsec, OptionalLong fh) {
  public static final int MODE = 1;
  public static final int UID = 1 << 1;
  public static final int GID = 1 << 2;
  public static final int SIZE = 1 << 3;
  public static final int ATIME = 1 << 4;
  public static final int MTIME = 1 << 5;
  public static final int FH = 1 << 6;
  public static final int ATIME_NOW = 1 << 7;
  public static final int MTIME_NOW = 1 << 8;
  public static final int LOCKOWNER = 1 << 9;
  public static final int CTIME = 1 << 10;
  public static final int KILL_SUIDGID = 1 << 11;

  public boolean has(int bit) {
    return (valid & bit) != 0;
  }
}
