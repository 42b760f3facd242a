package io.catena.fuse.catena;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.fuse.AttrReply;
import io.catena.fuse.DirFiller;
import io.catena.fuse.DirPlusFiller;
import io.catena.fuse.Entry;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.FuseNotifier;
import io.catena.fuse.OpenReply;
import io.catena.fuse.RequestContext;
import io.catena.fuse.usrbio.IoRegistry;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.RequestId;
import io.catena.meta.UserInfo;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The virtual control directory {@code /.catena-virt} at the mount root (3FS's {@code 3fs-virt}): not stored in meta,
 * hidden from the root's listing, reachable by name.
 * <ul>
 *   <li>{@code get-conf} (0444): the mount's effective configuration as TOML with each value's source, rendered at
 *   open.</li>
 *   <li>{@code set-conf} (0200, root only): {@code key = value} lines written to it change live keys
 *   ({@link LiveConfig}); a write with an unknown, non-live or invalid key fails with EINVAL and changes nothing.
 *   Complete lines apply when written; a last line without a newline applies at close (flush).</li>
 *   <li>{@code rm-rf}: {@code ln -s /mnt/catena/some/dir /mnt/catena/.catena-virt/rm-rf} removes the target
 *   recursively on the server ({@link MetaService#removeRecursive}) as the caller (meta checks every removal); the
 *   symlink is never created, errors are symlink(2)'s errno, and the kernel's cached names of what was removed are
 *   dropped.</li>
 *   <li>{@code iovs/}: native I/O registrations ({@link IoRegistry}, docs/native-io.md): a symlink made in it
 *   registers a shared buffer, a ring or a descriptor, unlink ends it, and a listing shows the caller's (root: all).
 *   </li>
 *   <li>{@code trash/}: the caller's trashed files (root: all), {@link TrashDir}; rm of one purges it.</li>
 * </ul>
 * Everything else inside is refused (EPERM to change, ENOENT for missing names, EACCES for modes the files do not
 * have). Inode numbers are the top 2^40 of the positive 64-bit range (the fixed files the top 16, registrations
 * below): meta allocates ids upwards from 16 and would need 2^63 creates to reach them. Thread-safe.
 */
final class ControlDir {
  private static final Logger LOG = LoggerFactory.getLogger(ControlDir.class);

  static final String NAME = ".catena-virt";
  static final String GET_CONF = "get-conf";
  static final String SET_CONF = "set-conf";
  static final String RM_RF = "rm-rf";
  static final String IOVS = "iovs";

  static final long BASE = Long.MAX_VALUE - 15;
  static final long DIR_INO = BASE;
  static final long GET_CONF_INO = BASE + 1;
  static final long SET_CONF_INO = BASE + 2;
  static final long RM_RF_INO = BASE + 3;
  static final long IOVS_INO = BASE + 4;
  static final long TRASH_INO = BASE + 5;
  /** Registrations in iovs/ count up from here. */
  static final long REGISTRATIONS = Long.MAX_VALUE - (1L << 40);

  /** Handles of virtual files carry this bit; OpenFiles counts from 1 and never gets near it. */
  private static final long HANDLE_BIT = 1L << 62;
  /** How long rm-rf waits for the kernel to drop the removed names before answering anyway (see {@link #rmrf}). */
  private static final long INVALIDATE_WAIT_MS = 500;

  private final MountRoot root;
  private final MetaService meta;
  private final IoRegistry iovs;
  private final LiveConfig conf;
  private final Supplier<RequestId> requests;
  private final TrashDir trash;
  private final long createdNanos = System.currentTimeMillis() * 1_000_000L;
  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);
  private volatile FuseNotifier notifier;
  private volatile Path mountpoint;

  /** One open of a virtual file: get-conf's text as rendered at open, or set-conf's not yet applied input. */
  private static final class Handle {
    final long ino;
    final byte[] content;
    final StringBuilder pending = new StringBuilder();
    final UserInfo user;

    Handle(long ino, byte[] content, UserInfo user) {
      this.ino = ino;
      this.content = content;
      this.user = user;
    }
  }

  ControlDir(MetaService meta, MountRoot root, IoRegistry iovs, LiveConfig conf, Supplier<RequestId> requests) {
    this.meta = meta;
    this.root = root;
    this.iovs = iovs;
    this.conf = conf;
    this.requests = requests;
    this.trash = new TrashDir(meta);
  }

  void init(FuseNotifier notifier, Path mountpoint) {
    this.notifier = notifier;
    this.mountpoint = mountpoint == null ? null : mountpoint.toAbsolutePath().normalize();
    iovs.init(this.mountpoint);
  }

  static boolean isVirtual(long ino) {
    return ino >= REGISTRATIONS;
  }

  private static boolean isRegistration(long ino) {
    return ino >= REGISTRATIONS && ino < TrashDir.FIRST_INO;
  }

  static boolean isVirtualHandle(long fh) {
    return (fh & HANDLE_BIT) != 0;
  }

  private static CatenaException eperm(String what) {
    return CatenaException.of(Errno.EPERM, "%s: not allowed in the control directory %s", what, NAME);
  }

  // ---------------------------------------------------------------- names and attributes

  Entry rootEntry() {
    return entry(DIR_INO);
  }

  Entry lookup(RequestContext ctx, long parent, String name) {
    if (parent == IOVS_INO) {
      return registrationEntry(iovs.lookup(ctx, name).orElseThrow(() -> CatenaException.of(Errno.ENOENT,
          "no '%s' in %s/%s", name, NAME, IOVS)));
    }
    if (parent == TRASH_INO) {
      return entry(TrashDir.attr(trash.lookup(UserInfo.of(ctx.uid(), ctx.gid()), name)));
    }
    if (parent != DIR_INO) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", parent);
    }
    if (TrashDir.NAME.equals(name) && trash.available()) {
      return entry(TRASH_INO);
    }
    return switch (name) {
      case GET_CONF -> entry(GET_CONF_INO);
      case SET_CONF -> entry(SET_CONF_INO);
      case IOVS -> entry(IOVS_INO);
      // rm-rf never exists: ln -s must find the name free to send SYMLINK.
      default -> throw CatenaException.of(Errno.ENOENT, "no '%s' in %s", name, NAME);
    };
  }

  /** Virtual entries are never cached: a config change shows at the next stat, and rm-rf is always free. */
  private Entry entry(long ino) {
    return entry(attr(ino));
  }

  private static Entry entry(Attr a) {
    return new Entry(0, a, Duration.ZERO, Duration.ZERO);
  }

  AttrReply getattr(long ino) {
    return new AttrReply(attr(ino), Duration.ZERO);
  }

  private static Entry registrationEntry(IoRegistry.Registration r) {
    return new Entry(0, registrationAttr(r), Duration.ZERO, Duration.ZERO);
  }

  private static Attr registrationAttr(IoRegistry.Registration r) {
    long sec = Math.floorDiv(r.createdNanos(), 1_000_000_000L);
    int nsec = (int) Math.floorMod(r.createdNanos(), 1_000_000_000L);
    return new Attr(r.ino(), r.target().getBytes(StandardCharsets.UTF_8).length, 0, sec, nsec, sec, nsec, sec, nsec,
        Attr.S_IFLNK | 0777, 1, r.uid(), r.gid(), 0, 4096);
  }

  private Attr attr(long ino) {
    if (isRegistration(ino)) {
      return registrationAttr(iovs.byIno(ino).orElseThrow(() -> CatenaException.of(Errno.ENOENT,
          "registration %d has ended", ino)));
    }
    if (TrashDir.isEntry(ino)) {
      return trash.attr(ino);
    }
    long t = ino == GET_CONF_INO ? conf.changedAtNanos() : createdNanos;
    long sec = Math.floorDiv(t, 1_000_000_000L);
    int nsec = (int) Math.floorMod(t, 1_000_000_000L);
    int mode;
    long size = 0;
    int nlink = 1;
    if (ino == DIR_INO || ino == IOVS_INO) {
      mode = Attr.S_IFDIR | 01777; // anyone may ln -s into them (meta and the registry check the rest)
      nlink = ino == DIR_INO ? 3 : 2;
    } else if (ino == TRASH_INO) {
      // Like /tmp: anyone may list it (each sees their own) and rm (purge) what they own; meta checks again.
      mode = Attr.S_IFDIR | 01777;
      nlink = 2;
    } else if (ino == GET_CONF_INO) {
      mode = Attr.S_IFREG | 0444;
      size = conf.render().getBytes(StandardCharsets.UTF_8).length;
    } else if (ino == SET_CONF_INO) {
      mode = Attr.S_IFREG | 0200;
    } else if (ino == RM_RF_INO) {
      mode = Attr.S_IFLNK | 0777;
    } else {
      throw CatenaException.of(Errno.ENOENT, "no virtual inode %d", ino);
    }
    return new Attr(ino, size, 0, sec, nsec, sec, nsec, sec, nsec, mode, nlink, 0, 0, 0, 4096);
  }

  void access(RequestContext ctx, long ino, int mask) {
    int perm = attr(ino).mode() & 07;
    if (ctx.uid() == 0) {
      if ((mask & FuseFileSystem.X_OK) != 0 && ino != DIR_INO && ino != IOVS_INO && ino != TRASH_INO
          && !isRegistration(ino)) {
        throw CatenaException.of(Errno.EACCES, "control file %d is not executable", ino);
      }
      return;
    }
    if (ino == SET_CONF_INO) {
      perm = 0; // root only
    }
    if (ino == TRASH_INO) {
      perm = 07; // rm is purge, which meta checks per entry
    }
    if ((mask & perm) != mask) {
      throw CatenaException.of(Errno.EACCES, "access %o denied on control inode %d", mask, ino);
    }
  }

  // ---------------------------------------------------------------- files

  OpenReply open(RequestContext ctx, long ino, int flags) {
    int acc = flags & OpenFlags.O_ACCMODE;
    Handle h;
    if (ino == GET_CONF_INO) {
      if (acc != OpenFlags.O_RDONLY || (flags & OpenFlags.O_TRUNC) != 0) {
        throw CatenaException.of(Errno.EACCES, "%s/%s is read-only", NAME, GET_CONF);
      }
      h = new Handle(ino, conf.render().getBytes(StandardCharsets.UTF_8), null);
    } else if (ino == SET_CONF_INO) {
      if (acc != OpenFlags.O_WRONLY) {
        throw CatenaException.of(Errno.EACCES, "%s/%s is write-only", NAME, SET_CONF);
      }
      if (ctx.uid() != 0) {
        throw CatenaException.of(Errno.EACCES, "only root may change the mount's configuration");
      }
      h = new Handle(ino, null, UserInfo.of(ctx.uid(), ctx.gid()));
    } else if (ino == DIR_INO || ino == IOVS_INO || ino == TRASH_INO) {
      throw CatenaException.of(Errno.EISDIR, "%s is a directory", NAME);
    } else if (TrashDir.isEntry(ino)) {
      throw CatenaException.of(Errno.EACCES, "trashed files cannot be opened: restore it with `catena admin trash "
          + "restore %d`", ino - TrashDir.FIRST_INO);
    } else {
      throw CatenaException.of(Errno.ELOOP, "inode %d is a symlink", ino);
    }
    long fh = HANDLE_BIT | nextHandle.getAndIncrement();
    handles.put(fh, h);
    // direct_io: the text's length is not known to the kernel's page cache; every read comes here.
    return new OpenReply(fh, OpenReply.DIRECT_IO);
  }

  private Handle handle(long fh) {
    Handle h = handles.get(fh);
    if (h == null) {
      throw CatenaException.of(Errno.EBADF, "no open control file handle %d", fh);
    }
    return h;
  }

  ByteBuffer read(long fh, long offset, int size) {
    Handle h = handle(fh);
    if (h.content == null) {
      throw CatenaException.of(Errno.EBADF, "%s/%s is write-only", NAME, SET_CONF);
    }
    if (offset >= h.content.length) {
      return ByteBuffer.allocate(0);
    }
    int from = (int) offset;
    return ByteBuffer.wrap(h.content, from, Math.min(size, h.content.length - from));
  }

  /** Applies the complete lines written so far; a write whose lines are refused fails whole and is dropped. */
  int write(long fh, ByteBuffer data) {
    Handle h = handle(fh);
    if (h.ino != SET_CONF_INO) {
      throw CatenaException.of(Errno.EBADF, "%s/%s is read-only", NAME, GET_CONF);
    }
    int n = data.remaining();
    String text = StandardCharsets.UTF_8.decode(data).toString();
    synchronized (h) {
      String all = h.pending + text;
      int end = all.lastIndexOf('\n');
      if (end >= 0) {
        conf.apply(all.substring(0, end + 1), "set-conf by uid " + h.user.uid());
        h.pending.setLength(0);
        h.pending.append(all, end + 1, all.length());
      } else {
        h.pending.append(text);
      }
    }
    return n;
  }

  /** close(2): a last line without a newline applies now (its error is close's). */
  void flush(long fh) {
    Handle h = handle(fh);
    synchronized (h) {
      if (h.pending.length() > 0) {
        String rest = h.pending.toString();
        h.pending.setLength(0);
        conf.apply(rest, "set-conf by uid " + h.user.uid());
      }
    }
  }

  void release(long fh) {
    handles.remove(fh);
  }

  /** Truncating set-conf (a shell's {@code >}) is harmless; nothing else about these inodes may change. */
  AttrReply setattr(long ino, io.catena.fuse.SetAttr c) {
    int allowed = io.catena.fuse.SetAttr.SIZE | io.catena.fuse.SetAttr.FH | io.catena.fuse.SetAttr.ATIME
        | io.catena.fuse.SetAttr.MTIME | io.catena.fuse.SetAttr.ATIME_NOW | io.catena.fuse.SetAttr.MTIME_NOW
        | io.catena.fuse.SetAttr.LOCKOWNER | io.catena.fuse.SetAttr.CTIME | io.catena.fuse.SetAttr.KILL_SUIDGID;
    if (ino == SET_CONF_INO && (c.valid() & ~allowed) == 0) {
      return getattr(ino);
    }
    throw eperm("setattr");
  }

  String readlink(long ino) {
    if (isRegistration(ino)) {
      return iovs.byIno(ino).orElseThrow(() -> CatenaException.of(Errno.ENOENT, "registration %d has ended", ino))
          .target();
    }
    throw CatenaException.of(Errno.ENOENT, "%s/%s is not a real symlink", NAME, RM_RF);
  }

  // ---------------------------------------------------------------- the directory

  private static final List<String> LISTING = List.of(".", "..", GET_CONF, SET_CONF, IOVS);
  private static final long[] LISTING_INOS = {DIR_INO, FuseFileSystem.ROOT_INO, GET_CONF_INO, SET_CONF_INO, IOVS_INO};

  OpenReply opendir(long ino) {
    if (ino != DIR_INO && ino != IOVS_INO && ino != TRASH_INO) {
      throw CatenaException.of(Errno.ENOTDIR, "control inode %d is not a directory", ino);
    }
    return OpenReply.of(HANDLE_BIT);
  }

  /** A directory's names: the fixed files, or the registrations the caller may see (read at every call). */
  private record Listed(String name, long ino, int mode, Entry entry) {}

  private List<Listed> listing(RequestContext ctx, long ino) {
    List<Listed> out = new java.util.ArrayList<>();
    if (ino == IOVS_INO) {
      out.add(new Listed(".", IOVS_INO, Attr.S_IFDIR, entry(IOVS_INO)));
      out.add(new Listed("..", DIR_INO, Attr.S_IFDIR, entry(DIR_INO)));
      for (IoRegistry.Registration r : iovs.list(ctx)) {
        out.add(new Listed(r.name(), r.ino(), Attr.S_IFLNK, registrationEntry(r)));
      }
      return out;
    }
    if (ino == TRASH_INO) {
      out.add(new Listed(".", TRASH_INO, Attr.S_IFDIR, entry(TRASH_INO)));
      out.add(new Listed("..", DIR_INO, Attr.S_IFDIR, entry(DIR_INO)));
      for (io.catena.meta.TrashEntry e : trash.list(UserInfo.of(ctx.uid(), ctx.gid()))) {
        Attr a = TrashDir.attr(e);
        out.add(new Listed(TrashDir.nameOf(e), a.ino(), Attr.S_IFREG, entry(a)));
      }
      return out;
    }
    for (int i = 0; i < LISTING.size(); i++) {
      long child = LISTING_INOS[i];
      // the kernel never instantiates "." and "..": only the type matters
      out.add(new Listed(LISTING.get(i), child, i < 2 || child == IOVS_INO ? Attr.S_IFDIR : Attr.S_IFREG,
          entry(i < 2 ? DIR_INO : child)));
    }
    if (trash.available()) {
      out.add(new Listed(TrashDir.NAME, TRASH_INO, Attr.S_IFDIR, entry(TRASH_INO)));
    }
    return out;
  }

  void readdir(RequestContext ctx, long ino, long offset, DirFiller filler) {
    List<Listed> all = listing(ctx, ino);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed l = all.get(i);
      if (!filler.add(l.name(), l.ino(), l.mode(), i + 1)) {
        return;
      }
    }
  }

  void readdirplus(RequestContext ctx, long ino, long offset, DirPlusFiller filler) {
    List<Listed> all = listing(ctx, ino);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed l = all.get(i);
      if (!filler.add(l.name(), l.entry(), i + 1)) {
        return;
      }
    }
  }

  // ---------------------------------------------------------------- iovs

  /** unlink(2) in the control directory: registrations in iovs/ end, entries of trash/ are purged. */
  void unlink(RequestContext ctx, long parent, String name) {
    if (parent == TRASH_INO) {
      trash.purge(UserInfo.of(ctx.uid(), ctx.gid()), name);
      return;
    }
    if (parent != IOVS_INO) {
      throw eperm("unlink " + name);
    }
    iovs.deregister(ctx, name);
  }

  // ---------------------------------------------------------------- rm-rf

  /**
   * symlink(2) inside the control directory: only {@code rm-rf}, whose target must be an absolute path inside this
   * mount. Answers an uncached symlink entry so ln(1) succeeds; the name is free again at the next lookup.
   */
  Entry symlink(RequestContext ctx, UserInfo user, long parent, String name, String target) {
    if (parent == IOVS_INO) {
      return registrationEntry(iovs.register(ctx, user, name, target));
    }
    if (parent != DIR_INO || !RM_RF.equals(name)) {
      throw eperm("symlink " + name);
    }
    rmrf(ctx, user, target);
    return entry(RM_RF_INO);
  }

  private void rmrf(RequestContext ctx, UserInfo user, String target) {
    Path mp = mountpoint;
    if (mp == null) {
      throw CatenaException.of(Errno.EINVAL, "rm-rf: this mount does not know its mount point");
    }
    Path t;
    try {
      t = Path.of(target);
    } catch (java.nio.file.InvalidPathException e) {
      throw CatenaException.of(Errno.EINVAL, "rm-rf: '%s' is not a path", target);
    }
    if (!t.isAbsolute()) {
      throw CatenaException.of(Errno.EINVAL, "rm-rf: '%s' must be an absolute path below %s", target, mp);
    }
    t = t.normalize();
    if (!t.startsWith(mp)) {
      throw CatenaException.of(Errno.EXDEV, "rm-rf: %s is not in this mount (%s)", t, mp);
    }
    Path rel = mp.relativize(t);
    if (rel.toString().isEmpty()) {
      throw CatenaException.of(Errno.EBUSY, "rm-rf: refusing to remove the mount's root %s", mp);
    }
    if (rel.getName(0).toString().equals(NAME)) {
      throw eperm("rm-rf of the control directory");
    }
    String parentPath = rel.getParent() == null ? "/" : "/" + rel.getParent();
    String victim = rel.getFileName().toString();
    // Relative to the mount's root (a subdirectory mount's paths start there); resolve treats "/" as meta's root.
    Inode parent = meta.resolve(user, root.metaIno(), parentPath.substring(1).isEmpty() ? "." : parentPath
        .substring(1), true);
    Inode child = meta.lookup(user, parent.id(), victim);
    long removed = meta.removeRecursive(user, parent.id(), victim, requests.get());
    LOG.info("rm-rf {} by uid {} (pid {}): {} names removed", t, ctx.uid(), ctx.pid(), removed);
    dropCachedName(root.toFuse(parent.id()), root.toFuse(child.id()), victim);
  }

  /**
   * Tells the kernel the removed name is gone (NOTIFY_DELETE, or INVAL_ENTRY when the kernel still holds names below
   * a removed directory). The kernel takes the parent's lock for that while the ln(1) waiting for this reply holds
   * the control directory's; that cannot deadlock unless someone renames or removes the control directory itself at
   * the same moment, so the notification runs on its own thread and the reply waits for it only a bounded time.
   */
  private void dropCachedName(long parent, long child, String name) {
    FuseNotifier n = notifier;
    if (n == null) {
      return; // attributes and names expire after fuse.entry_timeout / fuse.attr_timeout
    }
    CompletableFuture<Void> done = CompletableFuture.runAsync(() -> {
      try {
        n.deleteEntry(parent, child, name);
      } catch (CatenaException e) {
        try {
          n.invalidateEntry(parent, name);
        } catch (CatenaException e2) {
          // ENOENT: the kernel holds no such name; nothing to drop
        }
      }
    }, r -> Thread.ofVirtual().name("rm-rf-inval").start(r));
    try {
      done.get(INVALIDATE_WAIT_MS, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      LOG.warn("rm-rf: the kernel has not dropped {}/{} yet; answering first (it will)", parent, name);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      LOG.warn("rm-rf: dropping cached {}/{} failed: {}", parent, name, e.getCause().toString());
    }
  }
}
