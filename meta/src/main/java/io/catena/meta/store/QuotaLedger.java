package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.Keys;
import io.catena.meta.Inode;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.StatFs;
import io.catena.meta.server.MetaConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The books of directory quotas, kept inside each operation's own transaction: charging, refunding and moving
 * usage, and refusing growth past a limit. A quota is a hard limit on the bytes (file lengths) and inodes beneath a
 * directory. Setting and removing one walks its whole subtree in many transactions and is not done here.
 *
 * <p><b>Model.</b> Like XFS project quotas, every inode carries a tag, {@link Inode#quotaDomain()}: the id of the
 * nearest quota directory above it (a quota directory tags itself, so its children inherit it; new inodes take
 * their parent directory's tag). Unlike XFS, quotas nest as in MooseFS and CephFS: a quota record ({@code QUOT}
 * + dir) names its enclosing quota, and an inode counts toward every quota on the chain from its tag up. Usage is
 * two counters per quota ({@code QUSE} + dir + 'b'/'i') changed only by {@link
 * io.catena.kv.ReadWriteTransaction#atomicAdd}, in the transaction of the operation that changes usage, so the
 * counters are exact under retries (a failed or conflicting attempt commits nothing; idempotency records answer
 * replays without applying twice) and concurrent creates anywhere under one quota do not conflict on them. What
 * counts: every inode beneath the quota directory (not the directory itself, which counts toward the enclosing
 * quota), and the length of each regular file. An unlinked file stops counting when its last name goes (its tag
 * is cleared, so writes through handles still open are not charged), like MooseFS and unlike XFS (which frees the
 * blocks at the last close).
 *
 * <p><b>Enforcement.</b> Growth (create, mkdir, mknod, symlink; a length hint, truncate or O_TRUNC-less extend;
 * a rename that moves a file into another quota) fails with EDQUOT if it would take any {@link
 * QuotaUsage.State#ACTIVE} quota on the chain above its limit; a limit is reachable exactly (usage == limit is
 * fine). close and fsync are different: the bytes are already on storage, so the exact length is recorded
 * (usage stays true) and the call then reports EDQUOT if a quota is over its limit, as NFS reports a quota error at
 * close. Reads of a counter are snapshot reads (no conflict) while the operation stays more than a margin
 * ({@code meta.quota_strict_margin_*}) below the limit, and conflict-tracked reads inside the margin: near a limit
 * every growing operation of that quota serialises, so concurrent creates cannot overshoot it; far from it they do
 * not conflict at all. The residual inexactness: operations that each saw usage below the margin can overshoot only
 * if their combined growth during one transaction's lifetime exceeds the margin.
 *
 * <p><b>Moves between quotas.</b> A regular file or other non-directory with one name moves its usage: the old
 * chain is refunded and the new chain charged (EDQUOT if the new one is full) in the rename's transaction, the
 * shared part of the two chains untouched. A directory cannot move between quotas in one transaction (its whole
 * subtree would have to be re-tagged), and a file with several names belongs to one quota only: both are refused
 * with EXDEV, as XFS does for project quotas, and mv(1) falls back to copy and delete, which accounts correctly.
 * A hard link into another quota is refused with EXDEV for the same reason.
 *
 * <p>Thread-safe: immutable (the margins); all state is in the transaction passed in.
 */
public final class QuotaLedger {
  static final int COUNTING = 0;
  static final int ACTIVE = 1;
  static final int REMOVING = 2;
  private static final QuotaUsage.State[] STATES = QuotaUsage.State.values();
  private static final int MAX_NESTING = 64;

  private final long marginBytes;
  private final long marginInodes;

  public QuotaLedger(Config config) {
    this.marginBytes = config.get(MetaConfig.QUOTA_STRICT_MARGIN_BYTES).bytes();
    this.marginInodes = config.get(MetaConfig.QUOTA_STRICT_MARGIN_INODES);
  }

  /** One quota on a chain. */
  record Link(long dir, Codec.Quota quota) {}


  static long used(Tx tx, byte[] counterKey, boolean conflict) {
    return Keys.counterOf(tx.get(counterKey, conflict).orElse(null));
  }

  /**
   * The quota an inode's own existence counts toward: a quota directory counts toward the enclosing quota (its
   * record says which), anything else toward its tag.
   */
  static long chargeDomain(Tx tx, Inode i, boolean conflict) {
    long d = i.quotaDomain();
    if (d != i.id()) {
      return d;
    }
    return tx.quota(i.id(), conflict).map(Codec.Quota::parentDomain).orElse(Inode.NO_QUOTA);
  }

  /**
   * The quotas from {@code domain} outwards. Records are read with a conflict (in read-write transactions): they
   * change only when a quota is set, removed or re-parented, and then an operation that charged a stale chain must
   * retry.
   */
  static List<Link> chain(Tx tx, long domain, boolean conflict) {
    List<Link> out = new ArrayList<>(2);
    long d = domain;
    while (d != Inode.NO_QUOTA) {
      if (out.size() >= MAX_NESTING) {
        throw CatenaException.of(Errno.EIO, "quotas nested deeper than %d (or a cycle) at directory %d",
            MAX_NESTING, d);
      }
      Optional<Codec.Quota> q = tx.quota(d, conflict);
      if (q.isEmpty()) {
        break; // cannot happen while the invariants hold (the checker reports tags of missing quotas)
      }
      out.add(new Link(d, q.get()));
      d = q.get().parentDomain();
    }
    return out;
  }

  /**
   * Adds {@code dBytes}/{@code dInodes} (negative: refunds) to every quota on the chain from {@code domain}; with
   * {@code enforce}, EDQUOT first if growth would take an active quota over a limit.
   */
  void charge(Tx tx, long domain, long dBytes, long dInodes, boolean enforce) {
    if (domain == Inode.NO_QUOTA || (dBytes == 0 && dInodes == 0)) {
      return;
    }
    apply(tx, chain(tx, domain, true), dBytes, dInodes, enforce);
  }

  /** Refunds without any check: what unlink, rmdir and shrinking need (static so they need no instance). */
  static void refund(Tx tx, long domain, long bytes, long inodes) {
    if (domain == Inode.NO_QUOTA || (bytes == 0 && inodes == 0)) {
      return;
    }
    for (Link l : chain(tx, domain, true)) {
      add(tx, l.dir(), -bytes, -inodes);
    }
  }

  /**
   * Moves usage from the chain of {@code from} to the chain of {@code to}; quotas on both (the enclosing ones they
   * share) are left alone, so a move inside an outer quota that is full still succeeds.
   */
  void move(Tx tx, long from, long to, long bytes, long inodes, boolean enforce) {
    if (from == to || (bytes == 0 && inodes == 0)) {
      return;
    }
    List<Link> a = chain(tx, from, true);
    List<Link> b = chain(tx, to, true);
    int i = a.size();
    int j = b.size();
    while (i > 0 && j > 0 && a.get(i - 1).dir() == b.get(j - 1).dir()) {
      i--;
      j--;
    }
    apply(tx, a.subList(0, i), -bytes, -inodes, false);
    apply(tx, b.subList(0, j), bytes, inodes, enforce);
  }

  /** Whether any active quota on the chain from {@code domain} is over a limit (after this transaction's adds). */
  static boolean overLimit(Tx tx, long domain) {
    if (domain == Inode.NO_QUOTA) {
      return false;
    }
    for (Link l : chain(tx, domain, true)) {
      Codec.Quota q = l.quota();
      if (q.state() == ACTIVE
          && ((q.maxBytes() > 0 && used(tx, MetaKeys.quotaUsedBytes(l.dir()), false) > q.maxBytes())
          || (q.maxInodes() > 0 && used(tx, MetaKeys.quotaUsedInodes(l.dir()), false) > q.maxInodes()))) {
        return true;
      }
    }
    return false;
  }

  private void apply(Tx tx, List<Link> links, long dBytes, long dInodes, boolean enforce) {
    for (Link l : links) {
      if (enforce && l.quota().state() == ACTIVE) {
        check(tx, l.dir(), MetaKeys.quotaUsedBytes(l.dir()), l.quota().maxBytes(), dBytes, marginBytes, "bytes");
        check(tx, l.dir(), MetaKeys.quotaUsedInodes(l.dir()), l.quota().maxInodes(), dInodes, marginInodes,
            "inodes");
      }
      add(tx, l.dir(), dBytes, dInodes);
    }
  }

  private static void add(Tx tx, long dir, long dBytes, long dInodes) {
    if (dBytes != 0) {
      tx.atomicAdd(MetaKeys.quotaUsedBytes(dir), dBytes);
    }
    if (dInodes != 0) {
      tx.atomicAdd(MetaKeys.quotaUsedInodes(dir), dInodes);
    }
  }

  private static void check(Tx tx, long dir, byte[] key, long max, long delta, long margin, String what) {
    if (max <= 0 || delta <= 0) {
      return;
    }
    long used = used(tx, key, false);
    if (used + delta > max - margin) {
      // Near the limit: a conflict-tracked read, so concurrent growth of this quota serialises from here on.
      used = used(tx, key, true);
    }
    if (used + delta > max) {
      throw CatenaException.of(Errno.EDQUOT, "quota of directory %d: %d %s used, %d more would pass the limit %d",
          dir, used, what, delta, max);
    }
  }

  /** MetaService.getQuota inside a transaction. */
  static Optional<QuotaUsage> get(Tx tx, long dir) {
    return tx.quota(dir, false).map(q -> new QuotaUsage(dir, new QuotaLimits(q.maxBytes(), q.maxInodes()),
        used(tx, MetaKeys.quotaUsedBytes(dir), false), used(tx, MetaKeys.quotaUsedInodes(dir), false),
        STATES[q.state()]));
  }

  /** statfs numbers as seen from {@code ino}: the nearest quota with a limit, or {@code whole} if none. */
  static StatFs statfs(Tx tx, long ino, StatFs whole) {
    Inode i = tx.inode(ino);
    for (Link l : chain(tx, i.quotaDomain(), false)) {
      Codec.Quota q = l.quota();
      if (q.state() != ACTIVE || (q.maxBytes() == 0 && q.maxInodes() == 0)) {
        continue;
      }
      long usedBytes = used(tx, MetaKeys.quotaUsedBytes(l.dir()), false);
      long usedInodes = used(tx, MetaKeys.quotaUsedInodes(l.dir()), false);
      long cap = whole.capacityBytes();
      long free = whole.freeBytes();
      if (q.maxBytes() > 0) {
        cap = q.maxBytes();
        free = Math.min(free, Math.max(0, q.maxBytes() - usedBytes));
      }
      return new StatFs(cap, free, usedInodes, whole.blockSize(), whole.maxNameLength(), q.maxInodes());
    }
    return whole;
  }

  /** Deletes a quota's record and counters (removal, or rmdir of an empty quota directory). */
  static void dropRecords(Tx tx, long dir) {
    tx.clearQuota(dir);
    tx.clear(MetaKeys.quotaUsedBytes(dir));
    tx.clear(MetaKeys.quotaUsedInodes(dir));
  }
}
