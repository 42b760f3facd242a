package io.catena.common.cluster;

import java.util.Objects;

/**
 * A registered node as mgmtd knows it. {@code lastHeartbeatMillis}, {@code configVersion} and {@code configStatus}
 * are advisory: they are refreshed in every snapshot without bumping the routing version. Immutable.
 *
 * @param address {@code tcp://host:port}
 * @param incarnation chosen by the node at process start (e.g. its start time); a new value means a restart
 * @param configVersion the config version the node last reported as applied (0: none)
 * @param configStatus the node's report about applying it ("" when fine)
 */
public record NodeInfo(long nodeId, NodeType type, String address, NodeStatus status, long incarnation,
    long lastHeartbeatMillis, long configVersion, String configStatus) {

  public NodeInfo {
    if (nodeId <= 0) {
      throw new IllegalArgumentException("node id must be positive: " + nodeId);
    }
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(address, "address");
    Objects.requireNonNull(status, "status");
    configStatus = configStatus == null ? "" : configStatus;
  }

  public NodeInfo withStatus(NodeStatus s) {
    return new NodeInfo(nodeId, type, address, s, incarnation, lastHeartbeatMillis, configVersion, configStatus);
  }

  public NodeInfo withRuntime(long lastHeartbeat, long cfgVersion, String cfgStatus) {
    return new NodeInfo(nodeId, type, address, status, incarnation, lastHeartbeat, cfgVersion, cfgStatus);
  }
}
