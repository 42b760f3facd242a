package io.catena.fuse;

import io.catena.client.ClientConfig;
import io.catena.client.FileLayoutIo;
import io.catena.client.InMemoryChunks;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.fuse.catena.CatenaFileSystem;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.ChainTableSource;
import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.store.KvMetaService;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;

/**
 * Catena mounted with FUSE in this JVM for a test class: meta on mem://, chunks in memory, 256 KiB chunks over four
 * chains, native I/O reaping every 100 ms. Not thread-safe: owned by one test class.
 */
final class CatenaTestMount implements AutoCloseable {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(1L, 2L, 3L, 4L));

  final Path mnt;
  private final KvEngine kv;
  private final FuseMount mount;

  private CatenaTestMount(Path mnt, KvEngine kv, FuseMount mount) {
    this.mnt = mnt;
    this.kv = kv;
    this.mount = mount;
  }

  /** Mounts at DIR/mnt; DIR becomes world-searchable so other users' programs reach the mount. */
  static CatenaTestMount start(Path dir) throws IOException {
    KvEngine kv = new MemKvEngine();
    InMemoryChunks chunks = new InMemoryChunks();
    Config config = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class))
        .withUpdates(Map.of("meta.default_chunk_size", "256KiB", "meta.default_stripe_size", "4"), "test", false);
    KvMetaService meta = new KvMetaService(TransactionRunner.withDefaults(kv), Clock.systemUTC(), config,
        ChainTableSource.fixed(TABLE), chunks);
    meta.format(0777);
    FileLayoutIo fileIo = new FileLayoutIo(chunks, new ManualRoutingSource(
        new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(TABLE))));
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    Path mnt = Files.createDirectory(dir.resolve("mnt"));
    Config fuse = Config.defaults(ConfigSchema.fromHolders(FuseConfig.class, ClientConfig.class))
        .withUpdates(Map.of("fuse.io.reap_interval", "100ms"), "test", false);
    return new CatenaTestMount(mnt, kv, FuseMount.mount(mnt, new CatenaFileSystem(meta, fileIo, "c1", fuse), fuse));
  }

  /** The names registered in iovs/ that this (root) process sees: all of them. */
  List<String> iovs() throws IOException {
    try (var s = Files.list(mnt.resolve(".catena-virt/iovs"))) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  @Override
  public void close() throws Exception {
    mount.close();
    if (TestSupport.mounted(mnt)) {
      FuseMount.forceUnmount(mnt);
    }
    kv.close();
  }
}
