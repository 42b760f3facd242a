package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.TransactionRunner;
import io.catena.meta.ChainTableSource;
import io.catena.meta.ChunkStorage;
import io.catena.meta.DirEntry;
import io.catena.meta.FileLock;
import io.catena.meta.LockRequest;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RequestId;
import io.catena.meta.SetAttr;
import io.catena.meta.SnapshotResult;
import io.catena.meta.StatFs;
import io.catena.meta.TrashService;
import io.catena.meta.UserInfo;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;

/**
 * {@link MetaService} on the KV store: each call is one transaction run by the shared {@link TransactionRunner}
 * (recursive remove is several). Ids are allocated before the transaction so retries reuse them. Keeps no namespace
 * state in memory: any number of instances on one engine serve one namespace. Thread-safe.
 */
public final class KvMetaService implements MetaService, TrashService.Source {
  private final MetaContext ctx;
  private final EntryOps entries;
  private final FileOps files;
  private final AttrOps attrs;
  private final QuotaOps quotaAdmin;
  private final PathResolver paths;
  private final Idempotency idem;
  private final int readdirMax;
  private final Duration readStaleness;
  private final ParentLocks parentLocks = new ParentLocks();
  private final DirBatcher batcher;
  private final KvTrashService trash;
  private final CopyOnWrite cow;
  private final SnapshotOp snapshots;

  public KvMetaService(TransactionRunner runner, Clock clock, Config config, ChainTableSource chainTables,
      ChunkStorage storage) {
    this.ctx = new MetaContext(runner, clock, config, chainTables, storage);
    this.entries = new EntryOps(ctx);
    this.files = new FileOps(entries);
    this.attrs = new AttrOps(ctx);
    this.quotaAdmin = new QuotaOps(ctx);
    this.paths = new PathResolver(config.get(MetaConfig.MAX_SYMLINK_FOLLOW), config.get(MetaConfig.MAX_PATH_DEPTH));
    this.idem = new Idempotency(config.get(MetaConfig.IDEMPOTENCY_TTL).toNanos());
    this.readdirMax = config.get(MetaConfig.READDIR_PAGE);
    // On an engine whose reads are always current there is nothing to allow, and no ENOENT to ask twice.
    this.readStaleness = runner.engine().readsMayLag() ? config.get(MetaConfig.READ_STALENESS) : Duration.ZERO;
    this.batcher = new DirBatcher(runner);
    this.trash = new KvTrashService(ctx);
    this.cow = new CopyOnWrite(ctx);
    this.snapshots = new SnapshotOp(ctx, this);
  }

  @Override
  public TrashService trash() {
    return trash;
  }

