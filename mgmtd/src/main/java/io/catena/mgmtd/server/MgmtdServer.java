package io.catena.mgmtd.server;

import io.catena.kv.KvConfig;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigException;
import io.catena.common.config.ConfigLoader;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvEngine;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.common.retry.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.kv.TxnFunction;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import io.catena.mgmtd.chain.ChainMembership;
import io.catena.mgmtd.chain.ChainStateMachine;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.random.RandomGenerator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.tomlj.Toml;
import org.tomlj.TomlParseResult;

/**
 * One mgmtd instance on a shared KV store. Several run; the one holding the lease is primary and serves every
 * call, the others redirect. {@link #tick()} renews or takes the lease, and on the primary (after the grace
 * period) declares silent nodes failed, advances every chain's state machine and prunes expired client sessions;
 * tests call it after moving a ManualClock, production runs it from {@link #start()}.
 *
 * <p>Why two primaries never both commit: every write transaction of the primary re-reads the lease record with a
 * conflict-tracked read and aborts unless it still holds it at its current epoch and, by its own clock, unexpired.
 * A takeover writes that record, so a write of the old primary is serialised either before the takeover (and
 * committed) or after it (and then it read the new holder or conflicts and re-reads it): after a takeover commits,
 * nothing the old primary writes can commit.
 *
 * <p>Thread-safe: one lock serialises every operation and the tick. mgmtd's load (a heartbeat per node every few
 * seconds) does not justify finer locking, and one lock keeps the in-memory view and the KV store in step.
 */
