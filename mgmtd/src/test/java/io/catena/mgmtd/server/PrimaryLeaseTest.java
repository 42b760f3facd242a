package io.catena.mgmtd.server;

import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.time.ManualClock;
import io.catena.mgmtd.VersionedConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class PrimaryLeaseTest {

  @Test
  void threeInstances_exactlyOnePrimary_othersRedirectToIt() {
    try (TestCluster c = new TestCluster(3)) {
      c.tickAll();
      MgmtdServer p = c.primary();
      for (MgmtdServer s : c.servers) {
        if (s == p) {
          continue;
        }
        CatenaException e = assertThrows(CatenaException.class, () -> s.getRoutingInfo(CLUSTER, 0));
        Status.Redirect r = e.status().redirect().orElseThrow();
        assertEquals(p.nodeId(), r.nodeId());
        assertEquals(p.address(), r.address());
        assertTrue(e.isRetryable());
      }
      // A client that starts at a follower ends up at the primary.
      assertTrue(c.call(s -> s.getRoutingInfo(CLUSTER, 0)).isPresent());
    }
  }

  @Test
  void primaryDies_anotherTakesOverOnlyAfterTheLeaseExpires() {
    try (TestCluster c = new TestCluster(3)) {
      c.servers.getFirst().tick();
      c.tickAll();
      MgmtdServer old = c.primary();
      old.close();
      c.servers.remove(old);
      c.clock.advance(TestCluster.LEASE.minusMillis(1));
      c.tickAll();
      assertTrue(c.servers.stream().noneMatch(MgmtdServer::isPrimary), "nobody takes a lease that has not expired");
      CatenaException e = assertThrows(CatenaException.class, () -> c.servers.getFirst().getRoutingInfo(CLUSTER, 0));
      assertEquals(old.nodeId(), e.status().redirect().orElseThrow().nodeId(), "followers still point at the holder");
      c.clock.advance(Duration.ofMillis(1));
      c.tickAll();
      MgmtdServer next = c.primary();
      assertNotEquals(old.nodeId(), next.nodeId());
      RoutingInfo r = c.routing();
      assertEquals(NodeStatus.ALIVE, r.node(next.nodeId()).orElseThrow().status(), "the new primary lists itself");
      assertEquals(NodeStatus.FAILED, r.node(old.nodeId()).orElseThrow().status(), "and the old one as failed");
    }
  }

  @Test
  void standbysAreListed_aliveWhileTheyBeat_failedWhenTheyStop_aliveWhenTheyReturn() {
    try (TestCluster c = new TestCluster(2)) {
      c.servers.getFirst().tick();
      c.advance(TestCluster.GRACE.plusSeconds(2));
      assertEquals(1, c.primary().nodeId());
      assertEquals(NodeStatus.ALIVE, c.routing().node(2).orElseThrow().status(), "a beating standby is listed alive");
      assertEquals(NodeType.MGMTD, c.routing().node(2).orElseThrow().type());

      MgmtdServer standby = c.servers.remove(1);
      standby.close();
      c.advance(TestCluster.HB_TIMEOUT.plusSeconds(2));
      assertEquals(NodeStatus.FAILED, c.routing().node(2).orElseThrow().status(), "a silent standby is failed");

      c.servers.add(c.newServer(2, c.clock));
      c.advance(Duration.ofSeconds(3));
      assertEquals(NodeStatus.ALIVE, c.routing().node(2).orElseThrow().status(), "a returning standby is alive again");
    }
  }

  @Test
  void previousPrimaryRestartsAsStandby_isListedAliveAgain() {
    try (TestCluster c = new TestCluster(2)) {
      c.servers.getFirst().tick();
      c.tickAll();
      MgmtdServer old = c.servers.removeFirst();
      old.close();
      c.advance(TestCluster.LEASE.plusSeconds(1));
      assertEquals(2, c.primary().nodeId());
      assertEquals(NodeStatus.FAILED, c.routing().node(1).orElseThrow().status());

      // Node 1 comes back after its lease was taken: a standby now, beating; the primary lists it once past its grace.
      c.servers.add(c.newServer(1, c.clock));
      c.advance(TestCluster.GRACE.plusSeconds(2));
      assertEquals(2, c.primary().nodeId(), "the returning instance does not take a live lease");
      assertEquals(NodeStatus.ALIVE, c.routing().node(1).orElseThrow().status());
    }
  }

  @Test
  void primaryRenewsItsLease_andKeepsIt() {
    try (TestCluster c = new TestCluster(2)) {
      c.servers.getFirst().tick();
      c.advance(Duration.ofSeconds(60));
      assertEquals(1, c.primary().nodeId());
    }
  }

  @Test
  void pausedPrimaryWithAStaleClock_cannotCommitAfterATakeover() {
    try (TestCluster c = new TestCluster(0)) {
      ManualClock frozen = new ManualClock(c.clock.instant());
      MgmtdServer a = c.newServer(1, frozen);
      MgmtdServer b = c.newServer(2, c.clock);
      c.servers.addAll(List.of(a, b));
      a.tick();
      b.tick();
      assertTrue(a.isPrimary());
      a.setConfig(CLUSTER, NodeType.META, "x = 1");
      // a pauses (GC, partition); its clock stands still, so it still believes in its lease.
      c.clock.advance(TestCluster.LEASE.plusSeconds(1));
      b.tick();
      assertTrue(b.isPrimary());
      assertTrue(a.isPrimary(), "a's own clock says its lease is valid: only the KV check can stop it");
      CatenaException e = assertThrows(CatenaException.class, () -> a.setConfig(CLUSTER, NodeType.META, "x = 2"));
      assertEquals(2, e.status().redirect().orElseThrow().nodeId());
      assertFalse(a.isPrimary(), "a stepped down after its write was refused");
      assertEquals(Optional.of(new VersionedConfig(NodeType.META, 1, "x = 1")),
          b.getConfig(CLUSTER, NodeType.META, 0), "a's write did not commit");
    }
  }

  /**
   * Two instances write config versions concurrently while the lease moves from one to the other; the old one's
   * clock is frozen so it keeps trying. Every version the old primary committed must precede every version the new
   * primary committed: their commits never interleave.
   */
  @Test
  void concurrentWritesAcrossATakeover_neverInterleave() throws Exception {
    for (int round = 0; round < 5; round++) {
      try (TestCluster c = new TestCluster(0)) {
        ManualClock frozen = new ManualClock(c.clock.instant());
        MgmtdServer a = c.newServer(1, frozen);
        MgmtdServer b = c.newServer(2, c.clock);
        c.servers.addAll(List.of(a, b));
        a.tick();
        List<Long> byA = Collections.synchronizedList(new ArrayList<>());
        List<Long> byB = Collections.synchronizedList(new ArrayList<>());
        AtomicBoolean stop = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(2);
        Thread ta = Thread.ofPlatform().start(() -> writeLoop(a, "a", byA, stop, started));
        Thread tb = Thread.ofPlatform().start(() -> writeLoop(b, "b", byB, stop, started));
        started.await();
        awaitSize(byA, 3);
        c.clock.advance(TestCluster.LEASE.plusSeconds(1));
        b.tick();
        awaitSize(byB, 3);
        stop.set(true);
        ta.join();
        tb.join();
        assertTrue(b.isPrimary());
        assertFalse(byA.isEmpty(), "a committed before the takeover");
        assertFalse(byB.isEmpty(), "b committed after the takeover");
        long lastA = byA.stream().mapToLong(x -> x).max().orElseThrow();
        long firstB = byB.stream().mapToLong(x -> x).min().orElseThrow();
        assertTrue(lastA < firstB, "a committed version " + lastA + " after b's first " + firstB);
      }
    }
  }

  private static void awaitSize(List<Long> l, int n) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
    while (l.size() < n) {
      assertTrue(System.nanoTime() < deadline, "writers made no progress");
      Thread.sleep(1);
    }
  }

  private static void writeLoop(MgmtdServer s, String name, List<Long> out, AtomicBoolean stop,
      CountDownLatch started) {
    started.countDown();
    int i = 0;
    while (!stop.get()) {
      try {
        out.add(s.setConfig(CLUSTER, NodeType.META, "writer = \"" + name + "\"\nn = " + i++).version());
      } catch (CatenaException e) {
        assertTrue(e.isRetryable(), e::getMessage);
        Thread.onSpinWait();
      }
    }
  }

  @Test
  void aStoreOfAnotherCluster_isRefusedAtStart() {
    try (TestCluster c = new TestCluster(1)) {
      c.tickAll();
      CatenaException e = assertThrows(CatenaException.class, () -> new MgmtdServer(c.kv, c.clock,
          new SplittableRandom(1), TestCluster.config("other"), 5, "tcp://x:1", Map.of()));
      assertEquals(Errno.EINVAL, e.errno());
      assertTrue(e.getMessage().contains("belongs to cluster 'test-cluster'"), e.getMessage());
    }
  }

  @Test
  void requestsForAnotherCluster_areRefusedEvenByTheFollowers() {
    try (TestCluster c = new TestCluster(2)) {
      c.tickAll();
      for (MgmtdServer s : c.servers) {
        TestCluster.expect(Errno.EINVAL, "request for cluster 'other'", () -> s.getRoutingInfo("other", 0));
      }
    }
  }

  @Test
  void noPrimaryYet_isARetryableErrorWithoutRedirect() {
    try (TestCluster c = new TestCluster(1)) {
      CatenaException e = assertThrows(CatenaException.class,
          () -> c.servers.getFirst().getRoutingInfo(CLUSTER, 0));
      assertEquals(Errno.EAGAIN, e.errno());
      assertTrue(e.isRetryable());
      assertTrue(e.status().redirect().isEmpty());
    }
  }
}
