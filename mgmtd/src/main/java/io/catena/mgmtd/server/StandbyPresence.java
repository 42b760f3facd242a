package io.catena.mgmtd.server;

import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.kv.TransactionRunner;
import io.catena.mgmtd.MgmtdConfig;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes standby mgmtd instances visible in the node list, so operators (and {@code admin health}) see every mgmtd that
 * runs, and a previous primary that came back shows alive again instead of failed forever. A standby bumps a beat
 * counter in its presence record once per lease-renew interval (a blind write, outside the lease: it changes no
 * cluster state); the primary notes, by its own clock, when each counter last changed, and lists standbys whose
 * counter moved within {@code mgmtd.heartbeat_timeout} as ALIVE, the others as FAILED. Comparing counters rather than
 * timestamps keeps clock skew between hosts out of it; a new term starts everyone's clock at the term's start.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class StandbyPresence {
  private static final Logger log = LoggerFactory.getLogger(StandbyPresence.class);

  /** The last counter seen of a standby and when (primary's clock) it changed. */
  private record Seen(long beat, long changedAt) {}

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final TransactionRunner runner;
  private final Supplier<Config> config;
  private final long nodeId;
  private final String address;
  private final long beatEveryMillis;
  private final Map<Long, Seen> seen = new HashMap<>();
  private long termStart;
  private long beat;
  private long lastBeatAt = Long.MIN_VALUE / 2; // so the first beat is due at once (no overflow in now - lastBeatAt)

  StandbyPresence(ClusterStore store, PrimaryLease lease, TransactionRunner runner, Supplier<Config> config,
      long nodeId, String address, long beatEveryMillis) {
    this.store = store;
    this.lease = lease;
    this.runner = runner;
    this.config = config;
    this.nodeId = nodeId;
    this.address = address;
    this.beatEveryMillis = beatEveryMillis;
  }

  /** As a standby: bumps this instance's presence record when one renew interval has passed since the last. */
  void beat(long now) {
    if (now - lastBeatAt < beatEveryMillis) {
      return;
    }
    lastBeatAt = now;
    long next = beat + 1;
    try {
      runner.run(txn -> {
        store.putStandby(txn, new ClusterStore.Standby(nodeId, address, next));
        return null;
      });
      beat = next;
    } catch (RuntimeException e) {
      // The store is unreachable: the primary (if any) will list this instance failed until the next beat lands.
      log.debug("mgmtd {}: standby beat not written: {}", nodeId, e.toString());
    }
  }

  /** A new term: what the previous term saw is unknown, so every standby's clock starts now. */
  void reset(long now) {
    seen.clear();
    termStart = now;
  }

  /** As the primary: lists standbys alive or failed by whether their counter moved within the heartbeat timeout. */
  void judge(long now) {
    long timeout = config.get().get(MgmtdConfig.HEARTBEAT_TIMEOUT).toMillis();
    List<ClusterStore.Standby> standbys = lease.read(store::standbys);
    Map<Long, NodeInfo> want = new HashMap<>();
    for (ClusterStore.Standby s : standbys) {
      if (s.nodeId() == nodeId) {
        continue; // the primary lists itself (PrimaryLease)
      }
      Seen prev = seen.get(s.nodeId());
      Seen cur = prev == null ? new Seen(s.beat(), termStart) : prev.beat() != s.beat() ? new Seen(s.beat(), now)
          : prev;
      seen.put(s.nodeId(), cur);
      NodeStatus status = now - cur.changedAt() <= timeout ? NodeStatus.ALIVE : NodeStatus.FAILED;
      want.put(s.nodeId(), new NodeInfo(s.nodeId(), NodeType.MGMTD, s.address(), status, 0, 0, 0, ""));
    }
    Map<Long, NodeInfo> stored = new HashMap<>();
    lease.read(store::nodes).forEach(n -> stored.put(n.nodeId(), n));
    boolean differs = want.values().stream().anyMatch(w -> !sameListing(stored.get(w.nodeId()), w));
    if (!differs) {
      return;
    }
    lease.write(txn -> {
      boolean changed = false;
      for (NodeInfo w : want.values()) {
        Optional<NodeInfo> cur = store.node(txn, w.nodeId());
        if (cur.isPresent() && cur.get().type() != NodeType.MGMTD) {
          continue; // a node id misused by another role: registration refuses it; leave it alone
        }
        if (!sameListing(cur.orElse(null), w)) {
          store.putNode(txn, w);
          changed = true;
          log.info("mgmtd {}: standby mgmtd {} at {} is {}", nodeId, w.nodeId(), w.address(), w.status());
        }
      }
      if (changed) {
        store.bumpRoutingVersion(txn);
      }
      return null;
    });
  }

  private static boolean sameListing(NodeInfo stored, NodeInfo want) {
    return stored != null && stored.type() == NodeType.MGMTD && stored.status() == want.status()
        && stored.address().equals(want.address());
  }
}
