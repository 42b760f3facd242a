package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.storage.StorageRoleConfig;
import io.catena.storage.service.StorageProcess;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code catena storage}: one storage node in the foreground until SIGTERM or Ctrl-C. Loads the targets found on
 * its disks, serves chunk I/O with CRAQ replication, and registers and heartbeats with mgmtd.
 */
@Command(name = "storage", description = "Run a storage node in the foreground.")
final class StorageCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Mixin
  ConfigOptions configOptions;

  @Option(names = "--node-id", paramLabel = "N", description = "sets storage.node_id")
  Long nodeId;

  @Option(names = "--listen", paramLabel = "ADDRESS", description = "sets storage.listen, e.g. tcp://127.0.0.1:9000")
  String listen;

  @Option(names = "--disk", paramLabel = "DIR", description = "a disk directory (repeatable, in disk-index order;"
      + " sets storage.disks)")
  List<String> disks;

  @Option(names = "--mgmtd", paramLabel = "ADDRESS", description = "an mgmtd address (repeatable; sets"
      + " mgmtd.client.addresses)")
  List<String> mgmtd;

  @Option(names = "--cluster-id", paramLabel = "ID", description = "sets cluster.id")
  String clusterId;

  Map<String, String> flagOverrides() {
    Map<String, String> m = new LinkedHashMap<>();
    if (nodeId != null) {
      m.put(StorageRoleConfig.NODE_ID.name(), Long.toString(nodeId));
    }
    if (listen != null) {
      m.put(StorageRoleConfig.LISTEN.name(), listen);
    }
    if (disks != null && !disks.isEmpty()) {
      m.put(StorageRoleConfig.DISKS.name(), disks.stream()
          .map(d -> Path.of(d).toAbsolutePath().normalize().toString()).collect(Collectors.joining(",")));
    }
    if (mgmtd != null && !mgmtd.isEmpty()) {
      m.put(MgmtdClientConfig.ADDRESSES.name(), String.join(",", mgmtd));
    }
    if (clusterId != null) {
      m.put(MgmtdClientConfig.CLUSTER_ID.name(), clusterId);
    }
    return m;
  }

  @Override
  public Integer call() throws InterruptedException {
    Config config = configOptions.load(spec.commandLine(), "storage", flagOverrides());
    ProcessMetrics metrics = ProcessMetrics.start("storage", config.get(StorageRoleConfig.NODE_ID).toString(),
        config, java.time.Clock.systemUTC()).buildInfo(VersionCommand.version());
    StorageProcess p;
    try {
      p = StorageProcess.start(config, metrics.registry());
    } catch (RuntimeException e) {
      metrics.close();
      throw e;
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      p.close();
      metrics.close();
    }, "catena-shutdown"));
    // One line `catena up` waits for: the RPC address, then the metrics endpoint in parentheses.
    spec.commandLine().getOut().println("storage " + config.get(StorageRoleConfig.NODE_ID) + " listening on "
        + p.address() + " (" + metrics.describe() + ")");
    spec.commandLine().getOut().flush();
    p.awaitClosed();
    return 0;
  }
}
