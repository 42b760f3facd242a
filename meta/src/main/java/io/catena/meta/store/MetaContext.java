package io.catena.meta.store;

import io.catena.common.cluster.ChainTable;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.kv.TransactionRunner;
import io.catena.meta.ChainTableSource;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Layout;
import io.catena.meta.server.MetaConfig;
import java.time.Clock;
import java.time.Instant;

/**
 * What the operation classes share: the transaction runner, the clock, config, chain tables, storage, the id
 * allocator and the quota ledger. Thread-safe: every member is.
 */
public final class MetaContext {
  final TransactionRunner runner;
  final Clock clock;
  final Config config;
  final ChainTableSource chainTables;
  final ChunkStorage storage;
  final IdAllocator ids;
  final QuotaLedger quotas;

  public MetaContext(TransactionRunner runner, Clock clock, Config config, ChainTableSource chainTables,
      ChunkStorage storage) {
    this.runner = runner;
    this.clock = clock;
    this.config = config;
    this.chainTables = chainTables;
    this.storage = storage;
    this.ids = new IdAllocator(runner, config.get(MetaConfig.ID_BLOCK));
    this.quotas = new QuotaLedger(config);
  }

  public TransactionRunner runner() {
    return runner;
  }

  public Clock clock() {
    return clock;
  }

  public Config config() {
    return config;
  }

  public ChunkStorage storage() {
    return storage;
  }

  public long nowNanos() {
    Instant t = clock.instant();
    return t.getEpochSecond() * 1_000_000_000L + t.getNano();
  }

  /** The root's default layout for children, from config. */
  public Layout rootLayout() {
    return Layout.defaults(config.get(MetaConfig.DEFAULT_CHAIN_TABLE),
        config.get(MetaConfig.DEFAULT_CHUNK_SIZE).toIntBytes(), config.get(MetaConfig.DEFAULT_STRIPE));
  }

  /**
   * A new file's layout from its directory's default: the current version of the chain table, a base index spread by
   * the inode id and the inode id as shuffle seed (so the layout is a pure function of the id and the table).
   */
  public Layout fileLayout(Layout dirDefault, long ino) {
    Layout d = dirDefault == null ? rootLayout() : dirDefault;
    ChainTable t = chainTables.current(d.chainTableId()).orElseThrow(
        () -> CatenaException.of(Errno.ENOSPC, "chain table %d does not exist", d.chainTableId()));
    int n = t.chainIds().size();
    if (n == 0) {
      throw CatenaException.of(Errno.ENOSPC, "chain table %d has no chains", d.chainTableId());
    }
    long mixed = ino * 0x9E3779B97F4A7C15L;
    int base = (int) Math.floorMod(mixed ^ (mixed >>> 32), (long) n);
    return new Layout(t.tableId(), Math.toIntExact(t.version()), d.chunkSize(), Math.min(d.stripeSize(), n), base, ino);
  }
}
