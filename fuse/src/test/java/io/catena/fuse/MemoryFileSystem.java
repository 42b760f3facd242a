package io.catena.fuse;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small, correct inode file system in memory for mounting in tests: files in 1 MiB blocks, directories,
 * symlinks, hard links, xattrs, rename flags, and permission checks from the caller's uid, gid and groups (the
 * mount does not use default_permissions, so this is the only check). Test hooks: looking up a name starting with
 * "boom" throws a RuntimeException; looking up "slow" blocks until the request is interrupted; looking up a name
 * starting with "held" blocks until the test opens {@link #heldLookups}.
 * Thread-safe: one lock around the namespace and data (tests care about correctness, not scaling).
 */
class MemoryFileSystem implements FuseFileSystem {
  private static final int BLOCK = 1 << 20;
  private static final int O_ACCMODE = 3;
  private static final int O_WRONLY = 1;
  private static final int O_RDWR = 2;
  private static final int O_EXCL = 0200;
  private static final int O_TRUNC = 01000;
  private static final int O_APPEND = 02000;

  final CountDownLatch slowLookupEntered = new CountDownLatch(1);
  final AtomicLong forgets = new AtomicLong();
  final CountDownLatch heldLookups = new CountDownLatch(1);
  final java.util.concurrent.Semaphore heldLookupsEntered = new java.util.concurrent.Semaphore(0);

  private final Object lock = new Object();
  private final Map<Long, Node> nodes = new HashMap<>();
  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
  private final AtomicLong nextFh = new AtomicLong(1);
  private long nextIno = 2;
  private long usedBytes;

  private static final class Node {
    final long ino;
    int mode;
    int uid;
    int gid;
    int nlink;
    int rdev;
    long size;
    long lookups;
    long atime = System.currentTimeMillis();
    long mtime = atime;
    long ctime = atime;
    final List<byte[]> blocks = new ArrayList<>();
    TreeMap<String, Long> children;
    long parent;
    String target;
    final Map<String, byte[]> xattrs = new LinkedHashMap<>();

    Node(long ino, int mode, int uid, int gid) {
      this.ino = ino;
      this.mode = mode;
      this.uid = uid;
      this.gid = gid;
      this.nlink = isDir() ? 2 : 1;
      if (isDir()) {
        children = new TreeMap<>();
      }
    }

    boolean isDir() {
      return (mode & Attr.S_IFMT) == Attr.S_IFDIR;
    }

    Attr attr() {
      return new Attr(ino, size, (size + 511) / 512, atime / 1000, (int) (atime % 1000) * 1_000_000, mtime / 1000,
          (int) (mtime % 1000) * 1_000_000, ctime / 1000, (int) (ctime % 1000) * 1_000_000, mode, nlink, uid, gid,
          rdev, 4096);
    }
  }

  private record Handle(long ino, int flags, List<String> dirSnapshot) {}

  MemoryFileSystem() {
    Node root = new Node(ROOT_INO, Attr.S_IFDIR | 0755, 0, 0);
    root.parent = ROOT_INO;
    root.lookups = 1;
    nodes.put(ROOT_INO, root);
  }

  private static CatenaException err(Errno e, String fmt, Object... args) {
    return CatenaException.of(e, fmt, args);
  }

  private Node node(long ino) {
    Node n = nodes.get(ino);
    if (n == null) {
      throw err(Errno.ESTALE, "inode %d is gone", ino);
    }
    return n;
  }

  private Node dir(long ino) {
    Node n = node(ino);
    if (!n.isDir()) {
      throw err(Errno.ENOTDIR, "inode %d is not a directory", ino);
    }
    return n;
  }

  private static void check(RequestContext ctx, Node n, int mask) {
    if (mask == 0) {
      return;
    }
    if (ctx.uid() == 0) {
      if ((mask & X_OK) == 0 || n.isDir() || (n.mode & 0111) != 0) {
        return;
      }
      throw err(Errno.EACCES, "no execute bit on %d", n.ino);
    }
    int bits;
    if (ctx.uid() == n.uid) {
      bits = (n.mode >> 6) & 7;
    } else if (ctx.inGroup(n.gid)) {
      bits = (n.mode >> 3) & 7;
    } else {
      bits = n.mode & 7;
    }
    if ((bits & mask) != mask) {
      throw err(Errno.EACCES, "uid %d may not access inode %d with mask %d", ctx.uid(), n.ino, mask);
    }
  }

  private Entry entry(Node n) {
    n.lookups++;
    return Entry.of(n.attr());
  }

  private Node child(Node dir, String name) {
    Long ino = dir.children.get(name);
    return ino == null ? null : nodes.get(ino);
  }

  private Node newNode(RequestContext ctx, Node parent, String name, int mode) {
    if (name.getBytes(java.nio.charset.StandardCharsets.UTF_8).length > 255) {
      throw err(Errno.ENAMETOOLONG, "name too long");
    }
    check(ctx, parent, W_OK | X_OK);
    if (parent.children.containsKey(name)) {
      throw err(Errno.EEXIST, "%s exists", name);
    }
    int gid = (parent.mode & 02000) != 0 ? parent.gid : ctx.gid();
    Node n = new Node(nextIno++, mode, ctx.uid(), gid);
    nodes.put(n.ino, n);
    parent.children.put(name, n.ino);
    if (n.isDir()) {
      n.parent = parent.ino;
      parent.nlink++;
    }
    touch(parent);
    return n;
  }

  private static void touch(Node n) {
    n.mtime = n.ctime = System.currentTimeMillis();
  }

  private void maybeFree(Node n) {
    if (n.nlink == 0 && n.lookups == 0 && n.ino != ROOT_INO
        && handles.values().stream().noneMatch(h -> h.ino == n.ino)) {
      truncate(n, 0);
      nodes.remove(n.ino);
    }
  }

  @Override
  public Entry lookup(RequestContext ctx, long parent, String name) {
    if (name.startsWith("boom")) {
      throw new IllegalStateException("injected failure looking up " + name);
    }
    if (name.equals("slow")) {
      blockUntilInterrupted(ctx);
    }
    if (name.startsWith("held")) {
      heldLookupsEntered.release();
      try {
        if (!heldLookups.await(60, TimeUnit.SECONDS)) {
          throw err(Errno.ETIMEDOUT, "lookup of %s was never let go", name);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (lock) {
      Node d = dir(parent);
      check(ctx, d, X_OK);
      Node n = child(d, name);
      if (n == null) {
        throw err(Errno.ENOENT, "%s not found", name);
      }
      return entry(n);
    }
  }

  /** Blocks like a lookup stuck on a dead server, until the kernel interrupts it (capped so a failing test cannot
   * wedge a reader for good). */
  private void blockUntilInterrupted(RequestContext ctx) {
    slowLookupEntered.countDown();
    CountDownLatch interrupted = new CountDownLatch(1);
    ctx.onInterrupt(interrupted::countDown);
    try {
      if (!interrupted.await(60, TimeUnit.SECONDS)) {
        throw err(Errno.ETIMEDOUT, "lookup of slow was never interrupted");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    throw err(Errno.EINTR, "lookup of slow interrupted");
  }

  @Override
  public void forget(long ino, long nlookup) {
    forgets.incrementAndGet();
    synchronized (lock) {
      Node n = nodes.get(ino);
      if (n != null) {
        n.lookups = Math.max(0, n.lookups - nlookup);
        maybeFree(n);
      }
    }
  }

  @Override
  public AttrReply getattr(RequestContext ctx, long ino, OptionalLong fh) {
    synchronized (lock) {
      return AttrReply.of(node(ino).attr());
    }
  }

  @Override
  public AttrReply setattr(RequestContext ctx, long ino, SetAttr c) {
    synchronized (lock) {
      Node n = node(ino);
      boolean owner = ctx.uid() == 0 || ctx.uid() == n.uid;
      if (c.has(SetAttr.MODE)) {
        if (!owner) {
          throw err(Errno.EPERM, "only the owner may chmod");
        }
        n.mode = (n.mode & Attr.S_IFMT) | (c.mode() & 07777);
      }
      if (c.has(SetAttr.UID) && c.uid() != n.uid) {
        if (ctx.uid() != 0) {
          throw err(Errno.EPERM, "only root may chown");
        }
        n.uid = c.uid();
      }
      if (c.has(SetAttr.GID) && c.gid() != n.gid) {
        if (ctx.uid() != 0 && !(ctx.uid() == n.uid && ctx.inGroup(c.gid()))) {
          throw err(Errno.EPERM, "may not chgrp to %d", c.gid());
        }
        n.gid = c.gid();
      }
      if (c.has(SetAttr.SIZE)) {
        if (n.isDir()) {
          throw err(Errno.EISDIR, "truncate of a directory");
        }
        if (c.fh().isEmpty()) {
          check(ctx, n, W_OK);
        }
        truncate(n, c.size());
        touch(n);
      }
      long now = System.currentTimeMillis();
      if (c.has(SetAttr.ATIME) || c.has(SetAttr.ATIME_NOW) || c.has(SetAttr.MTIME) || c.has(SetAttr.MTIME_NOW)) {
        boolean now2 = c.has(SetAttr.ATIME_NOW) || c.has(SetAttr.MTIME_NOW);
        if (!owner) {
          if (!now2) {
            throw err(Errno.EPERM, "only the owner may set times");
          }
          check(ctx, n, W_OK);
        }
      }
      if (c.has(SetAttr.ATIME_NOW)) {
        n.atime = now;
      } else if (c.has(SetAttr.ATIME)) {
        n.atime = c.atimeSec() * 1000 + c.atimeNsec() / 1_000_000;
      }
      if (c.has(SetAttr.MTIME_NOW)) {
        n.mtime = now;
      } else if (c.has(SetAttr.MTIME)) {
        n.mtime = c.mtimeSec() * 1000 + c.mtimeNsec() / 1_000_000;
      }
      n.ctime = now;
      return AttrReply.of(n.attr());
    }
  }

  private void truncate(Node n, long size) {
    long oldSize = n.size;
    int keep = (int) ((size + BLOCK - 1) / BLOCK);
    while (n.blocks.size() > keep) {
      n.blocks.remove(n.blocks.size() - 1);
    }
    if (size < oldSize && size % BLOCK != 0 && keep > 0 && n.blocks.size() == keep) {
      byte[] last = n.blocks.get(keep - 1);
      if (last != null) {
        java.util.Arrays.fill(last, (int) (size % BLOCK), BLOCK, (byte) 0);
      }
    }
    n.size = size;
    usedBytes += size - oldSize;
  }

  @Override
  public String readlink(RequestContext ctx, long ino) {
    synchronized (lock) {
      Node n = node(ino);
      if (n.target == null) {
        throw err(Errno.EINVAL, "not a symlink");
      }
      return n.target;
    }
  }

  @Override
  public Entry mknod(RequestContext ctx, long parent, String name, int mode, int rdev) {
    synchronized (lock) {
      Node n = newNode(ctx, dir(parent), name, mode);
      n.rdev = rdev;
      return entry(n);
    }
  }

  @Override
  public Entry mkdir(RequestContext ctx, long parent, String name, int mode) {
    synchronized (lock) {
      return entry(newNode(ctx, dir(parent), name, mode));
    }
  }

  @Override
  public Entry symlink(RequestContext ctx, long parent, String name, String target) {
    synchronized (lock) {
      Node n = newNode(ctx, dir(parent), name, Attr.S_IFLNK | 0777);
      n.target = target;
      n.size = target.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
      return entry(n);
    }
  }

  @Override
  public Entry link(RequestContext ctx, long ino, long newParent, String newName) {
    synchronized (lock) {
      Node n = node(ino);
      if (n.isDir()) {
        throw err(Errno.EPERM, "hard links to directories are not allowed");
      }
      Node d = dir(newParent);
      check(ctx, d, W_OK | X_OK);
      if (d.children.containsKey(newName)) {
        throw err(Errno.EEXIST, "%s exists", newName);
      }
      d.children.put(newName, n.ino);
      n.nlink++;
      n.ctime = System.currentTimeMillis();
      touch(d);
      return entry(n);
    }
  }

  @Override
  public void unlink(RequestContext ctx, long parent, String name) {
    synchronized (lock) {
      Node d = dir(parent);
      check(ctx, d, W_OK | X_OK);
      Node n = child(d, name);
      if (n == null) {
        throw err(Errno.ENOENT, "%s not found", name);
      }
      if (n.isDir()) {
        throw err(Errno.EISDIR, "%s is a directory", name);
      }
      d.children.remove(name);
      n.nlink--;
      n.ctime = System.currentTimeMillis();
      touch(d);
      maybeFree(n);
    }
  }

  @Override
  public void rmdir(RequestContext ctx, long parent, String name) {
    synchronized (lock) {
      Node d = dir(parent);
      check(ctx, d, W_OK | X_OK);
      Node n = child(d, name);
      if (n == null) {
        throw err(Errno.ENOENT, "%s not found", name);
      }
      if (!n.isDir()) {
        throw err(Errno.ENOTDIR, "%s is not a directory", name);
      }
      if (!n.children.isEmpty()) {
        throw err(Errno.ENOTEMPTY, "%s is not empty", name);
      }
      d.children.remove(name);
      d.nlink--;
      n.nlink = 0;
      touch(d);
      maybeFree(n);
    }
  }

  private boolean isAncestor(long maybeAncestor, Node n) {
    Node cur = n;
    while (true) {
      if (cur.ino == maybeAncestor) {
        return true;
      }
      if (cur.ino == ROOT_INO) {
        return false;
      }
      cur = node(cur.parent);
    }
  }

  @Override
  public void rename(RequestContext ctx, long parent, String name, long newParent, String newName, int flags) {
    synchronized (lock) {
      if ((flags & ~(RENAME_NOREPLACE | RENAME_EXCHANGE)) != 0
          || (flags & RENAME_NOREPLACE) != 0 && (flags & RENAME_EXCHANGE) != 0) {
        throw err(Errno.EINVAL, "rename flags %d not supported", flags);
      }
      Node from = dir(parent);
      Node to = dir(newParent);
      check(ctx, from, W_OK | X_OK);
      check(ctx, to, W_OK | X_OK);
      Node src = child(from, name);
      if (src == null) {
        throw err(Errno.ENOENT, "%s not found", name);
      }
      Node dst = child(to, newName);
      if (src.isDir() && isAncestor(src.ino, to)) {
        throw err(Errno.EINVAL, "cannot move a directory into itself");
      }
      if ((flags & RENAME_EXCHANGE) != 0) {
        if (dst == null) {
          throw err(Errno.ENOENT, "%s not found", newName);
        }
        if (dst.isDir() && isAncestor(dst.ino, from)) {
          throw err(Errno.EINVAL, "cannot move a directory into itself");
        }
        from.children.put(name, dst.ino);
        to.children.put(newName, src.ino);
        if (src.isDir() != dst.isDir() && from != to) {
          Node dirMoved = src.isDir() ? src : dst;
          Node gains = src.isDir() ? to : from;
          Node loses = src.isDir() ? from : to;
          gains.nlink++;
          loses.nlink--;
          dirMoved.parent = gains.ino;
        } else if (src.isDir()) {
          long p = src.parent;
          src.parent = dst.parent;
          dst.parent = p;
        }
        touch(from);
        touch(to);
        return;
      }
      if (dst != null) {
        if ((flags & RENAME_NOREPLACE) != 0) {
          throw err(Errno.EEXIST, "%s exists", newName);
        }
        if (dst == src) {
          return;
        }
        if (src.isDir() && !dst.isDir()) {
          throw err(Errno.ENOTDIR, "%s is not a directory", newName);
        }
        if (!src.isDir() && dst.isDir()) {
          throw err(Errno.EISDIR, "%s is a directory", newName);
        }
        if (dst.isDir() && !dst.children.isEmpty()) {
          throw err(Errno.ENOTEMPTY, "%s is not empty", newName);
        }
        to.children.remove(newName);
        if (dst.isDir()) {
          to.nlink--;
          dst.nlink = 0;
        } else {
          dst.nlink--;
        }
        maybeFree(dst);
      }
      from.children.remove(name);
      to.children.put(newName, src.ino);
      if (src.isDir()) {
        from.nlink--;
        to.nlink++;
        src.parent = to.ino;
      }
      src.ctime = System.currentTimeMillis();
      touch(from);
      touch(to);
    }
  }

  private void checkOpen(RequestContext ctx, Node n, int flags) {
    int acc = flags & O_ACCMODE;
    int mask = acc == O_WRONLY ? W_OK : acc == O_RDWR ? R_OK | W_OK : R_OK;
    if ((flags & O_TRUNC) != 0) {
      mask |= W_OK;
    }
    check(ctx, n, mask);
  }

  @Override
  public OpenReply open(RequestContext ctx, long ino, int flags) {
    synchronized (lock) {
      Node n = node(ino);
      if (n.isDir() && (flags & O_ACCMODE) != 0) {
        throw err(Errno.EISDIR, "directory opened for writing");
      }
      checkOpen(ctx, n, flags);
      if ((flags & O_TRUNC) != 0 && n.size != 0) {
        truncate(n, 0);
        touch(n);
      }
      long fh = nextFh.getAndIncrement();
      handles.put(fh, new Handle(ino, flags, null));
      return OpenReply.of(fh);
    }
  }

  @Override
  public CreateReply create(RequestContext ctx, long parent, String name, int mode, int flags) {
    synchronized (lock) {
      Node d = dir(parent);
      Node n = child(d, name);
      if (n != null) {
        if ((flags & O_EXCL) != 0) {
          throw err(Errno.EEXIST, "%s exists", name);
        }
        checkOpen(ctx, n, flags);
        if ((flags & O_TRUNC) != 0) {
          truncate(n, 0);
        }
      } else {
        n = newNode(ctx, d, name, (mode & 07777) | Attr.S_IFREG);
      }
      long fh = nextFh.getAndIncrement();
      handles.put(fh, new Handle(n.ino, flags, null));
      return new CreateReply(entry(n), OpenReply.of(fh));
    }
  }

  @Override
  public ByteBuffer read(RequestContext ctx, long ino, long fh, long offset, int size, ByteBuffer scratch) {
    synchronized (lock) {
      Node n = node(ino);
      if (offset >= n.size) {
        return scratch.limit(0);
      }
      int len = (int) Math.min(size, n.size - offset);
      int done = 0;
      while (done < len) {
        long pos = offset + done;
        int bi = (int) (pos / BLOCK);
        int bo = (int) (pos % BLOCK);
        int k = Math.min(len - done, BLOCK - bo);
        byte[] blk = bi < n.blocks.size() ? n.blocks.get(bi) : null;
        if (blk == null) {
          for (int i = 0; i < k; i++) {
            scratch.put(done + i, (byte) 0);
          }
        } else {
          scratch.put(done, blk, bo, k);
        }
        done += k;
      }
      n.atime = System.currentTimeMillis();
      return scratch.position(0).limit(len);
    }
  }

  @Override
  public int write(RequestContext ctx, long ino, long fh, long offset, ByteBuffer data, int flags) {
    synchronized (lock) {
      Node n = node(ino);
      Handle h = handles.get(fh);
      if (h != null && (h.flags & O_APPEND) != 0) {
        offset = n.size; // O_APPEND: always at the end, whatever the kernel's cached size said
      }
      int len = data.remaining();
      int done = 0;
      while (done < len) {
        long pos = offset + done;
        int bi = (int) (pos / BLOCK);
        int bo = (int) (pos % BLOCK);
        int k = Math.min(len - done, BLOCK - bo);
        while (n.blocks.size() <= bi) {
          n.blocks.add(null);
        }
        byte[] blk = n.blocks.get(bi);
        if (blk == null) {
          blk = new byte[BLOCK];
          n.blocks.set(bi, blk);
        }
        data.get(data.position() + done, blk, bo, k);
        done += k;
      }
      if (offset + len > n.size) {
        usedBytes += offset + len - n.size;
        n.size = offset + len;
      }
      touch(n);
      return len;
    }
  }

  @Override
  public void release(RequestContext ctx, long ino, long fh, int flags) {
    synchronized (lock) {
      handles.remove(fh);
      Node n = nodes.get(ino);
      if (n != null) {
        maybeFree(n);
      }
    }
  }

  @Override
  public OpenReply opendir(RequestContext ctx, long ino, int flags) {
    synchronized (lock) {
      Node d = dir(ino);
      check(ctx, d, R_OK);
      long fh = nextFh.getAndIncrement();
      handles.put(fh, new Handle(ino, flags, snapshot(d)));
      return OpenReply.of(fh);
    }
  }

  private static List<String> snapshot(Node d) {
    List<String> names = new ArrayList<>();
    names.add(".");
    names.add("..");
    names.addAll(d.children.keySet());
    return names;
  }

  @Override
  public void readdir(RequestContext ctx, long ino, long fh, long offset, DirFiller filler) {
    synchronized (lock) {
      Node d = dir(ino);
      List<String> names = listing(d, fh, offset);
      for (int i = (int) offset; i < names.size(); i++) {
        Node n = resolve(d, names.get(i));
        if (n != null && !filler.add(names.get(i), n.ino, n.mode, i + 1)) {
          return;
        }
      }
    }
  }

  @Override
  public void readdirplus(RequestContext ctx, long ino, long fh, long offset, DirPlusFiller filler) {
    synchronized (lock) {
      Node d = dir(ino);
      List<String> names = listing(d, fh, offset);
      for (int i = (int) offset; i < names.size(); i++) {
        String name = names.get(i);
        Node n = resolve(d, name);
        if (n == null) {
          continue;
        }
        boolean dots = name.equals(".") || name.equals("..");
        if (!filler.add(name, Entry.of(n.attr()), i + 1)) {
          return;
        }
        if (!dots) {
          n.lookups++;
        }
      }
    }
  }

  private List<String> listing(Node d, long fh, long offset) {
    Handle h = handles.get(fh);
    if (h == null || h.dirSnapshot == null) {
      return snapshot(d);
    }
    if (offset == 0) {
      // rewinddir: a fresh listing
      Handle fresh = new Handle(h.ino, h.flags, snapshot(d));
      handles.put(fh, fresh);
      return fresh.dirSnapshot;
    }
    return h.dirSnapshot;
  }

  private Node resolve(Node d, String name) {
    return switch (name) {
      case "." -> d;
      case ".." -> nodes.get(d.parent);
      default -> child(d, name);
    };
  }

  @Override
  public void releasedir(RequestContext ctx, long ino, long fh) {
    handles.remove(fh);
  }

  @Override
  public StatFs statfs(RequestContext ctx, long ino) {
    synchronized (lock) {
      long total = 1L << 22; // 16 GiB of 4 KiB blocks
      long used = (usedBytes + 4095) / 4096;
      long free = Math.max(0, total - used);
      return new StatFs(total, free, free, 1_000_000, 1_000_000 - nodes.size(), 4096, 255, 4096);
    }
  }

  @Override
  public void setxattr(RequestContext ctx, long ino, String name, byte[] value, int flags) {
    synchronized (lock) {
      Node n = node(ino);
      boolean exists = n.xattrs.containsKey(name);
      if ((flags & XATTR_CREATE) != 0 && exists) {
        throw err(Errno.EEXIST, "xattr %s exists", name);
      }
      if ((flags & XATTR_REPLACE) != 0 && !exists) {
        throw err(Errno.ENODATA, "no xattr %s", name);
      }
      n.xattrs.put(name, value.clone());
      n.ctime = System.currentTimeMillis();
    }
  }

  @Override
  public byte[] getxattr(RequestContext ctx, long ino, String name) {
    synchronized (lock) {
      byte[] v = node(ino).xattrs.get(name);
      if (v == null) {
        throw err(Errno.ENODATA, "no xattr %s", name);
      }
      return v.clone();
    }
  }

  @Override
  public List<String> listxattr(RequestContext ctx, long ino) {
    synchronized (lock) {
      return List.copyOf(node(ino).xattrs.keySet());
    }
  }

  @Override
  public void removexattr(RequestContext ctx, long ino, String name) {
    synchronized (lock) {
      if (node(ino).xattrs.remove(name) == null) {
        throw err(Errno.ENODATA, "no xattr %s", name);
      }
    }
  }

  @Override
  public void access(RequestContext ctx, long ino, int mask) {
    synchronized (lock) {
      check(ctx, node(ino), mask);
    }
  }

  @Override
  public void fallocate(RequestContext ctx, long ino, long fh, long offset, long length, int mode) {
    if (mode != 0) {
      throw err(Errno.EOPNOTSUPP, "fallocate mode %d", mode);
    }
    synchronized (lock) {
      Node n = node(ino);
      if (offset + length > n.size) {
        truncate(n, offset + length);
      }
    }
  }
}
