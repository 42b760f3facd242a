package io.catena.mgmtd.rpc;

import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.mgmtd.ConfigApplier;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.client.NodeAgent;
import io.catena.mgmtd.client.RoutingCache;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A storage node without disks, as mgmtd sees one over RPC: a NodeAgent reporting hand-set local target states at
 * the chain versions its RoutingCache knows, obeying STOP_SERVING_TARGET. Thread-safe.
 */
final class FakeStorageNode implements AutoCloseable {
  final long nodeId;
  final Map<Long, LocalTargetState> local = new ConcurrentHashMap<>();
  final List<NodeCommand> commands = new CopyOnWriteArrayList<>();
  final List<RoutingInfo> seen = new CopyOnWriteArrayList<>();
  final MgmtdClient client;
  final RoutingCache routing;
  final ConfigApplier applier;
  final NodeAgent agent;
  private final AutoCloseable subscription;

  FakeStorageNode(RpcCluster c, long nodeId, long incarnation, Map<Long, LocalTargetState> targets) {
    this.nodeId = nodeId;
    this.local.putAll(targets);
    this.client = c.client();
    Config cfg = RpcCluster.clientConfig(Map.of());
    this.routing = new RoutingCache(client, cfg);
    this.subscription = routing.subscribe(seen::add);
    routing.start();
    this.applier = new ConfigApplier(cfg);
    this.agent = new NodeAgent(client, NodeType.STORAGE, nodeId, Address.tcp("127.0.0.1", 1), incarnation,
        this::reports, this::onCommand, applier, cfg, Clock.systemUTC());
    agent.start();
  }

  private List<TargetReport> reports() {
    RoutingInfo r = routing.current();
    List<TargetReport> out = new ArrayList<>();
    local.forEach((t, s) -> {
      long chainVersion = r.target(t).flatMap(ti -> r.chain(ti.chainId())).map(ch -> ch.version()).orElse(0L);
      out.add(new TargetReport(t, s, chainVersion, 1 << 20, 1 << 30));
    });
    return out;
  }

  private void onCommand(NodeCommand cmd) {
    commands.add(cmd);
    if (cmd.kind() == NodeCommand.Kind.STOP_SERVING_TARGET) {
      local.put(cmd.targetId(), LocalTargetState.ONLINE);
    }
  }

  /** The process dies: no more heartbeats. */
  @Override
  public void close() throws Exception {
    agent.close();
    subscription.close();
    routing.close();
    client.close();
  }
}
