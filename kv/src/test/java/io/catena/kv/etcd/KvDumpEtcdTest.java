package io.catena.kv.etcd;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.KvConfig;
import io.catena.kv.KvDumpTest;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** {@code admin backup} / {@code restore} with a real etcd on either side (see {@link KvDumpTest}). */
class KvDumpEtcdTest {
  @RegisterExtension static final EtcdPerClass etcd = new EtcdPerClass();
  private static final Config CONFIG = Config.defaults(ConfigSchema.fromHolders(KvConfig.class, EtcdConfig.class))
      .withUpdates(Map.of(), "test", false);
  @TempDir Path tmp;

  @Test
  void etcdToRocksdb_roundTrip() {
    KvDumpTest.roundTrip(tmp, CONFIG, etcd.url(EtcdProcess.uniquePrefix("dump")), "rocksdb://" + tmp.resolve("r"));
  }

  @Test
  void memToEtcd_roundTrip() {
    KvDumpTest.roundTrip(tmp, CONFIG, "mem://", etcd.url(EtcdProcess.uniquePrefix("restore")));
  }
}
