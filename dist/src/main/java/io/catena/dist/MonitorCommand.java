package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.metrics.MetricsConfig;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.monitor.MonitorConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena monitor}: the monitor role in the foreground: every process of the cluster pushes its samples here
 * (their monitor.push_to), which writes them to ClickHouse when monitor.clickhouse.url is set and serves the
 * dashboard, reading the cluster from mgmtd. Runs until SIGTERM or Ctrl-C.
 */
@Command(name = "monitor", description = "Run the monitor: collects every process's metrics (pushed to it), writes "
    + "them to ClickHouse and serves the cluster dashboard.")
final class MonitorCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--listen", paramLabel = "HOST:PORT", description = "sets monitor.http_listen: where processes "
      + "push and the dashboard is served, e.g. 127.0.0.1:9400")
  String listen;

  @Option(names = "--mgmtd", paramLabel = "ADDRESS", description = "an mgmtd address for the dashboard (repeatable; "
      + "sets mgmtd.client.addresses)")
  List<String> mgmtd;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id")
  String clusterId;

  @Option(names = "--clickhouse", paramLabel = "URL", description = "sets monitor.clickhouse.url, e.g. "
      + "http://127.0.0.1:8123")
  String clickHouse;

  @Override
  public Integer call() throws InterruptedException {
    Map<String, String> flags = new LinkedHashMap<>();
    if (listen != null) {
      flags.put(MetricsConfig.HTTP_LISTEN.name(), listen);
    }
    if (mgmtd != null && !mgmtd.isEmpty()) {
      flags.put(MgmtdClientConfig.ADDRESSES.name(), String.join(",", mgmtd));
    }
    if (clusterId != null) {
      flags.put(MgmtdClientConfig.CLUSTER_ID.name(), clusterId);
    }
    if (clickHouse != null) {
      flags.put(MonitorConfig.CLICKHOUSE_URL.name(), clickHouse);
    }
    Config config = configOptions.load(spec.commandLine(), "monitor", flags);
    ProcessMetrics metrics = ProcessMetrics.start("monitor", "monitor", config, Clock.systemUTC())
        .buildInfo(VersionCommand.version());
    RpcClient rpc = Rpc.client(config, metrics.registry());
    MgmtdClient client = MgmtdClient.fromConfig(rpc, config);
    MonitorHost host;
    try {
      host = MonitorHost.start(metrics, config, Optional.of(client.service()), client.clusterId());
    } catch (RuntimeException e) {
      client.close();
      rpc.close();
      metrics.close();
      throw e;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      host.close();
      client.close();
      rpc.close();
      metrics.close();
      stopped.countDown();
    }, "catena-shutdown"));
    spec.commandLine().getOut().println("monitor listening on " + metrics.http().orElseThrow().url() + " ("
        + host.describe(config) + ")");
    spec.commandLine().getOut().flush();
    stopped.await();
    return 0;
  }
}
