package io.catena.fuse;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.OptionalLong;

/**
 * An inode-based file system served to the kernel, like libfuse's low-level operations. Inode numbers are the
 * file system's own ({@link #ROOT_INO} is the root); every {@link Entry} returned counts one kernel lookup that
 * {@link #forget} later gives back. Failures are {@link CatenaException}s whose {@link Errno} becomes the reply;
 * any other exception becomes EIO and a log line, and the mount keeps serving. Methods a file system does not
 * override answer ENOSYS (the kernel then stops asking, or falls back: create to mknod+open, access to "allowed")
 * or, where the kernel needs an answer, do the harmless thing (open/opendir hand out handle 0, release/flush/fsync
 * succeed).
 *
 * <p>Thread-safety: implementations must be thread-safe; requests arrive on several reader threads at once
 * (including several requests for one inode, since the mount negotiates parallel directory operations).
 */
public interface FuseFileSystem {
  /** The kernel's inode number for the mount's root. */
  long ROOT_INO = 1;

  /** rename flags. */
  int RENAME_NOREPLACE = 1;
  int RENAME_EXCHANGE = 2;
  int RENAME_WHITEOUT = 4;

  /** access masks. */
  int F_OK = 0;
  int X_OK = 1;
  int W_OK = 2;
  int R_OK = 4;

  /** setxattr flags. */
  int XATTR_CREATE = 1;
  int XATTR_REPLACE = 2;

  private static CatenaException nosys(String op) {
    return CatenaException.of(Errno.ENOSYS, "%s is not implemented", op);
  }

  /** Called once the kernel connection is up (after INIT), before the first request. */
  default void init(FuseNotifier notifier) {}

  /**
   * Like {@link #init(FuseNotifier)}, also naming where the file system is mounted (absolute, normalised), for file
   * systems that must recognise paths into themselves (e.g. a symlink target). The default calls
   * {@link #init(FuseNotifier)}.
   */
  default void init(FuseNotifier notifier, java.nio.file.Path mountpoint) {
    init(notifier);
  }

  /** Called when the mount ends. */
  default void destroy() {}

  /** The entry, {@link Entry#negative} to let the kernel remember the name's absence, or ENOENT. */
  default Entry lookup(RequestContext ctx, long parent, String name) {
    throw nosys("lookup");
  }

  /** The kernel dropped {@code nlookup} lookups of {@code ino}; at zero the inode may be forgotten. No reply. */
  default void forget(long ino, long nlookup) {}

  /** {@code fh} is present when the caller asked through an open file (fstat). */
  default AttrReply getattr(RequestContext ctx, long ino, OptionalLong fh) {
    throw nosys("getattr");
  }

  default AttrReply setattr(RequestContext ctx, long ino, SetAttr changes) {
    throw nosys("setattr");
  }

  default String readlink(RequestContext ctx, long ino) {
    throw nosys("readlink");
  }

  /** {@code mode} includes the file type; the kernel already applied the caller's umask. */
  default Entry mknod(RequestContext ctx, long parent, String name, int mode, int rdev) {
    throw nosys("mknod");
  }

  default Entry mkdir(RequestContext ctx, long parent, String name, int mode) {
    throw nosys("mkdir");
  }

  default void unlink(RequestContext ctx, long parent, String name) {
    throw nosys("unlink");
  }

  default void rmdir(RequestContext ctx, long parent, String name) {
    throw nosys("rmdir");
  }

  default Entry symlink(RequestContext ctx, long parent, String name, String target) {
    throw nosys("symlink");
  }

  /** {@code flags}: {@link #RENAME_NOREPLACE}, {@link #RENAME_EXCHANGE}, {@link #RENAME_WHITEOUT} or 0. */
  default void rename(RequestContext ctx, long parent, String name, long newParent, String newName, int flags) {
    throw nosys("rename");
  }

  default Entry link(RequestContext ctx, long ino, long newParent, String newName) {
    throw nosys("link");
  }

  /** {@code flags} are open(2)'s (O_ACCMODE, O_APPEND, O_TRUNC with atomic truncation, O_DIRECT...). */
  default OpenReply open(RequestContext ctx, long ino, int flags) {
    return OpenReply.of(0);
  }

  /**
   * Reads up to {@code size} bytes at {@code offset}; a short answer means end of file. {@code scratch} is a
   * direct buffer of at least {@code size} bytes (position 0, limit size) that goes to the kernel without a
   * copy: fill it and return it flipped, or return any other buffer (a direct one is sent without a copy too).
   * The returned buffer's remaining bytes are the data; it is only read until this request's reply is written.
   */
  default ByteBuffer read(RequestContext ctx, long ino, long fh, long offset, int size, ByteBuffer scratch) {
    throw nosys("read");
  }

