package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Futures;
import io.catena.meta.Inode;
import io.catena.meta.OpenFlags;
import io.catena.meta.UserInfo;
import java.nio.ByteBuffer;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One open(2) of a file through a client, what the Java API, the FUSE mount and any other front end do with it:
 * positional reads and writes straight between this process and the storage chains, write-behind through a
 * {@link WritePipeline} shared with the inode's other handles on the client, length hints to meta while the file
 * grows, and flush/close making meta record the exact length. Close-to-open consistency: a handle sees meta's
 * length at open plus what this client wrote. {@code user} parameters name the caller meta checks and charges.
 * Thread-safe: reads, writes and flushes may run concurrently; {@link #close} ends the handle once.
 */
public final class OpenFile {
  private static final Logger LOG = LoggerFactory.getLogger(OpenFile.class);
  /** Background metadata updates are bounded: a flush or close neither fails nor hangs for them. */
  private static final long HINT_WAIT_MS = 2000;

  private final OpenFiles files;
  private final OpenFiles.OpenInode shared;
  private final long handle;
  private final Inode openedAs;
  private final long sessionId;
  private final int flags;
  /** Wrote since meta last recorded the exact length. */
  private volatile boolean dirty;
  private volatile boolean wrote;
  private volatile boolean closed;
  /** The length last reported to meta while writing, whether a report is on its way, and meta's refusal. */
  private volatile long hintedLength;
  private final AtomicBoolean hinting = new AtomicBoolean();
  private volatile CompletableFuture<Void> hint;
  private volatile CatenaException growthRefused;

  OpenFile(OpenFiles files, OpenFiles.OpenInode shared, long handle, Inode openedAs, long sessionId, int flags) {
    this.files = files;
    this.shared = shared;
    this.handle = handle;
    this.openedAs = openedAs;
    this.sessionId = sessionId;
    this.flags = flags;
    this.hintedLength = shared.length.get();
  }

  /** This handle's number among its client's open files ({@link OpenFiles#get}). */
  public long handle() {
    return handle;
  }

  /** The inode as this open found it. */
  public Inode inode() {
    return openedAs;
  }

  /** Meta's write session of this open; 0 when it is not open for writing. */
  public long sessionId() {
    return sessionId;
  }

  public int flags() {
    return flags;
  }

  /** The length as this client knows it. */
  public long length() {
    return shared.length.get();
  }

  /**
   * Reads into {@code dst} from {@code offset} after this client's writes still in flight to the file landed (read
   * your writes); returns the bytes read, or -1 at end of file.
   */
  public int read(long offset, ByteBuffer dst) {
    return Futures.join(readAsync(offset, dst));
  }

  /**
   * {@link #read} that returns once the read is sent: waits only for this client's writes still in flight to the
   * file (read your writes), then completes when the bytes are in {@code dst}, which the caller must not touch
   * until then. Throws at once what the handle refuses (EBADF).
   */
  public CompletableFuture<Integer> readAsync(long offset, ByteBuffer dst) {
    long length = readableLength();
    Inode inode = shared.inode;
    return files.io.read(inode.id(), inode.layout(), length, offset, dst);
  }

  /**
   * Checks the handle may read and waits for this client's writes still in flight to the file; returns the length
   * a read may see.
   */
  long readableLength() {
    checkOpen();
    if (!OpenFlags.readable(flags)) {
      throw CatenaException.of(Errno.EBADF, "handle %d of inode %d is not open for reading", handle, openedAs.id());
    }
    shared.drain();
    return shared.length.get();
  }

  /** The inode as its handles on this client share it (layout, truncate version). */
  Inode sharedInode() {
    return shared.inode;
  }

  /**
   * Writes all remaining bytes of {@code src} at {@code offset}, or at the end of the file as this client knows it
   * with O_APPEND, and consumes them; returns the count. With write-behind on, the bytes may still be on their way
   * when this returns and a failure surfaces at a later write, read, flush or close. Once meta refused this
   * handle's growth (EDQUOT on a length hint), writes past the known length fail with that refusal.
   */
  public int write(UserInfo user, long offset, ByteBuffer src) {
    checkOpen();
    if (!OpenFlags.writable(flags)) {
      throw CatenaException.of(Errno.EBADF, "handle %d of inode %d is not open for writing", handle, openedAs.id());
    }
    Inode inode = shared.inode;
    int n = src.remaining();
    long at = (flags & OpenFlags.O_APPEND) != 0 ? shared.length.get() : offset;
    CatenaException refused = growthRefused;
    if (refused != null && at + n > shared.length.get()) {
      throw new CatenaException(refused.status());
    }
    // An inode that already has a write-behind keeps it, whatever the configuration says now: a synchronous write
    // next to writes still in flight could overtake them on the same bytes.
    WritePipeline pipeline = pipelineFor(files.config.get().get(ClientConfig.WRITE_BEHIND).bytes());
    if (pipeline != null) {
      pipeline.write(at, src);
    } else {
      Futures.join(files.io.write(inode.id(), inode.layout(), at, src));
    }
    src.position(src.position() + n);
    long length = shared.length.accumulateAndGet(at + n, Math::max);
    dirty = true;
    wrote = true;
    hintLengthIfDue(user, length);
    return n;
  }

  /**
   * Writes all remaining bytes of {@code src} at {@code offset} (at the end of the file as this client knows it with
   * O_APPEND) without write-behind, and completes with the count once they are committed on their chains: for
   * callers that reuse the memory as soon as the write completes (native I/O rings). The caller leaves {@code src}
   * untouched until then; its position does not move. This client's writes already in flight to the file land first.
   * Length hints, quota refusal (EDQUOT once meta refused growth) and flush/close behave as for {@link #write}.
   * Failures complete the future; nothing is thrown.
   */
  public CompletableFuture<Integer> writeAsync(UserInfo user, long offset, ByteBuffer src) {
    try {
      checkOpen();
      if (!OpenFlags.writable(flags)) {
        throw CatenaException.of(Errno.EBADF, "handle %d of inode %d is not open for writing", handle,
            openedAs.id());
      }
      Inode inode = shared.inode;
      int n = src.remaining();
      boolean append = (flags & OpenFlags.O_APPEND) != 0;
      CatenaException refused = growthRefused;
      if (refused != null && (append || offset + n > shared.length.get())) {
        throw new CatenaException(refused.status());
      }
      // Appends reserve their range at once so concurrent ones never overlap.
      long at = append ? shared.length.getAndAdd(n) : offset;
      shared.drain();
      return files.io.write(inode.id(), inode.layout(), at, src.duplicate()).thenApply(v -> {
        long length = shared.length.accumulateAndGet(at + n, Math::max);
        dirty = true;
        wrote = true;
        hintLengthIfDue(user, length);
        return n;
      });
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
  }

  /**
   * The inode's write-behind, created when {@code writeBehindBytes} asks for one; null for synchronous writes. The
   * window is client.write_behind as it is at the inode's first such write: a hot change applies to files that start
   * writing afterwards.
   */
  private WritePipeline pipelineFor(long writeBehindBytes) {
    synchronized (shared) {
      if (shared.pipeline == null && writeBehindBytes > 0) {
        Inode inode = shared.inode;
        shared.pipeline = new WritePipeline(files.io, inode.id(), inode.layout(), writeBehindBytes);
      }
      return shared.pipeline;
    }
  }

  /**
   * Tells meta, in the background, that the file has grown by {@code client.length_hint_step} since this handle
   * last said so (one report in flight per handle). Meta charges the growth to directory quotas; its EDQUOT makes
   * this handle's next growing write fail, so a quota is overshot by at most a step plus what was in flight.
   */
  private void hintLengthIfDue(UserInfo user, long length) {
    long step = files.config.get().get(ClientConfig.LENGTH_HINT_STEP).bytes();
    if (step == 0 || sessionId == 0 || length < hintedLength + step || !hinting.compareAndSet(false, true)) {
      return;
    }
    Inode inode = shared.inode;
    CompletableFuture<Void> done = new CompletableFuture<>();
    hint = done;
    Thread.ofVirtual().name("length-hint-" + inode.id()).start(() -> {
      try {
        files.meta.lengthHint(user, inode.id(), sessionId, length, inode.truncateVersion());
        hintedLength = length;
      } catch (CatenaException e) {
        if (e.errno() == Errno.EDQUOT) {
          growthRefused = e;
        } else {
          LOG.debug("length hint for inode {} failed: {}", inode.id(), e.toString());
        }
      } catch (RuntimeException e) {
        LOG.warn("length hint for inode {} failed", inode.id(), e);
      } finally {
        hinting.set(false);
        done.complete(null);
      }
    });
  }

  /**
   * fsync, and close(2) of one descriptor: waits for the writes in flight and, if this handle wrote since the last
   * flush, makes meta record the exact length from storage (throws the first failed write, or meta's EDQUOT).
   */
  public void flush(UserInfo user) {
    checkOpen();
    shared.drain();
    // A hint landing after the exact length would be ignored, but not once the session has ended.
    awaitQuietly(hint);
    if (dirty) {
      dirty = false;
      Inode now = files.meta.sync(user, shared.inode.id(), sessionId, true);
      shared.length.accumulateAndGet(now.length(), Math::max);
    }
  }

  /**
   * Ends the handle: waits for the writes in flight (throwing the first that failed) and ends meta's write session,
   * recording the exact length if the handle wrote since its last flush. Later calls do nothing.
   */
  public void close(UserInfo user) {
    if (closed) {
      return;
    }
    closed = true;
    try {
      shared.drain();
    } finally {
      awaitQuietly(hint);
      files.release(this);
      if (sessionId != 0 || wrote) {
        files.meta.close(user, shared.inode.id(), sessionId, dirty);
      }
    }
  }

  private void checkOpen() {
    if (closed) {
      throw CatenaException.of(Errno.EBADF, "handle %d of inode %d is closed", handle, openedAs.id());
    }
  }

  private static void awaitQuietly(CompletableFuture<Void> f) {
    if (f != null && !f.isDone()) {
      try {
        f.get(HINT_WAIT_MS, TimeUnit.MILLISECONDS);
      } catch (TimeoutException | ExecutionException e) {
        // the hint is advisory: meta learns the exact length at the sync or close that follows anyway
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }
}
