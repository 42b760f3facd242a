package io.catena.meta;

import static io.catena.meta.MetaFixture.ROOT;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvCopy;
import io.catena.kv.KvEngine;
import io.catena.kv.ReadTransaction;
import io.catena.kv.ReadWriteTransaction;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.store.KvMetaService;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Which meta reads may be behind ({@code meta.read_staleness}), over an engine whose bounded-staleness reads answer
 * from a copy taken when the test says (as the etcd engine's mirror may answer from a state up to the bound old):
 * attribute, entry and listing reads use the allowance; "no such file" is never taken from the old state; every
 * mutation reads the latest state; with the setting at 0 nothing is behind.
 */
class ReadStalenessTest {

  /** Latest reads and writes on {@code latest}; bounded-staleness reads on the copy {@link #catchUp} took last. */
  static final class LaggingEngine implements KvEngine {
    final MemKvEngine latest = new MemKvEngine();
    volatile MemKvEngine behind = new MemKvEngine();
    int behindReads;

    void catchUp() {
      MemKvEngine copy = new MemKvEngine();
      new KvCopy(latest, copy, 1000, 1 << 20).run(n -> { });
      behind = copy;
    }

    @Override
    public ReadTransaction beginRead() {
      return latest.beginRead();
    }

    @Override
    public ReadTransaction beginRead(Duration maxStaleness) {
      behindReads++;
      return behind.beginRead();
    }

    @Override
    public boolean readsMayLag() {
      return true;
    }

    @Override
    public ReadWriteTransaction beginReadWrite() {
      return latest.beginReadWrite();
    }

    @Override
    public String url() {
      return "mem://lagging";
    }

    @Override
    public void close() {
      latest.close();
      behind.close();
    }
  }

  private static KvMetaService service(MetaFixture f, LaggingEngine kv, String staleness) {
    Config c = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class))
        .withUpdates(Map.of("meta.read_staleness", staleness), "test", false);
    KvMetaService m = new KvMetaService(f.runner(kv, false), f.clock, c, io.catena.meta.ChainTableSource.fixed(
        MetaFixture.TABLE), f.storage);
    m.format(0755);
    return m;
  }

  @Test
  void readsMayLagWithinTheAllowance_butNeverSayNoSuchFile_andMutationsSeeTheLatest() {
    MetaFixture f = new MetaFixture();
    try (LaggingEngine kv = new LaggingEngine()) {
      KvMetaService m = service(f, kv, "20ms");
      long dir = m.mkdir(ROOT, MetaService.ROOT, "d", 0755, f.req()).id();
      kv.catchUp();
      long ino = m.create(ROOT, dir, "x", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c", f.req()).inode().id();
      assertEquals(ino, m.lookup(ROOT, dir, "x").id(), "created after the copy: found at the latest state");
      assertEquals(ino, m.getattr(ROOT, ino).id());
      kv.catchUp();
      m.rename(ROOT, dir, "x", dir, "y", 0, f.req());
      int before = kv.behindReads;
      assertEquals(ino, m.lookup(ROOT, dir, "x").id(), "the old name, within the allowance");
      assertEquals(1, m.readdir(ROOT, dir, null, 100, false).entries().size());
      assertEquals("x", m.readdir(ROOT, dir, null, 100, false).entries().get(0).name());
      assertEquals(before + 3, kv.behindReads, "lookup and readdir used the allowance");
      MetaFixture.expect(Errno.ENOENT, () -> m.rename(ROOT, dir, "x", dir, "z", 0, f.req()));
      assertEquals(ino, m.lookup(ROOT, dir, "y").id(), "the new name, missing from the copy: asked again");
      kv.catchUp();
      MetaFixture.expect(Errno.ENOENT, () -> m.lookup(ROOT, dir, "x"));
    }
  }

  @Test
  void zeroAllowance_everyReadAtTheLatestState() {
    MetaFixture f = new MetaFixture();
    try (LaggingEngine kv = new LaggingEngine()) {
      KvMetaService m = service(f, kv, "0s");
      long dir = m.mkdir(ROOT, MetaService.ROOT, "d", 0755, f.req()).id();
      m.create(ROOT, dir, "x", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c", f.req());
      kv.catchUp();
      m.unlink(ROOT, dir, "x", f.req());
      MetaFixture.expect(Errno.ENOENT, () -> m.lookup(ROOT, dir, "x"));
      assertEquals(0, m.readdir(ROOT, dir, null, 100, false).entries().size());
      assertEquals(0, kv.behindReads);
    }
  }
}
