package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.RangeResult;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.TrashTimeChange;
import io.catena.meta.UserInfo;
import io.catena.meta.server.MetaConfig;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;

/**
 * {@link TrashService} on the KV store, and the trash half of garbage collection ({@link #expire}). Work over many
 * records (set-trashtime -r, purge of many, expiry) runs in transactions of at most {@link #BATCH} records, well
 * inside the etcd engine's 128 operations per transaction. Thread-safe: stateless apart from the shared context.
 */
public final class KvTrashService implements TrashService {
  /** Records changed per transaction: each costs up to 3 operations (read, clear, set). */
  static final int BATCH = 32;
  private static final int SCAN_PAGE = 256;
  /**
   * What a purged entry's GC record says as its unlink time: long ago, so the next pass frees it (an operator's purge
   * is "free it now"). Expired entries keep their deletion time: open readers then get max(trash time,
   * meta.gc_delay) after the unlink, as without trash.
   */
  private static final long PURGED = 0;

  private final MetaContext ctx;
  private final PathResolver paths;

  public KvTrashService(MetaContext ctx) {
    this.ctx = ctx;
    this.paths = new PathResolver(ctx.config().get(MetaConfig.MAX_SYMLINK_FOLLOW),
        ctx.config().get(MetaConfig.MAX_PATH_DEPTH));
  }

  private static boolean mayManage(UserInfo user, Inode i) {
    return user.isRoot() || user.uid() == i.uid();
  }

  @Override
  public long getTrashTime(UserInfo user, long ino) {
    return ctx.runner().read(txn -> {
      Tx tx = new Tx(txn);
      tx.inode(ino);
      return TrashArea.trashTime(tx, ino, false);
    });
  }

  @Override
  public TrashTimeChange setTrashTime(UserInfo user, long ino, long seconds, boolean recursive) {
    if (seconds < 0) {
      throw CatenaException.of(Errno.EINVAL, "trash time %d s is negative (0: off)", seconds);
    }
    long[] counts = new long[3]; // changed, not changed, not permitted
    boolean dir = ctx.runner().run(txn -> {
      Tx tx = new Tx(txn);
      Inode i = tx.inodeForUpdate(ino);
      if (!mayManage(user, i)) {
        if (!recursive) {
          throw CatenaException.of(Errno.EPERM, "inode %d belongs to uid %d: only its owner or root may set its "
              + "trash time", ino, i.uid());
        }
        counts[2]++;
      } else {
        counts[apply(tx, ino, seconds) ? 0 : 1]++;
      }
      return i.isDirectory();
    });
    if (recursive && dir) {
      walk(user, ino, seconds, counts);
    }
    return new TrashTimeChange(counts[0], counts[1], counts[2]);
  }

  /** Sets the record (absent means 0); returns whether it changed. */
  private static boolean apply(Tx tx, long ino, long seconds) {
    if (TrashArea.trashTime(tx, ino, true) == seconds) {
      return false;
    }
    if (seconds == 0) {
      tx.clear(TrashRecords.trashTime(ino));
    } else {
      tx.set(TrashRecords.trashTime(ino), TrashRecords.encodeSeconds(seconds));
    }
    return true;
  }

  /** Everything beneath {@code top}, one page of one directory per transaction. */
  private void walk(UserInfo user, long top, long seconds, long[] counts) {
    Deque<Long> dirs = new ArrayDeque<>();
    dirs.add(top);
    while (!dirs.isEmpty()) {
      long dir = dirs.poll();
      String cursor = null;
      while (true) {
        String from = cursor;
        record Page(String last, boolean more, List<Long> subdirs, long[] counts) {}
        Page p = ctx.runner().run(txn -> {
          Tx tx = new Tx(txn);
          RangeResult r = tx.dentPage(dir, from, BATCH);
          long[] c = new long[3];
          List<Long> sub = new ArrayList<>();
          String last = from;
          for (KeyValue kv : r.pairs()) {
            Dent d = Tx.decodeDentPair(kv);
            last = d.name();
            Optional<Inode> i = tx.findInode(d.ino(), false);
            if (i.isEmpty()) {
              continue; // removed since the page was read
            }
            if (i.get().isDirectory()) {
              sub.add(d.ino());
            }
            if (!mayManage(user, i.get())) {
              c[2]++;
            } else {
              c[apply(tx, d.ino(), seconds) ? 0 : 1]++;
            }
          }
          return new Page(last, r.more(), sub, c);
        });
        for (int k = 0; k < 3; k++) {
          counts[k] += p.counts()[k];
        }
        dirs.addAll(p.subdirs());
        if (!p.more() || p.last() == null || p.last().equals(from)) {
          break;
        }
        cursor = p.last();
      }
    }
  }

