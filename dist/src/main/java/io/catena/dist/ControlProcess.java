package io.catena.dist;

import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcServer;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control process: the embedded KV store and the RPC server that the cluster manager and metadata service
 * are served on. Thread-safe: {@link #close} may race with {@link #awaitClosed}.
 */
final class ControlProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ControlProcess.class);

  private final KvEngine kv;
  private final RpcServer server;
  private final CountDownLatch closed = new CountDownLatch(1);

  private ControlProcess(KvEngine kv, RpcServer server) {
    this.kv = kv;
    this.server = server;
  }

  static ControlProcess start(Config config) {
    LOG.info("effective configuration:\n{}", config.describe());
    KvEngine kv = KvEngines.open(config.get(KvConfig.ENGINE_URL), config);
    try {
      RpcServer server = Rpc.server(config, Address.parse(config.get(ControlConfig.LISTEN)), List.of());
      LOG.info("control process serving on {} ({}), KV engine {}", server.boundAddress(), server.transportName(),
          kv.url());
      return new ControlProcess(kv, server);
    } catch (RuntimeException e) {
      kv.close();
      throw e;
    }
  }

  Address address() {
    return server.boundAddress();
  }

  String kvUrl() {
    return kv.url();
  }

  void awaitClosed() throws InterruptedException {
    closed.await();
  }

  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    try {
      server.close();
    } finally {
      kv.close();
      closed.countDown();
      LOG.info("control process stopped");
    }
  }
}
