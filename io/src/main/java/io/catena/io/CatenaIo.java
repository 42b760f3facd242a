package io.catena.io;

import io.catena.io.ring.IovName;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Native zero-copy I/O for JVM programs, the same rings C and Python use (docs/native-io.md): a shared-memory buffer
 * registered with a Catena mount, the descriptors of files opened through that mount, and rings that read files into
 * the buffer or write it to files while the data moves between the storage servers and this memory with no FUSE
 * request and no copy in the kernel. Needs {@code --enable-native-access}.
 *
 * <pre>{@code
 * try (CatenaIo io = CatenaIo.create(Path.of("/mnt/catena"), 1 << 20);
 *      CatenaIo.RegisteredFile f = io.open(Path.of("/mnt/catena/data.bin"), Linux.O_RDONLY);
 *      IoRing ring = io.ring(RingLayout.DIRECTION_READ, 64, RingLayout.PRIORITY_NORMAL)) {
 *   long n = ring.read(f.fd(), 0, 0, 4096);              // bytes read into the buffer's first 4 KiB
 *   byte first = io.buffer().get(ValueLayout.JAVA_BYTE, 0);
 * }
 * }</pre>
 * Thread-safe, except that each {@link IoRing} is used by one thread at a time. A context belongs to this process:
 * the mount drops its registrations when the process exits.
 */
public final class CatenaIo implements AutoCloseable {
  private final Path iovs;
  private final String key;
  private final MemorySegment buffer;
  private final Arena bufferArena;
  private final Set<Integer> fds = ConcurrentHashMap.newKeySet();
  private final List<IoRing> rings = new ArrayList<>();
  private final AtomicInteger ringSeq = new AtomicInteger();
  private boolean closed;

  private CatenaIo(Path iovs, String key, MemorySegment buffer, Arena bufferArena) {
    this.iovs = iovs;
    this.key = key;
    this.buffer = buffer;
    this.bufferArena = bufferArena;
  }

  /** Creates a {@code size}-byte shared buffer and registers it with the Catena mount at {@code mountpoint}. */
  public static CatenaIo create(Path mountpoint, long size) throws IOException {
    if (size <= 0) {
      throw new IllegalArgumentException("buffer size must be positive: " + size);
    }
    Path iovs = mountpoint.resolve(".catena-virt").resolve("iovs");
    String key = "jio-" + ProcessHandle.current().pid() + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt());
    Arena arena = Arena.ofShared();
    try {
      return new CatenaIo(iovs, key, registerShm(iovs, IovName.buffer(key), size, arena), arena);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
  }

  /**
   * Creates /dev/shm/catena-io.NAME, maps it, and registers it as iovs/NAME. The shm name is removed at once: the
   * daemon and this process keep their mappings, and nothing is left behind when the program dies. Closing
   * {@code arena} unmaps it (accesses through the segment then fail instead of touching unmapped memory).
   */
  @SuppressWarnings("restricted")
  static MemorySegment registerShm(Path iovs, String name, long size, Arena arena) throws IOException {
    Path shm = Path.of("/dev/shm", "catena-io." + name);
    int fd = Linux.open(shm.toString(), Linux.O_RDWR | Linux.O_CREAT | Linux.O_EXCL | Linux.O_CLOEXEC, 0600);
    if (fd < 0) {
      throw new IOException("cannot create " + shm + ": errno " + -fd);
    }
    MemorySegment mapping = null;
    try {
      int r = Linux.ftruncate(fd, size);
      if (r < 0) {
        throw new IOException("cannot size " + shm + ": errno " + -r);
      }
      mapping = Linux.mmap(fd, size);
      Files.createSymbolicLink(iovs.resolve(name), shm);
      long address = mapping.address();
      return mapping.reinterpret(size, arena, s -> Linux.munmap(MemorySegment.ofAddress(address).reinterpret(size)));
    } catch (IOException | RuntimeException e) {
      if (mapping != null) {
        Linux.munmap(mapping);
      }
      throw e;
    } finally {
      Linux.close(fd);
      Files.deleteIfExists(shm);
    }
  }

