package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.TargetSpec;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Checks operator uploads (targets, chains, chain tables) against the current cluster before anything is written,
 * so a refused upload leaves the cluster exactly as it was. Errors name the offending item. Stateless; thread-safe.
 */
final class ClusterValidator {
  private ClusterValidator() {}

  /** Returns the specs that are new (identical existing targets are skipped). */
  static List<TargetSpec> targets(List<TargetSpec> specs, Map<Long, NodeInfo> nodes,
      Map<Long, StoredTarget> existing) {
    if (specs.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "no targets given");
    }
    Set<Long> seen = new HashSet<>();
    for (TargetSpec s : specs) {
      if (s.targetId() <= 0) {
        throw CatenaException.of(Errno.EINVAL, "target id must be positive: %d", s.targetId());
      }
      if (s.diskIndex() < 0) {
        throw CatenaException.of(Errno.EINVAL, "target %d: disk index must not be negative: %d", s.targetId(),
            s.diskIndex());
      }
      if (!seen.add(s.targetId())) {
        throw CatenaException.of(Errno.EINVAL, "target %d is listed twice", s.targetId());
      }
      NodeInfo n = nodes.get(s.nodeId());
      if (n == null) {
        throw CatenaException.of(Errno.ENOENT, "target %d: node %d is not registered", s.targetId(), s.nodeId());
      }
      if (n.type() != NodeType.STORAGE) {
        throw CatenaException.of(Errno.EINVAL, "target %d: node %d is a %s node, not a storage node", s.targetId(),
            s.nodeId(), n.type());
      }
      StoredTarget old = existing.get(s.targetId());
      if (old != null && (old.nodeId() != s.nodeId() || old.diskIndex() != s.diskIndex())) {
        throw CatenaException.of(Errno.EEXIST, "target %d already exists on node %d disk %d", s.targetId(),
            old.nodeId(), old.diskIndex());
      }
    }
    return specs.stream().filter(s -> !existing.containsKey(s.targetId())).toList();
  }

  /** Returns the chains that are new (identical existing chains are skipped). */
  static List<ChainSpec> chains(List<ChainSpec> specs, Map<Long, StoredTarget> targets,
      Map<Long, ChainInfo> existing) {
    if (specs.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "no chains given");
    }
    Set<Long> chainIds = new HashSet<>();
    Map<Long, Long> claimedBy = new HashMap<>();
    for (ChainSpec c : specs) {
      if (c.chainId() <= 0) {
        throw CatenaException.of(Errno.EINVAL, "chain id must be positive: %d", c.chainId());
      }
      if (!chainIds.add(c.chainId())) {
        throw CatenaException.of(Errno.EINVAL, "chain %d is listed twice", c.chainId());
      }
      if (c.targetIds().isEmpty()) {
        throw CatenaException.of(Errno.EINVAL, "chain %d has no targets", c.chainId());
      }
      Set<Long> inChain = new HashSet<>();
      Map<Long, Long> nodeOf = new HashMap<>();
      for (long t : c.targetIds()) {
        if (!inChain.add(t)) {
          throw CatenaException.of(Errno.EINVAL, "chain %d lists target %d twice", c.chainId(), t);
        }
        StoredTarget st = targets.get(t);
        if (st == null) {
          throw CatenaException.of(Errno.ENOENT, "chain %d: unknown target %d", c.chainId(), t);
        }
        Long other = nodeOf.put(st.nodeId(), t);
        if (other != null) {
          // A chain's replicas must survive the loss of one node; two on one node defeat that.
          throw CatenaException.of(Errno.EINVAL, "chain %d: targets %d and %d are both on node %d; a chain needs"
              + " its targets on different nodes", c.chainId(), other, t, st.nodeId());
        }
        Long prevChain = claimedBy.put(t, c.chainId());
        if (prevChain != null) {
          throw CatenaException.of(Errno.EEXIST, "target %d is listed in chains %d and %d", t, prevChain,
              c.chainId());
        }
        if (st.chainId() != 0 && st.chainId() != c.chainId()) {
          throw CatenaException.of(Errno.EEXIST, "chain %d: target %d already belongs to chain %d", c.chainId(), t,
              st.chainId());
        }
      }
      ChainInfo old = existing.get(c.chainId());
      if (old != null && !new HashSet<>(old.targetIds()).equals(inChain)) {
        throw CatenaException.of(Errno.EEXIST, "chain %d already exists with targets %s", c.chainId(),
            old.targetIds());
      }
    }
    return specs.stream().filter(c -> !existing.containsKey(c.chainId())).toList();
  }

  static void chainTable(int tableId, List<Long> chainIds, Map<Long, ChainInfo> chains) {
    if (tableId <= 0) {
      throw CatenaException.of(Errno.EINVAL, "chain table id must be positive: %d", tableId);
    }
    if (chainIds.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "chain table %d has no chains", tableId);
    }
    Set<Long> seen = new HashSet<>();
    for (long c : chainIds) {
      if (!seen.add(c)) {
        throw CatenaException.of(Errno.EINVAL, "chain table %d lists chain %d twice", tableId, c);
      }
      if (!chains.containsKey(c)) {
        throw CatenaException.of(Errno.ENOENT, "chain table %d: unknown chain %d", tableId, c);
      }
    }
  }
}
