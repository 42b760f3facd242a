package io.catena.mgmtd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.mem.MemKvEngine;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetReport;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.random.RandomGenerator;

/**
 * Several mgmtd instances on one in-memory KV store and one manual clock, plus helpers that play storage nodes.
 * Timings: lease 10 s (renewed every 2 s), heartbeat timeout 10 s, grace period 12 s, sessions 60 s.
 */
final class TestCluster implements AutoCloseable {
  static final String CLUSTER = "test-cluster";
  static final Duration LEASE = Duration.ofSeconds(10);
  static final Duration HB_TIMEOUT = Duration.ofSeconds(10);
  static final Duration GRACE = Duration.ofSeconds(12);
  static final Duration SESSION_TIMEOUT = Duration.ofSeconds(60);

  final KvEngine kv = new MemKvEngine();
  final ManualClock clock = new ManualClock();
  final List<MgmtdServer> servers = new ArrayList<>();
  final Map<Long, Long> heartbeatVersions = new HashMap<>();
  final Map<Long, Long> incarnations = new HashMap<>();

  static Config config(String clusterId) {
    Map<String, String> u = new HashMap<>();
    u.put("cluster.id", clusterId);
    u.put("mgmtd.lease_duration", "10s");
    u.put("mgmtd.lease_renew_interval", "2s");
    u.put("mgmtd.heartbeat_timeout", "10s");
    u.put("mgmtd.primary_grace_period", "12s");
    u.put("mgmtd.client_session_timeout", "60s");
    u.put("kv.retry.max_attempts", "50");
    u.put("kv.retry.initial_backoff", "1ms");
    u.put("kv.retry.max_backoff", "5ms");
    return Config.defaults(ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class, KvConfig.class)).withUpdates(u, "test", false);
  }

  TestCluster(int instances) {
    for (int i = 1; i <= instances; i++) {
      servers.add(newServer(i, clock));
    }
  }

  MgmtdServer newServer(long id, Clock c) {
    return new MgmtdServer(kv, c, new SplittableRandom(id), config(CLUSTER), id, "tcp://mgmtd" + id + ":8000",
        Map.of(NodeType.STORAGE, ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class)));
  }

  /** Ticks every live instance once. */
  void tickAll() {
    for (MgmtdServer s : servers) {
      s.tick();
    }
  }

  /** Moves time in steps of one second, ticking every instance at each step. */
  void advance(Duration d) {
    long steps = d.toSeconds();
    for (long i = 0; i < steps; i++) {
      clock.advance(Duration.ofSeconds(1));
      tickAll();
    }
  }

  MgmtdServer primary() {
    List<MgmtdServer> p = servers.stream().filter(MgmtdServer::isPrimary).toList();
    assertEquals(1, p.size(), "exactly one primary");
    return p.getFirst();
  }

  /** Starts a cluster whose first instance is primary and past its grace period. */
  static TestCluster started(int instances) {
    TestCluster c = new TestCluster(instances);
    c.servers.getFirst().tick();
    c.tickAll();
    c.advance(GRACE.plusSeconds(1));
    return c;
  }

  /** Calls {@code op} on instance 1 and follows not-primary redirects, as clients do. */
  <T> T call(Function<MgmtdServer, T> op) {
    MgmtdServer target = servers.getFirst();
    for (int hop = 0; hop < 5; hop++) {
      try {
        return op.apply(target);
      } catch (CatenaException e) {
        if (e.status().redirect().isEmpty()) {
          throw e;
        }
        long next = e.status().redirect().get().nodeId();
        // A redirect to a dead instance is what a client sees as a refused connection: retry later.
        target = servers.stream().filter(s -> s.nodeId() == next).findFirst()
            .orElseThrow(() -> CatenaException.retryable(Errno.ECONNREFUSED, "mgmtd %d is unreachable", next));
      }
    }
    throw new AssertionError("redirect loop");
  }

  void register(long nodeId, NodeType type) {
    long inc = incarnations.merge(nodeId, 1L, Long::sum);
    heartbeatVersions.put(nodeId, 0L);
    call(s -> s.registerNode(new RegisterRequest(CLUSTER, nodeId, type, "tcp://node" + nodeId + ":9000", inc)));
  }

  /** A node restarting: a new incarnation, re-registered. */
  void restart(long nodeId, NodeType type) {
    register(nodeId, type);
  }

  HeartbeatReply heartbeat(long nodeId, TargetReport... reports) {
    return heartbeat(nodeId, 0, reports);
  }

  HeartbeatReply heartbeat(long nodeId, long configVersion, TargetReport... reports) {
    long hv = heartbeatVersions.merge(nodeId, 1L, Long::sum);
    return call(s -> s.heartbeat(new HeartbeatRequest(CLUSTER, nodeId, incarnations.getOrDefault(nodeId, 1L), hv,
        configVersion, "", List.of(reports))));
  }

  RoutingInfo routing() {
    return call(s -> s.getRoutingInfo(CLUSTER, -1)).orElseThrow();
  }

  /** A report of {@code targetId} at the chain version currently in routing. */
  TargetReport report(long targetId, LocalTargetState state) {
    RoutingInfo r = routing();
    long chain = r.target(targetId).orElseThrow().chainId();
    return new TargetReport(targetId, state, r.chain(chain).orElseThrow().version(), 1000, 10000);
  }

  static CatenaException expect(Errno errno, String messagePart, Runnable r) {
    CatenaException e = assertThrows(CatenaException.class, r::run);
    assertEquals(errno, e.errno(), e.getMessage());
    assertTrue(e.getMessage().contains(messagePart), () -> "message '" + e.getMessage() + "' lacks '" + messagePart
        + "'");
    return e;
  }

  static RandomGenerator seeded(long seed) {
    return new SplittableRandom(seed);
  }

  @Override
  public void close() {
    servers.forEach(MgmtdServer::close);
    kv.close();
  }
}
