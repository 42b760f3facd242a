package io.catena.fuse.catena;

import io.catena.client.ClientConfig;
import io.catena.client.FileLayoutIo;
import io.catena.client.OpenFile;
import io.catena.client.OpenFiles;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.fuse.Attr;
import io.catena.fuse.AttrReply;
import io.catena.fuse.CreateReply;
import io.catena.fuse.DirFiller;
import io.catena.fuse.DirPlusFiller;
import io.catena.fuse.Entry;
import io.catena.fuse.FuseConfig;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.FuseNotifier;
import io.catena.fuse.OpenReply;
import io.catena.fuse.RequestContext;
import io.catena.fuse.SetAttr;
import io.catena.fuse.StatFs;
import io.catena.fuse.catena.DirListings.Listed;
import io.catena.fuse.usrbio.IoRegistry;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.RequestId;
import io.catena.meta.UserInfo;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * Catena behind a FUSE mount: namespace calls go to meta as the calling process's uid/gid/groups (meta enforces
 * permissions), file data goes straight between this process and the storage chains. FUSE's root inode 1 is meta's
 * root 0, or the mounted directory of a subdirectory mount ({@link MountRoot}). Close-to-open consistency: a handle sees meta's length at open plus what this
 * mount wrote; the first close(2) of a written handle makes meta record the exact length, so once close returns
 * every other mount sees the file whole. The virtual control directory {@code /.catena-virt} ({@link ControlDir})
 * shows and changes the mount's live configuration and removes trees on the server. Thread-safe: FUSE worker threads
 * call it concurrently.
 */
