package io.catena.mgmtd.server;

import io.catena.common.cluster.LocalTargetState;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * What the primary has heard in heartbeats during its current term: kept in memory only, like 3FS, because it
 * changes every few seconds and a new primary relearns it within a heartbeat interval (the grace period covers
 * that). Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class LiveState {
  record NodeLive(long incarnation, long lastHeartbeatMillis, long heartbeatVersion, long configVersion,
      String configStatus) {}

  record TargetLive(LocalTargetState state, long chainVersion, long usedBytes, long capacityBytes) {}

  private final Map<Long, NodeLive> nodes = new HashMap<>();
  private final Map<Long, TargetLive> targets = new HashMap<>();
  /** Targets of restarted nodes: treated as offline until their chain shows them offline. */
  private final Set<Long> fenced = new HashSet<>();
  /** Draining targets whose replacement serves: their nodes are told to stop serving reads from them. */
  private final Set<Long> retiring = new HashSet<>();
  private long termStartMillis;
  private long forgivenUntil;

  /** Forgets everything: a new term starts now, and nodes not heard yet count as heard now. */
  void reset(long nowMillis) {
    nodes.clear();
    targets.clear();
    fenced.clear();
    termStartMillis = nowMillis;
  }

  long termStartMillis() {
    return termStartMillis;
  }

  Optional<NodeLive> node(long nodeId) {
    return Optional.ofNullable(nodes.get(nodeId));
  }

  void putNode(long nodeId, NodeLive n) {
    nodes.put(nodeId, n);
  }

  /**
   * This instance was not running for a while (a pause, a stall): nobody could be heard meanwhile, so silence before
   * {@code nowMillis} must not count against any node.
   */
  void forgiveSilenceBefore(long nowMillis) {
    forgivenUntil = Math.max(forgivenUntil, nowMillis);
  }

  /** When the node was last heard, or the start of this term if never (or the last forgiven stall, if later). */
  long lastHeard(long nodeId) {
    NodeLive n = nodes.get(nodeId);
    long heard = n == null ? termStartMillis : n.lastHeartbeatMillis();
    return Math.max(heard, forgivenUntil);
  }

  Optional<TargetLive> target(long targetId) {
    return Optional.ofNullable(targets.get(targetId));
  }

  void putTarget(long targetId, TargetLive t) {
    targets.put(targetId, t);
  }

  /** A removed target: what was heard of it must not resurface if its id is used again. */
  void forgetTarget(long targetId) {
    targets.remove(targetId);
    fenced.remove(targetId);
  }

  void fence(long targetId) {
    fenced.add(targetId);
  }

  void unfence(long targetId) {
    fenced.remove(targetId);
  }

  boolean isFenced(long targetId) {
    return fenced.contains(targetId);
  }

  void retire(long targetId) {
    retiring.add(targetId);
  }

  void unretire(long targetId) {
    retiring.remove(targetId);
  }

  boolean isRetiring(long targetId) {
    return retiring.contains(targetId);
  }
}
