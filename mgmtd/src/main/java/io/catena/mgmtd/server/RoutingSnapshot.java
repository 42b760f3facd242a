package io.catena.mgmtd.server;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.kv.ReadTransaction;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/** Everything routing is made of, read in one transaction. Immutable. */
record RoutingSnapshot(long routingVersion, Map<Long, NodeInfo> nodes, Map<Long, StoredTarget> targets,
    Map<Long, ChainInfo> chains, List<ChainTable> tables) {

  static RoutingSnapshot read(ClusterStore store, ReadTransaction txn) {
    return new RoutingSnapshot(store.routingVersion(txn), byId(store.nodes(txn), NodeInfo::nodeId),
        byId(store.targets(txn), StoredTarget::targetId), byId(store.chains(txn), ChainInfo::chainId),
        store.chainTables(txn));
  }

  /** {@code items} by id, in their stored order. */
  static <T> Map<Long, T> byId(List<T> items, Function<T, Long> id) {
    return Collections.unmodifiableMap(
        items.stream().collect(Collectors.toMap(id, x -> x, (a, b) -> a, LinkedHashMap::new)));
  }
}
