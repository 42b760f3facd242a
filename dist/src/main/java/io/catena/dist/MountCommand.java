package io.catena.dist;

import io.catena.client.FileLayoutIo;
import io.catena.client.StorageChunkIo;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.fuse.FuseMount;
import io.catena.fuse.catena.CatenaFileSystem;
import io.catena.meta.client.MetaClient;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.client.StorageClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code catena mount MOUNTPOINT}: the FUSE client in the foreground. Namespace calls go to meta, data straight to
 * the storage chains; a session with mgmtd keeps this client's write sessions alive. SIGTERM (or
 * {@code catena umount}) unmounts.
 */
@Command(name = "mount", description = "Mount a Catena cluster at MOUNTPOINT with FUSE (runs in the foreground; "
    + "SIGTERM unmounts; `catena umount` clears a mount whose process died).")
final class MountCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(MountCommand.class);

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Parameters(index = "0", paramLabel = "MOUNTPOINT", description = "an existing empty directory")
  Path mountpoint;

  @Option(names = "--mgmtd", paramLabel = "ADDRESS", description = "mgmtd address (sets mgmtd.client.addresses; "
      + "default tcp://127.0.0.1:8000)")
  String mgmtd;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id")
  String clusterId;

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new LinkedHashMap<>();
    if (mgmtd != null) {
      flags.put(MgmtdClientConfig.ADDRESSES.name(), mgmtd);
    }
    if (clusterId != null) {
      flags.put(MgmtdClientConfig.CLUSTER_ID.name(), clusterId);
    }
    Config config = configOptions.load(spec.commandLine(), "mount", flags);
    if (!Files.isDirectory(mountpoint)) {
      throw CatenaException.of(Errno.ENOTDIR, "mount point %s is not a directory", mountpoint);
    }
    LOG.info("effective configuration:\n{}", config.describe());
    String cluster = config.get(MgmtdClientConfig.CLUSTER_ID);
    String clientId = "fuse-" + ProcessHandle.current().pid() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    try (RpcClient rpc = Rpc.client(config);
        MgmtdClient mgmtdClient = MgmtdClient.fromConfig(rpc, config);
        RoutingCache routing = new RoutingCache(mgmtdClient, config);
        StorageClient storage = new StorageClient(routing, rpc, config)) {
      routing.start();
      SessionRequest session = new SessionRequest(cluster, clientId, NodeType.FUSE,
          java.net.InetAddress.getLocalHost().getHostName(), "mount " + mountpoint.toAbsolutePath());
      mgmtdClient.service().extendSession(session);
      ScheduledExecutorService keepAlive = Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("session-keepalive").factory());
      long every = config.get(MgmtdClientConfig.HEARTBEAT_INTERVAL).toMillis();
      keepAlive.scheduleWithFixedDelay(() -> {
        try {
          mgmtdClient.service().extendSession(session);
        } catch (RuntimeException e) {
          LOG.warn("could not extend the client session with mgmtd: {}", e.toString());
        }
      }, every, every, TimeUnit.MILLISECONDS);
      try (MetaClient meta = MetaClient.create(config, metaServers(routing, config), clientId)) {
        CatenaFileSystem fs = new CatenaFileSystem(meta, new FileLayoutIo(new StorageChunkIo(storage), routing),
            clientId, config);
        FuseMount mount = FuseMount.mount(mountpoint, fs, config, "catena").closeOnShutdown();
        spec.commandLine().getOut().println("mounted catena on " + mountpoint.toAbsolutePath() + " (client "
            + clientId + ")");
        spec.commandLine().getOut().flush();
        mount.awaitUnmounted();
      } finally {
        keepAlive.shutdownNow();
        try {
          mgmtdClient.service().closeSession(cluster, clientId);
        } catch (RuntimeException e) {
          LOG.debug("closing the client session failed: {}", e.toString());
        }
      }
    }
    return 0;
  }

  /**
   * Meta servers from the routing info, then mgmtd's own addresses: a control process serves meta too, and a meta
   * entry in routing may still name a previous run's address until mgmtd notices it is gone.
   */
  private static List<Address> metaServers(RoutingCache routing, Config config) {
    java.util.LinkedHashSet<Address> all = new java.util.LinkedHashSet<>();
    routing.current().nodesOfType(NodeType.META).stream().filter(n -> n.status() == NodeStatus.ALIVE)
        .map(NodeInfo::address).map(Address::parse).forEach(all::add);
    config.get(MgmtdClientConfig.ADDRESSES).stream().map(Address::parse).forEach(all::add);
    return List.copyOf(all);
  }
}
