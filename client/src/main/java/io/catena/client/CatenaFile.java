package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Futures;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.OpenFlags;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An open file: positional reads and writes straight to the storage chains, and stream views. The length seen by
 * readers of this handle is the larger of the length at open and what this handle wrote; {@link #sync} and
 * {@link #close} make meta record the exact length from storage. Thread-safe: positional calls may run
 * concurrently; close once.
 */
public final class CatenaFile implements AutoCloseable {
  private final CatenaClient client;
  private final Inode inode;
  private final long sessionId;
  private final int flags;
  private final AtomicLong length;
  private volatile boolean wrote;
  private volatile boolean closed;

  CatenaFile(CatenaClient client, Inode inode, long sessionId, int flags) {
    this.client = client;
    this.inode = inode;
    this.sessionId = sessionId;
    this.flags = flags;
    this.length = new AtomicLong(inode.length());
  }

  public Inode inode() {
    return inode;
  }

  /** The length as this handle knows it. */
  public long length() {
    return length.get();
  }

  /** Reads into {@code dst} from {@code position}; returns bytes read, or -1 at end of file. */
  public int read(long position, ByteBuffer dst) {
    checkOpen();
    if (!OpenFlags.readable(flags)) {
      throw CatenaException.of(Errno.EBADF, "file %d is not open for reading", inode.id());
    }
    return Futures.join(client.io().read(inode.id(), inode.layout(), length.get(), position, dst));
  }

  /** Writes all remaining bytes of {@code src} at {@code position} (at the end with O_APPEND); returns the count. */
  public int write(long position, ByteBuffer src) {
    checkOpen();
    if (!OpenFlags.writable(flags)) {
      throw CatenaException.of(Errno.EBADF, "file %d is not open for writing", inode.id());
    }
    long at = (flags & OpenFlags.O_APPEND) != 0 ? length.get() : position;
    int n = src.remaining();
    Futures.join(client.io().write(inode.id(), inode.layout(), at, src));
    src.position(src.position() + n);
    wrote = true;
    length.accumulateAndGet(at + n, Math::max);
    return n;
  }

  /** fsync: the data is already committed on every replica; this makes meta record the exact length. */
  public void sync() {
    checkOpen();
    Inode now = client.meta().sync(client.user(), inode.id(), sessionId, wrote);
    length.accumulateAndGet(now.length(), Math::max);
  }

  public InputStream inputStream(long start) {
    return new InputStream() {
      private long pos = start;

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        try {
          int n = CatenaFile.this.read(pos, ByteBuffer.wrap(b, off, len));
          if (n > 0) {
            pos += n;
          }
          return n;
        } catch (CatenaException e) {
          throw new IOException(e.getMessage(), e);
        }
      }
    };
  }

  public OutputStream outputStream(long start) {
    return new OutputStream() {
      private long pos = start;

      @Override
      public void write(int b) throws IOException {
        write(new byte[] {(byte) b}, 0, 1);
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        try {
          pos += CatenaFile.this.write(pos, ByteBuffer.wrap(b, off, len));
        } catch (CatenaException e) {
          throw new IOException(e.getMessage(), e);
        }
      }
    };
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (sessionId != 0 || wrote) {
      client.meta().close(client.user(), inode.id(), sessionId, wrote);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw CatenaException.of(Errno.EBADF, "file %d is closed", inode.id());
    }
  }

}
