package io.catena.meta.rpc;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaFixture;
import io.catena.meta.OpenFlags;
import io.catena.meta.QuotaLimits;
import io.catena.meta.QuotaUsage;
import io.catena.meta.StatFs;
import io.catena.meta.client.MetaClient;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Quotas and atime through MetaClient and real RPC servers: every field and errno crosses the wire. */
class QuotaOverRpcTest {
  final MetaFixture f = new MetaFixture();

  static void expect(Errno errno, Executable op) {
    CatenaException e = assertThrows(CatenaException.class, op);
    assertEquals(errno, e.errno(), () -> "wrong errno: " + e.getMessage());
  }

  @Test
  void quotasStatfsAndAtime_overRpc_matchTheService() {
    try (MetaRpcCluster c = new MetaRpcCluster(f, 1)) {
      MetaClient m = c.client("rpc-quota", 1);
      long q = f.openDir("q").id();
      expect(Errno.EPERM, () -> m.setQuota(ALICE, q, QuotaLimits.inodes(2)));
      QuotaUsage set = m.setQuota(ROOT, q, new QuotaLimits(1 << 20, 2));
      assertEquals(new QuotaUsage(q, new QuotaLimits(1 << 20, 2), 0, 0, QuotaUsage.State.ACTIVE), set);
      Inode a = m.create(ALICE, q, "a", 0644, OpenFlags.O_CREAT, "c", null).inode();
      assertEquals(q, a.quotaDomain());
      assertEquals(a, f.meta.getattr(ALICE, a.id())); // the tag crosses the wire
      assertEquals(Inode.NO_QUOTA, m.getattr(ALICE, 0).quotaDomain());
      m.mkdir(ALICE, q, "d", 0755, null);
      expect(Errno.EDQUOT, () -> m.mkdir(ALICE, q, "e", 0755, null));
      expect(Errno.EXDEV, () -> m.rename(ROOT, q, "d", 0, "d", 0, null));
      assertEquals(f.meta.getQuota(ALICE, q), m.getQuota(ALICE, q));
      assertEquals(2, m.getQuota(ALICE, q).orElseThrow().usedInodes());
      assertEquals(Optional.empty(), m.getQuota(ALICE, 0));
      StatFs s = m.statfs(ALICE, a.id());
      assertEquals(f.meta.statfs(ALICE, a.id()), s);
      assertEquals(1 << 20, s.capacityBytes());
      assertEquals(2, s.maxInodes());
      assertEquals(f.meta.statfs(ALICE), m.statfs(ALICE));
      f.clock.advance(Duration.ofSeconds(5));
      m.touchAtime(ALICE, a.id());
      assertEquals(f.meta.context().nowNanos(), m.getattr(ALICE, a.id()).atime());
      expect(Errno.ENOENT, () -> m.touchAtime(ALICE, 99999));
      assertTrue(m.removeQuota(ROOT, q));
      assertFalse(m.removeQuota(ROOT, q));
      assertEquals(Inode.NO_QUOTA, m.getattr(ALICE, a.id()).quotaDomain());
      f.assertConsistent();
    }
  }

  @Test
  void createsWhoseRepliesAreLost_retriedOnAnotherServer_countOnce() {
    Set<String> lostOnce = ConcurrentHashMap.newKeySet();
    AtomicInteger losses = new AtomicInteger();
    try (MetaRpcCluster c = new MetaRpcCluster(f, f.engine, 2, s -> MetaRpcCluster.losingReplies(s, method -> {
      if (Set.of("create", "mkdir", "unlink").contains(method) && lostOnce.add(method)) {
        losses.incrementAndGet();
        return true;
      }
      return false;
    }))) {
      MetaClient m = c.client("lossy-quota", 3);
      long q = f.openDir("q").id();
      f.meta.setQuota(ROOT, q, QuotaLimits.inodes(3));
      m.create(ALICE, q, "a", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null);
      m.mkdir(ALICE, q, "d", 0755, null);
      m.create(ALICE, q, "b", 0644, OpenFlags.O_CREAT | OpenFlags.O_EXCL, "c", null); // exactly the limit
      m.unlink(ALICE, q, "b", null);
      assertTrue(losses.get() >= 3, "replies were lost and retried: " + losses.get());
      assertEquals(2, f.meta.getQuota(ALICE, q).orElseThrow().usedInodes());
      f.assertConsistent();
    }
  }
}
