package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.Keys;
import io.catena.kv.RangeResult;
import io.catena.meta.Inode;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.StatFs;
import io.catena.meta.UserInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Directory quotas: hard limits on the bytes (file lengths) and inodes beneath a directory, and their usage.
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
 * <p><b>Setting and removing.</b> Setting a quota on a non-empty directory writes the record (state {@link
 * QuotaUsage.State#COUNTING}, not enforced) and tags the directory in one transaction, then walks the subtree
 * breadth-first, one transaction per page of {@value #WALK_PAGE} entries, re-tagging each inode and moving its
 * usage onto the new quota (a nested quota directory hands over its whole counters and is not descended into);
 * then the quota becomes ACTIVE. Operations running meanwhile stay exact: an inode is counted by whichever quota
 * its tag names at the time, and re-tagging moves its usage in the same transaction. A directory renamed between
 * the re-tagged and the not yet re-tagged part meanwhile gets EXDEV. Removing does the reverse walk (state {@link
 * QuotaUsage.State#REMOVING}) toward the enclosing quota and then deletes the record and counters. Both walks are
 * restartable: calling setQuota/removeQuota again after an interruption finishes the job. Thread-safe: stateless
 * apart from the shared context.
 */
public final class QuotaOps {
  static final int COUNTING = 0;
  static final int ACTIVE = 1;
  static final int REMOVING = 2;
  private static final QuotaUsage.State[] STATES = QuotaUsage.State.values();
  private static final int MAX_NESTING = 64;
  private static final int WALK_PAGE = 128;
  private static final long STOP = Long.MIN_VALUE;
  private static final Logger LOG = LoggerFactory.getLogger(QuotaOps.class);

  private final MetaContext ctx;
  private final long marginBytes;
  private final long marginInodes;

  public QuotaOps(MetaContext ctx) {
    this.ctx = ctx;
    this.marginBytes = ctx.config().get(MetaConfig.QUOTA_STRICT_MARGIN_BYTES).bytes();
    this.marginInodes = ctx.config().get(MetaConfig.QUOTA_STRICT_MARGIN_INODES);
  }

  /** One quota on a chain. */
  record Link(long dir, Codec.Quota quota) {}

  // ------------------------------------------------------------------------------------------- accounting

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

  // ------------------------------------------------------------------------------------------ operations

  /** MetaService.getQuota inside a transaction. */
  static Optional<QuotaUsage> get(Tx tx, long dir) {
    return tx.quota(dir, false).map(q -> new QuotaUsage(dir, new QuotaLimits(q.maxBytes(), q.maxInodes()),
        used(tx, MetaKeys.quotaUsedBytes(dir), false), used(tx, MetaKeys.quotaUsedInodes(dir), false),
        STATES[q.state()]));
  }

  public Optional<QuotaUsage> get(long dir) {
    return ctx.runner.read(txn -> get(new Tx(txn), dir));
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

  public QuotaUsage set(UserInfo user, long dir, QuotaLimits limits) {
    requireRoot(user, "set");
    int state = ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      Inode d = tx.inodeForUpdate(dir);
      if (!d.isDirectory()) {
        throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", dir);
      }
      if (d.nlink() == 0) {
        throw CatenaException.of(Errno.ENOENT, "directory %d was removed", dir);
      }
      Optional<Codec.Quota> q = tx.quota(dir, true);
      if (q.isPresent()) {
        if (q.get().state() == REMOVING) {
          throw CatenaException.of(Errno.EBUSY, "the quota of directory %d is being removed; remove it again to "
              + "finish", dir);
        }
        tx.putQuota(dir, new Codec.Quota(q.get().state(), limits.maxBytes(), limits.maxInodes(),
            q.get().parentDomain()));
        return q.get().state();
      }
      tx.putQuota(dir, new Codec.Quota(COUNTING, limits.maxBytes(), limits.maxInodes(), d.quotaDomain()));
      tx.putInode(d.withQuotaDomain(dir));
      return COUNTING;
    });
    if (state == COUNTING) {
      // Each page re-reads the record: if a removal started meanwhile, this count stops and leaves it the tree.
      walk(dir, tx -> tx.quota(dir, true).filter(q -> q.state() != REMOVING).map(q -> dir).orElse(STOP));
      ctx.runner.run(txn -> {
        Tx tx = new Tx(txn);
        tx.quota(dir, true).filter(q -> q.state() == COUNTING).ifPresent(q -> tx.putQuota(dir,
            new Codec.Quota(ACTIVE, q.maxBytes(), q.maxInodes(), q.parentDomain())));
        return null;
      });
    }
    return get(dir).orElseThrow(() -> CatenaException.of(Errno.ENOENT, "the quota of %d went away", dir));
  }

  public boolean remove(UserInfo user, long dir) {
    requireRoot(user, "remove");
    boolean existed = ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      Optional<Codec.Quota> q = tx.quota(dir, true);
      if (q.isEmpty()) {
        return false;
      }
      Codec.Quota r = q.get();
      if (r.state() != REMOVING) {
        tx.putQuota(dir, new Codec.Quota(REMOVING, r.maxBytes(), r.maxInodes(), r.parentDomain()));
      }
      // New children of the directory itself go straight to the enclosing quota from now on.
      tx.findInode(dir, true).filter(d -> d.quotaDomain() == dir)
          .ifPresent(d -> tx.putInode(d.withQuotaDomain(r.parentDomain())));
      return true;
    });
    if (!existed) {
      return false;
    }
    walk(dir, tx -> tx.quota(dir, true).map(Codec.Quota::parentDomain).orElse(STOP));
    ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      if (tx.quota(dir, true).isEmpty()) {
        return null;
      }
      long b = used(tx, MetaKeys.quotaUsedBytes(dir), true);
      long n = used(tx, MetaKeys.quotaUsedInodes(dir), true);
      if (b != 0 || n != 0) {
        // Every inode was handed over, so this is a bug; the namespace checker would have said so before.
        LOG.warn("quota of directory {} removed with {} bytes and {} inodes left on its counters", dir, b, n);
      }
      dropRecords(tx, dir);
      return null;
    });
    return true;
  }

  /** Deletes a quota's record and counters (removal, or rmdir of an empty quota directory). */
  static void dropRecords(Tx tx, long dir) {
    tx.clearQuota(dir);
    tx.clear(MetaKeys.quotaUsedBytes(dir));
    tx.clear(MetaKeys.quotaUsedInodes(dir));
  }

  /**
   * Walks the subtree of {@code root} breadth-first, page by page, and hands every inode (or nested quota) whose
   * tag (or enclosing quota) is not {@code target} over to it. {@code target} is evaluated in each page's
   * transaction ({@link #STOP} ends the walk).
   */
  private void walk(long root, ToLongFunction<Tx> target) {
    ArrayDeque<Long> dirs = new ArrayDeque<>();
    dirs.add(root);
    while (!dirs.isEmpty()) {
      long dir = dirs.poll();
      String cursor = null;
      while (true) {
        String from = cursor;
        RangeResult page = ctx.runner.read(txn -> new Tx(txn).dentPage(dir, from, WALK_PAGE));
        if (page.pairs().isEmpty()) {
          break;
        }
        List<Dent> entries = page.pairs().stream().map(Tx::decodeDentPair).toList();
        long[] stop = {0};
        List<Long> subdirs = ctx.runner.run(txn -> {
          Tx tx = new Tx(txn);
          long t = target.applyAsLong(tx);
          List<Long> found = new ArrayList<>();
          stop[0] = t == STOP ? 1 : 0;
          if (t != STOP) {
            for (Dent e : entries) {
              adopt(tx, e, t, found);
            }
          }
          return found;
        });
        if (stop[0] != 0) {
          return;
        }
        dirs.addAll(subdirs);
        if (!page.more()) {
          break;
        }
        cursor = entries.getLast().name();
      }
    }
  }

  private void adopt(Tx tx, Dent e, long target, List<Long> subdirs) {
    Optional<Dent> still = tx.dent(e.parent(), e.name(), true);
    if (still.isEmpty() || still.get().ino() != e.ino()) {
      return; // renamed or removed since the page was read; the rename rules kept its accounting right
    }
    Optional<Inode> found = tx.findInode(e.ino(), true);
    if (found.isEmpty()) {
      return;
    }
    Inode c = found.get();
    Optional<Codec.Quota> nested = c.isDirectory() ? tx.quota(c.id(), true) : Optional.empty();
    if (nested.isPresent()) {
      // A nested quota: its usage moves under the target with it (a self-tagged quota directory itself counts
      // toward the enclosing quota through its record, so it moves too).
      Codec.Quota q = nested.get();
      boolean selfTagged = c.quotaDomain() == c.id();
      if (q.parentDomain() != target) {
        long bytes = used(tx, MetaKeys.quotaUsedBytes(c.id()), true);
        long inodes = used(tx, MetaKeys.quotaUsedInodes(c.id()), true) + (selfTagged ? 1 : 0);
        move(tx, q.parentDomain(), target, bytes, inodes, false);
        tx.putQuota(c.id(), new Codec.Quota(q.state(), q.maxBytes(), q.maxInodes(), target));
      }
      if (selfTagged) {
        return; // it keeps its own tags below (its own count, if one is running, takes care of them)
      }
      // A quota being removed: its tree is half handed back; adopt what is left like anything else, so nothing
      // stays tagged with a quota that is about to disappear or with the one this walk replaces.
    }
    if (c.quotaDomain() != target) {
      move(tx, c.quotaDomain(), target, c.isFile() ? c.length() : 0, 1, false);
      tx.putInode(c.withQuotaDomain(target));
    }
    if (c.isDirectory()) {
      subdirs.add(c.id());
    }
  }

  private static void requireRoot(UserInfo user, String what) {
    if (!user.isRoot()) {
      throw CatenaException.of(Errno.EPERM, "only root may %s directory quotas", what);
    }
  }
}
