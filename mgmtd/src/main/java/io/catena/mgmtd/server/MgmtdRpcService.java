package io.catena.mgmtd.server;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.proto.ChainList;
import io.catena.mgmtd.proto.ChainTableList;
import io.catena.mgmtd.proto.Empty;
import io.catena.mgmtd.proto.GetConfigReply;
import io.catena.mgmtd.proto.GetRoutingInfoReply;
import io.catena.mgmtd.proto.NodeList;
import io.catena.mgmtd.proto.RemoveTargetReply;
import io.catena.mgmtd.proto.SessionList;
import io.catena.mgmtd.proto.TargetList;
import io.catena.mgmtd.proto.TokenReply;
import io.catena.mgmtd.proto.UserList;
import io.catena.mgmtd.rpc.MgmtdMethods;
import io.catena.mgmtd.rpc.MgmtdProtos;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * mgmtd's RPC face (service id 1): decodes each request, calls the {@link MgmtdService} (normally the local
 * {@link MgmtdServer}), encodes the reply. The server checks the cluster id and primacy of every call and throws
 * {@code Status.notPrimary(primaryId, primaryAddress)} on a non-primary, which travels to the caller as the error
 * status with its redirect. A request that does not decode into valid records (unknown enum code, non-positive id)
 * is refused with EINVAL before the service sees it. Handlers run on the RPC worker pool: MgmtdServer blocks on its
 * lock and on KV commits. Stateless; thread-safe.
 */
public final class MgmtdRpcService {
  private MgmtdRpcService() {}

  public static ServiceDefinition definition(MgmtdServer server) {
    return definition((MgmtdService) server);
  }

