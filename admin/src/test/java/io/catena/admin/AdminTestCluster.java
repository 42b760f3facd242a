package io.catena.admin;

import io.catena.mgmtd.server.MgmtdServerConfig;
import io.catena.meta.client.MetaClientConfig;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.common.retry.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.ChunkStorage;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.server.MetaRpcService;
import io.catena.meta.store.KvMetaService;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.server.MgmtdRpcService;
import io.catena.mgmtd.server.MgmtdServer;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcReply;
import io.catena.rpc.RpcServer;
import io.catena.rpc.ServiceDefinition;
import io.catena.storage.StorageRpc;
import io.catena.storage.proto.CreateTargetReq;
import io.catena.storage.proto.TargetResp;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * A real mgmtd (on a manual clock, ticked by the test) and a real meta service on one in-memory KV store, served on
 * one loopback RPC address as {@code catena up}'s control process does, plus one RPC server that plays every
 * storage node's CREATE_TARGET (recording what it was asked). Storage nodes are registered and heartbeat through
 * the MgmtdServer object. Commands run in-process through {@link #run}, with the output captured.
 */
final class AdminTestCluster implements AutoCloseable {
  static final String CLUSTER = "admin-test";

  final KvEngine kv = new MemKvEngine();
  final ManualClock clock = new ManualClock();
  final MgmtdServer mgmtd;
  final KvMetaService meta;
  final RpcServer control;
  final RpcServer storage;
  /** Targets the fake storage nodes were asked to create: target id -> chain id. */
  final Map<Long, Long> storageTargets = new ConcurrentHashMap<>();
  private final Map<Long, Long> heartbeatVersions = new HashMap<>();

  static Config config() {
    Map<String, String> u = new HashMap<>();
    u.put("cluster.id", CLUSTER);
    u.put("mgmtd.lease_duration", "10s");
    u.put("mgmtd.lease_renew_interval", "2s");
    u.put("mgmtd.heartbeat_timeout", "10s");
    u.put("mgmtd.primary_grace_period", "0s");
    u.put("kv.retry.max_attempts", "50");
    u.put("kv.retry.initial_backoff", "1ms");
    u.put("kv.retry.max_backoff", "5ms");
    u.put("rpc.io_threads", "1");
    u.put("rpc.worker_threads", "4");
    u.put("rpc.shutdown_grace", "0s");
    u.put("meta.default_chunk_size", "1MiB");
    u.put("meta.default_stripe_size", "2");
    return Config.defaults(ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class, KvConfig.class, RpcConfig.class,
        MetaConfig.class, MetaClientConfig.class)).withUpdates(u, "test", false);
  }

  AdminTestCluster() {
    Config config = config();
    storage = Rpc.server(config, Address.tcp("127.0.0.1", 0), List.of(ServiceDefinition.builder("fake-storage",
        StorageRpc.SERVICE_ID).method(StorageRpc.CREATE_TARGET, call -> {
          CreateTargetReq r = call.request();
          storageTargets.put(r.getTargetId(), r.getChainId());
          return CompletableFuture.completedFuture(RpcReply.of(TargetResp.getDefaultInstance()));
        }).build()));
    java.util.concurrent.atomic.AtomicReference<MgmtdServer> ref = new java.util.concurrent.atomic.AtomicReference<>();
    TransactionRunner runner = new TransactionRunner(kv, KvConfig.retryPolicy(config), Clock.systemUTC(),
        new SplittableRandom(7));
    meta = new KvMetaService(runner, Clock.systemUTC(), config, id -> latestTable(ref.get(), id), ChunkStorage.NONE);
    meta.format(0755);
    control = Rpc.server(config, Address.tcp("127.0.0.1", 0), List.of(
        MgmtdRpcService.definition(MgmtdRpcService.deferred(ref, "mgmtd")), MetaRpcService.definition(meta),
        io.catena.meta.server.GoalRpcService.definition(new io.catena.meta.store.GoalOps(meta.context(),
            new io.catena.meta.store.GoalTables(() -> ref.get() == null ? RoutingInfo.empty() : routing())))));
    mgmtd = new MgmtdServer(kv, clock, new SplittableRandom(1), config, 1, control.boundAddress().toString());
    ref.set(mgmtd);
    mgmtd.tick();
  }

  private static Optional<ChainTable> latestTable(MgmtdServer m, int id) {
    return m == null ? Optional.empty() : m.getRoutingInfo(CLUSTER, -1).orElseThrow().latestChainTable(id);
  }

  String address() {
    return control.boundAddress().toString();
  }

  /** Registers storage nodes {@code ids} at the fake storage server's address. */
  void registerStorage(long... ids) {
    for (long id : ids) {
      mgmtd.registerNode(new RegisterRequest(CLUSTER, id, NodeType.STORAGE,
          "tcp://127.0.0.1:" + storage.boundAddress().port(), 1));
    }
  }

  /** A heartbeat from {@code node} reporting each of its targets in {@code state} at its chain's version. */
  void heartbeat(long node, LocalTargetState state) {
    RoutingInfo r = routing();
    List<TargetReport> reports = new ArrayList<>();
    for (TargetInfo t : r.targetsOfNode(node)) {
      long v = r.chain(t.chainId()).map(c -> c.version()).orElse(0L);
      reports.add(new TargetReport(t.targetId(), state, v, 1 << 20, 1L << 30));
    }
    long hv = heartbeatVersions.merge(node, 1L, Long::sum);
    mgmtd.heartbeat(new HeartbeatRequest(CLUSTER, node, 1, hv, 0, "", reports));
  }

  RoutingInfo routing() {
    return mgmtd.getRoutingInfo(CLUSTER, -1).orElseThrow();
  }

  /** Moves the manual clock and ticks mgmtd (failure detection, chain scans). */
  void advance(Duration d) {
    clock.advance(d);
    mgmtd.tick();
  }

  /** The result of one command. */
  record Result(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\n--- out\n" + out + "--- err\n" + err;
    }
  }

  /** Runs {@code catena admin ARGS...} in-process without connection options. */
  static Result runRaw(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    int exit = AdminCli.commandLine(new PrintWriter(out, true), new PrintWriter(err, true)).execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  /** Runs {@code catena admin COMMAND ARGS...} against this cluster. */
  Result run(String command, String... args) {
    List<String> all = new ArrayList<>(List.of(command, "--mgmtd", address(), "--cluster-id", CLUSTER, "--timeout",
        "3s"));
    all.addAll(List.of(args));
    return runRaw(all.toArray(String[]::new));
  }

  @Override
  public void close() {
    Stream.<AutoCloseable>of(control, storage, mgmtd, kv).forEach(c -> {
      try {
        c.close();
      } catch (Exception ignored) {
        // best effort: the test is over
      }
    });
  }

}
