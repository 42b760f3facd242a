package io.catena.storage.service;

import io.catena.common.cluster.RoutingSource;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.mgmtd.exports.ExportGuard;
import io.catena.mgmtd.exports.GuardedService;
import io.catena.rpc.Authenticator;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One storage node: its targets on its disks, the storage service on an RPC server, and a peer RPC client for
 * forwarding and resync. Routing comes from the given source (the mgmtd routing cache in production). Thread-safe.
 */
public final class StorageServer implements AutoCloseable {
  private final TargetManager targets;
  private final RpcClient peers;
  private final StorageService service;
  private final RpcServer server;
  private final ScheduledExecutorService ticker;
  private final StorageMetrics metrics;

  public StorageServer(Config config, Address bind, List<Path> disks, RoutingSource routing, Clock clock) {
    this(config, bind, disks, routing, clock, Authenticator.ACCEPT_ALL, io.catena.common.metrics.Meters.discarding());
  }

  /**
   * As above, checking every request with {@code authenticator} (see {@link StorageAccess}) and counting its work
   * (RPC, targets, chunk engine, resync) in {@code registry}.
   */
  public StorageServer(Config config, Address bind, List<Path> disks, RoutingSource routing, Clock clock,
      Authenticator authenticator, MeterRegistry registry) {
    this(config, bind, disks, routing, clock, authenticator, registry, ExportGuard.open());
  }

  /** As above, enforcing the export rules {@code exports} holds on clients' calls (see {@link StorageExports}). */
  public StorageServer(Config config, Address bind, List<Path> disks, RoutingSource routing, Clock clock,
      Authenticator authenticator, MeterRegistry registry, ExportGuard exports) {
    this.metrics = new StorageMetrics(registry);
    this.targets = new TargetManager(disks, config, clock, metrics);
    RpcClient client = null;
    StorageService svc = null;
    try {
      client = Rpc.nodeClient(config, registry);
      svc = new StorageService(targets, routing, client, config, clock);
      this.server = Rpc.server(config, bind, List.of(GuardedService.wrap(svc.definition(), exports,
          StorageExports.INSTANCE)), authenticator, registry);
    } catch (RuntimeException e) {
      if (svc != null) {
        svc.close();
      }
      if (client != null) {
        client.close();
      }
      targets.close();
      throw e;
    }
    this.peers = client;
    this.service = svc;
    this.ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "storage-tick");
      t.setDaemon(true);
      return t;
    });
    long every = Math.max(100, service.retryWait().toMillis() * 5);
    ticker.scheduleWithFixedDelay(service::tick, every, every, TimeUnit.MILLISECONDS);
    // Gauges of space and resync: a statvfs per target per second is nothing; doing it at scrape time would put
    // the chunk stores on the HTTP threads.
    ticker.scheduleWithFixedDelay(this::refreshMetrics, 0, 1, TimeUnit.SECONDS);
  }

  private void refreshMetrics() {
    try {
      metrics.refresh(targets.all(), service.syncProgress());
    } catch (RuntimeException e) {
      org.slf4j.LoggerFactory.getLogger(StorageServer.class).debug("metrics refresh failed", e);
    }
  }

  public Address address() {
    return server.boundAddress();
  }

  public StorageService service() {
    return service;
  }

  public TargetManager targets() {
    return targets;
  }

  @Override
  public void close() {
    ticker.shutdownNow();
    server.close();
    service.close();
    peers.close();
    targets.close();
  }
}
