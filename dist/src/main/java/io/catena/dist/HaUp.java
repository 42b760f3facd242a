package io.catena.dist;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvCopy;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.server.ClusterInit;
import io.catena.mgmtd.server.MgmtdServerConfig;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.auth.AuthTokens;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code catena up --ha}: the distributed control plane on one machine, every part its own process and restarted by
 * a {@link Supervisor} when it dies: a three-member
 * etcd cluster (the installed {@code etcd} binary, data under {@code DATA/etcd-N}) holding the cluster state and the
 * namespace, two mgmtd (one primary by lease, the other redirecting and taking over when the lease lapses), two meta
 * servers (both serving), the storage nodes and the mount, which are given both mgmtd addresses and learn both meta
 * servers from routing. No process is a single point of failure. Ports are chosen once and kept in
 * {@code DATA/ports.properties} (etcd members know each other by them). Thread-safe: one launcher thread starts it,
 * the shutdown hook may stop it concurrently (the child list is a synchronized list).
 */
final class HaUp {
  private static final Logger LOG = LoggerFactory.getLogger(HaUp.class);
  static final int ETCD_MEMBERS = 3;
  static final int MGMTD_COUNT = 2;
  static final int META_COUNT = 2;
  static final String ETCD_PREFIX = "catena";
  private static final Pattern MGMTD_READY = Pattern.compile("mgmtd \\d+ listening on (tcp://\\S+)");
  private static final Pattern META_READY = Pattern.compile("meta \\d+ listening on (tcp://\\S+)");

  /** Settings for processes that share one machine: quick failure detection and failover. */
  private static final List<String> MGMTD_SETS = List.of(
      MgmtdConfig.HEARTBEAT_TIMEOUT.name() + "=10s",
      MgmtdServerConfig.PRIMARY_GRACE_PERIOD.name() + "=3s",
      MgmtdServerConfig.TICK_INTERVAL.name() + "=200ms",
      // A kill -9'd primary is replaced once its lease lapses: 5 s keeps the outage well under the 15 s target.
      MgmtdServerConfig.LEASE_DURATION.name() + "=5s",
      MgmtdServerConfig.LEASE_RENEW_INTERVAL.name() + "=1s");

  private final Path dir;
  private final Ports ports;
  /** Everything started and not (yet) supervised: all of it while starting, then the mount alone. */
  private final List<ChildProcess> children = java.util.Collections.synchronizedList(new ArrayList<>());
  private final Supervisor supervisor = new Supervisor(java.time.Clock.systemUTC());
  private final CountDownLatch stopped = new CountDownLatch(1);

  private final boolean moveFromEmbedded;

  /** @param moveFromEmbedded copy a single-machine cluster's store (DATA/control/kv) into etcd first */
  HaUp(Path dir, boolean moveFromEmbedded) {
    this.dir = dir;
    this.moveFromEmbedded = moveFromEmbedded;
    this.ports = new Ports(dir.resolve("ports.properties"));
  }

  /** Starts everything, prints what runs where, and waits until stopped (SIGTERM, Ctrl-C, `catena down`). */
  int run(Function<Map<String, String>, Config> load, int storageNodes, int replication, int targetsPerNode,
      Path mnt, boolean noMount, PrintWriter out) throws Exception {
    Config base = load.apply(Map.of());
    String clusterId = base.get(MgmtdConfig.CLUSTER_ID);
    Runtime.getRuntime().addShutdownHook(new Thread(this::stop, "catena-shutdown"));
    try {
      List<String> etcdClients = startEtcd();
      String kvUrl = "etcd://" + String.join(",", etcdClients) + "/" + ETCD_PREFIX;
      Path tokenFile = dir.resolve(UpCommand.TOKEN_FILE);
      if (moveFromEmbedded) {
        moveFromEmbedded(kvUrl, base, out);
      }
      initializeOnce(kvUrl, base, clusterId, tokenFile);

      List<String> common = List.of("--token-file", tokenFile.toString(), "--cluster-id", clusterId);
      List<ChildProcess> mgmtds = new ArrayList<>();
      for (int i = 1; i <= MGMTD_COUNT; i++) {
        String name = "mgmtd-" + i;
        List<String> args = new ArrayList<>(List.of("mgmtd", "--node-id", Integer.toString(i), "--listen",
            "tcp://127.0.0.1:" + port(name), "--set", KvConfig.ENGINE_URL.name() + "=" + kvUrl));
        args.addAll(common);
        MGMTD_SETS.forEach(s -> args.addAll(List.of("--set", s)));
        mgmtds.add(startRole(name, args));
      }
      List<String> mgmtdAddrs = awaitAll(mgmtds, MGMTD_READY);
      String mgmtd = String.join(",", mgmtdAddrs);
      List<ChildProcess> metas = new ArrayList<>();
      for (int i = 1; i <= META_COUNT; i++) {
        String name = "meta-" + i;
        List<String> args = new ArrayList<>(List.of("meta", "--node-id", Integer.toString(99 + i), "--listen",
            "tcp://127.0.0.1:" + port(name), "--kv", kvUrl, "--mgmtd", mgmtd, "--set",
            MgmtdClientConfig.HEARTBEAT_INTERVAL.name() + "=1s"));
        args.addAll(common);
        metas.add(startRole(name, args));
      }
      List<String> metaAddrs = awaitAll(metas, META_READY);
      List<String> childSets = List.of("--set", MgmtdClientConfig.HEARTBEAT_INTERVAL.name() + "=1s",
          "--token-file", tokenFile.toString());
      List<LocalNodes.StorageNode> nodes = LocalNodes.startStorage(dir, ports, storageNodes, mgmtd, clusterId,
          childSets, children);
      Config withToken = load.apply(Map.of(RpcConfig.AUTH_TOKEN_FILE.name(), tokenFile.toString()));
      LocalNodes.bootstrap(withToken, mgmtdAddrs.stream().map(Address::parse).toList(), clusterId, nodes, replication,
          targetsPerNode);
      superviseServers();
      if (!noMount) {
        LocalNodes.startMount(dir, mnt, mgmtd, clusterId, childSets, children);
      }
      Files.writeString(dir.resolve(UpCommand.PID_FILE), Long.toString(ProcessHandle.current().pid()));
      out.println("Catena is up (single machine, highly available control plane, cluster " + clusterId + ").");
      for (int i = 0; i < etcdClients.size(); i++) {
        out.println("  etcd      http://" + etcdClients.get(i) + "   member " + (i + 1) + ", data "
            + dir.resolve("etcd-" + (i + 1)));
      }
      for (int i = 0; i < mgmtdAddrs.size(); i++) {
        out.println("  mgmtd     " + mgmtdAddrs.get(i) + "   node " + (i + 1));
      }
      for (int i = 0; i < metaAddrs.size(); i++) {
        out.println("  meta      " + metaAddrs.get(i) + "   node " + (100 + i) + ", KV " + kvUrl);
      }
      for (LocalNodes.StorageNode n : nodes) {
        out.println("  storage   " + n.address() + "   node " + n.nodeId() + ", data " + n.disk());
      }
      out.println("  chains    " + Math.max(1, storageNodes * targetsPerNode / replication) + " chains of "
          + replication + " replicas (chain table " + ClusterBootstrap.TABLE_ID + ")");
      if (!noMount) {
        out.println("  mount     " + mnt);
      }
      out.println("  logs      " + dir.resolve("logs"));
      out.println("Stop it with Ctrl-C, SIGTERM or: ./catena down --data " + dir);
      out.flush();
    } catch (Exception | Error e) {
      stop();
      throw e;
    }
    stopped.await();
    return 0;
  }

