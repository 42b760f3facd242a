package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.metrics.ProcessMetrics;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code catena control}: runs the control process in the foreground until SIGTERM or Ctrl-C. */
@Command(name = "control", description = "Run the control process (cluster manager and metadata host on the "
    + "embedded KV store) in the foreground.")
final class ControlCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "sets control.listen, e.g. tcp://127.0.0.1:8000")
  String listen;

  @Option(names = "--data", paramLabel = "DIR", description = "keep the KV store in DIR/kv (sets kv.engine_url)")
  String data;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id (the id init-cluster stamped on"
      + " the store)")
  String clusterId;

  Map<String, String> flagOverrides() {
    Map<String, String> m = new LinkedHashMap<>();
    if (clusterId != null) {
      m.put(io.catena.mgmtd.MgmtdConfig.CLUSTER_ID.name(), clusterId);
    }
    if (listen != null) {
      m.put(ControlConfig.LISTEN.name(), listen);
    }
    if (data != null) {
      m.put(io.catena.kv.KvConfig.ENGINE_URL.name(), "rocksdb://" + java.nio.file.Path.of(data).toAbsolutePath()
          .normalize().resolve("kv"));
    }
    return m;
  }

  @Override
  public Integer call() throws InterruptedException {
    Config config = configOptions.load(spec.commandLine(), "control", flagOverrides());
    runUntilStopped(config, p -> spec.commandLine().getOut().println("control process listening on " + p.address()));
    return 0;
  }

  /** Starts the process, reports it, and blocks until a signal stops it cleanly. */
  static void runUntilStopped(Config config, java.util.function.Consumer<ControlProcess> started)
      throws InterruptedException {
    ProcessMetrics metrics = ProcessMetrics.start("control", config.get(ControlConfig.NODE_ID).toString(), config,
        java.time.Clock.systemUTC()).buildInfo(VersionCommand.version());
    ControlProcess p;
    try {
      p = ControlProcess.start(config, metrics.registry());
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
    Thread hook = new Thread(() -> {
      p.close();
      metrics.close();
    }, "catena-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    started.accept(p);
    System.out.println(metrics.describe());
    System.out.flush();
    p.awaitClosed();
  }
}
