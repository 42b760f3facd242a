package io.catena.mgmtd.server;

import static io.catena.mgmtd.server.TestCluster.CLUSTER;
import static io.catena.mgmtd.server.TestCluster.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvConfig;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.mgmtd.MgmtdConfig;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;

class UsersAndSchedulerTest {

  @Test
  void users_tokensAuthenticate_rotate_andDie_withTheirUser() {
    try (TestCluster c = TestCluster.started(2)) {
      MgmtdServer p = c.primary();
      UserAccount alice = new UserAccount(1000, "alice", 100, List.of(100L, 200L), false);
      String t1 = p.addUser(CLUSTER, alice);
      assertEquals(64, t1.length());
      assertEquals(alice, p.authenticate(CLUSTER, t1));
      String root = p.addUser(CLUSTER, new UserAccount(0, "root", 0, List.of(), true));
      assertTrue(p.authenticate(CLUSTER, root).admin());
      expect(Errno.EEXIST, "uid 1000 is already used", () -> p.addUser(CLUSTER,
          new UserAccount(1000, "bob", 1, List.of(), false)));
      expect(Errno.EEXIST, "user name 'alice' is already used by uid 1000", () -> p.addUser(CLUSTER,
          new UserAccount(1001, "alice", 1, List.of(), false)));
      expect(Errno.EINVAL, "bad user name", () -> p.addUser(CLUSTER,
          new UserAccount(1002, "Robert'); DROP", 1, List.of(), false)));
      assertEquals(List.of(0L, 1000L), p.listUsers(CLUSTER).stream().map(UserAccount::uid).toList());

      String t2 = p.setUserToken(CLUSTER, 1000);
      assertNotEquals(t1, t2);
      expect(Errno.EKEYREJECTED, "unknown token", () -> p.authenticate(CLUSTER, t1));
      assertEquals(alice, p.authenticate(CLUSTER, t2));
      p.removeUser(CLUSTER, 1000);
      expect(Errno.EKEYREJECTED, "unknown token", () -> p.authenticate(CLUSTER, t2));
      expect(Errno.ENOENT, "unknown uid 1000", () -> p.removeUser(CLUSTER, 1000));
      expect(Errno.ENOENT, "unknown uid 7", () -> p.setUserToken(CLUSTER, 7));
    }
  }

  /**
   * The production path: background ticks elect one of two instances by themselves, and it renews its lease on its
   * own for longer than the lease lasts. Time moves on a manual clock; the test waits only for the tick thread.
   */
  @Test
  void backgroundScheduler_elects_andRenews() throws InterruptedException {
    Config cfg = Config.defaults(ConfigSchema.fromHolders(MgmtdConfig.class, MgmtdServerConfig.class, KvConfig.class))
        .withUpdates(Map.of("cluster.id", CLUSTER, "mgmtd.lease_duration", "2s",
            "mgmtd.lease_renew_interval", "200ms", "mgmtd.tick_interval", "10ms"), "test", false);
    ManualClock clock = new ManualClock();
    try (MemKvEngine kv = new MemKvEngine();
        MgmtdServer a = new MgmtdServer(kv, clock, new SplittableRandom(1), cfg, 1, "tcp://a:1");
        MgmtdServer b = new MgmtdServer(kv, clock, new SplittableRandom(2), cfg, 2, "tcp://b:1")) {
      a.start();
      b.start();
      awaitTicks("an election", () -> a.isPrimary() || b.isPrimary());
      TransactionRunner runner = TransactionRunner.withDefaults(kv);
      ClusterStore store = new ClusterStore();
      // 3 s in steps of half the renewal interval: the lease (2 s) outlives that only if it is renewed as it goes.
      for (int step = 0; step < 30; step++) {
        clock.advance(Duration.ofMillis(100));
        long now = clock.millis();
        awaitTicks("a renewal within the last renewal interval at step " + step,
            () -> runner.read(txn -> store.lease(new SnapshotView(txn)))
                .map(l -> l.expiresAtMillis() >= now + 2000 - 200).orElse(false));
        assertTrue(a.isPrimary() ^ b.isPrimary(), "exactly one primary at step " + step);
      }
    }
  }

  /** Waits for the tick threads to bring about {@code condition}; real time bounds only how long that may take. */
  private static void awaitTicks(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "no " + what);
      Thread.sleep(1); // polling period of a condition, not a wait for time to pass
    }
  }
}
