package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.ATTR_SIZE;
import static io.catena.fuse.kernel.FuseKernel.DIRENT_BASE;
import static io.catena.fuse.kernel.FuseKernel.ENTRY_OUT_SIZE;
import static io.catena.fuse.kernel.FuseKernel.OUT_HEADER;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.fuse.AttrReply;
import io.catena.fuse.Entry;
import io.catena.fuse.OpenReply;
import io.catena.fuse.StatFs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Encodes replies in the kernel's FUSE layouts into one reader's output buffer and writes them to {@code /dev/fuse}
 * with writev (read data goes as a second vector, without a copy when it is direct memory). A reply is begun, filled
 * and sent; entry and attribute timeouts the file system left open take the mount's. Confined to its reader thread.
 */
final class ReplyWriter {
  private static final Logger LOG = LoggerFactory.getLogger(ReplyWriter.class);
  private static final int ENOENT = 2;
  private static final int ENODEV = 19;

  private final int fd;
  private final FuseSession.Options opts;
  private final MemorySegment out;
  private final ByteBuffer outBuf;
  private final MemorySegment iov;
  /** End of the directory reply being filled. */
  private int directoryLimit;

  ReplyWriter(int fd, FuseSession.Options opts, Arena arena) {
    this.fd = fd;
    this.opts = opts;
    this.out = arena.allocate(opts.maxWrite() + 4096L, 4096);
    this.outBuf = out.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    this.iov = arena.allocate(32, 8);
  }

  /** Starts a reply: what is put next follows the header. */
  ByteBuffer begin() {
    return outBuf.clear().position(OUT_HEADER);
  }

  void send(long unique) {
    int n = outBuf.position();
    outBuf.putInt(0, n).putInt(4, 0).putLong(8, unique);
    iov.set(ValueLayout.ADDRESS, 0, out);
    iov.set(ValueLayout.JAVA_LONG, 8, n);
    write(unique, 1);
  }

  void empty(long unique) {
    begin();
    send(unique);
  }

  void error(long unique, int errno) {
    outBuf.putInt(0, OUT_HEADER).putInt(4, -errno).putLong(8, unique);
    iov.set(ValueLayout.ADDRESS, 0, out);
    iov.set(ValueLayout.JAVA_LONG, 8, OUT_HEADER);
    write(unique, 1);
  }

  private void write(long unique, int count) {
    long r = Native.writev(fd, iov, count);
    if (r < 0) {
      int e = (int) -r;
      // ENOENT: the request was interrupted and the kernel gave up on it; ENODEV: the connection is gone.
      if (e != ENOENT && e != ENODEV) {
        LOG.error("writing the reply to FUSE request {} failed: {}", unique, Errno.fromCode(e));
      }
    }
  }

  /** Room for read data of at most {@code size} bytes right behind the header, so it needs no copy. */
  ByteBuffer readScratch(int size) {
    return outBuf.slice(OUT_HEADER, Math.min(size, maxPayload()));
  }

  int maxPayload() {
    return (int) out.byteSize() - OUT_HEADER;
  }

