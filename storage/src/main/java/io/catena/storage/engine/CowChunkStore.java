package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.storage.CheckReport;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ChunkStore;
import io.catena.storage.FsyncPolicy;
import io.catena.storage.ReadResult;
import io.catena.storage.SpaceInfo;
import io.catena.storage.StorageConfig;
import io.catena.storage.VerifyMode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Chunk metadata and data of one disk: blocks in size-classed data files ({@link DataFiles}), metadata in RocksDB
 * ({@link MetaStore}), mirrored in memory for lock-free reads. Thread-safe: updates to one chunk are serialised by
 * a striped chunk lock; reads never block updates and always see a complete committed version.
 *
 * <h2>Update protocol (why a crash never exposes a torn chunk)</h2>
 * <ol>
 *   <li>Copy-on-write: the new content (committed content + patch, holes zeroed) goes to a freshly allocated block.
 *       In place instead when the update only touches bytes at or beyond the committed length and the result fits
 *       the committed block: readers never look past the committed length, and a committed block's length never
 *       shrinks while it stays committed (truncating down always copies), so pinned readers are unaffected.</li>
 *   <li>The data is forced ({@code always}), then the pending record {@code P+id} is written. The committed record
 *       {@code C+id} is untouched, so a crash at any point leaves the committed version intact; a pending record
 *       that made it to disk stays pending after restart (its block counted as used) until commit, abort,
 *       replace or remove — the replication layer resyncs a restarted replica anyway.</li>
 *   <li>Commit is one WriteBatch: put {@code C+id} = the pending version, delete {@code P+id}; synced under
 *       {@code always}. Only after that batch is durable is the old block freed, so a block is never reused while
 *       a durable record may still point at it (under {@code always}).</li>
 * </ol>
 * Blocks are freed in memory only; the allocator is rebuilt from the records at open ({@link StoreRecovery}), so
 * nothing can leak. A block pinned by a {@link ChunkReadHandle} is freed when the last pin goes ({@link BlockPins}).
 */
public final class CowChunkStore implements ChunkStore {
  private static final Logger LOG = LoggerFactory.getLogger(CowChunkStore.class);
  private static final int STRIPES = 256;
  private static final int REMOVE_BATCH = 1024;

  private final FsyncPolicy fsync;
  private final Clock clock;
  private final MetaStore meta;
  private final DataFiles files;
  private final BlockAllocator allocator;
  private final ConcurrentSkipListMap<ChunkId, ChunkEntry> chunks;
  private final BlockPins pins;
  private final StoreChecker checker;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  // Updates hold the read side; check() takes the write side to see chunks and space in one consistent state.
  private final ReentrantReadWriteLock checkGate = new ReentrantReadWriteLock();
  private final ScheduledExecutorService syncer;
  private final CheckReport startupReport;
  private volatile boolean closed;

