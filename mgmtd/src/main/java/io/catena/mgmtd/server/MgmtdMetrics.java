package io.catena.mgmtd.server;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The cluster as mgmtd sees it, as gauges: {@code catena_mgmtd_nodes}{type,status}, {@code catena_mgmtd_targets}
 * {state} (public states), {@code catena_mgmtd_chains} and {@code catena_mgmtd_chains_degraded} (fewer serving
 * replicas than members), the routing version, client sessions, capacity and used bytes, and whether this instance
 * is primary. Only the primary reports the cluster (a standby's view may be stale); a standby reports zeros. Refreshed
 * from a routing snapshot by {@link #refresh} every few seconds, never at scrape time. Thread-safe.
 */
final class MgmtdMetrics {
  private final AtomicLong primary = new AtomicLong();
  private final AtomicLong routingVersion = new AtomicLong();
  private final AtomicLong chains = new AtomicLong();
  private final AtomicLong degraded = new AtomicLong();
  private final AtomicLong sessions = new AtomicLong();
  private final AtomicLong capacity = new AtomicLong();
  private final AtomicLong used = new AtomicLong();
  private final MultiGauge nodes;
  private final MultiGauge targets;

  MgmtdMetrics(MeterRegistry registry) {
    gauge(registry, "catena.mgmtd.primary", primary, "1 when this mgmtd holds the lease");
    gauge(registry, "catena.mgmtd.routing.version", routingVersion, "Version of the routing info published");
    gauge(registry, "catena.mgmtd.chains", chains, "Chains in the cluster");
    gauge(registry, "catena.mgmtd.chains.degraded", degraded, "Chains with fewer serving replicas than members");
    gauge(registry, "catena.mgmtd.client.sessions", sessions, "Client sessions (mounts, native clients) alive");
    Gauge.builder("catena.mgmtd.capacity", capacity, AtomicLong::get).baseUnit("bytes")
        .description("Capacity of every target, as their last heartbeats said").register(registry);
    Gauge.builder("catena.mgmtd.used", used, AtomicLong::get).baseUnit("bytes")
        .description("Bytes used on every target, as their last heartbeats said").register(registry);
    nodes = MultiGauge.builder("catena.mgmtd.nodes").description("Registered nodes by type and status")
        .register(registry);
    targets = MultiGauge.builder("catena.mgmtd.targets").description("Targets by public state").register(registry);
  }

  private static void gauge(MeterRegistry r, String name, AtomicLong v, String description) {
    Gauge.builder(name, v, AtomicLong::get).description(description).register(r);
  }

  /** From the routing of a primary ({@code routing} non-null) or, on a standby, nothing but "not primary". */
  void refresh(RoutingInfo routing, int liveSessions) {
    primary.set(routing == null ? 0 : 1);
    if (routing == null) {
      nodes.register(List.of(), true);
      targets.register(List.of(), true);
      return;
    }
    routingVersion.set(routing.version());
    sessions.set(liveSessions);
    Map<NodeType, Map<NodeStatus, Integer>> byType = new EnumMap<>(NodeType.class);
    for (NodeInfo n : routing.nodes()) {
      byType.computeIfAbsent(n.type(), t -> new EnumMap<>(NodeStatus.class)).merge(n.status(), 1, Integer::sum);
    }
    List<MultiGauge.Row<?>> nodeRows = new ArrayList<>();
    for (var t : byType.entrySet()) {
      for (NodeStatus s : NodeStatus.values()) {
        nodeRows.add(MultiGauge.Row.of(Tags.of("type", lower(t.getKey()), "status", lower(s)),
            t.getValue().getOrDefault(s, 0)));
      }
    }
    nodes.register(nodeRows, true);
    Map<PublicTargetState, Integer> byState = new EnumMap<>(PublicTargetState.class);
    long cap = 0;
    long use = 0;
    for (TargetInfo t : routing.targets()) {
      byState.merge(t.publicState(), 1, Integer::sum);
      cap += t.capacityBytes();
      use += t.usedBytes();
    }
    List<MultiGauge.Row<?>> targetRows = new ArrayList<>();
    for (PublicTargetState s : PublicTargetState.values()) {
      targetRows.add(MultiGauge.Row.of(Tags.of("state", lower(s)), byState.getOrDefault(s, 0)));
    }
    targets.register(targetRows, true);
    capacity.set(cap);
    used.set(use);
    int d = 0;
    for (ChainInfo c : routing.chains()) {
      if (c.targetsIn(PublicTargetState.SERVING).size() < c.targets().size()) {
        d++;
      }
    }
    chains.set(routing.chains().size());
    degraded.set(d);
  }

  private static String lower(Enum<?> e) {
    return e.name().toLowerCase(Locale.ROOT);
  }
}
