package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.net.Address;
import io.catena.kv.ReadTransaction;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.VersionedConfig;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Membership of service nodes: registration (and restarts, told apart by incarnation) and heartbeats, which keep
 * a node alive, report its targets' local states and carry back commands, config and the routing version.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class Membership {
  private static final Logger log = LoggerFactory.getLogger(Membership.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final LiveState live;
  private final RoutingPublisher routing;
  private final ConfigStore configs;
  private final Clock clock;
  private final long nodeId;

  Membership(ClusterStore store, PrimaryLease lease, LiveState live, RoutingPublisher routing, ConfigStore configs,
      Clock clock, long nodeId) {
    this.store = store;
    this.lease = lease;
    this.live = live;
    this.routing = routing;
    this.configs = configs;
    this.clock = clock;
    this.nodeId = nodeId;
  }

  /** Registers a service node, or its restart (a new incarnation): its targets must then be seen offline. */
  NodeInfo register(RegisterRequest req) {
    if (req.nodeId() <= 0) {
      throw CatenaException.of(Errno.EINVAL, "node id must be positive: %d", req.nodeId());
    }
    if (req.type().isClient() || req.type() == NodeType.MGMTD) {
      throw CatenaException.of(Errno.EINVAL, "%s nodes do not register: clients keep sessions, mgmtd holds the"
          + " lease", req.type());
    }
    String addr = Address.parse(req.address()).toString();
    long now = clock.millis();
    long timeout = configs.current().get(MgmtdConfig.HEARTBEAT_TIMEOUT).toMillis();
    boolean heardRecently = now - live.lastHeard(req.nodeId()) <= timeout;
    record Registered(NodeInfo node, boolean restarted, List<Long> targets) {}
    Registered r = lease.write(txn -> {
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

  /**
   * Takes a node's heartbeat: checked whole before it changes anything, then the node counts as heard, its target
   * reports are recorded, and the reply carries commands, a newer config and the routing version.
   */
  HeartbeatReply heartbeat(HeartbeatRequest req) {
    long now = clock.millis();
    RoutingSnapshot s = routing.snapshot();
    NodeInfo node = s.nodes().get(req.nodeId());
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
      StoredTarget st = s.targets().get(tr.targetId());
      if (st == null) {
        // Removed by an operator (remove-target) while the node still holds it: nobody routes to it any more, and
        // refusing the whole heartbeat would make the node look dead.
        continue;
      }
      if (st.nodeId() != req.nodeId()) {
        throw CatenaException.of(Errno.EINVAL, "node %d reports target %d, which is not one of its targets",
            req.nodeId(), tr.targetId());
      }
      ChainInfo c = s.chains().get(st.chainId());
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
      lease.write(txn -> {
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
    for (StoredTarget st : s.targets().values()) {
      if (st.nodeId() == req.nodeId() && !reported.contains(st.targetId())) {
        live.putTarget(st.targetId(), new LiveState.TargetLive(LocalTargetState.OFFLINE, 0, 0, 0));
      }
    }
    List<NodeCommand> commands = new ArrayList<>();
    for (TargetReport tr : reports) {
      live.putTarget(tr.targetId(),
          new LiveState.TargetLive(tr.state(), tr.chainVersion(), tr.usedBytes(), tr.capacityBytes()));
      ChainInfo c = s.chains().get(s.targets().get(tr.targetId()).chainId());
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
      } else if (live.isRetiring(tr.targetId()) && tr.state() == LocalTargetState.UPTODATE) {
        // A drained target stops serving reads (its ONLINE report says so) before it leaves its chain; see Drainer.
        commands.add(new NodeCommand(NodeCommand.Kind.STOP_SERVING_TARGET, tr.targetId(),
            "target is draining and its replacement serves"));
      }
    }
    Optional<VersionedConfig> cfg = configs.newerThan(node.type(), req.configVersion());
    long rv = lease.read(store::routingVersion);
    return new HeartbeatReply(rv, cfg, commands);
  }
}
