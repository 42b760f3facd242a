package io.catena.meta;

import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.common.cluster.ChainTable;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.kv.KeyValue;
import io.catena.kv.KvEngine;
import io.catena.kv.KvFaults;
import io.catena.kv.ReadTransaction;
import io.catena.common.retry.RetryPolicy;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.store.KvMetaService;
import io.catena.meta.store.NamespaceChecker;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.function.Executable;

/** One namespace on a fresh in-memory engine, with a manual clock, a fixed chain table and fake storage. */
public class MetaFixture {
  public static final UserInfo ROOT = UserInfo.ROOT;
  public static final UserInfo ALICE = UserInfo.of(1000, 1000);
  public static final UserInfo BOB = UserInfo.of(1001, 1001, 3000);
  /** In alice's group as a supplementary group. */
  public static final UserInfo CAROL = UserInfo.of(1002, 1002, 1000);
  public static final ChainTable TABLE = new ChainTable(1, 3, List.of(101L, 102L, 103L, 104L, 105L, 106L));

  public final ManualClock clock = new ManualClock();
  public final Config config = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class));
  public final FakeChunkStorage storage = new FakeChunkStorage();
  public final KvEngine engine;
  public final TransactionRunner runner;
  public final KvMetaService meta;
  private long seq;

  public MetaFixture() {
    this(KvFaults.none());
  }

  public MetaFixture(KvFaults faults) {
    engine = new MemKvEngine("mem://", config, faults, Clock.systemUTC());
    runner = runner(engine, false);
    meta = service(runner);
    meta.format(0755);
  }

  /** A runner on the manual clock; with {@code realPauses} it backs off for real (contention needs it). */
  public TransactionRunner runner(KvEngine e, boolean realPauses) {
    RetryPolicy p = new RetryPolicy(realPauses ? 500 : 50, Duration.ofMillis(1), Duration.ofMillis(20),
        Duration.ofMinutes(5));
    RandomGenerator r = new SplittableRandom(42);
    return realPauses ? new TransactionRunner(e, p, clock, r) : new TransactionRunner(e, p, clock, r, d -> {});
  }

  public KvMetaService service(TransactionRunner r) {
    return new KvMetaService(r, clock, config, ChainTableSource.fixed(TABLE), storage);
  }

  public RequestId req() {
    return new RequestId("test-client", ++seq);
  }

  /** A directory under the root that everyone may write, like /tmp without the sticky bit. */
  public Inode openDir(String name) {
    Inode d = meta.mkdir(ROOT, MetaService.ROOT, name, 0777, null);
    return meta.setattr(ROOT, d.id(), SetAttr.chmod(0777));
  }

  public Inode file(UserInfo u, long parent, String name, int mode) {
    return meta.create(u, parent, name, mode, OpenFlags.O_CREAT | OpenFlags.O_RDONLY, "c1", null).inode();
  }

  public static void expect(Errno errno, Executable op) {
    CatenaException e = assertThrows(CatenaException.class, op);
    assertEquals(errno, e.errno(), () -> "wrong errno: " + e.getMessage());
  }

  /** Every key and value of the store, to show that a failed operation wrote nothing. */
  public List<KeyValue> dump() {
    try (ReadTransaction t = engine.beginRead()) {
      return t.snapshotGetRange(new byte[0], new byte[] {(byte) 0xff}, 0, false).pairs();
    }
  }

  /** Runs {@code op}, expects {@code errno}, and checks the store is byte-for-byte unchanged. */
  public void expectNothingWritten(Errno errno, Executable op) {
    List<KeyValue> before = dump();
    expect(errno, op);
    List<KeyValue> after = dump();
    assertEquals(before.size(), after.size(), "number of keys changed");
    for (int k = 0; k < before.size(); k++) {
      assertArrayEquals(before.get(k).key(), after.get(k).key());
      assertArrayEquals(before.get(k).value(), after.get(k).value());
    }
  }

  public void assertConsistent() {
    NamespaceChecker.Report r = NamespaceChecker.check(engine);
    assertTrue(r.ok(), () -> "namespace violations: " + r.violations());
  }

  public void tick() {
    clock.advance(Duration.ofSeconds(1));
  }
}
