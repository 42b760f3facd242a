package io.catena.fuse;

/** The answer to statfs ({@code struct fuse_kstatfs}); block counts are in units of {@code frsize}. Immutable. */
public record StatFs(long blocks, long bfree, long bavail, long files, long ffree, int bsize, int namelen,
    int frsize) {
  /** Zero capacity, 4 KiB blocks, 255-byte names: what a file system without statfs reports. */
  public static final StatFs EMPTY = new StatFs(0, 0, 0, 0, 0, 4096, 255, 4096);
}
