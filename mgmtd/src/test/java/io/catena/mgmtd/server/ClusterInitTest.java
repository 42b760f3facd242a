package io.catena.mgmtd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.kv.mem.MemKvEngine;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ClusterInitTest {
  private static final UserAccount ROOT = new UserAccount(0, "root", 0, List.of(), true);

  private static Errno errno(Runnable r) {
    return assertThrows(CatenaException.class, r::run).errno();
  }

  @Test
  void initialize_stampsTheStore_andItsAdminTokenWorksOnceMgmtdServesIt() {
    try (TestCluster c = new TestCluster(0)) {
      String token = ClusterInit.initialize(c.kv, TestCluster.CLUSTER, ROOT);
      assertEquals(Optional.of(TestCluster.CLUSTER), ClusterInit.clusterOf(c.kv));
      ClusterInit.requireInitialized(c.kv, TestCluster.CLUSTER);
      c.servers.add(c.newServer(1, c.clock));
      c.servers.getFirst().tick();
      assertEquals(ROOT, c.primary().authenticate(TestCluster.CLUSTER, token));
      assertEquals(Errno.EKEYREJECTED, errno(() -> c.primary().authenticate(TestCluster.CLUSTER, token + "x")));
    }
  }

  @Test
  void initializeTwice_isRefused_andKeepsTheFirstAdmin() {
    try (TestCluster c = new TestCluster(0)) {
      ClusterInit.initialize(c.kv, TestCluster.CLUSTER, ROOT);
      CatenaException e = assertThrows(CatenaException.class,
          () -> ClusterInit.initialize(c.kv, "other", new UserAccount(5, "eve", 5, List.of(), true)));
      assertEquals(Errno.EEXIST, e.errno());
      assertTrue(e.getMessage().contains(TestCluster.CLUSTER), e.getMessage());
    }
  }

  @Test
  void anUninitializedOrForeignStore_isRefusedWithWhatToDo() {
    try (MemKvEngine kv = new MemKvEngine()) {
      CatenaException e = assertThrows(CatenaException.class, () -> ClusterInit.requireInitialized(kv, "c1"));
      assertEquals(Errno.ENOENT, e.errno());
      assertTrue(e.getMessage().contains("catena admin init-cluster"), e.getMessage());
      ClusterInit.initialize(kv, "c1", ROOT);
      assertEquals(Errno.EINVAL, errno(() -> ClusterInit.requireInitialized(kv, "c2")));
    }
  }

  @Test
  void badClusterIdsAndNonAdminFirstUsers_areRefused() {
    try (MemKvEngine kv = new MemKvEngine()) {
      assertEquals(Errno.EINVAL, errno(() -> ClusterInit.initialize(kv, "bad id/x", ROOT)));
      assertEquals(Errno.EINVAL, errno(() -> ClusterInit.initialize(kv, "c1",
          new UserAccount(1000, "alice", 1000, List.of(), false))));
      assertEquals(Optional.empty(), ClusterInit.clusterOf(kv));
    }
  }

  @Test
  void aGivenToken_isTheAdminsToken_andMustBeLongAndPrintable() {
    String token = "k8s-secret-" + "x".repeat(40);
    try (TestCluster c = new TestCluster(0)) {
      assertEquals(Errno.EINVAL, errno(() -> ClusterInit.initialize(c.kv, TestCluster.CLUSTER, ROOT, "short")));
      assertEquals(Errno.EINVAL, errno(() -> ClusterInit.initialize(c.kv, TestCluster.CLUSTER, ROOT,
          "has a space " + "x".repeat(40))));
      assertEquals(Optional.empty(), ClusterInit.clusterOf(c.kv));
      assertEquals(token, ClusterInit.initialize(c.kv, TestCluster.CLUSTER, ROOT, token));
      assertTrue(ClusterInit.isAdminToken(c.kv, token));
      c.servers.add(c.newServer(1, c.clock));
      c.servers.getFirst().tick();
      assertEquals(ROOT, c.primary().authenticate(TestCluster.CLUSTER, token));
    }
  }

  @Test
  void initializeIfAbsent_initializesOnce_thenChecksTheTokenAndChangesNothing() {
    String token = "t".repeat(32);
    try (MemKvEngine kv = new MemKvEngine()) {
      assertEquals(Optional.of(token), ClusterInit.initializeIfAbsent(kv, "c1", ROOT, token));
      assertEquals(Optional.empty(), ClusterInit.initializeIfAbsent(kv, "c1", ROOT, token), "second start");
      assertEquals(Optional.empty(), ClusterInit.initializeIfAbsent(kv, "c1", ROOT, null), "no token to check");
      CatenaException replaced = assertThrows(CatenaException.class,
          () -> ClusterInit.initializeIfAbsent(kv, "c1", ROOT, "u".repeat(32)));
      assertEquals(Errno.EACCES, replaced.errno());
      assertTrue(replaced.getMessage().contains("no admin's token"), replaced.getMessage());
      assertEquals(Errno.EEXIST, errno(() -> ClusterInit.initializeIfAbsent(kv, "c2", ROOT, token)));
      assertFalse(ClusterInit.isAdminToken(kv, "u".repeat(32)));
    }
    try (MemKvEngine kv = new MemKvEngine()) {
      String random = ClusterInit.initializeIfAbsent(kv, "c1", ROOT, null).orElseThrow();
      assertTrue(ClusterInit.isAdminToken(kv, random));
    }
  }
}
