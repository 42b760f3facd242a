package io.catena.fuse.usrbio;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.io.ring.Linux;
import java.lang.foreign.MemorySegment;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A program's shared-memory file as the daemon maps it: opened only as an entry of /dev/shm itself (openat2 with no
 * symlinks, no "..", no other mount, so never a file on this very mount, whose page faults this daemon would have to
 * serve), owned by the calling uid, a regular file on tmpfs, mapped shared. Unmapped when closed and no I/O holds it
 * ({@link Refs}). A program that truncates the file under a mapping makes accesses fault; the JVM turns those faults
 * in its guarded copies into {@link InternalError}s, which the ring code answers with EFAULT. Thread-safe.
 */
final class ShmFile {
  private static final Logger LOG = LoggerFactory.getLogger(ShmFile.class);
  static final String SHM_DIR = "/dev/shm/";
  private static final Pattern NAME = Pattern.compile("[^/\\x00]{1,255}");

  private final String path;
  private final MemorySegment memory;
  private final Refs refs;

  private ShmFile(String path, MemorySegment memory) {
    this.path = path;
    this.memory = memory;
    this.refs = new Refs(() -> {
      int r = Linux.munmap(memory);
      if (r < 0) {
        LOG.warn("munmap of {} failed: errno {}", path, -r);
      }
    });
  }

  /**
   * Maps {@code target} ("/dev/shm/NAME") for a caller with uid {@code uid}: EINVAL for another path, ENOENT when
   * missing, EPERM when it is not the caller's own regular tmpfs file, EFBIG past {@code maxSize}, EINVAL when
   * smaller than {@code minSize}. Maps {@code mapSize} bytes, or the whole file when it is 0.
   */
  static ShmFile open(String target, int uid, long minSize, long maxSize, long mapSize) {
    if (!target.startsWith(SHM_DIR) || !NAME.matcher(target.substring(SHM_DIR.length())).matches()) {
      throw CatenaException.of(Errno.EINVAL, "'%s' is not a file directly in %s", target, SHM_DIR);
    }
    String name = target.substring(SHM_DIR.length());
    if (name.equals(".") || name.equals("..")) {
      throw CatenaException.of(Errno.EINVAL, "'%s' is not a file", target);
    }
    int dir = Linux.open(SHM_DIR, Linux.O_PATH | Linux.O_DIRECTORY | Linux.O_CLOEXEC, 0);
    if (dir < 0) {
      throw CatenaException.of(Errno.ENODEV, "cannot open %s: errno %d", SHM_DIR, -dir);
    }
    int fd;
    try {
      long fsType = Linux.fsType(dir);
      if (fsType != Linux.TMPFS_MAGIC) {
        throw CatenaException.of(Errno.ENODEV, "%s is not tmpfs (type %x)", SHM_DIR, fsType);
      }
      fd = Linux.openBeneath(dir, name, Linux.O_RDWR | Linux.O_CLOEXEC | Linux.O_NOFOLLOW);
    } finally {
      Linux.close(dir);
    }
    if (fd < 0) {
      Errno e = Errno.fromCode(-fd);
      throw CatenaException.of(e == Errno.ENOENT ? Errno.ENOENT : e == Errno.ELOOP || e == Errno.EXDEV
          ? Errno.EPERM : e, "cannot open %s: errno %d", target, -fd);
    }
    try {
      Linux.Stat st = Linux.stat(fd);
      if (!st.isRegularFile() || st.uid() != uid) {
        throw CatenaException.of(Errno.EPERM, "%s is not a regular file owned by uid %d (uid %d, mode %o)", target,
            uid, st.uid(), st.mode());
      }
      long fsType = Linux.fsType(fd);
      if (fsType != Linux.TMPFS_MAGIC) {
        throw CatenaException.of(Errno.EPERM, "%s is not on tmpfs", target);
      }
      if (st.size() < Math.max(1, minSize)) {
        throw CatenaException.of(Errno.EINVAL, "%s holds %d bytes, needs %d", target, st.size(), minSize);
      }
      if (st.size() > maxSize) {
        throw CatenaException.of(Errno.EFBIG, "%s holds %d bytes, more than fuse.io.max_buffer (%d)", target,
            st.size(), maxSize);
      }
      long size = mapSize > 0 ? mapSize : st.size();
      return new ShmFile(target, Linux.mmap(fd, size));
    } catch (IllegalStateException e) {
      throw CatenaException.of(Errno.EIO, "mapping %s failed: %s", target, e.getMessage());
    } finally {
      Linux.close(fd);
    }
  }

  String path() {
    return path;
  }

  /** The mapping: valid only while a hold ({@link #retain}) or the owner's reference keeps it. */
  MemorySegment memory() {
    return memory;
  }

  long size() {
    return memory.byteSize();
  }

  boolean retain() {
    return refs.retain();
  }

  void release() {
    refs.release();
  }

  /** Unmaps once no I/O holds the mapping. */
  void close() {
    refs.close();
  }
}