public final class CatenaFileSystem implements FuseFileSystem {
  private final MetaService meta;
  private final MountRoot root;
  private final LiveConfig conf;
  private final ControlDir control;
  private final IoRegistry iovs;
  private final String clientId;
  private final OpenFiles files;
  /** Per open handle that has been read from, its atime update (a completed future when none was due). */
  private final Map<Long, CompletableFuture<Void>> atimeUpdates = new ConcurrentHashMap<>();
  private final DirListings dirs;
  private final AtomicLong requestSeq = new AtomicLong();
  /**
   * Per regular file the kernel knows, the length last handed to it in attributes. The kernel clamps buffered reads
   * to its cached size until the attribute timeout ends; when open finds another length in meta (another mount
   * wrote the file and closed it), the cached attributes are dropped so close-to-open holds at once.
   */
  private final Map<Long, Long> reportedLength = new ConcurrentHashMap<>();
  private final PrivilegeDrops privilegeDrops;
  private final FreshDirAttrs freshDirs = new FreshDirAttrs(System::nanoTime);
  private final Statahead statahead;
  private static final String SECURITY_PREFIX = "security.";
  private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(CatenaFileSystem.class);
  private volatile FuseNotifier notifier;

  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId) {
    this(meta, io, clientId, defaults());
  }

  /** @param writeBehindBytes written data per open file that may still be in flight when write(2) returns */
  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId, long writeBehindBytes) {
    this(meta, io, clientId, defaults().withUpdates(
        Map.of(ClientConfig.WRITE_BEHIND.name(), writeBehindBytes + "B"), "constructor", false));
  }

  /**
   * @param config the mount's configuration: its {@code fuse.*} and {@code client.*} keys are read here (every
   *     entry and attribute reply carries this config's fuse.entry_timeout / fuse.attr_timeout, so pass the config
   *     the mount was made with), and the hot-updatable ones among them can change through
   *     {@code /.catena-virt/set-conf}
   */
  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId, Config config) {
    this(meta, io, clientId, config, MetaService.ROOT);
  }

  /**
   * As above, showing meta directory {@code rootIno} as the mount's root ({@code catena mount --subdir}: the
   * connection resolved it, and meta confines every call to it); ".." of the root stays at the root.
   */
  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId, Config config, long rootIno) {
    this.root = new MountRoot(rootIno);
    this.meta = meta;
    this.clientId = clientId;
    this.conf = new LiveConfig(config);
    this.files = new OpenFiles(meta, io, conf::get);
    this.privilegeDrops = new PrivilegeDrops(meta, () -> notifier);
    this.dirs = new DirListings(meta, root);
    boolean kernelChecksPermissions = config.get(FuseConfig.DEFAULT_PERMISSIONS);
    this.statahead = new Statahead((u, dir, cursor, limit) -> meta.readdir(u, dir, cursor, limit, true),
        r -> Thread.ofVirtual().name("statahead").start(r), System::nanoTime,
        () -> Math.min(conf.get(FuseConfig.ENTRY_TIMEOUT).toNanos(), conf.get(FuseConfig.ATTR_TIMEOUT).toNanos()),
        () -> kernelChecksPermissions ? conf.get(FuseConfig.STATAHEAD_ENTRIES) : 0);
    this.iovs = MountRings.registry(meta, root, files, clientId, config, () -> notifier, ino -> {
      reportedLength.remove(toMeta(ino));
      statahead.touched(toMeta(ino));
    });
    this.control = new ControlDir(meta, root, iovs, conf, this::request);
  }

  /**
   * Registers the mount's own meters: statahead lookups answered and missed
   * ({@code catena_fuse_statahead_lookups_total{result}}), entries fetched and entries held.
   */
  public void bindMetrics(MeterRegistry registry) {
    String lookups = "Lookups the kernel sent, by whether statahead answered them (missed: asked meta)";
    FunctionCounter.builder("catena.fuse.statahead.lookups", statahead, Statahead::answered).tag("result", "answered")
        .description(lookups).register(registry);
    FunctionCounter.builder("catena.fuse.statahead.lookups", statahead, Statahead::missed).tag("result", "missed")
        .description(lookups).register(registry);
    FunctionCounter.builder("catena.fuse.statahead.fetched", statahead, Statahead::fetched)
        .description("Directory entries statahead fetched in listing pages").register(registry);
    Gauge.builder("catena.fuse.statahead.entries", statahead, Statahead::size)
        .description("Fetched entries held now").register(registry);
  }

  @Override
  public void destroy() {
    iovs.close();
  }

  private static Config defaults() {
    return Config.defaults(ConfigSchema.fromHolders(FuseConfig.class, ClientConfig.class));
  }

  /** The mount's configuration now (set-conf changes it). */
  public Config config() {
    return conf.get();
  }

  @Override
  public void init(FuseNotifier notifier, Path mountpoint) {
    this.notifier = notifier;
    control.init(notifier, mountpoint);
  }

  @Override
  public void init(FuseNotifier notifier) {
    init(notifier, null);
  }

  @Override
  public void forget(long ino, long nlookup) {
    reportedLength.remove(toMeta(ino)); // the kernel sends forget when it evicts the inode
  }

  private static boolean virtual(long ino) {
    return ControlDir.isVirtual(ino);
  }

  private static CatenaException controlDirEperm(String op) {
    return CatenaException.of(Errno.EPERM, "%s: not allowed in the control directory %s", op, ControlDir.NAME);
  }

  /** Fails changes that would name the control directory or anything in it. */
  private static void noControl(String op, long parent, String name) {
    if (virtual(parent) || parent == ROOT_INO && ControlDir.NAME.equals(name)) {
      throw controlDirEperm(op);
    }
  }

  private long toMeta(long fuseIno) {
    return root.toMeta(fuseIno);
  }

  private long toFuse(long metaIno) {
    return root.toFuse(metaIno);
  }

  private static UserInfo user(RequestContext ctx) {
    return UserInfo.of(ctx.uid(), ctx.gid(), ctx.groups());
  }

  private RequestId request() {
    return new RequestId(clientId, requestSeq.incrementAndGet());
  }

  private Attr attr(Inode i) {
    long len = i.length();
    if (i.isFile()) {
      long known = files.knownLength(i.id());
      len = Math.max(len, known);
      reportedLength.put(i.id(), len);
    }
    int blksize = i.layout() != null ? Math.min(i.layout().chunkSize(), 1 << 20) : 4096;
    return new Attr(toFuse(i.id()), len, (len + 511) / 512,
        Math.floorDiv(i.atime(), 1_000_000_000L), (int) Math.floorMod(i.atime(), 1_000_000_000L),
        Math.floorDiv(i.mtime(), 1_000_000_000L), (int) Math.floorMod(i.mtime(), 1_000_000_000L),
        Math.floorDiv(i.ctime(), 1_000_000_000L), (int) Math.floorMod(i.ctime(), 1_000_000_000L),
        i.stMode(), i.nlink(), i.uid(), i.gid(), (int) i.rdev(), blksize);
  }

  /** Timeouts are read per reply so a set-conf change applies to the next answer. */
  private Entry entry(Inode i) {
    Config c = conf.get();
    return new Entry(0, attr(i), c.get(FuseConfig.ENTRY_TIMEOUT), c.get(FuseConfig.ATTR_TIMEOUT));
  }

  /** An entry fetched {@code ageNanos} ago: the kernel keeps it only for what is left of the timeouts. */
  private Entry aged(Inode i, long ageNanos) {
    Config c = conf.get();
    return new Entry(0, attr(i), left(c.get(FuseConfig.ENTRY_TIMEOUT), ageNanos),
        left(c.get(FuseConfig.ATTR_TIMEOUT), ageNanos));
  }

  private static Duration left(Duration timeout, long ageNanos) {
    Duration d = timeout.minusNanos(ageNanos);
    return d.isNegative() ? Duration.ZERO : d; // a set-conf may have shortened it since the page was read
  }

  /**
   * Runs {@code change} of name {@code name} in directory {@code parent} (a FUSE id), then tells statahead that the
   * name and the directory changed. After the change, failed or not: a listing page read while it committed is older
   * than the notice, so it cannot bring the old state back.
   */
  private <T> T changingName(long parent, String name, Supplier<T> change) {
    try {
      return change.get();
    } finally {
      long dir = toMeta(parent);
      statahead.forgetName(dir, name);
      statahead.touched(dir);
    }
  }

  private void changingName(long parent, String name, Runnable change) {
    changingName(parent, name, () -> {
      change.run();
      return null;
    });
  }

  /** Runs {@code change} of inode {@code ino} (a FUSE id), then tells statahead, as {@link #changingName}. */
  private <T> T changingInode(long ino, Supplier<T> change) {
    try {
      return change.get();
    } finally {
      statahead.touched(toMeta(ino));
    }
  }

  private void changingInode(long ino, Runnable change) {
    changingInode(ino, () -> {
      change.run();
      return null;
    });
  }

  /** Runs a control-directory action, whose reach statahead cannot know (a server-side tree removal): drops all. */
  private <T> T changingAnything(Supplier<T> change) {
    try {
      return change.get();
    } finally {
      statahead.touchedAll();
    }
  }

  private void changingAnything(Runnable change) {
    changingAnything(() -> {
      change.run();
      return null;
    });
  }

  private AttrReply attrReply(Inode i) {
    return new AttrReply(attr(i), conf.get(FuseConfig.ATTR_TIMEOUT));
  }

  @Override
  public Entry lookup(RequestContext ctx, long parent, String name) {
    if (parent == ROOT_INO && ControlDir.NAME.equals(name)) {
      return control.rootEntry();
    }
    if (virtual(parent)) {
      return control.lookup(ctx, parent, name);
    }
    long dir = toMeta(parent);
    UserInfo user = user(ctx);
    Statahead.Hit fetched = statahead.lookup(dir, name, user);
    if (fetched != null) {
      return aged(fetched.attrs(), fetched.ageNanos());
    }
    try {
      return entry(meta.lookup(user, dir, name));
    } catch (CatenaException e) {
      Duration negative = conf.get(FuseConfig.NEGATIVE_TIMEOUT);
      if (e.errno() == Errno.ENOENT && !negative.isZero() && !negative.isNegative()) {
        return Entry.negative(negative);
      }
      throw e;
    }
  }

  @Override
  public AttrReply getattr(RequestContext ctx, long ino, OptionalLong fh) {
    if (virtual(ino)) {
      return control.getattr(ino);
    }
    long maxAge = conf.get(FuseConfig.ATTR_TIMEOUT).toNanos();
    Inode fresh = maxAge > 0 ? freshDirs.take(ino, maxAge) : null;
    return attrReply(fresh != null ? fresh : meta.getattr(user(ctx), toMeta(ino)));
  }

  @Override
  public AttrReply setattr(RequestContext ctx, long ino, SetAttr c) {
    if (virtual(ino)) {
      return changingAnything(() -> control.setattr(ino, c));
    }
    Long atime = time(c, SetAttr.ATIME, SetAttr.ATIME_NOW, c.atimeSec(), c.atimeNsec());
    Long mtime = time(c, SetAttr.MTIME, SetAttr.MTIME_NOW, c.mtimeSec(), c.mtimeNsec());
    io.catena.meta.SetAttr change = new io.catena.meta.SetAttr(
        c.has(SetAttr.MODE) ? c.mode() & 07777 : null,
        c.has(SetAttr.UID) ? c.uid() : null,
        c.has(SetAttr.GID) ? c.gid() : null,
        c.has(SetAttr.SIZE) ? c.size() : null,
        atime, mtime, null);
    if (c.has(SetAttr.SIZE)) {
      files.drainWrites(toMeta(ino));
    }
    // ftruncate(fd) names its handle: the descriptor, open for writing, authorises the size change.
    if (c.fh().isPresent() && c.has(SetAttr.SIZE) && !ControlDir.isVirtualHandle(c.fh().getAsLong())) {
      change = change.through(files.get(c.fh().getAsLong()).sessionId(), false);
    }
    freshDirs.forget(ino);
    io.catena.meta.SetAttr asked = change;
    Inode after = changingInode(ino, () -> meta.setattr(user(ctx), toMeta(ino), asked));
    if (c.has(SetAttr.SIZE)) {
      files.setLength(after.id(), after.length());
    }
    return attrReply(after);
  }

  /** A utimensat time for meta: UTIME_NOW, an explicit time in ns, or null to leave it (UTIME_OMIT). */
  private static Long time(SetAttr c, int explicitBit, int nowBit, long sec, int nsec) {
    if (c.has(nowBit)) {
      return io.catena.meta.SetAttr.UTIME_NOW;
    }
    return c.has(explicitBit) ? Long.valueOf(sec * 1_000_000_000L + nsec) : null;
  }

  @Override
  public String readlink(RequestContext ctx, long ino) {
    if (virtual(ino)) {
      return control.readlink(ino);
    }
    return meta.readlink(user(ctx), toMeta(ino));
  }

  @Override
  public Entry mknod(RequestContext ctx, long parent, String name, int mode, int rdev) {
    noControl("mknod", parent, name);
    freshDirs.forget(parent);
    return entry(changingName(parent, name,
        () -> meta.mknod(user(ctx), toMeta(parent), name, mode, rdev & 0xffffffffL, request())));
  }

  @Override
  public Entry mkdir(RequestContext ctx, long parent, String name, int mode) {
    if (parent == ROOT_INO && ControlDir.NAME.equals(name)) {
      throw CatenaException.of(Errno.EEXIST, "%s is the mount's control directory", name);
    }
    noControl("mkdir", parent, name);
    freshDirs.forget(parent);
    return entry(changingName(parent, name, () -> meta.mkdir(user(ctx), toMeta(parent), name, mode & 07777,
        request())));
  }

  @Override
  public void unlink(RequestContext ctx, long parent, String name) {
    if (virtual(parent)) {
      changingAnything(() -> control.unlink(ctx, parent, name));
      return;
    }
    noControl("unlink", parent, name);
    freshDirs.forget(parent);
    Inode dir = changingName(parent, name, () -> meta.unlink(user(ctx), toMeta(parent), name, request()));
    if (dir != null) {
      freshDirs.put(parent, dir);
    }
  }

  @Override
  public void rmdir(RequestContext ctx, long parent, String name) {
    noControl("rmdir", parent, name);
    freshDirs.forget(parent);
    changingName(parent, name, () -> meta.rmdir(user(ctx), toMeta(parent), name, request()));
  }

  @Override
  public Entry symlink(RequestContext ctx, long parent, String name, String target) {
    if (virtual(parent)) {
      return changingAnything(() -> control.symlink(ctx, user(ctx), parent, name, target));
    }
    noControl("symlink", parent, name);
    freshDirs.forget(parent);
    return entry(changingName(parent, name,
        () -> meta.symlink(user(ctx), toMeta(parent), name, target, request())));
  }

  @Override
  public void rename(RequestContext ctx, long parent, String name, long newParent, String newName, int flags) {
    noControl("rename", parent, name);
    noControl("rename", newParent, newName);
    freshDirs.forget(parent);
    freshDirs.forget(newParent);
    changingName(parent, name, () -> changingName(newParent, newName,
        () -> meta.rename(user(ctx), toMeta(parent), name, toMeta(newParent), newName, flags, request())));
  }

  @Override
  public Entry link(RequestContext ctx, long ino, long newParent, String newName) {
    if (virtual(ino)) {
      throw controlDirEperm("link");
    }
    noControl("link", newParent, newName);
    freshDirs.forget(newParent);
    return entry(changingInode(ino, () -> changingName(newParent, newName,
        () -> meta.link(user(ctx), toMeta(ino), toMeta(newParent), newName, request()))));
  }

  @Override
  public OpenReply open(RequestContext ctx, long ino, int flags) {
    if (virtual(ino)) {
      return control.open(ctx, ino, flags);
    }
    OpenResult r = OpenFlags.writable(flags) // O_TRUNC
        ? changingInode(ino, () -> meta.open(user(ctx), toMeta(ino), flags, clientId))
        : meta.open(user(ctx), toMeta(ino), flags, clientId);
    OpenFile f = files.open(r, handleFlags(flags));
    if (r.inode().isFile()) {
      dropStaleSize(r.inode().id());
    }
    return OpenReply.of(f.handle());
  }

  /**
   * What a handle allows, from the kernel's open flags: reads always. The kernel checks a descriptor's access mode
   * before any read(2) reaches the mount, and reads through write-only handles itself (pages a partial write fills
   * under the writeback cache, mmap).
   */
  private static int handleFlags(int kernelFlags) {
    return OpenFlags.writable(kernelFlags) ? (kernelFlags & ~OpenFlags.O_ACCMODE) | OpenFlags.O_RDWR : kernelFlags;
  }

  /**
   * Drops the kernel's cached attributes of a file just opened if they carry another length than the one open
   * found (the page cache is dropped anyway: opens do not ask for FOPEN_KEEP_CACHE). Attributes only (offset -1)
   * takes no kernel inode lock, so it is safe while serving this open.
   */
  private void dropStaleSize(long metaIno) {
    FuseNotifier n = notifier;
    long now = Math.max(files.knownLength(metaIno), 0);
    Long seen = reportedLength.get(metaIno);
    if (n != null && (seen == null || seen != now)) {
      try {
        n.invalidateInode(toFuse(metaIno), -1, 0);
        reportedLength.put(metaIno, now);
      } catch (CatenaException e) {
        // ENOENT: the kernel holds no attributes to drop
      }
    }
  }

  @Override
  public CreateReply create(RequestContext ctx, long parent, String name, int mode, int flags) {
    noControl("create", parent, name);
    OpenResult r = changingName(parent, name, () -> meta.create(user(ctx), toMeta(parent), name, mode & 07777,
        flags | OpenFlags.O_CREAT, clientId, request()));
    OpenFile f = files.open(r, handleFlags(flags));
    if (r.parent() != null) {
      freshDirs.put(parent, r.parent());
    } else {
      freshDirs.forget(parent);
    }
    return new CreateReply(entry(r.inode()), OpenReply.of(f.handle()));
  }

  /** Every read is answered asynchronously (the FUSE session never calls {@code read} on this file system). */
  @Override
  public CompletableFuture<ByteBuffer> readAsync(RequestContext ctx, long ino, long fh, long offset, int size,
      ByteBuffer dst) {
    if (ControlDir.isVirtualHandle(fh)) {
      return CompletableFuture.completedFuture(copyToDirect(control.read(fh, offset, size), dst));
    }
    OpenFile f = files.get(fh);
    atimeUpdates.computeIfAbsent(fh, k -> touchAtimeIfDue(ctx, f.inode()));
    ByteBuffer into = dst.limit(size);
    return f.readAsync(offset, into).thenApply(n -> into.flip().limit(Math.max(n, 0)));
  }

  /** The control files answer heap buffers; an asynchronous reply is written from direct memory. */
  private static ByteBuffer copyToDirect(ByteBuffer data, ByteBuffer dst) {
    if (data != null) {
      ByteBuffer d = data.duplicate();
      d.limit(d.position() + Math.min(d.remaining(), dst.remaining()));
      dst.put(d);
    }
    return dst.flip();
  }

  @Override
  public int write(RequestContext ctx, long ino, long fh, long offset, ByteBuffer data, int flags) {
    if (ControlDir.isVirtualHandle(fh)) {
      return changingAnything(() -> control.write(fh, data));
    }
    return files.get(fh).write(user(ctx), offset, data);
  }

  @Override
  public void killPrivileges(RequestContext ctx, long ino, long fh) {
    if (!ControlDir.isVirtualHandle(fh)) {
      changingInode(ino, () -> privilegeDrops.beforeWrite(user(ctx), ino, toMeta(ino), fh, files.get(fh)));
    }
  }

  @Override
  public void flush(RequestContext ctx, long ino, long fh, long lockOwner) {
    if (ControlDir.isVirtualHandle(fh)) {
      changingAnything(() -> control.flush(fh)); // control files act when closed (a tree removal on the server)
      return;
    }
    OpenFile f = files.get(fh);
    awaitQuietly(atimeUpdates.get(fh)); // atime is advisory: close(2) does not fail or hang for it
    changingInode(ino, () -> f.flush(user(ctx))); // the length and times the flush records
    iovs.flushed(ctx, ino);
  }

  @Override
  public void fsync(RequestContext ctx, long ino, long fh, boolean dataOnly) {
    if (ControlDir.isVirtualHandle(fh)) {
      return;
    }
    changingInode(ino, () -> files.get(fh).flush(user(ctx)));
    iovs.flushed(ctx, ino);
  }

  @Override
  public void release(RequestContext ctx, long ino, long fh, int flags) {
    if (ControlDir.isVirtualHandle(fh)) {
      changingAnything(() -> control.release(fh));
      return;
    }
    OpenFile f = files.get(fh);
    atimeUpdates.remove(fh);
    privilegeDrops.released(fh);
    changingInode(ino, () -> f.close(user(ctx)));
  }

  @Override
  public OpenReply opendir(RequestContext ctx, long ino, int flags) {
    if (virtual(ino)) {
      return control.opendir(ino);
    }
    // The kernel sends OPENDIR for directories only; meta's access check answers ENOTDIR/ENOENT/EACCES itself.
    meta.access(user(ctx), toMeta(ino), io.catena.meta.Access.R_OK);
    return OpenReply.of(dirs.open());
  }

  @Override
  public void readdir(RequestContext ctx, long ino, long fh, long offset, DirFiller filler) {
    if (virtual(ino)) {
      control.readdir(ctx, ino, offset, filler);
      return;
    }
    List<Listed> all = dirs.listing(user(ctx), toMeta(ino), fh, false);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed e = all.get(i);
      if (!filler.add(e.name(), toFuse(e.ino()), e.mode(), i + 1)) {
        return;
      }
    }
  }

  @Override
  public void readdirplus(RequestContext ctx, long ino, long fh, long offset, DirPlusFiller filler) {
    if (virtual(ino)) {
      control.readdirplus(ctx, ino, offset, filler);
      return;
    }
    List<Listed> all = dirs.listing(user(ctx), toMeta(ino), fh, true);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed e = all.get(i);
      Entry entry;
      if (i < 2) {
        entry = dotEntry(e);
      } else {
        entry = entry(e.attrs() != null ? e.attrs() : meta.getattr(user(ctx), e.ino()));
      }
      if (!filler.add(e.name(), entry, i + 1)) {
        return;
      }
    }
  }

  /** "." and "..": the kernel takes only their id and type from a readdirplus reply. */
  private Entry dotEntry(Listed e) {
    return new Entry(0, new Attr(toFuse(e.ino()), 0, 0, 0, 0, 0, 0, 0, 0, e.mode(), 2, 0, 0, 0, 4096),
        Duration.ZERO, Duration.ZERO);
  }

  @Override
  public void releasedir(RequestContext ctx, long ino, long fh) {
    if (virtual(ino)) {
      return;
    }
    dirs.release(fh);
  }

  @Override
  public StatFs statfs(RequestContext ctx, long ino) {
    // Inside a directory quota, df shows the quota (meta decides); the control directory answers for the whole.
    io.catena.meta.StatFs s = virtual(ino) ? meta.statfs(user(ctx)) : meta.statfs(user(ctx), toMeta(ino));
    int bsize = 4096;
    long blocks = s.capacityBytes() / bsize;
    long free = s.freeBytes() / bsize;
    long files = s.maxInodes() > 0 ? s.maxInodes() : s.usedInodes() + (1L << 32);
    long freeFiles = s.maxInodes() > 0 ? Math.max(0, s.maxInodes() - s.usedInodes()) : 1L << 32;
    return new StatFs(blocks, free, free, files, freeFiles, 1 << 20, s.maxNameLength(), bsize);
  }

  @Override
  public void setxattr(RequestContext ctx, long ino, String name, byte[] value, int flags) {
    if (virtual(ino)) {
      throw controlDirEperm("setxattr");
    }
    checkXattrName(name);
    changingInode(ino, () -> meta.setxattr(user(ctx), toMeta(ino), name, value, flags, request()));
  }

  @Override
  public byte[] getxattr(RequestContext ctx, long ino, String name) {
    if (virtual(ino)) {
      throw CatenaException.of(Errno.ENODATA, "control files have no extended attributes");
    }
    checkXattrName(name);
    return meta.getxattr(user(ctx), toMeta(ino), name);
  }

  @Override
  public List<String> listxattr(RequestContext ctx, long ino) {
    if (virtual(ino)) {
      return List.of();
    }
    List<String> names = meta.listxattr(user(ctx), toMeta(ino));
    if (conf.get(FuseConfig.SECURITY_XATTRS)) {
      return names;
    }
    return names.stream().filter(n -> !n.startsWith(SECURITY_PREFIX)).toList();
  }

  @Override
  public void removexattr(RequestContext ctx, long ino, String name) {
    if (virtual(ino)) {
      throw controlDirEperm("removexattr");
    }
    checkXattrName(name);
    changingInode(ino, () -> meta.removexattr(user(ctx), toMeta(ino), name, request()));
  }

  @Override
  public void access(RequestContext ctx, long ino, int mask) {
    if (virtual(ino)) {
      control.access(ctx, ino, mask);
      return;
    }
    meta.access(user(ctx), toMeta(ino), mask);
  }

  /**
   * security.* names are answered here unless fuse.security_xattrs is on: EOPNOTSUPP is what a file system without
   * security labels says, and it makes ls stop asking for SELinux labels and the kernel's capability check before a
   * write cheap (no meta round trip).
   */
  private void checkXattrName(String name) {
    if (name.startsWith(SECURITY_PREFIX) && !conf.get(FuseConfig.SECURITY_XATTRS)) {
      throw CatenaException.of(Errno.EOPNOTSUPP, "%s: security.* attributes are off on this mount "
          + "(fuse.security_xattrs)", name);
    }
  }

  private static final long DAY_NANOS = 86_400_000_000_000L;
  private static final long ATIME_WAIT_MS = 2000;

  /**
   * Started by the first read through a handle: updates atime when relatime says it is due (atime not after mtime
   * or ctime, or a day old, by the times the open found; meta applies the same rules again and does nothing
   * otherwise). The update runs beside the reads, not in front of them; close(2) waits for it, so a stat after close
   * sees it. A read served from the kernel's page cache never reaches the mount and updates nothing, which relatime
   * permits.
   */
  private CompletableFuture<Void> touchAtimeIfDue(RequestContext ctx, Inode opened) {
    long now = System.currentTimeMillis() * 1_000_000L;
    boolean due = conf.get(FuseConfig.RELATIME_UPDATES) && opened.isFile()
        && (opened.atime() <= opened.mtime() || opened.atime() <= opened.ctime() || now - opened.atime() >= DAY_NANOS);
    if (!due) {
      return CompletableFuture.completedFuture(null);
    }
    UserInfo user = user(ctx);
    long metaIno = opened.id();
    return CompletableFuture.runAsync(() -> {
      try {
        meta.touchAtime(user, metaIno);
        statahead.touched(metaIno);
        FuseNotifier n = notifier;
        if (n != null) {
          n.invalidateInode(toFuse(metaIno), -1, 0); // the kernel's cached attributes carry the old atime
        }
      } catch (CatenaException e) {
        LOG.debug("atime update of inode {} failed: {}", metaIno, e.toString());
      }
    }, r -> Thread.ofVirtual().name("atime").start(r));
  }

  private static void awaitQuietly(CompletableFuture<Void> f) {
    if (f != null && !f.isDone()) {
      try {
        f.get(ATIME_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // background metadata updates are bounded: close(2) neither fails nor hangs for them
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
