package io.catena.mgmtd.server;

import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.auth.ClusterAuthenticators;
import io.catena.mgmtd.server.MgmtdRoleConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcServer;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One standalone mgmtd: the KV engine ({@code kv.engine_url}, which {@link ClusterInit} must have initialized), an
 * {@link MgmtdServer} ticking on the system clock, and an RPC server offering {@link MgmtdRpcService} to callers
 * with a valid token ({@link MgmtdAccess}). Several mgmtd processes fail over only if they share one KV
 * store: the embedded RocksDB engine can be opened by one process at a time, so with it there is exactly one mgmtd
 * (failover needs a distributed engine; it is tested in-process with several MgmtdServers on one engine).
 *
 * <p>Thread-safe: {@link #close} may race with {@link #awaitClosed} and runs once.
 */
public final class MgmtdProcess implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MgmtdProcess.class);

  private final KvEngine kv;
  private final MgmtdServer server;
  private final RpcServer rpc;
  private final CountDownLatch closed = new CountDownLatch(1);

  private final ExportsFile exports;

  private MgmtdProcess(KvEngine kv, MgmtdServer server, RpcServer rpc, ExportsFile exports) {
    this.exports = exports;
    this.kv = kv;
    this.server = server;
    this.rpc = rpc;
  }

  /**
   * Opens the store, binds {@code mgmtd.listen} and starts serving.
   *
   * @param schemas config schemas of other node types, so config texts for them are checked key by key
   */
  public static MgmtdProcess start(Config config, Map<NodeType, ConfigSchema> schemas,
      io.micrometer.core.instrument.MeterRegistry registry) {
    log.info("effective configuration:\n{}", config.describe());
    long nodeId = config.get(MgmtdRoleConfig.NODE_ID);
    KvEngine kv = KvEngines.open(config.get(KvConfig.ENGINE_URL), config);
    RpcServer rpc = null;
    MgmtdServer server = null;
    ExportsFile exports = null;
    try {
      exports = ExportsFile.open(config, Clock.systemUTC());
      // The server must know its real address (port 0 picks one at bind), and the RPC server needs the service
      // at bind time: bind with a forwarder first, and answer "starting" until the server exists.
      String clusterId = config.get(MgmtdConfig.CLUSTER_ID);
      ClusterInit.requireInitialized(kv, clusterId);
      AtomicReference<MgmtdService> target = new AtomicReference<>();
      MgmtdService deferred = MgmtdRpcService.deferred(target, "mgmtd " + nodeId);
      rpc = Rpc.server(config, Address.parse(config.get(MgmtdRoleConfig.LISTEN)),
          List.of(MgmtdRpcService.definition(deferred), ExportsService.definition(exports)),
          ClusterAuthenticators.local(deferred, clusterId, MgmtdAccess::of, config), registry);
      server = new MgmtdServer(kv, Clock.systemUTC(), new SplittableRandom(), config, nodeId,
          rpc.boundAddress().toString(), schemas, registry);
      target.set(server);
      MgmtdServer started = server;
      rpc.describeRole(() -> "mgmtd " + nodeId + (started.seemsPrimary() ? ", primary" : ", standby"));
      server.start();
      log.info("mgmtd {} serving on {} ({}), KV engine {}", nodeId, rpc.boundAddress(), rpc.transportName(),
          kv.url());
      return new MgmtdProcess(kv, server, rpc, exports);
    } catch (RuntimeException e) {
      if (rpc != null) {
        rpc.close();
      }
      if (server != null) {
        server.close();
      }
      if (exports != null) {
        exports.close();
      }
      kv.close();
      throw e;
    }
  }

  public Address address() {
    return rpc.boundAddress();
  }

  public MgmtdServer server() {
    return server;
  }

  public String kvUrl() {
    return kv.url();
  }

  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  /** Stops serving (in-flight calls finish within rpc.shutdown_grace), stops ticking, closes the store. */
  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    try {
      rpc.close();
      exports.close();
    } finally {
      try {
        server.close();
      } finally {
        kv.close();
        closed.countDown();
        log.info("mgmtd {} stopped", server.nodeId());
      }
    }
  }
}
