package io.catena.fuse.kernel;

import static io.catena.fuse.kernel.FuseKernel.*;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.fuse.AttrReply;
import io.catena.fuse.CreateReply;
import io.catena.fuse.DirFiller;
import io.catena.fuse.DirPlusFiller;
import io.catena.fuse.Entry;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.FuseNotifier;
import io.catena.fuse.OpenReply;
import io.catena.fuse.RequestContext;
import io.catena.fuse.SetAttr;
import io.catena.fuse.StatFs;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kernel FUSE connection: reader threads that read requests from the {@code /dev/fuse} descriptor, call the
 * {@link FuseFileSystem} and write replies with writev. Starts with one reader and adds one when every reader is
 * busy and the kernel already holds another request (poll on the device), up to {@code maxThreads}: a second
 * thread ping-ponging one synchronous stream halved write speed on 2 cores, and "add when all are busy" alone grew
 * one dd stream to 7 readers, so threads appear only when requests actually queue. A grower thread repeats that
 * check every 10 ms while every reader is busy, so a file system call that blocks (a dead server) cannot starve
 * other requests or the kernel's INTERRUPT for it; it parks while any reader is idle. Idle readers stay. Every failure of one request becomes an errno
 * reply and a log line; the loop stops only when the kernel ends the connection (ENODEV after unmount or abort).
 * Thread-safe.
 */
public final class FuseSession {
  private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
  private static final int ENOENT = 2;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENODEV = 19;

  /** What the mount asks of the kernel; {@code null} timeouts are not allowed here. */
  public record Options(int maxWrite, int maxReadahead, int maxThreads, int maxBackground, Duration entryTimeout,
      Duration attrTimeout, Duration negativeTimeout, boolean directIo, boolean writebackCache) {}

  /** Answers POSIX programs expect in normal operation: not worth a log line above debug. */
  private static final java.util.Set<Errno> ORDINARY = java.util.EnumSet.of(Errno.ENOENT, Errno.EEXIST,
      Errno.ENOTEMPTY, Errno.EACCES, Errno.EPERM, Errno.ENODATA, Errno.ERANGE, Errno.ENOSYS, Errno.EINTR,
      Errno.EAGAIN, Errno.EISDIR, Errno.ENOTDIR, Errno.EINVAL, Errno.ENAMETOOLONG, Errno.EXDEV, Errno.EOPNOTSUPP,
      Errno.ELOOP, Errno.EMLINK, Errno.ETXTBSY, Errno.EROFS, Errno.EBADF, Errno.ESPIPE);

  private final int fd;
  private final FuseFileSystem fs;
  private final Options opts;
  private final boolean fsHasReaddirplus;
  private final GroupCache groups = new GroupCache(TimeUnit.SECONDS.toNanos(1));
  private final ConcurrentHashMap<Long, Ctx> inflight = new ConcurrentHashMap<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final AtomicInteger idle = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();
  private final CompletableFuture<Void> initialized = new CompletableFuture<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final Notifier notifier = new Notifier();
  private final String name;
  private final java.nio.file.Path mountpoint;
  private final Thread grower;
  private volatile boolean growerParked;
  private final java.util.concurrent.atomic.AtomicBoolean destroyed = new java.util.concurrent.atomic.AtomicBoolean();
  private volatile int protoMinor;
  private volatile int negotiatedFlags;

  public FuseSession(int fd, FuseFileSystem fs, Options opts, String name) {
    this(fd, fs, opts, name, null);
  }

  /** @param mountpoint where the connection is mounted, handed to {@link FuseFileSystem#init(FuseNotifier,
   *     java.nio.file.Path)} (may be null when unknown) */
  public FuseSession(int fd, FuseFileSystem fs, Options opts, String name, java.nio.file.Path mountpoint) {
    this.mountpoint = mountpoint;
    this.fd = fd;
    this.fs = fs;
    this.opts = opts;
    this.name = name;
    this.grower = Thread.ofPlatform().daemon(true).name("fuse-" + name + "-grow").unstarted(this::grow);
    this.fsHasReaddirplus = overrides(fs, "readdirplus", RequestContext.class, long.class, long.class, long.class,
        DirPlusFiller.class);
  }

