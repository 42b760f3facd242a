package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.common.config.Key;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.metrics.MetricsConfig;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.mgmtd.server.MgmtdServerConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.storage.client.StorageClient;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena up}: a whole single-machine cluster in the foreground: the control process (mgmtd + meta on the
 * embedded RocksDB engine) in this JVM, N storage processes, a chain table with replication R, and the FUSE mount.
 * Running it again on the same data directory brings every file back. Ctrl-C, SIGTERM or {@code catena down} stops it
 * all, mount first.
 */
@Command(name = "up", description = "Start a single-machine Catena cluster (control process, storage processes, "
    + "FUSE mount) in the foreground; Ctrl-C or `catena down` stops it.")
final class UpCommand implements Callable<Integer> {
  private static final Logger LOG = LoggerFactory.getLogger(UpCommand.class);
  static final String PID_FILE = "up.pid";
  /** The admin token of a cluster `up` created, mode 0600: `catena admin --data DIR` and every child use it. */
  static final String TOKEN_FILE = "admin.token";

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "./data",
      description = "where the cluster keeps its state (default: ${DEFAULT-VALUE})")
  Path data;

  @Option(names = "--mount", paramLabel = "DIR", description = "mount point (default: DATA/mnt)")
  Path mount;

  @Option(names = "--no-mount", description = "start the cluster without the FUSE mount")
  boolean noMount;

  @Option(names = "--storage-nodes", paramLabel = "N", defaultValue = "3", description = "default: ${DEFAULT-VALUE}")
  int storageNodes;

  @Option(names = "--replication", paramLabel = "R", defaultValue = "3", description = "default: ${DEFAULT-VALUE}")
  int replication;

  @Option(names = "--targets-per-node", paramLabel = "T", defaultValue = "4",
      description = "storage targets per node; chains = N*T/R (default: ${DEFAULT-VALUE})")
  int targetsPerNode;

  @Option(names = "--listen", paramLabel = "ADDRESS", defaultValue = "tcp://127.0.0.1:8000",
      description = "control process address (default: ${DEFAULT-VALUE})")
  String listen;

  @Option(names = "--ha", description = "the distributed control plane: 3 etcd members, 2 mgmtd, 2 meta (needs "
      + "etcd-server installed); the same --data must always be started with --ha")
  boolean ha;

  @Option(names = "--move-to-etcd", description = "with --ha, on the data directory of a single-machine cluster: "
      + "copy its store (DATA/control/kv) into the new etcd cluster (resumable, verified key by key), keep the old "
      + "store as DATA/control/kv.moved-to-etcd, and go on with --ha; every file stays")
  boolean moveToEtcd;

  /** Settings for a cluster that shares one machine: faster failure detection than many hosts need, inline stats. */
  private static final Map<Key<?>, String> SINGLE_MACHINE = Map.of(
      MgmtdConfig.HEARTBEAT_TIMEOUT, "10s",
      MgmtdServerConfig.PRIMARY_GRACE_PERIOD, "3s",
      MgmtdServerConfig.TICK_INTERVAL, "200ms",
      MgmtdClientConfig.HEARTBEAT_INTERVAL, "1s",
      // One machine's namespace fits RocksDB's block cache, so a stat never waits for the disk on an I/O thread:
      // mdbench stat/s through the mount 4.9-5.3k -> 5.7-7.6k (same machine, same hour).
      MetaConfig.RPC_INLINE_READS, "true",
      // Commits are acknowledged at the WAL write here (no fsync on the I/O thread): creates and removes skip two
      // thread hand-offs per meta call. bench meta over RPC, 1 client: creates 5.3-6.9k -> 7.8-8.3k/s, unlinks
      // 5.1-5.7k -> 6.1-7.8k/s; through the mount, 8 processes creating in one directory 1.1-1.5k -> 1.4-2.0k/s.
      MetaConfig.RPC_INLINE_WRITES, "true",
      // Every process pushes to the monitor in this process; the dashboard's "now" figures are this fresh.
      MetricsConfig.PUSH_INTERVAL, "5s");

  @Override
  public Integer call() throws Exception {
    if (storageNodes < 1 || replication < 1 || replication > storageNodes || targetsPerNode < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "need 1 <= --replication <= --storage-nodes and "
          + "--targets-per-node >= 1 (got R=" + replication + ", N=" + storageNodes + ", T=" + targetsPerNode + ")");
    }
    Path dir = data.toAbsolutePath().normalize();
    Files.createDirectories(dir.resolve("logs"));
    Path mnt = (mount != null ? mount : dir.resolve("mnt")).toAbsolutePath().normalize();
    if (moveToEtcd && !ha) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--move-to-etcd goes with --ha");
    }
    if (ha && !moveToEtcd && Files.exists(dir.resolve("control/kv"))) {
      throw new CommandLine.ParameterException(spec.commandLine(), dir + " holds a single-machine cluster (its "
          + "namespace is in control/kv): start it without --ha, or move it onto etcd with --ha --move-to-etcd");
    }
    if (moveToEtcd && !Files.exists(dir.resolve("control/kv"))) {
      throw new CommandLine.ParameterException(spec.commandLine(), dir + " holds no single-machine cluster to move "
          + "(no control/kv)");
    }
    if (!ha && Files.exists(dir.resolve("etcd-1"))) {
      throw new CommandLine.ParameterException(spec.commandLine(), dir + " holds a cluster on etcd: start it with "
          + "--ha");
    }
    // Held until this process ends (the kernel releases it even after kill -9).
    try (DataDirLock lock = DataDirLock.acquire(dir)) {
      if (ha) {
        return new HaUp(dir, moveToEtcd).run(extra -> configOptions.load(spec.commandLine(), "mount", extra),
            storageNodes, replication, targetsPerNode, mnt, noMount, spec.commandLine().getOut());
      }
      return single(dir, mnt);
    }
  }

  private int single(Path dir, Path mnt) throws Exception {
    Map<String, String> flags = new LinkedHashMap<>();
    for (var e : SINGLE_MACHINE.entrySet()) {
      if (!configOptions.sets.containsKey(e.getKey().name()) && System.getenv(e.getKey().envName()) == null) {
        flags.put(e.getKey().name(), e.getValue());
      }
    }
    Ports ports = new Ports(dir.resolve("ports.properties"));
    flags.put(ControlConfig.LISTEN.name(), ports.reuse("control", listen));
    flags.put(KvConfig.ENGINE_URL.name(), "rocksdb://" + dir.resolve("control/kv"));
    Path tokenFile = dir.resolve(TOKEN_FILE);
    flags.put(RpcConfig.AUTH_TOKEN_FILE.name(), tokenFile.toString());
    if (!configOptions.sets.containsKey(MetricsConfig.HTTP_LISTEN.name())
        && System.getenv(MetricsConfig.HTTP_LISTEN.envName()) == null) {
      // The dashboard keeps its address across restarts, as the processes keep theirs.
      flags.put(MetricsConfig.HTTP_LISTEN.name(), ports.reuseHostPort("control-http", "127.0.0.1:0"));
    }
    Config config = configOptions.load(spec.commandLine(), "control", flags);
    String clusterId = config.get(MgmtdConfig.CLUSTER_ID);
    PrintWriter out = spec.commandLine().getOut();

    ProcessMetrics metrics = startMetrics(config, flags);
    ControlProcess started;
    try {
      try {
        started = ControlProcess.start(config, Optional.of(tokenFile), metrics.registry());
      } catch (io.catena.common.CatenaException e) {
        if (e.errno() != io.catena.common.Errno.EADDRINUSE || config.get(ControlConfig.LISTEN).equals(listen)) {
          throw e;
        }
        // The port kept from the last run is taken now: fall back to what was asked for.
        LOG.warn("{}; starting on {} instead", e.getMessage(), listen);
        config = configOptions.load(spec.commandLine(), "control", withListen(flags, listen));
        started = ControlProcess.start(config, Optional.of(tokenFile), metrics.registry());
      }
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
    ControlProcess control = started;
    ports.save("control", control.address().port());
    List<ChildProcess> children = new ArrayList<>();
    List<AutoCloseable> observing = new ArrayList<>(List.of(metrics));
    Runnable shutdown = () -> stopAll(children, control, observing);
    Runtime.getRuntime().addShutdownHook(new Thread(shutdown, "catena-shutdown"));
    try {
      Address address = control.address();
      // Children get the client-side settings (their schemas refuse mgmtd's own keys).
      List<String> childSets = new ArrayList<>(List.of("--set", MgmtdClientConfig.HEARTBEAT_INTERVAL.name() + "="
          + io.catena.common.config.Durations.format(config.get(MgmtdClientConfig.HEARTBEAT_INTERVAL)),
          "--token-file", tokenFile.toString()));
      MonitorHost monitor = null;
      if (metrics.http().isPresent()) {
        monitor = MonitorHost.start(metrics, config, Optional.of(control.mgmtd()), clusterId);
        observing.add(0, monitor);
        ports.save("control-http", metrics.http().get().address().getPort());
        childSets.addAll(List.of("--set", MetricsConfig.PUSH_TO.name() + "=" + monitor.pushAddress(), "--set",
            MetricsConfig.PUSH_INTERVAL.name() + "="
                + io.catena.common.config.Durations.format(config.get(MetricsConfig.PUSH_INTERVAL))));
      }
      List<LocalNodes.StorageNode> nodes = LocalNodes.startStorage(dir, ports, storageNodes, address.toString(),
          clusterId, childSets, children);
      LocalNodes.bootstrap(config, List.of(address), clusterId, nodes, replication, targetsPerNode);
      String mountMetrics = "";
      if (!noMount) {
        mountMetrics = LocalNodes.startMount(dir, mnt, address.toString(), clusterId, childSets, children);
      }
      List<String> endpoints = new ArrayList<>();
      metrics.http().ifPresent(h -> endpoints.add(h.url()));
      nodes.stream().map(LocalNodes.StorageNode::metrics).filter(m -> !m.isEmpty()).forEach(endpoints::add);
      if (!mountMetrics.isEmpty()) {
        endpoints.add(mountMetrics);
      }
      PrometheusTargets.write(dir.resolve(PrometheusTargets.FILE), clusterId, endpoints);
      Files.writeString(dir.resolve(PID_FILE), Long.toString(ProcessHandle.current().pid()));
      out.println("Catena is up (single machine, cluster " + clusterId + ").");
      out.println("  control   " + address + "   mgmtd + meta, KV " + control.kvUrl() + " (" + metrics.describe()
          + ")");
      if (monitor != null) {
        out.println("  monitor   " + metrics.http().get().url() + "/   " + monitor.describe(config));
      }
      for (LocalNodes.StorageNode n : nodes) {
        out.println("  storage   " + n.address() + "   node " + n.nodeId() + ", data " + n.disk()
            + (n.metrics().isEmpty() ? "" : " (metrics " + n.metrics() + "/metrics)"));
      }
      out.println("  chains    " + Math.max(1, storageNodes * targetsPerNode / replication) + " chains of "
          + replication + " replicas (chain table " + ClusterBootstrap.TABLE_ID + ")");
      out.println("  goals     " + ClusterBootstrap.describeGoals(storageNodes, replication));
      if (!noMount) {
        out.println("  mount     " + mnt);
      }
      out.println("  prometheus " + dir.resolve(PrometheusTargets.FILE) + "   every /metrics endpoint (file_sd)");
      out.println("  logs      " + dir.resolve("logs"));
      out.println("Stop it with Ctrl-C, SIGTERM or: ./catena down --data " + data);
      out.flush();
    } catch (Exception | Error e) {
      shutdown.run();
      throw e;
    }
    control.awaitClosed();
    return 0;
  }

  private static Map<String, String> withListen(Map<String, String> flags, String listen) {
    Map<String, String> m = new LinkedHashMap<>(flags);
    m.put(ControlConfig.LISTEN.name(), listen);
    return m;
  }

  /** This process's registry and endpoint; with the endpoint's kept port taken, on a new port. */
  private ProcessMetrics startMetrics(Config config, Map<String, String> flags) {
    String node = config.get(ControlConfig.NODE_ID).toString();
    try {
      return ProcessMetrics.start("control", node, config, java.time.Clock.systemUTC())
          .buildInfo(VersionCommand.version());
    } catch (io.catena.common.CatenaException e) {
      if (e.errno() != io.catena.common.Errno.EADDRINUSE || !flags.containsKey(MetricsConfig.HTTP_LISTEN.name())) {
        throw e;
      }
      LOG.warn("{}; serving metrics on a new port", e.getMessage());
      Map<String, String> fresh = new LinkedHashMap<>(flags);
      fresh.put(MetricsConfig.HTTP_LISTEN.name(), "127.0.0.1:0");
      return ProcessMetrics.start("control", node, configOptions.load(spec.commandLine(), "control", fresh),
          java.time.Clock.systemUTC()).buildInfo(VersionCommand.version());
    }
  }

  private static void stopAll(List<ChildProcess> children, ControlProcess control, List<AutoCloseable> observing) {
    // Mount first (it unmounts on SIGTERM), then storage, then the control process they talk to, then the monitor.
    LocalNodes.stopAll(children);
    control.close();
    for (AutoCloseable c : observing) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.warn("closing {} failed", c, e);
      }
    }
  }
}