  private CowChunkStore(FsyncPolicy fsync, Clock clock, MetaStore meta, DataFiles files,
      StoreRecovery.Recovered recovered, VerifyMode verify, long syncIntervalNanos) {
    this.fsync = fsync;
    this.clock = clock;
    this.meta = meta;
    this.files = files;
    this.allocator = recovered.allocator();
    this.chunks = recovered.chunks();
    this.pins = new BlockPins(allocator, chunks);
    this.checker = new StoreChecker(chunks, files, pins);
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
    this.startupReport = checker.check(verify == VerifyMode.FULL, recovered.problems());
    if (startupReport.clean()) {
      LOG.info("chunk store opened: {} chunks ({} pending), {} CRCs verified, {} bytes used",
          startupReport.chunks(), startupReport.pending(), startupReport.crcVerified(), allocator.usedBytes());
    } else {
      LOG.warn("chunk store opened with {} inconsistencies (reported, not repaired):",
          startupReport.problems().size());
      startupReport.problems().stream().limit(100).forEach(p -> LOG.warn("  {}", p));
    }
    if (fsync == FsyncPolicy.BATCH) {
      syncer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "chunk-store-sync");
        t.setDaemon(true);
        return t;
      });
      syncer.scheduleWithFixedDelay(this::syncQuietly, syncIntervalNanos, syncIntervalNanos, TimeUnit.NANOSECONDS);
    } else {
      syncer = null;
    }
  }

  /** Opens (creating if needed) the store in {@code dir}: {@code dir/meta} (RocksDB) and {@code dir/data}. */
  public static CowChunkStore open(Path dir, Config config, Clock clock) {
    int filesPerClass = config.get(StorageConfig.FILES_PER_CLASS);
    MetaStore meta = new MetaStore(dir.resolve("meta"));
    DataFiles files = null;
    try {
      meta.checkLayout(filesPerClass);
      files = new DataFiles(dir, filesPerClass, config.get(StorageConfig.PREALLOCATE_STEP).bytes());
      StoreRecovery.Recovered recovered =
          StoreRecovery.recover(meta, dir, config.get(StorageConfig.CAPACITY).bytes());
      return new CowChunkStore(config.get(StorageConfig.FSYNC), clock, meta, files, recovered,
          config.get(StorageConfig.VERIFY_ON_START), config.get(StorageConfig.FSYNC_INTERVAL).toNanos());
    } catch (IOException | RuntimeException e) {
      if (files != null) {
        files.close();
      }
      meta.close();
      if (e instanceof RuntimeException re) {
        throw re;
      }
      throw new CatenaException(Status.of(Errno.EIO, "cannot open chunk store in %s: %s", dir, e), e);
    }
  }

  // ---------------------------------------------------------------------------------------------- updates

  @Override
  public ChunkMeta write(WriteRequest r) {
    StoreArguments.chunkSize(r.chunkSize());
    ByteBuffer data = r.data().slice();
    StoreArguments.writeRange(r.chunk(), r.offset(), data.remaining(), r.chunkSize());
    int crc = StoreArguments.payloadCrc(r.chunk(), data, r.crc32c());
    return update(r.chainId(), r.chunk(), r.chainVersion(), r.version(), r.offset(), data, crc, -1);
  }

  @Override
  public ChunkMeta truncate(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize,
      long length) {
    StoreArguments.chunkSize(chunkSize);
    StoreArguments.truncateLength(chunk, length, chunkSize);
    return update(chainId, chunk, chainVersion, version, length, ByteBuffer.allocate(0), 0, length);
  }

  /**
   * The one update path: content = committed content, cut or zero-extended to {@code truncateTo} if that is not
   * negative, patched with {@code data} at {@code offset}; stored as the pending version.
   */
  private ChunkMeta update(long chainId, ChunkId id, long chainVersion, long version, long offset, ByteBuffer data,
      int dataCrc, long truncateTo) {
    enterUpdate(id);
    try {
      ChunkEntry e = chunks.get(id);
      StoredVersion base = e == null ? null : e.committed();
      StoredVersion oldPending = e == null ? null : e.pending();
      StoreArguments.nextVersion(id, base == null ? 0 : base.version(), version);
      int baseLen = base == null ? 0 : base.length();
      int n = data.remaining();
      long newLen = truncateTo >= 0 ? truncateTo : Math.max(baseLen, offset + n);
      boolean inPlace = base != null && offset >= baseLen && newLen >= baseLen && newLen <= base.capacity();
      if (inPlace && oldPending != null && oldPending.block() == base.block()) {
        // The retried pending version lives in the same bytes we are about to overwrite: drop its record first
        // so no record ever describes half-overwritten content.
        meta.deletePending(id, fsync == FsyncPolicy.ALWAYS);
        chunks.put(id, new ChunkEntry(base, null));
        oldPending = null;
      }
      long block;
      int crc;
      if (inPlace) {
        block = base.block();
        long gap = offset - baseLen;
        if (gap > 0) {
          files.writeZeros(block, baseLen, gap);
        }
        if (n > 0) {
          files.write(block, offset, data.duplicate());
        }
        crc = Crc32c.combine(Crc32c.combine(base.crc32c(), Crc32c.ofZeros(gap), gap), dataCrc, n);
      } else {
        block = allocator.allocate(SizeClasses.classFor(newLen));
        try {
          files.reserve(block);
          if (offset == 0 && n == newLen) {
            // The write is the whole new content: neither read the old version nor copy through the heap
            // (halved the CPU per replicated 1 MiB write in `catena bench storage`).
            files.write(block, 0, data.duplicate());
            crc = dataCrc;
          } else {
            ByteBuffer content = ByteBuffer.allocate((int) newLen);
            int keep = (int) Math.min(baseLen, newLen);
            if (keep > 0) {
              files.read(base.block(), 0, content.limit(keep));
            }
            content.clear();
            if (n > 0) {
              content.position((int) offset).put(data.duplicate()).clear();
            }
            crc = Crc32c.of(content);
            files.write(block, 0, content);
          }
        } catch (RuntimeException ex) {
          allocator.free(block);
          throw ex;
        }
      }
      if (fsync == FsyncPolicy.ALWAYS) {
        files.force(block);
      }
      StoredVersion pending = new StoredVersion(chainId, version, chainVersion, (int) newLen, crc, block,
          clock.millis());
      boolean freesOld = oldPending != null && oldPending.block() != block
          && (base == null || oldPending.block() != base.block());
      try {
        // Synced only when it frees a block: otherwise the commit's synced batch covers it (one sequential WAL).
        meta.putPending(id, pending, fsync == FsyncPolicy.ALWAYS && freesOld);
      } catch (RuntimeException ex) {
        if (!inPlace) {
          allocator.free(block);
        }
        throw ex;
      }
      ChunkEntry now = new ChunkEntry(base, pending);
      chunks.put(id, now);
      if (freesOld) {
        pins.release(oldPending.block());
      }
      return now.toMeta(id);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public ChunkMeta commit(ChunkId id, long version) {
    enterUpdate(id);
    try {
      ChunkEntry e = chunks.get(id);
      if (e == null) {
        throw CatenaException.of(Errno.ENOENT, "chunk %s: nothing to commit, no such chunk", id);
      }
      StoredVersion p = e.pending();
      if (p == null || p.version() != version) {
        if (e.committed() != null && e.committed().version() == version) {
          return e.toMeta(id);
        }
        if (p == null) {
          throw CatenaException.of(Errno.ENOENT, "chunk %s: version %d is not pending (committed %d)", id, version,
              e.committed() == null ? 0 : e.committed().version());
        }
        throw CatenaException.of(Errno.ESTALE, "chunk %s: version %d is pending, not %d", id, p.version(), version);
      }
      meta.putCommitted(id, p, fsync == FsyncPolicy.ALWAYS);
      ChunkEntry now = new ChunkEntry(p, null);
      chunks.put(id, now);
      if (e.committed() != null && e.committed().block() != p.block()) {
        pins.release(e.committed().block());
      }
      return now.toMeta(id);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public Optional<ChunkMeta> abort(ChunkId id, long version) {
    enterUpdate(id);
    try {
      ChunkEntry e = chunks.get(id);
      if (e == null) {
        return Optional.empty();
      }
      StoredVersion p = e.pending();
      if (p == null || p.version() != version) {
        return Optional.of(e.toMeta(id));
      }
      boolean frees = e.committed() == null || e.committed().block() != p.block();
      meta.deletePending(id, fsync == FsyncPolicy.ALWAYS && frees);
      Optional<ChunkMeta> result;
      if (e.committed() == null) {
        chunks.remove(id);
        result = Optional.empty();
      } else {
        ChunkEntry now = new ChunkEntry(e.committed(), null);
        chunks.put(id, now);
        result = Optional.of(now.toMeta(id));
      }
      if (frees) {
        pins.release(p.block());
      }
      return result;
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public ChunkMeta replace(long chainId, ChunkId id, long chainVersion, long version, int chunkSize,
      ByteBuffer content, int crc32c) {
    StoreArguments.chunkSize(chunkSize);
    ByteBuffer data = content.slice();
    int crc = StoreArguments.replacement(id, version, data, chunkSize, crc32c);
    enterUpdate(id);
    try {
      ChunkEntry e = chunks.get(id);
      long block = allocator.allocate(SizeClasses.classFor(data.remaining()));
      StoredVersion v;
      try {
        v = new StoredVersion(chainId, version, chainVersion, data.remaining(), crc, block, clock.millis());
        files.reserve(block);
        files.write(block, 0, data);
        if (fsync == FsyncPolicy.ALWAYS) {
          files.force(block);
        }
        meta.putCommitted(id, v, fsync == FsyncPolicy.ALWAYS);
      } catch (RuntimeException ex) {
        allocator.free(block);
        throw ex;
      }
      ChunkEntry now = new ChunkEntry(v, null);
      chunks.put(id, now);
      if (e != null) {
        pins.releaseAll(e);
      }
      return now.toMeta(id);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public boolean remove(ChunkId id) {
    enterUpdate(id);
    try {
      ChunkEntry e = chunks.get(id);
      if (e == null) {
        return false;
      }
      meta.delete(id, fsync == FsyncPolicy.ALWAYS);
      chunks.remove(id);
      pins.releaseAll(e);
      return true;
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public long removeRange(ChunkId begin, ChunkId end) {
    if (begin.compareTo(end) >= 0) {
      return 0;
    }
    long removed = 0;
    List<ChunkId> ids = new ArrayList<>(chunks.subMap(begin, end).keySet());
    for (int from = 0; from < ids.size(); from += REMOVE_BATCH) {
      List<ChunkEntry> gone = new ArrayList<>();
      checkGate.readLock().lock();
      try {
        ensureOpen();
        for (ChunkId id : ids.subList(from, Math.min(ids.size(), from + REMOVE_BATCH))) {
          ReentrantLock lock = lockOf(id);
          lock.lock();
          try {
            ChunkEntry e = chunks.get(id);
            if (e != null) {
              meta.delete(id, false);
              chunks.remove(id);
              gone.add(e);
            }
          } finally {
            lock.unlock();
          }
        }
        // One WAL sync for the batch; blocks are freed only once their records' deletion is durable.
        if (fsync == FsyncPolicy.ALWAYS && !gone.isEmpty()) {
          meta.syncWal();
        }
        gone.forEach(pins::releaseAll);
        removed += gone.size();
      } finally {
        checkGate.readLock().unlock();
      }
    }
    return removed;
  }

  // ------------------------------------------------------------------------------------------------ reads

  @Override
  public ReadResult read(ChunkId id, long offset, int length) {
    checkRead(id, offset, length);
    StoredVersion v = pins.pinCommitted(id);
    try {
      int from = (int) Math.min(offset, v.length());
      int n = Math.min(length, v.length() - from);
      ByteBuffer buf = ByteBuffer.allocate(n);
      files.read(v.block(), from, buf);
      return new ReadResult(buf.flip(), v.version(), v.length(), v.crc32c());
    } finally {
      pins.unpin(v.block());
    }
  }

  @Override
  public ChunkReadHandle openRead(ChunkId id, long offset, int length) {
    checkRead(id, offset, length);
    StoredVersion v = pins.pinCommitted(id);
    int from = (int) Math.min(offset, v.length());
    return new PinnedReadHandle(v, files, pins, files.position(v.block()) + from,
        Math.min(length, v.length() - from));
  }

  @Override
  public Optional<ChunkMeta> meta(ChunkId id) {
    ChunkEntry e = chunks.get(id);
    return e == null ? Optional.empty() : Optional.of(e.toMeta(id));
  }

  @Override
  public Optional<ChunkMeta> lastChunk(ChunkId begin, ChunkId end) {
    if (begin.compareTo(end) >= 0) {
      return Optional.empty();
    }
    for (Map.Entry<ChunkId, ChunkEntry> me : chunks.subMap(begin, end).descendingMap().entrySet()) {
      if (me.getValue().committed() != null) {
        return Optional.of(me.getValue().toMeta(me.getKey()));
      }
    }
    return Optional.empty();
  }

  @Override
  public List<ChunkMeta> list(ChunkId begin, ChunkId end, int limit) {
    List<ChunkMeta> out = new ArrayList<>();
    if (begin.compareTo(end) >= 0) {
      return out;
    }
    for (Map.Entry<ChunkId, ChunkEntry> me : chunks.subMap(begin, end).entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(me.getValue().toMeta(me.getKey()));
    }
    return out;
  }

  @Override
  public SpaceInfo space() {
    return allocator.snapshot();
  }

  // ------------------------------------------------------------------------------------------------ check

  @Override
  public CheckReport check(boolean verifyCrc) {
    checkGate.writeLock().lock();
    try {
      ensureOpen();
      return checker.check(verifyCrc, List.of());
    } finally {
      checkGate.writeLock().unlock();
    }
  }
  @Override
  public CheckReport startupReport() {
    return startupReport;
  }

  // ---------------------------------------------------------------------------------------------- helpers

  private void enterUpdate(ChunkId id) {
    checkGate.readLock().lock();
    try {
      ensureOpen();
      lockOf(id).lock();
    } catch (RuntimeException e) {
      checkGate.readLock().unlock();
      throw e;
    }
  }

  private void exitUpdate(ChunkId id) {
    lockOf(id).unlock();
    checkGate.readLock().unlock();
  }

  private ReentrantLock lockOf(ChunkId id) {
    return locks[Math.floorMod(id.hashCode(), STRIPES)];
  }

  private void ensureOpen() {
    if (closed) {
      throw CatenaException.of(Errno.ESHUTDOWN, "chunk store is closed");
    }
  }

  private void checkRead(ChunkId id, long offset, int length) {
    ensureOpen();
    StoreArguments.readRange(id, offset, length);
  }

  private void syncQuietly() {
    try {
      files.forceDirty();
      meta.syncWal();
    } catch (RuntimeException e) {
      LOG.error("background sync of chunk store failed", e);
    }
  }

  @Override
  public void close() {
    checkGate.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
    } finally {
      checkGate.writeLock().unlock();
    }
    if (syncer != null) {
      // Not shutdownNow: interrupting a thread inside FileChannel.force closes that channel for everyone, and the
      // final forceDirty below then fails with ClosedChannelException. The running sync finishes; no new one starts.
      syncer.shutdown();
      try {
        syncer.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      files.forceDirty();
    } finally {
      meta.close();
      files.close();
    }
  }
}
