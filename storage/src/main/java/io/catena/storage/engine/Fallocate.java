package io.catena.storage.engine;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Optional;

/**
 * posix_fallocate(3) through FFM: FileChannel cannot reserve disk space (setLength makes a sparse file), and real
 * reservation keeps blocks contiguous and makes a full disk fail before data is written. Stateless, thread-safe.
 */
final class Fallocate {
  private static final int O_WRONLY = 1;
  private static final int O_CLOEXEC = 0x80000;
  private static final MethodHandle OPEN;
  private static final MethodHandle POSIX_FALLOCATE;
  private static final MethodHandle CLOSE;

  static {
    MethodHandle open = null;
    MethodHandle fallocate = null;
    MethodHandle close = null;
    try {
      Linker linker = Linker.nativeLinker();
      SymbolLookup libc = linker.defaultLookup();
      Optional<MemorySegment> o = libc.find("open");
      Optional<MemorySegment> f = libc.find("posix_fallocate");
      Optional<MemorySegment> c = libc.find("close");
      if (o.isPresent() && f.isPresent() && c.isPresent()) {
        open = linker.downcallHandle(o.get(), FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2));
        fallocate = linker.downcallHandle(f.get(), FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, JAVA_LONG));
        close = linker.downcallHandle(c.get(), FunctionDescriptor.of(JAVA_INT, JAVA_INT));
      }
    } catch (RuntimeException | Error e) {
      open = null;
    }
    OPEN = open;
    POSIX_FALLOCATE = fallocate;
    CLOSE = close;
  }

  private Fallocate() {}

  static boolean available() {
    return OPEN != null;
  }

  /**
   * Reserves [offset, offset + length) of {@code file}, growing it if needed. ENOSPC when the disk is full; EIO for
   * other failures; EOPNOTSUPP if the platform has no posix_fallocate.
   */
  static void reserve(Path file, long offset, long length) {
    if (!available()) {
      throw CatenaException.of(Errno.EOPNOTSUPP, "posix_fallocate is not available here");
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) OPEN.invokeExact(arena.allocateFrom(file.toString()), O_WRONLY | O_CLOEXEC, 0);
      if (fd < 0) {
        throw CatenaException.of(Errno.EIO, "cannot open %s to reserve space", file);
      }
      int rc;
      try {
        rc = (int) POSIX_FALLOCATE.invokeExact(fd, offset, length);
      } finally {
        int ignored = (int) CLOSE.invokeExact(fd);
      }
      if (rc != 0) {
        Errno e = Errno.fromCode(rc);
        throw CatenaException.of(e == Errno.ENOSPC ? Errno.ENOSPC : e, "reserving %d bytes at %d of %s failed: errno %d",
            length, offset, file, rc);
      }
    } catch (CatenaException e) {
      throw e;
    } catch (Throwable t) {
      throw new CatenaException(io.catena.common.Status.of(Errno.EIO, "posix_fallocate on %s: %s", file, t), t);
    }
  }
}
