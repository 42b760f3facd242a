package io.catena.meta.store;

import static io.catena.meta.store.QuotaLedger.ACTIVE;
import static io.catena.meta.store.QuotaLedger.COUNTING;
import static io.catena.meta.store.QuotaLedger.REMOVING;
import static io.catena.meta.store.QuotaLedger.used;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.RangeResult;
import io.catena.meta.Inode;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.UserInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Setting and removing directory quotas; the accounting that operations do in their own transactions is {@link
 * QuotaLedger}, which also describes the model.
 *
 * <p>Setting a quota on a non-empty directory writes the record (state {@link
 * QuotaUsage.State#COUNTING}, not enforced) and tags the directory in one transaction, then walks the subtree
 * breadth-first, one transaction per page of {@value #WALK_PAGE} entries, re-tagging each inode and moving its
 * usage onto the new quota (a nested quota directory hands over its whole counters and is not descended into);
 * then the quota becomes ACTIVE. Operations running meanwhile stay exact: an inode is counted by whichever quota
 * its tag names at the time, and re-tagging moves its usage in the same transaction. A directory renamed between
 * the re-tagged and the not yet re-tagged part meanwhile gets EXDEV. Removing does the reverse walk (state {@link
 * QuotaUsage.State#REMOVING}) toward the enclosing quota and then deletes the record and counters. Both walks are
 * restartable: calling setQuota/removeQuota again after an interruption finishes the job.
 *
 * <p>Thread-safe: stateless apart from the shared context.
 */
public final class QuotaOps {
  private static final int WALK_PAGE = 128;
  private static final long STOP = Long.MIN_VALUE;
  private static final Logger LOG = LoggerFactory.getLogger(QuotaOps.class);

  private final MetaContext ctx;
  private final QuotaLedger ledger;

  public QuotaOps(MetaContext ctx) {
    this.ctx = ctx;
    this.ledger = ctx.quotas;
  }

  public Optional<QuotaUsage> get(long dir) {
    return ctx.runner.read(txn -> QuotaLedger.get(new Tx(txn), dir));
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
      QuotaLedger.dropRecords(tx, dir);
      return null;
    });
    return true;
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
        ledger.move(tx, q.parentDomain(), target, bytes, inodes, false);
        tx.putQuota(c.id(), new Codec.Quota(q.state(), q.maxBytes(), q.maxInodes(), target));
      }
      if (selfTagged) {
        return; // it keeps its own tags below (its own count, if one is running, takes care of them)
      }
      // A quota being removed: its tree is half handed back; adopt what is left like anything else, so nothing
      // stays tagged with a quota that is about to disappear or with the one this walk replaces.
    }
    if (c.quotaDomain() != target) {
      ledger.move(tx, c.quotaDomain(), target, c.isFile() ? c.length() : 0, 1, false);
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
