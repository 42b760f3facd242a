package io.catena.mgmtd.rpc;

import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ChainTarget;
import io.catena.common.cluster.LocalTargetState;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.PublicTargetState;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.NodeCommand;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.TargetReport;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import io.catena.mgmtd.proto.ChainInfoMsg;
import io.catena.mgmtd.proto.ChainSpecMsg;
import io.catena.mgmtd.proto.ChainTableMsg;
import io.catena.mgmtd.proto.ChainTargetMsg;
import io.catena.mgmtd.proto.ClientSessionMsg;
import io.catena.mgmtd.proto.ExtendSessionRequest;
import io.catena.mgmtd.proto.HeartbeatReplyMsg;
import io.catena.mgmtd.proto.HeartbeatRequestMsg;
import io.catena.mgmtd.proto.NodeCommandMsg;
import io.catena.mgmtd.proto.NodeInfoMsg;
import io.catena.mgmtd.proto.RegisterNodeRequest;
import io.catena.mgmtd.proto.RoutingInfoMsg;
import io.catena.mgmtd.proto.TargetInfoMsg;
import io.catena.mgmtd.proto.TargetReportMsg;
import io.catena.mgmtd.proto.TargetSpecMsg;
import io.catena.mgmtd.proto.UserAccountMsg;
import io.catena.mgmtd.proto.VersionedConfigMsg;
import java.util.List;
import java.util.Optional;

/**
 * Conversions between mgmtd's wire messages and the Java records. Decoding validates through the records'
 * constructors, which throw IllegalArgumentException for malformed input (callers turn that into EINVAL on the
 * server, EIO on the client). Stateless.
 */
public final class MgmtdProtos {
  private MgmtdProtos() {}

  // --- nodes, targets, chains, routing ----------------------------------------------------------------------

  public static NodeInfoMsg toMsg(NodeInfo n) {
    return NodeInfoMsg.newBuilder().setNodeId(n.nodeId()).setType(n.type().code()).setAddress(n.address())
        .setStatus(n.status().code()).setIncarnation(n.incarnation()).setLastHeartbeatMillis(n.lastHeartbeatMillis())
        .setConfigVersion(n.configVersion()).setConfigStatus(n.configStatus()).build();
  }

  public static NodeInfo fromMsg(NodeInfoMsg m) {
    return new NodeInfo(m.getNodeId(), NodeType.fromCode(m.getType()), m.getAddress(),
        NodeStatus.fromCode(m.getStatus()), m.getIncarnation(), m.getLastHeartbeatMillis(), m.getConfigVersion(),
        m.getConfigStatus());
  }

  public static ChainInfoMsg toMsg(ChainInfo c) {
    ChainInfoMsg.Builder b = ChainInfoMsg.newBuilder().setChainId(c.chainId()).setVersion(c.version());
    for (ChainTarget t : c.targets()) {
      b.addTargets(ChainTargetMsg.newBuilder().setTargetId(t.targetId()).setState(t.state().code()));
    }
    return b.build();
  }

  public static ChainInfo fromMsg(ChainInfoMsg m) {
    return new ChainInfo(m.getChainId(), m.getVersion(), m.getTargetsList().stream()
        .map(t -> new ChainTarget(t.getTargetId(), PublicTargetState.fromCode(t.getState()))).toList());
  }

  public static ChainTableMsg toMsg(ChainTable t) {
    return ChainTableMsg.newBuilder().setTableId(t.tableId()).setVersion(t.version()).addAllChainIds(t.chainIds())
        .build();
  }

  public static ChainTable fromMsg(ChainTableMsg m) {
    return new ChainTable(m.getTableId(), m.getVersion(), m.getChainIdsList());
  }

  public static TargetInfoMsg toMsg(TargetInfo t) {
    return TargetInfoMsg.newBuilder().setTargetId(t.targetId()).setNodeId(t.nodeId()).setDiskIndex(t.diskIndex())
        .setChainId(t.chainId()).setPublicState(t.publicState().code()).setLocalState(t.localState().code())
        .setUsedBytes(t.usedBytes()).setCapacityBytes(t.capacityBytes()).build();
  }

