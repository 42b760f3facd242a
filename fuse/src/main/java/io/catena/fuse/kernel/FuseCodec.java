package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.*;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.fuse.CreateReply;
import io.catena.fuse.DirPlusFiller;
import io.catena.fuse.Entry;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.OpenReply;
import io.catena.fuse.RequestContext;
import io.catena.fuse.SetAttr;
import java.io.ByteArrayOutputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The FUSE wire protocol for one reader: decodes the request the session read into {@link #input()}, calls the
 * {@link FuseFileSystem} method of its opcode and answers through a {@link ReplyWriter}. Every failure of one request
 * becomes an errno reply and a log line. What a request changes for the whole connection (INIT, DESTROY, an
 * INTERRUPT of another reader's request) goes to the {@link Connection}. Confined to its reader thread; the
 * in-flight map it shares with the other readers' codecs is concurrent, and a read answered later is written
 * through the session's {@link AsyncReplies} by the thread that completes it.
 */
final class FuseCodec {
  private static final Logger LOG = LoggerFactory.getLogger(FuseCodec.class);
  private static final int EAGAIN = 11;

  /** Answers POSIX programs expect in normal operation: not worth a log line above debug. */
  private static final Set<Errno> ORDINARY = EnumSet.of(Errno.ENOENT, Errno.EEXIST, Errno.ENOTEMPTY, Errno.EACCES,
      Errno.EPERM, Errno.ENODATA, Errno.ERANGE, Errno.ENOSYS, Errno.EINTR, Errno.EAGAIN, Errno.EISDIR,
      Errno.ENOTDIR, Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EXDEV, Errno.EOPNOTSUPP, Errno.ELOOP, Errno.EMLINK,
      Errno.ETXTBSY, Errno.EROFS, Errno.EBADF, Errno.ESPIPE);

  /** The connection-wide effects of a request, which the session owns. */
  interface Connection {
    /** INIT was answered: the kernel's protocol minor, the minor spoken and the flags both sides agreed on. */
    void initialized(int kernelMinor, int protoMinor, int flags);

    /** INIT was refused: the kernel's protocol is too old. */
    void initRefused(CatenaException reason);

    /** DESTROY: the file system's end, once. */
    void destroy();
  }

  private final FuseFileSystem fs;
  private final FuseSession.Options opts;
  private final GroupCache groups;
  private final Map<Long, KernelRequest> inFlight;
  private final Connection connection;
  private final MemorySegment in;
  private final ByteBuffer inBuf;
  private final ReplyWriter out;
  private final FuseMetrics metrics;
  private final AsyncReplies replies;
  /** The file system answers reads asynchronously ({@link FuseFileSystem#readAsync}). */
  private final boolean asyncReads;
  /** Bytes of the request in {@link #in}. */
  private int len;
  /** The request being handled is answered by whoever completes it, not by {@link #handle}. */
  private boolean answerLater;

  FuseCodec(int fd, FuseFileSystem fs, FuseSession.Options opts, GroupCache groups,
      Map<Long, KernelRequest> inFlight, Connection connection, Arena arena, FuseMetrics metrics,
      AsyncReplies replies) {
    this.metrics = metrics;
    this.replies = replies;
    this.asyncReads = overrides(fs, "readAsync", RequestContext.class, long.class, long.class, long.class, int.class,
        ByteBuffer.class);
    this.fs = fs;
    this.opts = opts;
    this.groups = groups;
    this.inFlight = inFlight;
    this.connection = connection;
    this.in = arena.allocate(opts.maxWrite() + 4096L, 4096);
    this.inBuf = in.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    this.out = new ReplyWriter(fd, opts, arena);
  }

  /** Where the session reads the next request: room for the largest write the mount allows. */
  MemorySegment input() {
    return in;
  }

  /** Serves the request of {@code length} bytes in {@link #input()}. */
  void handle(int length) {
    len = length;
    if (len < IN_HEADER) {
      LOG.error("short FUSE request of {} bytes ignored", len);
      return;
    }
    int opcode = inBuf.getInt(4);
    long unique = inBuf.getLong(8);
    long nodeid = inBuf.getLong(16);
    if (opcode == FORGET || opcode == BATCH_FORGET || opcode == INTERRUPT || opcode == NOTIFY_REPLY) {
      try {
        noReplyOp(opcode, unique, nodeid);
      } catch (Throwable t) {
        LOG.error("FUSE {} unique {} failed", opName(opcode), unique, t);
      }
      return;
    }
    long start = System.nanoTime();
    int errno = 0;
    KernelRequest ctx = new KernelRequest(unique, opcode, inBuf.getInt(24), inBuf.getInt(28), inBuf.getInt(32),
        groups);
    inFlight.put(unique, ctx);
    answerLater = false;
    try {
      dispatch(ctx, opcode, nodeid, IN_HEADER + (Short.toUnsignedInt(inBuf.getShort(36)) * 8));
    } catch (Throwable t) {
      errno = failed(t, opcode, unique, nodeid);
      out.error(unique, errno);
    } finally {
      if (!answerLater) {
        inFlight.remove(unique);
        metrics.record(opcode, start, errno);
      }
    }
  }

  /** Logs a request's failure as its kind deserves and returns the errno to answer. */
  private static int failed(Throwable t, int opcode, long unique, long nodeid) {
    if (t instanceof java.util.concurrent.CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof CatenaException e) {
      if (ORDINARY.contains(e.errno())) {
        if (LOG.isDebugEnabled()) {
          LOG.debug("FUSE {} unique {} node {}: {}", opName(opcode), unique, nodeid, e.status());
        }
      } else {
        LOG.warn("FUSE {} unique {} node {} failed: {}", opName(opcode), unique, nodeid, e.status());
      }
      return errnoReply(e.errno());
    }
    LOG.error("FUSE {} unique {} node {} failed; answering EIO", opName(opcode), unique, nodeid, t);
    return Errno.EIO.code();
  }

  /**
   * The errno an application sees. Socket errnos (a cluster process unreachable after every retry) are not errors any
   * file API documents, so they become EIO, as NFS and mfsmount answer; the log line above keeps the real cause.
   */
  static int errnoReply(Errno e) {
    return switch (e) {
      case ECONNREFUSED, ECONNRESET, ECONNABORTED, EHOSTUNREACH, ENETUNREACH, ENOTCONN, ESHUTDOWN, ETIMEDOUT,
          EPROTO -> Errno.EIO.code();
      // The kernel only takes -1..-511; OK is never an error here (CatenaException forbids it).
      default -> e.code() > 0 && e.code() < 512 ? e.code() : Errno.EIO.code();
    };
  }

  private void noReplyOp(int opcode, long unique, long nodeid) {
    switch (opcode) {
      case FORGET -> fs.forget(nodeid, inBuf.getLong(IN_HEADER));
      case BATCH_FORGET -> {
        int count = inBuf.getInt(IN_HEADER);
        int p = IN_HEADER + 8;
        for (int i = 0; i < count && p + 16 <= len; i++, p += 16) {
          long ino = inBuf.getLong(p);
          long nl = inBuf.getLong(p + 8);
          try {
            fs.forget(ino, nl);
          } catch (RuntimeException e) {
            LOG.error("FUSE forget of node {} failed", ino, e);
          }
        }
      }
      case INTERRUPT -> {
        long target = inBuf.getLong(IN_HEADER);
        KernelRequest c = inFlight.get(target);
        if (c != null) {
          c.interrupt();
        } else {
          // Not read yet by another reader, or already answered: EAGAIN makes the kernel resend it if the
          // request is still outstanding (and fails harmlessly with ENOENT if not).
          out.error(unique, EAGAIN);
        }
      }
      default -> { } // NOTIFY_REPLY: we never ask for retrieves
    }
  }

  // ---------------------------------------------------------------- request decoding

  private String cstr(int from) {
    int end = from;
    while (end < len && inBuf.get(end) != 0) {
      end++;
    }
    byte[] b = new byte[end - from];
    inBuf.get(from, b);
    return new String(b, StandardCharsets.UTF_8);
  }

  /** Offset just after the NUL of the string starting at {@code from}. */
  private int after(int from) {
    int end = from;
    while (end < len && inBuf.get(end) != 0) {
      end++;
    }
    return end + 1;
  }

  private void dispatch(KernelRequest ctx, int opcode, long node, int b) {
    long u = ctx.unique();
    switch (opcode) {
      case INIT -> init(u, b);
      case DESTROY -> {
        connection.destroy();
        out.empty(u);
      }
      case LOOKUP -> lookup(ctx, node, cstr(b));
      case GETATTR -> {
        int flags = inBuf.getInt(b);
        OptionalLong fh = (flags & GETATTR_FH) != 0 ? OptionalLong.of(inBuf.getLong(b + 8)) : OptionalLong.empty();
        out.attr(u, fs.getattr(ctx, node, fh));
      }
      case SETATTR -> out.attr(u, fs.setattr(ctx, node, setAttr(b)));
      case READLINK -> {
        byte[] target = fs.readlink(ctx, node).getBytes(StandardCharsets.UTF_8);
        out.begin().put(target);
        out.send(u);
      }
      case SYMLINK -> {
        String n = cstr(b);
        String target = cstr(after(b));
        out.entry(u, fs.symlink(ctx, node, n, target));
      }
      case MKNOD -> {
        int mode = inBuf.getInt(b);
        int rdev = inBuf.getInt(b + 4);
        out.entry(u, fs.mknod(ctx, node, cstr(b + 16), mode, rdev));
      }
      case MKDIR -> {
        int mode = (inBuf.getInt(b) & 07777) | Attr.S_IFDIR;
        out.entry(u, fs.mkdir(ctx, node, cstr(b + 8), mode));
      }
      case UNLINK -> {
        fs.unlink(ctx, node, cstr(b));
        out.empty(u);
      }
      case RMDIR -> {
        fs.rmdir(ctx, node, cstr(b));
        out.empty(u);
      }
      case RENAME, RENAME2 -> {
        long newDir = inBuf.getLong(b);
        int flags = opcode == RENAME2 ? inBuf.getInt(b + 8) : 0;
        int p = b + (opcode == RENAME2 ? 16 : 8);
        String from = cstr(p);
        String to = cstr(after(p));
        fs.rename(ctx, node, from, newDir, to, flags);
        out.empty(u);
      }
      case LINK -> out.entry(u, fs.link(ctx, inBuf.getLong(b), node, cstr(b + 8)));
      case OPEN, OPENDIR -> {
        int flags = inBuf.getInt(b);
        OpenReply r = opcode == OPEN ? fs.open(ctx, node, flags) : fs.opendir(ctx, node, flags);
        out.open(u, r, opcode == OPEN);
      }
      case READ -> read(ctx, node, b);
      case WRITE -> write(ctx, node, b);
      case STATFS -> out.statfs(u, fs.statfs(ctx, node));
      case RELEASE -> {
        fs.release(ctx, node, inBuf.getLong(b), inBuf.getInt(b + 8));
        out.empty(u);
      }
      case RELEASEDIR -> {
        fs.releasedir(ctx, node, inBuf.getLong(b));
        out.empty(u);
      }
      case FSYNC -> {
        fs.fsync(ctx, node, inBuf.getLong(b), (inBuf.getInt(b + 8) & 1) != 0);
        out.empty(u);
      }
      case FSYNCDIR -> {
        fs.fsyncdir(ctx, node, inBuf.getLong(b), (inBuf.getInt(b + 8) & 1) != 0);
        out.empty(u);
      }
      case FLUSH -> {
        fs.flush(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 16));
        out.empty(u);
      }
      case SETXATTR -> setxattr(ctx, node, b);
      case GETXATTR -> {
        int size = inBuf.getInt(b);
        out.sized(u, size, fs.getxattr(ctx, node, cstr(b + 8)));
      }
      case LISTXATTR -> {
        int size = inBuf.getInt(b);
        ByteArrayOutputStream names = new ByteArrayOutputStream();
        for (String s : fs.listxattr(ctx, node)) {
          names.writeBytes(s.getBytes(StandardCharsets.UTF_8));
          names.write(0);
        }
        out.sized(u, size, names.toByteArray());
      }
      case REMOVEXATTR -> {
        fs.removexattr(ctx, node, cstr(b));
        out.empty(u);
      }
      case ACCESS -> {
        fs.access(ctx, node, inBuf.getInt(b));
        out.empty(u);
      }
      case CREATE -> {
        int flags = inBuf.getInt(b);
        int mode = inBuf.getInt(b + 4);
        CreateReply r = fs.create(ctx, node, cstr(b + 16), mode, flags);
        out.begin();
        out.putEntry(r.entry());
        out.putOpen(r.open(), true);
        out.send(u);
      }
      case READDIR -> readdir(ctx, node, b, false);
      case READDIRPLUS -> readdir(ctx, node, b, true);
      case FALLOCATE -> {
        fs.fallocate(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 8), inBuf.getLong(b + 16),
            inBuf.getInt(b + 24));
        out.empty(u);
      }
      case LSEEK -> {
        long r = fs.lseek(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 8), inBuf.getInt(b + 16));
        out.begin().putLong(r);
        out.send(u);
      }
      default -> throw CatenaException.of(Errno.ENOSYS, "opcode %s not supported", opName(opcode));
    }
  }

  /** A missing name becomes a negative entry the kernel remembers when the mount has a negative timeout. */
  private void lookup(RequestContext ctx, long parent, String name) {
    long u = ctx.unique();
    Entry e;
    try {
      e = fs.lookup(ctx, parent, name);
    } catch (CatenaException ex) {
      if (ex.errno() == Errno.ENOENT && !opts.negativeTimeout().isZero()) {
        out.negativeEntry(u, opts.negativeTimeout());
        return;
      }
      throw ex;
    }
    if (e.ino() == 0) {
      out.negativeEntry(u, e.entryTimeout() == null ? opts.negativeTimeout() : e.entryTimeout());
      return;
    }
    out.entry(u, e);
  }

  private SetAttr setAttr(int b) {
    int valid = inBuf.getInt(b);
    long fh = inBuf.getLong(b + 8);
    long size = inBuf.getLong(b + 16);
    long atime = inBuf.getLong(b + 32);
    long mtime = inBuf.getLong(b + 40);
    long ctime = inBuf.getLong(b + 48);
    int atimensec = inBuf.getInt(b + 56);
    int mtimensec = inBuf.getInt(b + 60);
    int ctimensec = inBuf.getInt(b + 64);
    int mode = inBuf.getInt(b + 68);
    int uid = inBuf.getInt(b + 76);
    int gid = inBuf.getInt(b + 80);
    return new SetAttr(valid, mode, uid, gid, size, atime, atimensec, mtime, mtimensec, ctime, ctimensec,
        (valid & SetAttr.FH) != 0 ? OptionalLong.of(fh) : OptionalLong.empty());
  }

  private void init(long u, int b) {
    int major = inBuf.getInt(b);
    int minor = inBuf.getInt(b + 4);
    int kernelReadahead = inBuf.getInt(b + 8);
    int kernelFlags = inBuf.getInt(b + 12);
    if (major != KERNEL_MAJOR || minor < MIN_KERNEL_MINOR) {
      LOG.error("kernel FUSE protocol {}.{} is not supported (need {}.{}+)", major, minor, KERNEL_MAJOR,
          MIN_KERNEL_MINOR);
      connection.initRefused(CatenaException.of(Errno.EPROTO, "kernel FUSE protocol %d.%d is older than 7.%d",
          major, minor, MIN_KERNEL_MINOR));
      out.error(u, Errno.EPROTO.code());
      return;
    }
    // HANDLE_KILLPRIV_V2: the file system drops suid/sgid on write, truncate and chown (Linux file_remove_privs);
    // without it the kernel would do it with a chmod in the writer's name, which a non-owner may not do.
    int want = ASYNC_READ | ATOMIC_O_TRUNC | BIG_WRITES | PARALLEL_DIROPS | MAX_PAGES | CACHE_SYMLINKS
        | ASYNC_DIO | AUTO_INVAL_DATA | HANDLE_KILLPRIV_V2;
    if (overridesReaddirplus(fs)) {
      want |= DO_READDIRPLUS | READDIRPLUS_AUTO;
    }
    if (opts.writebackCache()) {
      want |= WRITEBACK_CACHE;
    }
    // Not asked: POSIX/FLOCK locks (the kernel keeps them node-local), POSIX_ACL, EXPORT_SUPPORT.
    int flags = want & kernelFlags;
    int protoMinor = Math.min(minor, KERNEL_MINOR);
    ByteBuffer reply = out.begin();
    reply.putInt(KERNEL_MAJOR).putInt(protoMinor).putInt(Math.min(kernelReadahead, opts.maxReadahead()))
        .putInt(flags).putShort((short) opts.maxBackground()).putShort((short) (opts.maxBackground() * 3 / 4))
        .putInt(opts.maxWrite()).putInt(1).putShort((short) Math.max(1, opts.maxWrite() / 4096))
        .putShort((short) 0).putInt(0);
    for (int i = 0; i < 7; i++) {
      reply.putInt(0);
    }
    out.send(u);
    connection.initialized(minor, protoMinor, flags);
  }

  /** The mount asks the kernel for readdirplus only when the file system implements it. */
  private static boolean overridesReaddirplus(FuseFileSystem fs) {
    return overrides(fs, "readdirplus", RequestContext.class, long.class, long.class, long.class,
        DirPlusFiller.class);
  }

  private static boolean overrides(FuseFileSystem fs, String method, Class<?>... params) {
    try {
      return fs.getClass().getMethod(method, params).getDeclaringClass() != FuseFileSystem.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  private void read(KernelRequest ctx, long node, int b) {
    long fh = inBuf.getLong(b);
    long off = inBuf.getLong(b + 8);
    if (asyncReads) {
      readAsync(ctx, node, fh, off, Math.min(inBuf.getInt(b + 16), replies.maxPayload()));
      return;
    }
    ByteBuffer scratch = out.readScratch(inBuf.getInt(b + 16));
    int size = scratch.capacity();
    out.data(ctx.unique(), fs.read(ctx, node, fh, off, size, scratch), size);
  }

  /**
   * Starts the read and returns to the device: the reply is written by the thread that completes it, so a deep
   * queue of reads needs neither a reader per read nor a wake-up of the reader for each answer.
   */
  private void readAsync(KernelRequest ctx, long node, long fh, long off, int size) {
    long start = System.nanoTime();
    ByteBuffer buf = replies.buffer(size);
    java.util.concurrent.CompletableFuture<ByteBuffer> f;
    try {
      f = fs.readAsync(ctx, node, fh, off, size, buf);
    } catch (Throwable t) {
      replies.release(buf);
      throw t;
    }
    answerLater = true;
    long unique = ctx.unique();
    f.whenComplete((data, err) -> {
      int errno = 0;
      try {
        if (err != null) {
          errno = failed(err, READ, unique, node);
          replies.error(unique, errno);
        } else if (data != null && data.hasRemaining() && !data.isDirect()) {
          errno = failed(new IllegalStateException("an asynchronous read answered a heap buffer"), READ, unique,
              node);
          replies.error(unique, errno);
        } else {
          replies.data(unique, data, size);
        }
      } catch (Throwable t) {
        LOG.error("answering FUSE READ unique {} failed", unique, t);
      } finally {
        replies.release(buf);
        inFlight.remove(unique);
        metrics.record(READ, start, errno);
      }
    });
  }

  private void write(RequestContext ctx, long node, int b) {
    long fh = inBuf.getLong(b);
    long off = inBuf.getLong(b + 8);
    int size = inBuf.getInt(b + 16);
    int writeFlags = inBuf.getInt(b + 20);
    int flags = inBuf.getInt(b + 32);
    int data = b + 40;
    if (data + size > len) {
      throw CatenaException.of(Errno.EINVAL, "write of %d bytes in a %d-byte request", size, len);
    }
    if ((writeFlags & WRITE_KILL_SUIDGID) != 0) { // sent only when INIT agreed on HANDLE_KILLPRIV_V2
      fs.killPrivileges(ctx, node, fh);
    }
    int n = fs.write(ctx, node, fh, off, inBuf.slice(data, size), flags);
    out.begin().putInt(n).putInt(0);
    out.send(ctx.unique());
  }

  private void setxattr(RequestContext ctx, long node, int b) {
    // Without FUSE_SETXATTR_EXT the kernel sends the 8-byte compat header.
    int size = inBuf.getInt(b);
    int flags = inBuf.getInt(b + 4);
    String n = cstr(b + 8);
    int v = after(b + 8);
    if (v + size > len) {
      throw CatenaException.of(Errno.EINVAL, "xattr value of %d bytes in a %d-byte request", size, len);
    }
    byte[] value = new byte[size];
    inBuf.get(v, value);
    fs.setxattr(ctx, node, n, value, flags);
    out.empty(ctx.unique());
  }

  private void readdir(RequestContext ctx, long node, int b, boolean plus) {
    long fh = inBuf.getLong(b);
    long off = inBuf.getLong(b + 8);
    out.beginDirectory(inBuf.getInt(b + 16));
    if (plus) {
      fs.readdirplus(ctx, node, fh, off, out::direntPlus);
    } else {
      fs.readdir(ctx, node, fh, off, out::dirent);
    }
    out.send(ctx.unique());
  }
}
