package io.catena.mgmtd.rpc;

import io.catena.mgmtd.proto.AddUserRequest;
import io.catena.mgmtd.proto.AuthenticateRequest;
import io.catena.mgmtd.proto.ChainInfoMsg;
import io.catena.mgmtd.proto.ChainList;
import io.catena.mgmtd.proto.ChainTableList;
import io.catena.mgmtd.proto.ChainTableMsg;
import io.catena.mgmtd.proto.ClientSessionMsg;
import io.catena.mgmtd.proto.CloseSessionRequest;
import io.catena.mgmtd.proto.ClusterRequest;
import io.catena.mgmtd.proto.CreateTargetsRequest;
import io.catena.mgmtd.proto.Empty;
import io.catena.mgmtd.proto.ExtendSessionRequest;
import io.catena.mgmtd.proto.GetConfigReply;
import io.catena.mgmtd.proto.GetConfigRequest;
import io.catena.mgmtd.proto.GetRoutingInfoReply;
import io.catena.mgmtd.proto.GetRoutingInfoRequest;
import io.catena.mgmtd.proto.HeartbeatReplyMsg;
import io.catena.mgmtd.proto.HeartbeatRequestMsg;
import io.catena.mgmtd.proto.NodeInfoMsg;
import io.catena.mgmtd.proto.NodeList;
import io.catena.mgmtd.proto.OfflineTargetRequest;
import io.catena.mgmtd.proto.RegisterNodeRequest;
import io.catena.mgmtd.proto.RemoveTargetReply;
import io.catena.mgmtd.proto.RemoveTargetRequest;
import io.catena.mgmtd.proto.RotateLastSrvRequest;
import io.catena.mgmtd.proto.SessionList;
import io.catena.mgmtd.proto.SetConfigRequest;
import io.catena.mgmtd.proto.TargetList;
import io.catena.mgmtd.proto.TokenReply;
import io.catena.mgmtd.proto.UidRequest;
import io.catena.mgmtd.proto.UpdateChainRequest;
import io.catena.mgmtd.proto.UploadChainTableRequest;
import io.catena.mgmtd.proto.UploadChainsRequest;
import io.catena.mgmtd.proto.UserAccountMsg;
import io.catena.mgmtd.proto.UserList;
import io.catena.mgmtd.proto.VersionedConfigMsg;
import io.catena.rpc.MethodDescriptor;
import com.google.protobuf.Message;

/** The wire addresses of mgmtd's methods: service 1, one method id per {@code MgmtdService} method. Immutable. */
public final class MgmtdMethods {
  private MgmtdMethods() {}

  public static final int SERVICE_ID = 1;
  public static final String SERVICE_NAME = "catena.mgmtd.Mgmtd";

  private static <Q extends Message, R extends Message> MethodDescriptor<Q, R> m(int id, String name, Q req,
      R resp) {
    return MethodDescriptor.of(SERVICE_ID, id, SERVICE_NAME + "/" + name, req, resp);
  }

