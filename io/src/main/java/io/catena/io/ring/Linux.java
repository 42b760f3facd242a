package io.catena.io.ring;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The Linux calls ring I/O needs, as Foreign Function &amp; Memory downcalls: futexes on shared words, and the
 * descriptor-based checks and mappings the daemon makes of a program's shared-memory files. Results follow the
 * kernel's convention: a negative value is {@code -errno}. x86-64 and AArch64 only (their syscall numbers and
 * open flags are here). Thread-safe: stateless apart from a per-thread errno slot.
 */
public final class Linux {
  public static final int O_RDONLY = 0;
  public static final int O_WRONLY = 1;
  public static final int O_RDWR = 2;
  public static final int O_ACCMODE = 3;
  public static final int O_CREAT = 0100;
  public static final int O_EXCL = 0200;
  public static final int O_TRUNC = 01000;
  public static final int O_APPEND = 02000;
  public static final int O_CLOEXEC = 02000000;
  public static final int O_PATH = 010000000;
  private static final boolean AARCH64 = System.getProperty("os.arch").equals("aarch64");
  public static final int O_NOFOLLOW = AARCH64 ? 0100000 : 0400000;
  public static final int O_DIRECTORY = AARCH64 ? 040000 : 0200000;

  public static final int EAGAIN = 11;
  public static final int EINTR = 4;
  public static final int ETIMEDOUT = 110;

  public static final long TMPFS_MAGIC = 0x01021994L;
  public static final int S_IFMT = 0170000;
  public static final int S_IFREG = 0100000;

  private static final long SYS_FUTEX = AARCH64 ? 98 : 202;
  private static final long SYS_OPENAT2 = 437;
  private static final int FUTEX_WAIT = 0;
  private static final int FUTEX_WAKE = 1;
  private static final long RESOLVE_NO_XDEV = 0x01;
  private static final long RESOLVE_NO_MAGICLINKS = 0x02;
  private static final long RESOLVE_NO_SYMLINKS = 0x04;
  private static final long RESOLVE_BENEATH = 0x08;
  private static final int AT_EMPTY_PATH = 0x1000;
  private static final int STATX_BASIC_STATS = 0x7ff;
  private static final int PROT_READ_WRITE = 3;
  private static final int MAP_SHARED = 1;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CCS = Linker.Option.captureCallState("errno");
  private static final ThreadLocal<MemorySegment> STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

  // syscall(2) is variadic; every argument travels as a 64-bit register value.
  private static final MethodHandle SYSCALL6 = handle("syscall", FunctionDescriptor.of(JAVA_LONG, JAVA_LONG,
      JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG, JAVA_LONG), Linker.Option.firstVariadicArg(1));
  private static final MethodHandle OPEN = handle("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  private static final MethodHandle STATX = handle("statx",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT, ADDRESS));
  private static final MethodHandle FSTATFS = handle("fstatfs", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS));
  private static final MethodHandle MMAP = handle("mmap",
      FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
  private static final MethodHandle MUNMAP = handle("munmap", FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
  private static final MethodHandle FTRUNCATE = handle("ftruncate",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG));

  private Linux() {}

  @SuppressWarnings("restricted") // native access is this class's purpose; launchers enable it
  private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
    Linker.Option[] all = java.util.Arrays.copyOf(options, options.length + 1);
    all[options.length] = CCS;
    MemorySegment sym = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(sym, fd, all);
  }

