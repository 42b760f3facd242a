package io.catena.meta.server;

import io.catena.common.Closeables;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.kv.KvConfig;
import io.catena.kv.KvEngine;
import io.catena.kv.KvEngines;
import io.catena.mgmtd.MgmtdConfig;
import io.catena.mgmtd.auth.ClusterAuthenticators;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One standalone meta process ({@code catena meta}): the KV engine of {@code kv.engine_url} (a shared, distributed
 * one such as etcd when several meta processes serve one cluster), a {@link MetaServer} on it, and an RPC server on
 * {@code meta.listen} whose callers' tokens are checked with mgmtd ({@code mgmtd.client.addresses}). Thread-safe:
 * {@link #close} may race with {@link #awaitClosed} and runs once.
 */
public final class MetaProcess implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(MetaProcess.class);

  private final List<AutoCloseable> resources; // closed in reverse order
  private final RpcServer server;
  private final String kvUrl;
  private final CountDownLatch closed = new CountDownLatch(1);

  private MetaProcess(List<AutoCloseable> resources, RpcServer server, String kvUrl) {
    this.resources = resources;
    this.server = server;
    this.kvUrl = kvUrl;
  }

  /** Starts serving, counting everything in {@code registry} (the process's one registry). */
  public static MetaProcess start(Config config, io.micrometer.core.instrument.MeterRegistry registry) {
    LOG.info("effective configuration:\n{}", config.describe());
    List<AutoCloseable> res = new ArrayList<>();
    try {
      KvEngine kv = KvEngines.open(config.get(KvConfig.ENGINE_URL), config);
      res.add(kv);
      RpcClient rpc = Rpc.nodeClient(config, registry);
      res.add(rpc);
      MgmtdClient mgmtd = MgmtdClient.fromConfig(rpc, config);
      res.add(mgmtd);
      Clock clock = Clock.systemUTC();
      MetaServer meta = new MetaServer(kv, config, clock, RandomGenerator.of("L64X128MixRandom"), registry);
      res.add(meta);
      RpcServer server = Rpc.server(config, Address.parse(config.get(MetaRoleConfig.LISTEN)),
          List.of(meta.rpcDefinition(), meta.goalRpcDefinition()), ClusterAuthenticators.viaMgmtd(mgmtd,
              method -> io.catena.rpc.auth.TokenAuthenticator.Access.USER, config), registry);
      res.add(server);
      server.describeRole(() -> "meta " + config.get(MetaRoleConfig.NODE_ID) + ", KV " + kv.url());
      meta.start(server.boundAddress(), config.get(MetaRoleConfig.NODE_ID), mgmtd, mgmtd.service(), rpc);
      LOG.info("meta process of cluster {} serving on {} ({}), KV engine {}", config.get(MgmtdConfig.CLUSTER_ID),
          server.boundAddress(), server.transportName(), kv.url());
      return new MetaProcess(res, server, kv.url());
    } catch (RuntimeException e) {
      Closeables.closeReversed(res, LOG);
      throw e;
    }
  }

  public Address address() {
    return server.boundAddress();
  }

  public String kvUrl() {
    return kvUrl;
  }

  public void awaitClosed() throws InterruptedException {
    closed.await();
  }

  @Override
  public synchronized void close() {
    if (closed.getCount() == 0) {
      return;
    }
    Closeables.closeReversed(resources, LOG);
    closed.countDown();
    LOG.info("meta process stopped");
  }
}
