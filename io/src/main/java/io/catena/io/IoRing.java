package io.catena.io;

import static io.catena.io.ring.RingLayout.*;

import io.catena.io.ring.Linux;
import io.catena.io.ring.Words;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The program's side of one ring (the protocol is {@link io.catena.io.ring.RingLayout}'s): {@link #prepare} queues
 * entries, {@link #submit} publishes them and wakes the daemon, {@link #await} reaps completions, sleeping on a futex
 * when none are there. Not thread-safe: one thread uses a ring at a time (give each thread its own ring).
 */
public final class IoRing implements AutoCloseable {
  private final CatenaIo io;
  private final String name;
  private final MemorySegment mem;
  private final Arena arena;
  private final int entries;
  private final int mask;
  private final long cqStart;
  private int prepared;
  private int published;
  private int cqHead;
  private boolean closed;

  IoRing(CatenaIo io, String name, MemorySegment mem, Arena arena, int entries) throws IOException {
    this.io = io;
    this.name = name;
    this.mem = mem;
    this.arena = arena;
    this.entries = entries;
    this.mask = entries - 1;
    this.cqStart = cqStart(entries);
    // The daemon wrote the header while accepting the symlink.
    if (Words.getAcquire(mem, OFF_MAGIC) != MAGIC || Words.getAcquire(mem, OFF_STATE) != STATE_SERVING) {
      close();
      throw new IOException("the mount did not take ring " + name);
    }
  }

  public int entries() {
    return entries;
  }

  /** This ring's name in {@code MNT/.catena-virt/iovs/}. */
  public String name() {
    return name;
  }

  /** The ring's shared memory (diagnostics and tests). */
  public MemorySegment memory() {
    return mem;
  }

  private boolean shutDown() {
    return Words.getAcquire(mem, OFF_STATE) == STATE_CLOSED;
  }

  /**
   * Queues one entry, not yet visible to the daemon. False when the submission queue is full: submit, reap, and try
   * again. Throws {@link IOException} once the mount deregistered the ring.
   */
  public boolean prepare(int fd, long fileOffset, long bufOffset, long length, long userData) throws IOException {
    if (shutDown()) {
      throw new IOException("ring " + name + " was deregistered by the mount");
    }
    int head = Words.getAcquire(mem, OFF_SQ_HEAD);
    if (Integer.compareUnsigned(prepared - head, entries) >= 0) {
      return false;
    }
    long e = SQ_START + (long) (prepared & mask) * SQE_SIZE;
    mem.set(ValueLayout.JAVA_LONG, e + SQE_USER_DATA, userData);
    mem.set(ValueLayout.JAVA_LONG, e + SQE_FILE_OFFSET, fileOffset);
    mem.set(ValueLayout.JAVA_LONG, e + SQE_BUF_OFFSET, bufOffset);
    mem.set(ValueLayout.JAVA_LONG, e + SQE_LENGTH, length);
    mem.set(ValueLayout.JAVA_INT, e + SQE_FD, fd);
    mem.set(ValueLayout.JAVA_INT, e + SQE_FLAGS, 0);
    prepared++;
    return true;
  }

  /** Publishes the queued entries and wakes the daemon if it sleeps; returns how many were published. */
  public int submit() {
    int n = prepared - published;
    if (n == 0) {
      return 0;
    }
    Words.setRelease(mem, OFF_SQ_TAIL, prepared);
    published = prepared;
    wakeDaemon(true);
    return n;
  }

  private void wakeDaemon(boolean submitted) {
    Words.getAndAdd(mem, OFF_DOORBELL, 1);
    Words.fullFence();
    int why = Words.getAcquire(mem, OFF_DAEMON_SLEEPING);
    if (why == SLEEP_FOR_ROOM || submitted && why != SLEEP_NONE) {
      Linux.futexWake(mem.asSlice(OFF_DOORBELL, 4), 1);
    }
  }

  /**
   * Reaps completions, waiting until at least {@code min} are there or {@code timeout} passed (null: no limit);
   * returns at most {@link #entries()} (fewer than {@code min} after a timeout). Throws {@link IOException} once the
   * mount deregistered the ring and nothing is left to reap.
   */
  public List<Completion> await(int min, Duration timeout) throws IOException {
    long deadline = timeout == null ? Long.MAX_VALUE : System.nanoTime() + timeout.toNanos();
    List<Completion> got = new ArrayList<>();
    while (true) {
      int tail = Words.getAcquire(mem, OFF_CQ_TAIL);
      int before = got.size();
      while (cqHead != tail && got.size() < entries) {
        long c = cqStart + (long) (cqHead & mask) * CQE_SIZE;
        got.add(new Completion(mem.get(ValueLayout.JAVA_LONG, c + CQE_USER_DATA),
            mem.get(ValueLayout.JAVA_LONG, c + CQE_RESULT)));
        cqHead++;
      }
      if (got.size() != before) {
        Words.setRelease(mem, OFF_CQ_HEAD, cqHead);
        wakeDaemon(false); // only a daemon waiting for completion room needs this
      }
      if (got.size() >= min || got.size() == entries) {
        return got;
      }
      if (shutDown()) {
        if (got.isEmpty()) {
          throw new IOException("ring " + name + " was deregistered by the mount");
        }
        return got;
      }
      long left = deadline == Long.MAX_VALUE ? -1 : deadline - System.nanoTime();
      if (deadline != Long.MAX_VALUE && left <= 0) {
        return got;
      }
      Words.setVolatile(mem, OFF_CQ_WAITING, 1);
      Words.fullFence();
      if (Words.getAcquire(mem, OFF_CQ_TAIL) == cqHead && !shutDown()) {
        Linux.futexWait(mem.asSlice(OFF_CQ_TAIL, 4), cqHead, left);
      }
      Words.setPlain(mem, OFF_CQ_WAITING, 0);
    }
  }

  /** One entry, submitted and awaited: the bytes moved, or an {@link IOException} naming the errno. */
  public long transfer(int fd, long fileOffset, long bufOffset, long length) throws IOException {
    if (!prepare(fd, fileOffset, bufOffset, length, 0)) {
      throw new IOException("ring " + name + " is full");
    }
    submit();
    Completion c = await(1, null).getFirst();
    if (c.result() < 0) {
      throw new IOException("ring I/O failed: errno " + -c.result());
    }
    return c.result();
  }

  /** Deregisters the ring and unmaps it. */
  @Override
  public void close() throws IOException {
    if (closed) {
      return;
    }
    closed = true;
    io.forget(this);
    try {
      Files.deleteIfExists(io.iovs().resolve(name));
    } finally {
      arena.close();
    }
  }
}
