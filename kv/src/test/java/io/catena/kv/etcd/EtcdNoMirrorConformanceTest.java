package io.catena.kv.etcd;

import io.catena.common.config.Config;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngineConformanceTest;
import io.catena.kv.KvFaults;
import java.time.Clock;
import java.util.Map;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The shared conformance suite on etcd with {@code kv.etcd.mirror=false}: every read goes to etcd, as before the
 * mirror existed ({@link EtcdKvEngineTest} runs it with the mirror on, the default). Same etcd settings as there.
 */
class EtcdNoMirrorConformanceTest extends KvEngineConformanceTest {
  private static final long SERVER_MAX_REQUEST = 8L << 20;

  @RegisterExtension
  static final EtcdPerClass etcd =
      new EtcdPerClass(() -> EtcdProcess.builder().maxRequestBytes(SERVER_MAX_REQUEST).start());


  @Override
  protected KvEngine newEngine(KvFaults faults, Clock clock) {
    Config c = EtcdKvEngineTest.config(Map.of("kv.etcd.max_request_bytes", SERVER_MAX_REQUEST + "",
        "kv.etcd.mirror", "false"));
    return EtcdKvEngine.open(etcd.url(EtcdProcess.uniquePrefix("conf-nomirror")), c, faults, clock);
  }

  @Override
  protected int transfersPerThread() {
    return 120;
  }
}
