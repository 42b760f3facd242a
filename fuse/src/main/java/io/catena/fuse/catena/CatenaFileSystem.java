package io.catena.fuse.catena;

import io.catena.client.ClientConfig;
import io.catena.client.FileLayoutIo;
import io.catena.client.WritePipeline;
import io.catena.common.CatenaException;
import io.catena.common.Futures;
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
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RequestId;
import io.catena.meta.UserInfo;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Catena behind a FUSE mount: namespace calls go to meta as the calling process's uid/gid/groups (meta enforces
 * permissions), file data goes straight between this process and the storage chains. FUSE's root inode 1 is meta's
 * root 0 (meta never hands out id 1). Close-to-open consistency: a handle sees meta's length at open plus what this
 * mount wrote; the first close(2) of a written handle makes meta record the exact length, so once close returns
 * every other mount sees the file whole. Thread-safe: FUSE worker threads call it concurrently.
 */
public final class CatenaFileSystem implements FuseFileSystem {
  private static final int READDIR_PAGE = 512;

  private final MetaService meta;
  private final FileLayoutIo fileIo;
  private final long writeBehindBytes;
  private final String clientId;
  private final OpenFiles files = new OpenFiles();
  /** One directory entry as listed: its name, its id and type, and its attributes for readdirplus. */
  private record Listed(String name, long ino, int mode, Inode attrs) {}

