package io.catena.dist;

import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.server.MgmtdProcess;
import io.catena.mgmtd.server.MgmtdRoleConfig;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena mgmtd}: one cluster manager in the foreground until SIGTERM or Ctrl-C. With the embedded RocksDB
 * engine it is the only mgmtd of its cluster (one process per store); several mgmtd instances fail over when they
 * share a distributed KV engine.
 */
@Command(name = "mgmtd", mixinStandardHelpOptions = true, description = "Run a cluster manager (mgmtd) in the foreground.")
final class MgmtdCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "sets mgmtd.listen, e.g. tcp://127.0.0.1:8000")
  String listen;

  @Option(names = "--data", paramLabel = "DIR", description = "keep the KV store in DIR/kv (sets kv.engine_url)")
  String data;

  @Option(names = "--kv", paramLabel = "URL", description = "a shared KV store, e.g. etcd://h1:2379,h2:2379/catena "
      + "(sets kv.engine_url; several mgmtd on one store: one is primary, the others stand by)")
  String kv;

  @Option(names = "--node-id", paramLabel = "N", description = "sets mgmtd.node_id")
  Long nodeId;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id")
  String clusterId;

  Map<String, String> flagOverrides() {
    Map<String, String> m = new LinkedHashMap<>();
    if (listen != null) {
      m.put(MgmtdRoleConfig.LISTEN.name(), listen);
    }
    if (data != null && kv != null) {
      throw new CommandLine.ParameterException(spec.commandLine(), "give --data (embedded store) or --kv, not both");
    }
    if (data != null) {
      m.put(KvConfig.ENGINE_URL.name(), "rocksdb://" + Path.of(data).toAbsolutePath().normalize().resolve("kv"));
    }
    if (kv != null) {
      m.put(KvConfig.ENGINE_URL.name(), kv);
    }
    if (nodeId != null) {
      m.put(MgmtdRoleConfig.NODE_ID.name(), Long.toString(nodeId));
    }
    if (clusterId != null) {
      m.put(MgmtdConfig.CLUSTER_ID.name(), clusterId);
    }
    return m;
  }

  @Override
  public Integer call() throws InterruptedException {
    Config config = configOptions.load(spec.commandLine(), "mgmtd", flagOverrides());
    ProcessMetrics metrics = ProcessMetrics.start("mgmtd", config.get(MgmtdRoleConfig.NODE_ID).toString(), config,
        java.time.Clock.systemUTC()).buildInfo(VersionCommand.version());
    MgmtdProcess p;
    try {
      p = MgmtdProcess.start(config, otherSchemas(), metrics.registry());
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      p.close();
      metrics.close();
    }, "catena-shutdown"));
    spec.commandLine().getOut().println("mgmtd " + p.server().nodeId() + " listening on " + p.address() + " ("
        + metrics.describe() + ")");
    spec.commandLine().getOut().flush();
    p.awaitClosed();
    return 0;
  }

  /** The keys of the roles the launcher knows, so mgmtd checks their config texts key by key. */
  private Map<NodeType, ConfigSchema> otherSchemas() {
    Map<NodeType, ConfigSchema> m = new EnumMap<>(NodeType.class);
    Map<String, NodeType> roles = Map.of("meta", NodeType.META, "storage", NodeType.STORAGE, "mount", NodeType.FUSE,
        "mgmtd", NodeType.MGMTD);
    for (String role : new Roles.Names()) {
      NodeType t = roles.get(role);
      if (t != null) {
        m.put(t, Roles.schema(spec.commandLine(), role));
      }
    }
    return m;
  }
}