  /** Answers a READ with up to {@code size} of {@code data}'s remaining bytes (null: none). */
  void data(long unique, ByteBuffer data, int size) {
    int n = data == null ? 0 : Math.min(data.remaining(), size);
    MemorySegment segment;
    if (n == 0) {
      segment = null;
    } else if (data.isDirect()) {
      segment = MemorySegment.ofBuffer(data).asSlice(0, n);
    } else {
      // A heap buffer cannot go to writev: copy it behind the header.
      outBuf.put(OUT_HEADER, data, data.position(), n);
      segment = out.asSlice(OUT_HEADER, n);
    }
    out.set(ValueLayout.JAVA_INT_UNALIGNED, 0, OUT_HEADER + n);
    out.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0);
    out.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, unique);
    iov.set(ValueLayout.ADDRESS, 0, out);
    iov.set(ValueLayout.JAVA_LONG, 8, OUT_HEADER);
    int count = 1;
    if (segment != null) {
      iov.set(ValueLayout.ADDRESS, 16, segment);
      iov.set(ValueLayout.JAVA_LONG, 24, n);
      count = 2;
    }
    write(unique, count);
  }

  /** An xattr value or name list: its size alone when the caller asked with size 0, ERANGE when it does not fit. */
  void sized(long unique, int size, byte[] value) {
    begin();
    if (size == 0) {
      outBuf.putInt(value.length).putInt(0);
    } else if (value.length > size) {
      throw CatenaException.of(Errno.ERANGE, "value of %d bytes does not fit %d", value.length, size);
    } else {
      if (value.length > outBuf.remaining()) {
        throw CatenaException.of(Errno.E2BIG, "value of %d bytes is too large", value.length);
      }
      outBuf.put(value);
    }
    send(unique);
  }

  void entry(long unique, Entry e) {
    begin();
    putEntry(e);
    send(unique);
  }

  /** "No such name", remembered by the kernel for {@code timeout}: node id 0. */
  void negativeEntry(long unique, Duration timeout) {
    begin();
    outBuf.putLong(0).putLong(0);
    putDuration2(timeout, Duration.ZERO);
    for (int i = 0; i < ATTR_SIZE; i++) {
      outBuf.put((byte) 0);
    }
    send(unique);
  }

  void attr(long unique, AttrReply a) {
    begin();
    Duration t = a.timeout() == null ? opts.attrTimeout() : a.timeout();
    outBuf.putLong(secs(t)).putInt(nanos(t)).putInt(0);
    putAttr(a.attr());
    send(unique);
  }

  void open(long unique, OpenReply r, boolean file) {
    begin();
    putOpen(r, file);
    send(unique);
  }

  void statfs(long unique, StatFs s) {
    begin();
    outBuf.putLong(s.blocks()).putLong(s.bfree()).putLong(s.bavail()).putLong(s.files()).putLong(s.ffree())
        .putInt(s.bsize()).putInt(s.namelen()).putInt(s.frsize()).putInt(0);
    for (int i = 0; i < 6; i++) {
      outBuf.putInt(0);
    }
    send(unique);
  }

  /** A file (or directory) handle; regular files get FOPEN_DIRECT_IO when the mount asks for it. */
  void putOpen(OpenReply r, boolean file) {
    int flags = r.flags();
    if (file && opts.directIo()) {
      flags |= OpenReply.DIRECT_IO;
    }
    outBuf.putLong(r.fh()).putInt(flags).putInt(0);
  }

  void putEntry(Entry e) {
    outBuf.putLong(e.ino()).putLong(e.generation());
    putDuration2(e.entryTimeout() == null ? opts.entryTimeout() : e.entryTimeout(),
        e.attrTimeout() == null ? opts.attrTimeout() : e.attrTimeout());
    putAttr(e.attr());
  }

  private void putDuration2(Duration entry, Duration attr) {
    outBuf.putLong(secs(entry)).putLong(secs(attr)).putInt(nanos(entry)).putInt(nanos(attr));
  }

  private void putAttr(Attr a) {
    outBuf.putLong(a.ino()).putLong(a.size()).putLong(a.blocks()).putLong(a.atimeSec()).putLong(a.mtimeSec())
        .putLong(a.ctimeSec()).putInt(a.atimeNsec()).putInt(a.mtimeNsec()).putInt(a.ctimeNsec())
        .putInt(a.mode()).putInt(a.nlink()).putInt(a.uid()).putInt(a.gid()).putInt(a.rdev())
        .putInt(a.blksize()).putInt(0);
  }

  // ---------------------------------------------------------------- directory replies

  /** Starts a READDIR(PLUS) reply of at most {@code size} bytes of entries. */
  void beginDirectory(int size) {
    begin();
    directoryLimit = OUT_HEADER + Math.min(size, maxPayload());
  }

  /** Adds a readdir entry; false, adding nothing, when it does not fit. */
  boolean dirent(String name, long ino, int mode, long next) {
    byte[] nb = name.getBytes(StandardCharsets.UTF_8);
    int rec = align8(DIRENT_BASE + nb.length);
    if (outBuf.position() + rec > directoryLimit) {
      return false;
    }
    int start = outBuf.position();
    putDirent(ino, next, nb, Attr.direntType(mode));
    outBuf.position(start + rec);
    return true;
  }

  /** Adds a readdirplus entry (the entry, then its dirent); false, adding nothing, when it does not fit. */
  boolean direntPlus(String name, Entry e, long next) {
    byte[] nb = name.getBytes(StandardCharsets.UTF_8);
    int rec = align8(ENTRY_OUT_SIZE + DIRENT_BASE + nb.length);
    if (outBuf.position() + rec > directoryLimit) {
      return false;
    }
    int start = outBuf.position();
    putEntry(e);
    putDirent(e.ino(), next, nb, Attr.direntType(e.attr().mode()));
    outBuf.position(start + rec);
    return true;
  }

  private void putDirent(long ino, long next, byte[] name, int type) {
    int start = outBuf.position();
    outBuf.putLong(ino).putLong(next).putInt(name.length).putInt(type).put(name);
    int end = start + align8(DIRENT_BASE + name.length);
    while (outBuf.position() < end) {
      outBuf.put((byte) 0);
    }
  }

  private static long secs(Duration d) {
    return d.isNegative() ? 0 : d.getSeconds();
  }

  private static int nanos(Duration d) {
    return d.isNegative() ? 0 : d.getNano();
  }

  private static int align8(int n) {
    return (n + 7) & ~7;
  }
}
