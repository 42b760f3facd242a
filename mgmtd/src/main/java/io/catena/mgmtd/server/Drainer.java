package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.config.Config;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.mgmtd.DrainState;
import io.catena.mgmtd.chain.ChainMembership;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Drains marked targets, one step per primary tick: for a chain holding a draining target it adds a replacement
 * replica on another node (WAITING; the storage node creates it, the chain state machine lets it sync from the
 * serving members through the ordinary resync), and only when that replica is SERVING takes the draining target out
 * of the chain. So a chain never has fewer serving replicas than before the drain. Everything it decides is stored
 * (marks and the replacement they wait for), so a restarted or new primary carries on where this one stopped.
 * At most {@code mgmtd.drain_moves_per_node} chains of one node move at a time.
 *
 * <p>Not thread-safe: guarded by {@link MgmtdServer}'s lock.
 */
final class Drainer {
  private static final Logger log = LoggerFactory.getLogger(Drainer.class);

  private final ClusterStore store;
  private final DrainStore drains;
  private final PrimaryLease lease;
  private final RoutingPublisher routing;
  private final LiveState live;
  private final Supplier<Config> config;
  private final Clock clock;
  private final long nodeId;
  /** Why a draining target's chain is not moving, from the last step (shown by status; not stored). */
  private final Map<Long, String> blocked = new HashMap<>();

  Drainer(ClusterStore store, DrainStore drains, PrimaryLease lease, RoutingPublisher routing, LiveState live,
      Supplier<Config> config, Clock clock, long nodeId) {
    this.live = live;
    this.store = store;
    this.drains = drains;
    this.lease = lease;
    this.routing = routing;
    this.config = config;
    this.clock = clock;
    this.nodeId = nodeId;
  }

  // --- operator calls ------------------------------------------------------------------------------------------

  List<DrainState> mark(List<Long> targetIds, long node) {
    List<Long> marked = lease.write(txn -> {
      RoutingSnapshot s = RoutingSnapshot.read(store, txn);
      Set<Long> chosen = select(s, targetIds, node);
      Set<Long> draining = new HashSet<>(chosen);
      drains.marks(txn).forEach(m -> draining.add(m.targetId()));
      for (long t : chosen) {
        StoredTarget st = s.targets().get(t);
        ChainInfo c = s.chains().get(st.chainId());
        if (c == null) {
          continue;
        }
        // Every draining member of the chain needs a node of its own outside the chain.
        long needed = c.targetIds().stream().filter(draining::contains).count();
        List<Long> room = candidates(s, c, draining, false);
        if (room.size() < needed) {
          throw CatenaException.of(Errno.ENOSPC, "cannot drain target %d: its chain %d has replicas on nodes %s"
              + " and needs %d replacement(s) on other nodes, but only %d storage node(s) can take one (storage"
              + " nodes %s; draining nodes %s). Add a storage node, or cancel another drain", t, c.chainId(),
              nodesOf(s, c), needed, room.size(), storageNodes(s), drainingNodes(s, draining));
        }
      }
      long now = clock.millis();
      List<Long> fresh = new ArrayList<>();
      for (long t : chosen) {
        if (drains.mark(txn, t).isEmpty()) {
          drains.put(txn, new DrainStore.Mark(t, now, 0));
          fresh.add(t);
        }
      }
      return fresh;
    });
    if (!marked.isEmpty()) {
      log.warn("mgmtd {}: operator marked targets {} for draining", nodeId, marked);
    }
    return status();
  }

  List<DrainState> cancel(List<Long> targetIds, long node) {
    List<Long> cleared = lease.write(txn -> {
      Set<Long> chosen = select(RoutingSnapshot.read(store, txn), targetIds, node);
      List<Long> out = new ArrayList<>();
      for (long t : chosen) {
        if (drains.mark(txn, t).isPresent()) {
          drains.clear(txn, t);
          out.add(t);
        }
      }
      return out;
    });
    cleared.forEach(blocked::remove);
    cleared.forEach(live::unretire);
    if (!cleared.isEmpty()) {
      log.warn("mgmtd {}: operator cancelled the drain of targets {}", nodeId, cleared);
    }
    return status();
  }

