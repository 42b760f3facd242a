package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The open files of one client (a mount, a {@link CatenaClient}): their handle numbers and, per inode, what its
 * handles share: the length this client knows (the larger of meta's length at each open and what any handle here
 * wrote), so reads through one handle see writes through another, and one write-behind, so they also see each
 * other's bytes. Thread-safe.
 */
public final class OpenFiles {
  /**
   * One inode open on this client, shared by its handles. Thread-safe: {@link #length} is atomic, {@link #handles}
   * changes only inside the map's per-key compute, {@link #pipeline} is guarded by the instance monitor.
   */
  static final class OpenInode {
    /**
     * The inode as its first open found it: layout, and the truncate version length hints carry. A later writable
     * open replaces it when meta gave the file new data meanwhile (copy-on-write after a snapshot, see
     * docs/snapshots.md): writes must go to the file's own data, never to data it shares.
     */
    volatile Inode inode;
    final AtomicLong length;
    int handles;
    /** Created on the first write that wants write-behind. */
    WritePipeline pipeline;

    OpenInode(Inode inode) {
      this.inode = inode;
      this.length = new AtomicLong(inode.length());
    }

    /** Switches to the layout of a newer open; writes still in flight under the old one finish first. */
    void relayout(Inode newer) {
      drain();
      synchronized (this) {
        pipeline = null; // it was made for the old layout; the next write makes one for the new
        inode = newer;
      }
    }

    /** Waits for this inode's writes still in flight here; throws the first that failed. */
    void drain() {
      WritePipeline p;
      synchronized (this) {
        p = pipeline;
      }
      if (p != null) {
        p.drain();
      }
    }
  }

  final MetaService meta;
  final FileLayoutIo io;
  /** Read per write, so hot updates of client.write_behind and client.length_hint_step apply to the next one. */
  final Supplier<Config> config;
  private final Map<Long, OpenFile> handles = new ConcurrentHashMap<>();
  private final Map<Long, OpenInode> inodes = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  /** @param config a configuration carrying the {@link ClientConfig} keys */
  public OpenFiles(MetaService meta, FileLayoutIo io, Supplier<Config> config) {
    this.meta = meta;
    this.io = io;
    this.config = config;
  }

  /**
   * Registers what meta's open or create answered. {@code flags} decide what the handle allows: O_ACCMODE (EBADF
   * for reads or writes it does not permit) and O_APPEND.
   */
  public OpenFile open(OpenResult opened, int flags) {
    Inode inode = opened.inode();
    OpenInode shared = inodes.compute(inode.id(), (id, cur) -> {
      OpenInode o = cur == null ? new OpenInode(inode) : cur;
      if (cur != null && OpenFlags.writable(flags) && !Objects.equals(inode.layout(), cur.inode.layout())) {
        o.relayout(inode);
      }
      o.length.accumulateAndGet(inode.length(), Math::max);
      o.handles++;
      return o;
    });
    OpenFile f = new OpenFile(this, shared, nextHandle.getAndIncrement(), inode, opened.sessionId(), flags);
    handles.put(f.handle(), f);
    return f;
  }

  /** The open file with handle number {@code handle}; EBADF when none is open. */
  public OpenFile get(long handle) {
    OpenFile f = handles.get(handle);
    if (f == null) {
      throw CatenaException.of(Errno.EBADF, "no open file handle %d", handle);
    }
    return f;
  }

  /** The length this client knows for inode {@code ino}, or -1 if it is not open here. */
  public long knownLength(long ino) {
    OpenInode o = inodes.get(ino);
    return o == null ? -1 : o.length.get();
  }

  /**
   * Waits for writes to inode {@code ino} still in flight from this client (nothing when it is not open here) and
   * throws the first that failed: a truncation must not be overtaken by them.
   */
  public void drainWrites(long ino) {
    OpenInode o = inodes.get(ino);
    if (o != null) {
      o.drain();
    }
  }

  /** Sets the known length of an open inode exactly, after a truncation. */
  public void setLength(long ino, long length) {
    OpenInode o = inodes.get(ino);
    if (o != null) {
      o.length.set(length);
    }
  }

  /** One read of a batch: through which open file, from where, into what. */
  public record HandleRead(OpenFile file, long offset, ByteBuffer dst) {}

  /**
   * Reads through many open files at once, each as {@link OpenFile#read} would (EBADF for a closed or write-only
   * handle; after this client's writes in flight to the file landed), with their chunk pieces sent together
   * ({@link FileLayoutIo#readBatch}). Each completes on its own with the bytes read (-1 when its offset is at or
   * past the end of the file); {@code dst} positions are not moved. Never throws.
   */
  public List<CompletableFuture<Integer>> readBatch(List<HandleRead> reads) {
    List<CompletableFuture<Integer>> out = new ArrayList<>(reads.size());
    List<FileLayoutIo.FileRead> sent = new ArrayList<>(reads.size());
    List<Integer> sentIndex = new ArrayList<>(reads.size());
    for (HandleRead r : reads) {
      try {
        long length = r.file().readableLength();
        Inode inode = r.file().sharedInode();
        sent.add(new FileLayoutIo.FileRead(inode.id(), inode.layout(), length, r.offset(), r.dst()));
        sentIndex.add(out.size());
        out.add(null);
      } catch (RuntimeException e) {
        out.add(CompletableFuture.failedFuture(e));
      }
    }
    List<CompletableFuture<Integer>> got = io.readBatch(sent);
    for (int k = 0; k < got.size(); k++) {
      out.set(sentIndex.get(k), got.get(k));
    }
    return out;
  }

  void release(OpenFile f) {
    if (handles.remove(f.handle()) != null) {
      inodes.computeIfPresent(f.inode().id(), (id, o) -> --o.handles == 0 ? null : o);
    }
  }
}