  private static int errno(MemorySegment st) {
    return (int) ERRNO.get(st, 0L);
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException r) {
      return r;
    }
    if (t instanceof Error e) {
      throw e;
    }
    return new IllegalStateException(t);
  }

  /** What statx tells about an open descriptor. */
  public record Stat(int mode, int uid, int gid, long size, long ino, int devMajor, int devMinor) {
    public boolean isRegularFile() {
      return (mode & S_IFMT) == S_IFREG;
    }
  }

  /** open(2): a descriptor, or -errno. */
  public static int open(String path, int flags, int mode) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags, mode);
      return fd < 0 ? -errno(st) : fd;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * openat2(2) of {@code name} inside the directory {@code dirfd} such that the file is that directory's own entry on
   * that directory's file system: no symlink anywhere, no "..", no crossing a mount. A descriptor, or -errno.
   */
  public static int openBeneath(int dirfd, String name, int flags) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment how = a.allocate(24, 8);
      how.set(JAVA_LONG, 0, flags & 0xffffffffL);
      how.set(JAVA_LONG, 8, 0);
      how.set(JAVA_LONG, 16, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_XDEV);
      long r = (long) SYSCALL6.invokeExact(st, SYS_OPENAT2, (long) dirfd, a.allocateFrom(name).address(),
          how.address(), 24L, 0L, 0L);
      return r < 0 ? -errno(st) : (int) r;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int close(int fd) {
    MemorySegment st = STATE.get();
    try {
      int r = (int) CLOSE.invokeExact(st, fd);
      return r < 0 ? -errno(st) : 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int ftruncate(int fd, long size) {
    MemorySegment st = STATE.get();
    try {
      int r = (int) FTRUNCATE.invokeExact(st, fd, size);
      return r < 0 ? -errno(st) : 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** statx(2) of an open descriptor; throws {@link IllegalStateException} with the errno if it fails. */
  public static Stat stat(int fd) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      int r = (int) STATX.invokeExact(st, fd, a.allocateFrom(""), AT_EMPTY_PATH, STATX_BASIC_STATS, buf);
      if (r < 0) {
        throw new IllegalStateException("statx failed: errno " + errno(st));
      }
      return new Stat(buf.get(JAVA_SHORT, 28) & 0xffff, buf.get(JAVA_INT, 20), buf.get(JAVA_INT, 24),
          buf.get(JAVA_LONG, 40), buf.get(JAVA_LONG, 32), buf.get(JAVA_INT, 136), buf.get(JAVA_INT, 140));
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** The file system type (statfs f_type) of an open descriptor, or -errno. */
  public static long fsType(int fd) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment buf = a.allocate(256, 8);
      int r = (int) FSTATFS.invokeExact(st, fd, buf);
      return r < 0 ? -errno(st) : buf.get(JAVA_LONG, 0);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Maps {@code size} bytes of {@code fd} shared and read-write. The segment has no owner: the caller unmaps it with
   * {@link #munmap} once nothing can touch it any more. Throws {@link IllegalStateException} with the errno.
   */
  @SuppressWarnings("restricted")
  public static MemorySegment mmap(int fd, long size) {
    MemorySegment st = STATE.get();
    try {
      MemorySegment p = (MemorySegment) MMAP.invokeExact(st, MemorySegment.NULL, size, PROT_READ_WRITE, MAP_SHARED,
          fd, 0L);
      if (p.address() == -1L) {
        throw new IllegalStateException("mmap of " + size + " bytes failed: errno " + errno(st));
      }
      return p.reinterpret(size);
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int munmap(MemorySegment mapping) {
    MemorySegment st = STATE.get();
    try {
      int r = (int) MUNMAP.invokeExact(st, mapping, mapping.byteSize());
      return r < 0 ? -errno(st) : 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * FUTEX_WAIT on the 4-byte word at {@code word}: sleeps while it holds {@code expected}, at most
   * {@code timeoutNanos} (negative: no limit). 0 when woken, -EAGAIN when the word already differed, -ETIMEDOUT,
   * -EINTR. Shared (not FUTEX_PRIVATE): the word lives in a mapping other processes share.
   */
  public static int futexWait(MemorySegment word, int expected, long timeoutNanos) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      long ts = 0;
      if (timeoutNanos >= 0) {
        MemorySegment t = a.allocate(16, 8);
        t.set(JAVA_LONG, 0, timeoutNanos / 1_000_000_000L);
        t.set(JAVA_LONG, 8, timeoutNanos % 1_000_000_000L);
        ts = t.address();
      }
      long r = (long) SYSCALL6.invokeExact(st, SYS_FUTEX, word.address(), (long) FUTEX_WAIT,
          expected & 0xffffffffL, ts, 0L, 0L);
      return r < 0 ? -errno(st) : 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** FUTEX_WAKE: wakes up to {@code count} sleepers on {@code word}; how many it woke, or -errno. */
  public static int futexWake(MemorySegment word, int count) {
    MemorySegment st = STATE.get();
    try {
      long r = (long) SYSCALL6.invokeExact(st, SYS_FUTEX, word.address(), (long) FUTEX_WAKE, (long) count, 0L, 0L,
          0L);
      return r < 0 ? -errno(st) : (int) r;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }
}
