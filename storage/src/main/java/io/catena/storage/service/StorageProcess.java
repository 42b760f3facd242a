package io.catena.storage.service;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.auth.ClusterAuthenticators;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.NodeAgent;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.mgmtd.exports.ExportGuard;
import io.catena.mgmtd.exports.ExportsConfig;
import io.catena.mgmtd.exports.ExportsWatcher;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.SpaceInfo;
import io.catena.storage.StorageRoleConfig;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A storage node as a process ({@code catena storage}): the {@link StorageServer} on {@code storage.listen} with
 * routing from mgmtd's routing cache, and a {@link NodeAgent} that registers and heartbeats its targets' local
 * states (ARCHITECTURE §4.4): a target loaded from disk reports OFFLINE until mgmtd has shown it out of service
 * (so a restart is always noticed), then ONLINE, and UPTODATE only once it holds every committed write (created
 * here, serving again after being out, or synced). Thread-safe.
 */
public final class StorageProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StorageProcess.class);

  private final RpcClient rpc;
  private final MgmtdClient mgmtd;
  private final RoutingCache routing;
  private final StorageServer server;
  private final NodeAgent agent;
  private final ExportsWatcher watcher;
  private final CountDownLatch closed = new CountDownLatch(1);

  private StorageProcess(RpcClient rpc, MgmtdClient mgmtd, RoutingCache routing, StorageServer server,
      NodeAgent agent, ExportsWatcher watcher) {
    this.watcher = watcher;
    this.rpc = rpc;
    this.mgmtd = mgmtd;
    this.routing = routing;
    this.server = server;
    this.agent = agent;
  }

  /** Starts the node, counting everything it does in {@code registry} (the process's one registry). */
  public static StorageProcess start(Config config, io.micrometer.core.instrument.MeterRegistry registry) {
    LOG.info("effective configuration:\n{}", config.describe());
    long nodeId = config.get(StorageRoleConfig.NODE_ID);
    List<Path> disks = new ArrayList<>();
    for (String d : config.get(StorageRoleConfig.DISKS)) {
      if (!d.isBlank()) {
        disks.add(Path.of(d.trim()).toAbsolutePath().normalize());
      }
    }
    if (disks.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "no disks: set storage.disks (or --disk)");
    }
    Clock clock = Clock.systemUTC();
    RpcClient rpc = Rpc.nodeClient(config, registry);
    MgmtdClient mgmtd = null;
    RoutingCache routing = null;
    StorageServer server = null;
    NodeAgent agent = null;
    ExportsWatcher watcher = null;
    try {
      mgmtd = MgmtdClient.fromConfig(rpc, config);
      routing = new RoutingCache(mgmtd, config);
      routing.start();
      ExportGuard exports = new ExportGuard(clock);
      MgmtdClient m = mgmtd;
      watcher = ExportsWatcher.start(rpc, m::addresses, exports, config.get(ExportsConfig.REFRESH_INTERVAL));
      server = new StorageServer(config, Address.parse(config.get(StorageRoleConfig.LISTEN)), disks, routing,
          clock, ClusterAuthenticators.viaMgmtd(mgmtd, StorageAccess::of, config), registry, exports);
      StorageServer s = server;
      RoutingCache r = routing;
      agent = new NodeAgent(mgmtd, NodeType.STORAGE, nodeId, server.address(), System.currentTimeMillis(),
          () -> reports(s, r, nodeId), cmd -> command(s, cmd), new ConfigApplier(config), config, clock);
      agent.start();
      LOG.info("storage node {} serving {} targets on {}", nodeId, server.targets().all().size(), server.address());
      return new StorageProcess(rpc, mgmtd, routing, server, agent, watcher);
    } catch (RuntimeException e) {
      for (AutoCloseable c : new AutoCloseable[] {agent, server, watcher, routing, mgmtd}) {
        if (c != null) {
          try {
            c.close();
          } catch (Exception x) {
            e.addSuppressed(x);
          }
        }
      }
      rpc.close();
      throw e;
    }
  }

  private static List<TargetReport> reports(StorageServer s, RoutingCache r, long nodeId) {
    TargetAdopter.adopt(s.targets(), nodeId, r.current());
    List<TargetReport> out = new ArrayList<>();
    for (Target t : s.targets().all()) {
      long chainVersion = r.current().chain(t.chainId()).map(ChainInfo::version).orElse(0L);
      SpaceInfo sp = t.store().space();
      out.add(new TargetReport(t.targetId(), s.service().localState(t), chainVersion, sp.used(), sp.capacity()));
    }
    return out;
  }

  private static void command(StorageServer s, NodeCommand cmd) {
    if (cmd.kind() == NodeCommand.Kind.STOP_SERVING_TARGET) {
      s.targets().get(cmd.targetId()).ifPresent(t -> {
        LOG.warn("{}: mgmtd says stop serving ({})", t, cmd.reason());
        t.setUpToDate(false);
      });
    }
  }

  public Address address() {
    return server.address();
  }

  public StorageServer server() {
    return server;
  }

  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    agent.close();
    server.close();
    watcher.close();
    routing.close();
    mgmtd.close();
    rpc.close();
    closed.countDown();
  }
}