  /** The kernel sends DESTROY only for block-device mounts; every other mount ends when the last reader stops. */
  private void destroyOnce() {
    if (destroyed.compareAndSet(false, true) && initialized.isDone() && !initialized.isCompletedExceptionally()) {
      try {
        fs.destroy();
      } catch (RuntimeException e) {
        LOG.error("file system destroy failed", e);
      }
    }
  }

  private static boolean overrides(Object o, String method, Class<?>... params) {
    try {
      return o.getClass().getMethod(method, params).getDeclaringClass() != FuseFileSystem.class;
    } catch (NoSuchMethodException e) {
      return false;
    }
  }

  /** Starts the first reader, which answers the kernel's INIT. */
  public void start() {
    spawn();
    grower.start();
  }

  private static final long GROW_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

  private void grow() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment pollfd = arena.allocate(8, 8);
      while (!stopped.isDone()) {
        if (idle.get() > 0 || threads.get() >= opts.maxThreads()) {
          growerParked = true;
          if (idle.get() > 0 && !stopped.isDone()) {
            java.util.concurrent.locks.LockSupport.park(this);
          }
          growerParked = false;
          continue;
        }
        java.util.concurrent.locks.LockSupport.parkNanos(this, GROW_CHECK_NANOS);
        if (idle.get() == 0 && threads.get() < opts.maxThreads() && initialized.isDone()
            && Native.readable(fd, pollfd)) {
          LOG.debug("all {} readers busy with requests waiting; adding one", threads.get());
          spawn();
        }
      }
    } catch (Throwable t) {
      LOG.error("FUSE reader grower stopped", t);
    }
  }

  /** Completes when INIT was answered (exceptionally if the kernel's protocol is too old). */
  public CompletableFuture<Void> initialized() {
    return initialized;
  }

  /** Completes when every reader has stopped: the kernel ended the connection. */
  public CompletableFuture<Void> stopped() {
    return stopped;
  }

  public FuseNotifier notifier() {
    return notifier;
  }

  /** Reader threads running now. */
  public int threads() {
    return Math.max(0, threads.get());
  }

  /** The INIT flags both sides agreed on. */
  public int negotiatedFlags() {
    return negotiatedFlags;
  }

  private void spawn() {
    int n = threads.get();
    // threads == -1 seals the session once the last reader left: the device may be closed and its fd number
    // reused, so no reader may start after that.
    while (n >= 0 && n < opts.maxThreads() && (n > 0 || !initialized.isDone())) {
      if (threads.compareAndSet(n, n + 1)) {
        Thread t = Thread.ofPlatform().daemon(true).name("fuse-" + name + "-" + threadIds.incrementAndGet())
            .unstarted(new Worker());
        t.start();
        return;
      }
      n = threads.get();
    }
  }

  // ---------------------------------------------------------------- the per-request context

  private final class Ctx implements RequestContext {
    final long unique;
    final int opcode;
    final int uid;
    final int gid;
    final int pid;
    private int[] groupIds;
    private volatile boolean interrupted;
    private List<Runnable> actions;

    Ctx(long unique, int opcode, int uid, int gid, int pid) {
      this.unique = unique;
      this.opcode = opcode;
      this.uid = uid;
      this.gid = gid;
      this.pid = pid;
    }

    @Override public long unique() {
      return unique;
    }

    @Override public int opcode() {
      return opcode;
    }

    @Override public int uid() {
      return uid;
    }

    @Override public int gid() {
      return gid;
    }

    @Override public int pid() {
      return pid;
    }

    @Override public synchronized int[] groups() {
      if (groupIds == null) {
        groupIds = groups.groups(pid);
      }
      return groupIds;
    }

    @Override public boolean isInterrupted() {
      return interrupted;
    }

    @Override public void onInterrupt(Runnable action) {
      synchronized (this) {
        if (!interrupted) {
          if (actions == null) {
            actions = new java.util.ArrayList<>(1);
          }
          actions.add(action);
          return;
        }
      }
      action.run();
    }

    void interrupt() {
      List<Runnable> run;
      synchronized (this) {
        if (interrupted) {
          return;
        }
        interrupted = true;
        run = actions;
        actions = null;
      }
      if (run != null) {
        for (Runnable r : run) {
          try {
            r.run();
          } catch (RuntimeException e) {
            LOG.warn("interrupt action of request {} failed", unique, e);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- one reader thread

  private final class Worker implements Runnable {
    private final Arena arena = Arena.ofShared();
    private final MemorySegment in = arena.allocate(opts.maxWrite() + 4096L, 4096);
    private final ByteBuffer inBuf = in.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment out = arena.allocate(opts.maxWrite() + 4096L, 4096);
    private final ByteBuffer outBuf = out.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    private final MemorySegment iov = arena.allocate(32, 8);
    private final MemorySegment pollfd = arena.allocate(8, 8);
    private int len;

    @Override
    public void run() {
      try {
        loop();
      } catch (Throwable t) {
        LOG.error("FUSE reader {} died", Thread.currentThread().getName(), t);
      } finally {
        if (threads.decrementAndGet() == 0 && threads.compareAndSet(0, -1)) {
          initialized.completeExceptionally(CatenaException.of(Errno.ENODEV, "FUSE connection ended before INIT"));
          destroyOnce();
          stopped.complete(null);
          java.util.concurrent.locks.LockSupport.unpark(grower);
        }
        arena.close();
      }
    }

    private void loop() {
      while (true) {
        idle.incrementAndGet();
        long n = Native.read(fd, in, in.byteSize());
        int nowIdle = idle.decrementAndGet();
        if (nowIdle == 0 && growerParked) {
          java.util.concurrent.locks.LockSupport.unpark(grower);
        }
        if (n < 0) {
          int e = (int) -n;
          if (e == EINTR || e == EAGAIN || e == ENOENT) {
            continue; // ENOENT: the request was interrupted before we could read it
          }
          if (e == ENODEV) {
            LOG.debug("FUSE connection {} ended", name);
          } else {
            LOG.error("reading /dev/fuse failed: {} (errno {}); stopping reader", Errno.fromCode(e), e);
          }
          return;
        }
        if (nowIdle == 0 && initialized.isDone() && threads.get() < opts.maxThreads()
            && Native.readable(fd, pollfd)) {
          try {
            spawn();
          } catch (Throwable t) {
            LOG.error("could not add a FUSE reader; serving with {}", threads.get(), t);
          }
        }
        len = (int) n;
        handle();
      }
    }

    private void handle() {
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
      Ctx ctx = new Ctx(unique, opcode, inBuf.getInt(24), inBuf.getInt(28), inBuf.getInt(32));
      inflight.put(unique, ctx);
      try {
        dispatch(ctx, opcode, nodeid, IN_HEADER + (Short.toUnsignedInt(inBuf.getShort(36)) * 8));
      } catch (CatenaException e) {
        if (ORDINARY.contains(e.errno())) {
          if (LOG.isDebugEnabled()) {
            LOG.debug("FUSE {} unique {} node {}: {}", opName(opcode), unique, nodeid, e.status());
          }
        } else {
          LOG.warn("FUSE {} unique {} node {} failed: {}", opName(opcode), unique, nodeid, e.status());
        }
        replyError(unique, errnoReply(e.errno()));
      } catch (Throwable t) {
        LOG.error("FUSE {} unique {} node {} failed; answering EIO", opName(opcode), unique, nodeid, t);
        replyError(unique, Errno.EIO.code());
      } finally {
        inflight.remove(unique);
      }
    }

    private static int errnoReply(Errno e) {
      // The kernel only takes -1..-511; OK is never an error here (CatenaException forbids it).
      int code = e.code();
      return code > 0 && code < 512 ? code : Errno.EIO.code();
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
          Ctx c = inflight.get(target);
          if (c != null) {
            c.interrupt();
          } else {
            // Not read yet by another reader, or already answered: EAGAIN makes the kernel resend it if the
            // request is still outstanding (and fails harmlessly with ENOENT if not).
            replyError(unique, EAGAIN);
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

    private void dispatch(Ctx ctx, int opcode, long node, int b) {
      long u = ctx.unique;
      switch (opcode) {
        case INIT -> init(u, b);
        case DESTROY -> {
          destroyOnce();
          replyEmpty(u);
        }
        case LOOKUP -> {
          String n = cstr(b);
          Entry e;
          try {
            e = fs.lookup(ctx, node, n);
          } catch (CatenaException ex) {
            if (ex.errno() == Errno.ENOENT && !opts.negativeTimeout().isZero()) {
              replyNegativeEntry(u, opts.negativeTimeout());
              return;
            }
            throw ex;
          }
          if (e.ino() == 0) {
            replyNegativeEntry(u, e.entryTimeout() == null ? opts.negativeTimeout() : e.entryTimeout());
            return;
          }
          replyEntry(u, e);
        }
        case GETATTR -> {
          int flags = inBuf.getInt(b);
          OptionalLong fh = (flags & GETATTR_FH) != 0 ? OptionalLong.of(inBuf.getLong(b + 8)) : OptionalLong.empty();
          replyAttr(u, fs.getattr(ctx, node, fh));
        }
        case SETATTR -> replyAttr(u, fs.setattr(ctx, node, setAttr(b)));
        case READLINK -> {
          byte[] t = fs.readlink(ctx, node).getBytes(StandardCharsets.UTF_8);
          begin();
          outBuf.put(t);
          send(u);
        }
        case SYMLINK -> {
          String n = cstr(b);
          String target = cstr(after(b));
          replyEntry(u, fs.symlink(ctx, node, n, target));
        }
        case MKNOD -> {
          int mode = inBuf.getInt(b);
          int rdev = inBuf.getInt(b + 4);
          replyEntry(u, fs.mknod(ctx, node, cstr(b + 16), mode, rdev));
        }
        case MKDIR -> {
          int mode = (inBuf.getInt(b) & 07777) | Attr.S_IFDIR;
          replyEntry(u, fs.mkdir(ctx, node, cstr(b + 8), mode));
        }
        case UNLINK -> {
          fs.unlink(ctx, node, cstr(b));
          replyEmpty(u);
        }
        case RMDIR -> {
          fs.rmdir(ctx, node, cstr(b));
          replyEmpty(u);
        }
        case RENAME, RENAME2 -> {
          long newDir = inBuf.getLong(b);
          int flags = opcode == RENAME2 ? inBuf.getInt(b + 8) : 0;
          int p = b + (opcode == RENAME2 ? 16 : 8);
          String from = cstr(p);
          String to = cstr(after(p));
          fs.rename(ctx, node, from, newDir, to, flags);
          replyEmpty(u);
        }
        case LINK -> replyEntry(u, fs.link(ctx, inBuf.getLong(b), node, cstr(b + 8)));
        case OPEN, OPENDIR -> {
          int flags = inBuf.getInt(b);
          OpenReply r = opcode == OPEN ? fs.open(ctx, node, flags) : fs.opendir(ctx, node, flags);
          replyOpen(u, r, opcode == OPEN);
        }
        case READ -> read(ctx, node, b);
        case WRITE -> {
          long fh = inBuf.getLong(b);
          long off = inBuf.getLong(b + 8);
          int size = inBuf.getInt(b + 16);
          int flags = inBuf.getInt(b + 32);
          int data = b + 40;
          if (data + size > len) {
            throw CatenaException.of(Errno.EINVAL, "write of %d bytes in a %d-byte request", size, len);
          }
          int n = fs.write(ctx, node, fh, off, inBuf.slice(data, size), flags);
          begin();
          outBuf.putInt(n).putInt(0);
          send(u);
        }
        case STATFS -> {
          StatFs s = fs.statfs(ctx, node);
          begin();
          outBuf.putLong(s.blocks()).putLong(s.bfree()).putLong(s.bavail()).putLong(s.files()).putLong(s.ffree())
              .putInt(s.bsize()).putInt(s.namelen()).putInt(s.frsize()).putInt(0);
          for (int i = 0; i < 6; i++) {
            outBuf.putInt(0);
          }
          send(u);
        }
        case RELEASE -> {
          fs.release(ctx, node, inBuf.getLong(b), inBuf.getInt(b + 8));
          replyEmpty(u);
        }
        case RELEASEDIR -> {
          fs.releasedir(ctx, node, inBuf.getLong(b));
          replyEmpty(u);
        }
        case FSYNC -> {
          fs.fsync(ctx, node, inBuf.getLong(b), (inBuf.getInt(b + 8) & 1) != 0);
          replyEmpty(u);
        }
        case FSYNCDIR -> {
          fs.fsyncdir(ctx, node, inBuf.getLong(b), (inBuf.getInt(b + 8) & 1) != 0);
          replyEmpty(u);
        }
        case FLUSH -> {
          fs.flush(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 16));
          replyEmpty(u);
        }
        case SETXATTR -> {
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
          replyEmpty(u);
        }
        case GETXATTR -> {
          int size = inBuf.getInt(b);
          replySized(u, size, fs.getxattr(ctx, node, cstr(b + 8)));
        }
        case LISTXATTR -> {
          int size = inBuf.getInt(b);
          List<String> names = fs.listxattr(ctx, node);
          java.io.ByteArrayOutputStream bo = new java.io.ByteArrayOutputStream();
          for (String s : names) {
            bo.writeBytes(s.getBytes(StandardCharsets.UTF_8));
            bo.write(0);
          }
          replySized(u, size, bo.toByteArray());
        }
        case REMOVEXATTR -> {
          fs.removexattr(ctx, node, cstr(b));
          replyEmpty(u);
        }
        case ACCESS -> {
          fs.access(ctx, node, inBuf.getInt(b));
          replyEmpty(u);
        }
        case CREATE -> {
          int flags = inBuf.getInt(b);
          int mode = inBuf.getInt(b + 4);
          CreateReply r = fs.create(ctx, node, cstr(b + 16), mode, flags);
          begin();
          putEntry(r.entry());
          putOpen(r.open(), true);
          send(u);
        }
        case READDIR -> readdir(ctx, node, b, false);
        case READDIRPLUS -> readdir(ctx, node, b, true);
        case FALLOCATE -> {
          fs.fallocate(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 8), inBuf.getLong(b + 16),
              inBuf.getInt(b + 24));
          replyEmpty(u);
        }
        case LSEEK -> {
          long r = fs.lseek(ctx, node, inBuf.getLong(b), inBuf.getLong(b + 8), inBuf.getInt(b + 16));
          begin();
          outBuf.putLong(r);
          send(u);
        }
        default -> throw CatenaException.of(Errno.ENOSYS, "opcode %s not supported", opName(opcode));
      }
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
        initialized.completeExceptionally(CatenaException.of(Errno.EPROTO,
            "kernel FUSE protocol %d.%d is older than 7.%d", major, minor, MIN_KERNEL_MINOR));
        replyError(u, Errno.EPROTO.code());
        return;
      }
      int want = ASYNC_READ | ATOMIC_O_TRUNC | BIG_WRITES | PARALLEL_DIROPS | MAX_PAGES | CACHE_SYMLINKS
          | ASYNC_DIO | AUTO_INVAL_DATA;
      if (fsHasReaddirplus) {
        want |= DO_READDIRPLUS | READDIRPLUS_AUTO;
      }
      if (opts.writebackCache()) {
        want |= WRITEBACK_CACHE;
      }
      // Not asked: POSIX/FLOCK locks (the kernel keeps them node-local), POSIX_ACL, EXPORT_SUPPORT, and
      // HANDLE_KILLPRIV(_V2): the kernel clears suid/sgid itself with a SETATTR on write/chown, so meta need not.
      int flags = want & kernelFlags;
      negotiatedFlags = flags;
      protoMinor = Math.min(minor, KERNEL_MINOR);
      begin();
      outBuf.putInt(KERNEL_MAJOR).putInt(protoMinor).putInt(Math.min(kernelReadahead, opts.maxReadahead()))
          .putInt(flags).putShort((short) opts.maxBackground()).putShort((short) (opts.maxBackground() * 3 / 4))
          .putInt(opts.maxWrite()).putInt(1).putShort((short) Math.max(1, opts.maxWrite() / 4096))
          .putShort((short) 0).putInt(0);
      for (int i = 0; i < 7; i++) {
        outBuf.putInt(0);
      }
      send(u);
      // Only this reader exists until INIT completes, so init runs before any other request is read, and the
      // kernel already accepts notifications from it.
      try {
        fs.init(notifier, mountpoint);
      } catch (RuntimeException e) {
        LOG.error("file system init failed; serving anyway", e);
      }
      LOG.info("FUSE {} connected: kernel protocol 7.{}, speaking 7.{}, flags {}, max_write {}", name, minor,
          protoMinor, Integer.toHexString(flags), opts.maxWrite());
      initialized.complete(null);
    }

    private void read(Ctx ctx, long node, int b) {
      long fh = inBuf.getLong(b);
      long off = inBuf.getLong(b + 8);
      int size = Math.min(inBuf.getInt(b + 16), (int) out.byteSize() - OUT_HEADER);
      ByteBuffer scratch = outBuf.slice(OUT_HEADER, size);
      ByteBuffer r = fs.read(ctx, node, fh, off, size, scratch);
      int n = r == null ? 0 : Math.min(r.remaining(), size);
      MemorySegment data;
      if (n == 0) {
        data = null;
      } else if (r.isDirect()) {
        data = MemorySegment.ofBuffer(r).asSlice(0, n);
      } else {
        // A heap buffer cannot go to writev: copy it behind the header.
        outBuf.put(OUT_HEADER, r, r.position(), n);
        data = out.asSlice(OUT_HEADER, n);
      }
      out.set(ValueLayout.JAVA_INT_UNALIGNED, 0, OUT_HEADER + n);
      out.set(ValueLayout.JAVA_INT_UNALIGNED, 4, 0);
      out.set(ValueLayout.JAVA_LONG_UNALIGNED, 8, ctx.unique);
      iov.set(ValueLayout.ADDRESS, 0, out);
      iov.set(ValueLayout.JAVA_LONG, 8, OUT_HEADER);
      int count = 1;
      if (data != null) {
        iov.set(ValueLayout.ADDRESS, 16, data);
        iov.set(ValueLayout.JAVA_LONG, 24, n);
        count = 2;
      }
      write(ctx.unique, count);
    }

    private void readdir(Ctx ctx, long node, int b, boolean plus) {
      long fh = inBuf.getLong(b);
      long off = inBuf.getLong(b + 8);
      int size = Math.min(inBuf.getInt(b + 16), (int) out.byteSize() - OUT_HEADER);
      int limit = OUT_HEADER + size;
      begin();
      if (plus) {
        fs.readdirplus(ctx, node, fh, off, (DirPlusFiller) (name, e, next) -> {
          byte[] nb = name.getBytes(StandardCharsets.UTF_8);
          int rec = align8(ENTRY_OUT_SIZE + DIRENT_BASE + nb.length);
          if (outBuf.position() + rec > limit) {
            return false;
          }
          int start = outBuf.position();
          putEntry(e);
          putDirent(e.ino(), next, nb, Attr.direntType(e.attr().mode()));
          outBuf.position(start + rec);
          return true;
        });
      } else {
        fs.readdir(ctx, node, fh, off, (DirFiller) (name, ino, mode, next) -> {
          byte[] nb = name.getBytes(StandardCharsets.UTF_8);
          int rec = align8(DIRENT_BASE + nb.length);
          if (outBuf.position() + rec > limit) {
            return false;
          }
          int start = outBuf.position();
          putDirent(ino, next, nb, Attr.direntType(mode));
          outBuf.position(start + rec);
          return true;
        });
      }
      send(ctx.unique);
    }

    private void putDirent(long ino, long next, byte[] name, int type) {
      int start = outBuf.position();
      outBuf.putLong(ino).putLong(next).putInt(name.length).putInt(type).put(name);
      int end = start + align8(DIRENT_BASE + name.length);
      while (outBuf.position() < end) {
        outBuf.put((byte) 0);
      }
    }

    // ---------------------------------------------------------------- replies

    private void begin() {
      outBuf.clear().position(OUT_HEADER);
    }

    private void send(long unique) {
      int n = outBuf.position();
      outBuf.putInt(0, n).putInt(4, 0).putLong(8, unique);
      iov.set(ValueLayout.ADDRESS, 0, out);
      iov.set(ValueLayout.JAVA_LONG, 8, n);
      write(unique, 1);
    }

    private void replyEmpty(long unique) {
      begin();
      send(unique);
    }

    private void replyError(long unique, int errno) {
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

    private void replySized(long unique, int size, byte[] value) {
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

    private void replyEntry(long unique, Entry e) {
      begin();
      putEntry(e);
      send(unique);
    }

    private void replyNegativeEntry(long unique, Duration timeout) {
      begin();
      outBuf.putLong(0).putLong(0);
      putDuration2(timeout, Duration.ZERO);
      for (int i = 0; i < ATTR_SIZE; i++) {
        outBuf.put((byte) 0);
      }
      send(unique);
    }

    private void replyAttr(long unique, AttrReply a) {
      begin();
      Duration t = a.timeout() == null ? opts.attrTimeout() : a.timeout();
      outBuf.putLong(secs(t)).putInt(nanos(t)).putInt(0);
      putAttr(a.attr());
      send(unique);
    }

    private void replyOpen(long unique, OpenReply r, boolean file) {
      begin();
      putOpen(r, file);
      send(unique);
    }

    private void putOpen(OpenReply r, boolean file) {
      int flags = r.flags();
      if (file && opts.directIo()) {
        flags |= OpenReply.DIRECT_IO;
      }
      outBuf.putLong(r.fh()).putInt(flags).putInt(0);
    }

    private void putEntry(Entry e) {
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

  // ---------------------------------------------------------------- notifications

  private final class Notifier implements FuseNotifier {
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
        ByteBuffer bb = a.allocate(OUT_HEADER + 16 + nb.length + 1, 8).asByteBuffer()
            .order(ByteOrder.LITTLE_ENDIAN);
        bb.position(OUT_HEADER);
        bb.putLong(parent).putInt(nb.length).putInt(0).put(nb).put((byte) 0);
        notify(a, bb, NOTIFY_INVAL_ENTRY, "entry " + parent + "/" + name);
      }
    }

    @Override
    public void deleteEntry(long parent, long child, String name) {
      byte[] nb = name.getBytes(StandardCharsets.UTF_8);
      try (Arena a = Arena.ofConfined()) {
        ByteBuffer bb = a.allocate(OUT_HEADER + 24 + nb.length + 1, 8).asByteBuffer()
            .order(ByteOrder.LITTLE_ENDIAN);
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
}
