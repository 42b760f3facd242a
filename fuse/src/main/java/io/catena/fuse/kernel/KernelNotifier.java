package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.NOTIFY_DELETE;
import static io.catena.fuse.kernel.FuseKernel.NOTIFY_INVAL_ENTRY;
import static io.catena.fuse.kernel.FuseKernel.NOTIFY_INVAL_INODE;
import static io.catena.fuse.kernel.FuseKernel.OUT_HEADER;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.FuseNotifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Notifications the file system sends the kernel unasked, written to the {@code /dev/fuse} descriptor as messages
 * with unique 0. Thread-safe: each message is built in its own memory and written with one writev.
 */
final class KernelNotifier implements FuseNotifier {
  private final int fd;

  KernelNotifier(int fd) {
    this.fd = fd;
  }

  @Override
  public void invalidateInode(long ino, long offset, long len) {
    try (Arena a = Arena.ofConfined()) {
      ByteBuffer bb = a.allocate(OUT_HEADER + 24, 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      bb.position(OUT_HEADER);
      bb.putLong(ino).putLong(offset).putLong(len);
      notify(a, bb, NOTIFY_INVAL_INODE, "inode " + ino);
    }
  }

  @Override
  public void invalidateEntry(long parent, String name) {
    byte[] nb = name.getBytes(StandardCharsets.UTF_8);
    try (Arena a = Arena.ofConfined()) {
      ByteBuffer bb = a.allocate(OUT_HEADER + 16 + nb.length + 1, 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      bb.position(OUT_HEADER);
      bb.putLong(parent).putInt(nb.length).putInt(0).put(nb).put((byte) 0);
      notify(a, bb, NOTIFY_INVAL_ENTRY, "entry " + parent + "/" + name);
    }
  }

  @Override
  public void deleteEntry(long parent, long child, String name) {
    byte[] nb = name.getBytes(StandardCharsets.UTF_8);
    try (Arena a = Arena.ofConfined()) {
      ByteBuffer bb = a.allocate(OUT_HEADER + 24 + nb.length + 1, 8).asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
      bb.position(OUT_HEADER);
      bb.putLong(parent).putLong(child).putInt(nb.length).putInt(0).put(nb).put((byte) 0);
      notify(a, bb, NOTIFY_DELETE, "entry " + parent + "/" + name);
    }
  }

  private void notify(Arena a, ByteBuffer bb, int code, String what) {
    int n = bb.position();
    bb.putInt(0, n).putInt(4, code).putLong(8, 0);
    MemorySegment iov = a.allocate(16, 8);
    iov.set(ValueLayout.ADDRESS, 0, MemorySegment.ofBuffer(bb.clear()));
    iov.set(ValueLayout.JAVA_LONG, 8, n);
    long r = Native.writev(fd, iov, 1);
    if (r < 0) {
      Errno e = Errno.fromCode((int) -r);
      throw CatenaException.of(e, "FUSE notify for %s failed: %s", what, e);
    }
  }
}
