package io.catena.fuse.kernel;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.FuseNotifier;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One kernel FUSE connection: reader threads that read requests from the {@code /dev/fuse} descriptor and hand each
 * to their {@link FuseCodec}, which calls the {@link FuseFileSystem} and writes the reply. Starts with one reader and
 * adds one when every reader is busy and the kernel already holds another request (poll on the device), up to
 * {@code maxThreads}: a second thread ping-ponging one synchronous stream halved write speed on 2 cores, and "add
 * when all are busy" alone grew one dd stream to 7 readers, so threads appear only when requests actually queue. A
 * grower thread repeats that check every 10 ms while every reader is busy, so a file system call that blocks (a dead
 * server) cannot starve other requests or the kernel's INTERRUPT for it; it parks while any reader is idle. Idle
 * readers stay. The loop stops only when the kernel ends the connection (ENODEV after unmount or abort).
 * Thread-safe.
 */
public final class FuseSession {
  private static final Logger LOG = LoggerFactory.getLogger(FuseSession.class);
  private static final int ENOENT = 2;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENODEV = 19;
  private static final long GROW_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);
  private static final long MAX_THREADS_RECHECK_NANOS = TimeUnit.SECONDS.toNanos(1);

  /** What the mount asks of the kernel; {@code null} timeouts are not allowed here. */
  public record Options(int maxWrite, int maxReadahead, int maxThreads, int maxBackground, Duration entryTimeout,
      Duration attrTimeout, Duration negativeTimeout, boolean directIo, boolean writebackCache) {}

  private final int fd;
  private final FuseFileSystem fs;
  private final Options opts;
  private final FuseMetrics metrics;
  private final GroupCache groups = new GroupCache(TimeUnit.SECONDS.toNanos(1));
  private final ConcurrentHashMap<Long, KernelRequest> inFlight = new ConcurrentHashMap<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final AtomicInteger idle = new AtomicInteger();
  private final AtomicInteger threadIds = new AtomicInteger();
  private final CompletableFuture<Void> initialized = new CompletableFuture<>();
  private final CompletableFuture<Void> stopped = new CompletableFuture<>();
  private final KernelNotifier notifier;
  private final AsyncReplies replies;
  private final String name;
  private final Path mountpoint;
  private final Thread grower;
  private volatile boolean growerParked;
  private final AtomicBoolean destroyed = new AtomicBoolean();
  private volatile int negotiatedFlags;
  private final FuseCodec.Connection connection = new FuseCodec.Connection() {
    @Override
    public void initialized(int kernelMinor, int protoMinor, int flags) {
      negotiatedFlags = flags;
      // Only this reader exists until INIT completes, so init runs before any other request is read, and the
      // kernel already accepts notifications from it.
      try {
        fs.init(notifier, mountpoint);
      } catch (RuntimeException e) {
        LOG.error("file system init failed; serving anyway", e);
      }
      LOG.info("FUSE {} connected: kernel protocol 7.{}, speaking 7.{}, flags {}, max_write {}", name, kernelMinor,
          protoMinor, Integer.toHexString(flags), opts.maxWrite());
      FuseSession.this.initialized.complete(null);
    }

    @Override
    public void initRefused(CatenaException reason) {
      FuseSession.this.initialized.completeExceptionally(reason);
    }

    @Override
    public void destroy() {
      destroyOnce();
    }
  };

  public FuseSession(int fd, FuseFileSystem fs, Options opts, String name) {
    this(fd, fs, opts, name, null);
  }

  /** @param mountpoint where the connection is mounted, handed to {@link FuseFileSystem#init(FuseNotifier,
   *     java.nio.file.Path)} (may be null when unknown) */
  public FuseSession(int fd, FuseFileSystem fs, Options opts, String name, Path mountpoint) {
    this(fd, fs, opts, name, mountpoint, FuseMetrics.discarding());
  }

  /** As above, counting every request in {@code metrics}. */
  public FuseSession(int fd, FuseFileSystem fs, Options opts, String name, Path mountpoint, FuseMetrics metrics) {
    this.metrics = metrics;
    this.mountpoint = mountpoint;
    this.fd = fd;
    this.fs = fs;
    this.opts = opts;
    this.name = name;
    this.notifier = new KernelNotifier(fd);
    this.replies = new AsyncReplies(fd, opts.maxWrite() + 4096 - FuseKernel.OUT_HEADER);
    this.grower = Thread.ofPlatform().daemon(true).name("fuse-" + name + "-grow").unstarted(this::grow);
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

  /** Starts the first reader, which answers the kernel's INIT. */
  public void start() {
    spawn();
    grower.start();
  }

  private void grow() {
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment pollfd = arena.allocate(8, 8);
      while (!stopped.isDone()) {
        if (threads.get() >= opts.maxThreads()) {
          // Nothing to add; readers never leave before the connection ends, whose last reader unparks this. The
          // timeout only bounds the wait should one die. (Looping here without parking burned a core whenever
          // every reader was busy.)
          LockSupport.parkNanos(this, MAX_THREADS_RECHECK_NANOS);
          continue;
        }
        if (idle.get() > 0) {
          growerParked = true;
          if (idle.get() > 0 && !stopped.isDone()) {
            LockSupport.park(this);
          }
          growerParked = false;
          continue;
        }
        LockSupport.parkNanos(this, GROW_CHECK_NANOS);
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

  /**
   * Stops writing replies of requests still being answered asynchronously; call it before closing the device, whose
   * descriptor number another file may get next.
   */
  public void sealReplies() {
    replies.seal();
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
            .unstarted(new Reader());
        t.start();
        return;
      }
      n = threads.get();
    }
  }

  /** One reader thread: reads a request, serves it through its codec, and adds a reader when requests queue. */
  private final class Reader implements Runnable {
    private final Arena arena = Arena.ofShared();
    private final FuseCodec codec = new FuseCodec(fd, fs, opts, groups, inFlight, connection, arena, metrics,
        replies);
    private final MemorySegment pollfd = arena.allocate(8, 8);

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
          LockSupport.unpark(grower);
        }
        arena.close();
      }
    }

    private void loop() {
      MemorySegment in = codec.input();
      while (true) {
        idle.incrementAndGet();
        long n = Native.read(fd, in, in.byteSize());
        int nowIdle = idle.decrementAndGet();
        if (nowIdle == 0 && growerParked) {
          LockSupport.unpark(grower);
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
        codec.handle((int) n);
      }
    }
  }
}
