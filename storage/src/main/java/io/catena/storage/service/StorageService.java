package io.catena.storage.service;

import io.catena.storage.client.StorageClientConfig;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.ChunkId;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcReply;
import io.catena.rpc.RpcResponse;
import io.catena.rpc.ServiceDefinition;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ChunkStore;
import io.catena.storage.ReadResult;
import io.catena.storage.SpaceInfo;
import io.catena.storage.StorageConfig;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.ChunkMetaP;
import io.catena.storage.proto.CreateTargetReq;
import io.catena.storage.proto.DumpChunkMetaReq;
import io.catena.storage.proto.DumpChunkMetaResp;
import io.catena.storage.proto.OfflineTargetReq;
import io.catena.storage.proto.QueryLastChunkReq;
import io.catena.storage.proto.QueryLastChunkResp;
import io.catena.storage.proto.ReadItem;
import io.catena.storage.proto.ReadReq;
import io.catena.storage.proto.ReadResp;
import io.catena.storage.proto.RemoveRangeReq;
import io.catena.storage.proto.RemoveRangeResp;
import io.catena.storage.proto.RemoveTargetReq;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.SpaceReq;
import io.catena.storage.proto.SpaceResp;
import io.catena.storage.proto.SyncReq;
import io.catena.storage.proto.SyncResp;
import io.catena.storage.proto.TargetResp;
import io.catena.storage.proto.TargetSpace;
import io.catena.storage.proto.TruncateReq;
import io.catena.storage.proto.UpdateKind;
import io.catena.storage.proto.UpdateReq;
import io.catena.storage.proto.UpdateResp;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.Unpooled;
import com.google.protobuf.Message;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.zip.CRC32C;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The storage service of one node: chunk I/O on its targets with CRAQ replication (ARCHITECTURE §4.3), target
 * administration, and the target side of resync (§4.4; the predecessor side is {@link SyncWorker}). Thread-safe:
 * each request runs on its own virtual thread; updates of one chunk on one target are serialised by the target's
 * chunk lock, held from the local pending write until the local commit (so across the successor round trip).
 *
 * <p>Replication: the head assigns {@code version = committed + 1}, stores it pending, forwards the same version
 * to its successor and commits when the successor replies; the tail commits first. A successor that is syncing
 * receives whole-chunk replacements. A successor that already holds the version (a retry) answers with its
 * committed state; if that differs from ours after our commit, or the successor reports a version gap, we send it
 * our whole committed chunk, so replicas converge even after a failed round trip.
 */
