package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.kv.KvConfig;
import io.catena.meta.server.MetaProcess;
import io.catena.meta.server.MetaRoleConfig;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.client.MgmtdClientConfig;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena meta}: one metadata server in the foreground until SIGTERM or Ctrl-C. Meta is stateless: any number
 * of them serve one cluster when they share a distributed KV engine (etcd); each registers with mgmtd, so clients
 * find all of them in the routing info.
 */
@Command(name = "meta", mixinStandardHelpOptions = true,
    description = "Run a metadata server (meta) in the foreground, on a shared KV engine.")
final class MetaCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "sets meta.listen, e.g. tcp://127.0.0.1:8100")
  String listen;

  @Option(names = "--kv", paramLabel = "URL", description = "sets kv.engine_url, e.g. etcd://127.0.0.1:2379/catena")
  String kv;

  @Option(names = "--mgmtd", paramLabel = "ADDRESSES", description = "sets mgmtd.client.addresses (comma-separated)")
  String mgmtd;

  @Option(names = "--node-id", paramLabel = "N", description = "sets meta.node_id")
  Long nodeId;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id")
  String clusterId;

  Map<String, String> flagOverrides() {
    Map<String, String> m = new LinkedHashMap<>();
    if (listen != null) {
      m.put(MetaRoleConfig.LISTEN.name(), listen);
    }
    if (kv != null) {
      m.put(KvConfig.ENGINE_URL.name(), kv);
    }
    if (mgmtd != null) {
      m.put(MgmtdClientConfig.ADDRESSES.name(), mgmtd);
    }
    if (nodeId != null) {
      m.put(MetaRoleConfig.NODE_ID.name(), Long.toString(nodeId));
    }
    if (clusterId != null) {
      m.put(MgmtdConfig.CLUSTER_ID.name(), clusterId);
    }
    return m;
  }

  @Override
  public Integer call() throws InterruptedException {
    Config config = configOptions.load(spec.commandLine(), "meta", flagOverrides());
    ProcessMetrics metrics = ProcessMetrics.start("meta", config.get(MetaRoleConfig.NODE_ID).toString(), config,
        java.time.Clock.systemUTC()).buildInfo(VersionCommand.version());
    MetaProcess p;
    try {
      p = MetaProcess.start(config, metrics.registry());
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      p.close();
      metrics.close();
    }, "catena-shutdown"));
    spec.commandLine().getOut().println("meta " + config.get(MetaRoleConfig.NODE_ID) + " listening on "
        + p.address() + " (" + metrics.describe() + ")");
    spec.commandLine().getOut().flush();
    p.awaitClosed();
    return 0;
  }
}