  List<DrainState> status() {
    RoutingSnapshot s = routing.snapshot();
    List<DrainState> out = new ArrayList<>();
    for (DrainStore.Mark m : lease.read(drains::marks)) {
      StoredTarget t = s.targets().get(m.targetId());
      if (t == null) {
        continue; // removed: the next step forgets the mark
      }
      ChainInfo c = s.chains().get(t.chainId());
      long rep = t.chainId() == 0 ? 0 : m.replacementTargetId();
      String repState = rep == 0 || c == null ? "" : c.stateOf(rep).map(Enum::name).orElse("");
      StoredTarget rt = s.targets().get(rep);
      out.add(new DrainState(t.targetId(), t.nodeId(), t.chainId(), rep, repState, used(t, s),
          rt == null ? 0 : used(rt, s), m.markedAtMillis(), t.chainId() == 0 ? "" : blocked.getOrDefault(
              t.targetId(), "")));
    }
    return out;
  }

  /** Whether {@code targetId} is marked, read in {@code txn} (placement of new chains refuses draining targets). */
  boolean isDraining(ReadTransaction txn, long targetId) {
    return drains.mark(txn, targetId).isPresent();
  }

  private long used(StoredTarget t, RoutingSnapshot s) {
    TargetInfo ti = routing.targetInfo(t, s);
    return ti.usedBytes();
  }

