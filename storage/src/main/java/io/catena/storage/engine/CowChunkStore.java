package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.storage.CheckReport;
import io.catena.storage.CheckReport.Kind;
import io.catena.storage.CheckReport.Problem;
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
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.zip.CRC32C;
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
 * Blocks are freed in memory only; the allocator is rebuilt from the records at open, so nothing can leak. A block
 * pinned by a {@link ChunkReadHandle} is freed when the last pin goes.
 */
public final class CowChunkStore implements ChunkStore {
  private static final Logger LOG = LoggerFactory.getLogger(CowChunkStore.class);
  private static final int STRIPES = 256;
  private static final int REMOVE_BATCH = 1024;

  /** The records of one chunk as in RocksDB; either may be null, not both. Immutable. */
  private record Entry(StoredVersion committed, StoredVersion pending) {}

  private final FsyncPolicy fsync;
  private final Clock clock;
  private final MetaStore meta;
  private final DataFiles files;
  private final BlockAllocator allocator;
  private final ConcurrentSkipListMap<ChunkId, Entry> chunks;
  private final ReentrantLock[] locks = new ReentrantLock[STRIPES];
  // Updates hold the read side; check() takes the write side to see chunks and space in one consistent state.
  private final ReentrantReadWriteLock checkGate = new ReentrantReadWriteLock();
  private final Object pinLock = new Object();
  private final Map<Long, Integer> pins = new HashMap<>();
  private final Set<Long> freeOnUnpin = new HashSet<>();
  private final ScheduledExecutorService syncer;
  private final CheckReport startupReport;
  private volatile boolean closed;

