package io.catena.fuse.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.util.List;
import java.util.Map;

/**
 * The few libc calls the FUSE daemon needs, as Foreign Function &amp; Memory downcalls (no JNI, no libfuse). Each
 * call captures errno into a per-thread segment. Thread-safe: stateless apart from the per-thread errno slot.
 */
public final class Native {
  public static final int O_RDWR = 02;
  public static final int O_CLOEXEC = 02000000;
  public static final long MS_NOSUID = 2;
  public static final long MS_NODEV = 4;
  public static final int MNT_FORCE = 1;
  public static final int MNT_DETACH = 2;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout CAPTURE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = CAPTURE.varHandle(MemoryLayout.PathElement.groupElement("errno"));
  private static final Linker.Option CCS = Linker.Option.captureCallState("errno");
  private static final ThreadLocal<MemorySegment> STATE =
      ThreadLocal.withInitial(() -> Arena.ofAuto().allocate(CAPTURE));

  private static final MethodHandle OPEN = handle("open",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT), CCS, Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE = handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT), CCS);
  private static final MethodHandle READ = handle("read",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG), CCS);
  private static final MethodHandle WRITEV = handle("writev",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), CCS);
  private static final MethodHandle MOUNT = handle("mount",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, JAVA_LONG, ADDRESS), CCS);
  private static final MethodHandle UMOUNT2 = handle("umount2",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), CCS);
  private static final MethodHandle POLL = handle("poll",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT), CCS);
  private static final MethodHandle SOCKETPAIR = handle("socketpair",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS), CCS);
  private static final MethodHandle RECVMSG = handle("recvmsg",
      FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT), CCS);
  private static final MethodHandle FA_INIT = handle("posix_spawn_file_actions_init",
      FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle FA_DUP2 = handle("posix_spawn_file_actions_adddup2",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
  private static final MethodHandle FA_DESTROY = handle("posix_spawn_file_actions_destroy",
      FunctionDescriptor.of(JAVA_INT, ADDRESS));
  private static final MethodHandle SPAWNP = handle("posix_spawnp",
      FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS));
  private static final MethodHandle WAITPID = handle("waitpid",
      FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT), CCS);
  private static final MethodHandle GETUID = handle("geteuid", FunctionDescriptor.of(JAVA_INT));

  private Native() {}

  @SuppressWarnings("restricted") // native access is this class's purpose; the launcher enables it
  private static MethodHandle handle(String name, FunctionDescriptor fd, Linker.Option... options) {
    MemorySegment sym = LINKER.defaultLookup().find(name)
        .orElseThrow(() -> new UnsatisfiedLinkError("libc has no " + name));
    return LINKER.downcallHandle(sym, fd, options);
  }

  /** The errno of the last failed call on this thread. */
  private static int errno(MemorySegment state) {
    return (int) ERRNO.get(state, 0L);
  }

  /** A negative result is {@code -errno}, like the kernel's convention. */
  public static long read(int fd, MemorySegment buf, long len) {
    MemorySegment st = STATE.get();
    try {
      long n = (long) READ.invokeExact(st, fd, buf, len);
      return n < 0 ? -errno(st) : n;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** {@code iov} holds {@code count} struct iovec {base, len}. A negative result is {@code -errno}. */
  public static long writev(int fd, MemorySegment iov, int count) {
    MemorySegment st = STATE.get();
    try {
      long n = (long) WRITEV.invokeExact(st, fd, iov, count);
      return n < 0 ? -errno(st) : n;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * True when {@code fd} has input waiting right now (poll with timeout 0). {@code pollfd} is an 8-byte scratch
   * segment owned by the calling thread.
   */
  public static boolean readable(int fd, MemorySegment pollfd) {
    MemorySegment st = STATE.get();
    pollfd.set(JAVA_INT, 0, fd);
    pollfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 4, (short) 1); // POLLIN
    pollfd.set(java.lang.foreign.ValueLayout.JAVA_SHORT, 6, (short) 0);
    try {
      int r = (int) POLL.invokeExact(st, pollfd, 1L, 0);
      return r > 0 && (pollfd.get(java.lang.foreign.ValueLayout.JAVA_SHORT, 6) & 1) != 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int open(String path, int flags) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      int fd = (int) OPEN.invokeExact(st, a.allocateFrom(path), flags, 0);
      if (fd < 0) {
        throw fail(errno(st), "open %s", path);
      }
      return fd;
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void close(int fd) {
    MemorySegment st = STATE.get();
    try {
      int r = (int) CLOSE.invokeExact(st, fd);
      if (r < 0) {
        throw fail(errno(st), "close fd %d", fd);
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static void mount(String source, String target, String fsType, long flags, String data) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment dataSeg = data == null ? MemorySegment.NULL : a.allocateFrom(data);
      int r = (int) MOUNT.invokeExact(st, a.allocateFrom(source), a.allocateFrom(target), a.allocateFrom(fsType),
          flags, dataSeg);
      if (r < 0) {
        throw fail(errno(st), "mount %s on %s", fsType, target);
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Returns 0 or {@code -errno}. */
  public static int umount2(String target, int flags) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      int r = (int) UMOUNT2.invokeExact(st, a.allocateFrom(target), flags);
      return r < 0 ? -errno(st) : 0;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Runs {@code argv} (looked up on PATH) with {@code extraEnv} added to this process's environment and
   * {@code passFd} duplicated to descriptor {@code childFd} in the child, via posix_spawnp (the JDK's
   * ProcessBuilder closes every descriptor but 0-2, so it cannot hand a socket to fusermount3). Returns the pid.
   */
  public static int spawn(List<String> argv, Map<String, String> extraEnv, int passFd, int childFd) {
    try (Arena a = Arena.ofConfined()) {
      MemorySegment args = a.allocate(ADDRESS, argv.size() + 1L);
      for (int i = 0; i < argv.size(); i++) {
        args.setAtIndex(ADDRESS, i, a.allocateFrom(argv.get(i)));
      }
      args.setAtIndex(ADDRESS, argv.size(), MemorySegment.NULL);
      Map<String, String> env = new java.util.TreeMap<>(System.getenv());
      env.putAll(extraEnv);
      MemorySegment envp = a.allocate(ADDRESS, env.size() + 1L);
      int i = 0;
      for (Map.Entry<String, String> e : env.entrySet()) {
        envp.setAtIndex(ADDRESS, i++, a.allocateFrom(e.getKey() + "=" + e.getValue()));
      }
      envp.setAtIndex(ADDRESS, i, MemorySegment.NULL);
      MemorySegment fa = a.allocate(256, 16); // posix_spawn_file_actions_t is 80 bytes in glibc
      MemorySegment pid = a.allocate(JAVA_INT);
      int r = (int) FA_INIT.invokeExact(fa);
      if (r != 0) {
        throw fail(r, "posix_spawn_file_actions_init");
      }
      try {
        r = (int) FA_DUP2.invokeExact(fa, passFd, childFd);
        if (r != 0) {
          throw fail(r, "posix_spawn_file_actions_adddup2");
        }
        r = (int) SPAWNP.invokeExact(pid, a.allocateFrom(argv.get(0)), fa, MemorySegment.NULL, args, envp);
        if (r != 0) {
          throw fail(r, "spawn %s", argv.get(0));
        }
        return pid.get(JAVA_INT, 0);
      } finally {
        int ignored = (int) FA_DESTROY.invokeExact(fa);
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** Waits for child {@code pid} and returns its exit status (128 + signal when killed). */
  public static int waitpid(int pid) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment status = a.allocate(JAVA_INT);
      while (true) {
        int r = (int) WAITPID.invokeExact(st, pid, status, 0);
        if (r >= 0) {
          int s = status.get(JAVA_INT, 0);
          return (s & 0x7f) == 0 ? (s >> 8) & 0xff : 128 + (s & 0x7f);
        }
        if (errno(st) != 4) { // EINTR: retry
          throw fail(errno(st), "waitpid %d", pid);
        }
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /** A connected pair of Unix stream sockets (close-on-exec). */
  public static int[] socketpair() {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment sv = a.allocate(JAVA_INT, 2);
      int r = (int) SOCKETPAIR.invokeExact(st, 1 /* AF_UNIX */, 1 | O_CLOEXEC /* SOCK_STREAM|SOCK_CLOEXEC */, 0, sv);
      if (r < 0) {
        throw fail(errno(st), "socketpair");
      }
      return new int[] {sv.getAtIndex(JAVA_INT, 0), sv.getAtIndex(JAVA_INT, 1)};
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  /**
   * Receives one descriptor sent with SCM_RIGHTS on {@code sock} (what fusermount3 does with the /dev/fuse
   * descriptor). Returns -1 when the peer closed without sending one.
   */
  public static int receiveFd(int sock) {
    MemorySegment st = STATE.get();
    try (Arena a = Arena.ofConfined()) {
      MemorySegment data = a.allocate(8);
      MemorySegment iov = a.allocate(16, 8);
      iov.set(ADDRESS, 0, data);
      iov.set(JAVA_LONG, 8, 1);
      MemorySegment control = a.allocate(64, 8);
      MemorySegment msg = a.allocate(56, 8);
      msg.set(ADDRESS, 16, iov);
      msg.set(JAVA_LONG, 24, 1);
      msg.set(ADDRESS, 32, control);
      msg.set(JAVA_LONG, 40, 64);
      while (true) {
        long n = (long) RECVMSG.invokeExact(st, sock, msg, 0x40000000 /* MSG_CMSG_CLOEXEC */);
        if (n < 0 && errno(st) == 4) {
          continue;
        }
        if (n < 0) {
          throw fail(errno(st), "recvmsg");
        }
        if (n == 0 || msg.get(JAVA_LONG, 40) < 20) {
          return -1;
        }
        // struct cmsghdr { size_t len; int level; int type; unsigned char data[]; }
        if (control.get(JAVA_INT, 8) != 1 || control.get(JAVA_INT, 12) != 1) { // SOL_SOCKET, SCM_RIGHTS
          return -1;
        }
        return control.get(JAVA_INT, 16);
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  public static int geteuid() {
    try {
      return (int) GETUID.invokeExact();
    } catch (Throwable t) {
      throw rethrow(t);
    }
  }

  private static CatenaException fail(int errno, String what, Object... args) {
    Errno e = Errno.fromCode(errno);
    return CatenaException.of(e, "%s: %s (errno %d)", String.format(what, args), e, errno);
  }

  private static RuntimeException rethrow(Throwable t) {
    if (t instanceof RuntimeException re) {
      throw re;
    }
    if (t instanceof Error e) {
      throw e;
    }
    throw new IllegalStateException(t);
  }
}
