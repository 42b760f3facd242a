package io.catena.mgmtd.rpc;

import static io.catena.mgmtd.rpc.RpcCluster.CLUSTER;
import static io.catena.mgmtd.rpc.RpcCluster.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.net.Address;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.mgmtd.proto.RegisterNodeRequest;
import io.catena.rpc.CallOptions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

/** mgmtd over real loopback sockets: redirects, failover, agents, routing push, config distribution, bad input. */
class MgmtdRpcTest {
  private static final Duration WAIT = Duration.ofSeconds(20);

  private static CatenaException expect(Errno errno, String part, Runnable r) {
    CatenaException e = assertThrows(CatenaException.class, r::run);
    assertEquals(errno, e.errno(), e.getMessage());
    assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' lacks '" + part + "'");
    return e;
  }

  @Test
  void clientFollowsRedirectsToThePrimary_andReachesTheNewPrimaryAfterTheOldOneDies() {
    try (RpcCluster c = RpcCluster.started(3)) {
      // Listed backwards: the first instance asked is a follower, which redirects to instance 1.
      MgmtdClient client = c.client(List.of(c.address(3), c.address(2), c.address(1)), CLUSTER, Map.of());
      List<NodeInfo> nodes = client.service().listNodes(CLUSTER);
      assertEquals(c.address(1), client.currentAddress());
      assertTrue(nodes.stream().anyMatch(n -> n.nodeId() == 1 && n.type() == NodeType.MGMTD), nodes.toString());

      c.kill(1);
      // No primary until the dead one's lease expires: a short-timeout call gives up with a retryable error.
      MgmtdClient impatient = c.client(c.addresses(), CLUSTER, Map.of("mgmtd.client.timeout", "300ms",
          "mgmtd.client.attempt_timeout", "100ms"));
      CatenaException e = assertThrows(CatenaException.class, () -> impatient.service().listNodes(CLUSTER));
      assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
      assertTrue(e.isRetryable());

      c.clock.advance(Duration.ofSeconds(11));
      c.tickAll();
      long newPrimary = c.primary().nodeId();
      assertTrue(newPrimary == 2 || newPrimary == 3);

      List<NodeInfo> after = client.service().listNodes(CLUSTER);
      assertEquals(c.address(newPrimary), client.currentAddress());
      assertTrue(after.stream().anyMatch(n -> n.nodeId() == newPrimary && n.type() == NodeType.MGMTD));
      // The old primary is listed failed by its successor.
      assertTrue(after.stream().anyMatch(n -> n.nodeId() == 1 && n.status() == io.catena.common.cluster.NodeStatus.FAILED),
          after.toString());
    }
  }

  /** Moves mgmtd's clock one step after every live node heartbeated at the old time, ticks, waits for routing. */
  private static void stepUntil(RpcCluster c, MgmtdService admin, List<FakeStorageNode> live, String what,
      BooleanSupplier done) {
    for (int step = 0; step < 60; step++) {
      if (done.getAsBoolean()) {
        return;
      }
      long[] before = live.stream().mapToLong(n -> n.agent.heartbeatsAcknowledged()).toArray();
      c.clock.advance(Duration.ofSeconds(2));
      for (int i = 0; i < live.size(); i++) {
        FakeStorageNode n = live.get(i);
        long b = before[i];
        // Two more, so at least one heartbeat was both sent and stamped after the clock moved.
        await("node " + n.nodeId + " heartbeats", WAIT, () -> n.agent.heartbeatsAcknowledged() >= b + 2);
      }
      c.tickAll();
      long v = admin.getRoutingInfo(CLUSTER, -1).orElseThrow().version();
      for (FakeStorageNode n : live) {
        await("node " + n.nodeId + " routing v" + v, WAIT, () -> n.routing.current().version() >= v);
      }
    }
    throw new AssertionError("never happened: " + what);
  }

  private static PublicTargetState stateOf(MgmtdService admin, long target) {
    return admin.listTargets(CLUSTER).stream().filter(t -> t.targetId() == target).findFirst().orElseThrow()
        .publicState();
  }

