package io.catena.mgmtd.server;

import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class RoutingConfigSessionTest {

  // --- routing versions --------------------------------------------------------------------------------------

  @Test
  void routingInfo_isFetchedOnlyWhenItsVersionChanged() {
    try (TestCluster c = TestCluster.started(1)) {
      MgmtdServer p = c.primary();
      RoutingInfo r1 = p.getRoutingInfo(CLUSTER, 0).orElseThrow();
      assertEquals(Optional.empty(), p.getRoutingInfo(CLUSTER, r1.version()), "unchanged: nothing to send");
      c.register(10001, NodeType.STORAGE);
      RoutingInfo r2 = p.getRoutingInfo(CLUSTER, r1.version()).orElseThrow();
      assertTrue(r2.version() > r1.version());
      assertTrue(r2.node(10001).isPresent());
      // Heartbeats do not bump the routing version (liveness fields are advisory).
      c.heartbeat(10001);
      c.advance(Duration.ofSeconds(3));
      c.heartbeat(10001);
      assertEquals(Optional.empty(), p.getRoutingInfo(CLUSTER, r2.version()));
      HeartbeatReply hb = c.heartbeat(10001);
      assertEquals(r2.version(), hb.routingVersion(), "heartbeat replies say which version to poll for");
      p.createTargets(CLUSTER, List.of(new TargetSpec(1, 10001, 0)));
      p.uploadChains(CLUSTER, List.of(new ChainSpec(1, List.of(1L))));
      RoutingInfo r3 = p.getRoutingInfo(CLUSTER, r2.version()).orElseThrow();
      assertEquals(r2.version() + 2, r3.version(), "one bump per committed change");
      assertEquals(r3.version(), c.heartbeat(10001).routingVersion());
      assertEquals(CLUSTER, r3.clusterId());
      assertEquals(1, r3.chain(1).orElseThrow().head().orElseThrow());
      c.heartbeat(10001, c.report(1, LocalTargetState.UPTODATE));
      assertEquals(LocalTargetState.UPTODATE, c.routing().target(1).orElseThrow().localState());
    }
  }

  @Test
  void routingListeners_hearOfEachNewVersionOnce_fromThePrimaryOnly() {
    try (TestCluster c = TestCluster.started(2)) {
      List<Long> heard = new CopyOnWriteArrayList<>();
      c.servers.forEach(s -> s.addRoutingListener(heard::add));
      c.tickAll();
      heard.clear();
      c.tickAll();
      assertEquals(List.of(), heard, "nothing changed");
      c.register(10001, NodeType.STORAGE);
      c.tickAll();
      c.tickAll();
      assertEquals(List.of(c.routing().version()), heard);
    }
  }

  @Test
  void mgmtdConfigVersions_applyToEveryInstance_hotKeysOnly() {
    try (TestCluster c = TestCluster.started(2)) {
      MgmtdServer p = c.primary();
      expect(Errno.EINVAL, "nope", () -> p.setConfig(CLUSTER, NodeType.MGMTD, "[mgmtd]\nnope = 1"));
      p.setConfig(CLUSTER, NodeType.MGMTD, "[mgmtd]\nheartbeat_timeout = \"30s\"\n");
      c.tickAll();
      c.servers.forEach(s -> assertEquals(1, s.appliedConfigVersion()));
      // The new timeout is in force: a node silent for 20 s is still alive.
      c.register(10001, NodeType.STORAGE);
      c.advance(Duration.ofSeconds(20));
      assertEquals(NodeStatus.ALIVE, c.routing().node(10001).orElseThrow().status());
      c.advance(Duration.ofSeconds(11));
      assertEquals(NodeStatus.FAILED, c.routing().node(10001).orElseThrow().status());
      // lease_duration cannot change live: the version is refused and the running config stays.
      p.setConfig(CLUSTER, NodeType.MGMTD, "[mgmtd]\nlease_duration = \"40s\"\n");
      c.tickAll();
      c.servers.forEach(s -> assertEquals(1, s.appliedConfigVersion()));
    }
  }

  // --- config distribution -----------------------------------------------------------------------------------

  @Test
  void configTexts_areValidatedAndVersionedPerNodeType() {
    try (TestCluster c = TestCluster.started(1)) {
      MgmtdServer p = c.primary();
      expect(Errno.EINVAL, "not valid TOML", () -> p.setConfig(CLUSTER, NodeType.META, "x = = 1"));
      // STORAGE has a schema registered in TestCluster (the mgmtd keys, for the test's sake).
      expect(Errno.EINVAL, "nope", () -> p.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd]\nnope = 1"));
      expect(Errno.EINVAL, "heartbeat_timeout", () -> p.setConfig(CLUSTER, NodeType.STORAGE,
          "[mgmtd]\nheartbeat_timeout = \"10ms\""));
      assertEquals(Optional.empty(), p.getConfig(CLUSTER, NodeType.STORAGE, 0));

      VersionedConfig v1 = p.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd]\nheartbeat_timeout = \"20s\"\n");
      assertEquals(1, v1.version());
      assertEquals(v1, p.setConfig(CLUSTER, NodeType.STORAGE, v1.toml()), "same text: same version");
      VersionedConfig v2 = p.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd]\nheartbeat_timeout = \"25s\"\n");
      assertEquals(2, v2.version());
      assertEquals(1, p.setConfig(CLUSTER, NodeType.META, "a = 1").version(), "versions are per node type");
      assertEquals(Optional.of(v1), p.getConfig(CLUSTER, NodeType.STORAGE, 1));
      assertEquals(Optional.of(v2), p.getConfig(CLUSTER, NodeType.STORAGE, 0));
      assertEquals(Optional.empty(), p.getConfig(CLUSTER, NodeType.STORAGE, 3));
    }
  }

  @Test
  void newerConfig_isDeliveredInHeartbeatReplies_appliedLive_andItsStatusReported() {
    try (TestCluster c = TestCluster.started(1)) {
      MgmtdServer p = c.primary();
      c.register(10001, NodeType.STORAGE);
      assertTrue(c.heartbeat(10001).newerConfig().isEmpty());
      p.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd]\nheartbeat_timeout = \"20s\"\n");
      VersionedConfig got = c.heartbeat(10001, 0).newerConfig().orElseThrow();
      assertEquals(1, got.version());

      // The node applies it: heartbeat_timeout is hot-updatable.
      Config mine = Config.defaults(ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class));
      ConfigApplier.Outcome o = ConfigApplier.apply(mine, 0, got);
      assertTrue(o.applied(), o.status());
      assertEquals(Duration.ofSeconds(20), o.config().get(MgmtdConfig.HEARTBEAT_TIMEOUT));
      long hv = c.heartbeatVersions.merge(10001L, 1L, Long::sum);
      HeartbeatReply r = p.heartbeat(new HeartbeatRequest(CLUSTER, 10001, 1, hv, o.appliedVersion(), o.status(),
          List.of()));
      assertTrue(r.newerConfig().isEmpty(), "up to date: nothing to send");
      assertEquals(1, c.routing().node(10001).orElseThrow().configVersion());

      // A version touching a key that cannot change live is refused as a whole, and the refusal is reported.
      VersionedConfig v2 = p.setConfig(CLUSTER, NodeType.STORAGE, "[mgmtd]\nlease_duration = \"40s\"\n");
      ConfigApplier.Outcome refused = ConfigApplier.apply(o.config(), o.appliedVersion(), v2);
      assertFalse(refused.applied());
      assertTrue(refused.status().contains("mgmtd.lease_duration cannot change while the process runs"),
          refused.status());
      assertEquals(1, refused.appliedVersion());
      long hv2 = c.heartbeatVersions.merge(10001L, 1L, Long::sum);
      p.heartbeat(new HeartbeatRequest(CLUSTER, 10001, 1, hv2, refused.appliedVersion(), refused.status(),
          List.of()));
      assertEquals(refused.status(), c.routing().node(10001).orElseThrow().configStatus());
    }
  }

  // --- client sessions ---------------------------------------------------------------------------------------

  @Test
  void clientSessions_expireUnlessExtended_andCanBeClosed() {
    try (TestCluster c = TestCluster.started(1)) {
      MgmtdServer p = c.primary();
      ClientSession a = p.extendSession(new SessionRequest(CLUSTER, "fuse-a", NodeType.FUSE, "host-a", "/mnt/a"));
      p.extendSession(new SessionRequest(CLUSTER, "lib-b", NodeType.CLIENT, "host-b", "trainer"));
      assertEquals(List.of("fuse-a", "lib-b"), p.listSessions(CLUSTER).stream().map(ClientSession::clientId)
          .toList());
      assertEquals(a.lastExtendMillis() + TestCluster.SESSION_TIMEOUT.toMillis(), a.expiresAtMillis());
      c.advance(Duration.ofSeconds(40));
      ClientSession a2 = p.extendSession(new SessionRequest(CLUSTER, "fuse-a", NodeType.FUSE, "host-a", "/mnt/a"));
      assertEquals(a.startMillis(), a2.startMillis(), "extending keeps the session's start");
      c.advance(Duration.ofSeconds(25));
      assertEquals(List.of("fuse-a"), p.listSessions(CLUSTER).stream().map(ClientSession::clientId).toList(),
          "lib-b was not extended for 65 s");
      p.closeSession(CLUSTER, "fuse-a");
      p.closeSession(CLUSTER, "never-existed");
      assertEquals(List.of(), p.listSessions(CLUSTER));
      // An expired client that comes back starts a new session.
      ClientSession b = p.extendSession(new SessionRequest(CLUSTER, "lib-b", NodeType.CLIENT, "host-b", ""));
      assertEquals(c.clock.millis(), b.startMillis());
      expect(Errno.EINVAL, "sessions are for FUSE and CLIENT", () -> p.extendSession(
          new SessionRequest(CLUSTER, "x", NodeType.STORAGE, "", "")));
      expect(Errno.EINVAL, "client id must have", () -> p.extendSession(
          new SessionRequest(CLUSTER, "", NodeType.FUSE, "", "")));
      expect(Errno.EINVAL, "request for cluster", () -> p.listSessions("other"));
    }
  }

  @Test
  void sessionsSurviveAPrimaryChange() {
    try (TestCluster c = TestCluster.started(2)) {
      c.call(s -> s.extendSession(new SessionRequest(CLUSTER, "fuse-a", NodeType.FUSE, "h", "")));
      MgmtdServer old = c.primary();
      old.close();
      c.servers.remove(old);
      c.advance(TestCluster.LEASE.plusSeconds(1));
      assertEquals(List.of("fuse-a"), c.primary().listSessions(CLUSTER).stream().map(ClientSession::clientId)
          .toList());
    }
  }
}