  private CowChunkStore(FsyncPolicy fsync, Clock clock, MetaStore meta, DataFiles files, BlockAllocator allocator,
      ConcurrentSkipListMap<ChunkId, Entry> chunks, List<Problem> loadProblems, VerifyMode verify,
      long syncIntervalNanos) {
    this.fsync = fsync;
    this.clock = clock;
    this.meta = meta;
    this.files = files;
    this.allocator = allocator;
    this.chunks = chunks;
    for (int i = 0; i < STRIPES; i++) {
      locks[i] = new ReentrantLock();
    }
    this.startupReport = checkNow(verify == VerifyMode.FULL, loadProblems);
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
      List<Problem> problems = new ArrayList<>();
      ConcurrentSkipListMap<ChunkId, Entry> chunks = load(meta, problems);
      Map<Long, Boolean> blocks = new HashMap<>();
      long referenced = 0;
      for (Entry e : chunks.values()) {
        for (StoredVersion v : new StoredVersion[] {e.committed(), e.pending()}) {
          if (v != null && SizeClasses.valid(v.block()) && blocks.putIfAbsent(v.block(), true) == null) {
            referenced += v.capacity();
          }
        }
      }
      long capacity = config.get(StorageConfig.CAPACITY).bytes();
      if (capacity == 0) {
        capacity = Files.getFileStore(dir).getUsableSpace() + referenced;
      }
      BlockAllocator allocator = new BlockAllocator(capacity);
      blocks.keySet().forEach(allocator::markUsed);
      return new CowChunkStore(config.get(StorageConfig.FSYNC), clock, meta, files, allocator, chunks, problems,
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

  private static ConcurrentSkipListMap<ChunkId, Entry> load(MetaStore meta, List<Problem> problems) {
    ConcurrentSkipListMap<ChunkId, Entry> chunks = new ConcurrentSkipListMap<>();
    meta.scan((kind, key, value) -> {
      ChunkId id;
      try {
        id = MetaCodec.chunkOf(key);
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(null, Kind.BAD_RECORD, "undecodable key: " + e.getMessage()));
        return;
      }
      StoredVersion v;
      try {
        v = MetaCodec.decode(value);
      } catch (IllegalArgumentException e) {
        problems.add(new Problem(id, Kind.BAD_RECORD, (kind == MetaCodec.COMMITTED ? "committed" : "pending")
            + " record: " + e.getMessage()));
        return;
      }
      chunks.compute(id, (k, old) -> kind == MetaCodec.COMMITTED
          ? new Entry(v, old == null ? null : old.pending())
          : new Entry(old == null ? null : old.committed(), v));
    });
    return chunks;
  }

  // ---------------------------------------------------------------------------------------------- updates

  @Override
  public ChunkMeta write(WriteRequest r) {
    checkChunkSize(r.chunkSize());
    ByteBuffer data = r.data().slice();
    int n = data.remaining();
    if (r.offset() < 0 || r.offset() > r.chunkSize()) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: offset %d outside chunk size %d", r.chunk(), r.offset(),
          r.chunkSize());
    }
    if (r.offset() + n > r.chunkSize()) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: write of %d bytes at %d exceeds chunk size %d", r.chunk(), n,
          r.offset(), r.chunkSize());
    }
    int crc = Crc32c.of(data);
    if (crc != r.crc32c()) {
      throw CatenaException.of(Errno.EBADMSG, "chunk %s: payload CRC32C %08x does not match %08x sent with it",
          r.chunk(), crc, r.crc32c());
    }
    return update(r.chainId(), r.chunk(), r.chainVersion(), r.version(), r.offset(), data, crc, -1);
  }

  @Override
  public ChunkMeta truncate(long chainId, ChunkId chunk, long chainVersion, long version, int chunkSize,
      long length) {
    checkChunkSize(chunkSize);
    if (length < 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: negative length %d", chunk, length);
    }
    if (length > chunkSize) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: length %d exceeds chunk size %d", chunk, length, chunkSize);
    }
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
      Entry e = chunks.get(id);
      StoredVersion base = e == null ? null : e.committed();
      StoredVersion oldPending = e == null ? null : e.pending();
      checkVersion(id, base == null ? 0 : base.version(), version);
      int baseLen = base == null ? 0 : base.length();
      int n = data.remaining();
      long newLen = truncateTo >= 0 ? truncateTo : Math.max(baseLen, offset + n);
      boolean inPlace = base != null && offset >= baseLen && newLen >= baseLen && newLen <= base.capacity();
      if (inPlace && oldPending != null && oldPending.block() == base.block()) {
        // The retried pending version lives in the same bytes we are about to overwrite: drop its record first
        // so no record ever describes half-overwritten content.
        meta.deletePending(id, fsync == FsyncPolicy.ALWAYS);
        chunks.put(id, new Entry(base, null));
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
      Entry now = new Entry(base, pending);
      chunks.put(id, now);
      if (freesOld) {
        release(oldPending.block());
      }
      return toMeta(id, now);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public ChunkMeta commit(ChunkId id, long version) {
    enterUpdate(id);
    try {
      Entry e = chunks.get(id);
      if (e == null) {
        throw CatenaException.of(Errno.ENOENT, "chunk %s: nothing to commit, no such chunk", id);
      }
      StoredVersion p = e.pending();
      if (p == null || p.version() != version) {
        if (e.committed() != null && e.committed().version() == version) {
          return toMeta(id, e);
        }
        if (p == null) {
          throw CatenaException.of(Errno.ENOENT, "chunk %s: version %d is not pending (committed %d)", id, version,
              e.committed() == null ? 0 : e.committed().version());
        }
        throw CatenaException.of(Errno.ESTALE, "chunk %s: version %d is pending, not %d", id, p.version(), version);
      }
      meta.putCommitted(id, p, fsync == FsyncPolicy.ALWAYS);
      Entry now = new Entry(p, null);
      chunks.put(id, now);
      if (e.committed() != null && e.committed().block() != p.block()) {
        release(e.committed().block());
      }
      return toMeta(id, now);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public Optional<ChunkMeta> abort(ChunkId id, long version) {
    enterUpdate(id);
    try {
      Entry e = chunks.get(id);
      if (e == null) {
        return Optional.empty();
      }
      StoredVersion p = e.pending();
      if (p == null || p.version() != version) {
        return Optional.of(toMeta(id, e));
      }
      boolean frees = e.committed() == null || e.committed().block() != p.block();
      meta.deletePending(id, fsync == FsyncPolicy.ALWAYS && frees);
      Optional<ChunkMeta> result;
      if (e.committed() == null) {
        chunks.remove(id);
        result = Optional.empty();
      } else {
        Entry now = new Entry(e.committed(), null);
        chunks.put(id, now);
        result = Optional.of(toMeta(id, now));
      }
      if (frees) {
        release(p.block());
      }
      return result;
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public ChunkMeta replace(long chainId, ChunkId id, long chainVersion, long version, int chunkSize,
      ByteBuffer content, int crc32c) {
    checkChunkSize(chunkSize);
    ByteBuffer data = content.slice();
    if (data.remaining() > chunkSize) {
      throw CatenaException.of(Errno.EFBIG, "chunk %s: %d bytes exceed chunk size %d", id, data.remaining(),
          chunkSize);
    }
    if (version <= 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: version %d must be positive", id, version);
    }
    int crc = Crc32c.of(data);
    if (crc != crc32c) {
      throw CatenaException.of(Errno.EBADMSG, "chunk %s: content CRC32C %08x does not match %08x sent with it", id,
          crc, crc32c);
    }
    enterUpdate(id);
    try {
      Entry e = chunks.get(id);
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
      Entry now = new Entry(v, null);
      chunks.put(id, now);
      if (e != null) {
        releaseAll(e);
      }
      return toMeta(id, now);
    } finally {
      exitUpdate(id);
    }
  }

  @Override
  public boolean remove(ChunkId id) {
    enterUpdate(id);
    try {
      Entry e = chunks.get(id);
      if (e == null) {
        return false;
      }
      meta.delete(id, fsync == FsyncPolicy.ALWAYS);
      chunks.remove(id);
      releaseAll(e);
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
      List<Entry> gone = new ArrayList<>();
      checkGate.readLock().lock();
      try {
        ensureOpen();
        for (ChunkId id : ids.subList(from, Math.min(ids.size(), from + REMOVE_BATCH))) {
          ReentrantLock lock = lockOf(id);
          lock.lock();
          try {
            Entry e = chunks.get(id);
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
        gone.forEach(this::releaseAll);
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
    StoredVersion v = pin(id);
    try {
      int from = (int) Math.min(offset, v.length());
      int n = Math.min(length, v.length() - from);
      ByteBuffer buf = ByteBuffer.allocate(n);
      files.read(v.block(), from, buf);
      return new ReadResult(buf.flip(), v.version(), v.length(), v.crc32c());
    } finally {
      unpin(v.block());
    }
  }

  @Override
  public ChunkReadHandle openRead(ChunkId id, long offset, int length) {
    checkRead(id, offset, length);
    StoredVersion v = pin(id);
    int from = (int) Math.min(offset, v.length());
    return new Handle(v, files.position(v.block()) + from, Math.min(length, v.length() - from));
  }

  /** Thread-safe: closing is idempotent and atomic. */
  private final class Handle implements ChunkReadHandle {
    private final StoredVersion v;
    private final long position;
    private final int length;
    private final AtomicBoolean released = new AtomicBoolean();

    Handle(StoredVersion v, long position, int length) {
      this.v = v;
      this.position = position;
      this.length = length;
    }

    @Override
    public FileChannel channel() {
      return files.channel(v.block());
    }

    @Override
    public long position() {
      return position;
    }

    @Override
    public int length() {
      return length;
    }

    @Override
    public long version() {
      return v.version();
    }

    @Override
    public int chunkLength() {
      return v.length();
    }

    @Override
    public int chunkCrc32c() {
      return v.crc32c();
    }

    @Override
    public void close() {
      if (released.compareAndSet(false, true)) {
        unpin(v.block());
      }
    }
  }

  @Override
  public Optional<ChunkMeta> meta(ChunkId id) {
    Entry e = chunks.get(id);
    return e == null ? Optional.empty() : Optional.of(toMeta(id, e));
  }

  @Override
  public Optional<ChunkMeta> lastChunk(ChunkId begin, ChunkId end) {
    if (begin.compareTo(end) >= 0) {
      return Optional.empty();
    }
    for (Map.Entry<ChunkId, Entry> me : chunks.subMap(begin, end).descendingMap().entrySet()) {
      if (me.getValue().committed() != null) {
        return Optional.of(toMeta(me.getKey(), me.getValue()));
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
    for (Map.Entry<ChunkId, Entry> me : chunks.subMap(begin, end).entrySet()) {
      if (out.size() >= limit) {
        break;
      }
      out.add(toMeta(me.getKey(), me.getValue()));
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
      return checkNow(verifyCrc, List.of());
    } finally {
      checkGate.writeLock().unlock();
    }
  }

  @Override
  public CheckReport startupReport() {
    return startupReport;
  }

  private CheckReport checkNow(boolean verifyCrc, List<Problem> initial) {
    List<Problem> problems = new ArrayList<>(initial);
    Map<Long, ChunkId> owners = new HashMap<>();
    long referenced = 0;
    long count = 0;
    long pending = 0;
    long verified = 0;
    for (Map.Entry<ChunkId, Entry> me : chunks.entrySet()) {
      ChunkId id = me.getKey();
      count++;
      if (me.getValue().pending() != null) {
        pending++;
      }
      for (StoredVersion v : new StoredVersion[] {me.getValue().committed(), me.getValue().pending()}) {
        if (v == null) {
          continue;
        }
        String which = v == me.getValue().committed() ? "committed" : "pending";
        if (!SizeClasses.valid(v.block())) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": no such block "
              + Long.toHexString(v.block())));
          continue;
        }
        ChunkId owner = owners.putIfAbsent(v.block(), id);
        if (owner == null) {
          referenced += v.capacity();
        } else if (!owner.equals(id)) {
          problems.add(new Problem(id, Kind.SHARED_BLOCK, which + " version " + v.version() + ": block "
              + SizeClasses.describe(v.block()) + " also belongs to chunk " + owner));
        }
        if (v.length() < 0 || v.length() > v.capacity()) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": length "
              + v.length() + " does not fit block " + SizeClasses.describe(v.block())));
          continue;
        }
        long end = files.position(v.block()) + v.length();
        long fileSize = files.fileSize(v.block());
        if (v.length() > 0 && fileSize < end) {
          problems.add(new Problem(id, Kind.BAD_BLOCK, which + " version " + v.version() + ": block "
              + SizeClasses.describe(v.block()) + " ends at " + end + " but its data file has " + fileSize
              + " bytes"));
          continue;
        }
        if (verifyCrc) {
          int crc = crcOf(v.block(), v.length());
          verified++;
          if (crc != v.crc32c()) {
            problems.add(new Problem(id, Kind.CRC_MISMATCH, String.format("%s version %d: stored CRC32C %08x,"
                + " content %08x (%d bytes in block %s)", which, v.version(), v.crc32c(), crc, v.length(),
                SizeClasses.describe(v.block()))));
          }
        }
      }
    }
    synchronized (pinLock) {
      long deferred = 0;
      for (long b : freeOnUnpin) {
        deferred += SizeClasses.blockSizeOf(b);
      }
      long used = allocator.usedBytes();
      if (used != referenced + deferred) {
        problems.add(new Problem(null, Kind.ACCOUNTING, "allocator counts " + used + " bytes used, chunks reference "
            + referenced + " and pinned freed blocks hold " + deferred));
      }
    }
    return new CheckReport(count, pending, verified, problems);
  }

  private int crcOf(long block, int length) {
    CRC32C crc = new CRC32C();
    ByteBuffer buf = ByteBuffer.allocate(Math.min(length, 1 << 20));
    for (int off = 0; off < length; ) {
      int n = Math.min(buf.capacity(), length - off);
      files.read(block, off, buf.clear().limit(n));
      crc.update(buf.flip());
      off += n;
    }
    return (int) crc.getValue();
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

  private static void checkChunkSize(int chunkSize) {
    if (chunkSize < SizeClasses.MIN_BLOCK || chunkSize > SizeClasses.MAX_BLOCK || Integer.bitCount(chunkSize) != 1) {
      throw CatenaException.of(Errno.EINVAL, "chunk size %d is not a power of two from 64KiB to 64MiB", chunkSize);
    }
  }

  private static void checkVersion(ChunkId id, long committed, long version) {
    if (version <= committed) {
      throw CatenaException.of(Errno.EALREADY, "chunk %s: update version %d already committed (at %d)", id, version,
          committed);
    }
    if (version != committed + 1) {
      throw CatenaException.of(Errno.ESTALE, "chunk %s: update version %d but committed is %d: replica missed"
          + " updates, needs resync", id, version, committed);
    }
  }

  private void checkRead(ChunkId id, long offset, int length) {
    ensureOpen();
    if (offset < 0 || length < 0) {
      throw CatenaException.of(Errno.EINVAL, "chunk %s: bad read range offset %d length %d", id, offset, length);
    }
  }

  private StoredVersion pin(ChunkId id) {
    synchronized (pinLock) {
      Entry e = chunks.get(id);
      if (e == null || e.committed() == null) {
        throw CatenaException.of(Errno.ENOENT, "chunk %s has no committed version", id);
      }
      pins.merge(e.committed().block(), 1, Integer::sum);
      return e.committed();
    }
  }

  private void unpin(long block) {
    synchronized (pinLock) {
      int left = pins.merge(block, -1, Integer::sum);
      if (left == 0) {
        pins.remove(block);
        if (freeOnUnpin.remove(block)) {
          allocator.free(block);
        }
      }
    }
  }

  /** Frees a block no record references any more, or defers it to the last unpin. */
  private void release(long block) {
    synchronized (pinLock) {
      if (pins.containsKey(block)) {
        freeOnUnpin.add(block);
        return;
      }
      allocator.free(block);
    }
  }

  private void releaseAll(Entry e) {
    if (e.committed() != null) {
      release(e.committed().block());
    }
    if (e.pending() != null && (e.committed() == null || e.pending().block() != e.committed().block())) {
      release(e.pending().block());
    }
  }

  private static ChunkMeta toMeta(ChunkId id, Entry e) {
    StoredVersion c = e.committed();
    StoredVersion p = e.pending();
    StoredVersion any = c != null ? c : p;
    int pendingBlockBytes = p != null && (c == null || p.block() != c.block()) ? p.capacity() : 0;
    return new ChunkMeta(any.chainId(), id, c == null ? 0 : c.version(), any.chainVersion(),
        c == null ? 0 : c.length(), c == null ? 0 : c.capacity(), c == null ? 0 : c.crc32c(), any.mtimeMillis(),
        p == null ? 0 : p.version(), pendingBlockBytes);
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
      syncer.shutdownNow();
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
