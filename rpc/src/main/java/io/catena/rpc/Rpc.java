package io.catena.rpc;

import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.rpc.netty.NettyRpcClient;
import io.catena.rpc.netty.NettyRpcServer;
import java.util.List;

/** Entry point: builds servers and clients on the configured transport. Stateless. */
public final class Rpc {
  private Rpc() {}

  /** Starts a server bound to exactly {@code bind} (port 0: any free port, see {@link RpcServer#port()}). */
  public static RpcServer server(Config config, Address bind, List<ServiceDefinition> services,
      Authenticator authenticator) {
    return NettyRpcServer.start(config, bind, services, authenticator);
  }

  public static RpcServer server(Config config, Address bind, List<ServiceDefinition> services) {
    return server(config, bind, services, Authenticator.ACCEPT_ALL);
  }

  public static RpcClient client(Config config) {
    return new NettyRpcClient(config);
  }
}