  public static TargetInfo fromMsg(TargetInfoMsg m) {
    return new TargetInfo(m.getTargetId(), m.getNodeId(), m.getDiskIndex(), m.getChainId(),
        PublicTargetState.fromCode(m.getPublicState()), LocalTargetState.fromCode(m.getLocalState()),
        m.getUsedBytes(), m.getCapacityBytes());
  }

  public static RoutingInfoMsg toMsg(RoutingInfo r) {
    RoutingInfoMsg.Builder b = RoutingInfoMsg.newBuilder().setVersion(r.version()).setClusterId(r.clusterId());
    r.nodes().forEach(n -> b.addNodes(toMsg(n)));
    r.targets().forEach(t -> b.addTargets(toMsg(t)));
    r.chains().forEach(c -> b.addChains(toMsg(c)));
    r.chainTables().forEach(t -> b.addChainTables(toMsg(t)));
    return b.build();
  }

  public static RoutingInfo fromMsg(RoutingInfoMsg m) {
    return new RoutingInfo(m.getVersion(), m.getClusterId(),
        m.getNodesList().stream().map(MgmtdProtos::fromMsg).toList(),
        m.getTargetsList().stream().map(MgmtdProtos::fromMsg).toList(),
        m.getChainsList().stream().map(MgmtdProtos::fromMsg).toList(),
        m.getChainTablesList().stream().map(MgmtdProtos::fromMsg).toList());
  }

  // --- users, sessions, config --------------------------------------------------------------------------------

  public static UserAccountMsg toMsg(UserAccount u) {
    return UserAccountMsg.newBuilder().setUid(u.uid()).setName(u.name()).setGid(u.gid()).addAllGroups(u.groups())
        .setAdmin(u.admin()).build();
  }

  public static UserAccount fromMsg(UserAccountMsg m) {
    return new UserAccount(m.getUid(), m.getName(), m.getGid(), m.getGroupsList(), m.getAdmin());
  }

  public static ClientSessionMsg toMsg(ClientSession s) {
    return ClientSessionMsg.newBuilder().setClientId(s.clientId()).setType(s.type().code()).setHost(s.host())
        .setDescription(s.description()).setStartMillis(s.startMillis()).setLastExtendMillis(s.lastExtendMillis())
        .setExpiresAtMillis(s.expiresAtMillis()).build();
  }

  public static ClientSession fromMsg(ClientSessionMsg m) {
    return new ClientSession(m.getClientId(), NodeType.fromCode(m.getType()), m.getHost(), m.getDescription(),
        m.getStartMillis(), m.getLastExtendMillis(), m.getExpiresAtMillis());
  }

  public static VersionedConfigMsg toMsg(VersionedConfig v) {
    return VersionedConfigMsg.newBuilder().setType(v.type().code()).setVersion(v.version()).setToml(v.toml())
        .build();
  }

  public static VersionedConfig fromMsg(VersionedConfigMsg m) {
    return new VersionedConfig(NodeType.fromCode(m.getType()), m.getVersion(), m.getToml());
  }

  // --- requests and replies ---------------------------------------------------------------------------------

  public static RegisterNodeRequest toMsg(RegisterRequest r) {
    return RegisterNodeRequest.newBuilder().setClusterId(r.clusterId()).setNodeId(r.nodeId())
        .setType(r.type().code()).setAddress(r.address()).setIncarnation(r.incarnation()).build();
  }

  public static RegisterRequest fromMsg(RegisterNodeRequest m) {
    return new RegisterRequest(m.getClusterId(), m.getNodeId(), NodeType.fromCode(m.getType()), m.getAddress(),
        m.getIncarnation());
  }

