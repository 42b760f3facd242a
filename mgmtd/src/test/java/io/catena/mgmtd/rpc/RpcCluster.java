package io.catena.mgmtd.rpc;

import io.catena.mgmtd.server.MgmtdServerConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.mem.MemKvEngine;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.server.MgmtdRpcService;
import io.catena.mgmtd.server.MgmtdServer;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

/**
 * Several MgmtdServers on one in-memory KV store and one manual clock, each behind its own RPC server on a real
 * loopback socket. Servers tick only when the test says so. Timings: lease 10 s (renew 2 s), heartbeat timeout
 * 10 s, grace 12 s. Clients and agents run on real time with short intervals.
 */
final class RpcCluster implements AutoCloseable {
  static final String CLUSTER = "rpc-test";

  final KvEngine kv = new MemKvEngine();
  final ManualClock clock = new ManualClock();
  final List<MgmtdServer> servers = new ArrayList<>();
  final List<RpcServer> rpcServers = new ArrayList<>();
  final List<RpcClient> rpcClients = new ArrayList<>();
  final List<AutoCloseable> closeables = new ArrayList<>();

  static Config serverConfig() {
    Map<String, String> u = new HashMap<>();
    u.put("cluster.id", CLUSTER);
    u.put("mgmtd.lease_duration", "10s");
    u.put("mgmtd.lease_renew_interval", "2s");
    u.put("mgmtd.heartbeat_timeout", "10s");
    u.put("mgmtd.primary_grace_period", "12s");
    u.put("kv.retry.max_attempts", "50");
    u.put("kv.retry.initial_backoff", "1ms");
    u.put("kv.retry.max_backoff", "5ms");
    u.put("rpc.io_threads", "1");
    u.put("rpc.worker_threads", "4");
    u.put("rpc.shutdown_grace", "0s");
    return Config.defaults(ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class, KvConfig.class, RpcConfig.class))
        .withUpdates(u, "test", false);
  }

  /** A client/agent config: short intervals; routing is polled rarely, so fresh routing proves the push. */
  static Config clientConfig(Map<String, String> extra) {
    Map<String, String> u = new HashMap<>();
    u.put("cluster.id", CLUSTER);
    u.put("mgmtd.client.heartbeat_interval", "50ms");
    u.put("mgmtd.client.routing_refresh_interval", "10min");
    u.put("mgmtd.client.timeout", "5s");
    u.put("mgmtd.client.attempt_timeout", "1s");
    u.put("rpc.io_threads", "1");
    u.put("rpc.connect_timeout", "500ms");
    u.putAll(extra);
    return Config.defaults(ConfigSchema.fromHolders(MgmtdClientConfig.class, RpcConfig.class))
        .withUpdates(u, "test", false);
  }

  RpcCluster(int instances) {
    for (int i = 1; i <= instances; i++) {
      AtomicReference<MgmtdService> ref = new AtomicReference<>();
      RpcServer rpc = Rpc.server(serverConfig(), Address.tcp("127.0.0.1", 0),
          List.of(MgmtdRpcService.definition(MgmtdRpcService.deferred(ref, "mgmtd " + i))));
      MgmtdServer s = new MgmtdServer(kv, clock, new SplittableRandom(i), serverConfig(), i,
          rpc.boundAddress().toString(), Map.of(NodeType.MGMTD, serverConfig().schema()));
      ref.set(s);
      servers.add(s);
      rpcServers.add(rpc);
    }
  }

  /** Instance 1 primary and past its grace period. */
  static RpcCluster started(int instances) {
    RpcCluster c = new RpcCluster(instances);
    c.servers.getFirst().tick();
    c.tickAll();
    for (int i = 0; i < 13; i++) {
      c.clock.advance(Duration.ofSeconds(1));
      c.tickAll();
    }
    assertEquals(1, c.servers.getFirst().nodeId());
    return c;
  }

  List<Address> addresses() {
    return rpcServers.stream().map(RpcServer::boundAddress).toList();
  }

  Address address(long nodeId) {
    return rpcServers.get((int) nodeId - 1).boundAddress();
  }

  MgmtdServer primary() {
    List<MgmtdServer> p = servers.stream().filter(s -> !isDown(s) && s.isPrimary()).toList();
    assertEquals(1, p.size(), "exactly one primary");
    return p.getFirst();
  }

  private final List<Long> down = new ArrayList<>();

  boolean isDown(MgmtdServer s) {
    return down.contains(s.nodeId());
  }

  /** Kills an instance: its socket closes and it stops ticking; its lease stays until it expires. */
  void kill(long nodeId) {
    rpcServers.get((int) nodeId - 1).close();
    servers.get((int) nodeId - 1).close();
    down.add(nodeId);
  }

  void tickAll() {
    for (MgmtdServer s : servers) {
      if (!isDown(s)) {
        s.tick();
      }
    }
  }

  MgmtdClient client(List<Address> addresses, String clusterId, Map<String, String> extra) {
    Config cfg = clientConfig(extra);
    RpcClient rpc = Rpc.client(cfg);
    rpcClients.add(rpc);
    return new MgmtdClient(rpc, addresses, clusterId, cfg);
  }

  MgmtdClient client() {
    return client(addresses(), CLUSTER, Map.of());
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  /** Polls {@code condition} until it holds; fails after {@code timeout}. Not a sleep: it ends as soon as it holds. */
  static void await(String what, Duration timeout, BooleanSupplier condition) {
    long end = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out after " + timeout + " waiting for: " + what);
      }
      Thread.onSpinWait();
      try {
        Thread.sleep(5); // polling period of a condition with a deadline
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError(e);
      }
    }
  }

  @Override
  public void close() {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception ignored) {
        // best effort
      }
    }
    rpcClients.forEach(RpcClient::close);
    for (int i = 0; i < servers.size(); i++) {
      if (!down.contains((long) i + 1)) {
        rpcServers.get(i).close();
        servers.get(i).close();
      }
    }
    kv.close();
  }
}
