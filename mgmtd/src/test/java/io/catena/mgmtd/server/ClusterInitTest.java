package io.catena.mgmtd.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
}
