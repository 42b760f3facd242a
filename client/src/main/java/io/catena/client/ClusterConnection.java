package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Closeables;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.metrics.Meters;
import io.catena.common.net.Address;
import io.catena.common.retry.Sleeper;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClient;
import io.catena.meta.client.MetaServers;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.client.RoutingCache;
import io.catena.mgmtd.exports.ExportRule;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.storage.client.StorageClient;
import io.micrometer.core.instrument.MeterRegistry;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything a client of a Catena cluster holds, opened in one place: the RPC client (carrying the token of
 * {@code rpc.auth_token_file}), the mgmtd client (redirects, failover between {@code mgmtd.client.addresses}), the
 * routing cache, a client session with mgmtd kept alive in the background (meta prunes the write sessions of clients
 * whose session lapsed), the storage client, and a meta client that follows the meta servers routing lists. The FUSE
 * mount, the Java API ({@link CatenaClient#connect}), benchmarks and tests use it instead of wiring these by hand.
 * Thread-safe: every part is; {@link #close} closes them once, in reverse order, ending the session.
 */
public final class ClusterConnection implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ClusterConnection.class);

  private final Config config;
  private final String clientId;
  private final RpcClient rpc;
  private final MgmtdClient mgmtd;
  private final RoutingCache routing;
  private final StorageClient storage;
  private final MetaClient meta;
  private final FileLayoutIo io;
  private final ScheduledExecutorService keepAlive;
  private final List<AutoCloseable> resources;
  /** The meta directory this connection treats as its root ({@link ClientConfig#SUBDIR}). */
  private final long root;
  private boolean closed;

  private ClusterConnection(Config config, String clientId, RpcClient rpc, MgmtdClient mgmtd, RoutingCache routing,
      StorageClient storage, MetaClient meta, ScheduledExecutorService keepAlive, List<AutoCloseable> resources,
      ClientMetrics metrics, long root) {
    this.config = config;
    this.root = root;
    this.clientId = clientId;
    this.rpc = rpc;
    this.mgmtd = mgmtd;
    this.routing = routing;
    this.storage = storage;
    this.meta = meta;
    this.io = new FileLayoutIo(new StorageChunkIo(storage), routing, metrics);
    this.keepAlive = keepAlive;
    this.resources = resources;
  }

  /**
   * Connects as a client of {@code type} (FUSE for mounts and JVM programs), with a fresh client id that starts with
   * {@code idPrefix}; {@code description} tells operators what this client is (e.g. "mount /mnt/catena").
   */
  public static ClusterConnection open(Config config, NodeType type, String idPrefix, String description) {
    return open(config, type, idPrefix, description, Meters.discarding());
  }

  /** As above, counting RPC calls and write-behind in {@code registry} (a mount's one registry). */
  public static ClusterConnection open(Config config, NodeType type, String idPrefix, String description,
      MeterRegistry registry) {
    String clientId = idPrefix + "-" + ProcessHandle.current().pid() + "-"
        + Long.toHexString(ThreadLocalRandom.current().nextLong() >>> 16);
    List<AutoCloseable> res = new ArrayList<>();
    try {
      RpcClient rpc = Rpc.client(config, registry);
      res.add(rpc);
      MgmtdClient mgmtd = MgmtdClient.fromConfig(rpc, config);
      res.add(mgmtd);
      RoutingCache routing = new RoutingCache(mgmtd, config);
      res.add(routing);
      routing.start();
      StorageClient storage = new StorageClient(routing, rpc, config);
      res.add(storage);

      SessionRequest session = new SessionRequest(mgmtd.clusterId(), clientId, type, hostName(), description);
      mgmtd.service().extendSession(session);
      res.add(() -> {
        try {
          mgmtd.service().closeSession(mgmtd.clusterId(), clientId);
        } catch (RuntimeException e) {
          LOG.debug("closing the client session failed: {}", e.toString());
        }
      });
      ScheduledExecutorService keepAlive = Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("session-keepalive").factory());
      res.add(keepAlive::shutdownNow);
      long every = config.get(MgmtdClientConfig.HEARTBEAT_INTERVAL).toMillis();
      keepAlive.scheduleWithFixedDelay(() -> {
        try {
          mgmtd.service().extendSession(session);
        } catch (RuntimeException e) {
          LOG.warn("could not extend the client session with mgmtd: {}", e.toString());
        }
      }, every, every, TimeUnit.MILLISECONDS);

      // A control process serves meta on mgmtd's address: the fallback while routing lists no meta node.
      List<Address> fallback = config.get(MgmtdClientConfig.ADDRESSES).stream().map(Address::parse).toList();
      String subdir = subdir(config);
      MetaClient meta = new MetaClient(rpc, MetaServers.fromRouting(routing, fallback), clientId,
          MetaClient.Options.from(config), RandomGenerator.of("L64X128MixRandom"), Sleeper.system(), subdir);
      res.add(meta);
      long root = rootOf(meta, subdir);
      return new ClusterConnection(config, clientId, rpc, mgmtd, routing, storage, meta, keepAlive, res,
          new ClientMetrics(registry), root);
    } catch (RuntimeException e) {
      Closeables.closeReversed(res, LOG);
      throw e;
    }
  }

  /** {@code client.subdir} normalised ("/" when the config does not declare it); EINVAL when malformed. */
  static String subdir(Config config) {
    String s = config.schema().contains(ClientConfig.SUBDIR) ? config.get(ClientConfig.SUBDIR) : "/";
    try {
      return ExportRule.normalSubdir(s);
    } catch (IllegalArgumentException e) {
      throw CatenaException.of(Errno.EINVAL, "%s: %s", ClientConfig.SUBDIR.name(), e.getMessage());
    }
  }

  /**
   * The directory the mount shows as its root, resolved once. Meta resolves the same path (without following
   * symbolic links) to confine every call, so a missing path or a non-directory fails here, with its errno: the
   * mount fails instead of showing an empty tree.
   */
  private static long rootOf(MetaClient meta, String subdir) {
    if (subdir.equals("/")) {
      return MetaService.ROOT;
    }
    Inode dir;
    try {
      dir = meta.resolve(UserInfo.ROOT, MetaService.ROOT, subdir, true);
    } catch (CatenaException e) {
      throw CatenaException.of(e.errno(), "cannot mount subdirectory %s: %s", subdir, e.getMessage());
    }
    if (!dir.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "cannot mount subdirectory %s: not a directory", subdir);
    }
    return dir.id();
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (UnknownHostException e) {
      return "localhost";
    }
  }

  public Config config() {
    return config;
  }

  /** This client's session id with mgmtd: it names the client's write sessions and request ids. */
  public String clientId() {
    return clientId;
  }

  public RpcClient rpc() {
    return rpc;
  }

  public MgmtdClient mgmtd() {
    return mgmtd;
  }

  public RoutingCache routing() {
    return routing;
  }

  public StorageClient storage() {
    return storage;
  }

  public MetaClient meta() {
    return meta;
  }

  /** The subdirectory this connection mounted ({@code client.subdir}, "/" for the whole tree). */
  public String subdir() {
    return meta.subdir();
  }

  /** The meta inode of {@link #subdir()}: {@link MetaService#ROOT} for the whole tree. */
  public long root() {
    return root;
  }

  /** File data over the storage chains, split at chunk boundaries. */
  public FileLayoutIo io() {
    return io;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    keepAlive.shutdownNow();
    Closeables.closeReversed(resources, LOG);
  }
}