public final class StorageService implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageService.class);

  private final TargetManager targets;
  private final RoutingSource routingSource;
  private final RpcClient rpc;
  private final Duration forwardTimeout;
  private final Duration retryWait;
  private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("storage-", 0).factory());
  private final Semaphore admission;
  private final RoutingWatcher routing;
  private final SyncWorker sync;
  private volatile boolean closed;

  public StorageService(TargetManager targets, RoutingSource routing, RpcClient rpc, Config config) {
    this.targets = targets;
    this.routingSource = routing;
    this.rpc = rpc;
    this.forwardTimeout = config.get(StorageConfig.FORWARD_TIMEOUT);
    this.retryWait = config.get(StorageClientConfig.RETRY_WAIT);
    this.admission = new Semaphore(config.get(StorageConfig.MAX_CONCURRENT));
    this.sync = new SyncWorker(this, config.get(StorageConfig.SYNC_BATCH));
    this.routing = new RoutingWatcher(routing, this::onRouting);
    onRouting(routing.current());
  }

  public TargetManager targets() {
    return targets;
  }

  RpcClient rpc() {
    return rpc;
  }

  RoutingWatcher routing() {
    return routing;
  }

  Duration retryWait() {
    return retryWait;
  }

  Duration forwardTimeout() {
    return forwardTimeout;
  }

  /** Creates a target that is new and empty, hence up to date. */
  public Target createTarget(long targetId, long chainId, int diskIndex) {
    Target t = targets.create(targetId, chainId, diskIndex);
    t.setUpToDate(true);
    return t;
  }

  /** The RPC surface (service id 3). */
  public ServiceDefinition definition() {
    return ServiceDefinition.builder("storage", StorageRpc.SERVICE_ID)
        .inlineMethod(StorageRpc.WRITE, c -> async(() -> handleWrite(c)))
        .inlineMethod(StorageRpc.UPDATE, c -> async(() -> handleUpdate(c)))
        .inlineMethod(StorageRpc.READ, c -> async(() -> handleRead(c)))
        .inlineMethod(StorageRpc.QUERY_LAST_CHUNK, c -> async(() -> RpcReply.of(queryLastChunk(c.request()))))
        .inlineMethod(StorageRpc.TRUNCATE, c -> async(() -> RpcReply.of(handleTruncate(c.request()))))
        .inlineMethod(StorageRpc.REMOVE_RANGE, c -> async(() -> RpcReply.of(handleRemoveRange(c.request()))))
        .inlineMethod(StorageRpc.SPACE, c -> async(() -> RpcReply.of(space())))
        .inlineMethod(StorageRpc.CREATE_TARGET, c -> async(() -> {
          CreateTargetReq r = c.request();
          createTarget(r.getTargetId(), r.getChainId(), r.getDiskIndex());
          onRouting(routing.current());
          return RpcReply.of(TargetResp.getDefaultInstance());
        }))
        .inlineMethod(StorageRpc.OFFLINE_TARGET, c -> async(() -> {
          OfflineTargetReq r = c.request();
          targets.offline(r.getTargetId());
          return RpcReply.of(TargetResp.getDefaultInstance());
        }))
        .inlineMethod(StorageRpc.REMOVE_TARGET, c -> async(() -> {
          RemoveTargetReq r = c.request();
          targets.remove(r.getTargetId());
          return RpcReply.of(TargetResp.getDefaultInstance());
        }))
        .inlineMethod(StorageRpc.DUMP_CHUNK_META, c -> async(() -> RpcReply.of(dump(c.request()))))
        .inlineMethod(StorageRpc.SYNC_START, c -> async(() -> RpcReply.of(syncStart(c.request()))))
        .inlineMethod(StorageRpc.SYNC_DONE, c -> async(() -> RpcReply.of(syncDone(c.request()))))
        .build();
  }

  /** Runs blocking work on a virtual thread, bounded by {@code storage.max_concurrent_updates}. */
  private <T> CompletableFuture<T> async(Supplier<T> work) {
    if (closed) {
      return CompletableFuture.failedFuture(CatenaException.retryable(Errno.ESHUTDOWN, "storage service closing"));
    }
    CompletableFuture<T> f = new CompletableFuture<>();
    executor.execute(() -> {
      try {
        admission.acquireUninterruptibly();
        try {
          f.complete(work.get());
        } finally {
          admission.release();
        }
      } catch (Throwable e) {
        f.completeExceptionally(e);
      }
    });
    return f;
  }

  // -------------------------------------------------------------------------------------------- routing checks

  private Target target(long targetId) {
    Target t = targets.get(targetId).orElseThrow(
        () -> CatenaException.of(Errno.ENXIO, "no target %d on this node", targetId));
    if (t.fenced()) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is offline on this node", t);
    }
    return t;
  }

  /**
   * The chain at exactly the sender's version, or a retryable error: ESTALE when the sender's routing is older
   * (it refreshes and retries), EAGAIN when ours is older (after asking for a newer one).
   */
  ChainInfo checkChain(Target t, long chainId, long chainVersion) {
    if (t.chainId() != chainId) {
      throw CatenaException.of(Errno.ENXIO, "%s does not belong to chain %d", t, chainId);
    }
    RoutingInfo r = routing.current();
    Optional<ChainInfo> ch = r.chain(chainId);
    if (ch.isEmpty() || ch.get().version() < chainVersion) {
      r = routing.awaitNewer(r.version(), retryWait);
      ch = r.chain(chainId);
    }
    if (ch.isEmpty()) {
      throw CatenaException.retryable(Errno.EAGAIN, "chain %d is not in this node's routing v%d", chainId,
          r.version());
    }
    ChainInfo c = ch.get();
    if (!c.contains(t.targetId())) {
      throw CatenaException.of(Errno.ENXIO, "%s is not a member of %s", t, c);
    }
    if (c.version() > chainVersion) {
      throw CatenaException.retryable(Errno.ESTALE, "chain %d version %d is stale (current %d): refresh routing",
          chainId, chainVersion, c.version());
    }
    if (c.version() < chainVersion) {
      throw CatenaException.retryable(Errno.EAGAIN, "chain %d version %d is newer than this node's %d",
          chainId, chainVersion, c.version());
    }
    return c;
  }

  private static void requireState(Target t, ChainInfo c, boolean forWrites) {
    PublicTargetState s = c.stateOf(t.targetId()).orElseThrow();
    if (forWrites ? !s.receivesWrites() : !s.canRead()) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is %s in %s: not %s", t, s, c,
          forWrites ? "receiving writes" : "serving reads");
    }
  }

  // ---------------------------------------------------------------------------------------------- write path

  private RpcReply<WriteResp> handleWrite(RpcCall<WriteReq> call) {
    WriteReq req = call.request();
    ByteBuf data = call.attachment().orElse(Unpooled.EMPTY_BUFFER);
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    requireHead(t, c);
    return RpcReply.of(deduplicated(t, req.hasTag() ? req.getTag() : null,
        () -> headUpdate(t, c, StorageRpc.fromProto(req.getChunk()), UpdateKind.WRITE, req.getChunkSize(),
            req.getOffset(), data, req.getCrc32C(), 0, req.hasTag() ? req.getTag() : null)));
  }

  private WriteResp handleTruncate(TruncateReq req) {
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    requireHead(t, c);
    return deduplicated(t, req.hasTag() ? req.getTag() : null,
        () -> headUpdate(t, c, StorageRpc.fromProto(req.getChunk()), UpdateKind.TRUNCATE, req.getChunkSize(), 0,
            Unpooled.EMPTY_BUFFER, 0, req.getLength(), req.hasTag() ? req.getTag() : null));
  }

  private static void requireHead(Target t, ChainInfo c) {
    if (c.head().orElse(0L) != t.targetId()) {
      requireState(t, c, true);
      throw CatenaException.of(Errno.ENXIO, "%s is not the head of %s", t, c);
    }
  }

  /** Runs a client mutation once per (client, channel, seq): a retry gets the first attempt's result. */
  private static WriteResp deduplicated(Target t, RequestTag tag, Supplier<WriteResp> op) {
    if (tag == null || tag.getClientId() == 0) {
      return op.get();
    }
    Target.ChannelKey key = new Target.ChannelKey(tag.getClientId(), tag.getChannel());
    CompletableFuture<WriteResp> mine = new CompletableFuture<>();
    Target.Done ours = new Target.Done(tag.getSeq(), mine);
    Target.Done[] prev = new Target.Done[1];
    t.dedup.compute(key, (k, v) -> {
      if (v != null && v.seq() >= tag.getSeq()) {
        prev[0] = v;
        return v;
      }
      return ours;
    });
    if (prev[0] != null) {
      if (prev[0].seq() != tag.getSeq()) {
        throw CatenaException.of(Errno.EALREADY, "request %d on channel %d superseded by %d", tag.getSeq(),
            tag.getChannel(), prev[0].seq());
      }
      try {
        return prev[0].result().get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw CatenaException.retryable(Errno.EINTR, "interrupted");
      } catch (ExecutionException e) {
        throw e.getCause() instanceof CatenaException ce ? ce : new CatenaException(Status.of(Errno.EIO, "%s",
            e.getCause()), e.getCause());
      }
    }
    try {
      WriteResp r = op.get();
      mine.complete(r);
      return r;
    } catch (RuntimeException e) {
      mine.completeExceptionally(e);
      t.dedup.remove(key, ours);
      throw e;
    }
  }

  private static void remember(Target t, RequestTag tag, WriteResp resp) {
    if (tag != null && tag.getClientId() != 0) {
      Target.ChannelKey key = new Target.ChannelKey(tag.getClientId(), tag.getChannel());
      Target.Done d = new Target.Done(tag.getSeq(), CompletableFuture.completedFuture(resp));
      t.dedup.merge(key, d, (old, nu) -> old.seq() >= nu.seq() ? old : nu);
    }
  }

  /** The head's half of a write or truncate: assign the version, store pending, forward, commit. */
  private WriteResp headUpdate(Target t, ChainInfo c, ChunkId chunk, UpdateKind kind, int chunkSize, long offset,
      ByteBuf data, int crc, long length, RequestTag tag) {
    ChunkStore store = t.store();
    try (Target.ChunkLock l = t.lock(chunk)) {
      long version = store.meta(chunk).map(ChunkMeta::committedVersion).orElse(0L) + 1;
      applyPending(t, c, chunk, kind, version, chunkSize, offset, data, crc, length);
      UpdateResp succ;
      try {
        succ = forwardUpdate(t, c.chainId(), chunk, kind, version, chunkSize, offset, data, crc, length, tag);
      } catch (RuntimeException e) {
        store.abort(chunk, version);
        throw e;
      }
      ChunkMeta m = store.commit(chunk, version);
      reconcile(t, chunk, chunkSize, m, succ);
      WriteResp resp = resp(m);
      remember(t, tag, resp);
      return resp;
    }
  }

  private static void applyPending(Target t, ChainInfo c, ChunkId chunk, UpdateKind kind, long version,
      int chunkSize, long offset, ByteBuf data, int crc, long length) {
    if (kind == UpdateKind.WRITE) {
      ByteBuf contiguous = contiguous(data);
      try {
        t.store().write(new ChunkStore.WriteRequest(c.chainId(), chunk, c.version(), version, chunkSize, offset,
            contiguous.nioBuffer(), crc));
      } finally {
        if (contiguous != data) {
          contiguous.release();
        }
      }
    } else {
      t.store().truncate(c.chainId(), chunk, c.version(), version, chunkSize, length);
    }
  }

  private RpcReply<UpdateResp> handleUpdate(RpcCall<UpdateReq> call) {
    UpdateReq req = call.request();
    ByteBuf data = call.attachment().orElse(Unpooled.EMPTY_BUFFER);
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    requireState(t, c, true);
    ChunkId chunk = StorageRpc.fromProto(req.getChunk());
    ChunkStore store = t.store();
    RequestTag tag = req.hasTag() ? req.getTag() : null;
    try (Target.ChunkLock l = t.lock(chunk)) {
      switch (req.getKind()) {
        case WRITE, TRUNCATE -> {
          try {
            applyPending(t, c, chunk, req.getKind(), req.getVersion(), req.getChunkSize(), req.getOffset(), data,
                req.getCrc32C(), req.getLength());
          } catch (CatenaException e) {
            if (e.errno() == Errno.EALREADY) {
              // A retry of something we (and so our successors) already committed: report what we hold.
              return RpcReply.of(updateResp(store.meta(chunk)));
            }
            throw e;
          }
          UpdateResp succ;
          try {
            succ = forwardUpdate(t, c.chainId(), chunk, req.getKind(), req.getVersion(), req.getChunkSize(),
                req.getOffset(), data, req.getCrc32C(), req.getLength(), tag);
          } catch (RuntimeException e) {
            store.abort(chunk, req.getVersion());
            throw e;
          }
          ChunkMeta m = store.commit(chunk, req.getVersion());
          reconcile(t, chunk, req.getChunkSize(), m, succ);
          remember(t, tag, resp(m));
          return RpcReply.of(updateResp(Optional.of(m)));
        }
        case REPLACE -> {
          ByteBuf contiguous = contiguous(data);
          ChunkMeta m;
          try {
            m = store.replace(c.chainId(), chunk, c.version(), req.getVersion(), req.getChunkSize(),
                contiguous.nioBuffer(), req.getCrc32C());
          } finally {
            if (contiguous != data) {
              contiguous.release();
            }
          }
          if (!req.getFromSync()) {
            UpdateResp succ = forwardUpdate(t, c.chainId(), chunk, UpdateKind.REPLACE, req.getVersion(),
                req.getChunkSize(), 0, data, req.getCrc32C(), 0, tag);
            reconcile(t, chunk, req.getChunkSize(), m, succ);
          }
          remember(t, tag, resp(m));
          return RpcReply.of(updateResp(Optional.of(m)));
        }
        case REMOVE -> {
          store.remove(chunk);
          if (!req.getFromSync()) {
            forwardUpdate(t, c.chainId(), chunk, UpdateKind.REMOVE, 0, req.getChunkSize(), 0, data, 0, 0, tag);
          }
          return RpcReply.of(UpdateResp.getDefaultInstance());
        }
        default -> throw CatenaException.of(Errno.EINVAL, "unknown update kind %s", req.getKind());
      }
    }
  }

  /**
   * Sends an update to this target's successor and returns its reply, or null when this target is the tail.
   * Retries while routing changes (a failed successor is dropped or replaced by mgmtd) until
   * {@code storage.forward_timeout}. A syncing successor, or one that missed versions, gets the whole chunk.
   */
  private UpdateResp forwardUpdate(Target t, long chainId, ChunkId chunk, UpdateKind kind, long version,
      int chunkSize, long offset, ByteBuf data, int crc, long length, RequestTag tag) {
    long deadline = System.nanoTime() + forwardTimeout.toNanos();
    boolean whole = kind == UpdateKind.REPLACE;
    RoutingInfo r = routing.current();
    while (true) {
      ChainInfo c = r.chain(chainId).orElseThrow(
          () -> CatenaException.retryable(Errno.EAGAIN, "chain %d vanished from routing", chainId));
      Optional<ChainTarget> succ = successor(c, t.targetId());
      if (succ.isEmpty()) {
        return null;
      }
      UpdateKind sendKind = kind;
      if (kind != UpdateKind.REMOVE && (whole || succ.get().state() == PublicTargetState.SYNCING)) {
        sendKind = UpdateKind.REPLACE;
      }
      UpdateReq.Builder b = UpdateReq.newBuilder().setTargetId(succ.get().targetId()).setChainId(chainId)
          .setChainVersion(c.version()).setChunk(StorageRpc.toProto(chunk)).setKind(sendKind)
          .setVersion(version).setChunkSize(chunkSize).setOffset(offset).setLength(length).setCrc32C(crc);
      if (tag != null) {
        b.setTag(tag);
      }
      Attachment att = null;
      if (sendKind == UpdateKind.REPLACE) {
        ByteBuf content = kind == UpdateKind.REPLACE ? data.retainedSlice() : pendingContent(t, chunk, kind,
            chunkSize, offset, data, length);
        b.setCrc32C(crc32c(content)).setOffset(0).setLength(content.readableBytes());
        att = Attachment.of(content);
      } else if (sendKind == UpdateKind.WRITE) {
        att = Attachment.of(data.retainedSlice());
      }
      try {
        return call(r, succ.get().targetId(), StorageRpc.UPDATE, b.build(), att, deadline).message();
      } catch (CatenaException e) {
        if (!e.isRetryable() && e.errno() == Errno.ESTALE && !whole) {
          LOG.info("{}: successor {} missed versions of chunk {}; sending the whole chunk", t,
              succ.get().targetId(), chunk);
          whole = true;
          continue;
        }
        if (!e.isRetryable() || System.nanoTime() > deadline || closed) {
          throw e;
        }
        LOG.debug("{}: forwarding {} of chunk {} to {}: {}; waiting for routing", t, kind, chunk,
            succ.get().targetId(), e.getMessage());
        r = routing.awaitNewer(r.version(), retryWait);
      }
    }
  }

  /** The next member after {@code targetId} that receives writes (serving or syncing). */
  static Optional<ChainTarget> successor(ChainInfo c, long targetId) {
    List<ChainTarget> ts = c.targets();
    int i = 0;
    while (i < ts.size() && ts.get(i).targetId() != targetId) {
      i++;
    }
    for (int j = i + 1; j < ts.size(); j++) {
      if (ts.get(j).state().receivesWrites()) {
        return Optional.of(ts.get(j));
      }
    }
    return Optional.empty();
  }

  /**
   * {@code data} itself when it is one direct memory region, else one pooled direct copy (release it). An
   * attachment spread over several socket reads is a composite; its {@code nioBuffer()} would merge it into a new
   * heap buffer, which FileChannel then copies again into a temporary direct buffer.
   */
  static ByteBuf contiguous(ByteBuf data) {
    if (data.nioBufferCount() == 1 && data.isDirect()) {
      return data;
    }
    ByteBuf copy = PooledByteBufAllocator.DEFAULT.directBuffer(data.readableBytes());
    copy.writeBytes(data, data.readerIndex(), data.readableBytes());
    return copy;
  }

  /**
   * The whole content the pending update will have (the store keeps pending content private): committed content
   * cut, extended and patched exactly as {@link ChunkStore#write} / {@link ChunkStore#truncate} do.
   */
  private static ByteBuf pendingContent(Target t, ChunkId chunk, UpdateKind kind, int chunkSize, long offset,
      ByteBuf data, long length) {
    ByteBuffer base = committedContent(t, chunk);
    int baseLen = base.remaining();
    int n = data.readableBytes();
    long newLen = kind == UpdateKind.TRUNCATE ? length : Math.max(baseLen, offset + n);
    byte[] out = new byte[(int) newLen];
    base.get(out, 0, (int) Math.min(baseLen, newLen));
    if (kind == UpdateKind.WRITE) {
      data.getBytes(data.readerIndex(), out, (int) offset, n);
    }
    return Unpooled.wrappedBuffer(out);
  }

  static ByteBuffer committedContent(Target t, ChunkId chunk) {
    Optional<ChunkMeta> m = t.store().meta(chunk);
    if (m.isEmpty() || !m.get().hasCommitted()) {
      return ByteBuffer.allocate(0);
    }
    ReadResult r = t.store().read(chunk, 0, m.get().length());
    return r.data();
  }

  /** After our commit: if the successor holds something else for this chunk, send it our whole chunk. */
  private void reconcile(Target t, ChunkId chunk, int chunkSize, ChunkMeta ours, UpdateResp succ) {
    if (succ == null) {
      return;
    }
    if (succ.getCommittedVersion() == ours.committedVersion() && succ.getChunkLength() == ours.length()
        && succ.getChunkCrc32C() == ours.crc32c()) {
      return;
    }
    LOG.warn("{}: successor holds chunk {} as v{} ({} bytes, crc {}), we committed v{} ({} bytes, crc {});"
            + " replacing it", t, chunk, succ.getCommittedVersion(), succ.getChunkLength(),
        Integer.toHexString(succ.getChunkCrc32C()), ours.committedVersion(), ours.length(),
        Integer.toHexString(ours.crc32c()));
    ByteBuf content = Unpooled.wrappedBuffer(committedContent(t, chunk));
    try {
      forwardUpdate(t, ours.chainId(), chunk, UpdateKind.REPLACE, ours.committedVersion(), chunkSize, 0, content,
          ours.crc32c(), 0, null);
    } finally {
      content.release();
    }
  }

  private static WriteResp resp(ChunkMeta m) {
    return WriteResp.newBuilder().setVersion(m.committedVersion()).setChunkLength(m.length())
        .setChunkCrc32C(m.crc32c()).build();
  }

  private static UpdateResp updateResp(Optional<ChunkMeta> m) {
    return m.filter(ChunkMeta::hasCommitted).map(x -> UpdateResp.newBuilder()
        .setCommittedVersion(x.committedVersion()).setChunkLength(x.length()).setChunkCrc32C(x.crc32c()).build())
        .orElse(UpdateResp.getDefaultInstance());
  }

  static int crc32c(ByteBuf b) {
    CRC32C crc = new CRC32C();
    for (ByteBuffer bb : b.nioBuffers()) {
      crc.update(bb);
    }
    return (int) crc.getValue();
  }

  /** A blocking call to the node serving {@code targetId}, bounded by {@code deadlineNanos}. */
  <Q extends Message, A extends Message> RpcResponse<A> call(RoutingInfo r, long targetId,
      MethodDescriptor<Q, A> method, Q req, Attachment att, long deadlineNanos) {
    Address addr;
    try {
      addr = address(r, targetId);
    } catch (CatenaException e) {
      if (att != null) {
        att.release();
      }
      throw e;
    }
    long left = Math.max(1, deadlineNanos - System.nanoTime());
    CompletableFuture<RpcResponse<A>> f =
        rpc.call(addr, method, req, att, CallOptions.timeout(Duration.ofNanos(left)));
    try {
      return f.get(left + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw CatenaException.retryable(Errno.EINTR, "interrupted");
    } catch (TimeoutException e) {
      f.cancel(true);
      throw CatenaException.retryable(Errno.ETIMEDOUT, "%s to target %d timed out", method, targetId);
    } catch (ExecutionException e) {
      Status s = CatenaException.statusOf(e.getCause());
      throw new CatenaException(s, e.getCause());
    }
  }

  static Address address(RoutingInfo r, long targetId) {
    NodeInfo n = r.nodeOfTarget(targetId).orElseThrow(
        () -> CatenaException.retryable(Errno.EHOSTUNREACH, "no node known for target %d", targetId));
    return Address.parse(n.address());
  }

  // ----------------------------------------------------------------------------------------------- reads etc.

  private RpcReply<ReadResp> handleRead(RpcCall<ReadReq> call) {
    List<ReadItem> items = call.request().getItemsList();
    ReadResp.Builder out = ReadResp.newBuilder();
    if (items.size() == 1) {
      // One item: send straight from the data file (sendfile), never through the heap.
      ReadItem it = items.get(0);
      try {
        Target t = readable(it);
        ChunkReadHandle h = t.store().openRead(StorageRpc.fromProto(it.getChunk()), it.getOffset(), it.getLength());
        out.addResults(io.catena.storage.proto.ReadResult.newBuilder().setLength(h.length()).setVersion(h.version())
            .setChunkLength(h.chunkLength()).setChunkCrc32C(h.chunkCrc32c()));
        return RpcReply.of(out.build(), Attachment.ofFile(h.channel(), h.position(), h.length(), h::close));
      } catch (RuntimeException e) {
        out.addResults(error(e));
        return RpcReply.of(out.build());
      }
    }
    List<ByteBuffer> parts = new ArrayList<>();
    for (ReadItem it : items) {
      try {
        Target t = readable(it);
        ReadResult r = t.store().read(StorageRpc.fromProto(it.getChunk()), it.getOffset(), it.getLength());
        parts.add(r.data());
        out.addResults(io.catena.storage.proto.ReadResult.newBuilder().setLength(r.data().remaining())
            .setVersion(r.version()).setChunkLength(r.chunkLength()).setChunkCrc32C(r.chunkCrc32c()));
      } catch (RuntimeException e) {
        out.addResults(error(e));
      }
    }
    ByteBuf att = Unpooled.wrappedBuffer(parts.toArray(ByteBuffer[]::new));
    return RpcReply.of(out.build(), Attachment.of(att));
  }

  private static io.catena.storage.proto.ReadResult error(RuntimeException e) {
    Status s = CatenaException.statusOf(e);
    return io.catena.storage.proto.ReadResult.newBuilder().setErrno(s.code().code()).setMessage(
        s.message() + (s.retryable() ? " (retryable)" : "")).build();
  }

  private Target readable(ReadItem it) {
    Target t = target(it.getTargetId());
    ChainInfo c = it.getChainVersion() == 0
        ? routing.current().chain(it.getChainId()).orElseThrow(() -> CatenaException.retryable(Errno.EAGAIN,
            "chain %d unknown here", it.getChainId()))
        : checkChain(t, it.getChainId(), it.getChainVersion());
    if (!c.contains(t.targetId()) || t.chainId() != c.chainId()) {
      throw CatenaException.of(Errno.ENXIO, "%s is not a member of %s", t, c);
    }
    requireState(t, c, false);
    if (t.loadedAtStart() && !t.seenNotServing()) {
      // Restarted while routing still shows it serving: it may have missed writes; mgmtd will take it through
      // offline and sync first.
      throw CatenaException.retryable(Errno.EAGAIN, "%s restarted and is not yet resynced", t);
    }
    return t;
  }

  private QueryLastChunkResp queryLastChunk(QueryLastChunkReq req) {
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    requireState(t, c, false);
    return t.store().lastChunk(StorageRpc.fromProto(req.getBegin()), StorageRpc.fromProto(req.getEnd()))
        .map(m -> QueryLastChunkResp.newBuilder().setFound(true).setChunk(StorageRpc.toProto(m.chunkId()))
            .setLength(m.length()).setVersion(m.committedVersion()).build())
        .orElse(QueryLastChunkResp.getDefaultInstance());
  }

  private RemoveRangeResp handleRemoveRange(RemoveRangeReq req) {
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    if (req.getForwarded()) {
      requireState(t, c, true);
    } else {
      requireHead(t, c);
    }
    // Chunk by chunk under the chunk lock (not the store's one-shot removeRange), so a resync of this chunk that
    // runs concurrently is ordered with the removal at the successor.
    long removed = 0;
    ChunkId from = StorageRpc.fromProto(req.getBegin());
    ChunkId end = StorageRpc.fromProto(req.getEnd());
    while (true) {
      List<ChunkMeta> page = t.store().list(from, end, 1024);
      for (ChunkMeta m : page) {
        try (Target.ChunkLock l = t.lock(m.chunkId())) {
          if (t.store().remove(m.chunkId())) {
            removed++;
          }
        }
      }
      if (page.size() < 1024) {
        break;
      }
      ChunkId last = page.get(page.size() - 1).chunkId();
      from = new ChunkId(last.inode(), last.index() + 1);
    }
    long deadline = System.nanoTime() + forwardTimeout.toNanos();
    RoutingInfo r = routing.current();
    while (true) {
      Optional<ChainInfo> ch = r.chain(c.chainId());
      Optional<ChainTarget> succ = ch.flatMap(x -> successor(x, t.targetId()));
      if (succ.isEmpty()) {
        break;
      }
      RemoveRangeReq fwd = req.toBuilder().setTargetId(succ.get().targetId()).setChainVersion(ch.get().version())
          .setForwarded(true).build();
      try {
        call(r, succ.get().targetId(), StorageRpc.REMOVE_RANGE, fwd, null, deadline).close();
        break;
      } catch (CatenaException e) {
        if (!e.isRetryable() || System.nanoTime() > deadline) {
          throw e;
        }
        r = routing.awaitNewer(r.version(), retryWait);
      }
    }
    return RemoveRangeResp.newBuilder().setRemoved(removed).build();
  }

  private SpaceResp space() {
    SpaceResp.Builder b = SpaceResp.newBuilder();
    for (Target t : targets.all()) {
      SpaceInfo s = t.store().space();
      b.addTargets(TargetSpace.newBuilder().setTargetId(t.targetId()).setChainId(t.chainId())
          .setDiskIndex(t.diskIndex()).setCapacity(s.capacity()).setUsed(s.used()).setFree(s.free())
          .setLocalState(localState(t).code()));
    }
    return b.build();
  }

  private DumpChunkMetaResp dump(DumpChunkMetaReq req) {
    Target t = targets.get(req.getTargetId()).orElseThrow(
        () -> CatenaException.of(Errno.ENXIO, "no target %d on this node", req.getTargetId()));
    int limit = req.getLimit() <= 0 ? 1024 : req.getLimit();
    ChunkId begin = req.hasBegin() ? StorageRpc.fromProto(req.getBegin()) : new ChunkId(0, 0);
    List<ChunkMeta> page = t.store().list(begin, new ChunkId(-1L, -1L), limit);
    DumpChunkMetaResp.Builder b = DumpChunkMetaResp.newBuilder().setMore(page.size() == limit);
    for (ChunkMeta m : page) {
      b.addChunks(ChunkMetaP.newBuilder().setChunk(StorageRpc.toProto(m.chunkId()))
          .setCommittedVersion(m.committedVersion()).setLength(m.length()).setCrc32C(m.crc32c())
          .setPendingVersion(m.pendingVersion()).setChainVersion(m.chainVersion()));
    }
    return b.build();
  }

  private SyncResp syncStart(SyncReq req) {
    Target t = target(req.getTargetId());
    checkChain(t, req.getChainId(), req.getChainVersion());
    t.setUpToDate(false);
    LOG.info("{}: resync started by its predecessor (chain v{})", t, req.getChainVersion());
    return SyncResp.getDefaultInstance();
  }

  private SyncResp syncDone(SyncReq req) {
    Target t = target(req.getTargetId());
    ChainInfo c = checkChain(t, req.getChainId(), req.getChainVersion());
    if (c.stateOf(t.targetId()).orElseThrow() != PublicTargetState.SYNCING) {
      throw CatenaException.retryable(Errno.EAGAIN, "%s is not syncing in %s", t, c);
    }
    t.setUpToDate(true);
    LOG.info("{}: resync done (chain v{})", t, req.getChainVersion());
    return SyncResp.getDefaultInstance();
  }

  // ------------------------------------------------------------------------------------------ target states

  /**
   * What this node reports for a target (ARCHITECTURE §4.4): UPTODATE when it holds every committed write,
   * OFFLINE when fenced, otherwise ONLINE.
   */
  public io.catena.common.cluster.LocalTargetState localState(Target t) {
    if (t.fenced() || (t.loadedAtStart() && !t.seenNotServing())) {
      return io.catena.common.cluster.LocalTargetState.OFFLINE;
    }
    return t.upToDate() ? io.catena.common.cluster.LocalTargetState.UPTODATE
        : io.catena.common.cluster.LocalTargetState.ONLINE;
  }

  private void onRouting(RoutingInfo r) {
    if (closed) {
      return;
    }
    for (Target t : targets.all()) {
      Optional<ChainInfo> c = r.chain(t.chainId());
      if (c.isEmpty()) {
        continue;
      }
      PublicTargetState s = c.get().stateOf(t.targetId()).orElse(PublicTargetState.OFFLINE);
      if (s == PublicTargetState.OFFLINE || s == PublicTargetState.WAITING || s == PublicTargetState.LASTSRV) {
        // Self-fencing: requests are refused by the state checks; what we held may be missing writes now.
        if (s != PublicTargetState.LASTSRV) {
          t.setUpToDate(false);
        }
      }
      if (s != PublicTargetState.SERVING) {
        t.markSeenNotServing();
      } else if (t.seenNotServing()) {
        // Serving again after mgmtd saw us out of service: the chain state machine vouches for our data.
        t.setUpToDate(true);
      }
      if (s == PublicTargetState.SERVING) {
        successor(c.get(), t.targetId()).filter(x -> x.state() == PublicTargetState.SYNCING)
            .ifPresent(x -> sync.ensureRunning(t, x.targetId()));
      }
    }
  }

  /** Re-checks routing for syncs to start (called periodically by the server). */
  void tick() {
    onRouting(routing.current());
  }

  @Override
  public void close() {
    closed = true;
    sync.close();
    routing.close();
    executor.shutdownNow();
  }
}
