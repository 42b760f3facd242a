package io.catena.fuse;

/**
 * The attributes of one inode as the kernel sees them ({@code struct fuse_attr}). Times are seconds plus
 * nanoseconds since the epoch; {@code mode} carries the file type bits (S_IFREG, S_IFDIR, ...). Immutable.
 */
public record Attr(long ino, long size, long blocks, long atimeSec, int atimeNsec, long mtimeSec, int mtimeNsec,
    long ctimeSec, int ctimeNsec, int mode, int nlink, int uid, int gid, int rdev, int blksize) {

  public static final int S_IFMT = 0170000;
  public static final int S_IFSOCK = 0140000;
  public static final int S_IFLNK = 0120000;
  public static final int S_IFREG = 0100000;
  public static final int S_IFBLK = 0060000;
  public static final int S_IFDIR = 0040000;
  public static final int S_IFCHR = 0020000;
  public static final int S_IFIFO = 0010000;

  /** The file type bits of {@code mode}. */
  public int type() {
    return mode & S_IFMT;
  }

  /** The {@code d_type} of a directory entry for this mode (DT_REG, DT_DIR, ...): the type bits shifted by 12. */
  public static int direntType(int mode) {
    return (mode & S_IFMT) >>> 12;
  }
}
