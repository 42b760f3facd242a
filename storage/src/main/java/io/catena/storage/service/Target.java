package io.catena.storage.service;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkStore;
import io.catena.storage.proto.WriteResp;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * One storage target on this node: its chunk store, the per-chunk locks that serialise updates across the whole
 * replication round trip, and the de-duplication records of client retries. Thread-safe.
 */
public final class Target {
  /** One client channel's last mutation: its sequence number and result (in flight or done). */
  record Done(long seq, CompletableFuture<WriteResp> result) {}

  record ChannelKey(long clientId, long channel) {}

  private static final class Holder {
    final ReentrantLock lock = new ReentrantLock();
    int users;
  }

  private final long targetId;
  private final long chainId;
  private final int diskIndex;
  private final Path dir;
  private final ChunkStore store;
  private final ConcurrentHashMap<ChunkId, Holder> locks = new ConcurrentHashMap<>();
  final ConcurrentHashMap<ChannelKey, Done> dedup = new ConcurrentHashMap<>();
  // Set by an admin OfflineTarget: the target stops serving until the process restarts.
  private volatile boolean fenced;
  // Whether this replica holds every committed write: serving since we know it, or a finished sync.
  private volatile boolean upToDate;

  private final boolean loadedAtStart;
  final StorageMetrics.TargetMeters meters;

  Target(long targetId, long chainId, int diskIndex, Path dir, ChunkStore store, boolean loadedAtStart,
      StorageMetrics.TargetMeters meters) {
    this.loadedAtStart = loadedAtStart;
    this.meters = meters;
    this.targetId = targetId;
    this.chainId = chainId;
    this.diskIndex = diskIndex;
    this.dir = dir;
    this.store = store;
  }

  public long targetId() {
    return targetId;
  }

  public long chainId() {
    return chainId;
  }

  public int diskIndex() {
    return diskIndex;
  }

  public Path dir() {
    return dir;
  }

  public ChunkStore store() {
    return store;
  }

  public boolean fenced() {
    return fenced;
  }

  void fence() {
    fenced = true;
    upToDate = false;
  }

  private volatile boolean seenNotServing;

  /** Whether the target was found on disk when this process started (rather than created by it). */
  public boolean loadedAtStart() {
    return loadedAtStart;
  }

  boolean seenNotServing() {
    return seenNotServing;
  }

  void markSeenNotServing() {
    seenNotServing = true;
  }

  // Whether the last routing seen showed this target SERVING; see noteServing.
  private boolean servingInRouting;

  /**
   * Records whether routing shows the target SERVING and returns what the previous routing showed, so that only a
   * transition into SERVING vouches for the data (a later routing that still shows SERVING must not undo a
   * STOP_SERVING_TARGET or a sync that started since).
   */
  synchronized boolean noteServing(boolean serving) {
    boolean was = servingInRouting;
    servingInRouting = serving;
    return was;
  }

  public boolean upToDate() {
    return upToDate;
  }

  void setUpToDate(boolean v) {
    upToDate = v;
  }

  /** The chunk's whole committed content (empty when it has none), read into the heap. */
  ByteBuffer committedContent(ChunkId chunk) {
    Optional<ChunkMeta> m = store.meta(chunk);
    if (m.isEmpty() || !m.get().hasCommitted()) {
      return ByteBuffer.allocate(0);
    }
    return store.read(chunk, 0, m.get().length()).data();
  }

  /** Locks one chunk (blocking; meant for virtual threads); close the result to unlock. */
  ChunkLock lock(ChunkId id) {
    Holder h = locks.compute(id, (k, v) -> {
      Holder x = v == null ? new Holder() : v;
      x.users++;
      return x;
    });
    h.lock.lock();
    return () -> {
      h.lock.unlock();
      locks.computeIfPresent(id, (k, v) -> --v.users == 0 ? null : v);
    };
  }

  /** A held chunk lock. */
  interface ChunkLock extends AutoCloseable {
    @Override
    void close();
  }

  @Override
  public String toString() {
    return "target " + targetId + " (chain " + chainId + ", disk " + diskIndex + ")";
  }
}
