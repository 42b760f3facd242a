package io.catena.dist;

import io.catena.client.StorageChunkStorage;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Layout;
import io.catena.meta.MetaConfig;
import io.catena.meta.server.MetaRpcService;
import io.catena.meta.store.GarbageCollector;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.SessionPruner;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.NodeAgent;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.mgmtd.auth.ClusterAuthenticators;
import io.catena.mgmtd.server.ClusterInit;
import io.catena.mgmtd.server.MgmtdAccess;
import io.catena.mgmtd.server.MgmtdRpcService;
import io.catena.mgmtd.server.MgmtdServer;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import io.catena.storage.client.StorageClient;
import io.catena.common.cluster.UserAccount;
import io.catena.rpc.auth.AuthTokens;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control process: the embedded KV store, the cluster manager (mgmtd) and the metadata service (meta) behind one
 * RPC address. Meta reaches the storage chains (exact lengths, truncation, removal of deleted files) through a
 * storage client on mgmtd's routing, and runs garbage collection and pruning of dead clients' sessions in the
 * background. Thread-safe: {@link #close} may race with {@link #awaitClosed} and runs once.
 */
final class ControlProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlProcess.class);

  private final List<AutoCloseable> resources; // closed in reverse order
  private final RpcServer server;
  private final String kvUrl;
  private final CountDownLatch closed = new CountDownLatch(1);

  private ControlProcess(List<AutoCloseable> resources, RpcServer server, String kvUrl) {
    this.resources = resources;
    this.server = server;
    this.kvUrl = kvUrl;
  }

  /** The keys of every role, so mgmtd checks config texts it distributes key by key. */
  static Map<NodeType, ConfigSchema> schemas() {
    return Map.of(NodeType.STORAGE, Roles.schema(null, "storage"), NodeType.MGMTD, Roles.schema(null, "control"),
        NodeType.META, Roles.schema(null, "control"), NodeType.FUSE, Roles.schema(null, "mount"));
  }

  static ControlProcess start(Config config) {
    return start(config, Optional.empty());
  }

  /**
   * Starts the process; with {@code adminTokenFile}, an empty store is first initialized (the cluster and its first
   * admin user, whose token goes to that file), as {@code catena up} does on a fresh data directory.
   */
  static ControlProcess start(Config config, Optional<Path> adminTokenFile) {
    LOG.info("effective configuration:\n{}", config.describe());
    List<AutoCloseable> res = new ArrayList<>();
    try {
      KvEngine kv = KvEngines.open(config.get(KvConfig.ENGINE_URL), config);
      res.add(kv);
      Clock clock = Clock.systemUTC();
      TransactionRunner runner = new TransactionRunner(kv, RetryPolicy.from(config), clock,
          RandomGenerator.of("L64X128MixRandom"));

      // Meta needs storage (for exact lengths and GC), storage needs routing, routing needs mgmtd's address, which
      // exists only once the RPC server is bound: meta starts with a forwarder filled in below.
      AtomicReference<ChunkStorage> storageRef = new AtomicReference<>();
      AtomicReference<MgmtdService> mgmtdRef = new AtomicReference<>();
      String clusterId = config.get(io.catena.mgmtd.MgmtdConfig.CLUSTER_ID);
      AtomicReference<RoutingCache> routingRef = new AtomicReference<>();
      KvMetaService meta = new KvMetaService(runner, clock, config,
          id -> routingRef.get() == null ? java.util.Optional.empty() : routingRef.get().current().latestChainTable(id),
          forwarding(storageRef, mgmtdRef, clusterId));
      long nodeId = config.get(ControlConfig.NODE_ID);
      if (adminTokenFile.isPresent()) {
        initializeOnce(kv, clusterId, adminTokenFile.get());
      }
      ClusterInit.requireInitialized(kv, clusterId);
      MgmtdService deferred = MgmtdRpcService.deferred(mgmtdRef, "mgmtd " + nodeId);
      RpcServer server = Rpc.server(config, Address.parse(config.get(ControlConfig.LISTEN)), List.of(
          MgmtdRpcService.definition(deferred), MetaRpcService.definition(meta, config)),
          ClusterAuthenticators.local(deferred, clusterId, MgmtdAccess::of, config));
      res.add(server);
      Address address = server.boundAddress();

      MgmtdServer mgmtd = new MgmtdServer(kv, clock, new SplittableRandom(), config, nodeId, address.toString(),
          schemas());
      res.add(mgmtd);
      mgmtdRef.set(mgmtd);
      mgmtd.start();
      meta.format(0755);

      RpcClient rpc = Rpc.client(config);
      res.add(rpc);
      MgmtdClient mgmtdClient = new MgmtdClient(rpc, List.of(address), clusterId, config);
      res.add(mgmtdClient);
      RoutingCache routing = new RoutingCache(mgmtdClient, config);
      res.add(routing);
      routing.start();
      routingRef.set(routing);
      StorageClient storage = new StorageClient(routing, rpc, config);
      res.add(storage);
      storageRef.set(new StorageChunkStorage(storage, routing));

      // Meta is a node too: clients find meta servers in the routing info.
      NodeAgent metaAgent = new NodeAgent(mgmtdClient, NodeType.META, config.get(ControlConfig.META_NODE_ID), address,
          System.currentTimeMillis(), List::of, cmd -> { }, new ConfigApplier(config), config, clock);
      res.add(metaAgent);
      metaAgent.start();

      ScheduledExecutorService workers = Executors.newScheduledThreadPool(1,
          Thread.ofPlatform().daemon().name("meta-background").factory());
      res.add(workers::shutdownNow);
      GarbageCollector gc = new GarbageCollector(meta.context());
      SessionPruner pruner = new SessionPruner(meta.context(), () -> mgmtdClient.service().listSessions(clusterId)
          .stream().map(ClientSession::clientId).collect(Collectors.toSet()));
      schedule(workers, "garbage collection", config.get(MetaConfig.GC_INTERVAL), gc::runOnce);
      schedule(workers, "session pruning", config.get(MetaConfig.PRUNE_INTERVAL), pruner::runOnce);

      LOG.info("control process serving mgmtd and meta on {} ({}), KV engine {}", address, server.transportName(),
          kv.url());
      return new ControlProcess(res, server, kv.url());
    } catch (RuntimeException e) {
      closeAll(res);
      throw e;
    }
  }

  /**
   * An empty store gets a cluster and its first admin user (uid 0), whose token every process of {@code catena up}
   * runs with and which the operator uses for {@code catena admin --data DIR ...}; an initialized one needs the file.
   */
  private static void initializeOnce(KvEngine kv, String clusterId, Path tokenFile) {
    if (ClusterInit.clusterOf(kv).isEmpty()) {
      String token = ClusterInit.initialize(kv, clusterId, new UserAccount(0, "root", 0, List.of(), true));
      AuthTokens.write(tokenFile, token);
      LOG.info("initialized cluster {}; the admin token is in {}", clusterId, tokenFile);
    } else if (!Files.exists(tokenFile)) {
      throw io.catena.common.CatenaException.of(io.catena.common.Errno.ENOENT, "%s is missing: the processes of"
          + " this cluster need the admin token kept there (restore it, or start over with an empty --data)",
          tokenFile);
    }
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

  /**
   * A ChunkStorage that forwards to the real one once it exists, failing retryably before. Space comes from mgmtd's
   * live view of its targets (what their last heartbeats said), not from a routing snapshot: capacity and usage
   * change without a new routing version, so a cached snapshot would show df numbers of long ago.
   */
  private static ChunkStorage forwarding(AtomicReference<ChunkStorage> ref, AtomicReference<MgmtdService> mgmtd,
      String clusterId) {
    return new ChunkStorage() {
      private ChunkStorage target() {
        ChunkStorage s = ref.get();
        if (s == null) {
          throw io.catena.common.CatenaException.retryable(io.catena.common.Errno.EAGAIN, "storage is not reachable yet");
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
      public long[] space() {
        MgmtdService m = mgmtd.get();
        ChunkStorage s = ref.get();
        try {
          if (m != null) {
            long capacity = 0;
            long used = 0;
            for (io.catena.common.cluster.TargetInfo t : m.listTargets(clusterId)) {
              capacity += t.capacityBytes();
              used += t.usedBytes();
            }
            return new long[] {capacity, Math.max(0, capacity - used)};
          }
        } catch (io.catena.common.CatenaException e) {
          LOG.debug("space from mgmtd unavailable ({}); using the routing snapshot", e.getMessage());
        }
        return s == null ? new long[] {0, 0} : s.space();
      }
    };
  }

  Address address() {
    return server.boundAddress();
  }

  String kvUrl() {
    return kvUrl;
  }

  void awaitClosed() throws InterruptedException {
    closed.await();
  }

  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    closeAll(resources);
    closed.countDown();
    LOG.info("control process stopped");
  }

  private static void closeAll(List<AutoCloseable> res) {
    for (int i = res.size() - 1; i >= 0; i--) {
      try {
        res.get(i).close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", res.get(i), e);
      }
    }
  }
}