  private final Map<Long, List<Listed>> dirListings = new ConcurrentHashMap<>();
  private final AtomicLong nextDirHandle = new AtomicLong(1);
  private final AtomicLong requestSeq = new AtomicLong();
  /**
   * Per regular file the kernel knows, the length last handed to it in attributes. The kernel clamps buffered reads
   * to its cached size until the attribute timeout ends; when open finds another length in meta (another mount
   * wrote the file and closed it), the cached attributes are dropped so close-to-open holds at once.
   */
  private final Map<Long, Long> reportedLength = new ConcurrentHashMap<>();
  private volatile FuseNotifier notifier;

  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId) {
    this(meta, io, clientId, ClientConfig.WRITE_BEHIND.defaultValue().bytes());
  }

  /** @param writeBehindBytes written data per open file that may still be in flight when write(2) returns */
  public CatenaFileSystem(MetaService meta, FileLayoutIo io, String clientId, long writeBehindBytes) {
    this.writeBehindBytes = writeBehindBytes;
    this.meta = meta;
    this.fileIo = io;
    this.clientId = clientId;
  }

  @Override
  public void init(FuseNotifier notifier) {
    this.notifier = notifier;
  }

  @Override
  public void forget(long ino, long nlookup) {
    reportedLength.remove(toMeta(ino)); // the kernel sends forget when it evicts the inode
  }

  static long toMeta(long fuseIno) {
    return fuseIno == ROOT_INO ? MetaService.ROOT : fuseIno;
  }

  static long toFuse(long metaIno) {
    return metaIno == MetaService.ROOT ? ROOT_INO : metaIno;
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

  private Entry entry(Inode i) {
    return Entry.of(attr(i));
  }

  @Override
  public Entry lookup(RequestContext ctx, long parent, String name) {
    return entry(meta.lookup(user(ctx), toMeta(parent), name));
  }

  @Override
  public AttrReply getattr(RequestContext ctx, long ino, OptionalLong fh) {
    return AttrReply.of(attr(meta.getattr(user(ctx), toMeta(ino))));
  }

  @Override
  public AttrReply setattr(RequestContext ctx, long ino, SetAttr c) {
    Long atime = time(c, SetAttr.ATIME, SetAttr.ATIME_NOW, c.atimeSec(), c.atimeNsec());
    Long mtime = time(c, SetAttr.MTIME, SetAttr.MTIME_NOW, c.mtimeSec(), c.mtimeNsec());
    var change = new io.catena.meta.SetAttr(
        c.has(SetAttr.MODE) ? c.mode() & 07777 : null,
        c.has(SetAttr.UID) ? c.uid() : null,
        c.has(SetAttr.GID) ? c.gid() : null,
        c.has(SetAttr.SIZE) ? c.size() : null,
        atime, mtime, null);
    if (c.has(SetAttr.SIZE)) {
      drain(files.openInode(toMeta(ino))); // writes still in flight must not land after the truncation
    }
    Inode after = meta.setattr(user(ctx), toMeta(ino), change);
    if (c.has(SetAttr.SIZE)) {
      files.setLength(after.id(), after.length());
    }
    return AttrReply.of(attr(after));
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
    return meta.readlink(user(ctx), toMeta(ino));
  }

  @Override
  public Entry mknod(RequestContext ctx, long parent, String name, int mode, int rdev) {
    return entry(meta.mknod(user(ctx), toMeta(parent), name, mode, rdev & 0xffffffffL, request()));
  }

  @Override
  public Entry mkdir(RequestContext ctx, long parent, String name, int mode) {
    return entry(meta.mkdir(user(ctx), toMeta(parent), name, mode & 07777, request()));
  }

  @Override
  public void unlink(RequestContext ctx, long parent, String name) {
    meta.unlink(user(ctx), toMeta(parent), name, request());
  }

  @Override
  public void rmdir(RequestContext ctx, long parent, String name) {
    meta.rmdir(user(ctx), toMeta(parent), name, request());
  }

  @Override
  public Entry symlink(RequestContext ctx, long parent, String name, String target) {
    return entry(meta.symlink(user(ctx), toMeta(parent), name, target, request()));
  }

  @Override
  public void rename(RequestContext ctx, long parent, String name, long newParent, String newName, int flags) {
    meta.rename(user(ctx), toMeta(parent), name, toMeta(newParent), newName, flags, request());
  }

  @Override
  public Entry link(RequestContext ctx, long ino, long newParent, String newName) {
    return entry(meta.link(user(ctx), toMeta(ino), toMeta(newParent), newName, request()));
  }

  @Override
  public OpenReply open(RequestContext ctx, long ino, int flags) {
    OpenResult r = meta.open(user(ctx), toMeta(ino), flags, clientId);
    long fh = files.open(r.inode(), r.sessionId(), flags);
    if (r.inode().isFile()) {
      dropStaleSize(r.inode().id());
    }
    return OpenReply.of(fh);
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
    OpenResult r = meta.create(user(ctx), toMeta(parent), name, mode & 07777, flags | OpenFlags.O_CREAT, clientId,
        request());
    long fh = files.open(r.inode(), r.sessionId(), flags);
    return new CreateReply(entry(r.inode()), OpenReply.of(fh));
  }

  @Override
  public ByteBuffer read(RequestContext ctx, long ino, long fh, long offset, int size, ByteBuffer scratch) {
    OpenFiles.Handle h = files.get(fh);
    drain(h.file); // read-your-writes through the write-behind
    Inode inode = h.file.inode;
    ByteBuffer dst = scratch.limit(size);
    int n = Futures.join(fileIo.read(inode.id(), inode.layout(), h.file.length.get(), offset, dst));
    return dst.flip().limit(Math.max(n, 0));
  }

  @Override
  public int write(RequestContext ctx, long ino, long fh, long offset, ByteBuffer data, int flags) {
    OpenFiles.Handle h = files.get(fh);
    if (!OpenFlags.writable(h.flags)) {
      throw CatenaException.of(Errno.EBADF, "handle %d is not open for writing", fh);
    }
    Inode inode = h.file.inode;
    int n = data.remaining();
    long at = (h.flags & OpenFlags.O_APPEND) != 0 ? h.file.length.get() : offset;
    if (writeBehindBytes > 0) {
      pipeline(h.file).write(at, data);
    } else {
      Futures.join(fileIo.write(inode.id(), inode.layout(), at, data));
    }
    h.file.length.accumulateAndGet(at + n, Math::max);
    h.dirty = true;
    h.wrote = true;
    return n;
  }

  @Override
  public void flush(RequestContext ctx, long ino, long fh, long lockOwner) {
    syncIfDirty(ctx, files.get(fh));
  }

  @Override
  public void fsync(RequestContext ctx, long ino, long fh, boolean dataOnly) {
    syncIfDirty(ctx, files.get(fh));
  }

  private WritePipeline pipeline(OpenFiles.OpenInode f) {
    synchronized (f) {
      if (f.pipeline == null) {
        f.pipeline = new WritePipeline(fileIo, f.inode.id(), f.inode.layout(), writeBehindBytes);
      }
      return f.pipeline;
    }
  }

  /** Waits for the inode's writes still in flight on this mount; throws the first that failed. */
  private static void drain(OpenFiles.OpenInode f) {
    WritePipeline p;
    if (f == null) {
      return;
    }
    synchronized (f) {
      p = f.pipeline;
    }
    if (p != null) {
      p.drain();
    }
  }

  private void syncIfDirty(RequestContext ctx, OpenFiles.Handle h) {
    drain(h.file);
    if (h.dirty) {
      h.dirty = false;
      Inode now = meta.sync(user(ctx), h.file.inode.id(), h.sessionId, true);
      h.file.length.accumulateAndGet(now.length(), Math::max);
    }
  }

  @Override
  public void release(RequestContext ctx, long ino, long fh, int flags) {
    OpenFiles.Handle h = files.get(fh);
    try {
      drain(h.file);
    } finally {
      files.release(fh);
      if (h.sessionId != 0 || h.wrote) {
        meta.close(user(ctx), h.file.inode.id(), h.sessionId, h.dirty);
      }
    }
  }

  @Override
  public OpenReply opendir(RequestContext ctx, long ino, int flags) {
    Inode dir = meta.getattr(user(ctx), toMeta(ino));
    if (!dir.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", dir.id());
    }
    meta.access(user(ctx), dir.id(), io.catena.meta.Access.R_OK);
    long fh = nextDirHandle.getAndIncrement();
    dirListings.put(fh, new ArrayList<>());
    return OpenReply.of(fh);
  }

  /** The directory's entries, "." and ".." first: loaded once per open handle so offsets stay stable. */
  private List<Listed> listing(RequestContext ctx, long ino, long fh, boolean plus) {
    List<Listed> cached = dirListings.get(fh);
    if (cached == null) {
      throw CatenaException.of(Errno.EBADF, "no open directory handle %d", fh);
    }
    synchronized (cached) {
      if (cached.isEmpty()) {
        Inode dir = meta.getattr(user(ctx), toMeta(ino));
        Inode parent = dir.id() == MetaService.ROOT ? dir : meta.getattr(user(ctx), dir.parent());
        cached.add(new Listed(".", dir.id(), dir.stMode(), dir));
        cached.add(new Listed("..", parent.id(), parent.stMode(), parent));
        String cursor = null;
        while (true) {
          ReaddirPage page = meta.readdir(user(ctx), dir.id(), cursor, READDIR_PAGE, plus);
          for (int i = 0; i < page.entries().size(); i++) {
            DirEntry e = page.entries().get(i);
            Inode attrs = plus ? page.attrs().get(i) : null;
            cached.add(new Listed(e.name(), e.ino(), attrs != null ? attrs.stMode() : e.type().ifmt(), attrs));
          }
          if (!page.more()) {
            break;
          }
          cursor = page.cursor();
        }
      }
      return cached;
    }
  }

  @Override
  public void readdir(RequestContext ctx, long ino, long fh, long offset, DirFiller filler) {
    List<Listed> all = listing(ctx, ino, fh, false);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed e = all.get(i);
      if (!filler.add(e.name(), toFuse(e.ino()), e.mode(), i + 1)) {
        return;
      }
    }
  }

  @Override
  public void readdirplus(RequestContext ctx, long ino, long fh, long offset, DirPlusFiller filler) {
    List<Listed> all = listing(ctx, ino, fh, true);
    for (int i = (int) offset; i < all.size(); i++) {
      Listed e = all.get(i);
      Inode attrs = e.attrs() != null ? e.attrs() : meta.getattr(user(ctx), e.ino());
      if (!filler.add(e.name(), entry(attrs), i + 1)) {
        return;
      }
    }
  }

  @Override
  public void releasedir(RequestContext ctx, long ino, long fh) {
    dirListings.remove(fh);
  }

  @Override
  public StatFs statfs(RequestContext ctx, long ino) {
    io.catena.meta.StatFs s = meta.statfs(user(ctx));
    int bsize = 4096;
    long blocks = s.capacityBytes() / bsize;
    long free = s.freeBytes() / bsize;
    return new StatFs(blocks, free, free, s.usedInodes() + (1L << 32), 1L << 32, 1 << 20, s.maxNameLength(), bsize);
  }

  @Override
  public void setxattr(RequestContext ctx, long ino, String name, byte[] value, int flags) {
    meta.setxattr(user(ctx), toMeta(ino), name, value, flags, request());
  }

  @Override
  public byte[] getxattr(RequestContext ctx, long ino, String name) {
    return meta.getxattr(user(ctx), toMeta(ino), name);
  }

  @Override
  public List<String> listxattr(RequestContext ctx, long ino) {
    return meta.listxattr(user(ctx), toMeta(ino));
  }

  @Override
  public void removexattr(RequestContext ctx, long ino, String name) {
    meta.removexattr(user(ctx), toMeta(ino), name, request());
  }

  @Override
  public void access(RequestContext ctx, long ino, int mask) {
    meta.access(user(ctx), toMeta(ino), mask);
  }

}
