package io.catena.mgmtd.server;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.kv.ReadTransaction;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routing info: the stored snapshot (cached per routing version) merged with what the primary heard in heartbeats,
 * and the listeners told of each new routing version.
 *
 * <p>Not thread-safe, guarded by {@link MgmtdServer}'s lock, except {@link #addListener} and {@link #announce}.
 */
final class RoutingPublisher {
  private static final Logger log = LoggerFactory.getLogger(RoutingPublisher.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final LiveState live;
  private final String clusterId;
  private final long nodeId;
  private final List<LongConsumer> listeners = new CopyOnWriteArrayList<>();
  private RoutingSnapshot cached;
  private long announcedVersion;

  RoutingPublisher(ClusterStore store, PrimaryLease lease, LiveState live, String clusterId, long nodeId) {
    this.store = store;
    this.lease = lease;
    this.live = live;
    this.clusterId = clusterId;
    this.nodeId = nodeId;
  }

  /** The current snapshot, read in a transaction of its own. */
  RoutingSnapshot snapshot() {
    return lease.read(this::snapshot);
  }

  /**
   * The snapshot, re-read only when the routing version moved: every change to what it holds bumps that version
   * in the same transaction, so one key read tells whether the cached copy is current. Heartbeats then cost one
   * key read instead of a scan of the whole cluster.
   */
  private RoutingSnapshot snapshot(ReadTransaction txn) {
    long rv = store.routingVersion(txn);
    RoutingSnapshot c = cached;
    if (c != null && c.routingVersion() == rv) {
      return c;
    }
    c = RoutingSnapshot.read(store, txn);
    cached = c;
    return c;
  }

  /** The routing info, or empty when it is still at {@code sinceVersion}. */
  Optional<RoutingInfo> since(long sinceVersion) {
    RoutingSnapshot s = snapshot();
    if (s.routingVersion() == sinceVersion) {
      return Optional.empty();
    }
    return Optional.of(routing(s));
  }

  private RoutingInfo routing(RoutingSnapshot s) {
    List<NodeInfo> nodes = new ArrayList<>();
    for (NodeInfo n : s.nodes().values()) {
      nodes.add(live.node(n.nodeId()).map(l -> n.withRuntime(l.lastHeartbeatMillis(), l.configVersion(),
          l.configStatus())).orElse(n));
    }
    List<TargetInfo> targets = new ArrayList<>();
    for (StoredTarget t : s.targets().values()) {
      targets.add(targetInfo(t, s));
    }
    return new RoutingInfo(s.routingVersion(), clusterId, nodes, targets, s.chains().values(), s.tables());
  }

  TargetInfo targetInfo(StoredTarget t, RoutingSnapshot s) {
    ChainInfo c = s.chains().get(t.chainId());
    PublicTargetState ps = c == null ? PublicTargetState.OFFLINE
        : c.stateOf(t.targetId()).orElse(PublicTargetState.OFFLINE);
    NodeInfo n = s.nodes().get(t.nodeId());
    Optional<LiveState.TargetLive> tl = live.target(t.targetId());
    LocalTargetState ls = n == null || n.status() == NodeStatus.FAILED ? LocalTargetState.OFFLINE
        : tl.map(LiveState.TargetLive::state).orElse(LocalTargetState.OFFLINE);
    return new TargetInfo(t.targetId(), t.nodeId(), t.diskIndex(), t.chainId(), ps, ls,
        tl.map(LiveState.TargetLive::usedBytes).orElse(0L), tl.map(LiveState.TargetLive::capacityBytes).orElse(0L));
  }

  /** See {@link MgmtdServer#addRoutingListener}. */
  void addListener(LongConsumer listener) {
    listeners.add(Objects.requireNonNull(listener));
  }

  /**
   * The routing version listeners have not heard yet, marked as heard; empty when there is none or this instance is
   * in no term (followers announce nothing: nodes are not subscribed to them).
   */
  OptionalLong takeUnannounced(boolean inTerm) {
    long rv = !inTerm || listeners.isEmpty() ? -1 : lease.read(store::routingVersion);
    if (rv <= announcedVersion) {
      return OptionalLong.empty();
    }
    announcedVersion = rv;
    return OptionalLong.of(rv);
  }

  /** Tells every listener; called outside the lock, since a listener may call back into the server. */
  void announce(long routingVersion) {
    for (LongConsumer l : listeners) {
      try {
        l.accept(routingVersion);
      } catch (RuntimeException e) {
        log.warn("mgmtd {}: routing listener failed: {}", nodeId, e.toString());
      }
    }
  }
}