  public static final MethodDescriptor<RegisterNodeRequest, NodeInfoMsg> REGISTER_NODE =
      m(1, "RegisterNode", RegisterNodeRequest.getDefaultInstance(), NodeInfoMsg.getDefaultInstance());
  public static final MethodDescriptor<HeartbeatRequestMsg, HeartbeatReplyMsg> HEARTBEAT =
      m(2, "Heartbeat", HeartbeatRequestMsg.getDefaultInstance(), HeartbeatReplyMsg.getDefaultInstance());
  public static final MethodDescriptor<GetRoutingInfoRequest, GetRoutingInfoReply> GET_ROUTING_INFO =
      m(3, "GetRoutingInfo", GetRoutingInfoRequest.getDefaultInstance(), GetRoutingInfoReply.getDefaultInstance());
  public static final MethodDescriptor<SetConfigRequest, VersionedConfigMsg> SET_CONFIG =
      m(4, "SetConfig", SetConfigRequest.getDefaultInstance(), VersionedConfigMsg.getDefaultInstance());
  public static final MethodDescriptor<GetConfigRequest, GetConfigReply> GET_CONFIG =
      m(5, "GetConfig", GetConfigRequest.getDefaultInstance(), GetConfigReply.getDefaultInstance());
  public static final MethodDescriptor<ExtendSessionRequest, ClientSessionMsg> EXTEND_SESSION =
      m(6, "ExtendSession", ExtendSessionRequest.getDefaultInstance(), ClientSessionMsg.getDefaultInstance());
  public static final MethodDescriptor<CloseSessionRequest, Empty> CLOSE_SESSION =
      m(7, "CloseSession", CloseSessionRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, SessionList> LIST_SESSIONS =
      m(8, "ListSessions", ClusterRequest.getDefaultInstance(), SessionList.getDefaultInstance());
  public static final MethodDescriptor<CreateTargetsRequest, TargetList> CREATE_TARGETS =
      m(9, "CreateTargets", CreateTargetsRequest.getDefaultInstance(), TargetList.getDefaultInstance());
  public static final MethodDescriptor<UploadChainsRequest, ChainList> UPLOAD_CHAINS =
      m(10, "UploadChains", UploadChainsRequest.getDefaultInstance(), ChainList.getDefaultInstance());
  public static final MethodDescriptor<UploadChainTableRequest, ChainTableMsg> UPLOAD_CHAIN_TABLE =
      m(11, "UploadChainTable", UploadChainTableRequest.getDefaultInstance(), ChainTableMsg.getDefaultInstance());
  public static final MethodDescriptor<OfflineTargetRequest, ChainInfoMsg> OFFLINE_TARGET =
      m(12, "OfflineTarget", OfflineTargetRequest.getDefaultInstance(), ChainInfoMsg.getDefaultInstance());
  public static final MethodDescriptor<RotateLastSrvRequest, ChainInfoMsg> ROTATE_LAST_SRV =
      m(13, "RotateLastSrv", RotateLastSrvRequest.getDefaultInstance(), ChainInfoMsg.getDefaultInstance());
  public static final MethodDescriptor<AddUserRequest, TokenReply> ADD_USER =
      m(14, "AddUser", AddUserRequest.getDefaultInstance(), TokenReply.getDefaultInstance());
  public static final MethodDescriptor<UidRequest, TokenReply> SET_USER_TOKEN =
      m(15, "SetUserToken", UidRequest.getDefaultInstance(), TokenReply.getDefaultInstance());
  public static final MethodDescriptor<UidRequest, Empty> REMOVE_USER =
      m(16, "RemoveUser", UidRequest.getDefaultInstance(), Empty.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, UserList> LIST_USERS =
      m(17, "ListUsers", ClusterRequest.getDefaultInstance(), UserList.getDefaultInstance());
  public static final MethodDescriptor<AuthenticateRequest, UserAccountMsg> AUTHENTICATE =
      m(18, "Authenticate", AuthenticateRequest.getDefaultInstance(), UserAccountMsg.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, NodeList> LIST_NODES =
      m(19, "ListNodes", ClusterRequest.getDefaultInstance(), NodeList.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, TargetList> LIST_TARGETS =
      m(20, "ListTargets", ClusterRequest.getDefaultInstance(), TargetList.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, ChainList> LIST_CHAINS =
      m(21, "ListChains", ClusterRequest.getDefaultInstance(), ChainList.getDefaultInstance());
  public static final MethodDescriptor<ClusterRequest, ChainTableList> LIST_CHAIN_TABLES =
      m(22, "ListChainTables", ClusterRequest.getDefaultInstance(), ChainTableList.getDefaultInstance());
  public static final MethodDescriptor<UpdateChainRequest, ChainInfoMsg> UPDATE_CHAIN =
      m(23, "UpdateChain", UpdateChainRequest.getDefaultInstance(), ChainInfoMsg.getDefaultInstance());
  public static final MethodDescriptor<RemoveTargetRequest, RemoveTargetReply> REMOVE_TARGET =
      m(24, "RemoveTarget", RemoveTargetRequest.getDefaultInstance(), RemoveTargetReply.getDefaultInstance());
}
