package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.config.Config;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import io.catena.rpc.RpcCall;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import io.catena.storage.SpaceInfo;
import io.catena.storage.StorageConfig;
import io.catena.storage.StorageRpc;
import io.catena.storage.client.StorageClientConfig;
import io.catena.storage.proto.CreateTargetReq;
import io.catena.storage.proto.OfflineTargetReq;
import io.catena.storage.proto.RemoveRangeReq;
import io.catena.storage.proto.RemoveRangeResp;
import io.catena.storage.proto.RemoveTargetReq;
import io.catena.storage.proto.RequestTag;
import io.catena.storage.proto.SpaceResp;
import io.catena.storage.proto.TargetResp;
import io.catena.storage.proto.TargetSpace;
import io.catena.storage.proto.TruncateReq;
import io.catena.storage.proto.UpdateReq;
import io.catena.storage.proto.UpdateResp;
import io.catena.storage.proto.WriteReq;
import io.catena.storage.proto.WriteResp;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;

/**
 * The storage service of one node as RPC service {@link StorageRpc#SERVICE_ID}: maps each request onto the part
 * that does the work — {@link ChainReplicator} (CRAQ writes), {@link RangeRemover}, {@link ChunkReads},
 * {@link SyncReceiver} and {@link SyncWorker} (the two sides of resync), {@link TargetStates} — after
 * {@link TargetGuard} has checked the target and the sender's chain version, and owns them. Each request runs on its
 * own virtual thread, at most {@code storage.max_concurrent_updates} at once. Thread-safe.
 */
