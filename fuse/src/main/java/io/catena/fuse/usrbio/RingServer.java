package io.catena.fuse.usrbio;

import static io.catena.io.ring.RingLayout.*;

import io.catena.client.OpenFiles;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.io.ring.IovName;
import io.catena.io.ring.Linux;
import io.catena.io.ring.Words;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.IntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves one registered ring: a platform thread takes the program's submissions (sleeping on the ring's doorbell
 * futex when there are none), copies each batch out of shared memory before looking at it, validates every entry
 * (an error completion for a bad descriptor, offset, length or flag), and starts the I/O: a read ring's whole batch
 * goes to storage together ({@link OpenFiles#readBatch}: one request per storage node) and lands straight in the
 * shared buffer; a write ring's entries are copied out of the buffer (in pieces of {@link #WRITE_PIECE}) and written
 * through the descriptor's {@link io.catena.client.OpenFile}, completing once committed. Completions are posted by
 * whichever thread finishes the I/O. A ring whose counters are impossible (torn) is handed to {@code broken} for
 * deregistration; the daemon itself never fails for anything in shared memory. Thread-safe: the thread owns the
 * submission side, {@link #postLock} guards the completion side.
 */
final class RingServer {
  private static final Logger LOG = LoggerFactory.getLogger(RingServer.class);
  /** Writes copy out of shared memory in pieces this large, so a huge entry never needs a huge buffer. */
  static final int WRITE_PIECE = 8 << 20;
  private static final long IDLE_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(200);
  private static final long BUDGET_WAIT_MS = 100;

  private final IovName name;
  private final ShmFile ring;
  private final ShmFile buffer;
  private final IntFunction<FdRegistration> fds;
  private final OpenFiles files;
  private final IoBudget budget;
  private final Consumer<RingServer> broken;
  private final MemorySegment mem;
  private final int entries;
  private final int mask;
  private final long cqStart;
  private final MemorySegment snapshot;
  private final Object postLock = new Object();
  private int cqTail;
  private boolean postClosed;
  private int head;
  private volatile boolean running = true;
  private Thread thread;

  /** One entry in flight and what it holds. */
  private record Op(long userData, long bytes, FdRegistration fd) {}

  RingServer(IovName name, ShmFile ring, ShmFile buffer, IntFunction<FdRegistration> fds, OpenFiles files,
      IoBudget budget, Consumer<RingServer> broken) {
    this.name = name;
    this.ring = ring;
    this.buffer = buffer;
    this.fds = fds;
    this.files = files;
    this.budget = budget;
    this.broken = broken;
    this.mem = ring.memory();
    this.entries = name.entries();
    this.mask = entries - 1;
    this.cqStart = cqStart(entries);
    this.snapshot = MemorySegment.ofArray(new long[entries * SQE_SIZE / 8]);
  }

  IovName name() {
    return name;
  }

  /** Writes the header the program checks after its symlink returns, then starts serving. */
  void start() {
    mem.set(ValueLayout.JAVA_INT, OFF_VERSION, VERSION);
    mem.set(ValueLayout.JAVA_INT, OFF_ENTRIES, entries);
    mem.set(ValueLayout.JAVA_INT, OFF_DIRECTION, name.direction());
    mem.set(ValueLayout.JAVA_INT, OFF_PRIORITY, name.priority());
    mem.set(ValueLayout.JAVA_INT, OFF_SQE_SIZE, SQE_SIZE);
    mem.set(ValueLayout.JAVA_INT, OFF_CQE_SIZE, CQE_SIZE);
    mem.set(ValueLayout.JAVA_INT, OFF_SQ, SQ_START);
    mem.set(ValueLayout.JAVA_INT, OFF_CQ, (int) cqStart);
    for (int off : new int[] {OFF_SQ_TAIL, OFF_CQ_HEAD, OFF_CQ_WAITING, OFF_SQ_HEAD, OFF_CQ_TAIL,
        OFF_DAEMON_SLEEPING, OFF_DOORBELL}) {
      Words.setPlain(mem, off, 0);
    }
    Words.setRelease(mem, OFF_MAGIC, MAGIC);
    Words.setRelease(mem, OFF_STATE, STATE_SERVING);
    ring.retain(); // the thread's hold, given back when it ends
    thread = Thread.ofPlatform().daemon().name("ring-" + name.name()).start(this::serve);
  }

  /** Stops taking submissions; completions of I/O in flight are dropped. The thread marks the ring closed. */
  void stop() {
    running = false;
    Thread t = thread;
    if (t != null) {
      Linux.futexWake(mem.asSlice(OFF_DOORBELL, 4), 1);
    }
  }

  private void serve() {
    try {
      while (running) {
        int n = available();
        if (n > 0) {
          consume(n);
          continue;
        }
        int waiting = Words.getAcquire(mem, OFF_SQ_TAIL) - head;
        Words.setVolatile(mem, OFF_DAEMON_SLEEPING, waiting == 0 ? SLEEP_FOR_SUBMISSIONS : SLEEP_FOR_ROOM);
        Words.fullFence();
        int bell = Words.getAcquire(mem, OFF_DOORBELL);
        if (running && available() == 0) {
          Linux.futexWait(mem.asSlice(OFF_DOORBELL, 4), bell, IDLE_WAIT_NANOS);
        }
        Words.setVolatile(mem, OFF_DAEMON_SLEEPING, SLEEP_NONE);
      }
    } catch (TornRing e) {
      LOG.warn("ring {}: {}; deregistering it", name.name(), e.getMessage());
      broken.accept(this);
    } catch (Throwable t) { // a fault in shared memory (InternalError), or a bug: never the daemon's end
      LOG.warn("ring {} failed; deregistering it", name.name(), t);
      broken.accept(this);
    } finally {
      synchronized (postLock) {
        postClosed = true;
      }
      try {
        Words.setRelease(mem, OFF_STATE, STATE_CLOSED);
        Linux.futexWake(mem.asSlice(OFF_CQ_TAIL, 4), Integer.MAX_VALUE);
      } catch (Throwable t) {
        LOG.debug("ring {}: could not mark it closed: {}", name.name(), t.toString());
      }
      ring.release();
    }
  }

  private static final class TornRing extends RuntimeException {
    TornRing(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * How many submissions may be taken now: those published and not yet taken, as far as completion slots are free
   * (every taken entry keeps one until the program reaps it). Throws {@link TornRing} for impossible counters.
   */
  private int available() {
    int tail = Words.getAcquire(mem, OFF_SQ_TAIL);
    int cqHead = Words.getAcquire(mem, OFF_CQ_HEAD); // before our tail: the program reaps only what was posted
    int posted;
    synchronized (postLock) {
      posted = cqTail;
    }
    int published = tail - head;
    int unreaped = head - cqHead;
    if (Integer.compareUnsigned(published, entries) > 0) {
      throw new TornRing("sq_tail " + Integer.toUnsignedString(tail) + " is more than " + entries + " entries ahead "
          + "of sq_head " + Integer.toUnsignedString(head));
    }
    if (Integer.compareUnsigned(posted - cqHead, entries) > 0 || Integer.compareUnsigned(unreaped, entries) > 0) {
      throw new TornRing("cq_head " + Integer.toUnsignedString(cqHead) + " is outside the completions posted ("
          + Integer.toUnsignedString(posted) + ") and taken (" + Integer.toUnsignedString(head) + ")");
    }
    return Math.min(published, entries - unreaped);
  }

  /** Copies {@code n} submissions out of shared memory, gives their slots back, and starts them. */
  private void consume(int n) {
    int first = Math.min(n, entries - (head & mask));
    MemorySegment.copy(mem, SQ_START + (long) (head & mask) * SQE_SIZE, snapshot, 0, (long) first * SQE_SIZE);
    if (first < n) {
      MemorySegment.copy(mem, SQ_START, snapshot, (long) first * SQE_SIZE, (long) (n - first) * SQE_SIZE);
    }
    head += n;
    Words.setRelease(mem, OFF_SQ_HEAD, head);
    List<Op> reads = new ArrayList<>();
    List<OpenFiles.HandleRead> readArgs = new ArrayList<>();
    for (int i = 0; i < n && running; i++) {
      long e = (long) i * SQE_SIZE;
      long userData = snapshot.get(ValueLayout.JAVA_LONG, e + SQE_USER_DATA);
      long fileOffset = snapshot.get(ValueLayout.JAVA_LONG, e + SQE_FILE_OFFSET);
      long bufOffset = snapshot.get(ValueLayout.JAVA_LONG, e + SQE_BUF_OFFSET);
      long length = snapshot.get(ValueLayout.JAVA_LONG, e + SQE_LENGTH);
      int fd = snapshot.get(ValueLayout.JAVA_INT, e + SQE_FD);
      int flags = snapshot.get(ValueLayout.JAVA_INT, e + SQE_FLAGS);
      Errno bad = check(fileOffset, bufOffset, length, flags);
      FdRegistration f = bad == null ? fds.apply(fd) : null;
      if (bad == null && (f == null || (name.direction() == DIRECTION_READ ? !f.readable() : !f.writable()))) {
        bad = Errno.EBADF;
      }
      if (bad != null) {
        post(userData, -bad.code());
        continue;
      }
      if (length == 0) {
        post(userData, 0);
        continue;
      }
      Op op = admit(userData, length, f);
      if (op == null) {
        continue;
      }
      if (name.direction() == DIRECTION_READ) {
        reads.add(op);
        readArgs.add(new OpenFiles.HandleRead(f.file(), fileOffset,
            buffer.memory().asSlice(bufOffset, length).asByteBuffer()));
      } else {
        writePiece(op, fileOffset, bufOffset, 0);
      }
    }
    if (!reads.isEmpty()) {
      List<CompletableFuture<Integer>> done;
      try {
        done = files.readBatch(readArgs);
      } catch (Throwable t) { // a fault in the shared buffer surfacing early: the entries fail, the ring goes on
        reads.forEach(op -> finish(op, -errno(t)));
        return;
      }
      for (int k = 0; k < reads.size(); k++) {
        Op op = reads.get(k);
        done.get(k).whenComplete((got, err) -> finish(op, err == null ? Math.max(got, 0) : -errno(err)));
      }
    }
  }

  /** Why an entry cannot run, or null. */
  private Errno check(long fileOffset, long bufOffset, long length, int flags) {
    if (flags != 0 || length < 0 || length > MAX_LENGTH || fileOffset < 0 || fileOffset > Long.MAX_VALUE - length) {
      return Errno.EINVAL;
    }
    if (bufOffset < 0 || bufOffset > buffer.size() || length > buffer.size() - bufOffset) {
      return Errno.EFAULT; // outside the registered buffer: what read(2) says of a bad user pointer
    }
    return null;
  }

  /**
   * Takes the entry's share of the in-flight budget and holds on the ring, buffer and file for it; posts an error
   * completion and answers null when one of them was deregistered meanwhile.
   */
  private Op admit(long userData, long length, FdRegistration f) {
    try {
      while (!budget.acquire(length, name.priority(), BUDGET_WAIT_MS)) {
        if (!running) {
          return null;
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (!ring.retain()) {
      budget.release(length);
      return null;
    }
    if (!buffer.retain()) {
      ring.release();
      budget.release(length);
      post(userData, -Errno.ECANCELED.code());
      return null;
    }
    if (!f.refs().retain()) {
      buffer.release();
      ring.release();
      budget.release(length);
      post(userData, -Errno.EBADF.code());
      return null;
    }
    return new Op(userData, length, f);
  }

  /**
   * Writes the entry from {@code done} bytes on: copies the next piece out of shared memory (a truncated buffer
   * makes the JVM's guarded copy throw instead of crashing) and writes it; the next piece follows its completion.
   * A failure after some pieces landed reports the bytes written, like a short write(2).
   */
  private void writePiece(Op op, long fileOffset, long bufOffset, long done) {
    int n = (int) Math.min(WRITE_PIECE, op.bytes() - done);
    ByteBuffer src;
    try {
      src = ByteBuffer.allocateDirect(n);
      MemorySegment.copy(buffer.memory(), bufOffset + done, MemorySegment.ofBuffer(src), 0, n);
    } catch (Throwable t) {
      finish(op, done > 0 ? done : -errno(t));
      return;
    }
    FdRegistration f = op.fd();
    f.file().writeAsync(f.user(), fileOffset + done, src).whenComplete((w, err) -> {
      if (err != null) {
        finish(op, done > 0 ? done : -errno(err));
      } else if (done + n < op.bytes() && running) {
        writePiece(op, fileOffset, bufOffset, done + n);
      } else {
        finish(op, done + n);
      }
    });
  }

  /**
   * Gives back what the entry held, then posts its completion: a program that deregisters its descriptor as soon
   * as the completion arrives finds it free, so the file is closed (its length recorded) before the unlink returns.
   */
  private void finish(Op op, long result) {
    op.fd().refs().release();
    buffer.release();
    budget.release(op.bytes());
    try {
      post(op.userData(), result);
    } catch (Throwable t) {
      LOG.warn("ring {}: posting a completion failed; deregistering it", name.name(), t);
      broken.accept(this);
    } finally {
      ring.release();
    }
  }

  /** Appends one completion and wakes the program if it sleeps on the completion queue. */
  private void post(long userData, long result) {
    synchronized (postLock) {
      if (postClosed) {
        return;
      }
      long c = cqStart + (long) (cqTail & mask) * CQE_SIZE;
      mem.set(ValueLayout.JAVA_LONG, c + CQE_USER_DATA, userData);
      mem.set(ValueLayout.JAVA_LONG, c + CQE_RESULT, result);
      cqTail++;
      Words.setRelease(mem, OFF_CQ_TAIL, cqTail);
    }
    Words.fullFence();
    if (Words.getAcquire(mem, OFF_CQ_WAITING) != 0) {
      Linux.futexWake(mem.asSlice(OFF_CQ_TAIL, 4), Integer.MAX_VALUE);
    }
  }

  /** The errno a failure reports: the status's code, EFAULT for a fault in shared memory, else EIO. */
  static int errno(Throwable t) {
    Throwable c = t;
    while (c instanceof CompletionException && c.getCause() != null) {
      c = c.getCause();
    }
    if (c instanceof CatenaException ce) {
      return ce.errno() == Errno.OK ? Errno.EIO.code() : ce.errno().code();
    }
    if (c instanceof InternalError || c instanceof IndexOutOfBoundsException) {
      return Errno.EFAULT.code();
    }
    return Errno.EIO.code();
  }
}
