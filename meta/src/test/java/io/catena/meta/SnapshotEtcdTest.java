package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.etcd.EtcdProcess;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * A snapshot on a real etcd, whose transactions hold at most 128 operations: a tree of files with extended
 * attributes under nested quotas is copied in batches that stay within the limit.
 */
class SnapshotEtcdTest {

  @Test
  void aTreeWithXattrsUnderNestedQuotas_isSnapshottedWithinEtcdsTransactionLimit() throws Exception {
    MetaFixture f = new MetaFixture();
    try (EtcdProcess etcd = EtcdProcess.start();
        KvEngine kv = KvEngines.open(etcd.url(EtcdProcess.uniquePrefix("snap")), null)) {
      KvMetaService m = f.service(f.runner(kv, true));
      m.format(0755);
      long outer = m.mkdir(ROOT, MetaService.ROOT, "outer", 0755, null).id();
      long inner = m.mkdir(ROOT, outer, "inner", 0755, null).id();
      m.setQuota(ROOT, outer, new QuotaLimits(1L << 30, 10_000));
      m.setQuota(ROOT, inner, new QuotaLimits(1L << 30, 10_000));
      long src = m.mkdir(ROOT, inner, "src", 0755, null).id();
      for (int d = 0; d < 3; d++) {
        long dir = m.mkdir(ROOT, src, "d" + d, 0755, null).id();
        for (int k = 0; k < 20; k++) {
          Inode file = m.create(ROOT, dir, "f" + k, 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c1", null)
              .inode();
          for (int x = 0; x < 4; x++) {
            m.setxattr(ROOT, file.id(), "user.x" + x, ("v" + k).getBytes(StandardCharsets.UTF_8), 0, null);
          }
        }
      }
      SnapshotResult r = m.snapshot(ROOT, src, inner, "snap", f.req());
      assertEquals(new SnapshotResult(4, 60, 0, 0, 0), r);
      long copy = m.lookup(ROOT, m.lookup(ROOT, inner, "snap").id(), "d2").id();
      assertEquals(20, m.readdir(ROOT, copy, null, 100, false).entries().size());
      assertEquals(4, m.listxattr(ROOT, m.lookup(ROOT, copy, "f19").id()).size());
      assertEquals(2 * (1 + 3 + 60), m.getQuota(ROOT, inner).orElseThrow().usedInodes());
      NamespaceChecker.Report report = NamespaceChecker.check(kv);
      assertTrue(report.ok(), () -> report.violations().toString());
    }
  }
}