public final class StorageService implements AutoCloseable {
  private final TargetManager targets;
  private final ExecutorService executor = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("storage-", 0).factory());
  private final Semaphore admission;
  private final TargetGuard guard;
  private final ChainReplicator replicator;
  private final RangeRemover ranges;
  private final ChunkReads reads;
  private final SyncReceiver syncReceiver;
  private final SyncWorker syncWorker;
  private final TargetStates states;
  private final RoutingWatcher routing;
  private volatile boolean closed;

  /**
   * @param clock measures the forward and resync deadlines ({@code storage.forward_timeout}); tests pass a
   *     {@link io.catena.common.time.ManualClock} to run out a deadline without waiting for it
   */
  public StorageService(TargetManager targets, RoutingSource routing, RpcClient rpc, Config config, Clock clock) {
    this.targets = targets;
    this.admission = new Semaphore(config.get(StorageConfig.MAX_CONCURRENT));
    Duration forwardTimeout = config.get(StorageConfig.FORWARD_TIMEOUT);
    // Between attempts these loops wait for newer routing, not for a backoff: the policy never pauses, so the
    // generator and the sleeper the toolkit carries are never used.
    Retrier forwarding = new Retrier(RetryPolicy.untilDeadline(Duration.ZERO, Duration.ZERO, forwardTimeout), clock,
        RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
    PeerCalls peers = new PeerCalls(rpc);
    this.routing = new RoutingWatcher(routing, config.get(StorageClientConfig.RETRY_WAIT));
    this.guard = new TargetGuard(targets, this.routing);
    this.replicator = new ChainReplicator(this.routing, peers, forwarding);
    this.ranges = new RangeRemover(this.routing, peers, forwarding);
    this.reads = new ChunkReads(guard);
    this.syncReceiver = new SyncReceiver(targets, guard);
    this.syncWorker = new SyncWorker(this.routing, peers, forwarding, forwardTimeout.multipliedBy(20),
        config.get(StorageConfig.SYNC_BATCH));
    this.states = new TargetStates(targets, syncWorker);
    this.routing.listen(states::onRouting);
    states.onRouting(routing.current());
  }

  public TargetManager targets() {
    return targets;
  }

  /** Creates a target that is new and empty, hence up to date. */
  public Target createTarget(long targetId, long chainId, int diskIndex) {
    Target t = targets.create(targetId, chainId, diskIndex);
    t.setUpToDate(true);
    return t;
  }

  /** What this node reports for a target (ARCHITECTURE §4.4); see {@link TargetStates#localState}. */
  public LocalTargetState localState(Target t) {
    return TargetStates.localState(t);
  }

  /** The RPC surface (service id 3). */
  public ServiceDefinition definition() {
    return ServiceDefinition.builder("storage", StorageRpc.SERVICE_ID)
        .inlineMethod(StorageRpc.WRITE, c -> async(() -> RpcReply.of(write(c))))
        .inlineMethod(StorageRpc.UPDATE, c -> async(() -> RpcReply.of(update(c))))
        .inlineMethod(StorageRpc.READ, c -> async(() -> reads.read(c.request())))
        .inlineMethod(StorageRpc.QUERY_LAST_CHUNK, c -> async(() -> RpcReply.of(reads.lastChunk(c.request()))))
        .inlineMethod(StorageRpc.TRUNCATE, c -> async(() -> RpcReply.of(truncate(c.request()))))
        .inlineMethod(StorageRpc.REMOVE_RANGE, c -> async(() -> RpcReply.of(removeRange(c.request()))))
        .inlineMethod(StorageRpc.SPACE, c -> async(() -> RpcReply.of(space())))
        .inlineMethod(StorageRpc.CREATE_TARGET, c -> async(() -> {
          CreateTargetReq r = c.request();
          createTarget(r.getTargetId(), r.getChainId(), r.getDiskIndex());
          states.onRouting(routing.current());
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
        .inlineMethod(StorageRpc.DUMP_CHUNK_META, c -> async(() -> RpcReply.of(syncReceiver.dump(c.request()))))
        .inlineMethod(StorageRpc.SYNC_START, c -> async(() -> RpcReply.of(syncReceiver.start(c.request()))))
        .inlineMethod(StorageRpc.SYNC_DONE, c -> async(() -> RpcReply.of(syncReceiver.done(c.request()))))
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

  private WriteResp write(RpcCall<WriteReq> call) {
    WriteReq req = call.request();
    ByteBuf data = call.attachment().orElse(Unpooled.EMPTY_BUFFER);
    Target t = guard.target(req.getTargetId());
    return measured(t, StorageMetrics.Op.WRITE, data.readableBytes(), () -> {
      ChainInfo c = guard.checkChain(t, req.getChainId(), req.getChainVersion());
      TargetGuard.requireHead(t, c);
      RequestTag tag = req.hasTag() ? req.getTag() : null;
      return RetriedWrites.once(t, tag, () -> replicator.headUpdate(t, c, ChunkUpdate.write(
          StorageRpc.fromProto(req.getChunk()), req.getChunkSize(), req.getOffset(), data, req.getCrc32C(), tag)));
    });
  }

  private WriteResp truncate(TruncateReq req) {
    Target t = guard.target(req.getTargetId());
    return measured(t, StorageMetrics.Op.TRUNCATE, 0, () -> {
      ChainInfo c = guard.checkChain(t, req.getChainId(), req.getChainVersion());
      TargetGuard.requireHead(t, c);
      RequestTag tag = req.hasTag() ? req.getTag() : null;
      return RetriedWrites.once(t, tag, () -> replicator.headUpdate(t, c, ChunkUpdate.truncate(
          StorageRpc.fromProto(req.getChunk()), req.getChunkSize(), req.getLength(), tag)));
    });
  }

  private UpdateResp update(RpcCall<UpdateReq> call) {
    UpdateReq req = call.request();
    ByteBuf data = call.attachment().orElse(Unpooled.EMPTY_BUFFER);
    Target t = guard.target(req.getTargetId());
    return measured(t, StorageMetrics.Op.UPDATE, data.readableBytes(), () -> {
      ChainInfo c = guard.checkChain(t, req.getChainId(), req.getChainVersion());
      TargetGuard.requireState(t, c, true);
      ChunkUpdate u = new ChunkUpdate(req.getKind(), StorageRpc.fromProto(req.getChunk()), req.getVersion(),
          req.getChunkSize(), req.getOffset(), req.getLength(), data, req.getCrc32C(), req.hasTag() ? req.getTag()
          : null);
      return replicator.successorUpdate(t, c, u, req.getFromSync());
    });
  }

  private RemoveRangeResp removeRange(RemoveRangeReq req) {
    Target t = guard.target(req.getTargetId());
    return measured(t, StorageMetrics.Op.REMOVE, 0, () -> {
      ChainInfo c = guard.checkChain(t, req.getChainId(), req.getChainVersion());
      if (req.getForwarded()) {
        TargetGuard.requireState(t, c, true);
      } else {
        TargetGuard.requireHead(t, c);
      }
      return RemoveRangeResp.newBuilder().setRemoved(ranges.removeRange(t, c, req)).build();
    });
  }

  /** Runs one operation on {@code t}, recording its latency, bytes and outcome in the target's meters. */
  private static <T> T measured(Target t, StorageMetrics.Op op, long bytes, Supplier<T> work) {
    long start = System.nanoTime();
    boolean ok = false;
    try {
      T r = work.get();
      ok = true;
      return r;
    } finally {
      t.meters.record(op, start, bytes, ok);
    }
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

  /** How long a failed call to a peer waits for newer routing ({@code storage.retry_wait}). */
  Duration retryWait() {
    return routing.retryWait();
  }

  /** The resyncs this node runs as predecessor, with what each still has to do. */
  List<SyncWorker.Progress> syncProgress() {
    return syncWorker.progress();
  }

  /** Re-checks routing for syncs to start (called periodically by the server). */
  void tick() {
    states.onRouting(routing.current());
  }

  @Override
  public void close() {
    closed = true;
    states.close();
    replicator.close();
    syncWorker.close();
    routing.close();
    executor.shutdownNow();
  }
}
