package io.catena.dist;

import io.catena.client.ClusterConnection;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.fuse.FuseMount;
import io.catena.fuse.catena.CatenaFileSystem;
import io.catena.metrics.ProcessMetrics;
import io.catena.mgmtd.client.MgmtdClientConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
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

  @Option(names = "--clear-stale", description = "first detach a dead FUSE mount at MOUNTPOINT, left by a daemon "
      + "that died (as `catena umount` does); a live mount answers and is never touched (for restarting containers)")
  boolean clearStale;

  @Option(names = "--subdir", paramLabel = "PATH", description = "mount this directory of the file system as the "
      + "mount's root (sets client.subdir; MooseFS's mfssubfolder): nothing above it is reachable, and export rules "
      + "decide who may mount it (docs/exports.md)")
  String subdir;

  @Option(names = "--mkdir", description = "create MOUNTPOINT (and missing parents) if it does not exist")
  boolean mkdir;

  @Override
  public Integer call() throws Exception {
    Map<String, String> flags = new LinkedHashMap<>();
    if (mgmtd != null) {
      flags.put(MgmtdClientConfig.ADDRESSES.name(), mgmtd);
    }
    if (clusterId != null) {
      flags.put(MgmtdClientConfig.CLUSTER_ID.name(), clusterId);
    }
    if (subdir != null) {
      flags.put(io.catena.client.ClientConfig.SUBDIR.name(), subdir);
    }
    Config config = configOptions.load(spec.commandLine(), "mount", flags);
    if (clearStale && !Files.isDirectory(mountpoint)) {
      // A dead FUSE connection answers ENOTCONN, so the directory test fails; forceUnmount refuses anything but a
      // FUSE mount, and reports what else it finds (no such path, not a mount point) through the check below.
      try {
        FuseMount.forceUnmount(mountpoint);
        LOG.info("cleared a dead FUSE mount at {}", mountpoint.toAbsolutePath());
      } catch (CatenaException e) {
        LOG.debug("nothing to clear at {}: {}", mountpoint, e.getMessage());
      }
    }
    if (mkdir && !Files.exists(mountpoint, LinkOption.NOFOLLOW_LINKS)) {
      try {
        Files.createDirectories(mountpoint);
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "cannot create mount point %s: %s", mountpoint, e.getMessage());
      }
    }
    if (!Files.isDirectory(mountpoint)) {
      throw CatenaException.of(Errno.ENOTDIR, "mount point %s is not a directory", mountpoint);
    }
    LOG.info("effective configuration:\n{}", config.describe());
    // A mount is named by its mount point: what the dashboard matches with the client session's description.
    String where = mountpoint.toAbsolutePath().normalize().toString();
    try (ProcessMetrics metrics = ProcessMetrics.start("mount", where, config, java.time.Clock.systemUTC())
            .buildInfo(VersionCommand.version());
        ClusterConnection cluster = ClusterConnection.open(config, NodeType.FUSE, "fuse", "mount " + where,
            metrics.registry())) {
      // Export rules refuse a client whose address no rule matches, or whose subdirectory no rule for it admits
      // (EACCES): say so now, not at the first ls.
      cluster.meta().getattr(io.catena.meta.UserInfo.ROOT, cluster.root());
      CatenaFileSystem fs = new CatenaFileSystem(cluster.meta(), cluster.io(), cluster.clientId(), config,
          cluster.root());
      fs.bindMetrics(metrics.registry());
      FuseMount mount = FuseMount.mount(mountpoint, fs, config, "catena",
          new io.catena.fuse.kernel.FuseMetrics(metrics.registry())).closeOnShutdown();
      spec.commandLine().getOut().println("mounted catena on " + mountpoint.toAbsolutePath() + " ("
          + (cluster.subdir().equals("/") ? "" : "subdirectory " + cluster.subdir() + ", ") + "client "
          + cluster.clientId() + ", " + metrics.describe() + ")");
      spec.commandLine().getOut().flush();
      mount.awaitUnmounted();
    }
    return 0;
  }
}