  /**
   * A file system that overrides this answers every READ through it instead of {@link #read}: it starts the read
   * and returns, and the reply is written by whichever thread completes the future, so the reader goes back to the
   * device at once. {@code dst} is a direct buffer of at least {@code size} bytes (position 0, limit size), owned
   * by the caller until the future completes: complete with it (or another direct buffer) flipped. Throwing, or
   * completing exceptionally, answers an errno as {@link #read} does.
   */
  default java.util.concurrent.CompletableFuture<ByteBuffer> readAsync(RequestContext ctx, long ino, long fh,
      long offset, int size, ByteBuffer dst) {
    return java.util.concurrent.CompletableFuture.completedFuture(read(ctx, ino, fh, offset, size, dst));
  }

  /**
   * Writes {@code data}'s remaining bytes at {@code offset} (files opened O_APPEND get the end-of-file offset
   * from the kernel when it caches attributes; a file system that knows better may append). {@code data} is only
   * valid during the call. Returns the bytes written.
   */
  default int write(RequestContext ctx, long ino, long fh, long offset, ByteBuffer data, int flags) {
    throw nosys("write");
  }

  /**
   * A write through handle {@code fh} by a caller without CAP_FSETID is about to happen (the kernel's
   * FUSE_WRITE_KILL_SUIDGID, with HANDLE_KILLPRIV_V2): drop set-user-ID, and set-group-ID with group execute, as Linux
   * does on write. A file system that stores no such bits does nothing.
   */
  default void killPrivileges(RequestContext ctx, long ino, long fh) {}

  /** Called on every close(2) of a file descriptor (there may be several per open). */
  default void flush(RequestContext ctx, long ino, long fh, long lockOwner) {}

  /** The last reference to an open is gone. */
  default void release(RequestContext ctx, long ino, long fh, int flags) {}

  default void fsync(RequestContext ctx, long ino, long fh, boolean dataOnly) {}

  default OpenReply opendir(RequestContext ctx, long ino, int flags) {
    return OpenReply.of(0);
  }

  /** Fills entries after {@code offset} (0: from the start) until the filler is full or the directory ends. */
  default void readdir(RequestContext ctx, long ino, long fh, long offset, DirFiller filler) {
    throw nosys("readdir");
  }

  /**
   * readdir with full entries. The mount asks the kernel for readdirplus only when the file system overrides
   * this method.
   */
  default void readdirplus(RequestContext ctx, long ino, long fh, long offset, DirPlusFiller filler) {
    throw nosys("readdirplus");
  }

  default void releasedir(RequestContext ctx, long ino, long fh) {}

  default void fsyncdir(RequestContext ctx, long ino, long fh, boolean dataOnly) {}

  default StatFs statfs(RequestContext ctx, long ino) {
    return StatFs.EMPTY;
  }

  /** {@code flags}: {@link #XATTR_CREATE}, {@link #XATTR_REPLACE} or 0. */
  default void setxattr(RequestContext ctx, long ino, String name, byte[] value, int flags) {
    throw nosys("setxattr");
  }

  /** The value; ENODATA when absent. The mount answers size probes and ERANGE itself. */
  default byte[] getxattr(RequestContext ctx, long ino, String name) {
    throw nosys("getxattr");
  }

  default List<String> listxattr(RequestContext ctx, long ino) {
    throw nosys("listxattr");
  }

  default void removexattr(RequestContext ctx, long ino, String name) {
    throw nosys("removexattr");
  }

  /** Throws EACCES when the caller may not access {@code ino} with {@code mask} (R_OK|W_OK|X_OK, or F_OK). */
  default void access(RequestContext ctx, long ino, int mask) {
    throw nosys("access");
  }

  /** Atomically creates (O_EXCL: or fails with EEXIST) and opens a regular file. */
  default CreateReply create(RequestContext ctx, long parent, String name, int mode, int flags) {
    throw nosys("create");
  }

  default void fallocate(RequestContext ctx, long ino, long fh, long offset, long length, int mode) {
    throw nosys("fallocate");
  }

  /** SEEK_DATA (3) / SEEK_HOLE (4); the kernel handles SEEK_SET/CUR/END itself. */
  default long lseek(RequestContext ctx, long ino, long fh, long offset, int whence) {
    throw nosys("lseek");
  }
}