  /**
   * Creates the root directory (inode 0, mode {@code rootMode}, owned by root, with the configured default layout)
   * if the namespace has none yet. Returns whether it did.
   */
  public boolean format(int rootMode) {
    long now = ctx.nowNanos();
    return ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      if (tx.findInode(ROOT, true).isPresent()) {
        return false;
      }
      tx.putInode(new Inode(ROOT, InodeType.DIRECTORY, rootMode & Inode.PERM_MASK, 0, 0, 2, 0, 0, now, now, now, 0,
          ctx.rootLayout(), null, ROOT, "/"));
      long trashSeconds = ctx.config.get(MetaConfig.TRASH_DEFAULT_TIME).toSeconds();
      if (trashSeconds > 0) {
        tx.set(TrashRecords.trashTime(ROOT), TrashRecords.encodeSeconds(trashSeconds)); // inherited from here on
      }
      return true;
    });
  }

  public MetaContext context() {
    return ctx;
  }

  private <T> T read(Function<Tx, T> body) {
    return ctx.runner.read(txn -> body.apply(new Tx(txn)));
  }

  /**
   * A read of what clients look at and cache anyway (attributes, entries, listings, links, xattrs): it may be up to
   * {@code meta.read_staleness} behind other servers' changes, never behind this server's own. "No such file" is
   * never stale: it is asked again at the latest revision, so a name or inode created through any server is seen at
   * once (as a mount without a negative entry cache expects); what may lag is a change to, or removal of, something
   * that exists.
   */
  private <T> T recent(Function<Tx, T> body) {
    if (readStaleness.isZero()) {
      return read(body);
    }
    try {
      return ctx.runner.read(readStaleness, txn -> body.apply(new Tx(txn)));
    } catch (CatenaException e) {
      if (e.errno() != Errno.ENOENT) {
        throw e;
      }
      return read(body);
    }
  }

  private <T> T write(Function<Tx, T> body) {
    return ctx.runner.run(txn -> body.apply(new Tx(txn)));
  }

  /** A mutation that answers a retry of the same request with the first answer. */
  private <T> T mutate(RequestId req, long now, Class<T> type, Function<Tx, T> body) {
    return ctx.runner.run(txn -> idem.run(new Tx(txn), req, now, type, body));
  }

  /**
   * {@link #mutate} of the entries of directory {@code dir}: group-committed with the other mutations of that
   * directory waiting on this server ({@link DirBatcher}).
   */
  private <T> T mutateIn(long dir, String name, RequestId req, long now, Class<T> type, Function<Tx, T> body) {
    return batcher.run(dir, tx -> {
      // Every such mutation reads the directory, the entry and its request's idempotency record first.
      tx.prefetchEntry(dir, name, req == null ? null : MetaKeys.idem(req.clientId(), req.seq()));
      return idem.run(tx, req, now, type, body);
    });
  }

  @Override
  public StatFs statfs(UserInfo user) {
    long[] space = ctx.storage.space();
    long used = read(tx -> tx.get(MetaKeys.ID_COUNTER, false).map(Codec::decodeLong).orElse(IdAllocator.FIRST_ID));
    return new StatFs(space[0], space[1], used, ctx.rootLayout().chunkSize(), Names.NAME_MAX);
  }

  @Override
  public StatFs statfs(UserInfo user, long ino) {
    StatFs whole = statfs(user);
    return read(tx -> QuotaLedger.statfs(tx, ino, whole));
  }

  @Override
  public QuotaUsage setQuota(UserInfo user, long ino, QuotaLimits limits) {
    return quotaAdmin.set(user, ino, limits);
  }

  @Override
  public Optional<QuotaUsage> getQuota(UserInfo user, long ino) {
    return read(tx -> {
      tx.inode(ino); // ENOENT for an unknown inode rather than "no quota"
      return QuotaLedger.get(tx, ino);
    });
  }

  @Override
  public boolean removeQuota(UserInfo user, long ino) {
    return quotaAdmin.remove(user, ino);
  }

  /** relatime's "older than a day". */
  private static final long RELATIME_NANOS = 24L * 3600 * 1_000_000_000L;

  @Override
  public void touchAtime(UserInfo user, long ino) {
    long now = ctx.nowNanos();
    if (!atimeDue(read(tx -> tx.inode(ino)), now)) {
      return; // the common case: one snapshot read, no commit
    }
    write(tx -> {
      Inode i = tx.inodeForUpdate(ino);
      if (atimeDue(i, now)) {
        tx.putInode(i.withTimes(now, i.mtime(), i.ctime())); // atime alone: ctime stays (Linux does the same)
      }
      return null;
    });
  }

  /**
   * Linux relatime: update when atime is not after mtime or ctime, or is a day old; never backwards or to the same
   * value (another meta server's clock may be behind).
   */
  static boolean atimeDue(Inode i, long now) {
    return now > i.atime()
        && (i.atime() <= i.mtime() || i.atime() <= i.ctime() || now - i.atime() >= RELATIME_NANOS);
  }

  @Override
  public Inode lookup(UserInfo user, long parent, String name) {
    return recent(tx -> {
      tx.prefetchEntry(parent, name, null);
      return EntryOps.lookup(tx, user, parent, name);
    });
  }

  @Override
  public Inode getattr(UserInfo user, long ino) {
    return recent(tx -> tx.inode(ino));
  }

  @Override
  public List<Optional<Inode>> batchGetattr(UserInfo user, List<Long> inos) {
    return recent(tx -> {
      List<Optional<Inode>> r = new ArrayList<>(inos.size());
      for (long ino : inos) {
        r.add(tx.findInode(ino, false));
      }
      return r;
    });
  }

  @Override
  public OpenResult create(UserInfo user, long parent, String name, int mode, int flags, String clientId,
      RequestId req) {
    long id = ctx.ids.next();
    long sid = OpenFlags.writable(flags) ? ctx.ids.next() : 0;
    long now = ctx.nowNanos();
    boolean[] truncated = new boolean[1];
    OpenResult r = mutateIn(parent, name, req, now, OpenResult.class, tx -> {
      FileOps.Opened o = files.create(tx, user, parent, name, mode, flags, clientId, id, sid, now);
      truncated[0] = o.truncated();
      return o.result();
    });
    if ((OpenFlags.writable(flags) || truncated[0]) && r.inode().isFile()) {
      // After the session exists no snapshot shares the file again; before any byte is written it gets its own data.
      r = new OpenResult(privateOrClose(r, !truncated[0]), r.sessionId(), r.parent());
    }
    if (truncated[0]) {
      ctx.storage.truncate(r.inode().id(), r.inode().layout(), 0);
    }
    return r;
  }

  @Override
  public OpenResult open(UserInfo user, long ino, int flags, String clientId) {
    long sid = OpenFlags.writable(flags) ? ctx.ids.next() : 0;
    long now = ctx.nowNanos();
    FileOps.Opened o = write(tx -> files.open(tx, user, ino, flags, clientId, sid, now));
    OpenResult r = o.result();
    if ((OpenFlags.writable(flags) || o.truncated()) && r.inode().isFile()) {
      r = new OpenResult(privateOrClose(r, !o.truncated()), r.sessionId()); // see create
    }
    if (o.truncated()) {
      ctx.storage.truncate(ino, r.inode().layout(), 0);
    }
    return r;
  }

  /** {@link CopyOnWrite#ensurePrivate}; if it fails, the open fails whole: its write session is closed again. */
  private Inode privateOrClose(OpenResult r, boolean keepBytes) {
    try {
      return cow.ensurePrivate(r.inode().id(), keepBytes);
    } catch (RuntimeException e) {
      if (r.sessionId() != 0) {
        try {
          write(tx -> {
            FileOps.closeSession(tx, r.inode().id(), r.sessionId());
            return null;
          });
        } catch (RuntimeException closing) {
          e.addSuppressed(closing);
        }
      }
      throw e;
    }
  }

  @Override
  public Inode lengthHint(UserInfo user, long ino, long sessionId, long length, long truncateVersion) {
    long now = ctx.nowNanos();
    return write(tx -> FileOps.lengthHint(tx, ctx.quotas, ino, sessionId, length, truncateVersion, now));
  }

  @Override
  public Inode sync(UserInfo user, long ino, long sessionId, boolean wrote) {
    return syncAndMaybeClose(user, ino, sessionId, wrote, false);
  }

  @Override
  public Inode close(UserInfo user, long ino, long sessionId, boolean wrote) {
    return syncAndMaybeClose(user, ino, sessionId, wrote, true);
  }

  private Inode syncAndMaybeClose(UserInfo user, long ino, long sessionId, boolean wrote, boolean close) {
    if (!wrote && close) {
      // Nothing to sync (the close after every create that wrote nothing): one transaction, no read before it.
      return write(tx -> {
        FileOps.closeSession(tx, ino, sessionId);
        return tx.inode(ino);
      });
    }
    Inode before = getattr(user, ino);
    if (!wrote || !before.isFile()) {
      return close ? write(tx -> {
        FileOps.closeSession(tx, ino, sessionId);
        return tx.inode(ino);
      }) : before;
    }
    // Storage I/O stays outside the transaction; the truncate version taken before it decides whether it is stale.
    long exact = ctx.storage.queryLength(ino, before.layout());
    long now = ctx.nowNanos();
    FileOps.Synced s = write(tx -> {
      FileOps.Synced r = FileOps.applyExactLength(tx, user, ino, before.truncateVersion(), exact, now);
      if (close) {
        FileOps.closeSession(tx, ino, sessionId);
      }
      return r;
    });
    if (s.overQuota()) {
      // Committed: the length is recorded and the handle closed; the writer learns its data passed a quota.
      throw CatenaException.of(Errno.EDQUOT, "inode %d grew to %d bytes, past a directory quota's limit", ino,
          s.inode().length());
    }
    return s.inode();
  }

  @Override
  public Inode mkdir(UserInfo user, long parent, String name, int mode, RequestId req) {
    long id = ctx.ids.next();
    long now = ctx.nowNanos();
    return mutateIn(parent, name, req, now, Inode.class, tx -> entries.mkdir(tx, user, parent, name, mode, id, now));
  }

  @Override
  public Inode mknod(UserInfo user, long parent, String name, int stMode, long rdev, RequestId req) {
    long id = ctx.ids.next();
    long now = ctx.nowNanos();
    return mutateIn(parent, name, req, now, Inode.class,
        tx -> entries.mknod(tx, user, parent, name, stMode, rdev, id, now));
  }

  @Override
  public Inode symlink(UserInfo user, long parent, String name, String target, RequestId req) {
    long id = ctx.ids.next();
    long now = ctx.nowNanos();
    return mutateIn(parent, name, req, now, Inode.class,
        tx -> entries.symlink(tx, user, parent, name, target, id, now));
  }

  @Override
  public String readlink(UserInfo user, long ino) {
    return recent(tx -> AttrOps.readlink(tx, ino));
  }

  @Override
  public Inode link(UserInfo user, long ino, long newParent, String newName, RequestId req) {
    long now = ctx.nowNanos();
    return mutateIn(newParent, newName, req, now, Inode.class,
        tx -> entries.link(tx, user, ino, newParent, newName, now));
  }

  @Override
  public Inode unlink(UserInfo user, long parent, String name, RequestId req) {
    long now = ctx.nowNanos();
    return mutateIn(parent, name, req, now, Inode.class, tx -> {
      entries.unlink(tx, user, parent, name, now);
      return tx.inode(parent);
    });
  }

  @Override
  public void rmdir(UserInfo user, long parent, String name, RequestId req) {
    long now = ctx.nowNanos();
    mutateIn(parent, name, req, now, Void.class, tx -> {
      entries.rmdir(tx, user, parent, name, now);
      return null;
    });
  }

  @Override
  public void rename(UserInfo user, long parent, String name, long newParent, String newName, int flags,
      RequestId req) {
    long now = ctx.nowNanos();
    parentLocks.with(parent, newParent, () -> mutate(req, now, Void.class, tx -> {
      RenameOp.rename(tx, ctx.quotas, user, parent, name, newParent, newName, flags, now);
      return null;
    }));
  }

  @Override
  public ReaddirPage readdir(UserInfo user, long ino, String cursor, int limit, boolean plus) {
    int n = Math.min(limit, readdirMax);
    return recent(tx -> DirReader.readdir(tx, user, ino, cursor, n, plus));
  }

  @Override
  public Inode setattr(UserInfo user, long ino, SetAttr attr) {
    long now = ctx.nowNanos();
    AttrOps.Result r = write(tx -> attrs.setattr(tx, user, ino, attr, now));
    if (r.truncated()) {
      Inode mine = cow.ensurePrivate(ino, true); // a truncate changes bytes: never those a snapshot shares
      ctx.storage.truncate(ino, mine.layout(), r.inode().length());
      return r.inode().withLayout(mine.layout());
    }
    return r.inode();
  }

  @Override
  public Inode resolve(UserInfo user, long base, String path, boolean followLast) {
    return recent(tx -> paths.resolve(tx, user, base, path, followLast).inode());
  }

  @Override
  public String realpath(UserInfo user, String path) {
    return recent(tx -> {
      PathResolver.Resolved r = paths.resolve(tx, user, ROOT, path, true);
      if (r.inode().isDirectory()) {
        return PathResolver.pathOf(tx, r.inode());
      }
      String dir = PathResolver.pathOf(tx, tx.inode(r.parent()));
      return dir.equals("/") ? "/" + r.name() : dir + "/" + r.name();
    });
  }

  @Override
  public void access(UserInfo user, long ino, int mask) {
    recent(tx -> {
      AttrOps.access(tx, user, ino, mask);
      return null;
    });
  }

  @Override
  public byte[] getxattr(UserInfo user, long ino, String name) {
    return recent(tx -> XattrOps.get(tx, user, ino, name));
  }

  @Override
  public List<String> listxattr(UserInfo user, long ino) {
    return recent(tx -> XattrOps.list(tx, user, ino));
  }

  @Override
  public void setxattr(UserInfo user, long ino, String name, byte[] value, int flags, RequestId req) {
    long now = ctx.nowNanos();
    mutate(req, now, Void.class, tx -> {
      XattrOps.set(tx, user, ino, name, value, flags, now);
      return null;
    });
  }

  @Override
  public void removexattr(UserInfo user, long ino, String name, RequestId req) {
    long now = ctx.nowNanos();
    mutate(req, now, Void.class, tx -> {
      XattrOps.remove(tx, user, ino, name, now);
      return null;
    });
  }

  @Override
  public SnapshotResult snapshot(UserInfo user, long src, long dstParent, String dstName, RequestId req) {
    if (req != null && read(tx -> idem.prior(tx, req, ctx.nowNanos())).isPresent()) {
      return new SnapshotResult(0, 0, 0, 0, 0); // made before: the first reply was lost
    }
    return snapshots.run(user, src, dstParent, dstName, req);
  }

  @Override
  public long removeRecursive(UserInfo user, long parent, String name, RequestId req) {
    if (req != null) {
      Optional<Object> prior = read(tx -> idem.prior(tx, req, ctx.nowNanos()));
      if (prior.isPresent()) {
        return (Long) prior.get();
      }
    }
    Inode top = lookup(user, parent, name);
    long removed = top.isDirectory() ? emptyDirectory(user, top.id(), 0) : 0;
    long now = ctx.nowNanos();
    // The last step carries the request id, so a retry after it returns this answer instead of ENOENT.
    return mutate(req, now, Long.class, tx -> {
      if (top.isDirectory()) {
        entries.rmdir(tx, user, parent, name, now);
      } else {
        entries.unlink(tx, user, parent, name, now);
      }
      return removed + 1;
    });
  }

  /** Removes everything below {@code dir}, depth first, one transaction per name. */
  private long emptyDirectory(UserInfo user, long dir, int depth) {
    if (depth > 4096) {
      throw CatenaException.of(Errno.ELOOP, "directory tree deeper than 4096 levels");
    }
    long removed = 0;
    while (true) {
      ReaddirPage page = readdir(user, dir, null, readdirMax, false);
      if (page.entries().isEmpty()) {
        return removed;
      }
      for (DirEntry e : page.entries()) {
        try {
          if (e.type() == InodeType.DIRECTORY) {
            removed += emptyDirectory(user, e.ino(), depth + 1);
            rmdir(user, dir, e.name(), null);
          } else {
            unlink(user, dir, e.name(), null);
          }
          removed++;
        } catch (CatenaException ex) {
          if (ex.errno() != Errno.ENOENT) { // someone else removed it first: fine
            throw ex;
          }
        }
      }
    }
  }

  @Override
  public void setLock(UserInfo user, long ino, LockRequest request) {
    write(tx -> {
      LockOps.setLock(tx, ino, request);
      return null;
    });
  }

  @Override
  public Optional<FileLock> getLock(UserInfo user, long ino, LockRequest request) {
    return read(tx -> LockOps.getLock(tx, ino, request));
  }
}
