package io.catena.io.ring;

/**
 * The shared-memory format of one ring, fixed forever at version 1 and mirrored field for field by
 * {@code catena_io.h} (a test compares the two). A ring file holds a header, a submission queue (SQ) of
 * {@code entries} 64-byte entries and a completion queue (CQ) of {@code entries} 16-byte entries; all integers are
 * little-endian, counters are free-running unsigned 32-bit values whose difference is the number of entries between
 * them.
 *
 * <p>Who writes what, and the ordering (C11 terms; the Java side uses the VarHandle access modes of the same names,
 * which compile to the same instructions: plain MOV on x86, STLR/LDAR on ARMv8):
 * <ul>
 *   <li>The program fills SQEs with plain stores, then publishes them with a store-release of {@code sq_tail}. The
 *   daemon load-acquires {@code sq_tail}, copies the entries out, and store-releases {@code sq_head}, which gives
 *   the slots back.</li>
 *   <li>The daemon fills CQEs with plain stores, then store-releases {@code cq_tail}; the program load-acquires it,
 *   reads the CQEs, and store-releases {@code cq_head}.</li>
 *   <li>Wakeups are futexes on the shared words (the mapping is MAP_SHARED, so non-private futexes work across
 *   processes). Each side announces it is about to sleep in a flag, issues a full (seq_cst) fence and re-checks the
 *   queue before FUTEX_WAIT; the other side publishes, issues a full fence and wakes only when the flag is set. The
 *   two fences make the classic store-then-load (Dekker) pattern safe on x86 and ARM, so no wakeup is lost and an
 *   idle fast path costs no system call. The daemon sleeps on {@code doorbell}, which the program increments after
 *   every submit and (when the daemon waits for completion room) every reap; the program sleeps on
 *   {@code cq_tail}.</li>
 * </ul>
 * The daemon never trusts the program's words: it reads each SQE once into private memory before validating it,
 * bounds every index by {@code entries} (fixed at registration, never re-read), and treats impossible counters as a
 * torn ring.
 */
public final class RingLayout {
  private RingLayout() {}

  /** "CIOR" in memory order. */
  public static final int MAGIC = 0x524f4943;
  public static final int VERSION = 1;

  // Header, written by the daemon when it accepts the registration.
  public static final int OFF_MAGIC = 0;
  public static final int OFF_VERSION = 4;
  public static final int OFF_ENTRIES = 8;
  public static final int OFF_DIRECTION = 12;
  public static final int OFF_PRIORITY = 16;
  /** {@link #STATE_NEW} as created, {@link #STATE_SERVING} once registered, {@link #STATE_CLOSED} when deregistered. */
  public static final int OFF_STATE = 20;
  public static final int OFF_SQE_SIZE = 24;
  public static final int OFF_CQE_SIZE = 28;
  public static final int OFF_SQ = 32;
  public static final int OFF_CQ = 36;

  // The program's words (their own cache line).
  public static final int OFF_SQ_TAIL = 64;
  public static final int OFF_CQ_HEAD = 68;
  /** 1 while the program is about to sleep on {@code cq_tail}. */
  public static final int OFF_CQ_WAITING = 72;

  // The daemon's words.
  public static final int OFF_SQ_HEAD = 128;
  public static final int OFF_CQ_TAIL = 132;
  /** {@link #SLEEP_NONE}, or why the daemon is about to sleep on {@code doorbell}. */
  public static final int OFF_DAEMON_SLEEPING = 136;

  /** Incremented by the program after publishing; the daemon's futex word. */
  public static final int OFF_DOORBELL = 192;

  public static final int SQ_START = 512;
  public static final int SQE_SIZE = 64;
  public static final int CQE_SIZE = 16;

  // One submission: what to do with which registered file, and where in the shared buffer.
  public static final int SQE_USER_DATA = 0;
  public static final int SQE_FILE_OFFSET = 8;
  public static final int SQE_BUF_OFFSET = 16;
  public static final int SQE_LENGTH = 24;
  /** The program's descriptor number, registered under the ring's key. */
  public static final int SQE_FD = 32;
  /** Must be 0 (reserved for later operations). */
  public static final int SQE_FLAGS = 36;

  // One completion: the submission's user data and bytes transferred, or -errno.
  public static final int CQE_USER_DATA = 0;
  public static final int CQE_RESULT = 8;

  public static final int STATE_NEW = 0;
  public static final int STATE_SERVING = 1;
  public static final int STATE_CLOSED = 2;

  public static final int SLEEP_NONE = 0;
  /** The queue was empty: any submit wakes the daemon. */
  public static final int SLEEP_FOR_SUBMISSIONS = 1;
  /** Entries wait but every completion slot is taken: a reap wakes the daemon. */
  public static final int SLEEP_FOR_ROOM = 2;

  public static final int DIRECTION_READ = 0;
  public static final int DIRECTION_WRITE = 1;

  public static final int PRIORITY_HIGH = 0;
  public static final int PRIORITY_NORMAL = 1;
  public static final int PRIORITY_LOW = 2;

  public static final int MAX_ENTRIES = 4096;
  /** The most one entry may move: FileLayoutIo addresses a transfer with an int. */
  public static final long MAX_LENGTH = 1L << 30;

  private static final int PAGE = 4096;

  /** Where the CQ starts in a ring of {@code entries}. */
  public static long cqStart(int entries) {
    return SQ_START + (long) entries * SQE_SIZE;
  }

  /** The size of a ring file of {@code entries} (whole pages). */
  public static long size(int entries) {
    long raw = cqStart(entries) + (long) entries * CQE_SIZE;
    return (raw + PAGE - 1) / PAGE * PAGE;
  }

  /** True for a queue depth a ring may have: a power of two from 1 to {@link #MAX_ENTRIES}. */
  public static boolean validEntries(long entries) {
    return entries >= 1 && entries <= MAX_ENTRIES && Long.bitCount(entries) == 1;
  }
}
