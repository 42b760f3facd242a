package io.catena.rpc;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.util.ReferenceCounted;
import java.nio.channels.FileChannel;
import java.util.Objects;

/**
 * Raw bytes sent after a message without being copied into it: either a Netty {@link ByteBuf} (pooled direct
 * buffers or composites travel to the socket with a gathering write) or a region of a file (sent with sendfile,
 * never passing through the Java heap). Passing an attachment to the RPC layer transfers ownership: the layer
 * releases the buffer once written or when the call fails. Not thread-safe; hand it over once.
 */
public sealed interface Attachment permits Attachment.Buffer, Attachment.FileRegion {

  /** Bytes this attachment puts on the wire. */
  long length();

  /** Gives the bytes back without sending them (e.g. a call that failed before writing). */
  void release();

  /** A buffer's readable bytes; ownership of one reference passes to the RPC layer. */
  static Attachment of(ByteBuf buf) {
    return new Buffer(Objects.requireNonNull(buf, "buf"));
  }

  /** A copy-free wrap of an array the caller will not modify until the call completes. */
  static Attachment wrap(byte[] bytes) {
    return new Buffer(Unpooled.wrappedBuffer(bytes));
  }

  /**
   * {@code length} bytes of {@code file} from {@code position}, sent with sendfile where the transport can. The
   * channel stays open; the caller closes it after the call's future completes.
   */
  static Attachment ofFile(FileChannel file, long position, long length) {
    return new FileRegion(file, position, length, null);
  }

  /**
   * Like {@link #ofFile(FileChannel, long, long)}, and runs {@code onRelease} exactly once when the region has
   * been sent or dropped (e.g. to unpin a chunk block or close a read handle; the reply's future completes before
   * the bytes are on the wire).
   */
  static Attachment ofFile(FileChannel file, long position, long length, Runnable onRelease) {
    return new FileRegion(file, position, length, onRelease == null ? null : new Once(onRelease));
  }

  /** Runs an action at most once. Thread-safe. */
  final class Once implements Runnable {
    private final java.util.concurrent.atomic.AtomicReference<Runnable> action;

    Once(Runnable action) {
      this.action = new java.util.concurrent.atomic.AtomicReference<>(action);
    }

    @Override
    public void run() {
      Runnable a = action.getAndSet(null);
      if (a != null) {
        a.run();
      }
    }
  }

  /** A buffer attachment. */
  record Buffer(ByteBuf buf) implements Attachment {
    @Override
    public long length() {
      return buf.readableBytes();
    }

    @Override
    public void release() {
      if (buf.refCnt() > 0) {
        buf.release();
      }
    }
  }

  /** A file-region attachment. */
  record FileRegion(FileChannel file, long position, long length, Runnable onRelease) implements Attachment {
    public FileRegion(FileChannel file, long position, long length) {
      this(file, position, length, null);
    }

    public FileRegion {
      Objects.requireNonNull(file, "file");
      if (position < 0 || length < 0) {
        throw new IllegalArgumentException("bad file region " + position + "+" + length);
      }
    }

    @Override
    public void release() {
      if (onRelease != null) {
        onRelease.run();
      }
    }
  }

  /** Releases a reference-counted object if it is still live; a helper for {@code finally} blocks. */
  static void releaseQuietly(ReferenceCounted rc) {
    if (rc != null && rc.refCnt() > 0) {
      rc.release();
    }
  }
}
