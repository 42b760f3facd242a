package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Futures;
import io.catena.common.Status;
import io.catena.meta.Layout;
import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Write-behind for one open file. Contiguous writes are gathered into one buffer per chunk and sent when the chunk
 * is full, when a write does not continue it, or on {@link #drain}; several such chunk writes are in flight at once.
 * Measured on 3 replicas: one synchronous 1 MiB write at a time gave 57 MB/s sequential, write-behind 109 MB/s;
 * without gathering, a 4 KiB writer put thousands of copy-on-write updates of one chunk in flight and storage
 * timed out. Writes whose byte ranges overlap one still in flight wait for it, so overlapping data lands in write
 * order. The first failure is sticky: every later {@link #write} and {@link #drain} throws it, so an error surfaces
 * at the latest at fsync/close, as with any write-back file system. Thread-safe: all state is guarded by the
 * instance monitor, which is never held while calling into storage.
 */
public final class WritePipeline {
  private static final int MAX_IN_FLIGHT_WRITES = 16;

  private record InFlight(long offset, long end) {}

  private final FileLayoutIo io;
  private final long inode;
  private final Layout layout;
  private final long maxInFlightBytes;
  private final Deque<InFlight> inFlight = new ArrayDeque<>();
  private long inFlightBytes;
  private CatenaException failure;
  /** The chunk being gathered: bytes [gatherStart, gatherStart + gather.position()) of the file. */
  private ByteBuffer gather;
  private long gatherStart;

  /** @param maxInFlightBytes how much written data may be on its way at once (memory held per open file) */
  public WritePipeline(FileLayoutIo io, long inode, Layout layout, long maxInFlightBytes) {
    this.io = io;
    this.inode = inode;
    this.layout = layout;
    this.maxInFlightBytes = Math.max(maxInFlightBytes, layout.chunkSize());
  }

  /** Queues {@code data}'s remaining bytes at {@code offset}; copies them, so the caller may reuse its buffer. */
  public void write(long offset, ByteBuffer data) {
    ByteBuffer rest = data.duplicate();
    long pos = offset;
    while (rest.hasRemaining()) {
      int chunk = layout.chunkSize();
      int room = (int) (chunk - Math.floorMod(pos, (long) chunk));
      int n = Math.min(room, rest.remaining());
      ByteBuffer piece = rest.slice(rest.position(), n);
      rest.position(rest.position() + n);
      Submission ready = append(pos, piece);
      if (ready != null) {
        submit(ready);
      }
      pos += n;
    }
  }

  private record Submission(InFlight slot, ByteBuffer data) {}

  /**
   * Adds a piece lying within one chunk to the gather buffer, first sending out what was gathered if the piece does
   * not continue it. Returns a full chunk to send, or null.
   */
  private Submission append(long pos, ByteBuffer piece) {
    Submission previous = null;
    synchronized (this) {
      throwIfFailed();
      boolean continues = gather != null && pos == gatherStart + gather.position()
          && gather.remaining() >= piece.remaining();
      if (gather != null && !continues) {
        previous = takeGathered();
      }
    }
    if (previous != null) {
      submit(previous);
    }
    synchronized (this) {
      throwIfFailed();
      if (gather == null) {
        int chunk = layout.chunkSize();
        gather = io.buffers().take((int) (chunk - Math.floorMod(pos, (long) chunk)));
        gatherStart = pos;
      }
      gather.put(piece);
      return gather.hasRemaining() ? null : takeGathered();
    }
  }

  /** Reserves an in-flight slot for the gathered bytes (waiting for room and for overlapping writes). */
  private Submission takeGathered() {
    ByteBuffer data = gather.flip();
    long start = gatherStart;
    gather = null;
    long end = start + data.remaining();
    while (!inFlight.isEmpty() && (inFlightBytes + data.remaining() > maxInFlightBytes
        || inFlight.size() >= MAX_IN_FLIGHT_WRITES || overlaps(start, end))) {
      awaitChange();
    }
    InFlight slot = new InFlight(start, end);
    inFlight.addLast(slot);
    inFlightBytes += data.remaining();
    io.metrics().queued(data.remaining());
    return new Submission(slot, data);
  }

  // Called without the monitor: the storage client may block or complete on its I/O threads, and those threads
  // call finished(), which needs the monitor.
  private void submit(Submission s) {
    CompletableFuture<Void> done = io.write(inode, layout, s.slot().offset(), s.data());
    done.whenComplete((v, e) -> {
      finished(s.slot(), e);
      // Storage is done with the bytes. (Should a timed-out request still be sent later from a reused buffer, its
      // payload no longer matches the CRC32C sent with it and storage refuses it.)
      io.buffers().give(s.data());
    });
    if (done.isCompletedExceptionally()) {
      // Failed at once (a bad offset, a chain table missing from routing): the write that caused it fails
      // itself rather than a later one.
      Futures.join(done);
    }
  }

  /** Sends what is gathered and waits until everything written so far is committed; throws the first failure. */
  public void drain() {
    Submission last;
    synchronized (this) {
      last = gather != null && gather.position() > 0 ? takeGathered() : null;
      if (last == null) {
        gather = null;
      }
    }
    if (last != null) {
      submit(last);
    }
    synchronized (this) {
      while (!inFlight.isEmpty()) {
        awaitChange();
      }
      throwIfFailed();
    }
  }

  private boolean overlaps(long offset, long end) {
    for (InFlight f : inFlight) {
      if (f.offset() < end && offset < f.end()) {
        return true;
      }
    }
    return false;
  }

  private void awaitChange() {
    try {
      wait(); // finished() notifies
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw CatenaException.of(Errno.EINTR, "interrupted while waiting for writes of file %d", inode);
    }
  }

  private synchronized void finished(InFlight f, Throwable error) {
    if (inFlight.remove(f)) {
      inFlightBytes -= f.end() - f.offset();
      io.metrics().done(f.end() - f.offset());
    }
    if (error != null && failure == null) {
      Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
      Status s = CatenaException.statusOf(cause);
      failure = new CatenaException(Status.of(s.code() == Errno.OK ? Errno.EIO : s.code(),
          "write of file %d at offset %d failed: %s", inode, f.offset(), s.message()), cause);
    }
    notifyAll();
  }

  private void throwIfFailed() {
    if (failure != null) {
      throw failure;
    }
  }
}
