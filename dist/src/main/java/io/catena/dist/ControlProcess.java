package io.catena.dist;

import io.catena.common.Closeables;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.meta.server.MetaServer;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.auth.ClusterAuthenticators;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.server.ClusterInit;
import io.catena.mgmtd.server.ExportsFile;
import io.catena.mgmtd.server.ExportsService;
import io.catena.mgmtd.server.MgmtdAccess;
import io.catena.mgmtd.server.MgmtdRpcService;
import io.catena.mgmtd.server.MgmtdServer;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import io.catena.rpc.auth.AuthTokens;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;


/**
 * The control process: the KV store, the cluster manager (mgmtd) and the metadata service ({@link MetaServer})
 * behind one RPC address, as {@code catena up} runs them on one machine. Thread-safe: {@link #close} may race with
 * {@link #awaitClosed} and runs once.
 */
final class ControlProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlProcess.class);

  private final List<AutoCloseable> resources; // closed in reverse order
  private final RpcServer server;
  private final String kvUrl;
  private final MgmtdServer mgmtd;
  private final CountDownLatch closed = new CountDownLatch(1);

  private ControlProcess(List<AutoCloseable> resources, RpcServer server, String kvUrl, MgmtdServer mgmtd) {
    this.resources = resources;
    this.server = server;
    this.kvUrl = kvUrl;
    this.mgmtd = mgmtd;
  }

  /** The keys of every role, so mgmtd checks config texts it distributes key by key. */
  static Map<NodeType, ConfigSchema> schemas() {
    return Map.of(NodeType.STORAGE, Roles.schema(null, "storage"), NodeType.MGMTD, Roles.schema(null, "control"),
        NodeType.META, Roles.schema(null, "control"), NodeType.FUSE, Roles.schema(null, "mount"));
  }

  static ControlProcess start(Config config, MeterRegistry registry) {
    return start(config, Optional.empty(), registry);
  }

  /**
   * Starts the process; with {@code adminTokenFile}, an empty store is first initialized (the cluster and its first
   * admin user, whose token goes to that file), as {@code catena up} does on a fresh data directory.
   */
  static ControlProcess start(Config config, Optional<Path> adminTokenFile, MeterRegistry registry) {
    LOG.info("effective configuration:\n{}", config.describe());
    List<AutoCloseable> res = new ArrayList<>();
    try {
      KvEngine kv = KvEngines.open(config.get(KvConfig.ENGINE_URL), config);
      res.add(kv);
      Clock clock = Clock.systemUTC();
      String clusterId = config.get(MgmtdConfig.CLUSTER_ID);
      long nodeId = config.get(ControlConfig.NODE_ID);
      if (adminTokenFile.isPresent()) {
        initializeOnce(kv, clusterId, adminTokenFile.get());
      }
      ClusterInit.requireInitialized(kv, clusterId);
      MetaServer meta = new MetaServer(kv, config, clock, RandomGenerator.of("L64X128MixRandom"), registry);
      res.add(meta);
      // mgmtd must know its own address, which exists only once the RPC server is bound: bind with a forwarder.
      AtomicReference<MgmtdService> mgmtdRef = new AtomicReference<>();
      MgmtdService deferred = MgmtdRpcService.deferred(mgmtdRef, "mgmtd " + nodeId);
      ExportsFile exports = ExportsFile.open(config, clock);
      res.add(exports);
      List<io.catena.rpc.ServiceDefinition> services = new ArrayList<>(List.of(
          MgmtdRpcService.definition(deferred), meta.rpcDefinition(), meta.goalRpcDefinition(),
          ExportsService.definition(exports)));
      // The embedded store's checkpoints and change feed, for `catena metalogger` and `admin backup`.
      io.catena.metalogger.server.MetalogService.forEngine(kv, clock).ifPresent(m -> {
        services.add(m.definition());
        res.add(m);
      });
      RpcServer server = Rpc.server(config, Address.parse(config.get(ControlConfig.LISTEN)), services,
          ClusterAuthenticators.local(deferred, clusterId, MgmtdAccess::of, config), registry);
      res.add(server);
      Address address = server.boundAddress();

      MgmtdServer mgmtd = new MgmtdServer(kv, clock, new SplittableRandom(), config, nodeId, address.toString(),
          schemas(), registry);
      res.add(mgmtd);
      mgmtdRef.set(mgmtd);
      server.describeRole(() -> "control: mgmtd " + nodeId + (mgmtd.seemsPrimary() ? ", primary" : ", standby")
          + " + meta " + config.get(ControlConfig.META_NODE_ID));
      mgmtd.start();

      RpcClient rpc = Rpc.nodeClient(config, registry);
      res.add(rpc);
      MgmtdClient mgmtdClient = new MgmtdClient(rpc, List.of(address), clusterId, config);
      res.add(mgmtdClient);
      meta.start(address, config.get(ControlConfig.META_NODE_ID), mgmtdClient, mgmtd, rpc);
      // Closed before the RPC client it uses.
      res.remove(meta);
      res.add(meta);

      LOG.info("control process serving mgmtd and meta on {} ({}), KV engine {}", address, server.transportName(),
          kv.url());
      return new ControlProcess(res, server, kv.url(), mgmtd);
    } catch (RuntimeException e) {
      Closeables.closeReversed(res, LOG);
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
      throw CatenaException.of(Errno.ENOENT, "%s is missing: the processes of"
          + " this cluster need the admin token kept there (restore it, or start over with an empty --data)",
          tokenFile);
    }
  }

  Address address() {
    return server.boundAddress();
  }

  /** The cluster manager this process runs (the dashboard reads the cluster from it). */
  MgmtdService mgmtd() {
    return mgmtd;
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
    Closeables.closeReversed(resources, LOG);
    closed.countDown();
    LOG.info("control process stopped");
  }
}