  /** The service over any implementation (tests wrap one to inject faults). */
  public static ServiceDefinition definition(MgmtdService s) {
    ServiceDefinition.Builder b = ServiceDefinition.builder(MgmtdMethods.SERVICE_NAME, MgmtdMethods.SERVICE_ID);
    bind(b, MgmtdMethods.REGISTER_NODE, r -> MgmtdProtos.toMsg(s.registerNode(decode(() -> MgmtdProtos.fromMsg(r)))));
    bind(b, MgmtdMethods.HEARTBEAT, r -> MgmtdProtos.toMsg(s.heartbeat(decode(() -> MgmtdProtos.fromMsg(r)))));
    bind(b, MgmtdMethods.GET_ROUTING_INFO, r -> {
      var got = s.getRoutingInfo(r.getClusterId(), r.getSinceVersion());
      GetRoutingInfoReply.Builder rb = GetRoutingInfoReply.newBuilder().setChanged(got.isPresent());
      got.ifPresent(x -> rb.setRouting(MgmtdProtos.toMsg(x)));
      return rb.build();
    });
    bind(b, MgmtdMethods.SET_CONFIG, r -> MgmtdProtos.toMsg(s.setConfig(r.getClusterId(),
        decode(() -> NodeType.fromCode(r.getType())), r.getToml())));
    bind(b, MgmtdMethods.GET_CONFIG, r -> {
      var got = s.getConfig(r.getClusterId(), decode(() -> NodeType.fromCode(r.getType())), r.getVersion());
      GetConfigReply.Builder rb = GetConfigReply.newBuilder().setFound(got.isPresent());
      got.ifPresent(x -> rb.setConfig(MgmtdProtos.toMsg(x)));
      return rb.build();
    });
    bind(b, MgmtdMethods.EXTEND_SESSION, r -> MgmtdProtos.toMsg(s.extendSession(decode(() -> MgmtdProtos.fromMsg(r)))));
    bind(b, MgmtdMethods.CLOSE_SESSION, r -> {
      s.closeSession(r.getClusterId(), r.getClientId());
      return Empty.getDefaultInstance();
    });
    bind(b, MgmtdMethods.LIST_SESSIONS, r -> SessionList.newBuilder()
        .addAllSessions(s.listSessions(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.CREATE_TARGETS, r -> TargetList.newBuilder().addAllTargets(s.createTargets(r.getClusterId(),
        decode(() -> r.getTargetsList().stream().map(MgmtdProtos::fromMsg).toList())).stream()
        .map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.UPLOAD_CHAINS, r -> ChainList.newBuilder().addAllChains(s.uploadChains(r.getClusterId(),
        decode(() -> r.getChainsList().stream().map(MgmtdProtos::fromMsg).toList())).stream()
        .map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.UPLOAD_CHAIN_TABLE, r -> MgmtdProtos.toMsg(s.uploadChainTable(r.getClusterId(),
        r.getTableId(), r.getChainIdsList())));
    bind(b, MgmtdMethods.OFFLINE_TARGET, r -> MgmtdProtos.toMsg(s.offlineTarget(r.getClusterId(), r.getTargetId())));
    bind(b, MgmtdMethods.ROTATE_LAST_SRV, r -> MgmtdProtos.toMsg(s.rotateLastSrv(r.getClusterId(), r.getChainId(),
        r.getHasPromote() ? OptionalLong.of(r.getPromote()) : OptionalLong.empty())));
    bind(b, MgmtdMethods.UPDATE_CHAIN, r -> MgmtdProtos.toMsg(s.updateChain(r.getClusterId(),
        decode(() -> new ChainUpdate(r.getChainId(), ChainUpdate.Op.fromCode(r.getOp()), r.getTargetId())))));
    bind(b, MgmtdMethods.REMOVE_TARGET, r -> {
      var got = s.removeTarget(r.getClusterId(), r.getTargetId());
      RemoveTargetReply.Builder rb = RemoveTargetReply.newBuilder().setWasMember(got.isPresent());
      got.ifPresent(c -> rb.setChain(MgmtdProtos.toMsg(c)));
      return rb.build();
    });
    bind(b, MgmtdMethods.ADD_USER, r -> TokenReply.newBuilder().setToken(s.addUser(r.getClusterId(),
        decode(() -> MgmtdProtos.fromMsg(r.getUser())))).build());
    bind(b, MgmtdMethods.SET_USER_TOKEN, r -> TokenReply.newBuilder().setToken(s.setUserToken(r.getClusterId(),
        r.getUid())).build());
    bind(b, MgmtdMethods.REMOVE_USER, r -> {
      s.removeUser(r.getClusterId(), r.getUid());
      return Empty.getDefaultInstance();
    });
    bind(b, MgmtdMethods.LIST_USERS, r -> UserList.newBuilder()
        .addAllUsers(s.listUsers(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.AUTHENTICATE, r -> MgmtdProtos.toMsg(s.authenticate(r.getClusterId(), r.getToken())));
    bind(b, MgmtdMethods.LIST_NODES, r -> NodeList.newBuilder()
        .addAllNodes(s.listNodes(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.LIST_TARGETS, r -> TargetList.newBuilder()
        .addAllTargets(s.listTargets(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.LIST_CHAINS, r -> ChainList.newBuilder()
        .addAllChains(s.listChains(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    bind(b, MgmtdMethods.LIST_CHAIN_TABLES, r -> ChainTableList.newBuilder()
        .addAllTables(s.listChainTables(r.getClusterId()).stream().map(MgmtdProtos::toMsg).toList()).build());
    if (s instanceof io.catena.mgmtd.DrainService d) {
      DrainRpc.bind(b, d);
    }
    return b.build();
  }

  /**
   * A service that forwards to whatever {@code target} holds, answering a retryable EAGAIN while it holds nothing:
   * lets an RPC server bind (and learn its port) before the MgmtdServer that must know that address exists.
   */
  public static MgmtdService deferred(AtomicReference<? extends MgmtdService> target, String what) {
    return (MgmtdService) Proxy.newProxyInstance(MgmtdService.class.getClassLoader(),
        new Class<?>[] {MgmtdService.class, io.catena.mgmtd.DrainService.class}, (proxy, method, args) -> {
          if (method.getDeclaringClass() == Object.class) {
            return method.invoke(target, args);
          }
          MgmtdService s = target.get();
          if (s == null) {
            throw CatenaException.retryable(Errno.EAGAIN, "%s is starting; retry shortly", what);
          }
          try {
            return method.invoke(s, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  private static <Q extends Message, R extends Message> void bind(ServiceDefinition.Builder b,
      MethodDescriptor<Q, R> m, Function<Q, R> body) {
    b.method(m, call -> {
      try {
        return CompletableFuture.completedFuture(RpcReply.of(body.apply(call.request())));
      } catch (IllegalArgumentException e) {
        // Records and enums validate their input; what slipped through decoding is the caller's bad request.
        throw CatenaException.of(Errno.EINVAL, "%s: %s", m.fullName(), e.getMessage());
      }
    });
  }

  /** Decodes request parts; malformed input is EINVAL, the caller's error. */
  private static <T> T decode(java.util.function.Supplier<T> f) {
    try {
      return f.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw CatenaException.of(Errno.EINVAL, "malformed request: %s", e.getMessage());
    }
  }
}
