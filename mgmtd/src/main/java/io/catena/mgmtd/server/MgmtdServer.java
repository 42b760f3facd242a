package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.DrainService;
import io.catena.mgmtd.DrainState;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One mgmtd instance on a shared KV store. Several run; the one holding the lease ({@link PrimaryLease}) is primary
 * and serves every call, the others redirect. {@link #tick()} renews or takes the lease, and on the primary (after
 * the grace period) declares silent nodes failed ({@link FailureDetector}), advances every chain's state machine
 * ({@link ChainScanner}) and prunes expired client sessions ({@link SessionTable}); tests call it after moving a
 * ManualClock, production runs it from {@link #start()}. Each call frames one of the parts: {@link Membership},
 * {@link RoutingPublisher}, {@link ConfigStore}, {@link SessionTable}, {@link ChainAdmin}, {@link UserAdmin}.
 *
 * <p>Thread-safe: one lock serialises every operation and the tick, and guards every part. mgmtd's load (a
 * heartbeat per node every few seconds) does not justify finer locking, and one lock keeps the in-memory view and
 * the KV store in step.
 */
public final class MgmtdServer implements MgmtdService, DrainService, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MgmtdServer.class);

  private final Clock clock;
  private final long nodeId;
  private final String address;
  private final String clusterId;
  private final Duration tickInterval;
  private final ReentrantLock lock = new ReentrantLock();
  private final LiveState live = new LiveState();
  private final PrimaryLease lease;
  private final ConfigStore configs;
  private final RoutingPublisher routing;
  private final Membership membership;
  private final FailureDetector failures;
  private final StandbyPresence standbys;
  private final ChainScanner chains;
  private final SessionTable sessions;
  private final ChainAdmin chainAdmin;
  private final UserAdmin users;
  private final Drainer drainer;
  private final MgmtdMetrics metrics;

  /** Ticks later than two intervals plus this mean the process was not running, not that nodes went silent. */
  private static final long STALL_TOLERANCE_MILLIS = 1000;

  // Guarded by lock.
  private long lastTickMillis;
  private ScheduledExecutorService scheduler;
  private boolean closed;

  public MgmtdServer(KvEngine kv, Clock clock, RandomGenerator random, Config config, long nodeId, String address) {
    this(kv, clock, random, config, nodeId, address, Map.of());
  }

  /**
   * @param schemas the config schema of each node type whose config texts should be checked key by key (the
   *     launcher knows every module's keys; mgmtd does not); other types get a TOML syntax check only
   */
  public MgmtdServer(KvEngine kv, Clock clock, RandomGenerator random, Config config, long nodeId, String address,
      Map<NodeType, ConfigSchema> schemas) {
    this(kv, clock, random, config, nodeId, address, schemas, io.catena.common.metrics.Meters.discarding());
  }

  /** As above, counting KV transactions and reporting the cluster's state as gauges in {@code registry}. */
  public MgmtdServer(KvEngine kv, Clock clock, RandomGenerator random, Config config, long nodeId, String address,
      Map<NodeType, ConfigSchema> schemas, io.micrometer.core.instrument.MeterRegistry registry) {
    Objects.requireNonNull(kv, "kv");
    this.clock = Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(config, "config");
    this.metrics = new MgmtdMetrics(registry);
    TransactionRunner runner = new TransactionRunner(kv, KvConfig.retryPolicy(config), clock, random,
        new io.catena.kv.KvMetrics(registry, "mgmtd"));
    if (nodeId <= 0) {
      throw CatenaException.of(Errno.EINVAL, "mgmtd node id must be positive: %d", nodeId);
    }
    this.nodeId = nodeId;
    this.address = Address.parse(address).toString();
    this.clusterId = config.get(MgmtdConfig.CLUSTER_ID);
    Duration leaseDuration = config.get(MgmtdServerConfig.LEASE_DURATION);
    if (config.get(MgmtdServerConfig.LEASE_RENEW_INTERVAL).compareTo(leaseDuration.dividedBy(2)) > 0) {
      throw new ConfigException("mgmtd.lease_renew_interval must be at most half of mgmtd.lease_duration ("
          + leaseDuration + "), or one slow renewal costs the lease");
    }
    this.tickInterval = config.get(MgmtdServerConfig.TICK_INTERVAL);
    ClusterStore store = new ClusterStore();
    this.lease = new PrimaryLease(store, runner, clock, config, nodeId, this.address, clusterId);
    this.configs = new ConfigStore(store, lease, config, schemas, nodeId);
    Supplier<Config> current = configs::current;
    this.routing = new RoutingPublisher(store, lease, live, clusterId, nodeId);
    this.membership = new Membership(store, lease, live, routing, configs, clock, nodeId);
    this.failures = new FailureDetector(store, lease, live, current, nodeId);
    this.standbys = new StandbyPresence(store, lease, runner, current, nodeId, this.address,
        config.get(MgmtdServerConfig.LEASE_RENEW_INTERVAL).toMillis());
    this.chains = new ChainScanner(store, lease, live, routing, nodeId);
    this.sessions = new SessionTable(store, lease, current, clock);
    DrainStore drainMarks = new DrainStore();
    this.chainAdmin = new ChainAdmin(store, lease, live, routing, chains, nodeId, drainMarks);
    this.drainer = new Drainer(store, drainMarks, lease, routing, live, current, clock, nodeId);
    this.users = new UserAdmin(store, lease);
    Optional<String> stored = lease.read(store::clusterId);
    if (stored.isPresent() && !stored.get().equals(clusterId)) {
      throw CatenaException.of(Errno.EINVAL, "this KV store belongs to cluster '%s', not '%s' (cluster.id)",
          stored.get(), clusterId);
    }
  }

  public long nodeId() {
    return nodeId;
  }

  public String address() {
    return address;
  }

  /** Whether this instance holds an unexpired lease by its own clock. */
  public boolean isPrimary() {
    lock.lock();
    try {
      return lease.isPrimary();
    } finally {
      lock.unlock();
    }
  }

  /**
   * {@link #isPrimary()} for status displays: without waiting for the lock (which a tick holds across KV round
   * trips), so an RPC I/O thread may ask; the answer may be a moment old.
   */
  public boolean seemsPrimary() {
    return lease.isPrimary();
  }

  /** Runs {@link #tick()} every {@code mgmtd.tick_interval} on a daemon thread until {@link #close()}. */
  public void start() {
    lock.lock();
    try {
      if (closed || scheduler != null) {
        throw new IllegalStateException("mgmtd " + nodeId + " is " + (closed ? "closed" : "already started"));
      }
      scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mgmtd-" + nodeId + "-tick");
        t.setDaemon(true);
        return t;
      });
      scheduler.scheduleWithFixedDelay(this::tickLogged, 0, tickInterval.toMillis(), TimeUnit.MILLISECONDS);
      scheduler.scheduleWithFixedDelay(this::refreshMetrics, 0, 2000, TimeUnit.MILLISECONDS);
    } finally {
      lock.unlock();
    }
  }

  private void tickLogged() {
    try {
      tick();
    } catch (RuntimeException e) {
      log.warn("mgmtd {} tick failed: {}", nodeId, CatenaException.statusOf(e));
    }
  }

  private void refreshMetrics() {
    try {
      if (!seemsPrimary()) {
        metrics.refresh(null, 0);
        return;
      }
      metrics.refresh(getRoutingInfo(clusterId, -1).orElseThrow(), listSessions(clusterId).size());
    } catch (RuntimeException e) {
      metrics.refresh(null, 0); // lost the lease meanwhile
    }
  }

  /** Stops the scheduler; the lease is not released, so a successor waits for it to expire as after a crash. */
  @Override
  public void close() {
    ScheduledExecutorService s;
    lock.lock();
    try {
      closed = true;
      lease.stepDown();
      s = scheduler;
      scheduler = null;
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.shutdownNow();
    }
  }

  /**
   * Lease renewal or takeover and this instance's own config updates; then, on the primary after the grace period,
   * failure detection, chain scans and session pruning; finally routing listeners hear of a new routing version.
   */
  public void tick() {
    OptionalLong unannounced;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      long leaseNow = clock.millis();
      // A tick long overdue means this process did not run (SIGSTOP, a VM pause, a long GC): the nodes' silence
      // meanwhile says nothing about them, and failing them all at once would empty every chain.
      // Only when ticking on its own schedule: a caller driving tick() by hand (tests) moves time as it likes.
      if (scheduler != null && lastTickMillis != 0
          && leaseNow - lastTickMillis > 2 * tickInterval.toMillis() + STALL_TOLERANCE_MILLIS) {
        log.warn("mgmtd {}: no tick for {} ms (this process was paused?); heartbeat timeouts restart now", nodeId,
            leaseNow - lastTickMillis);
        live.forgiveSilenceBefore(leaseNow);
      }
      lastTickMillis = leaseNow;
      if (lease.tick(leaseNow)) {
        live.reset(leaseNow);
        standbys.reset(leaseNow);
      }
      if (!lease.inTerm()) {
        standbys.beat(leaseNow);
      }
      configs.applyOwn();
      if (lease.inTerm()) {
        long now = clock.millis();
        if (now >= live.termStartMillis() + configs.current().get(MgmtdServerConfig.PRIMARY_GRACE_PERIOD).toMillis()) {
          failures.detect(now);
          standbys.judge(now);
          chains.scan();
          drainer.step();
          sessions.prune(now);
        }
      }
      unannounced = routing.takeUnannounced(lease.inTerm());
    } finally {
      lock.unlock();
    }
    unannounced.ifPresent(routing::announce);
  }

  /**
   * Registers a callback told the new routing version after a tick in which it changed, while this instance is
   * primary: the RPC layer pushes the snapshot to subscribed nodes from there (others poll with
   * {@link #getRoutingInfo}). Listeners run on the ticking thread and must not block.
   */
  public void addRoutingListener(LongConsumer listener) {
    routing.addListener(listener);
  }

  /** The mgmtd config version this instance runs (0: its start-up config). */
  public long appliedConfigVersion() {
    lock.lock();
    try {
      return configs.appliedVersion();
    } finally {
      lock.unlock();
    }
  }

  // --- MgmtdService: each call framed by asPrimary, the work done by one part ------------------------------

  @Override
  public NodeInfo registerNode(RegisterRequest req) {
    return asPrimary(req.clusterId(), () -> membership.register(req));
  }

  @Override
  public HeartbeatReply heartbeat(HeartbeatRequest req) {
    return asPrimary(req.clusterId(), () -> membership.heartbeat(req));
  }

  @Override
  public Optional<RoutingInfo> getRoutingInfo(String cluster, long sinceVersion) {
    return asPrimary(cluster, () -> routing.since(sinceVersion));
  }

  @Override
  public VersionedConfig setConfig(String cluster, NodeType type, String toml) {
    return asPrimary(cluster, () -> configs.set(type, toml));
  }

  @Override
  public Optional<VersionedConfig> getConfig(String cluster, NodeType type, long version) {
    return asPrimary(cluster, () -> configs.get(type, version));
  }

  @Override
  public ClientSession extendSession(SessionRequest req) {
    return asPrimary(req.clusterId(), () -> sessions.extend(req));
  }

  @Override
  public void closeSession(String cluster, String clientId) {
    asPrimary(cluster, () -> sessions.close(clientId));
  }

  @Override
  public List<ClientSession> listSessions(String cluster) {
    return asPrimary(cluster, sessions::list);
  }

  @Override
  public List<TargetInfo> createTargets(String cluster, List<TargetSpec> specs) {
    return asPrimary(cluster, () -> chainAdmin.createTargets(specs));
  }

  @Override
  public List<ChainInfo> uploadChains(String cluster, List<ChainSpec> specs) {
    return asPrimary(cluster, () -> chainAdmin.uploadChains(specs));
  }

  @Override
  public ChainTable uploadChainTable(String cluster, int tableId, List<Long> chainIds) {
    return asPrimary(cluster, () -> chainAdmin.uploadChainTable(tableId, chainIds));
  }

  @Override
  public ChainInfo offlineTarget(String cluster, long targetId) {
    return asPrimary(cluster, () -> chainAdmin.offlineTarget(targetId));
  }

  @Override
  public ChainInfo rotateLastSrv(String cluster, long chainId, OptionalLong promote) {
    return asPrimary(cluster, () -> chainAdmin.rotateLastSrv(chainId, promote));
  }

  @Override
  public ChainInfo updateChain(String cluster, ChainUpdate u) {
    Objects.requireNonNull(u, "update");
    return asPrimary(cluster, () -> chainAdmin.updateChain(u));
  }

  @Override
  public Optional<ChainInfo> removeTarget(String cluster, long targetId) {
    return asPrimary(cluster, () -> chainAdmin.removeTarget(targetId));
  }

  @Override
  public String addUser(String cluster, UserAccount user) {
    return asPrimary(cluster, () -> users.add(user));
  }

  @Override
  public String setUserToken(String cluster, long uid) {
    return asPrimary(cluster, () -> users.rotateToken(uid));
  }

  @Override
  public void removeUser(String cluster, long uid) {
    asPrimary(cluster, () -> users.remove(uid));
  }

  @Override
  public List<UserAccount> listUsers(String cluster) {
    return asPrimary(cluster, users::list);
  }

  @Override
  public UserAccount authenticate(String cluster, String token) {
    return asPrimary(cluster, () -> users.authenticate(token));
  }

  @Override
  public List<NodeInfo> listNodes(String cluster) {
    return List.copyOf(routingNow(cluster).nodes());
  }

  @Override
  public List<TargetInfo> listTargets(String cluster) {
    return List.copyOf(routingNow(cluster).targets());
  }

  @Override
  public List<ChainInfo> listChains(String cluster) {
    return List.copyOf(routingNow(cluster).chains());
  }

  @Override
  public List<ChainTable> listChainTables(String cluster) {
    return routingNow(cluster).chainTables();
  }

  // --- DrainService ------------------------------------------------------------------------------------------

  @Override
  public List<DrainState> drain(String cluster, List<Long> targetIds, long node) {
    return asPrimary(cluster, () -> drainer.mark(List.copyOf(targetIds), node));
  }

  @Override
  public List<DrainState> cancelDrain(String cluster, List<Long> targetIds, long node) {
    return asPrimary(cluster, () -> drainer.cancel(List.copyOf(targetIds), node));
  }

  @Override
  public List<DrainState> drainStatus(String cluster) {
    return asPrimary(cluster, drainer::status);
  }

  private RoutingInfo routingNow(String cluster) {
    return getRoutingInfo(cluster, -1).orElseThrow();
  }

  /**
   * The frame of every service call: under the lock, refused unless it names this cluster and this instance is
   * primary (a redirect otherwise). Writes inside still go through {@link PrimaryLease#write}, which re-checks the
   * lease in the transaction itself.
   */
  private <T> T asPrimary(String cluster, Supplier<T> body) {
    lock.lock();
    try {
      checkCluster(cluster);
      lease.requirePrimary();
      return body.get();
    } finally {
      lock.unlock();
    }
  }

  private void asPrimary(String cluster, Runnable body) {
    asPrimary(cluster, () -> {
      body.run();
      return null;
    });
  }

  private void checkCluster(String requested) {
    if (!clusterId.equals(requested)) {
      throw CatenaException.of(Errno.EINVAL, "request for cluster '%s', but this is cluster '%s'", requested,
          clusterId);
    }
  }
}
