package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.meta.Inode;
import io.catena.meta.UserInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/**
 * An open file of a {@link CatenaClient}: positional reads and writes straight to the storage chains, and stream
 * views, acting as the client's user. What a handle does ({@link OpenFile}) is what a FUSE mount's handles do: the
 * length readers see is the larger of the length at open and what this client wrote, writes go through the
 * client's write-behind ({@code client.write_behind}: a failed write may surface at a later call, at the latest at
 * {@link #sync} or {@link #close}), and {@link #sync} and {@link #close} make meta record the exact length.
 * Thread-safe: positional calls may run concurrently; close once.
 */
public final class CatenaFile implements AutoCloseable {
  private final OpenFile file;
  private final UserInfo user;

  CatenaFile(OpenFile file, UserInfo user) {
    this.file = file;
    this.user = user;
  }

  public Inode inode() {
    return file.inode();
  }

  /** The length as this client knows it. */
  public long length() {
    return file.length();
  }

  /** Reads into {@code dst} from {@code position}; returns bytes read, or -1 at end of file. */
  public int read(long position, ByteBuffer dst) {
    return file.read(position, dst);
  }

  /** Writes all remaining bytes of {@code src} at {@code position} (at the end with O_APPEND); returns the count. */
  public int write(long position, ByteBuffer src) {
    return file.write(user, position, src);
  }

  /** fsync: waits for the writes in flight and makes meta record the exact length. */
  public void sync() {
    file.flush(user);
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
    file.close(user);
  }
}