  @Override
  public List<TrashEntry> listTrash(UserInfo user, long afterId, int limit) {
    if (limit <= 0) {
      throw CatenaException.of(Errno.EINVAL, "list limit %d must be positive", limit);
    }
    List<TrashEntry> out = new ArrayList<>();
    byte[] begin = afterId < 0 ? TrashRecords.TRSH : Keys.keyAfter(TrashRecords.entry(afterId));
    byte[] end = Keys.strinc(TrashRecords.TRSH);
    while (out.size() < limit) {
      byte[] from = begin;
      record Page(List<TrashEntry> seen, boolean more, byte[] lastKey) {}
      Page p = ctx.runner().read(txn -> {
        Tx tx = new Tx(txn);
        RangeResult r = txn.snapshotGetRange(from, end, SCAN_PAGE, false);
        List<TrashEntry> seen = new ArrayList<>();
        for (KeyValue kv : r.pairs()) {
          long id = MetaKeys.idOf(kv.key());
          Optional<Inode> i = tx.findInode(id, false);
          if (i.isPresent() && mayManage(user, i.get())) {
            seen.add(view(id, TrashRecords.decode(kv.value()), i.get()));
          }
        }
        return new Page(seen, r.more(), r.pairs().isEmpty() ? null : r.pairs().getLast().key());
      });
      for (TrashEntry e : p.seen()) {
        if (out.size() < limit) {
          out.add(e);
        }
      }
      if (!p.more() || p.lastKey() == null) {
        break;
      }
      begin = Keys.keyAfter(p.lastKey());
    }
    return out;
  }

  private static TrashEntry view(long id, TrashRecords.Entry e, Inode i) {
    return new TrashEntry(id, e.parent(), e.name(), e.path(), e.deletedAtNanos(), e.expiresAtNanos(), i.uid(),
        i.gid(), i.mode(), i.length(), i.mtime());
  }

  @Override
  public Inode restore(UserInfo user, long id, String path) {
    long now = ctx.nowNanos();
    return ctx.runner().run(txn -> {
      Tx tx = new Tx(txn);
      TrashRecords.Entry e = tx.get(TrashRecords.entry(id), true).map(TrashRecords::decode)
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no trash entry %d (restored, purged or expired)", id));
      Inode file = tx.inodeForUpdate(id);
      if (!mayManage(user, file)) {
        throw CatenaException.of(Errno.EPERM, "trash entry %d belongs to uid %d: only its owner or root may "
            + "restore it", id, file.uid());
      }
      String target = path == null ? e.path() : path;
      if (!target.startsWith("/") || target.endsWith("/")) {
        throw CatenaException.of(Errno.EINVAL, "restore path '%s' must be an absolute path of a file inside Catena",
            target);
      }
      int slash = target.lastIndexOf('/');
      String dirPath = slash == 0 ? "/" : target.substring(0, slash);
      String name = target.substring(slash + 1);
      Names.check(name, Errno.EEXIST);
      Inode dir;
      try {
        dir = paths.resolve(tx, user, MetaService.ROOT, dirPath, true).inode();
      } catch (CatenaException x) {
        if (x.errno() != Errno.ENOENT) {
          throw x;
        }
        throw CatenaException.of(Errno.ENOENT, "directory %s of %s does not exist (restore creates nothing): "
            + "create it, or restore to another path", dirPath, target);
      }
      Inode parent = EntryOps.writableDir(tx, user, dir.id());
      if (tx.dent(parent.id(), name, true).isPresent()) {
        throw CatenaException.of(Errno.EEXIST, "%s exists: restore trash entry %d to another path", target, id);
      }
      PermissionChecker.check(user, parent, PermissionChecker.W);
      ctx.quotas.charge(tx, parent.quotaDomain(), file.isFile() ? file.length() : 0, 1, true);
      Inode back = file.withNlink(1).withQuotaDomain(parent.quotaDomain()).withPlace(parent.id(), file.name());
      tx.putInode(back);
      tx.putDent(Tx.dentFor(parent.id(), name, back));
      tx.putInode(parent.touched(now));
      tx.clear(TrashRecords.entry(id));
      return back;
    });
  }

