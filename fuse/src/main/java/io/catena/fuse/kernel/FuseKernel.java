package io.catena.fuse.kernel;

/** Constants of the kernel FUSE protocol ({@code include/uapi/linux/fuse.h}, 7.31 to 7.45). */
public final class FuseKernel {
  public static final int KERNEL_MAJOR = 7;
  /** The minor version we speak: every struct we encode has its 7.38 size, unchanged through 7.45. */
  public static final int KERNEL_MINOR = 38;
  public static final int MIN_KERNEL_MINOR = 31;

  public static final int LOOKUP = 1;
  public static final int FORGET = 2;
  public static final int GETATTR = 3;
  public static final int SETATTR = 4;
  public static final int READLINK = 5;
  public static final int SYMLINK = 6;
  public static final int MKNOD = 8;
  public static final int MKDIR = 9;
  public static final int UNLINK = 10;
  public static final int RMDIR = 11;
  public static final int RENAME = 12;
  public static final int LINK = 13;
  public static final int OPEN = 14;
  public static final int READ = 15;
  public static final int WRITE = 16;
  public static final int STATFS = 17;
  public static final int RELEASE = 18;
  public static final int FSYNC = 20;
  public static final int SETXATTR = 21;
  public static final int GETXATTR = 22;
  public static final int LISTXATTR = 23;
  public static final int REMOVEXATTR = 24;
  public static final int FLUSH = 25;
  public static final int INIT = 26;
  public static final int OPENDIR = 27;
  public static final int READDIR = 28;
  public static final int RELEASEDIR = 29;
  public static final int FSYNCDIR = 30;
  public static final int GETLK = 31;
  public static final int SETLK = 32;
  public static final int SETLKW = 33;
  public static final int ACCESS = 34;
  public static final int CREATE = 35;
  public static final int INTERRUPT = 36;
  public static final int BMAP = 37;
  public static final int DESTROY = 38;
  public static final int IOCTL = 39;
  public static final int POLL = 40;
  public static final int NOTIFY_REPLY = 41;
  public static final int BATCH_FORGET = 42;
  public static final int FALLOCATE = 43;
  public static final int READDIRPLUS = 44;
  public static final int RENAME2 = 45;
  public static final int LSEEK = 46;
  public static final int COPY_FILE_RANGE = 47;
  public static final int SYNCFS = 50;
  public static final int TMPFILE = 51;
  public static final int STATX = 52;

  // INIT flags
  public static final int ASYNC_READ = 1;
  public static final int POSIX_LOCKS = 1 << 1;
  public static final int ATOMIC_O_TRUNC = 1 << 3;
  public static final int EXPORT_SUPPORT = 1 << 4;
  public static final int BIG_WRITES = 1 << 5;
  public static final int DONT_MASK = 1 << 6;
  public static final int FLOCK_LOCKS = 1 << 10;
  public static final int AUTO_INVAL_DATA = 1 << 12;
  public static final int DO_READDIRPLUS = 1 << 13;
  public static final int READDIRPLUS_AUTO = 1 << 14;
  public static final int ASYNC_DIO = 1 << 15;
  public static final int WRITEBACK_CACHE = 1 << 16;
  public static final int PARALLEL_DIROPS = 1 << 18;
  public static final int HANDLE_KILLPRIV = 1 << 19;
  public static final int POSIX_ACL = 1 << 20;
  public static final int MAX_PAGES = 1 << 22;
  public static final int CACHE_SYMLINKS = 1 << 23;
  public static final int HANDLE_KILLPRIV_V2 = 1 << 28;
  public static final int INIT_EXT = 1 << 30;

  public static final int GETATTR_FH = 1;
  /** fuse_write_in.write_flags: the writer lacks CAP_FSETID; the file system drops suid/sgid (KILLPRIV_V2). */
  public static final int WRITE_KILL_SUIDGID = 1 << 2;

  // notify codes (sent as the error field of an out header with unique 0)
  public static final int NOTIFY_INVAL_INODE = 2;
  public static final int NOTIFY_INVAL_ENTRY = 3;
  public static final int NOTIFY_DELETE = 6;

  public static final int IN_HEADER = 40;
  public static final int OUT_HEADER = 16;
  public static final int ATTR_SIZE = 88;
  public static final int ENTRY_OUT_SIZE = 40 + ATTR_SIZE;
  public static final int DIRENT_BASE = 24;

  private FuseKernel() {}

  public static String opName(int opcode) {
    return switch (opcode) {
      case LOOKUP -> "LOOKUP"; case FORGET -> "FORGET"; case GETATTR -> "GETATTR"; case SETATTR -> "SETATTR";
      case READLINK -> "READLINK"; case SYMLINK -> "SYMLINK"; case MKNOD -> "MKNOD"; case MKDIR -> "MKDIR";
      case UNLINK -> "UNLINK"; case RMDIR -> "RMDIR"; case RENAME -> "RENAME"; case LINK -> "LINK";
      case OPEN -> "OPEN"; case READ -> "READ"; case WRITE -> "WRITE"; case STATFS -> "STATFS";
      case RELEASE -> "RELEASE"; case FSYNC -> "FSYNC"; case SETXATTR -> "SETXATTR"; case GETXATTR -> "GETXATTR";
      case LISTXATTR -> "LISTXATTR"; case REMOVEXATTR -> "REMOVEXATTR"; case FLUSH -> "FLUSH"; case INIT -> "INIT";
      case OPENDIR -> "OPENDIR"; case READDIR -> "READDIR"; case RELEASEDIR -> "RELEASEDIR";
      case FSYNCDIR -> "FSYNCDIR"; case GETLK -> "GETLK"; case SETLK -> "SETLK"; case SETLKW -> "SETLKW";
      case ACCESS -> "ACCESS"; case CREATE -> "CREATE"; case INTERRUPT -> "INTERRUPT"; case BMAP -> "BMAP";
      case DESTROY -> "DESTROY"; case IOCTL -> "IOCTL"; case POLL -> "POLL"; case NOTIFY_REPLY -> "NOTIFY_REPLY";
      case BATCH_FORGET -> "BATCH_FORGET"; case FALLOCATE -> "FALLOCATE"; case READDIRPLUS -> "READDIRPLUS";
      case RENAME2 -> "RENAME2"; case LSEEK -> "LSEEK"; case COPY_FILE_RANGE -> "COPY_FILE_RANGE";
      case SYNCFS -> "SYNCFS"; case TMPFILE -> "TMPFILE"; case STATX -> "STATX";
      default -> "OP" + opcode;
    };
  }
}
