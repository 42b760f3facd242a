package io.catena.meta.client;

import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.RoutingSource;
import io.catena.common.net.Address;
import java.util.Comparator;
import java.util.List;

/**
 * Where the meta servers are, asked before every attempt so a client follows servers that come and go. Implementations
 * must be thread-safe and cheap.
 */
@FunctionalInterface
public interface MetaServers {
  /** The servers to try, in a stable order (failover walks it); may be empty while none is known. */
  List<Address> current();

  static MetaServers fixed(List<Address> servers) {
    List<Address> copy = List.copyOf(servers);
    return () -> copy;
  }

  /**
   * The meta nodes that routing lists alive, ordered by node id; {@code fallback} (e.g. the control process's address,
   * which serves meta too) only while routing lists none, as before the first meta node has registered. Never both:
   * a fallback that is a plain mgmtd (several control processes) serves no meta method, and a client that stuck to
   * it would get ENOSYS on every call. A routing entry that still names a previous run's address fails with a
   * retryable connection error, and the client moves on.
   */
  static MetaServers fromRouting(RoutingSource routing, List<Address> fallback) {
    List<Address> copy = List.copyOf(fallback);
    // Worked out once per routing version (routing info is immutable): every meta call asks.
    record Known(RoutingInfo routing, List<Address> servers) {}
    java.util.concurrent.atomic.AtomicReference<Known> known = new java.util.concurrent.atomic.AtomicReference<>();
    return () -> {
      RoutingInfo r = routing.current();
      Known k = known.get();
      if (k != null && k.routing() == r) {
        return k.servers();
      }
      List<Address> alive = r.nodesOfType(NodeType.META).stream()
          .filter(n -> n.status() == NodeStatus.ALIVE).sorted(Comparator.comparingLong(NodeInfo::nodeId))
          .map(n -> Address.parse(n.address())).distinct().toList();
      List<Address> servers = alive.isEmpty() ? copy : alive;
      known.set(new Known(r, servers));
      return servers;
    };
  }
}
