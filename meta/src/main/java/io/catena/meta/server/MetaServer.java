package io.catena.meta.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Layout;
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.SessionPruner;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.NodeAgent;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.mgmtd.exports.ExportGuard;
import io.catena.mgmtd.exports.ExportsConfig;
import io.catena.mgmtd.exports.ExportsWatcher;
import io.catena.mgmtd.exports.GuardedService;
import io.catena.rpc.RpcClient;
import io.catena.rpc.ServiceDefinition;
import io.catena.storage.client.StorageClient;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The metadata service as a part of a process, whichever process hosts it (the standalone {@link MetaProcess} or the
 * combined control process): the namespace on a KV engine, its RPC service definition, and, once {@link #start}
 * has connected it to the cluster, the storage client meta needs (exact lengths, truncation, chunk removal), its
 * registration with mgmtd as a META node, and the background work (garbage collection of removed files, pruning of
 * dead clients' write sessions). Meta keeps no state of its own: any number of these may serve one engine.
 *
 * <p>Storage needs routing, routing needs mgmtd, and mgmtd's address (when it shares the process) exists only once
 * the RPC server is bound, so the service is built first with a storage forwarder that is filled in by
 * {@link #start}. Thread-safe: {@link #start} and {@link #close} are serialised; the service is thread-safe.
 */
public final class MetaServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetaServer.class);

  private final Config config;
  private final Clock clock;
  private final KvMetaService meta;
  private final io.catena.meta.store.GoalOps goals;
  private final MetaMetrics metrics;
  /** Export rules, unknown (client calls wait) until {@link #start} fetched them from mgmtd. */
  private final ExportGuard exports;
  /** Keeps subdirectory mounts inside their subtree, behind the rules that admitted the subdirectory. */
  private final SubtreeConfinement subtrees;
  private final AtomicReference<ChunkStorage> storage = new AtomicReference<>();
  private final AtomicReference<MgmtdService> mgmtd = new AtomicReference<>();
  private final AtomicReference<RoutingCache> routing = new AtomicReference<>();
  private volatile String clusterId;
  private final List<AutoCloseable> resources = new ArrayList<>(); // closed in reverse order
  private boolean started;
  private boolean closed;

  /** The service on {@code kv} (not closed by {@link #close}), retrying transactions with {@code kv.retry.*}. */
  public MetaServer(KvEngine kv, Config config, Clock clock, RandomGenerator random) {
    this(kv, config, clock, random, io.catena.common.metrics.Meters.discarding());
  }

  /** As above, counting operations, KV transactions and namespace gauges in {@code registry}. */
  public MetaServer(KvEngine kv, Config config, Clock clock, RandomGenerator random,
      io.micrometer.core.instrument.MeterRegistry registry) {
    this.config = config;
    this.clock = clock;
    this.metrics = new MetaMetrics(registry);
    this.exports = new ExportGuard(clock);
    TransactionRunner runner = new TransactionRunner(kv, KvConfig.retryPolicy(config), clock, random,
        new io.catena.kv.KvMetrics(registry, "meta"));
    this.meta = new KvMetaService(runner, clock, config,
        id -> routing.get() == null ? Optional.empty() : routing.get().current().latestChainTable(id),
        new ForwardingStorage());
    this.subtrees = new SubtreeConfinement(new io.catena.meta.store.Subtrees(meta.context()), clock);
    this.goals = new io.catena.meta.store.GoalOps(meta.context(), new io.catena.meta.store.GoalTables(
        () -> routing.get() == null ? io.catena.common.cluster.RoutingInfo.empty() : routing.get().current()));
  }

  /** The replication-goal service (set-goal/get-goal), to offer beside {@link #rpcDefinition}. */
  public ServiceDefinition goalRpcDefinition() {
    // Behind the export rules too: set-goal changes files; a client refused everything else is refused this.
    return metrics.wrap(GuardedService.wrap(subtrees.wrap(GoalRpcService.definition(goals)), exports,
        MetaExports.INSTANCE));
  }

  /** The RPC service to offer (before {@link #start}, calls that need storage fail retryably). */
  public ServiceDefinition rpcDefinition() {
    return metrics.wrap(GuardedService.wrap(subtrees.wrap(MetaRpcService.definition(meta, config)), exports,
        MetaExports.INSTANCE));
  }

  public KvMetaService service() {
    return meta;
  }

  /**
   * Connects the service to the cluster: formats an empty namespace, follows routing through {@code mgmtdClient},
   * reaches storage over {@code rpc}, registers as META node {@code nodeId} at {@code self}, and starts the
   * background work.
   *
   * @param mgmtdView where capacity figures come from: mgmtd's live view of its targets (the local server when it
   *     shares the process, else {@code mgmtdClient.service()})
   */
  public synchronized void start(Address self, long nodeId, MgmtdClient mgmtdClient, MgmtdService mgmtdView,
      RpcClient rpc) {
    if (started || closed) {
      throw new IllegalStateException(closed ? "closed" : "already started");
    }
    started = true;
    clusterId = mgmtdClient.clusterId();
    mgmtd.set(mgmtdView);
    meta.format(0755);
    resources.add(ExportsWatcher.start(rpc, mgmtdClient::addresses, exports,
        config.get(ExportsConfig.REFRESH_INTERVAL)));

    RoutingCache r = new RoutingCache(mgmtdClient, config);
    resources.add(r);
    r.start();
    routing.set(r);
    StorageClient s = new StorageClient(r, rpc, config);
    resources.add(s);
    storage.set(new StorageChunkStorage(s, r));

    // Meta is a node too: clients find meta servers in the routing info.
    NodeAgent agent = new NodeAgent(mgmtdClient, NodeType.META, nodeId, self, clock.millis(), List::of, cmd -> { },
        new ConfigApplier(config), config, clock);
    resources.add(agent);
    agent.start();

    ScheduledExecutorService workers = Executors.newScheduledThreadPool(1,
        Thread.ofPlatform().daemon().name("meta-background").factory());
    resources.add(workers::shutdownNow);
    GarbageCollector gc = new GarbageCollector(meta.context());
    SessionPruner pruner = new SessionPruner(meta.context(), () -> mgmtdClient.service().listSessions(clusterId)
        .stream().map(ClientSession::clientId).collect(Collectors.toSet()));
    schedule(workers, "garbage collection", config.get(MetaConfig.GC_INTERVAL), gc::runOnce);
    schedule(workers, "session pruning", config.get(MetaConfig.PRUNE_INTERVAL), pruner::runOnce);
    ScheduledExecutorService mover = Executors.newSingleThreadScheduledExecutor(
        Thread.ofPlatform().daemon().name("meta-goal-mover").factory()); // paced copies: not on the GC thread
    resources.add(mover::shutdownNow);
    io.catena.meta.store.GoalMover goalMover = new io.catena.meta.store.GoalMover(meta.context(),
        new StorageChunkCopier(s, r), io.catena.common.retry.Sleeper.system());
    schedule(mover, "goal mover", config.get(MetaConfig.GOAL_MOVE_INTERVAL), () -> {
      try {
        goalMover.runOnce();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    schedule(workers, "metrics", config.get(MetaConfig.GAUGE_INTERVAL), () -> metrics.refresh(meta.context().runner()));
    LOG.info("meta node {} serving on {}", nodeId, self);
  }

  private static void schedule(ScheduledExecutorService s, String what, Duration every, Runnable task) {
    s.scheduleWithFixedDelay(() -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        // Storage may be down or mgmtd not primary yet: the next round retries.
        LOG.warn("{} failed: {}", what, e.toString());
      }
    }, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (int i = resources.size() - 1; i >= 0; i--) {
      try {
        resources.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", resources.get(i), e);
      }
    }
  }

  /**
   * Forwards to the storage client once {@link #start} made it, failing retryably before. Space comes from mgmtd's
   * live view of its targets (what their last heartbeats said), not from a routing snapshot: capacity and usage
   * change without a new routing version, so a cached snapshot would show df numbers of long ago.
   */
  private final class ForwardingStorage implements ChunkStorage {
    private ChunkStorage target() {
      ChunkStorage s = storage.get();
      if (s == null) {
        throw CatenaException.retryable(Errno.EAGAIN, "storage is not reachable yet");
      }
      return s;
    }

    @Override
    public long queryLength(long inode, Layout layout) {
      return target().queryLength(inode, layout);
    }

    @Override
    public void removeChunks(long inode, Layout layout) {
      target().removeChunks(inode, layout);
    }

    @Override
    public void truncate(long inode, Layout layout, long length) {
      target().truncate(inode, layout, length);
    }

    @Override
    public long copyChunks(Layout layout, long fromData, long toData) {
      return target().copyChunks(layout, fromData, toData);
    }

    @Override
    public long[] space() {
      MgmtdService m = mgmtd.get();
      ChunkStorage s = storage.get();
      try {
        if (m != null) {
          long capacity = 0;
          long used = 0;
          for (TargetInfo t : m.listTargets(clusterId)) {
            capacity += t.capacityBytes();
            used += t.usedBytes();
          }
          return new long[] {capacity, Math.max(0, capacity - used)};
        }
      } catch (CatenaException e) {
        LOG.debug("space from mgmtd unavailable ({}); using the routing snapshot", e.getMessage());
      }
      return s == null ? new long[] {0, 0} : s.space();
    }
  }
}
