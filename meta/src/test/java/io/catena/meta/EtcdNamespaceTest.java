package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.kv.TransactionRunner;
import io.catena.kv.etcd.EtcdProcess;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The namespace on a real etcd, where the engine's round-trip savings are live (prefetched entries, batched reads,
 * group commit): entry operations, an idempotent retry, and concurrent creates and unlinks in shared and separate
 * directories, ending in a consistent namespace.
 */
class EtcdNamespaceTest {

  @Test
  void entryOperations_andConcurrentCreatesAndUnlinks_onEtcd() throws Exception {
    MetaFixture f = new MetaFixture();
    try (EtcdProcess etcd = EtcdProcess.start();
        KvEngine kv = KvEngines.open(etcd.url(EtcdProcess.uniquePrefix("meta")), null)) {
      KvMetaService m = f.service(f.runner(kv, true));
      m.format(0755);
      long dir = m.mkdir(ROOT, MetaService.ROOT, "d", 0755, f.req()).id();
      RequestId req = f.req();
      int flags = OpenFlags.O_CREAT | OpenFlags.O_EXCL | OpenFlags.O_RDONLY;
      OpenResult first = m.create(ROOT, dir, "a", 0644, flags, "c", req);
      assertEquals(first.inode().id(), m.create(ROOT, dir, "a", 0644, flags, "c", req).inode().id(),
          "a retried request gets the first answer, not EEXIST");
      assertEquals(first.inode().id(), m.lookup(ROOT, dir, "a").id());
      assertEquals(Errno.EEXIST, assertThrows(CatenaException.class,
          () -> m.create(ROOT, dir, "a", 0644, flags, "c", f.req())).errno());
      m.unlink(ROOT, dir, "a", f.req());
      assertEquals(Errno.ENOENT, assertThrows(CatenaException.class, () -> m.lookup(ROOT, dir, "a")).errno());

      int threads = 8;
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      try {
        List<Future<?>> fs = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
          int me = t;
          long own = m.mkdir(ROOT, MetaService.ROOT, "own" + me, 0755, f.req()).id();
          fs.add(pool.submit(() -> {
            for (int i = 0; i < 15; i++) {
              long where = i % 2 == 0 ? dir : own;
              String name = "f" + me + "-" + i;
              m.create(ROOT, where, name, 0644, flags, "c" + me, new RequestId("c" + me, 1000 + i));
              assertEquals(name, m.readdir(ROOT, where, null, 1000, false).entries().stream()
                  .filter(e -> e.name().equals(name)).findFirst().orElseThrow().name());
              m.lookup(ROOT, where, name);
              if (i % 3 == 0) {
                m.unlink(ROOT, where, name, new RequestId("c" + me, 2000 + i));
              }
            }
            return null;
          }));
        }
        for (Future<?> fu : fs) {
          fu.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
      int inDir = m.readdir(ROOT, dir, null, 1000, false).entries().size();
      assertEquals(threads * 5, inDir, "8 threads x 8 even creates, minus those of i = 0, 6, 12 unlinked");
      NamespaceChecker.Report report = NamespaceChecker.check(kv);
      assertTrue(report.ok(), report.violations().toString());
    }
  }
}
