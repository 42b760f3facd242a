package io.catena.fuse;

import io.catena.meta.client.MetaClientConfig;
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
import io.catena.meta.server.MetaConfig;
import io.catena.meta.MetaService;
import io.catena.meta.store.KvMetaService;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.io.TempDir;

/**
 * Base of tests that drive a real kernel mount of a {@link CatenaFileSystem} over an in-memory meta and in-memory
 * chunks with real tools, counting every meta call the mount makes by method name. One mount per test method; the
 * counters are thread-safe.
 */
abstract class CountingMountTestBase {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(1L, 2L, 3L, 4L));
  private static final String[] AS_USER = {"setpriv", "--reuid=1000", "--regid=1000", "--clear-groups"};

  @TempDir
  Path dir;

  KvEngine kv;
  KvMetaService meta;
  CatenaFileSystem fs;
  FuseMount mount;
  Path mnt;
  Path virt;
  private final Map<String, AtomicLong> calls = new ConcurrentHashMap<>();

  /** Mounts at {@code dir}/mnt ({@code dir} is made 0755 so other users can reach the mount). */
  @BeforeEach
  void mountCatena() throws Exception {
    kv = new MemKvEngine();
    InMemoryChunks chunks = new InMemoryChunks();
    Config metaConfig = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class));
    meta = new KvMetaService(TransactionRunner.withDefaults(kv), Clock.systemUTC(), metaConfig,
        ChainTableSource.fixed(TABLE), chunks);
    meta.format(0755);
    FileLayoutIo fileIo = new FileLayoutIo(chunks, new ManualRoutingSource(
        new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(TABLE))));
    Files.setPosixFilePermissions(dir, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    mnt = Files.createDirectory(dir.resolve("mnt"));
    virt = mnt.resolve(".catena-virt");
    Config config = Config.defaults(ConfigSchema.fromHolders(FuseConfig.class, ClientConfig.class, MetaConfig.class,
        MetaClientConfig.class)).withUpdates(configUpdates(), "test", false);
    fs = new CatenaFileSystem(counting(meta), fileIo, "c1", config);
    mount = FuseMount.mount(mnt, fs, config);
  }

  /** Keys the mount's configuration sets besides the defaults. */
  Map<String, String> configUpdates() {
    return Map.of();
  }

  private MetaService counting(MetaService target) {
    // Also a trash source, as the real service and client are, so the control directory shows trash/.
    return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(), new Class<?>[] {MetaService.class,
        io.catena.meta.TrashService.Source.class},
        (proxy, method, args) -> {
          calls.computeIfAbsent(method.getName(), k -> new AtomicLong()).incrementAndGet();
          try {
            return method.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  /** Meta calls of {@code method} the mount has made so far. */
  long count(String method) {
    AtomicLong n = calls.get(method);
    return n == null ? 0 : n.get();
  }

  /** The counts so far, for assertion messages. */
  String counts() {
    return calls.toString();
  }

  /** Forgets the counts so far. */
  void resetCounts() {
    calls.clear();
  }

  /** {@code cmd} run as uid/gid 1000 without supplementary groups. */
  static String[] asUser(String... cmd) {
    String[] all = new String[AS_USER.length + cmd.length];
    System.arraycopy(AS_USER, 0, all, 0, AS_USER.length);
    System.arraycopy(cmd, 0, all, AS_USER.length, cmd.length);
    return all;
  }

  TestSupport.Result shell(String script) throws Exception {
    return TestSupport.run("sh", "-c", script);
  }

  @AfterEach
  void unmountCatena() throws Exception {
    try {
      if (mount != null) {
        mount.close();
      }
    } finally {
      if (TestSupport.mounted(mnt)) {
        FuseMount.forceUnmount(mnt);
      }
      kv.close();
    }
  }
}