  @Test
  void deadStorageNodeGoesOfflineAndItsChainIsRewritten_restartedNodeWaitsSyncsAndServesAgain() throws Exception {
    try (RpcCluster c = RpcCluster.started(3)) {
      MgmtdService admin = c.client().service();
      FakeStorageNode n1 = c.closeLater(new FakeStorageNode(c, 10001, 1, Map.of(101L, LocalTargetState.UPTODATE)));
      FakeStorageNode n2 = c.closeLater(new FakeStorageNode(c, 10002, 1, Map.of(102L, LocalTargetState.UPTODATE)));
      FakeStorageNode n3 = new FakeStorageNode(c, 10003, 1, Map.of(103L, LocalTargetState.UPTODATE));
      await("registrations", WAIT, () -> n1.agent.isRegistered() && n2.agent.isRegistered()
          && n3.agent.isRegistered());
      admin.createTargets(CLUSTER, List.of(new TargetSpec(101, 10001, 0), new TargetSpec(102, 10002, 0),
          new TargetSpec(103, 10003, 0)));
      admin.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(101L, 102L, 103L))));
      admin.uploadChainTable(CLUSTER, 1, List.of(1L));
      long v = admin.getRoutingInfo(CLUSTER, -1).orElseThrow().version();
      // Routing polls every 10 minutes here: only the heartbeat replies' version can bring it this fast.
      for (FakeStorageNode n : List.of(n1, n2, n3)) {
        await("push of routing v" + v + " to " + n.nodeId, WAIT, () -> n.routing.current().version() >= v);
      }
      assertTrue(n1.routing.current().chainTable(1, 1).isPresent());

      n3.close(); // the process dies: no more heartbeats
      stepUntil(c, admin, List.of(n1, n2), "target 103 offline", () -> stateOf(admin, 103) == PublicTargetState.OFFLINE);
      ChainInfo chain = admin.listChains(CLUSTER).getFirst();
      assertEquals(List.of(101L, 102L), chain.targetsIn(PublicTargetState.SERVING));
      assertEquals(103L, chain.targetIds().getLast());
      assertTrue(chain.version() > 1);
      assertEquals(io.catena.common.cluster.NodeStatus.FAILED,
          admin.listNodes(CLUSTER).stream().filter(n -> n.nodeId() == 10003).findFirst().orElseThrow().status());

      // Restart with a new incarnation; the fresh process reports its target online (not yet up to date).
      FakeStorageNode n3b = c.closeLater(new FakeStorageNode(c, 10003, 2, Map.of(103L, LocalTargetState.ONLINE)));
      List<FakeStorageNode> all = List.of(n1, n2, n3b);
      stepUntil(c, admin, all, "target 103 syncing", () -> stateOf(admin, 103) == PublicTargetState.SYNCING);
      n3b.local.put(103L, LocalTargetState.UPTODATE); // the sync finished
      stepUntil(c, admin, all, "target 103 serving", () -> stateOf(admin, 103) == PublicTargetState.SERVING);

      // Node 1's routing cache saw every version in order, and 103 pass offline -> waiting -> syncing -> serving.
      List<PublicTargetState> path = new ArrayList<>();
      long last = 0;
      for (RoutingInfo r : n1.seen) {
        assertTrue(r.version() > last, "versions must increase: " + r.version() + " after " + last);
        last = r.version();
        r.chain(1).flatMap(ch -> ch.stateOf(103)).filter(s -> path.isEmpty() || path.getLast() != s)
            .ifPresent(path::add);
      }
      assertEquals(List.of(PublicTargetState.SERVING, PublicTargetState.OFFLINE, PublicTargetState.WAITING,
          PublicTargetState.SYNCING, PublicTargetState.SERVING), path);
      assertEquals(admin.getRoutingInfo(CLUSTER, -1).orElseThrow().version(), n1.routing.current().version());
    }
  }

  @Test
  void nodeRestartedBeforeTheTimeoutIsFencedByCommand_thenResyncsInsteadOfServingStaleData() throws Exception {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService admin = c.client().service();
      FakeStorageNode n1 = c.closeLater(new FakeStorageNode(c, 10001, 1, Map.of(101L, LocalTargetState.UPTODATE)));
      FakeStorageNode n2 = new FakeStorageNode(c, 10002, 1, Map.of(102L, LocalTargetState.UPTODATE));
      await("registrations", WAIT, () -> n1.agent.isRegistered() && n2.agent.isRegistered());
      admin.createTargets(CLUSTER, List.of(new TargetSpec(101, 10001, 0), new TargetSpec(102, 10002, 0)));
      admin.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(101L, 102L))));
      long v = admin.getRoutingInfo(CLUSTER, -1).orElseThrow().version();
      await("routing v" + v, WAIT, () -> n2.routing.current().version() >= v);

      // kill -9 and an immediate restart: mgmtd never saw the node fail, and the new process naively claims its
      // target is up to date. It may have lost writes in flight, so mgmtd must not let it keep serving.
      n2.close();
      FakeStorageNode n2b = c.closeLater(new FakeStorageNode(c, 10002, 2, Map.of(102L, LocalTargetState.UPTODATE)));
      List<FakeStorageNode> all = List.of(n1, n2b);
      await("a STOP_SERVING_TARGET for 102", WAIT, () -> n2b.commands.stream()
          .anyMatch(cmd -> cmd.kind() == io.catena.mgmtd.NodeCommand.Kind.STOP_SERVING_TARGET && cmd.targetId() == 102));
      stepUntil(c, admin, all, "target 102 syncing", () -> stateOf(admin, 102) == PublicTargetState.SYNCING);
      n2b.local.put(102L, LocalTargetState.UPTODATE);
      stepUntil(c, admin, all, "target 102 serving", () -> stateOf(admin, 102) == PublicTargetState.SERVING);
      List<PublicTargetState> path = new ArrayList<>();
      for (RoutingInfo r : n1.seen) {
        r.chain(1).flatMap(ch -> ch.stateOf(102)).filter(s -> path.isEmpty() || path.getLast() != s)
            .ifPresent(path::add);
      }
      assertEquals(List.of(PublicTargetState.SERVING, PublicTargetState.OFFLINE, PublicTargetState.WAITING,
          PublicTargetState.SYNCING, PublicTargetState.SERVING), path);
    }
  }

  @Test
  void anOlderIncarnationOfARegisteredNodeIsRefusedAndNeverDisplacesTheNewerOne() throws Exception {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService admin = c.client().service();
      FakeStorageNode current = c.closeLater(new FakeStorageNode(c, 10001, 5, Map.of()));
      await("registration", WAIT, current.agent::isRegistered);
      // A zombie: the previous process of the same node, still running with its older incarnation.
      FakeStorageNode zombie = c.closeLater(new FakeStorageNode(c, 10001, 4, Map.of()));
      long beats = current.agent.heartbeatsAcknowledged();
      await("three more heartbeats of the live process", WAIT, () -> current.agent.heartbeatsAcknowledged() >= beats + 3);
      assertTrue(!zombie.agent.isRegistered(), "the older incarnation must be refused");
      assertEquals(0, zombie.agent.heartbeatsAcknowledged());
      assertEquals(5, node(admin, 10001).incarnation());
    }
  }

  @Test
  void routingCacheRefreshFetchesAtOnceWhenItsVersionIsNotNewerThanTheSeenOne() throws Exception {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdClient client = c.client();
      // Polling every 10 minutes and no heartbeats: only refresh() can bring a new version.
      try (io.catena.mgmtd.client.RoutingCache cache = new io.catena.mgmtd.client.RoutingCache(client,
          RpcCluster.clientConfig(Map.of()))) {
        cache.start();
        RoutingInfo first = cache.current();
        assertTrue(first.version() > 0, "fetched at construction");
        List<Long> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
        AutoCloseable sub = cache.subscribe(r -> heard.add(r.version()));
        assertEquals(first.version(), cache.refresh(first.version() - 1).version(), "newer than seen: no fetch");

        client.service().extendSession(new io.catena.mgmtd.SessionRequest(CLUSTER, "x", NodeType.CLIENT, "", ""));
        client.service().registerNode(new io.catena.mgmtd.RegisterRequest(CLUSTER, 500, NodeType.META,
            "tcp://127.0.0.1:1", 1));
        assertEquals(first.version(), cache.current().version(), "no poll or push happened");
        RoutingInfo next = cache.refresh(first.version());
        assertTrue(next.version() > first.version());
        assertTrue(next.node(500).isPresent());
        assertEquals(List.of(next.version()), heard);

        sub.close();
        client.service().registerNode(new io.catena.mgmtd.RegisterRequest(CLUSTER, 501, NodeType.META,
            "tcp://127.0.0.1:2", 1));
        assertTrue(cache.refresh(next.version()).node(501).isPresent());
        assertEquals(List.of(next.version()), heard, "unsubscribed listeners hear nothing");
      }
    }
  }

  @Test
  void storageConfigReachesTheAgentsApplierLive_andTheAppliedVersionOrRefusalShowsInListNodes() {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService admin = c.client().service();
      FakeStorageNode n = c.closeLater(new FakeStorageNode(c, 10001, 1, Map.of()));
      await("registration", WAIT, n.agent::isRegistered);

      VersionedConfig v1 = admin.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd.client]\nheartbeat_interval = \"40ms\"\n");
      await("config v" + v1.version() + " applied", WAIT, () -> n.applier.appliedVersion() == v1.version());
      assertEquals(Duration.ofMillis(40), n.applier.current().get(MgmtdClientConfig.HEARTBEAT_INTERVAL));
      await("applied version in listNodes", WAIT, () -> node(admin, 10001).configVersion() == v1.version()
          && node(admin, 10001).configStatus().isEmpty());

      // A key that cannot change at run time: the node refuses the version and says why; it keeps running v1.
      VersionedConfig v2 = admin.setConfig(CLUSTER, NodeType.STORAGE, "mgmtd.client.timeout = \"3s\"\n");
      await("refusal reported", WAIT, () -> node(admin, 10001).configStatus().contains("cannot change"));
      assertEquals(v1.version(), node(admin, 10001).configVersion());
      assertEquals(v1.version(), n.applier.appliedVersion());
      assertTrue(n.applier.status().startsWith("v" + v2.version() + " refused"), n.applier.status());
    }
  }

  private static NodeInfo node(MgmtdService admin, long id) {
    return admin.listNodes(CLUSTER).stream().filter(x -> x.nodeId() == id).findFirst().orElseThrow();
  }

  @Test
  void hostileRequestsGetPreciseErrnosOverTheWire() throws Exception {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService admin = c.client().service();
      MgmtdService foreign = c.client(c.addresses(), "other-cluster", Map.of()).service();
      expect(Errno.EINVAL, "this is cluster 'rpc-test'", () -> foreign.listNodes("other-cluster"));

      expect(Errno.ENOENT, "unknown chain 99", () -> admin.uploadChainTable(CLUSTER, 1, List.of(99L)));
      expect(Errno.EINVAL, "has no chains", () -> admin.uploadChainTable(CLUSTER, 1, List.of()));
      expect(Errno.EINVAL, "must be positive", () -> admin.uploadChainTable(CLUSTER, 0, List.of(1L)));
      expect(Errno.ENOENT, "not registered", () -> admin.heartbeat(new io.catena.mgmtd.HeartbeatRequest(CLUSTER,
          77777, 1, 1, 0, "", List.of())));
      expect(Errno.ENOENT, "node 5 is not registered",
          () -> admin.createTargets(CLUSTER, List.of(new TargetSpec(1, 5, 0))));

      // A raw message with an enum code no NodeType has: refused before the service sees it.
      var rpc = io.catena.rpc.Rpc.client(RpcCluster.clientConfig(Map.of()));
      try {
        var f = rpc.call(c.address(1), MgmtdMethods.REGISTER_NODE, RegisterNodeRequest.newBuilder()
            .setClusterId(CLUSTER).setNodeId(10001).setType(42).setAddress("tcp://127.0.0.1:1").setIncarnation(1)
            .build(), null, CallOptions.timeout(Duration.ofSeconds(5)));
        ExecutionException ee = assertThrows(ExecutionException.class, () -> f.get(10, TimeUnit.SECONDS));
        CatenaException ce = (CatenaException) ee.getCause();
        assertEquals(Errno.EINVAL, ce.errno(), ce.getMessage());
        assertTrue(ce.getMessage().contains("malformed request"), ce.getMessage());
      } finally {
        rpc.close();
      }
      // None of it changed the cluster.
      assertTrue(admin.listChainTables(CLUSTER).isEmpty());
      assertTrue(admin.listTargets(CLUSTER).isEmpty());
    }
  }

  @Test
  void everyAdminCallRoundTripsThroughTheWire() {
    try (RpcCluster c = RpcCluster.started(1)) {
      MgmtdService admin = c.client().service();
      String token = admin.addUser(CLUSTER, new io.catena.common.cluster.UserAccount(1000, "alice", 1000,
          List.of(10L, 20L), false));
      assertEquals("alice", admin.authenticate(CLUSTER, token).name());
      assertEquals(List.of(10L, 20L), admin.listUsers(CLUSTER).getFirst().groups());
      String token2 = admin.setUserToken(CLUSTER, 1000);
      expect(Errno.EKEYREJECTED, "unknown token", () -> admin.authenticate(CLUSTER, token));
      assertEquals(1000, admin.authenticate(CLUSTER, token2).uid());
      admin.removeUser(CLUSTER, 1000);
      assertTrue(admin.listUsers(CLUSTER).isEmpty());

      var s = admin.extendSession(new io.catena.mgmtd.SessionRequest(CLUSTER, "mount-1", NodeType.FUSE, "h", "d"));
      assertEquals("mount-1", s.clientId());
      assertEquals(1, admin.listSessions(CLUSTER).size());
      admin.closeSession(CLUSTER, "mount-1");
      assertTrue(admin.listSessions(CLUSTER).isEmpty());

      assertTrue(admin.getConfig(CLUSTER, NodeType.META, 0).isEmpty());
      VersionedConfig v = admin.setConfig(CLUSTER, NodeType.META, "a = 1\n");
      assertEquals(v, admin.getConfig(CLUSTER, NodeType.META, 0).orElseThrow());
      RoutingInfo r = admin.getRoutingInfo(CLUSTER, 0).orElseThrow();
      assertTrue(admin.getRoutingInfo(CLUSTER, r.version()).isEmpty(), "unchanged routing is not resent");
      assertEquals(CLUSTER, r.clusterId());
      assertTrue(r.node(1).isPresent());
      assertEquals(Address.parse(r.node(1).get().address()), c.address(1));
    }
  }
}
