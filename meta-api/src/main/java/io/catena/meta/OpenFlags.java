package io.catena.meta;

/** The open(2) flag bits meta looks at, with Linux's values. */
public final class OpenFlags {
  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_ACCMODE = 3;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_DIRECTORY = 0200000;
  public static final int O_NOFOLLOW = 0400000;

  private OpenFlags() {}

  public static boolean writable(int flags) {
    int acc = flags & O_ACCMODE;
    return acc == O_WRONLY || acc == O_RDWR;
  }

  public static boolean readable(int flags) {
    int acc = flags & O_ACCMODE;
    return acc == O_RDONLY || acc == O_RDWR;
  }
}