  public static HeartbeatRequestMsg toMsg(HeartbeatRequest r) {
    HeartbeatRequestMsg.Builder b = HeartbeatRequestMsg.newBuilder().setClusterId(r.clusterId())
        .setNodeId(r.nodeId()).setIncarnation(r.incarnation()).setHeartbeatVersion(r.heartbeatVersion())
        .setConfigVersion(r.configVersion()).setConfigStatus(r.configStatus());
    for (TargetReport t : r.targets()) {
      b.addTargets(TargetReportMsg.newBuilder().setTargetId(t.targetId()).setState(t.state().code())
          .setChainVersion(t.chainVersion()).setUsedBytes(t.usedBytes()).setCapacityBytes(t.capacityBytes()));
    }
    return b.build();
  }

  public static HeartbeatRequest fromMsg(HeartbeatRequestMsg m) {
    List<TargetReport> ts = m.getTargetsList().stream().map(t -> new TargetReport(t.getTargetId(),
        LocalTargetState.fromCode(t.getState()), t.getChainVersion(), t.getUsedBytes(), t.getCapacityBytes()))
        .toList();
    return new HeartbeatRequest(m.getClusterId(), m.getNodeId(), m.getIncarnation(), m.getHeartbeatVersion(),
        m.getConfigVersion(), m.getConfigStatus(), ts);
  }

  public static HeartbeatReplyMsg toMsg(HeartbeatReply r) {
    HeartbeatReplyMsg.Builder b = HeartbeatReplyMsg.newBuilder().setRoutingVersion(r.routingVersion());
    r.newerConfig().ifPresent(v -> b.setHasNewerConfig(true).setNewerConfig(toMsg(v)));
    for (NodeCommand c : r.commands()) {
      b.addCommands(NodeCommandMsg.newBuilder().setKind(kindCode(c.kind())).setTargetId(c.targetId())
          .setReason(c.reason()));
    }
    return b.build();
  }

  public static HeartbeatReply fromMsg(HeartbeatReplyMsg m) {
    Optional<VersionedConfig> cfg = m.getHasNewerConfig() ? Optional.of(fromMsg(m.getNewerConfig()))
        : Optional.empty();
    List<NodeCommand> cs = m.getCommandsList().stream()
        .map(c -> new NodeCommand(kindOf(c.getKind()), c.getTargetId(), c.getReason())).toList();
    return new HeartbeatReply(m.getRoutingVersion(), cfg, cs);
  }

  private static int kindCode(NodeCommand.Kind k) {
    return switch (k) {
      case STOP_SERVING_TARGET -> 1;
    };
  }

  private static NodeCommand.Kind kindOf(int code) {
    if (code == 1) {
      return NodeCommand.Kind.STOP_SERVING_TARGET;
    }
    throw new IllegalArgumentException("unknown node command kind " + code);
  }

  public static ExtendSessionRequest toMsg(SessionRequest r) {
    return ExtendSessionRequest.newBuilder().setClusterId(r.clusterId()).setClientId(r.clientId())
        .setType(r.type().code()).setHost(r.host() == null ? "" : r.host())
        .setDescription(r.description() == null ? "" : r.description()).build();
  }

  public static SessionRequest fromMsg(ExtendSessionRequest m) {
    return new SessionRequest(m.getClusterId(), m.getClientId(), NodeType.fromCode(m.getType()), m.getHost(),
        m.getDescription());
  }

  public static TargetSpecMsg toMsg(TargetSpec t) {
    return TargetSpecMsg.newBuilder().setTargetId(t.targetId()).setNodeId(t.nodeId()).setDiskIndex(t.diskIndex())
        .build();
  }

  public static TargetSpec fromMsg(TargetSpecMsg m) {
    return new TargetSpec(m.getTargetId(), m.getNodeId(), m.getDiskIndex());
  }

  public static ChainSpecMsg toMsg(ChainSpec c) {
    return ChainSpecMsg.newBuilder().setChainId(c.chainId()).addAllTargetIds(c.targetIds()).build();
  }

  public static ChainSpec fromMsg(ChainSpecMsg m) {
    return new ChainSpec(m.getChainId(), m.getTargetIdsList());
  }
}
