package io.catena.storage.engine;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The data files of one disk: per size class {@code filesPerClass} files {@code data/<size>KiB/<k>.dat}; block
 * index {@code i} of a class lives in file {@code i % filesPerClass} at slot {@code i / filesPerClass}, so
 * consecutive allocations spread over the files. Files grow by reserved (fallocated) steps as blocks are allocated,
 * or sparsely as they are written when preallocation is off or unsupported.
 * Thread-safe: positional FileChannel I/O only.
 */
final class DataFiles implements AutoCloseable {
  private static final int IO_SLICE = 1 << 20;
  private final int filesPerClass;
  private final FileChannel[][] channels;
  private final Path[][] paths;
  private final AtomicBoolean[][] dirty;
  private final long preallocateStep;
  private final long[][] reservedEnd; // guarded by the file's channel
  private volatile boolean fallocateWorks = Fallocate.available();

  /**
   * @param preallocateStep files grow by posix_fallocate in steps of this many bytes (at least a block); 0 lets
   *                        them grow sparsely as blocks are first written
   */
  DataFiles(Path dir, int filesPerClass, long preallocateStep) {
    this.filesPerClass = filesPerClass;
    this.preallocateStep = preallocateStep;
    this.channels = new FileChannel[SizeClasses.COUNT][filesPerClass];
    this.paths = new Path[SizeClasses.COUNT][filesPerClass];
    this.reservedEnd = new long[SizeClasses.COUNT][filesPerClass];
    this.dirty = new AtomicBoolean[SizeClasses.COUNT][filesPerClass];
    try {
      for (int c = 0; c < SizeClasses.COUNT; c++) {
        Path classDir = dir.resolve("data").resolve((SizeClasses.blockSize(c) >> 10) + "KiB");
        Files.createDirectories(classDir);
        syncDirectory(classDir.getParent());
        for (int k = 0; k < filesPerClass; k++) {
          paths[c][k] = classDir.resolve(k + ".dat");
          channels[c][k] = FileChannel.open(paths[c][k], StandardOpenOption.CREATE, StandardOpenOption.READ,
              StandardOpenOption.WRITE);
          reservedEnd[c][k] = channels[c][k].size();
          dirty[c][k] = new AtomicBoolean();
        }
        // New files are only durable once their directory entry is.
        syncDirectory(classDir);
      }
      syncDirectory(dir);
    } catch (IOException e) {
      close();
      throw new UncheckedIOException("cannot open data files in " + dir, e);
    }
  }

  FileChannel channel(long block) {
    return channels[SizeClasses.classOf(block)][(int) (SizeClasses.indexOf(block) % filesPerClass)];
  }

  /** Absolute position of a block's first byte in {@link #channel}. */
  long position(long block) {
    return (SizeClasses.indexOf(block) / filesPerClass) * SizeClasses.blockSizeOf(block);
  }

  /**
   * Makes sure the disk space of a freshly allocated block is reserved before it is written: the file grows by
   * whole steps, so a full disk fails here with ENOSPC before any data moves.
   */
  void reserve(long block) {
    if (preallocateStep == 0 || !fallocateWorks) {
      return;
    }
    int c = SizeClasses.classOf(block);
    int k = (int) (SizeClasses.indexOf(block) % filesPerClass);
    long end = position(block) + SizeClasses.blockSizeOf(block);
    long step = Math.max(preallocateStep, SizeClasses.blockSizeOf(block));
    synchronized (channels[c][k]) {
      if (reservedEnd[c][k] >= end) {
        return;
      }
      long newEnd = (end + step - 1) / step * step;
      try {
        Fallocate.reserve(paths[c][k], reservedEnd[c][k], newEnd - reservedEnd[c][k]);
      } catch (CatenaException e) {
        if (e.errno() != Errno.EOPNOTSUPP && e.errno() != Errno.EINVAL) {
          throw e;
        }
        // The file system cannot reserve space (e.g. tmpfs without support): fall back to sparse growth.
        fallocateWorks = false;
        return;
      }
      reservedEnd[c][k] = newEnd;
    }
  }

  /** Current size of the file holding a block. */
  long fileSize(long block) {
    try {
      return channel(block).size();
    } catch (IOException e) {
      throw ioError("size of data file", e);
    }
  }

  void write(long block, long offsetInBlock, ByteBuffer data) {
    FileChannel ch = channel(block);
    long pos = position(block) + offsetInBlock;
    try {
      // Slices of at most 1 MiB keep the JDK's per-thread temporary direct buffers small for heap buffers.
      while (data.hasRemaining()) {
        ByteBuffer slice = data.slice(data.position(), Math.min(data.remaining(), IO_SLICE));
        while (slice.hasRemaining()) {
          pos += ch.write(slice, pos);
        }
        data.position(data.position() + slice.capacity());
      }
    } catch (IOException e) {
      throw ioError("write to block " + SizeClasses.describe(block), e);
    }
    markDirty(block);
  }

  void writeZeros(long block, long offsetInBlock, long n) {
    ByteBuffer zeros = ByteBuffer.allocate((int) Math.min(n, 1 << 20));
    while (n > 0) {
      int k = (int) Math.min(n, zeros.capacity());
      write(block, offsetInBlock, zeros.clear().limit(k));
      offsetInBlock += k;
      n -= k;
    }
  }

  /** Fills {@code dst} from the block at {@code offsetInBlock}; EIO if the file ends first. */
  void read(long block, long offsetInBlock, ByteBuffer dst) {
    FileChannel ch = channel(block);
    long pos = position(block) + offsetInBlock;
    try {
      while (dst.hasRemaining()) {
        int want = Math.min(dst.remaining(), IO_SLICE);
        int n = ch.read(dst.slice(dst.position(), want), pos);
        if (n > 0) {
          dst.position(dst.position() + n);
        }
        if (n < 0) {
          throw CatenaException.of(Errno.EIO, "block %s: data file ends at %d, before %d",
              SizeClasses.describe(block), ch.size(), pos);
        }
        pos += n;
      }
    } catch (IOException e) {
      throw ioError("read of block " + SizeClasses.describe(block), e);
    }
  }

  void markDirty(long block) {
    dirty[SizeClasses.classOf(block)][(int) (SizeClasses.indexOf(block) % filesPerClass)].set(true);
  }

  /** fdatasync of the file holding the block. */
  void force(long block) {
    try {
      channel(block).force(false);
    } catch (IOException e) {
      throw ioError("fsync of block " + SizeClasses.describe(block), e);
    }
  }

  /** fdatasync of every file written since the last call. */
  void forceDirty() {
    for (int c = 0; c < SizeClasses.COUNT; c++) {
      for (int k = 0; k < filesPerClass; k++) {
        if (dirty[c][k].getAndSet(false)) {
          try {
            channels[c][k].force(false);
          } catch (IOException e) {
            dirty[c][k].set(true);
            throw ioError("fsync of data file", e);
          }
        }
      }
    }
  }

  private static CatenaException ioError(String what, IOException e) {
    return new CatenaException(io.catena.common.Status.of(Errno.EIO, "%s failed: %s", what, e), e);
  }

  private static void syncDirectory(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException e) {
      // Not every file system lets a directory be opened for sync; the files' own fsync still holds.
    }
  }

  @Override
  public void close() {
    for (FileChannel[] row : channels) {
      for (FileChannel ch : row) {
        if (ch != null) {
          try {
            ch.close();
          } catch (IOException e) {
            // closing after a failure: nothing more to do
          }
        }
      }
    }
  }
}