public final class MgmtdServer implements MgmtdService, AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MgmtdServer.class);
  static final Pattern USER_NAME = Pattern.compile("[a-z_][a-z0-9_.-]{0,31}");

  private final KvEngine kv;
  private final Clock clock;
  private final TransactionRunner runner;
  private final long nodeId;
  private final String address;
  private final String clusterId;
  private final Map<NodeType, ConfigSchema> schemas;
  private final ClusterStore store = new ClusterStore();
  private final ReentrantLock lock = new ReentrantLock();
  private final LiveState live = new LiveState();

  // Guarded by lock.
  private Config config;
  private long epoch;
  private long leaseExpiresAt;
  private long lastRenewAt;
  private Lease lastSeenLease;
  private ScheduledExecutorService scheduler;
  private boolean closed;
  private Snapshot cached;
  private long notifiedRoutingVersion;
  private long ownConfigSeen;
  private long ownConfigApplied;
  private final List<LongConsumer> routingListeners = new CopyOnWriteArrayList<>();

  public MgmtdServer(KvEngine kv, Clock clock, RandomGenerator random, Config config, long nodeId, String address) {
    this(kv, clock, random, config, nodeId, address, Map.of());
  }

  /**
   * @param schemas the config schema of each node type whose config texts should be checked key by key (the
   *     launcher knows every module's keys; mgmtd does not); other types get a TOML syntax check only
   */
  public MgmtdServer(KvEngine kv, Clock clock, RandomGenerator random, Config config, long nodeId, String address,
      Map<NodeType, ConfigSchema> schemas) {
    this.kv = Objects.requireNonNull(kv, "kv");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.config = Objects.requireNonNull(config, "config");
    this.runner = new TransactionRunner(kv, KvConfig.retryPolicy(config), clock, random);
    if (nodeId <= 0) {
      throw CatenaException.of(Errno.EINVAL, "mgmtd node id must be positive: %d", nodeId);
    }
    this.nodeId = nodeId;
    this.address = Address.parse(address).toString();
    this.clusterId = config.get(MgmtdConfig.CLUSTER_ID);
    this.schemas = Map.copyOf(schemas);
    Duration leaseDuration = config.get(MgmtdServerConfig.LEASE_DURATION);
    if (config.get(MgmtdServerConfig.LEASE_RENEW_INTERVAL).compareTo(leaseDuration.dividedBy(2)) > 0) {
      throw new ConfigException("mgmtd.lease_renew_interval must be at most half of mgmtd.lease_duration ("
          + leaseDuration + "), or one slow renewal costs the lease");
    }
    Optional<String> stored = read(store::clusterId);
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
      return epoch != 0 && clock.millis() < leaseExpiresAt;
    } finally {
      lock.unlock();
    }
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
      long every = config.get(MgmtdServerConfig.TICK_INTERVAL).toMillis();
      scheduler.scheduleWithFixedDelay(this::tickLogged, 0, every, TimeUnit.MILLISECONDS);
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

  /** Stops the scheduler; the lease is not released, so a successor waits for it to expire as after a crash. */
  @Override
  public void close() {
    ScheduledExecutorService s;
    lock.lock();
    try {
      closed = true;
      epoch = 0;
      s = scheduler;
      scheduler = null;
    } finally {
      lock.unlock();
    }
    if (s != null) {
      s.shutdownNow();
    }
  }

  // --- the periodic work -------------------------------------------------------------------------------------

  /**
   * Lease renewal or takeover and this instance's own config updates; then, on the primary after the grace period,
   * failure detection, chain scans and session pruning; finally routing listeners hear of a new routing version.
   */
  public void tick() {
    long routingVersion;
    lock.lock();
    try {
      if (closed) {
        return;
      }
      tickLease();
      applyOwnConfig();
      if (epoch != 0) {
        long now = clock.millis();
        if (now >= live.termStartMillis() + config.get(MgmtdServerConfig.PRIMARY_GRACE_PERIOD).toMillis()) {
          detectFailures(now);
          scanChains();
          pruneSessions(now);
        }
      }
      routingVersion = epoch == 0 || routingListeners.isEmpty() ? -1 : read(store::routingVersion);
      if (routingVersion <= notifiedRoutingVersion) {
        return;
      }
      notifiedRoutingVersion = routingVersion;
    } finally {
      lock.unlock();
    }
    // Outside the lock: a listener may call back into this server (e.g. to fetch the snapshot it pushes).
    for (LongConsumer l : routingListeners) {
      try {
        l.accept(routingVersion);
      } catch (RuntimeException e) {
        log.warn("mgmtd {}: routing listener failed: {}", nodeId, e.toString());
      }
    }
  }

  /**
   * Registers a callback told the new routing version after a tick in which it changed, while this instance is
   * primary: the RPC layer pushes the snapshot to subscribed nodes from there (others poll with
   * {@link #getRoutingInfo}). Listeners run on the ticking thread and must not block.
   */
  public void addRoutingListener(LongConsumer listener) {
    routingListeners.add(Objects.requireNonNull(listener));
  }

  /** mgmtd is a node type too: its config versions apply to every instance, hot keys only, like any node's. */
  private void applyOwnConfig() {
    Optional<VersionedConfig> latest = read(txn -> store.latestConfig(txn, NodeType.MGMTD));
    if (latest.isEmpty() || latest.get().version() <= ownConfigSeen) {
      return;
    }
    ownConfigSeen = latest.get().version();
    ConfigApplier.Outcome o = ConfigApplier.apply(config, ownConfigApplied, latest.get());
    if (o.applied()) {
      config = o.config();
      ownConfigApplied = o.appliedVersion();
      log.info("mgmtd {} applied config v{}", nodeId, ownConfigApplied);
    } else {
      log.warn("mgmtd {} refused config v{}: {}", nodeId, latest.get().version(), o.status());
    }
  }

  /** The mgmtd config version this instance runs (0: its start-up config). */
  public long appliedConfigVersion() {
    lock.lock();
    try {
      return ownConfigApplied;
    } finally {
      lock.unlock();
    }
  }

  private void tickLease() {
    long now = clock.millis();
    boolean primary = epoch != 0 && now < leaseExpiresAt;
    if (primary && now < lastRenewAt + config.get(MgmtdServerConfig.LEASE_RENEW_INTERVAL).toMillis()) {
      return;
    }
    if (!primary) {
      // Cheap snapshot look first: followers tick often and must not write while a live lease exists.
      Optional<Lease> seen = read(store::lease);
      lastSeenLease = seen.orElse(null);
      if (seen.isPresent() && !seen.get().expiredAt(now) && !seen.get().heldBy(nodeId, epoch)
          && seen.get().holderId() != nodeId) {
        epoch = 0;
        return;
      }
    }
    long expires = now + config.get(MgmtdServerConfig.LEASE_DURATION).toMillis();
    long myEpoch = epoch;
    record Outcome(Lease lease, boolean ours) {}
    Outcome out = runner.run(txn -> {
      Optional<Lease> cur = store.lease(txn);
      boolean mine = myEpoch != 0 && cur.isPresent() && cur.get().heldBy(nodeId, myEpoch);
      // A lease still held under our own node id was left by this node's previous run (a restart): take it now
      // instead of waiting out the dead process's lease. Two live processes never share a node id: registration
      // refuses it, and the embedded engine admits one process per store.
      boolean previousSelf = cur.isPresent() && cur.get().holderId() == nodeId;
      if (cur.isPresent() && !mine && !previousSelf && !cur.get().expiredAt(now)) {
        return new Outcome(cur.get(), false);
      }
      Optional<String> cid = store.clusterId(txn);
      if (cid.isEmpty()) {
        store.setClusterId(txn, clusterId);
      } else if (!cid.get().equals(clusterId)) {
        throw CatenaException.of(Errno.EINVAL, "this KV store belongs to cluster '%s', not '%s'", cid.get(),
            clusterId);
      }
      long newEpoch = mine ? myEpoch : cur.map(l -> l.epoch() + 1).orElse(1L);
      Lease l = new Lease(nodeId, address, newEpoch, expires);
      store.setLease(txn, l);
      if (!mine) {
        registerSelf(txn, cur);
      }
      return new Outcome(l, true);
    });
    lastSeenLease = out.lease();
    if (out.ours()) {
      if (out.lease().epoch() != myEpoch) {
        log.info("mgmtd {} is primary (epoch {})", nodeId, out.lease().epoch());
        live.reset(now);
      }
      epoch = out.lease().epoch();
      leaseExpiresAt = expires;
      lastRenewAt = now;
    } else {
      if (epoch != 0) {
        log.warn("mgmtd {} lost the lease to mgmtd {} (epoch {})", nodeId, out.lease().holderId(),
            out.lease().epoch());
      }
      epoch = 0;
    }
  }

  /**
   * The new primary lists itself, so routing info tells every node where mgmtd is, and marks the previous holder
   * failed: it let its lease expire, so it was down or cut off (it lists itself again if it becomes primary).
   */
  private void registerSelf(ReadWriteTransaction txn, Optional<Lease> previous) {
    boolean changed = false;
    NodeInfo want = new NodeInfo(nodeId, NodeType.MGMTD, address, NodeStatus.ALIVE, 0, 0, 0, "");
    if (!store.node(txn, nodeId).equals(Optional.of(want))) {
      store.putNode(txn, want);
      changed = true;
    }
    if (previous.isPresent() && previous.get().holderId() != nodeId) {
      Optional<NodeInfo> old = store.node(txn, previous.get().holderId());
      if (old.isPresent() && old.get().type() == NodeType.MGMTD && old.get().status() == NodeStatus.ALIVE) {
        store.putNode(txn, old.get().withStatus(NodeStatus.FAILED));
        changed = true;
      }
    }
    if (changed) {
      store.bumpRoutingVersion(txn);
    }
  }

  private void detectFailures(long now) {
    long timeout = config.get(MgmtdConfig.HEARTBEAT_TIMEOUT).toMillis();
    List<Long> silent = new ArrayList<>();
    for (NodeInfo n : read(store::nodes)) {
      if (n.type() != NodeType.MGMTD && n.status() == NodeStatus.ALIVE && now - live.lastHeard(n.nodeId()) > timeout) {
        silent.add(n.nodeId());
      }
    }
    if (silent.isEmpty()) {
      return;
    }
    write(txn -> {
      boolean changed = false;
      for (long id : silent) {
        Optional<NodeInfo> n = store.node(txn, id);
        if (n.isPresent() && n.get().status() == NodeStatus.ALIVE) {
          store.putNode(txn, n.get().withStatus(NodeStatus.FAILED));
          changed = true;
        }
      }
      if (changed) {
        store.bumpRoutingVersion(txn);
      }
      return null;
    });
    log.warn("mgmtd {}: nodes {} missed heartbeats for {} ms: failed", nodeId, silent, timeout);
  }

  private void scanChains() {
    Snapshot s = read(this::snapshot);
    Map<Long, ChainInfo> changed = new HashMap<>();
    for (ChainInfo c : s.chains.values()) {
      ChainInfo next = ChainStateMachine.next(c, reportsFor(c, s, OptionalLong.empty()));
      if (next != c) {
        changed.put(c.chainId(), next);
      }
    }
    if (!changed.isEmpty()) {
      write(txn -> {
        boolean any = false;
        for (ChainInfo next : changed.values()) {
          Optional<ChainInfo> cur = store.chain(txn, next.chainId());
          if (cur.isPresent() && cur.get().version() == next.version() - 1) {
            store.putChain(txn, next);
            any = true;
          }
        }
        if (any) {
          store.bumpRoutingVersion(txn);
        }
        return null;
      });
      changed.values().forEach(c -> log.info("mgmtd {}: {}", nodeId, c));
    }
    for (ChainInfo c : s.chains.values()) {
      unfenceIfSeenOffline(changed.getOrDefault(c.chainId(), c));
    }
  }

  /** A fenced target is released once its chain shows it offline: the restart has then been noticed. */
  private void unfenceIfSeenOffline(ChainInfo c) {
    for (var t : c.targets()) {
      if (t.state() == PublicTargetState.OFFLINE || t.state() == PublicTargetState.LASTSRV) {
        live.unfence(t.targetId());
      }
    }
  }

  /** The local states the state machine sees: failed nodes and fenced targets are offline, unheard ones absent. */
  private Map<Long, LocalTargetState> reportsFor(ChainInfo c, Snapshot s, OptionalLong forcedOffline) {
    Map<Long, LocalTargetState> r = new HashMap<>();
    for (long t : c.targetIds()) {
      StoredTarget st = s.targets.get(t);
      NodeInfo n = st == null ? null : s.nodes.get(st.nodeId());
      if (n == null || n.status() == NodeStatus.FAILED || live.isFenced(t)
          || (forcedOffline.isPresent() && forcedOffline.getAsLong() == t)) {
        r.put(t, LocalTargetState.OFFLINE);
      } else {
        live.target(t).ifPresent(tl ->
            r.put(t, ChainStateMachine.effectiveLocal(tl.state(), tl.chainVersion(), c.version())));
      }
    }
    return r;
  }

  private void pruneSessions(long now) {
    long timeout = config.get(MgmtdConfig.CLIENT_SESSION_TIMEOUT).toMillis();
    List<String> expired = read(store::sessions).stream()
        .filter(x -> x.lastExtendMillis() + timeout <= now).map(StoredSession::clientId).toList();
    if (!expired.isEmpty()) {
      write(txn -> {
        for (String id : expired) {
          Optional<StoredSession> cur = store.session(txn, id);
          if (cur.isPresent() && cur.get().lastExtendMillis() + timeout <= now) {
            store.clearSession(txn, id);
          }
        }
        return null;
      });
    }
  }

  // --- membership --------------------------------------------------------------------------------------------

  @Override
  public NodeInfo registerNode(RegisterRequest req) {
    return asPrimary(req.clusterId(), () -> {
      if (req.nodeId() <= 0) {
        throw CatenaException.of(Errno.EINVAL, "node id must be positive: %d", req.nodeId());
      }
      if (req.type().isClient() || req.type() == NodeType.MGMTD) {
        throw CatenaException.of(Errno.EINVAL, "%s nodes do not register: clients keep sessions, mgmtd holds the"
            + " lease", req.type());
      }
      String addr = Address.parse(req.address()).toString();
      long now = clock.millis();
      long timeout = config.get(MgmtdConfig.HEARTBEAT_TIMEOUT).toMillis();
      boolean heardRecently = now - live.lastHeard(req.nodeId()) <= timeout;
      record Registered(NodeInfo node, boolean restarted, List<Long> targets) {}
      Registered r = write(txn -> {
        Optional<NodeInfo> old = store.node(txn, req.nodeId());
        if (old.isPresent()) {
          NodeInfo o = old.get();
          if (o.type() != req.type()) {
            throw CatenaException.of(Errno.EEXIST, "node id %d is already a %s node at %s", o.nodeId(), o.type(),
                o.address());
          }
          if (!o.address().equals(addr) && o.status() == NodeStatus.ALIVE && heardRecently) {
            throw CatenaException.of(Errno.EEXIST, "node id %d is already registered by a live node at %s",
                o.nodeId(), o.address());
          }
          if (req.incarnation() < o.incarnation()) {
            throw CatenaException.of(Errno.ESTALE, "node %d: incarnation %d is older than the registered %d",
                o.nodeId(), req.incarnation(), o.incarnation());
          }
        }
        NodeInfo n = new NodeInfo(req.nodeId(), req.type(), addr, NodeStatus.ALIVE, req.incarnation(), 0, 0, "");
        if (old.isEmpty() || !old.get().equals(n)) {
          store.putNode(txn, n);
          store.bumpRoutingVersion(txn);
        }
        boolean restarted = old.isPresent() && old.get().incarnation() != req.incarnation();
        List<Long> ts = restarted ? restartedTargets(txn, req.nodeId()) : List.of();
        return new Registered(n, restarted, ts);
      });
      if (r.restarted() || live.node(req.nodeId()).map(x -> x.incarnation() != req.incarnation()).orElse(true)) {
        live.putNode(req.nodeId(), new LiveState.NodeLive(req.incarnation(), now, 0, 0, ""));
      }
      r.targets().forEach(live::fence);
      return r.node().withRuntime(now, 0, "");
    });
  }

  /** The targets of a restarted node that its chains do not show offline yet: they must be seen offline first. */
  private List<Long> restartedTargets(ReadTransaction txn, long node) {
    List<Long> out = new ArrayList<>();
    for (StoredTarget t : store.targets(txn)) {
      if (t.nodeId() != node || t.chainId() == 0) {
        continue;
      }
      Optional<PublicTargetState> s = store.chain(txn, t.chainId()).flatMap(c -> c.stateOf(t.targetId()));
      if (s.isPresent() && s.get() != PublicTargetState.OFFLINE && s.get() != PublicTargetState.LASTSRV) {
        out.add(t.targetId());
      }
    }
    return out;
  }

  @Override
  public HeartbeatReply heartbeat(HeartbeatRequest req) {
    return asPrimary(req.clusterId(), () -> {
      long now = clock.millis();
      Snapshot s = read(this::snapshot);
      NodeInfo node = s.nodes.get(req.nodeId());
      if (node == null || node.type() == NodeType.MGMTD) {
        throw CatenaException.of(Errno.ENOENT, "node %d is not registered: register first", req.nodeId());
      }
      if (req.incarnation() != node.incarnation()) {
        throw CatenaException.of(Errno.ESTALE, "node %d: heartbeat from incarnation %d but incarnation %d is"
            + " registered: register again", req.nodeId(), req.incarnation(), node.incarnation());
      }
      Optional<LiveState.NodeLive> prev = live.node(req.nodeId());
      if (prev.isPresent() && prev.get().incarnation() == req.incarnation()
          && req.heartbeatVersion() <= prev.get().heartbeatVersion()) {
        throw CatenaException.of(Errno.ESTALE, "node %d: stale heartbeat version %d (last accepted %d)",
            req.nodeId(), req.heartbeatVersion(), prev.get().heartbeatVersion());
      }
      Set<Long> seen = new HashSet<>();
      List<TargetReport> reports = new ArrayList<>(req.targets().size());
      for (TargetReport tr : req.targets()) {
        if (!seen.add(tr.targetId())) {
          throw CatenaException.of(Errno.EINVAL, "node %d reports target %d twice", req.nodeId(), tr.targetId());
        }
        StoredTarget st = s.targets.get(tr.targetId());
        if (st == null) {
          // Removed by an operator (remove-target) while the node still holds it: nobody routes to it any more, and
          // refusing the whole heartbeat would make the node look dead.
          continue;
        }
        if (st.nodeId() != req.nodeId()) {
          throw CatenaException.of(Errno.EINVAL, "node %d reports target %d, which is not one of its targets",
              req.nodeId(), tr.targetId());
        }
        ChainInfo c = s.chains.get(st.chainId());
        long current = c == null ? 0 : c.version();
        // A target in no chain (created for update-chain --add, or just removed from its chain) may still carry
        // the storage node's chain version: there is nothing in mgmtd it could be ahead of.
        if (st.chainId() != 0 && tr.chainVersion() > current) {
          throw CatenaException.of(Errno.EINVAL, "node %d reports target %d at chain version %d, but chain %d is at"
              + " version %d", req.nodeId(), tr.targetId(), tr.chainVersion(), st.chainId(), current);
        }
        reports.add(tr);
      }
      // Accepted: from here on the heartbeat changes state.
      if (node.status() == NodeStatus.FAILED) {
        write(txn -> {
          Optional<NodeInfo> cur = store.node(txn, req.nodeId());
          if (cur.isPresent() && cur.get().status() == NodeStatus.FAILED) {
            store.putNode(txn, cur.get().withStatus(NodeStatus.ALIVE));
            store.bumpRoutingVersion(txn);
          }
          return null;
        });
        log.info("mgmtd {}: node {} is back", nodeId, req.nodeId());
      }
      live.putNode(req.nodeId(), new LiveState.NodeLive(req.incarnation(), now, req.heartbeatVersion(),
          req.configVersion(), req.configStatus()));
      // A target the node no longer reports (disk pulled, never set up) is not served: it counts as offline.
      Set<Long> reported = reports.stream().map(TargetReport::targetId).collect(Collectors.toSet());
      for (StoredTarget st : s.targets.values()) {
        if (st.nodeId() == req.nodeId() && !reported.contains(st.targetId())) {
          live.putTarget(st.targetId(), new LiveState.TargetLive(LocalTargetState.OFFLINE, 0, 0, 0));
        }
      }
      List<NodeCommand> commands = new ArrayList<>();
      for (TargetReport tr : reports) {
        live.putTarget(tr.targetId(),
            new LiveState.TargetLive(tr.state(), tr.chainVersion(), tr.usedBytes(), tr.capacityBytes()));
        ChainInfo c = s.chains.get(s.targets.get(tr.targetId()).chainId());
        PublicTargetState ps = c == null ? PublicTargetState.OFFLINE
            : c.stateOf(tr.targetId()).orElse(PublicTargetState.OFFLINE);
        // An UPTODATE claim from a member that neither serves nor syncs is stale (it was fenced, taken offline or
        // restarted): it must drop it and report ONLINE, or it would wait forever (WAITING + UPTODATE stays).
        boolean notInWritePath = c != null && (ps == PublicTargetState.OFFLINE || ps == PublicTargetState.WAITING);
        if ((notInWritePath && tr.state() == LocalTargetState.UPTODATE)
            || (live.isFenced(tr.targetId()) && tr.state() != LocalTargetState.OFFLINE)) {
          commands.add(new NodeCommand(NodeCommand.Kind.STOP_SERVING_TARGET, tr.targetId(),
              live.isFenced(tr.targetId()) ? "node restarted: target must be seen offline before it syncs"
                  : "target is " + ps + " in chain " + c.chainId()));
        }
      }
      Optional<VersionedConfig> cfg = read(txn -> store.latestConfig(txn, node.type()))
          .filter(v -> v.version() > req.configVersion());
      long rv = read(store::routingVersion);
      return new HeartbeatReply(rv, cfg, commands);
    });
  }

  // --- routing -----------------------------------------------------------------------------------------------

  @Override
  public Optional<RoutingInfo> getRoutingInfo(String cluster, long sinceVersion) {
    return asPrimary(cluster, () -> {
      Snapshot s = read(this::snapshot);
      if (s.routingVersion == sinceVersion) {
        return Optional.empty();
      }
      return Optional.of(routing(s));
    });
  }

  private RoutingInfo routing(Snapshot s) {
    List<NodeInfo> nodes = new ArrayList<>();
    for (NodeInfo n : s.nodes.values()) {
      nodes.add(live.node(n.nodeId()).map(l -> n.withRuntime(l.lastHeartbeatMillis(), l.configVersion(),
          l.configStatus())).orElse(n));
    }
    List<TargetInfo> targets = new ArrayList<>();
    for (StoredTarget t : s.targets.values()) {
      targets.add(targetInfo(t, s));
    }
    return new RoutingInfo(s.routingVersion, clusterId, nodes, targets, s.chains.values(), s.tables);
  }

  private TargetInfo targetInfo(StoredTarget t, Snapshot s) {
    ChainInfo c = s.chains.get(t.chainId());
    PublicTargetState ps = c == null ? PublicTargetState.OFFLINE
        : c.stateOf(t.targetId()).orElse(PublicTargetState.OFFLINE);
    NodeInfo n = s.nodes.get(t.nodeId());
    Optional<LiveState.TargetLive> tl = live.target(t.targetId());
    LocalTargetState ls = n == null || n.status() == NodeStatus.FAILED ? LocalTargetState.OFFLINE
        : tl.map(LiveState.TargetLive::state).orElse(LocalTargetState.OFFLINE);
    return new TargetInfo(t.targetId(), t.nodeId(), t.diskIndex(), t.chainId(), ps, ls,
        tl.map(LiveState.TargetLive::usedBytes).orElse(0L), tl.map(LiveState.TargetLive::capacityBytes).orElse(0L));
  }

  // --- config distribution -----------------------------------------------------------------------------------

  @Override
  public VersionedConfig setConfig(String cluster, NodeType type, String toml) {
    return asPrimary(cluster, () -> {
      Objects.requireNonNull(type, "type");
      validateConfig(type, Objects.requireNonNull(toml, "toml"));
      return write(txn -> {
        Optional<VersionedConfig> latest = store.latestConfig(txn, type);
        if (latest.isPresent() && latest.get().toml().equals(toml)) {
          return latest.get();
        }
        VersionedConfig v = new VersionedConfig(type, latest.map(VersionedConfig::version).orElse(0L) + 1, toml);
        store.putConfig(txn, v);
        return v;
      });
    });
  }

  private void validateConfig(NodeType type, String toml) {
    ConfigSchema schema = type == NodeType.MGMTD ? schemas.getOrDefault(type, config.schema()) : schemas.get(type);
    String source = "config for " + type;
    try {
      if (schema != null) {
        ConfigLoader.parseToml(schema, toml, source);
      } else {
        TomlParseResult r = Toml.parse(toml);
        if (r.hasErrors()) {
          throw new ConfigException(source + ": not valid TOML: " + r.errors().getFirst());
        }
      }
    } catch (ConfigException e) {
      throw CatenaException.of(Errno.EINVAL, "%s", e.getMessage());
    }
  }

  @Override
  public Optional<VersionedConfig> getConfig(String cluster, NodeType type, long version) {
    return asPrimary(cluster, () -> {
      if (version < 0) {
        throw CatenaException.of(Errno.EINVAL, "config version must not be negative: %d", version);
      }
      return read(txn -> version == 0 ? store.latestConfig(txn, type) : store.config(txn, type, version));
    });
  }

  // --- client sessions ---------------------------------------------------------------------------------------

  @Override
  public ClientSession extendSession(SessionRequest req) {
    return asPrimary(req.clusterId(), () -> {
      if (req.clientId().isEmpty() || req.clientId().length() > 256) {
        throw CatenaException.of(Errno.EINVAL, "client id must have 1-256 characters");
      }
      if (!req.type().isClient()) {
        throw CatenaException.of(Errno.EINVAL, "sessions are for FUSE and CLIENT, not %s", req.type());
      }
      long now = clock.millis();
      long timeout = config.get(MgmtdConfig.CLIENT_SESSION_TIMEOUT).toMillis();
      StoredSession s = write(txn -> {
        Optional<StoredSession> old = store.session(txn, req.clientId());
        long start = old.filter(o -> o.lastExtendMillis() + timeout > now).map(StoredSession::startMillis)
            .orElse(now);
        StoredSession n = new StoredSession(req.clientId(), req.type(), req.host(), req.description(), start, now);
        store.putSession(txn, n);
        return n;
      });
      return toSession(s, timeout);
    });
  }

  @Override
  public void closeSession(String cluster, String clientId) {
    asPrimary(cluster, () -> {
      write(txn -> {
        store.clearSession(txn, clientId);
        return null;
      });
    });
  }

  @Override
  public List<ClientSession> listSessions(String cluster) {
    return asPrimary(cluster, () -> {
      long now = clock.millis();
      long timeout = config.get(MgmtdConfig.CLIENT_SESSION_TIMEOUT).toMillis();
      return read(store::sessions).stream().filter(s -> s.lastExtendMillis() + timeout > now)
          .map(s -> toSession(s, timeout)).toList();
    });
  }

  private static ClientSession toSession(StoredSession s, long timeout) {
    return new ClientSession(s.clientId(), s.type(), s.host(), s.description(), s.startMillis(),
        s.lastExtendMillis(), s.lastExtendMillis() + timeout);
  }

  // --- administration ----------------------------------------------------------------------------------------

  @Override
  public List<TargetInfo> createTargets(String cluster, List<TargetSpec> specs) {
    return asPrimary(cluster, () -> {
      write(txn -> {
        Map<Long, NodeInfo> nodes = byId(store.nodes(txn), NodeInfo::nodeId);
        Map<Long, StoredTarget> existing = byId(store.targets(txn), StoredTarget::targetId);
        List<TargetSpec> fresh = ClusterValidator.targets(specs, nodes, existing);
        for (TargetSpec t : fresh) {
          store.putTarget(txn, new StoredTarget(t.targetId(), t.nodeId(), t.diskIndex(), 0));
        }
        if (!fresh.isEmpty()) {
          store.bumpRoutingVersion(txn);
        }
        return null;
      });
      Snapshot s = read(this::snapshot);
      return specs.stream().map(t -> targetInfo(s.targets.get(t.targetId()), s)).toList();
    });
  }

  @Override
  public List<ChainInfo> uploadChains(String cluster, List<ChainSpec> specs) {
    return asPrimary(cluster, () -> {
      return write(txn -> {
        Map<Long, StoredTarget> targets = byId(store.targets(txn), StoredTarget::targetId);
        Map<Long, ChainInfo> existing = new LinkedHashMap<>(byId(store.chains(txn), ChainInfo::chainId));
        List<ChainSpec> fresh = ClusterValidator.chains(specs, targets, existing);
        for (ChainSpec c : fresh) {
          ChainInfo ci = ChainInfo.allServing(c.chainId(), c.targetIds());
          store.putChain(txn, ci);
          existing.put(c.chainId(), ci);
          for (long t : c.targetIds()) {
            store.putTarget(txn, targets.get(t).withChain(c.chainId()));
          }
        }
        if (!fresh.isEmpty()) {
          store.bumpRoutingVersion(txn);
        }
        return specs.stream().map(c -> existing.get(c.chainId())).toList();
      });
    });
  }

  @Override
  public ChainTable uploadChainTable(String cluster, int tableId, List<Long> chainIds) {
    return asPrimary(cluster, () -> {
      List<Long> ids = List.copyOf(chainIds);
      return write(txn -> {
        ClusterValidator.chainTable(tableId, ids, byId(store.chains(txn), ChainInfo::chainId));
        Optional<ChainTable> latest = store.latestChainTable(txn, tableId);
        if (latest.isPresent() && latest.get().chainIds().equals(ids)) {
          return latest.get();
        }
        ChainTable t = new ChainTable(tableId, latest.map(ChainTable::version).orElse(0L) + 1, ids);
        store.putChainTable(txn, t);
        store.bumpRoutingVersion(txn);
        return t;
      });
    });
  }

  @Override
  public ChainInfo offlineTarget(String cluster, long targetId) {
    return asPrimary(cluster, () -> {
      Snapshot s = read(this::snapshot);
      StoredTarget t = s.targets.get(targetId);
      if (t == null) {
        throw CatenaException.of(Errno.ENOENT, "unknown target %d", targetId);
      }
      ChainInfo c = s.chains.get(t.chainId());
      if (c == null) {
        throw CatenaException.of(Errno.EINVAL, "target %d is in no chain", targetId);
      }
      ChainInfo next = ChainStateMachine.next(c, reportsFor(c, s, OptionalLong.of(targetId)));
      ChainInfo result = next == c ? c : putChainIfUnchanged(c, next);
      live.fence(targetId);
      unfenceIfSeenOffline(result);
      log.info("mgmtd {}: operator took target {} offline: {}", nodeId, targetId, result);
      return result;
    });
  }

  @Override
  public ChainInfo rotateLastSrv(String cluster, long chainId, OptionalLong promote) {
    return asPrimary(cluster, () -> {
      ChainInfo c = read(txn -> store.chain(txn, chainId))
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown chain %d", chainId));
      ChainInfo result = putChainIfUnchanged(c, ChainStateMachine.rotateLastSrv(c, promote));
      log.warn("mgmtd {}: operator rotated lastsrv of chain {}: {}", nodeId, chainId, result);
      return result;
    });
  }

  @Override
  public ChainInfo updateChain(String cluster, ChainUpdate u) {
    Objects.requireNonNull(u, "update");
    return asPrimary(cluster, () -> {
      // One transaction reads the chain and every member it checks: a concurrent scan or upload conflicts with it.
      ChainInfo result = write(txn -> {
        ChainInfo c = store.chain(txn, u.chainId())
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown chain %d", u.chainId()));
        StoredTarget t = store.target(txn, u.targetId())
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown target %d", u.targetId()));
        ChainInfo next;
        if (u.op() == ChainUpdate.Op.ADD) {
          if (t.chainId() != 0 && t.chainId() != c.chainId()) {
            throw CatenaException.of(Errno.EEXIST, "target %d already belongs to chain %d; remove it there first",
                t.targetId(), t.chainId());
          }
          for (long member : c.targetIds()) {
            StoredTarget m = store.target(txn, member).orElseThrow();
            if (member != t.targetId() && m.nodeId() == t.nodeId()) {
              // A chain's replicas must survive the loss of one node; two on one node defeat that.
              throw CatenaException.of(Errno.EINVAL, "chain %d already has target %d on node %d; a chain needs its"
                  + " targets on different nodes", c.chainId(), member, t.nodeId());
            }
          }
          next = ChainMembership.add(c, t.targetId());
        } else {
          next = ChainMembership.remove(c, t.targetId());
        }
        if (next == c) {
          return c;
        }
        store.putChain(txn, next);
        store.putTarget(txn, t.withChain(u.op() == ChainUpdate.Op.ADD ? c.chainId() : 0));
        store.bumpRoutingVersion(txn);
        return next;
      });
      log.warn("mgmtd {}: operator {} target {} {} chain {}: {}", nodeId, u.op() == ChainUpdate.Op.ADD ? "added"
          : "removed", u.targetId(), u.op() == ChainUpdate.Op.ADD ? "to" : "from", u.chainId(), result);
      return result;
    });
  }

  @Override
  public Optional<ChainInfo> removeTarget(String cluster, long targetId) {
    return asPrimary(cluster, () -> {
      Optional<ChainInfo> result = write(txn -> {
        StoredTarget t = store.target(txn, targetId)
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown target %d", targetId));
        Optional<ChainInfo> after = Optional.empty();
        if (t.chainId() != 0) {
          ChainInfo c = store.chain(txn, t.chainId()).orElseThrow();
          PublicTargetState st = c.stateOf(targetId).orElse(PublicTargetState.OFFLINE);
          if (st != PublicTargetState.OFFLINE) {
            throw CatenaException.of(Errno.EBUSY, "target %d is %s in chain %d; take it offline first"
                + " (offline-target %d) or move it out (update-chain --remove)", targetId, st, c.chainId(), targetId);
          }
          ChainInfo next = ChainMembership.remove(c, targetId);
          store.putChain(txn, next);
          after = Optional.of(next);
        }
        store.clearTarget(txn, targetId);
        store.bumpRoutingVersion(txn);
        return after;
      });
      live.forgetTarget(targetId);
      log.warn("mgmtd {}: operator removed target {}{}", nodeId, targetId,
          result.map(c -> " (chain now " + c + ")").orElse(""));
      return result;
    });
  }

  /** Writes {@code next} if the stored chain is still {@code base}; otherwise the caller's decision is stale. */
  private ChainInfo putChainIfUnchanged(ChainInfo base, ChainInfo next) {
    return write(txn -> {
      ChainInfo cur = store.chain(txn, base.chainId()).orElseThrow();
      if (cur.version() != base.version()) {
        throw CatenaException.of(Errno.EAGAIN, "chain %d changed meanwhile (v%d -> v%d); look again and retry",
            base.chainId(), base.version(), cur.version());
      }
      store.putChain(txn, next);
      store.bumpRoutingVersion(txn);
      return next;
    });
  }

  // --- users -------------------------------------------------------------------------------------------------

  @Override
  public String addUser(String cluster, UserAccount user) {
    return asPrimary(cluster, () -> {
      if (!USER_NAME.matcher(user.name()).matches()) {
        throw CatenaException.of(Errno.EINVAL, "bad user name '%s': 1-32 characters of [a-z0-9_.-], starting with a"
            + " letter or _", user.name());
      }
      String token = Tokens.newToken();
      write(txn -> {
        if (store.user(txn, user.uid()).isPresent()) {
          throw CatenaException.of(Errno.EEXIST, "uid %d is already used", user.uid());
        }
        for (ClusterStore.StoredUser u : store.users(txn)) {
          if (u.user().name().equals(user.name())) {
            throw CatenaException.of(Errno.EEXIST, "user name '%s' is already used by uid %d", user.name(),
                u.user().uid());
          }
        }
        store.putUser(txn, new ClusterStore.StoredUser(user, Tokens.hash(token)));
        return null;
      });
      return token;
    });
  }

  @Override
  public String setUserToken(String cluster, long uid) {
    return asPrimary(cluster, () -> {
      String token = Tokens.newToken();
      write(txn -> {
        ClusterStore.StoredUser u = store.user(txn, uid)
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown uid %d", uid));
        store.clearUser(txn, u);
        store.putUser(txn, new ClusterStore.StoredUser(u.user(), Tokens.hash(token)));
        return null;
      });
      return token;
    });
  }

  @Override
  public void removeUser(String cluster, long uid) {
    asPrimary(cluster, () -> {
      write(txn -> {
        store.clearUser(txn, store.user(txn, uid)
            .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "unknown uid %d", uid)));
        return null;
      });
    });
  }

  @Override
  public List<UserAccount> listUsers(String cluster) {
    return asPrimary(cluster, () -> {
      return read(store::users).stream().map(ClusterStore.StoredUser::user).toList();
    });
  }

  @Override
  public UserAccount authenticate(String cluster, String token) {
    return asPrimary(cluster, () -> {
      byte[] hash = Tokens.hash(token);
      return read(txn -> store.uidOfToken(txn, hash).flatMap(uid -> store.user(txn, uid)))
          .map(ClusterStore.StoredUser::user)
          .orElseThrow(() -> CatenaException.of(Errno.EKEYREJECTED, "unknown token"));
    });
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

  private RoutingInfo routingNow(String cluster) {
    return getRoutingInfo(cluster, -1).orElseThrow();
  }

  // --- plumbing ----------------------------------------------------------------------------------------------

  /**
   * The frame of every service call: under the lock, refused unless it names this cluster and this instance is
   * primary (a redirect otherwise). Writes inside still go through {@link #write}, which re-checks the lease in the
   * transaction itself.
   */
  private <T> T asPrimary(String cluster, Supplier<T> body) {
    lock.lock();
    try {
      checkCluster(cluster);
      requirePrimary();
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

  /** Throws the redirect (or "no primary yet") unless this instance holds an unexpired lease. */
  private long requirePrimary() {
    long now = clock.millis();
    if (epoch != 0 && now < leaseExpiresAt) {
      return epoch;
    }
    Optional<Lease> l = read(store::lease);
    lastSeenLease = l.orElse(null);
    if (l.isPresent() && l.get().holderId() != nodeId && !l.get().expiredAt(now)) {
      throw new CatenaException(Status.notPrimary(l.get().holderId(), l.get().holderAddress()));
    }
    throw CatenaException.retryable(Errno.EAGAIN, "mgmtd %d is not primary and no primary is known yet; retry"
        + " shortly", nodeId);
  }

  /** Thrown inside a write transaction when the lease is gone; not a CatenaException so the runner does not retry. */
  private static final class LeaseLost extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final transient Lease current;

    LeaseLost(Lease current) {
      super("lease lost", null, false, false);
      this.current = current;
    }
  }

  /** A write transaction of the primary, valid only while it still holds its lease (see the class comment). */
  private <T> T write(TxnFunction<ReadWriteTransaction, T> body) {
    long myEpoch = requirePrimary();
    try {
      return runner.run(txn -> {
        Lease l = store.lease(txn).orElse(null);
        if (l == null || !l.heldBy(nodeId, myEpoch) || l.expiredAt(clock.millis())) {
          throw new LeaseLost(l);
        }
        return body.apply(txn);
      });
    } catch (LeaseLost e) {
      epoch = 0;
      lastSeenLease = e.current;
      log.warn("mgmtd {} lost its lease (now {}); write refused", nodeId, e.current);
      if (e.current != null && e.current.holderId() != nodeId && !e.current.expiredAt(clock.millis())) {
        throw new CatenaException(Status.notPrimary(e.current.holderId(), e.current.holderAddress()));
      }
      throw CatenaException.retryable(Errno.EAGAIN, "mgmtd %d lost its lease; retry shortly", nodeId);
    }
  }

  /** A read-only transaction with retries; reads in it are snapshot reads (see {@link SnapshotView}). */
  private <T> T read(TxnFunction<ReadTransaction, T> body) {
    return runner.read(txn -> body.apply(new SnapshotView(txn)));
  }

  /** Everything routing is made of, read in one transaction. */
  private record Snapshot(long routingVersion, Map<Long, NodeInfo> nodes, Map<Long, StoredTarget> targets,
      Map<Long, ChainInfo> chains, List<ChainTable> tables) {}

  /**
   * The snapshot, re-read only when the routing version moved: every change to what it holds bumps that version
   * in the same transaction, so one key read tells whether the cached copy is current. Heartbeats then cost one
   * key read instead of a scan of the whole cluster.
   */
  private Snapshot snapshot(ReadTransaction txn) {
    long rv = store.routingVersion(txn);
    Snapshot c = cached;
    if (c != null && c.routingVersion == rv) {
      return c;
    }
    c = readSnapshot(txn);
    cached = c;
    return c;
  }

  private Snapshot readSnapshot(ReadTransaction txn) {
    return new Snapshot(store.routingVersion(txn), byId(store.nodes(txn), NodeInfo::nodeId),
        byId(store.targets(txn), StoredTarget::targetId), byId(store.chains(txn), ChainInfo::chainId),
        store.chainTables(txn));
  }

  private static <T> Map<Long, T> byId(List<T> items, Function<T, Long> id) {
    return Collections.unmodifiableMap(
        items.stream().collect(Collectors.toMap(id, x -> x, (a, b) -> a, LinkedHashMap::new)));
  }
}
