package io.catena.rpc;

import io.catena.common.config.Config;
import io.catena.common.metrics.Meters;
import io.catena.common.net.Address;
import io.catena.rpc.netty.NettyRpcClient;
import io.catena.rpc.netty.NettyRpcServer;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.List;

/**
 * Entry point: builds servers and clients on the configured transport. Processes pass their metrics registry (calls,
 * latency and bytes per method land in it); the forms without one count into nothing, for tests and one-shot tools.
 * Stateless.
 */
public final class Rpc {
  private Rpc() {}

  /** Starts a server bound to exactly {@code bind} (port 0: any free port, see {@link RpcServer#port()}). */
  public static RpcServer server(Config config, Address bind, List<ServiceDefinition> services,
      Authenticator authenticator, MeterRegistry registry) {
    return NettyRpcServer.start(config, bind, services, authenticator, registry);
  }

  public static RpcServer server(Config config, Address bind, List<ServiceDefinition> services,
      Authenticator authenticator) {
    return server(config, bind, services, authenticator, Meters.discarding());
  }

  public static RpcServer server(Config config, Address bind, List<ServiceDefinition> services) {
    return server(config, bind, services, Authenticator.ACCEPT_ALL);
  }

  public static RpcClient client(Config config, MeterRegistry registry) {
    return new NettyRpcClient(config, registry);
  }

  /**
   * A client for a server process (storage, meta, mgmtd): its requests carry the node flag, so with the process's
   * admin token they count as server-to-server traffic ({@link RpcCall#fromNode}) rather than a client's.
   */
  public static RpcClient nodeClient(Config config, MeterRegistry registry) {
    return new NettyRpcClient(config, registry, true);
  }

  public static RpcClient client(Config config) {
    return client(config, Meters.discarding());
  }
}