  /** Starts (or restarts, on their kept data and ports) the etcd members; returns their endpoints. */
  private List<String> startEtcd() throws InterruptedException {
    EtcdMembers etcd = new EtcdMembers(dir, ETCD_MEMBERS, this::port);
    etcd.start(children);
    return etcd.endpoints();
  }

  /**
   * Copies the single-machine store into etcd (KvCopy: resumable, verified by a SHA-256 over every key), then renames
   * it out of the way, so a second start finds only the etcd cluster. Storage nodes keep their ids, ports and data.
   */
  private void moveFromEmbedded(String kvUrl, Config base, PrintWriter out) {
    Path source = dir.resolve("control/kv");
    KvCopy.Result r;
    try (KvEngine from = KvEngines.open("rocksdb://" + source, base); KvEngine to = KvEngines.open(kvUrl, base)) {
      // 1 MiB leaves room under etcd's 1.5 MiB request limit for the transaction's framing.
      r = new KvCopy(from, to, 100, 1L << 20).run(n -> { });
    }
    Path kept = dir.resolve("control/kv.moved-to-etcd");
    try {
      Files.move(source, kept);
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "copied the store into %s but cannot rename %s: %s", kvUrl, source, e);
    }
    out.println("moved " + r.keys() + " keys from " + source + " into " + kvUrl + " (SHA-256 " + r.sha256()
        + ", verified); the old store is kept as " + kept);
    out.flush();
  }

  private static void initializeOnce(String kvUrl, Config base, String clusterId, Path tokenFile) {
    try (KvEngine kv = KvEngines.open(kvUrl, base)) {
      if (ClusterInit.clusterOf(kv).isEmpty()) {
        String token = ClusterInit.initialize(kv, clusterId, new UserAccount(0, "root", 0, List.of(), true));
        AuthTokens.write(tokenFile, token);
        LOG.info("initialized cluster {} in {}; the admin token is in {}", clusterId, kvUrl, tokenFile);
      } else if (!Files.exists(tokenFile)) {
        throw CatenaException.of(Errno.ENOENT, "%s is missing: the processes of this cluster need the admin token"
            + " kept there (restore it, or start over with an empty --data)", tokenFile);
      }
    }
  }

  private ChildProcess startRole(String name, List<String> args) {
    ChildProcess c = ChildProcess.start(name, dir.resolve("logs/" + name + ".log"), args);
    children.add(c);
    return c;
  }

  /** Waits for each (started together: their JVM start-ups overlap) to say where it listens. */
  private static List<String> awaitAll(List<ChildProcess> started, Pattern ready) throws InterruptedException {
    List<String> addresses = new ArrayList<>();
    for (ChildProcess c : started) {
      addresses.add(c.awaitLine(ready, Duration.ofSeconds(90)).group(1));
    }
    return addresses;
  }

  /** The port {@code name} had before, or a free one now, saved for the next start. */
  private int port(String name) {
    String kept = ports.reuse(name, "tcp://127.0.0.1:0");
    int p = Address.parse(kept).port();
    if (p == 0) {
      try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
        p = s.getLocalPort();
      } catch (IOException e) {
        throw CatenaException.of(Errno.EIO, "no free port for %s: %s", name, e);
      }
      ports.save(name, p);
    }
    return p;
  }

  /**
   * From now on a server process that dies is started again (etcd members, mgmtd, meta, storage: each comes back on
   * its own data and port). The mount is not: a FUSE daemon's death leaves a dead mount point that programs hold open,
   * which `catena umount` clears.
   */
  private void superviseServers() {
    synchronized (children) {
      children.forEach(supervisor::watch);
      children.clear();
    }
  }

  private void stop() {
    List<ChildProcess> unsupervised = List.copyOf(children);
    LocalNodes.stopAll(unsupervised); // the mount first: it unmounts on SIGTERM
    supervisor.close();
    stopped.countDown();
  }
}