  /** The shared buffer: what rings read into and write from. */
  public MemorySegment buffer() {
    return buffer;
  }

  /** The key naming this context's registrations in {@code MNT/.catena-virt/iovs/}. */
  public String key() {
    return key;
  }

  Path iovs() {
    return iovs;
  }

  /** Lets rings use descriptor {@code fd} (open on this mount) with the access mode it was opened with. */
  public void register(int fd) throws IOException {
    Files.createSymbolicLink(iovs.resolve(IovName.fd(key, fd)), Path.of("/proc/self/fd/" + fd));
    fds.add(fd);
  }

  public void deregister(int fd) throws IOException {
    fds.remove(fd);
    Files.delete(iovs.resolve(IovName.fd(key, fd)));
  }

  /** A file opened through the mount with open(2) and registered with this context. */
  public final class RegisteredFile implements AutoCloseable {
    private final int fd;
    private boolean closed;

    private RegisteredFile(int fd) {
      this.fd = fd;
    }

    /** The descriptor ring entries name. */
    public int fd() {
      return fd;
    }

    /** Deregisters and closes the descriptor; close(2) makes the mount record the length of what rings wrote. */
    @Override
    public synchronized void close() throws IOException {
      if (closed) {
        return;
      }
      closed = true;
      try {
        deregister(fd);
      } finally {
        Linux.close(fd);
      }
    }
  }

  /** Opens {@code path} (on this context's mount) with open(2) {@code flags} and registers the descriptor. */
  public RegisteredFile open(Path path, int flags) throws IOException {
    int fd = Linux.open(path.toString(), flags | Linux.O_CLOEXEC, 0644);
    if (fd < 0) {
      throw new IOException("cannot open " + path + ": errno " + -fd);
    }
    try {
      register(fd);
    } catch (IOException | RuntimeException e) {
      Linux.close(fd);
      throw e;
    }
    return new RegisteredFile(fd);
  }

  /**
   * A ring over this buffer: {@code direction} {@link RingLayout#DIRECTION_READ} or
   * {@link RingLayout#DIRECTION_WRITE}, {@code entries} a power of two up to {@link RingLayout#MAX_ENTRIES},
   * {@code priority} {@link RingLayout#PRIORITY_HIGH} to {@link RingLayout#PRIORITY_LOW}.
   */
  public IoRing ring(int direction, int entries, int priority) throws IOException {
    if (!RingLayout.validEntries(entries) || priority < RingLayout.PRIORITY_HIGH
        || priority > RingLayout.PRIORITY_LOW || (direction != 0 && direction != 1)) {
      throw new IllegalArgumentException("bad ring: direction " + direction + ", " + entries + " entries, priority "
          + priority);
    }
    String name = IovName.ring(key, direction, entries, priority, Integer.toString(ringSeq.incrementAndGet()));
    Arena arena = Arena.ofShared();
    MemorySegment mem;
    try {
      mem = registerShm(iovs, name, RingLayout.size(entries), arena);
    } catch (IOException | RuntimeException e) {
      arena.close();
      throw e;
    }
    IoRing ring = new IoRing(this, name, mem, arena, entries);
    synchronized (this) {
      rings.add(ring);
    }
    return ring;
  }

  synchronized void forget(IoRing ring) {
    rings.remove(ring);
  }

  /** Deregisters the rings, descriptors and buffer and unmaps the buffer (the descriptors stay open). */
  @Override
  public void close() throws IOException {
    List<IoRing> open;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      open = new ArrayList<>(rings);
    }
    IOException first = null;
    for (IoRing r : open) {
      try {
        r.close();
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    for (int fd : Set.copyOf(fds)) {
      try {
        deregister(fd);
      } catch (IOException e) {
        first = first == null ? e : first;
      }
    }
    try {
      Files.deleteIfExists(iovs.resolve(IovName.buffer(key)));
    } finally {
      bufferArena.close();
    }
    if (first != null) {
      throw first;
    }
  }
}
