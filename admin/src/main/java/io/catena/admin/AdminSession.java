package io.catena.admin;

import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.meta.client.MetaClient;
import io.catena.meta.client.MetaServers;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.MgmtdClientConfig;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.common.retry.Sleeper;
import java.util.List;
import java.util.random.RandomGenerator;

/**
 * One command's connections: an RPC client carrying the token, the mgmtd client over it (redirects, failover,
 * retries) and, on first use, a meta client. Closed when the command ends. Not thread-safe: one command thread.
 */
final class AdminSession implements AutoCloseable {
  private final Config config;
  private final ConnectionOptions options;
  private final RpcClient rpc;
  private final MgmtdClient mgmtd;
  private MetaClient meta;

  AdminSession(ConnectionOptions options) {
    this.options = options;
    this.config = options.config();
    this.rpc = Rpc.client(config);
    try {
      List<Address> addrs = options.mgmtdAddresses(config).stream().map(Address::parse).toList();
      this.mgmtd = new MgmtdClient(rpc, addrs, config.get(MgmtdClientConfig.CLUSTER_ID), config);
    } catch (RuntimeException e) {
      rpc.close();
      throw e;
    }
  }

  Config config() {
    return config;
  }

  RpcClient rpc() {
    return rpc;
  }

  String clusterId() {
    return mgmtd.clusterId();
  }

  MgmtdService mgmtd() {
    return mgmtd.service();
  }

  /** Draining targets (mgmtd's DrainService), through the same client. */
  io.catena.mgmtd.DrainService drains() {
    return new io.catena.mgmtd.client.DrainClient(mgmtd);
  }

  /** The whole routing snapshot: nodes, targets, chains and chain tables of one version. */
  RoutingInfo routing() {
    return mgmtd.service().getRoutingInfo(clusterId(), -1).orElseThrow();
  }

  /**
   * A meta client on the servers of --meta, else on the meta nodes routing lists alive, then the mgmtd addresses
   * (a control process serves both).
   */
  MetaClient meta() {
    if (meta == null) {
      List<Address> explicit = options.explicitMetaAddresses();
      MetaServers servers;
      if (!explicit.isEmpty()) {
        servers = MetaServers.fixed(explicit);
      } else {
        RoutingInfo snapshot = routing();
        servers = MetaServers.fromRouting(new ManualRoutingSource(snapshot), mgmtd.addresses());
      }
      meta = new MetaClient(rpc, servers, "catena-admin", MetaClient.Options.from(config),
          RandomGenerator.of("L64X128MixRandom"), Sleeper.system());
    }
    return meta;
  }

  @Override
  public void close() {
    if (meta != null) {
      meta.close();
    }
    mgmtd.close();
    rpc.close();
  }
}
