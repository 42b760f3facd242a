package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.metrics.MetricsConfig;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.client.StorageClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The processes both kinds of {@code catena up} start as children on this machine: storage nodes (each keeping its
 * port across restarts), the chain table bootstrap, and the FUSE mount. Not thread-safe: the starting thread uses it.
 */
final class LocalNodes {
  private static final Logger LOG = LoggerFactory.getLogger(LocalNodes.class);
  private static final Pattern STORAGE_READY = Pattern.compile("storage \\d+ listening on (tcp://\\S+).*");
  private static final Pattern MOUNT_READY = Pattern.compile("mounted catena on .* \\(client .*");
  /** The metrics endpoint a role prints beside its address: "(metrics http://host:port/metrics)". */
  private static final Pattern METRICS = Pattern.compile("metrics (http://\\S+)/metrics");

  /** A storage node that runs: its node id, address, data directory and metrics endpoint ("" when off). */
  record StorageNode(long nodeId, String address, Path disk, String metrics) {}

  private LocalNodes() {}

  /**
   * Starts {@code count} storage processes (node ids 10001...) with data under {@code dir/storage-N}, talking to
   * {@code mgmtd} (comma-separated addresses); each is added to {@code children} as soon as it runs.
   */
  static List<StorageNode> startStorage(Path dir, Ports ports, int count, String mgmtd, String clusterId,
      List<String> childSets, List<ChildProcess> children) throws InterruptedException {
    // All start at once (JVM start-up dominates and overlaps); each is then awaited in turn.
    List<ChildProcess> started = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "storage-" + (i + 1);
      ChildProcess c = startOne(dir, i, ports.reuse(name, "tcp://127.0.0.1:0"),
          ports.reuseHostPort(name + "-http", "127.0.0.1:0"), mgmtd, clusterId, childSets);
      children.add(c);
      started.add(c);
    }
    List<StorageNode> nodes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String name = "storage-" + (i + 1);
      ChildProcess c = started.get(i);
      java.util.regex.Matcher line;
      try {
        line = c.awaitLine(STORAGE_READY, Duration.ofSeconds(60));
      } catch (CatenaException e) {
        // A storage node keeps its port across restarts, so mgmtd sees the same node at the same address; if that
        // port is taken now, a new one (mgmtd then learns the new address at registration).
        children.remove(c);
        c.stop(Duration.ofSeconds(5));
        LOG.warn("{} could not start on its previous address: {}; trying a new port", name, e.getMessage());
        ChildProcess again = startOne(dir, i, "tcp://127.0.0.1:0", "127.0.0.1:0", mgmtd, clusterId, childSets);
        children.add(again);
        line = again.awaitLine(STORAGE_READY, Duration.ofSeconds(60));
      }
      String ready = line.group(1);
      String metrics = metricsOf(line.group());
      ports.save(name, Address.parse(ready).port());
      if (!metrics.isEmpty()) {
        ports.save(name + "-http", java.net.URI.create(metrics).getPort());
      }
      nodes.add(new StorageNode(10001 + i, ready, dir.resolve(name), metrics));
    }
    return nodes;
  }

  private static ChildProcess startOne(Path dir, int i, String bind, String httpBind, String mgmtd,
      String clusterId, List<String> childSets) {
    String name = "storage-" + (i + 1);
    List<String> args = new ArrayList<>(List.of("storage", "--node-id", Long.toString(10001 + i), "--listen", bind,
        "--disk", dir.resolve(name).toString(), "--mgmtd", mgmtd, "--cluster-id", clusterId));
    args.addAll(childSets);
    args.addAll(List.of("--set", MetricsConfig.HTTP_LISTEN.name() + "=" + httpBind));
    return ChildProcess.start(name, dir.resolve("logs/" + name + ".log"), args);
  }

  /** Creates targets, chains and the chain table once (a restart finds them); waits until chains serve. */
  static void bootstrap(Config config, List<Address> mgmtd, String clusterId, List<StorageNode> nodes,
      int replication, int targetsPerNode) throws InterruptedException {
    try (RpcClient rpc = Rpc.client(config);
        MgmtdClient client = new MgmtdClient(rpc, mgmtd, clusterId, config);
        RoutingCache routing = new RoutingCache(client, config);
        StorageClient storage = new StorageClient(routing, rpc, config)) {
      ClusterBootstrap.ensure(client.service(), clusterId, routing, storage,
          nodes.stream().map(StorageNode::nodeId).toList(), replication, targetsPerNode, Duration.ofSeconds(120));
    }
  }

  /** Starts the FUSE mount at {@code mnt}, waits until it is mounted, returns its metrics endpoint ("" if off). */
  static String startMount(Path dir, Path mnt, String mgmtd, String clusterId, List<String> childSets,
      List<ChildProcess> children) throws Exception {
    Files.createDirectories(mnt);
    List<String> args = new ArrayList<>(List.of("mount", mnt.toString(), "--mgmtd", mgmtd, "--cluster-id",
        clusterId));
    args.addAll(childSets);
    ChildProcess m = ChildProcess.start("mount", dir.resolve("logs/mount.log"), args);
    children.add(m);
    // The ready line is "mounted catena on DIR (client ID, metrics URL/metrics)".
    return metricsOf(m.awaitLine(MOUNT_READY, Duration.ofSeconds(60)).group());
  }

  private static String metricsOf(String line) {
    java.util.regex.Matcher m = METRICS.matcher(line);
    return m.find() ? m.group(1) : "";
  }

  /** Stops children in reverse start order (the mount first: it unmounts on SIGTERM). */
  static void stopAll(List<ChildProcess> children) {
    for (int i = children.size() - 1; i >= 0; i--) {
      try {
        children.get(i).stop(Duration.ofSeconds(20));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        LOG.warn("stopping a child failed", e);
      }
    }
  }
}
