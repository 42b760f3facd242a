package io.catena.mgmtd.server;

import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.mgmtd.MgmtdConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Declares failed the service nodes the primary has not heard from for {@code mgmtd.heartbeat_timeout}; mgmtd
 * instances are judged by the lease instead ({@link PrimaryLease}).
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class FailureDetector {
  private static final Logger log = LoggerFactory.getLogger(FailureDetector.class);

  private final ClusterStore store;
  private final PrimaryLease lease;
  private final LiveState live;
  private final Supplier<Config> config;
  private final long nodeId;

  FailureDetector(ClusterStore store, PrimaryLease lease, LiveState live, Supplier<Config> config, long nodeId) {
    this.store = store;
    this.lease = lease;
    this.live = live;
    this.config = config;
    this.nodeId = nodeId;
  }

  void detect(long now) {
    long timeout = config.get().get(MgmtdConfig.HEARTBEAT_TIMEOUT).toMillis();
    List<Long> silent = new ArrayList<>();
    for (NodeInfo n : lease.read(store::nodes)) {
      if (n.type() != NodeType.MGMTD && n.status() == NodeStatus.ALIVE && now - live.lastHeard(n.nodeId()) > timeout) {
        silent.add(n.nodeId());
      }
    }
    if (silent.isEmpty()) {
      return;
    }
    lease.write(txn -> {
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
}
