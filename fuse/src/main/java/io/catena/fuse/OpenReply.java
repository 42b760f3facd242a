package io.catena.fuse;

/**
 * The answer to open, opendir and create: the file system's handle (echoed back in read/write/release) and
 * {@code FOPEN_*} flags for this open. Immutable.
 */
public record OpenReply(long fh, int flags) {
  /** Bypass the page cache for this open: every read/write goes to the daemon (the 6 GB/s 1 MiB path). */
  public static final int DIRECT_IO = 1;
  /** Keep the page cache from earlier opens (the file did not change behind the kernel's back). */
  public static final int KEEP_CACHE = 1 << 1;
  /** The file is not seekable. */
  public static final int NONSEEKABLE = 1 << 2;
  /** Cache directory contents (opendir only). */
  public static final int CACHE_DIR = 1 << 3;
  /** A stream: no file position. */
  public static final int STREAM = 1 << 4;
  /** Do not send FLUSH on close. */
  public static final int NOFLUSH = 1 << 5;
  /** Allow parallel direct writes to this file. */
  public static final int PARALLEL_DIRECT_WRITES = 1 << 6;

  public static OpenReply of(long fh) {
    return new OpenReply(fh, 0);
  }
}