  /** The named targets plus every target of {@code node}; ENOENT for unknown ones, EINVAL for none. */
  private static Set<Long> select(RoutingSnapshot s, List<Long> targetIds, long node) {
    Set<Long> out = new LinkedHashSet<>();
    for (long t : targetIds) {
      if (!s.targets().containsKey(t)) {
        throw CatenaException.of(Errno.ENOENT, "unknown target %d (list-targets shows them)", t);
      }
      out.add(t);
    }
    if (node > 0) {
      NodeInfo n = s.nodes().get(node);
      if (n == null || n.type() != NodeType.STORAGE) {
        throw CatenaException.of(Errno.ENOENT, "unknown storage node %d (list-nodes shows them)", node);
      }
      s.targets().values().stream().filter(t -> t.nodeId() == node).forEach(t -> out.add(t.targetId()));
    }
    if (out.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, node > 0 ? "storage node %d holds no targets" : "name targets to drain"
          + " or a storage node (--node)", node);
    }
    return out;
  }

  // --- the background step -------------------------------------------------------------------------------------

  /** One step of every drain: finish moves whose replacement serves, start moves where the node has room. */
  void step() {
    List<DrainStore.Mark> marks = lease.read(drains::marks);
    if (marks.isEmpty()) {
      blocked.clear();
      return;
    }
    RoutingSnapshot s = routing.snapshot();
    int perNode = config.get().get(MgmtdServerConfig.DRAIN_MOVES_PER_NODE);
    Set<Long> draining = marks.stream().map(DrainStore.Mark::targetId).collect(Collectors.toSet());
    Map<Long, Integer> moving = new HashMap<>();
    for (DrainStore.Mark m : marks) {
      StoredTarget t = s.targets().get(m.targetId());
      if (t != null && t.chainId() != 0 && m.replacementTargetId() != 0) {
        moving.merge(t.nodeId(), 1, Integer::sum);
      }
    }
    blocked.keySet().retainAll(draining);
    for (DrainStore.Mark m : marks) {
      try {
        stepOne(m, s, draining, moving, perNode);
      } catch (CatenaException e) {
        // A chain changed meanwhile (a scan, an operator) or a removal was refused: the next tick looks again.
        blocked.put(m.targetId(), e.getMessage());
        log.info("mgmtd {}: drain of target {}: {}", nodeId, m.targetId(), e.status());
      }
    }
  }

  private void stepOne(DrainStore.Mark m, RoutingSnapshot s, Set<Long> draining, Map<Long, Integer> moving,
      int perNode) {
    StoredTarget t = s.targets().get(m.targetId());
    if (t == null) {
      lease.write(txn -> {
        drains.clear(txn, m.targetId());
        return null;
      });
      blocked.remove(m.targetId());
      log.info("mgmtd {}: target {} was removed; its drain is over", nodeId, m.targetId());
      return;
    }
    ChainInfo c = s.chains().get(t.chainId());
    if (t.chainId() == 0 || c == null) {
      blocked.remove(m.targetId());
      return; // done: remove-target may delete it
    }
    if (m.replacementTargetId() != 0) {
      Optional<PublicTargetState> rs = c.stateOf(m.replacementTargetId());
      if (rs.isEmpty()) {
        // Someone took the replacement out of the chain: start over with a new one.
        lease.write(txn -> {
          drains.put(txn, m.withReplacement(0));
          return null;
        });
        log.warn("mgmtd {}: replacement {} left chain {}; target {} needs a new one", nodeId,
            m.replacementTargetId(), c.chainId(), t.targetId());
      } else if (rs.get() == PublicTargetState.SERVING) {
        // Readers with older routing than the storage node's may still pick the draining target, and writes at
        // the chain version without it would not reach it: it must stop serving reads first. Its node is told
        // to (heartbeat reply) and says it did by reporting ONLINE instead of UPTODATE; only then does it leave.
        live.retire(t.targetId());
        boolean stoppedReads = live.target(t.targetId()).map(x -> x.state() != LocalTargetState.UPTODATE)
            .orElse(false);
        if (stoppedReads || isDown(s, t)) {
          finish(m, t, c);
          live.unretire(t.targetId());
        }
      }
      blocked.remove(m.targetId());
      return;
    }
    int busy = moving.getOrDefault(t.nodeId(), 0);
    if (busy >= perNode) {
      blocked.put(t.targetId(), "queued: node " + t.nodeId() + " already moves " + busy + " chain(s) "
          + "(mgmtd.drain_moves_per_node = " + perNode + ")");
      return;
    }
    List<Long> cands = candidates(s, c, draining, true);
    if (cands.isEmpty()) {
      blocked.put(t.targetId(), "no live storage node outside chain " + c.chainId() + " (nodes " + nodesOf(s, c)
          + ") and not draining can take a replacement now");
      return;
    }
    long node = cands.getFirst();
    int disk = leastUsedDisk(s, node);
    long rep = lease.write(txn -> {
      ChainInfo cur = store.chain(txn, c.chainId()).orElseThrow();
      if (cur.version() != c.version()) {
        throw CatenaException.of(Errno.EAGAIN, "chain %d changed meanwhile; next tick", c.chainId());
      }
      long maxId = store.targets(txn).stream().mapToLong(StoredTarget::targetId).max().orElse(0);
      long id = drains.takeTargetId(txn, maxId);
      store.putTarget(txn, new StoredTarget(id, node, disk, c.chainId()));
      store.putChain(txn, ChainMembership.add(cur, id));
      drains.put(txn, m.withReplacement(id));
      store.bumpRoutingVersion(txn);
      return id;
    });
    moving.merge(t.nodeId(), 1, Integer::sum);
    blocked.remove(t.targetId());
    log.warn("mgmtd {}: draining target {}: added replacement {} (node {}, disk {}) to chain {}", nodeId,
        t.targetId(), rep, node, disk, c.chainId());
  }

  /** A draining target whose node failed serves nobody: it may leave without first being told to stop. */
  private static boolean isDown(RoutingSnapshot s, StoredTarget t) {
    NodeInfo n = s.nodes().get(t.nodeId());
    return n == null || n.status() == NodeStatus.FAILED;
  }

  /** The replacement serves: the draining target leaves the chain (in one transaction with the check). */
  private void finish(DrainStore.Mark m, StoredTarget t, ChainInfo c) {
    ChainInfo after = lease.write(txn -> {
      ChainInfo cur = store.chain(txn, c.chainId()).orElseThrow();
      if (cur.stateOf(m.replacementTargetId()).orElse(null) != PublicTargetState.SERVING) {
        throw CatenaException.of(Errno.EAGAIN, "replacement %d of chain %d no longer serves",
            m.replacementTargetId(), c.chainId());
      }
      ChainInfo next = ChainMembership.remove(cur, t.targetId());
      store.putChain(txn, next);
      store.putTarget(txn, t.withChain(0));
      drains.put(txn, m.withReplacement(0));
      store.bumpRoutingVersion(txn);
      return next;
    });
    log.warn("mgmtd {}: draining target {} left chain {} (replacement {} serves): {}", nodeId, t.targetId(),
        c.chainId(), m.replacementTargetId(), after);
  }

  // --- choosing a node -----------------------------------------------------------------------------------------

  /**
   * Storage nodes that may take a replica of {@code c}: not holding one of its members, not being drained as a whole,
   * and (when {@code liveOnly}) not failed; least loaded (fewest chain members) first, then by id.
   */
  private static List<Long> candidates(RoutingSnapshot s, ChainInfo c, Set<Long> draining, boolean liveOnly) {
    Set<Long> inChain = nodesOf(s, c);
    Set<Long> drainingNodes = drainingNodes(s, draining);
    Map<Long, Long> load = s.targets().values().stream().filter(t -> t.chainId() != 0)
        .collect(Collectors.groupingBy(StoredTarget::nodeId, Collectors.counting()));
    return s.nodes().values().stream()
        .filter(n -> n.type() == NodeType.STORAGE)
        .filter(n -> !liveOnly || n.status() != NodeStatus.FAILED)
        .map(NodeInfo::nodeId)
        .filter(n -> !inChain.contains(n) && !drainingNodes.contains(n))
        .sorted(Comparator.<Long>comparingLong(n -> load.getOrDefault(n, 0L)).thenComparingLong(n -> n))
        .toList();
  }

  private static Set<Long> nodesOf(RoutingSnapshot s, ChainInfo c) {
    Set<Long> out = new java.util.TreeSet<>();
    for (long t : c.targetIds()) {
      StoredTarget st = s.targets().get(t);
      if (st != null) {
        out.add(st.nodeId());
      }
    }
    return out;
  }

  /**
   * Nodes on their way out: every target mgmtd knows there drains (a drain of the node). A node with only some
   * targets draining (a disk going) still takes replicas of other chains.
   */
  private static Set<Long> drainingNodes(RoutingSnapshot s, Set<Long> draining) {
    Set<Long> out = new java.util.TreeSet<>();
    for (long t : draining) {
      StoredTarget st = s.targets().get(t);
      if (st != null) {
        out.add(st.nodeId());
      }
    }
    for (StoredTarget t : s.targets().values()) {
      if (!draining.contains(t.targetId())) {
        out.remove(t.nodeId());
      }
    }
    return out;
  }

  private static List<Long> storageNodes(RoutingSnapshot s) {
    return s.nodes().values().stream().filter(n -> n.type() == NodeType.STORAGE).map(NodeInfo::nodeId).sorted()
        .toList();
  }

  /** The disk of {@code node} with the fewest chain members among those mgmtd knows (0 if it knows none). */
  private static int leastUsedDisk(RoutingSnapshot s, long node) {
    Map<Integer, Long> perDisk = new HashMap<>();
    for (StoredTarget t : s.targets().values()) {
      if (t.nodeId() == node) {
        perDisk.merge(t.diskIndex(), t.chainId() != 0 ? 1L : 0L, Long::sum);
      }
    }
    return perDisk.entrySet().stream().min(Map.Entry.<Integer, Long>comparingByValue()
        .thenComparing(Map.Entry.comparingByKey())).map(Map.Entry::getKey).orElse(0);
  }
}
