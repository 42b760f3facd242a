package io.catena.common.cluster;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A versioned snapshot of the cluster: nodes, targets, chains and every version of every chain table. The version
 * increases whenever membership, a node's status, a chain or a chain table changes; services and clients refetch
 * when theirs is older. Immutable.
 */
public final class RoutingInfo {
  private final long version;
  private final String clusterId;
  private final Map<Long, NodeInfo> nodes;
  private final Map<Long, TargetInfo> targets;
  private final Map<Long, ChainInfo> chains;
  private final Map<Integer, NavigableMap<Long, ChainTable>> tables;

  public RoutingInfo(long version, String clusterId, Collection<NodeInfo> nodes, Collection<TargetInfo> targets,
      Collection<ChainInfo> chains, Collection<ChainTable> chainTables) {
    if (version < 0) {
      throw new IllegalArgumentException("routing version must not be negative: " + version);
    }
    this.version = version;
    this.clusterId = clusterId == null ? "" : clusterId;
    Map<Long, NodeInfo> n = new LinkedHashMap<>();
    for (NodeInfo x : nodes) {
      if (n.put(x.nodeId(), x) != null) {
        throw new IllegalArgumentException("node " + x.nodeId() + " listed twice");
      }
    }
    Map<Long, TargetInfo> t = new LinkedHashMap<>();
    for (TargetInfo x : targets) {
      if (t.put(x.targetId(), x) != null) {
        throw new IllegalArgumentException("target " + x.targetId() + " listed twice");
      }
    }
    Map<Long, ChainInfo> c = new LinkedHashMap<>();
    for (ChainInfo x : chains) {
      if (c.put(x.chainId(), x) != null) {
        throw new IllegalArgumentException("chain " + x.chainId() + " listed twice");
      }
    }
    Map<Integer, NavigableMap<Long, ChainTable>> tb = new LinkedHashMap<>();
    for (ChainTable x : chainTables) {
      if (tb.computeIfAbsent(x.tableId(), k -> new TreeMap<>()).put(x.version(), x) != null) {
        throw new IllegalArgumentException("chain table " + x.tableId() + " v" + x.version() + " listed twice");
      }
    }
    tb.replaceAll((k, v) -> Collections.unmodifiableNavigableMap(v));
    this.nodes = Collections.unmodifiableMap(n);
    this.targets = Collections.unmodifiableMap(t);
    this.chains = Collections.unmodifiableMap(c);
    this.tables = Collections.unmodifiableMap(tb);
  }

  /** The empty snapshot a process starts from before its first fetch. */
  public static RoutingInfo empty() {
    return new RoutingInfo(0, "", List.of(), List.of(), List.of(), List.of());
  }

  public long version() {
    return version;
  }

  public String clusterId() {
    return clusterId;
  }

  public Collection<NodeInfo> nodes() {
    return nodes.values();
  }

  public Collection<TargetInfo> targets() {
    return targets.values();
  }

  public Collection<ChainInfo> chains() {
    return chains.values();
  }

  /** Every version of every chain table, by table id then version. */
  public List<ChainTable> chainTables() {
    List<ChainTable> all = new ArrayList<>();
    tables.values().forEach(v -> all.addAll(v.values()));
    return all;
  }

  public Optional<NodeInfo> node(long nodeId) {
    return Optional.ofNullable(nodes.get(nodeId));
  }

  public Optional<TargetInfo> target(long targetId) {
    return Optional.ofNullable(targets.get(targetId));
  }

  public Optional<ChainInfo> chain(long chainId) {
    return Optional.ofNullable(chains.get(chainId));
  }

  public Optional<ChainTable> chainTable(int tableId, long tableVersion) {
    NavigableMap<Long, ChainTable> v = tables.get(tableId);
    return v == null ? Optional.empty() : Optional.ofNullable(v.get(tableVersion));
  }

  public Optional<ChainTable> latestChainTable(int tableId) {
    NavigableMap<Long, ChainTable> v = tables.get(tableId);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v.lastEntry().getValue());
  }

  /** Nodes of one type, e.g. the meta services a client may connect to, in node id order of registration. */
  public List<NodeInfo> nodesOfType(NodeType type) {
    return nodes.values().stream().filter(n -> n.type() == type).toList();
  }

  public List<TargetInfo> targetsOfNode(long nodeId) {
    return targets.values().stream().filter(t -> t.nodeId() == nodeId).toList();
  }

  /** The node serving a target, if both are known. */
  public Optional<NodeInfo> nodeOfTarget(long targetId) {
    return target(targetId).flatMap(t -> node(t.nodeId()));
  }

  @Override
  public String toString() {
    return "routing v" + version + " (" + nodes.size() + " nodes, " + targets.size() + " targets, " + chains.size()
        + " chains, " + tables.size() + " tables)";
  }
}
