package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.retry.Retrier;
import io.catena.common.time.Deadline;
import io.catena.rpc.Attachment;
import io.catena.rpc.RpcResponse;
import io.catena.storage.ChunkMeta;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.ChunkMetaP;
import io.catena.storage.proto.DumpChunkMetaReq;
import io.catena.storage.proto.DumpChunkMetaResp;
import io.catena.storage.proto.SyncReq;
import io.catena.storage.proto.UpdateKind;
import io.catena.storage.proto.UpdateReq;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The predecessor's side of resync (ARCHITECTURE §4.4): when a serving target's successor is syncing, dump the
 * successor's chunk metadata, send every chunk whose committed version, length or CRC32C differs (or that it
 * lacks) as a whole-chunk replacement, remove its extras, then declare sync done. Each chunk is compared and sent
 * under this target's chunk lock, so it serialises with live writes, which reach the syncing successor as
 * whole-chunk replacements too. One worker per chain at a time. A sync gets {@code syncTimeout} in all, measured
 * on the retrier's clock; each of its calls is retried while routing changes and the successor is still syncing.
 * Thread-safe: the running and finished syncs are concurrent maps keyed by chain.
 */
final class SyncWorker implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(SyncWorker.class);

  private record Job(long successor, Thread thread) {}

  /** What a running resync from target {@code from} to {@code successor} still has to do. */
  record Progress(long from, long successor, long chunksLeft, long bytesLeft) {}

  /** Live counts of one running resync, read by the metrics refresh. */
  private static final class Left {
    final long from;
    final long successor;
    final java.util.concurrent.atomic.AtomicLong chunks = new java.util.concurrent.atomic.AtomicLong();
    final java.util.concurrent.atomic.AtomicLong bytes = new java.util.concurrent.atomic.AtomicLong();

    Left(long from, long successor) {
      this.from = from;
      this.successor = successor;
    }
  }

  private final RoutingWatcher routing;
  private final PeerCalls peers;
  private final Retrier retrier;
  private final Duration syncTimeout;
  private final int batch;
  private final ConcurrentHashMap<Long, Job> running = new ConcurrentHashMap<>();
  // chain id -> "successor@chainVersion" of the last finished sync: not repeated while routing still says syncing.
  private final ConcurrentHashMap<Long, String> finished = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<Long, Left> left = new ConcurrentHashMap<>();
  private volatile boolean closed;

  SyncWorker(RoutingWatcher routing, PeerCalls peers, Retrier retrier, Duration syncTimeout, int batch) {
    this.routing = routing;
    this.peers = peers;
    this.retrier = retrier;
    this.syncTimeout = syncTimeout;
    this.batch = batch;
  }

  /** Starts syncing {@code successor} from {@code t} unless a sync of this chain is already running. */
  void ensureRunning(Target t, long successor) {
    if (closed) {
      return;
    }
    Optional<ChainInfo> now = routing.current().chain(t.chainId());
    String key = successor + "@" + now.map(ChainInfo::version).orElse(0L);
    if (key.equals(finished.get(t.chainId()))) {
      return;
    }
    Job[] made = new Job[1];
    running.computeIfAbsent(t.chainId(), k -> {
      Thread th = Thread.ofVirtual().name("sync-" + t.targetId() + "-" + successor).unstarted(() -> {
        try {
          run(t, successor);
          finished.put(t.chainId(), key);
        } catch (RuntimeException e) {
          LOG.warn("{}: resync of target {} failed (will retry on the next routing check): {}", t, successor,
              e.getMessage());
        } finally {
          running.remove(t.chainId());
        }
      });
      made[0] = new Job(successor, th);
      return made[0];
    });
    if (made[0] != null) {
      made[0].thread().start(); // a resync already running for the chain goes on; it is not started twice
    }
  }

  /** The resyncs running now, with what each still has to do. */
  List<Progress> progress() {
    return left.values().stream().map(l -> new Progress(l.from, l.successor, l.chunks.get(), l.bytes.get()))
        .toList();
  }

  private void run(Target t, long succ) {
    Left l = new Left(t.targetId(), succ);
    left.put(t.chainId(), l);
    try {
      run(t, succ, l);
    } finally {
      left.remove(t.chainId(), l);
    }
  }

  private void run(Target t, long succ, Left progress) {
    Deadline deadline = Deadline.in(retrier.clock(), syncTimeout);
    ChainInfo c = stillSyncing(t, succ);
    LOG.info("{}: resyncing target {} ({})", t, succ, c);
    call(t, succ, deadline, ch -> peers.call(routing.current(), succ, StorageRpc.SYNC_START,
        SyncReq.newBuilder().setTargetId(succ).setChainId(t.chainId()).setChainVersion(ch.version()).build(), null,
        deadline));
    Map<ChunkId, ChunkMetaP> remote = new TreeMap<>();
    ChunkId next = null;
    while (true) {
      DumpChunkMetaReq.Builder b = DumpChunkMetaReq.newBuilder().setTargetId(succ).setLimit(batch);
      if (next != null) {
        b.setBegin(StorageRpc.toProto(next));
      }
      DumpChunkMetaResp page;
      try (RpcResponse<DumpChunkMetaResp> r = peers.call(routing.current(), succ,
          StorageRpc.DUMP_CHUNK_META, b.build(), null, deadline)) {
        page = r.message();
      }
      for (ChunkMetaP m : page.getChunksList()) {
        remote.put(StorageRpc.fromProto(m.getChunk()), m);
      }
      if (!page.getMore() || page.getChunksCount() == 0) {
        break;
      }
      ChunkId last = StorageRpc.fromProto(page.getChunks(page.getChunksCount() - 1).getChunk());
      next = new ChunkId(last.inode(), last.index() + 1);
    }
    TreeSet<ChunkId> all = new TreeSet<>(remote.keySet());
    ChunkId from = new ChunkId(0, 0);
    ChunkId end = new ChunkId(-1L, -1L);
    long toSend = 0;
    while (true) {
      List<ChunkMeta> page = t.store().list(from, end, batch);
      for (ChunkMeta m : page) {
        all.add(m.chunkId());
        ChunkMetaP theirs = remote.get(m.chunkId());
        if (m.hasCommitted() && (theirs == null || theirs.getCommittedVersion() != m.committedVersion())) {
          toSend += m.length();
        }
      }
      if (page.size() < batch) {
        break;
      }
      ChunkId last = page.get(page.size() - 1).chunkId();
      from = new ChunkId(last.inode(), last.index() + 1);
    }
    progress.chunks.set(all.size());
    progress.bytes.set(toSend);
    int sent = 0;
    int removed = 0;
    for (ChunkId id : all) {
      progress.chunks.decrementAndGet();
      if (closed) {
        throw CatenaException.retryable(Errno.ESHUTDOWN, "closing");
      }
      ChunkMetaP theirs = remote.get(id);
      try (Target.ChunkLock l = t.lock(id)) {
        Optional<ChunkMeta> ours = t.store().meta(id).filter(ChunkMeta::hasCommitted);
        if (ours.isPresent()) {
          ChunkMeta m = ours.get();
          if (theirs != null && theirs.getCommittedVersion() == m.committedVersion()
              && theirs.getLength() == m.length() && theirs.getCrc32C() == m.crc32c()) {
            continue;
          }
          ByteBuf content = Unpooled.wrappedBuffer(t.committedContent(id));
          try {
            int crc = ByteBufs.crc32c(content);
            call(t, succ, deadline, ch -> peers.call(routing.current(), succ, StorageRpc.UPDATE,
                update(t, succ, ch, id, UpdateKind.REPLACE, m.committedVersion(), content.readableBytes(), crc),
                Attachment.of(content.retainedSlice()), deadline));
            progress.bytes.updateAndGet(b -> Math.max(0, b - content.readableBytes()));
          } finally {
            content.release();
          }
          sent++;
        } else if (theirs != null) {
          call(t, succ, deadline, ch -> peers.call(routing.current(), succ, StorageRpc.UPDATE,
              update(t, succ, ch, id, UpdateKind.REMOVE, 0, 0, 0), null, deadline));
          removed++;
        }
      }
    }
    call(t, succ, deadline, ch -> peers.call(routing.current(), succ, StorageRpc.SYNC_DONE,
        SyncReq.newBuilder().setTargetId(succ).setChainId(t.chainId()).setChainVersion(ch.version()).build(), null,
        deadline));
    LOG.info("{}: resync of target {} done: {} chunks compared, {} sent, {} removed", t, succ, all.size(), sent,
        removed);
  }

  private static UpdateReq update(Target t, long succ, ChainInfo ch, ChunkId id, UpdateKind kind, long version,
      int length, int crc) {
    // The chunk size only bounds the content; the largest class is always valid for a replacement.
    return UpdateReq.newBuilder().setTargetId(succ).setChainId(t.chainId()).setChainVersion(ch.version())
        .setChunk(StorageRpc.toProto(id)).setKind(kind).setVersion(version)
        .setChunkSize(Math.max(64 << 10, Integer.highestOneBit(Math.max(1, length - 1)) << 1))
        .setLength(length).setCrc32C(crc).setFromSync(true).build();
  }

  /** Runs one call with the current chain, retrying retryable failures while the successor is still syncing. */
  private void call(Target t, long succ, Deadline deadline, Function<ChainInfo, RpcResponse<?>> op) {
    Retrier.Attempts attempts = retrier.begin(deadline);
    while (true) {
      ChainInfo c = stillSyncing(t, succ);
      try {
        op.apply(c).close();
        return;
      } catch (CatenaException e) {
        if (!e.isRetryable() || closed) {
          throw e;
        }
        attempts.failedNoPause(e);
        routing.awaitNewer(routing.current().version());
      }
    }
  }

  private ChainInfo stillSyncing(Target t, long succ) {
    RoutingInfo r = routing.current();
    ChainInfo c = r.chain(t.chainId()).orElseThrow(
        () -> CatenaException.of(Errno.ECANCELED, "chain %d vanished", t.chainId()));
    Optional<ChainTarget> s = ChainReplicator.successor(c, t.targetId());
    if (c.stateOf(t.targetId()).orElse(null) != PublicTargetState.SERVING || s.isEmpty()
        || s.get().targetId() != succ || s.get().state() != PublicTargetState.SYNCING) {
      throw CatenaException.of(Errno.ECANCELED, "resync of target %d cancelled: %s", succ, c);
    }
    return c;
  }

  @Override
  public void close() {
    closed = true;
    running.values().forEach(j -> j.thread().interrupt());
  }
}