  @Override
  public long purge(UserInfo user, long id, long olderThanSeconds) {
    if (id >= 0) {
      return ctx.runner().run(txn -> {
        Tx tx = new Tx(txn);
        TrashRecords.Entry e = tx.get(TrashRecords.entry(id), true).map(TrashRecords::decode)
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no trash entry %d", id));
        Inode file = tx.inodeForUpdate(id);
        if (!mayManage(user, file)) {
          throw CatenaException.of(Errno.EPERM, "trash entry %d belongs to uid %d: only its owner or root may "
              + "purge it", id, file.uid());
        }
        TrashArea.toGc(tx, id, PURGED);
        return 1L;
      });
    }
    if (olderThanSeconds < 0) {
      throw CatenaException.of(Errno.EINVAL, "--older-than %d s is negative", olderThanSeconds);
    }
    long cutoff = ctx.nowNanos() - Math.multiplyExact(olderThanSeconds, 1_000_000_000L);
    return sweep(Long.MAX_VALUE, (e, i) -> mayManage(user, i) && e.deletedAtNanos() <= cutoff, e -> PURGED);
  }

  /**
   * The garbage collector's trash step: hands up to {@code budget} entries expired at {@code nowNanos} to the GC
   * area, dated at their deletion. Returns how many.
   */
  public long expire(long nowNanos, long budget) {
    return sweep(budget, (e, i) -> e.expiresAtNanos() <= nowNanos, TrashRecords.Entry::deletedAtNanos);
  }

  private interface Due {
    boolean test(TrashRecords.Entry e, Inode i);
  }

  /**
   * Moves entries that are {@code due} to the GC area: a snapshot scan finds candidates, then transactions of at most
   * {@link #BATCH} re-read each with a conflict (a concurrent restore wins or makes this retry).
   */
  private long sweep(long budget, Due due, java.util.function.ToLongFunction<TrashRecords.Entry> unlinkedAt) {
    long moved = 0;
    byte[] begin = TrashRecords.TRSH;
    byte[] end = Keys.strinc(TrashRecords.TRSH);
    while (moved < budget) {
      byte[] from = begin;
      RangeResult r = ctx.runner().read(txn -> txn.snapshotGetRange(from, end, SCAN_PAGE, false));
      List<Long> ids = new ArrayList<>();
      for (KeyValue kv : r.pairs()) {
        ids.add(MetaKeys.idOf(kv.key()));
      }
      for (int k = 0; k < ids.size() && moved < budget; k += BATCH) {
        List<Long> batch = ids.subList(k, (int) Math.min(ids.size(), Math.min(k + BATCH, k + budget - moved)));
        moved += ctx.runner().run(txn -> {
          Tx tx = new Tx(txn);
          long n = 0;
          for (long id : batch) {
            Optional<TrashRecords.Entry> e = tx.get(TrashRecords.entry(id), true).map(TrashRecords::decode);
            Optional<Inode> i = tx.findInode(id, true);
            if (e.isPresent() && i.isPresent() && due.test(e.get(), i.get())) {
              TrashArea.toGc(tx, id, unlinkedAt.applyAsLong(e.get()));
              n++;
            }
          }
          return n;
        });
      }
      if (!r.more() || r.pairs().isEmpty()) {
        break;
      }
      begin = Keys.keyAfter(r.pairs().getLast().key());
    }
    return moved;
  }
}
