package io.catena.fuse.usrbio;

import io.catena.client.OpenFile;
import io.catena.client.OpenFiles;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.RequestContext;
import io.catena.io.ring.IovName;
import io.catena.io.ring.Linux;
import io.catena.io.ring.RingLayout;
import io.catena.meta.UserInfo;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The native I/O registrations of one mount ({@code MNT/.catena-virt/iovs/}, docs/native-io.md): per key, a program's
 * shared buffer, its rings ({@link RingServer}) and its descriptors. A registration is a symlink(2) into iovs/ whose
 * name follows {@link IovName}'s grammar; unlink(2) ends it, and so does the end of the process that made it (a
 * reaper checks every {@code fuse.io.reap_interval}) or the unmount. Everything under one key belongs to one process
 * and its uid: the first registration decides, later ones must come from the same process.
 *
 * <p>Security: a buffer or ring file must be the caller's own regular file directly in /dev/shm ({@link ShmFile}).
 * A descriptor is registered only after /proc shows that the calling process holds it open on this very mount
 * (fdinfo's flags, mount and inode are read together, so a racing dup2 cannot mix two files); the daemon then opens
 * the file itself through meta as the caller's uid, gid and groups with the descriptor's access mode, so meta's
 * permission check applies as at open(2), and a ring can read only through a readable descriptor and write only
 * through a writable one. Only the owner (or root) sees, reads or removes a registration.
 *
 * <p>Thread-safe: registration changes hold the instance monitor; the data path reads the per-key descriptor maps,
 * which are concurrent, and never takes the monitor.
 */
public final class IoRegistry implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(IoRegistry.class);

  /** Opens a file for a registered descriptor: meta's open as {@code user}, a handle in the mount's open files. */
  public interface FileOpener {
    OpenFile open(UserInfo user, long fuseIno, int flags);
  }

  /** Limits and timing, from the mount's {@code fuse.io.*} keys. */
  public record Limits(int maxRings, int maxPerUser, long maxBuffer, long maxInFlight, Duration reapInterval) {}

  /** One name in iovs/. Immutable apart from what its payload does. */
  public static final class Registration {
    private final IovName name;
    private final long ino;
    private final int uid;
    private final int gid;
    private final String target;
    private final long createdNanos;
    private final Context owner;
    private Object payload; // ShmFile (buffer), RingServer + ShmFile, or FdRegistration; set once, under the monitor

    private Registration(IovName name, long ino, int uid, int gid, String target, long createdNanos, Context owner) {
      this.name = name;
      this.ino = ino;
      this.uid = uid;
      this.gid = gid;
      this.target = target;
      this.createdNanos = createdNanos;
      this.owner = owner;
    }

    public String name() {
      return name.name();
    }

    public long ino() {
      return ino;
    }

    public int uid() {
      return uid;
    }

    public int gid() {
      return gid;
    }

    /** What readlink(2) answers: the shm file, or the file the descriptor held as the program saw it. */
    public String target() {
      return target;
    }

    public long createdNanos() {
      return createdNanos;
    }
  }

  private record RingPayload(RingServer server, ShmFile memory) {}

  /** One key: everything one process registered under it. Guarded by the registry's monitor but {@link #fds}. */
  private static final class Context {
    final String key;
    final int uid;
    final int tgid;
    final long startTime;
    Registration buffer;
    final Map<String, Registration> rings = new HashMap<>();
    final Map<Integer, Registration> fdNames = new HashMap<>();
    /** Read by ring threads for every entry. */
    final Map<Integer, FdRegistration> fds = new ConcurrentHashMap<>();

    Context(String key, int uid, int tgid, long startTime) {
      this.key = key;
      this.uid = uid;
      this.tgid = tgid;
      this.startTime = startTime;
    }

    boolean isEmpty() {
      return buffer == null && rings.isEmpty() && fdNames.isEmpty();
    }
  }

  private final OpenFiles files;
  private final FileOpener opener;
  private final java.util.function.LongConsumer changed;
  private final ProcFs proc;
  private final Limits limits;
  private final long firstIno;
  private final IoBudget budget;
  private final Map<String, Registration> byName = new HashMap<>();
  private final Map<Long, Registration> byIno = new ConcurrentHashMap<>();
  private final Map<String, Context> contexts = new HashMap<>();
  /** Kernel inode -> how many descriptor registrations name it: close(2) and fsync of others cost one lookup. */
  private final Map<Long, Integer> registeredInodes = new ConcurrentHashMap<>();
  private final ScheduledExecutorService reaper;
  private long nextIno;
  private int rings;
  private volatile Path mountpoint;
  private volatile String mountDevice;
  private boolean closed;

  /**
   * @param changed told the kernel inode of a file rings wrote once meta recorded its length (flush, close): the
   *     kernel's cached attributes and pages of it are stale, since ring writes bypass it
   * @param firstIno registrations get inode numbers counting up from here
   */
  public IoRegistry(OpenFiles files, FileOpener opener, java.util.function.LongConsumer changed, ProcFs proc,
      Limits limits, long firstIno) {
    this.files = files;
    this.opener = opener;
    this.changed = changed;
    this.proc = proc;
    this.limits = limits;
    this.firstIno = firstIno;
    this.nextIno = firstIno;
    this.budget = new IoBudget(limits.maxInFlight());
    this.reaper = Executors.newSingleThreadScheduledExecutor(Thread.ofPlatform().daemon().name("iovs-reaper")
        .factory());
    long every = Math.max(1, limits.reapInterval().toMillis());
    reaper.scheduleWithFixedDelay(this::reapSafely, every, every, TimeUnit.MILLISECONDS);
  }

  public IoRegistry(OpenFiles files, FileOpener opener, java.util.function.LongConsumer changed, Limits limits,
      long firstIno) {
    this(files, opener, changed, ProcFs.system(), limits, firstIno);
  }

  /** Where the mount is: a registered descriptor must point into the file system mounted there. */
  public void init(Path mountpoint) {
    this.mountpoint = mountpoint;
  }

  /** True for inode numbers this registry hands out. */
  public boolean owns(long ino) {
    return ino >= firstIno;
  }

  // ------------------------------------------------------------------------------------------------ registering

  /**
   * symlink(2) of {@code name} to {@code target} in iovs/ by the process behind {@code ctx}, acting as {@code user}.
   * Errors: EINVAL (a name outside the grammar, a bad target), EEXIST, EACCES (another process's key), ENOENT (a
   * ring before its key's buffer, a missing shm file), EPERM (a shm file not the caller's), EBADF (no such
   * descriptor), EXDEV (a descriptor on another file system), EMFILE (limits), and meta's answer to the open.
   */
  public Registration register(RequestContext ctx, UserInfo user, String name, String target) {
    IovName parsed = IovName.parse(name).orElseThrow(() -> CatenaException.of(Errno.EINVAL,
        "'%s' is not a registration name (KEY.buf, KEY.r|wENTRIES[pPRIO][-TAG], KEY.fdN; docs/native-io.md)", name));
    int tgid = proc.tgid(ctx.pid());
    long started = proc.startTime(tgid).orElseThrow(() -> CatenaException.of(Errno.ENOENT, "process %d is gone",
        tgid));
    Context c;
    synchronized (this) {
      checkOpen();
      if (byName.containsKey(name)) {
        throw CatenaException.of(Errno.EEXIST, "%s is registered already", name);
      }
      c = contexts.get(parsed.key());
      if (c != null && (c.tgid != tgid || c.startTime != started || c.uid != ctx.uid())) {
        throw CatenaException.of(Errno.EACCES, "key %s belongs to another process", parsed.key());
      }
      long mine = byName.values().stream().filter(r -> r.uid == ctx.uid()).count();
      if (mine >= limits.maxPerUser()) {
        throw CatenaException.of(Errno.EMFILE, "uid %d has %d registrations (fuse.io.max_registrations)", ctx.uid(),
            mine);
      }
      if (c == null) {
        c = new Context(parsed.key(), ctx.uid(), tgid, started);
        contexts.put(parsed.key(), c);
      }
    }
    try {
      return switch (parsed.kind()) {
        case BUFFER -> registerBuffer(c, ctx, parsed, target);
        case RING -> registerRing(c, ctx, parsed, target);
        case FD -> registerFd(c, ctx, user, parsed);
      };
    } finally {
      synchronized (this) {
        if (c.isEmpty()) {
          contexts.remove(c.key, c);
        }
      }
    }
  }

  private synchronized Registration add(Context c, RequestContext ctx, IovName name, String target, Object payload) {
    checkOpen();
    if (byName.containsKey(name.name())) {
      throw CatenaException.of(Errno.EEXIST, "%s is registered already", name.name());
    }
    Registration r = new Registration(name, nextIno++, ctx.uid(), ctx.gid(), target,
        System.currentTimeMillis() * 1_000_000L, c);
    r.payload = payload;
    byName.put(name.name(), r);
    byIno.put(r.ino, r);
    return r;
  }

  private Registration registerBuffer(Context c, RequestContext ctx, IovName name, String target) {
    ShmFile shm = ShmFile.open(target, ctx.uid(), 1, limits.maxBuffer(), 0);
    try {
      synchronized (this) {
        if (c.buffer != null) {
          throw CatenaException.of(Errno.EEXIST, "key %s has a buffer already", c.key);
        }
        Registration r = add(c, ctx, name, target, shm);
        c.buffer = r;
        LOG.info("iovs: {} registered by uid {} pid {}: {} bytes", name.name(), ctx.uid(), c.tgid, shm.size());
        return r;
      }
    } catch (RuntimeException e) {
      shm.close();
      throw e;
    }
  }

  private Registration registerRing(Context c, RequestContext ctx, IovName name, String target) {
    ShmFile buffer;
    synchronized (this) {
      if (c.buffer == null) {
        throw CatenaException.of(Errno.ENOENT, "register %s first: a ring works on its key's buffer",
            IovName.buffer(c.key));
      }
      if (rings >= limits.maxRings()) {
        throw CatenaException.of(Errno.EMFILE, "%d rings are registered (fuse.io.max_rings)", rings);
      }
      buffer = (ShmFile) c.buffer.payload;
      rings++;
    }
    long size = RingLayout.size(name.entries());
    ShmFile mem = null;
    try {
      mem = ShmFile.open(target, ctx.uid(), size, 1L << 30, size);
      RingServer server = new RingServer(name, mem, buffer, c.fds::get, files, budget, this::ringBroken);
      Registration r;
      synchronized (this) {
        r = add(c, ctx, name, target, new RingPayload(server, mem));
        c.rings.put(name.name(), r);
      }
      server.start();
      LOG.info("iovs: {} registered by uid {} pid {}", name.name(), ctx.uid(), c.tgid);
      return r;
    } catch (RuntimeException e) {
      synchronized (this) {
        rings--;
      }
      if (mem != null) {
        mem.close();
      }
      throw e;
    }
  }

  private Registration registerFd(Context c, RequestContext ctx, UserInfo user, IovName name) {
    int fd = name.fd();
    ProcFs.FdInfo info = proc.fdInfo(c.tgid, fd);
    String ours = mountDevice();
    String theirs = proc.mountDevice(c.tgid, info.mountId());
    if (!theirs.equals(ours)) {
      throw CatenaException.of(Errno.EXDEV, "descriptor %d of process %d is on device %s, not this mount (%s)", fd,
          c.tgid, theirs, ours);
    }
    boolean readable = (info.flags() & Linux.O_ACCMODE) != Linux.O_WRONLY;
    boolean writable = (info.flags() & Linux.O_ACCMODE) != Linux.O_RDONLY;
    int flags = (info.flags() & Linux.O_ACCMODE) | (info.flags() & Linux.O_APPEND);
    OpenFile file = opener.open(user, info.ino(), flags);
    String shown = proc.fdTarget(c.tgid, fd);
    Runnable closeFile = () -> {
      try {
        file.close(user); // ends meta's open session; records the exact length after ring writes
      } catch (RuntimeException e) {
        LOG.info("iovs: closing descriptor {} of process {} ({}) failed: {}", fd, c.tgid, shown, e.toString());
      }
      if (writable) {
        changed.accept(info.ino());
      }
    };
    // Closed at once by the deregistering call, so a program's close(2) that follows sees the length recorded; when
    // ring I/O still holds the file, by the last completion, off its (storage) thread.
    Refs refs = new Refs(fromClose -> {
      if (fromClose) {
        closeFile.run();
      } else {
        Thread.ofVirtual().name("iovs-close-fd").start(closeFile);
      }
    });
    FdRegistration reg = new FdRegistration(fd, c.tgid, info.ino(), file, user, readable, writable, shown, refs);
    try {
      synchronized (this) {
        if (c.fdNames.containsKey(fd)) {
          throw CatenaException.of(Errno.EEXIST, "descriptor %d is registered under key %s already", fd, c.key);
        }
        Registration r = add(c, ctx, name, shown, reg);
        c.fdNames.put(fd, r);
        c.fds.put(fd, reg);
        registeredInodes.merge(info.ino(), 1, Integer::sum);
        return r;
      }
    } catch (RuntimeException e) {
      refs.close();
      throw e;
    }
  }

  private String mountDevice() {
    String d = mountDevice;
    if (d == null) {
      Path mp = mountpoint;
      if (mp == null) {
        throw CatenaException.of(Errno.ENODEV, "this mount does not know its mount point");
      }
      d = proc.deviceMountedAt(mp).orElseThrow(() -> CatenaException.of(Errno.ENODEV, "nothing mounted at %s", mp));
      mountDevice = d;
    }
    return d;
  }

  private void checkOpen() {
    if (closed) {
      throw CatenaException.of(Errno.ENOTCONN, "the mount is shutting down");
    }
  }

  // ------------------------------------------------------------------------------------------------ looking up

  private static boolean visible(Registration r, RequestContext ctx) {
    return ctx.uid() == 0 || r.uid == ctx.uid();
  }

  public synchronized Optional<Registration> lookup(RequestContext ctx, String name) {
    return Optional.ofNullable(byName.get(name)).filter(r -> visible(r, ctx));
  }

  public Optional<Registration> byIno(long ino) {
    return Optional.ofNullable(byIno.get(ino));
  }

  /** What {@code ctx}'s caller may see, oldest first. */
  public synchronized List<Registration> list(RequestContext ctx) {
    List<Registration> out = new ArrayList<>();
    for (Registration r : byName.values()) {
      if (visible(r, ctx)) {
        out.add(r);
      }
    }
    out.sort(Comparator.comparingLong(Registration::ino));
    return out;
  }

  // ------------------------------------------------------------------------------------------------ ending

  /** unlink(2) in iovs/: ENOENT for names the caller cannot see, EPERM for another user's (root may). */
  public void deregister(RequestContext ctx, String name) {
    synchronized (this) {
      Registration r = byName.get(name);
      if (r == null || !visible(r, ctx)) {
        throw CatenaException.of(Errno.ENOENT, "%s is not registered", name);
      }
      remove(r);
    }
  }

  /** Ends one registration (a buffer takes its key's rings with it); holds the monitor. */
  private void remove(Registration r) {
    if (byName.remove(r.name(), r)) {
      byIno.remove(r.ino);
    } else {
      return;
    }
    Context c = r.owner;
    switch (r.payload) {
      case ShmFile buffer -> {
        c.buffer = null;
        for (Registration ring : List.copyOf(c.rings.values())) {
          remove(ring);
        }
        buffer.close();
      }
      case RingPayload ring -> {
        c.rings.remove(r.name());
        rings--;
        ring.server().stop();
        ring.memory().close();
      }
      case FdRegistration fd -> {
        c.fdNames.remove(fd.fd());
        c.fds.remove(fd.fd());
        registeredInodes.computeIfPresent(fd.fuseIno(), (k, n) -> n == 1 ? null : n - 1);
        fd.refs().close();
      }
      default -> throw new IllegalStateException("unknown registration " + r.payload);
    }
    if (c.isEmpty()) {
      contexts.remove(c.key, c);
    }
    LOG.debug("iovs: {} deregistered", r.name());
  }

  private void ringBroken(RingServer server) {
    synchronized (this) {
      Registration r = byName.get(server.name().name());
      if (r != null && r.payload instanceof RingPayload p && p.server() == server) {
        remove(r);
      }
    }
  }

  /**
   * close(2) or fsync of a descriptor through the mount: flushes the caller's registrations of the same file, so the
   * length of what its rings wrote is exact once close/fsync returns (and meta's quota verdict is close's answer).
   */
  public void flushed(RequestContext ctx, long fuseIno) {
    if (!registeredInodes.containsKey(fuseIno) || ctx.pid() == 0) {
      return;
    }
    int tgid;
    try {
      tgid = proc.tgid(ctx.pid());
    } catch (CatenaException e) {
      return; // an exiting process: its registrations go with it
    }
    List<FdRegistration> mine = new ArrayList<>();
    synchronized (this) {
      for (Context c : contexts.values()) {
        if (c.tgid == tgid) {
          c.fds.values().stream().filter(f -> f.fuseIno() == fuseIno).forEach(mine::add);
        }
      }
    }
    for (FdRegistration f : mine) {
      if (f.refs().retain()) {
        try {
          f.file().flush(f.user());
        } finally {
          f.refs().release();
        }
        if (f.writable()) {
          changed.accept(fuseIno);
        }
      }
    }
  }

  /** Ends the registrations of processes that are gone. */
  void reap() {
    List<Context> all;
    synchronized (this) {
      all = List.copyOf(contexts.values());
    }
    for (Context c : all) {
      Optional<Long> started = proc.startTime(c.tgid);
      if (started.isEmpty() || started.get() != c.startTime) {
        synchronized (this) {
          if (contexts.get(c.key) == c) {
            LOG.info("iovs: process {} (uid {}) is gone; dropping key {}", c.tgid, c.uid, c.key);
            dropContext(c);
          }
        }
      }
    }
  }

  private void reapSafely() {
    try {
      reap();
    } catch (Throwable t) {
      LOG.warn("iovs: reaping failed", t);
    }
  }

  private void dropContext(Context c) {
    List<Registration> all = new ArrayList<>(c.rings.values());
    all.addAll(c.fdNames.values());
    if (c.buffer != null) {
      all.add(c.buffer);
    }
    for (Registration r : all) {
      remove(r);
    }
    contexts.remove(c.key, c);
  }

  /** How many bytes ring I/O has in flight now (for tests and diagnostics). */
  public long inFlightBytes() {
    return budget.inFlight();
  }

  /** The unmount: every registration ends. */
  @Override
  public void close() {
    reaper.shutdownNow();
    synchronized (this) {
      closed = true;
      for (Context c : List.copyOf(contexts.values())) {
        dropContext(c);
      }
    }
  }
}
