package io.catena.kv.rocksdb;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.CommitUnknownException;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvFaults;
import io.catena.kv.Keys;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.core.CommitRequest;
import io.catena.kv.core.EngineCore;
import io.catena.kv.core.Resolver;
import io.catena.kv.core.Snapshot;
import io.catena.kv.core.Transaction;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DBOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Slice;
import org.rocksdb.UInt64AddOperator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code rocksdb://} engine: RocksDB holds the latest data, read versions are RocksDB snapshots, and every
 * commit goes through one committer thread that implements group commit.
 *
 * <p>Commit path: callers enqueue their commit and wait. The committer drains up to {@code kv.rocksdb.max_batch}
 * waiting commits, resolves them in order against the conflict history (later members of a batch see earlier
 * survivors as committed after their read version, so two conflicting members never both pass), puts all
 * survivors into ONE WriteBatch together with the new committed version, writes it with {@code sync=true} (one
 * WAL fsync for the whole batch), then takes a RocksDB snapshot, publishes it as the read version for new
 * transactions and only then completes the callers' futures. Because the committer is the only writer and the
 * snapshot is taken after the write, the snapshot for version V sees exactly the commits {@code <= V}; and a caller
 * whose commit was acknowledged starts its next transaction at a version that includes it. While one batch is being
 * fsync'd, the next one accumulates in the queue, so the batch size adapts to the load. Closed-loop clients left
 * alone split into two groups whose batches alternate (each fsync carries half of them); so the committer estimates
 * how many commits are in flight (the last batch plus what queued behind it) and, before writing, waits briefly for
 * that many ({@code kv.rocksdb.group_commit_wait}, never longer than the last fsync took): one fsync then carries
 * them all, and a lone client never waits because its estimate is 1. Waking the
 * callers is left to a second thread (the completer): a futex wake per caller cost ~20 us each on a loaded 2-core VM,
 * ~10% of a batch cycle, and the committer can start the next batch's fsync meanwhile. WAL files are recycled
 * ({@code kv.rocksdb.recycle_wal_files}) so the per-batch fdatasync overwrites instead of growing a file.
 *
 * <p>Without {@code kv.rocksdb.sync_commits} (the default) a commit is a WAL write without fsync, cheaper than the
 * two thread wake-ups of that path, so callers write their own commits under one writer lock instead, the lock
 * holder writing every commit queued meanwhile as one batch (see {@link #commitInline}); the committer thread then
 * only fsyncs the WAL within {@code kv.rocksdb.sync_interval}. Resolution, versions and snapshots are as above:
 * there is still one writer at a time.
 *
 * <p>Snapshots are shared: all transactions that begin between two batches hold the same reference-counted
 * snapshot, which is released when the last of them closes and a newer one has been published. The committed
 * version is stored in a metadata column family in the same WriteBatch, so versions keep increasing across
 * restarts.
 *
 * <p>Closing: new operations fail with ESHUTDOWN, operations inside RocksDB are waited for (each native call runs
 * inside a cheap enter/exit gate), queued commits are finished, then snapshots, column families, the database and
 * the options are closed in that order. Transactions left open fail with ESHUTDOWN instead of touching freed
 * native memory. Thread-safe: any number of threads may run transactions.
 */
public final class RocksKvEngine implements KvEngine, EngineCore {
  private static final Logger LOG = LoggerFactory.getLogger(RocksKvEngine.class);
  static final byte[] META_CF = "catena_meta".getBytes(StandardCharsets.UTF_8);
  static final byte[] VERSION_KEY = "committed_version".getBytes(StandardCharsets.UTF_8);
  private static final Pending POISON = new Pending(null);
  /** Wakes the committer when commits became unsynced (inline mode). */
  private static final Pending SYNC_DUE = new Pending(null);

  static {
    RocksDB.loadLibrary();
  }

  /** A commit waiting for the committer. */
  private static final class Pending {
    final CommitRequest request;
    final CompletableFuture<Long> done = new CompletableFuture<>();
    long version;
    boolean reportUnknown;

    Pending(CommitRequest request) {
      this.request = request;
    }
  }

  private final String url;
  private final Path dir;
  private final KvFaults faults;
  private final Clock clock;
  private final int maxBatch;
  private final long groupWaitNanos;
  /** Commits probably in flight: the last batch's size plus those queued when its write finished. Committer only. */
  private int inFlight = 1;
  /** How long the last batch write (WAL fsync) took. Committer only. */
  private long lastWriteNanos;
  /** Without sync_commits: the longest an acknowledged commit waits for its WAL fsync (0: until close). */
  private final long syncIntervalNanos;
  /**
   * When the oldest commit not yet fsync'd was written (System.nanoTime), or -1: all synced. The committer's with
   * sync_commits; under {@link #writerLock} without.
   */
  private long unsyncedSince = -1;
  private final AtomicLong walSyncs = new AtomicLong();
  private final DBOptions dbOptions;
  private final ColumnFamilyOptions cfOptions;
  private final UInt64AddOperator addOperator;
  private final BloomFilter bloom;
  private final List<ColumnFamilyHandle> handles = new ArrayList<>();
  private final RocksDB db;
  private final ColumnFamilyHandle dataCf;
  private final ColumnFamilyHandle metaCf;
  private final WriteOptions writeOptions;
  private final Resolver resolver;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final AtomicReference<SnapRef> current = new AtomicReference<>();
  private final Set<SnapRef> live = ConcurrentHashMap.newKeySet();
  // One counter, not a LongAdder: close() must see an exact zero, and LongAdder.sum() is not a snapshot.
  private final AtomicLong active = new AtomicLong();
  private final Object closeLock = new Object();
  private final Thread committer;
  private final Thread completer;
  /** Without sync_commits: callers write their own commits (see {@link #commitInline}). */
  private final boolean inlineCommits;
  /** Held by the one caller writing in inline mode; guards {@link #inlineQueue}'s draining and the write batch. */
  private final ReentrantLock writerLock = new ReentrantLock();
  private final ConcurrentLinkedQueue<Pending> inlineQueue = new ConcurrentLinkedQueue<>();
  private final WriteBatch inlineBatch = new WriteBatch();
  private final LinkedBlockingQueue<List<Pending>> completions = new LinkedBlockingQueue<>();
  private volatile boolean closed;
  private volatile long committedVersion;
  private final ChangeFeed feed;
  private final AtomicLong batches = new AtomicLong();
  private final AtomicLong commits = new AtomicLong();

  private RocksKvEngine(String url, Path dir, Config config, KvFaults faults, Clock clock) throws RocksDBException {
    this.url = url;
    this.dir = dir;
    this.faults = faults;
    this.clock = clock;
    this.maxBatch = KvConfig.get(config, KvConfig.ROCKSDB_MAX_BATCH);
    this.groupWaitNanos = KvConfig.get(config, KvConfig.ROCKSDB_GROUP_COMMIT_WAIT).toNanos();
    this.dbOptions = new DBOptions().setCreateIfMissing(true).setCreateMissingColumnFamilies(true)
        .setRecycleLogFileNum(KvConfig.get(config, KvConfig.ROCKSDB_RECYCLE_WAL_FILES));
    // atomicAdd is a RocksDB merge: uint64add reads 8-byte little-endian values and counts any other as 0, exactly
    // the contract of ReadWriteTransaction.atomicAdd, so concurrent adds in one batch need no read in the committer.
    this.addOperator = new UInt64AddOperator();
    this.bloom = new BloomFilter(10, false);
    // Bloom filters over whole keys, in the memtable and in every table file: most point reads of the namespace
    // ask for a key that is not there (the name a create is about to make, an idempotency record, a session), and
    // without a filter each of them searched the memtable's skip list and every table file's blocks.
    this.cfOptions = new ColumnFamilyOptions().setMergeOperator(addOperator)
        .setWriteBufferSize(KvConfig.get(config, KvConfig.ROCKSDB_WRITE_BUFFER_SIZE).bytes())
        .setMemtablePrefixBloomSizeRatio(0.05).setMemtableWholeKeyFiltering(true)
        .setTableFormatConfig(new BlockBasedTableConfig().setFilterPolicy(bloom).setWholeKeyFiltering(true));
    List<ColumnFamilyDescriptor> cfs = List.of(new ColumnFamilyDescriptor(RocksDB.DEFAULT_COLUMN_FAMILY, cfOptions),
        new ColumnFamilyDescriptor(META_CF, cfOptions));
    RocksDB opened;
    try {
      opened = RocksDB.open(dbOptions, dir.toString(), cfs, handles);
    } catch (RocksDBException e) {
      cfOptions.close();
      bloom.close();
      addOperator.close();
      dbOptions.close();
      throw e;
    }
    this.db = opened;
    this.dataCf = handles.get(0);
    this.metaCf = handles.get(1);
    boolean syncCommits = KvConfig.get(config, KvConfig.ROCKSDB_SYNC_COMMITS);
    this.writeOptions = new WriteOptions().setSync(syncCommits);
    this.syncIntervalNanos = syncCommits ? 0 : KvConfig.get(config, KvConfig.ROCKSDB_SYNC_INTERVAL).toNanos();
    byte[] v = db.get(metaCf, VERSION_KEY);
    this.committedVersion = v == null ? 0 : ByteBuffer.wrap(v).getLong();
    this.resolver = new Resolver(KvConfig.get(config, KvConfig.CONFLICT_WINDOW), 1_000_000, committedVersion);
    publish(committedVersion);
    this.feed = new ChangeFeed(KvConfig.get(config, KvConfig.ROCKSDB_CHANGE_FEED_SIZE).bytes(), committedVersion);
    this.inlineCommits = !syncCommits;
    this.committer = Thread.ofPlatform().name("kv-committer " + dir).daemon(true)
        .unstarted(inlineCommits ? this::syncLoop : this::commitLoop);
    this.completer = Thread.ofPlatform().name("kv-completer " + dir).daemon(true).unstarted(this::completeLoop);
    completer.start();
    committer.start();
  }

  /** Opens (creating if needed) the database in {@code dir}. */
  public static RocksKvEngine open(String url, Path dir, Config config, KvFaults faults, Clock clock) {
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "kv engine %s: cannot create directory %s: %s", url, dir, e);
    }
    try {
      return new RocksKvEngine(url, dir, config, faults, clock);
    } catch (RocksDBException e) {
      String msg = String.valueOf(e.getMessage());
      Errno code = msg.contains("lock") ? Errno.EBUSY : Errno.EIO;
      throw CatenaException.of(code, "kv engine %s: cannot open RocksDB in %s: %s", url, dir, msg);
    }
  }

  public static RocksKvEngine open(Path dir, Config config) {
    return open("rocksdb://" + dir, dir, config, KvFaults.none(), Clock.systemUTC());
  }

  @Override
  public ReadTransaction beginRead() {
    return begin(true);
  }

  @Override
  public ReadWriteTransaction beginReadWrite() {
    return begin(false);
  }

  private Transaction begin(boolean readOnly) {
    enter();
    try {
      while (true) {
        SnapRef ref = current.get();
        if (ref.tryAcquire()) {
          return new Transaction(this, ref, ref.version, readOnly);
        }
        // The committer replaced and freed it between our get and acquire: take the newer one.
      }
    } finally {
      exit();
    }
  }

  @Override
  public String url() {
    return url;
  }

  /** Write batches (WAL writes, each one fsync with sync_commits) since open; commits / batches = batching factor. */
  public long batchCount() {
    return batches.get();
  }

  public long commitCount() {
    return commits.get();
  }

  /** The newest committed write batches, for metadata loggers ({@code kv.rocksdb.change_feed_size}). */
  public ChangeFeed changeFeed() {
    return feed;
  }

  /**
   * Holds the current read version's snapshot until closed, for a checkpoint that takes longer than the conflict
   * window allows a transaction: the keys of the data column family at that version, in order.
   */
  public PinnedSnapshot pinSnapshot() {
    enter();
    try {
      while (true) {
        SnapRef ref = current.get();
        if (ref.tryAcquire()) {
          return new PinnedSnapshot(ref.version, ref);
        }
      }
    } finally {
      exit();
    }
  }

  @Override
  public void checkReadable(long readVersion) {
    if (closed) {
      throw shutdown();
    }
    long oldest = resolver.oldestReadableVersion();
    if (readVersion < oldest) {
      throw Resolver.tooOld(readVersion, oldest);
    }
  }

  @Override
  public long commit(CommitRequest request) {
    if (inlineCommits) {
      return commitInline(request);
    }
    Pending p = new Pending(request);
    enter();
    try {
      queue.add(p);
    } finally {
      exit();
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          return p.done.get(1, TimeUnit.SECONDS);
        } catch (TimeoutException e) {
          if (!committer.isAlive() || !completer.isAlive()) {
            // Only after an Error killed the committer: never leave a caller waiting forever.
            p.done.completeExceptionally(new CommitUnknownException("kv committer is not running"));
          }
        } catch (InterruptedException e) {
          // The commit is already queued and will be decided; waiting for the outcome is the only honest answer.
          interrupted = true;
        } catch (ExecutionException e) {
          if (e.getCause() instanceof RuntimeException re) {
            throw re;
          }
          throw CatenaException.of(Errno.EIO, "commit failed: %s", e.getCause());
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /**
   * Without sync_commits a commit costs a WAL write, not an fsync: handing it to the committer thread and waking the
   * caller from the completer cost more than the write (two thread wake-ups per commit, each tens of microseconds on
   * a small VM). So callers write themselves, one at a time: each queues its commit and takes the writer lock; the
   * holder writes everything queued as one batch (the same resolution, versions and snapshot publication as the
   * committer's) and completes those callers, who find their commit done when the lock comes to them. A lone caller
   * never waits for another thread. The WAL's timed fsync stays with the committer thread ({@link #syncLoop}).
   */
  private long commitInline(CommitRequest request) {
    Pending p = new Pending(request);
    enter();
    try {
      inlineQueue.add(p);
      writerLock.lock();
      try {
        List<Pending> batch = new ArrayList<>();
        List<Pending> survivors = new ArrayList<>();
        while (!p.done.isDone()) {
          Pending q;
          while (batch.size() < maxBatch && (q = inlineQueue.poll()) != null) {
            batch.add(q);
          }
          try {
            boolean wasSynced = unsyncedSince < 0;
            processBatch(batch, survivors, inlineBatch);
            if (wasSynced && unsyncedSince >= 0) {
              queue.add(SYNC_DUE);
            }
            complete(survivors);
          } catch (RuntimeException | RocksDBException e) {
            failBatch(batch, e);
          }
          batch.clear();
          survivors.clear();
        }
      } finally {
        writerLock.unlock();
      }
    } finally {
      exit();
    }
    try {
      return p.done.getNow(null);
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof RuntimeException re) {
        throw re;
      }
      throw CatenaException.of(Errno.EIO, "commit failed: %s", e.getCause());
    }
  }

  /**
   * The committer's job in inline mode: fsync the WAL within {@code kv.rocksdb.sync_interval} of the first commit
   * not yet synced. The fsync runs outside the writer lock (RocksDB syncs the WAL concurrently with writes), so
   * commits never wait for it; everything written before {@link #unsyncedSince} was cleared is covered by it.
   */
  private void syncLoop() {
    try {
      while (true) {
        long since;
        writerLock.lock();
        try {
          since = unsyncedSince;
        } finally {
          writerLock.unlock();
        }
        Pending wake = nextOrSyncDue(since);
        if (wake == POISON) {
          return;
        }
        if (wake == null) {
          writerLock.lock();
          try {
            unsyncedSince = -1;
          } finally {
            writerLock.unlock();
          }
          syncWal();
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------------------------------------ committer

  private void commitLoop() {
    List<Pending> batch = new ArrayList<>(maxBatch);
    List<Pending> survivors = new ArrayList<>(maxBatch);
    try (WriteBatch wb = new WriteBatch()) {
      boolean stop = false;
      while (!stop) {
        Pending first = nextOrSyncDue(unsyncedSince);
        if (first == null) {
          unsyncedSince = -1;
          syncWal();
          continue;
        }
        batch.add(first);
        queue.drainTo(batch, maxBatch - 1);
        gather(batch);
        if (batch.remove(POISON)) {
          stop = true;
        }
        try {
          processBatch(batch, survivors, wb);
          if (!survivors.isEmpty()) {
            completions.add(List.copyOf(survivors));
          }
        } catch (RuntimeException | RocksDBException e) {
          failBatch(batch, e);
        }
        batch.clear();
        survivors.clear();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Throwable t) {
      LOG.error("kv committer for {} died; failing all commits", dir, t);
      for (Pending p : batch) {
        p.done.completeExceptionally(new CommitUnknownException("committer failed: " + t));
      }
      throw t;
    } finally {
      Pending p;
      while ((p = queue.poll()) != null) {
        if (p != POISON) {
          p.done.completeExceptionally(shutdown());
        }
      }
    }
  }

  /**
   * The committer's next item; null once the WAL sync of the commits written since {@code unsyncedSince} (-1: none)
   * is due first (kv.rocksdb.sync_interval).
   */
  private Pending nextOrSyncDue(long unsyncedSince) throws InterruptedException {
    if (unsyncedSince < 0) {
      return queue.take();
    }
    long left = unsyncedSince + syncIntervalNanos - System.nanoTime();
    return left <= 0 ? null : queue.poll(left, TimeUnit.NANOSECONDS);
  }

  /**
   * fsyncs the WAL: every commit written before the call survives a machine crash from now on. Committer only; the
   * caller has cleared {@link #unsyncedSince}.
   */
  private void syncWal() {
    try {
      db.syncWal();
      walSyncs.incrementAndGet();
    } catch (RocksDBException e) {
      LOG.error("kv {}: WAL sync failed; acknowledged commits may not survive a machine crash", dir, e);
    }
  }

  /** The database itself, for tests that look at RocksDB's own counters. */
  RocksDB rocksDb() {
    return db;
  }

  /** WAL fsyncs made by the sync timer since open (kv.rocksdb.sync_interval). */
  public long timedWalSyncs() {
    return walSyncs.get();
  }

  /**
   * Waits (bounded) for the commits expected in this batch: up to {@link #inFlight} of them, at most
   * {@code kv.rocksdb.group_commit_wait} and at most as long as the last fsync took, so the added latency stays
   * below the fsync it saves. Measured with 16 closed-loop committers on the loaded 2-core dev VM (5 alternating
   * runs each, medians): 15.7k commits/s in batches of 8 without waiting, 19.9k in batches of 15 with it (a
   * quarter-fsync bound: 17.5k, batches of 11). When the clients themselves are CPU-bound (meta over RPC on that
   * VM) it gained nothing measurable: releasing all of them at once stops their CPU work overlapping the fsync.
   */
  private void gather(List<Pending> batch) {
    int target = Math.min(maxBatch, inFlight);
    if (groupWaitNanos <= 0 || batch.size() >= target || batch.contains(POISON)) {
      return;
    }
    long deadline = System.nanoTime() + Math.min(groupWaitNanos, lastWriteNanos);
    while (batch.size() < target) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        return;
      }
      Pending p;
      try {
        p = queue.poll(left, TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // write what we hold; the loop's next take() ends the committer
        return;
      }
      if (p == null) {
        return;
      }
      batch.add(p);
      queue.drainTo(batch, maxBatch - batch.size());
      if (p == POISON || batch.contains(POISON)) {
        return;
      }
    }
  }

  private void processBatch(List<Pending> batch, List<Pending> survivors, WriteBatch wb) throws RocksDBException {
    long now = clock.millis();
    resolver.trim(now);
    wb.clear();
    long v = committedVersion;
    for (Pending p : batch) {
      CommitRequest req = p.request;
      switch (resolver.check(req.readVersion(), req.readConflicts())) {
        case OK -> { }
        case CONFLICT -> {
          p.done.completeExceptionally(Resolver.conflict(req.readVersion()));
          continue;
        }
        case TOO_OLD -> {
          p.done.completeExceptionally(Resolver.tooOld(req.readVersion(), resolver.oldestReadableVersion()));
          continue;
        }
      }
      KvFaults.Decision fate = faults.decide();
      if (fate == KvFaults.Decision.CONFLICT) {
        p.done.completeExceptionally(Resolver.injectedConflict());
        continue;
      }
      if (fate == KvFaults.Decision.UNKNOWN_NOT_APPLIED) {
        p.done.completeExceptionally(new CommitUnknownException("injected fault (not applied)"));
        continue;
      }
      p.reportUnknown = fate == KvFaults.Decision.UNKNOWN_APPLIED;
      p.version = ++v;
      // Recorded before the write so later members of this batch conflict with it.
      resolver.record(v, now, req.writeConflicts());
      List<byte[]> clears = req.clearRanges();
      for (int i = 0; i < clears.size(); i += 2) {
        wb.deleteRange(dataCf, clears.get(i), clears.get(i + 1));
      }
      for (Map.Entry<byte[], byte[]> w : req.writes().entrySet()) {
        if (req.isDelete(w.getValue())) {
          wb.delete(dataCf, w.getKey());
        } else {
          wb.put(dataCf, w.getKey(), w.getValue());
        }
      }
      for (Map.Entry<byte[], Long> a : req.adds().entrySet()) {
        wb.merge(dataCf, a.getKey(), Keys.counterValue(a.getValue()));
      }
      survivors.add(p);
    }
    if (survivors.isEmpty()) {
      return;
    }
    wb.put(metaCf, VERSION_KEY, ByteBuffer.allocate(8).putLong(v).array());
    long writeStart = System.nanoTime();
    try {
      db.write(writeOptions, wb);
    } catch (RocksDBException e) {
      LOG.error("kv {}: write of {} commits failed", dir, survivors.size(), e);
      // RocksDB may have applied the batch to the memtable before the WAL sync failed: the outcome is unknown.
      for (Pending p : survivors) {
        p.done.completeExceptionally(new CommitUnknownException("RocksDB write failed: " + e.getMessage()));
      }
      return;
    }
    lastWriteNanos = System.nanoTime() - writeStart;
    if (syncIntervalNanos > 0) {
      if (unsyncedSince < 0) {
        unsyncedSince = writeStart;
      } else if (!inlineCommits && System.nanoTime() - unsyncedSince >= syncIntervalNanos) {
        unsyncedSince = -1;
        syncWal(); // under a steady stream of commits the queue never runs dry: sync between batches
      }
    }
    if (feed.enabled()) {
      feed.append(committedVersion, v, now, wb.data()); // before any caller hears of it: loggers miss nothing
    }
    // Those written now come back soon (closed loops), those queued meanwhile are waiting already.
    inFlight = Math.max(1, batch.size() + queue.size());
    committedVersion = v;
    publish(v);
    batches.incrementAndGet();
    commits.addAndGet(survivors.size());
  }

  /** Completes the callers' futures of written batches, in order, off the committer's critical path. */
  private void completeLoop() {
    try {
      while (true) {
        List<Pending> done = completions.take();
        if (done.isEmpty()) {
          return; // close: the committer has stopped and everything before this was completed
        }
        complete(done);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** A batch whose write failed: RocksDB may or may not have applied it, so its callers learn the outcome is unknown. */
  private void failBatch(List<Pending> batch, Exception e) {
    LOG.error("kv {}: commit batch of {} failed", dir, batch.size(), e);
    for (Pending p : batch) {
      p.done.completeExceptionally(new CommitUnknownException("commit batch failed: " + e));
    }
  }

  private static void complete(List<Pending> written) {
    for (Pending p : written) {
      if (p.reportUnknown) {
        p.done.completeExceptionally(new CommitUnknownException("injected fault (applied)"));
      } else {
        p.done.complete(p.version);
      }
    }
  }

  /** Makes a snapshot of the current state the read version of new transactions. Committer (or constructor) only. */
  private void publish(long version) {
    org.rocksdb.Snapshot snap = db.getSnapshot();
    ReadOptions ro = new ReadOptions().setSnapshot(snap);
    SnapRef ref = new SnapRef(version, snap, ro);
    live.add(ref);
    SnapRef old = current.getAndSet(ref);
    if (old != null) {
      old.release();
    }
  }

  // ------------------------------------------------------------------------------------------------- lifecycle

  @Override
  public void close() {
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    long waitUntil = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (active.get() != 0 && System.nanoTime() < waitUntil) {
      LockSupport.parkNanos(100_000);
    }
    queue.add(POISON);
    try {
      committer.join(TimeUnit.SECONDS.toMillis(60));
      completions.add(List.of());
      completer.join(TimeUnit.SECONDS.toMillis(10));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (committer.isAlive() || active.get() != 0) {
      // Freeing native handles under a running thread would crash the JVM; leaking them is the lesser evil.
      LOG.error("kv {}: committer or readers still busy after close timeout; leaking RocksDB handles", dir);
      return;
    }
    for (SnapRef ref : live) {
      db.releaseSnapshot(ref.snapshot);
      ref.readOptions.close();
    }
    live.clear();
    try {
      db.syncWal(); // makes commits acknowledged with sync_commits=false durable too
    } catch (RocksDBException e) {
      LOG.warn("kv {}: WAL sync at close failed", dir, e);
    }
    writeOptions.close();
    inlineBatch.close();
    for (ColumnFamilyHandle h : handles) {
      h.close();
    }
    db.close();
    cfOptions.close();
    bloom.close();
    addOperator.close();
    dbOptions.close();
  }

  private void enter() {
    active.incrementAndGet();
    if (closed) {
      active.decrementAndGet();
      throw shutdown();
    }
  }

  private void exit() {
    active.decrementAndGet();
  }

  private CatenaException shutdown() {
    return CatenaException.of(Errno.ESHUTDOWN, "kv engine %s is closed", url);
  }

  /**
   * A RocksDB snapshot shared by the transactions that began while it was current. Reference-counted: the
   * publisher holds one reference until a newer snapshot replaces it, each transaction one until it closes.
   * Thread-safe.
   */
  private final class SnapRef implements Snapshot {
    final long version;
    final org.rocksdb.Snapshot snapshot;
    final ReadOptions readOptions;
    private final AtomicInteger refs = new AtomicInteger(1);

    SnapRef(long version, org.rocksdb.Snapshot snapshot, ReadOptions readOptions) {
      this.version = version;
      this.snapshot = snapshot;
      this.readOptions = readOptions;
    }

    boolean tryAcquire() {
      while (true) {
        int r = refs.get();
        if (r <= 0) {
          return false;
        }
        if (refs.compareAndSet(r, r + 1)) {
          return true;
        }
      }
    }

    @Override
    public void release() {
      if (refs.decrementAndGet() != 0) {
        return;
      }
      active.incrementAndGet();
      try {
        // After close, close() itself frees every live snapshot.
        if (!closed && live.remove(this)) {
          db.releaseSnapshot(snapshot);
          readOptions.close();
        }
      } finally {
        active.decrementAndGet();
      }
    }

    @Override
    public byte[] get(byte[] key) {
      enter();
      try {
        return db.get(dataCf, readOptions, key);
      } catch (RocksDBException e) {
        throw CatenaException.of(Errno.EIO, "kv %s: read failed: %s", url, e.getMessage());
      } finally {
        exit();
      }
    }

    @Override
    public void scan(byte[] begin, byte[] end, boolean reverse, Visitor visitor) {
      enter();
      // Bounds tell RocksDB where the range ends: without them a seek into a range whose keys were deleted walks
      // every tombstone after it up to the next live key (each GC check of a file's sessions walked those of every
      // closed session after it).
      try (Slice lower = new Slice(begin); Slice upper = new Slice(end);
          ReadOptions bounded = new ReadOptions().setSnapshot(snapshot).setIterateLowerBound(lower)
              .setIterateUpperBound(upper);
          RocksIterator it = db.newIterator(dataCf, bounded)) {
        if (!reverse) {
          for (it.seek(begin); it.isValid(); it.next()) {
            byte[] k = it.key();
            if (Arrays.compareUnsigned(k, end) >= 0 || !visitor.visit(k, it.value())) {
              break;
            }
          }
        } else {
          for (it.seekForPrev(end); it.isValid(); it.prev()) {
            byte[] k = it.key();
            if (Arrays.compareUnsigned(k, end) >= 0) {
              continue; // seekForPrev lands on end itself when it exists
            }
            if (Arrays.compareUnsigned(k, begin) < 0 || !visitor.visit(k, it.value())) {
              break;
            }
          }
        }
        it.status();
      } catch (RocksDBException e) {
        throw CatenaException.of(Errno.EIO, "kv %s: range read failed: %s", url, e.getMessage());
      } finally {
        exit();
      }
    }
  }
}
