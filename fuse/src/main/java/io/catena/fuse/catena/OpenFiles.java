package io.catena.fuse.catena;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mount's open file handles and, per inode, the length this mount knows (the larger of meta's length at open and
 * what any local handle wrote), so reads through one handle see writes through another. Thread-safe.
 */
final class OpenFiles {
  /** One inode open on this mount: its layout and the length the mount has seen. */
  static final class OpenInode {
    final Inode inode;
    final AtomicLong length;
    int handles;
    /** Write-behind of this inode's writes on this mount, shared by its handles; created on the first write. */
    io.catena.client.WritePipeline pipeline;

    OpenInode(Inode inode) {
      this.inode = inode;
      this.length = new AtomicLong(inode.length());
    }
  }

  /**
   * One open(2) / create(2): meta's write session (0 for read-only), whether it wrote since the last sync, the
   * inode as this open found it (its times decide whether a read is due to update atime) and that update, once
   * started.
   */
  static final class Handle {
    final OpenInode file;
    final long sessionId;
    final int flags;
    final Inode openedAs;
    volatile boolean dirty;
    volatile boolean wrote;
    /** Set by the first read: the atime update it started (a completed future when none was due). */
    volatile java.util.concurrent.CompletableFuture<Void> atime;
    /** The length last reported to meta while writing, whether a report is on its way, and meta's refusal. */
    volatile long hintedLength;
    final java.util.concurrent.atomic.AtomicBoolean hinting = new java.util.concurrent.atomic.AtomicBoolean();
    volatile java.util.concurrent.CompletableFuture<Void> hint;
    volatile io.catena.common.CatenaException growthRefused;

    Handle(OpenInode file, long sessionId, int flags, Inode openedAs) {
      this.file = file;
      this.sessionId = sessionId;
      this.flags = flags;
      this.openedAs = openedAs;
      this.hintedLength = file.length.get();
    }
  }

  private final Map<Long, Handle> handles = new ConcurrentHashMap<>();
  private final Map<Long, OpenInode> inodes = new ConcurrentHashMap<>();
  private final AtomicLong nextFh = new AtomicLong(1);

  long open(Inode inode, long sessionId, int flags) {
    OpenInode f = inodes.compute(inode.id(), (id, cur) -> {
      OpenInode o = cur == null ? new OpenInode(inode) : cur;
      o.length.accumulateAndGet(inode.length(), Math::max);
      o.handles++;
      return o;
    });
    long fh = nextFh.getAndIncrement();
    handles.put(fh, new Handle(f, sessionId, flags, inode));
    return fh;
  }

  Handle get(long fh) {
    Handle h = handles.get(fh);
    if (h == null) {
      throw CatenaException.of(Errno.EBADF, "no open file handle %d", fh);
    }
    return h;
  }

  /** The open state of an inode on this mount, or null. */
  OpenInode openInode(long ino) {
    return inodes.get(ino);
  }

  /** The length the mount knows for an open inode, or -1 if it is not open here. */
  long knownLength(long ino) {
    OpenInode f = inodes.get(ino);
    return f == null ? -1 : f.length.get();
  }

  /** Sets the known length of an open inode exactly (after a truncate). */
  void setLength(long ino, long length) {
    OpenInode f = inodes.get(ino);
    if (f != null) {
      f.length.set(length);
    }
  }

  Handle release(long fh) {
    Handle h = handles.remove(fh);
    if (h != null) {
      inodes.computeIfPresent(h.file.inode.id(), (id, o) -> --o.handles == 0 ? null : o);
    }
    return h;
  }
}
