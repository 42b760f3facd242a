package io.catena.mgmtd.client;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.cluster.TargetInfo;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.common.retry.Retrier;
import io.catena.common.retry.RetryPolicy;
import io.catena.common.retry.Sleeper;
import io.catena.mgmtd.ChainSpec;
import io.catena.mgmtd.ChainUpdate;
import io.catena.mgmtd.ClientSession;
import io.catena.mgmtd.HeartbeatReply;
import io.catena.mgmtd.HeartbeatRequest;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.RegisterRequest;
import io.catena.mgmtd.SessionRequest;
import io.catena.mgmtd.TargetSpec;
import io.catena.mgmtd.VersionedConfig;
import io.catena.mgmtd.proto.AddUserRequest;
import io.catena.mgmtd.proto.AuthenticateRequest;
import io.catena.mgmtd.proto.CloseSessionRequest;
import io.catena.mgmtd.proto.ClusterRequest;
import io.catena.mgmtd.proto.CreateTargetsRequest;
import io.catena.mgmtd.proto.GetConfigReply;
import io.catena.mgmtd.proto.GetConfigRequest;
import io.catena.mgmtd.proto.GetRoutingInfoReply;
import io.catena.mgmtd.proto.GetRoutingInfoRequest;
import io.catena.mgmtd.proto.OfflineTargetRequest;
import io.catena.mgmtd.proto.RemoveTargetRequest;
import io.catena.mgmtd.proto.RotateLastSrvRequest;
import io.catena.mgmtd.proto.SetConfigRequest;
import io.catena.mgmtd.proto.UidRequest;
import io.catena.mgmtd.proto.UpdateChainRequest;
import io.catena.mgmtd.proto.UploadChainTableRequest;
import io.catena.mgmtd.proto.UploadChainsRequest;
import io.catena.mgmtd.rpc.MgmtdMethods;
import io.catena.mgmtd.rpc.MgmtdProtos;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.LongConsumer;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Talks to the mgmtd instances of one cluster over RPC. {@link #service()} offers every {@link MgmtdService}
 * method; each call goes to the last instance that answered, follows "not primary" redirects at once, fails over
 * to the next configured address when an instance does not answer, and retries retryable errors with jittered
 * exponential backoff ({@link Retrier}), all within {@code mgmtd.client.timeout}. Non-retryable errors (EINVAL,
 * ENOENT, ...) are thrown at once as the server sent them.
 *
 * <p>Retries resend the same request: registration, heartbeats (a retried duplicate is refused as ESTALE, which
 * {@link NodeAgent} handles), config and chain uploads and adding a chain member are idempotent; addUser/setUserToken
 * are not (a retry after a lost reply may see EEXIST or mint a second token), nor are removing a chain member or a
 * target (a retry after a lost reply sees ENOENT).
 *
 * <p>Thread-safe. Calls block the calling thread: never call from an RPC I/O thread. The RpcClient is borrowed,
 * not closed.
 */
public final class MgmtdClient implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MgmtdClient.class);
  private static final Duration BACKOFF_MIN = Duration.ofMillis(10);
  private static final Duration BACKOFF_MAX = Duration.ofMillis(500);
  private static final Duration MIN_RETRY = Duration.ofMillis(20);

  private final RpcClient rpc;
  private final List<Address> addresses;
  private final String clusterId;
  private final Duration timeout;
  private final Duration attemptTimeout;
  private final Retrier retrier;
  private final MgmtdService service = new Remote();
  private final CopyOnWriteArrayList<LongConsumer> routingHints = new CopyOnWriteArrayList<>();
  private volatile Address current;
  private volatile int nextIndex;
  private volatile boolean closed;

  public MgmtdClient(RpcClient rpc, List<Address> addresses, String clusterId, Config config) {
    this(rpc, addresses, clusterId, config, Clock.systemUTC(), RandomGenerator.of("L64X128MixRandom"),
        Sleeper.system());
  }

  /**
   * As above, with what times a call injected.
   *
   * @param clock measures each call's {@code mgmtd.client.timeout}
   * @param random draws the backoff jitter
   * @param sleeper pauses between attempts (tests advance a manual clock instead)
   */
  public MgmtdClient(RpcClient rpc, List<Address> addresses, String clusterId, Config config, Clock clock,
      RandomGenerator random, Sleeper sleeper) {
    this.rpc = Objects.requireNonNull(rpc, "rpc");
    this.addresses = List.copyOf(addresses);
    if (this.addresses.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "no mgmtd address given (mgmtd.client.addresses)");
    }
    this.clusterId = Objects.requireNonNull(clusterId, "clusterId");
    this.timeout = config.get(MgmtdClientConfig.TIMEOUT);
    this.attemptTimeout = config.get(MgmtdClientConfig.ATTEMPT_TIMEOUT);
    // Only the deadline ends a call: during a failover there is no primary for up to a lease, and a call given a
    // timeout above that should ride it out however many attempts it takes.
    this.retrier = new Retrier(RetryPolicy.untilDeadline(BACKOFF_MIN, BACKOFF_MAX, timeout), clock, random, sleeper);
    this.current = this.addresses.getFirst();
  }

  /** A client for {@code mgmtd.client.addresses} and {@code cluster.id} of {@code config}. */
  public static MgmtdClient fromConfig(RpcClient rpc, Config config) {
    return new MgmtdClient(rpc, config.get(MgmtdClientConfig.ADDRESSES).stream().map(Address::parse).toList(),
        config.get(MgmtdClientConfig.CLUSTER_ID), config);
  }

  /** Every mgmtd operation over RPC, with redirects, failover and retries (see the class comment). */
  public MgmtdService service() {
    return service;
  }

  public String clusterId() {
    return clusterId;
  }

  public List<Address> addresses() {
    return addresses;
  }

  /** Where the next call goes first: the instance that answered last (or the first configured one). */
  public Address currentAddress() {
    return current;
  }

  /**
   * Tells routing caches on this client that mgmtd's routing is at {@code version} (heartbeat replies carry it):
   * they refetch at once when it is newer than theirs. This is the push half of routing distribution.
   */
  public void noteRoutingVersion(long version) {
    for (LongConsumer l : routingHints) {
      try {
        l.accept(version);
      } catch (RuntimeException e) {
        log.warn("routing version listener failed: {}", e.toString());
      }
    }
  }

  /** Subscribes to {@link #noteRoutingVersion}; the listener must not block. Returns the unsubscribe handle. */
  public AutoCloseable onRoutingVersion(LongConsumer listener) {
    routingHints.add(Objects.requireNonNull(listener));
    return () -> routingHints.remove(listener);
  }

  /** Fails later calls with ESHUTDOWN; the RpcClient stays open (it is the caller's). */
  @Override
  public void close() {
    closed = true;
  }

  // --- the call loop ------------------------------------------------------------------------------------------

  /** One logical call: redirects, failover and retries until success, a final error, or the timeout. */
  <Q extends Message, R extends Message> R call(MethodDescriptor<Q, R> method, Q request) {
    Retrier.Attempts attempts = retrier.begin();
    Address target = current;
    int hopsWithoutBackoff = 0;
    Status last = null;
    while (true) {
      if (closed) {
        throw CatenaException.of(Errno.ESHUTDOWN, "mgmtd client is closed");
      }
      Duration left = attempts.remaining();
      // A retry with almost no time left can only fail with "deadline passed", hiding the error that matters.
      if (left.isZero() || (last != null && left.compareTo(MIN_RETRY) < 0)) {
        throw new CatenaException(Status.retryable(Errno.ETIMEDOUT, "no mgmtd of cluster '%s' answered %s within"
            + " %s (addresses %s); last error: %s", clusterId, method.fullName(), timeout, addresses, last));
      }
      Duration attempt = left.compareTo(attemptTimeout) < 0 ? left : attemptTimeout;
      try {
        R reply = attempt(target, method, request, attempt);
        current = target;
        return reply;
      } catch (CatenaException e) {
        Status s = e.status();
        // An attempt cut short by the call's own deadline says nothing new: keep what a server last answered.
        boolean outOfTime = s.code() == Errno.ETIMEDOUT && attempts.deadline().expired();
        if (last == null || !outOfTime) {
          last = s;
        }
        Optional<Status.Redirect> redirect = s.redirect();
        if (redirect.isPresent() && !redirect.get().address().isEmpty()) {
          Address to = Address.parse(redirect.get().address());
          log.debug("{}: {} redirects to mgmtd {} at {}", method.fullName(), target, redirect.get().nodeId(), to);
          target = to;
          current = to;
          // Follow a redirect at once, but not forever: two instances pointing at each other (a lease changing
          // hands) must not spin.
          if (++hopsWithoutBackoff <= addresses.size() + 1) {
            continue;
          }
        } else if (!s.retryable()) {
          throw e;
        } else {
          target = nextAfter(target);
        }
        hopsWithoutBackoff = 0;
        backOff(attempts, e);
      }
    }
  }

  /** Pauses before the next attempt; the loop reports a deadline passed meanwhile, naming the last server error. */
  private static void backOff(Retrier.Attempts attempts, CatenaException failure) {
    try {
      attempts.failed(failure);
    } catch (CatenaException giveUp) {
      if (!attempts.deadline().expired()) {
        throw giveUp; // interrupted while pausing (EINTR)
      }
    }
  }

  private <Q extends Message, R extends Message> R attempt(Address target, MethodDescriptor<Q, R> method, Q request,
      Duration attempt) {
    var future = rpc.call(target, method, request, null, CallOptions.timeout(attempt));
    try (RpcResponse<R> resp = future.get(attempt.toMillis() + 1000, TimeUnit.MILLISECONDS)) {
      return resp.message();
    } catch (ExecutionException e) {
      throw new CatenaException(CatenaException.statusOf(e.getCause()), e.getCause());
    } catch (TimeoutException e) {
      future.cancel(true);
      throw CatenaException.retryable(Errno.ETIMEDOUT, "mgmtd at %s did not answer %s within %s", target,
          method.fullName(), attempt);
    } catch (InterruptedException e) {
      future.cancel(true);
      Thread.currentThread().interrupt();
      throw CatenaException.of(Errno.EINTR, "interrupted while calling mgmtd");
    }
  }

  /** The configured address after {@code a} (round robin; a redirect target outside the list restarts at 0). */
  private Address nextAfter(Address a) {
    int i = addresses.indexOf(a);
    int n = (i < 0 ? nextIndex : i + 1) % addresses.size();
    nextIndex = n + 1;
    return addresses.get(n);
  }

  /** Decodes a reply; a malformed one is the server's fault (EIO), not the caller's. */
  private static <T> T decode(java.util.function.Supplier<T> f) {
    try {
      return f.get();
    } catch (IllegalArgumentException | NullPointerException e) {
      throw CatenaException.of(Errno.EIO, "malformed reply from mgmtd: %s", e.getMessage());
    }
  }

  private static ClusterRequest cluster(String clusterId) {
    return ClusterRequest.newBuilder().setClusterId(clusterId).build();
  }

  /** MgmtdService over RPC. */
  private final class Remote implements MgmtdService {

    @Override
    public NodeInfo registerNode(RegisterRequest request) {
      var r = call(MgmtdMethods.REGISTER_NODE, MgmtdProtos.toMsg(request));
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public HeartbeatReply heartbeat(HeartbeatRequest request) {
      var r = call(MgmtdMethods.HEARTBEAT, MgmtdProtos.toMsg(request));
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public Optional<RoutingInfo> getRoutingInfo(String cluster, long sinceVersion) {
      GetRoutingInfoReply r = call(MgmtdMethods.GET_ROUTING_INFO, GetRoutingInfoRequest.newBuilder()
          .setClusterId(cluster).setSinceVersion(sinceVersion).build());
      return r.getChanged() ? Optional.of(decode(() -> MgmtdProtos.fromMsg(r.getRouting()))) : Optional.empty();
    }

    @Override
    public VersionedConfig setConfig(String cluster, NodeType type, String toml) {
      var r = call(MgmtdMethods.SET_CONFIG, SetConfigRequest.newBuilder().setClusterId(cluster)
          .setType(type.code()).setToml(toml).build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public Optional<VersionedConfig> getConfig(String cluster, NodeType type, long version) {
      GetConfigReply r = call(MgmtdMethods.GET_CONFIG, GetConfigRequest.newBuilder().setClusterId(cluster)
          .setType(type.code()).setVersion(version).build());
      return r.getFound() ? Optional.of(decode(() -> MgmtdProtos.fromMsg(r.getConfig()))) : Optional.empty();
    }

    @Override
    public ClientSession extendSession(SessionRequest request) {
      var r = call(MgmtdMethods.EXTEND_SESSION, MgmtdProtos.toMsg(request));
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public void closeSession(String cluster, String clientId) {
      call(MgmtdMethods.CLOSE_SESSION, CloseSessionRequest.newBuilder().setClusterId(cluster).setClientId(clientId)
          .build());
    }

    @Override
    public List<ClientSession> listSessions(String cluster) {
      var r = call(MgmtdMethods.LIST_SESSIONS, cluster(cluster));
      return decode(() -> r.getSessionsList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public List<TargetInfo> createTargets(String cluster, List<TargetSpec> targets) {
      var r = call(MgmtdMethods.CREATE_TARGETS, CreateTargetsRequest.newBuilder().setClusterId(cluster)
          .addAllTargets(targets.stream().map(MgmtdProtos::toMsg).toList()).build());
      return decode(() -> r.getTargetsList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public List<ChainInfo> uploadChains(String cluster, List<ChainSpec> chains) {
      var r = call(MgmtdMethods.UPLOAD_CHAINS, UploadChainsRequest.newBuilder().setClusterId(cluster)
          .addAllChains(chains.stream().map(MgmtdProtos::toMsg).toList()).build());
      return decode(() -> r.getChainsList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public ChainTable uploadChainTable(String cluster, int tableId, List<Long> chainIds) {
      var r = call(MgmtdMethods.UPLOAD_CHAIN_TABLE, UploadChainTableRequest.newBuilder().setClusterId(cluster)
          .setTableId(tableId).addAllChainIds(chainIds).build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public ChainInfo offlineTarget(String cluster, long targetId) {
      var r = call(MgmtdMethods.OFFLINE_TARGET, OfflineTargetRequest.newBuilder().setClusterId(cluster)
          .setTargetId(targetId).build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public ChainInfo rotateLastSrv(String cluster, long chainId, OptionalLong promote) {
      RotateLastSrvRequest.Builder b = RotateLastSrvRequest.newBuilder().setClusterId(cluster).setChainId(chainId);
      promote.ifPresent(p -> b.setHasPromote(true).setPromote(p));
      var r = call(MgmtdMethods.ROTATE_LAST_SRV, b.build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public ChainInfo updateChain(String cluster, ChainUpdate update) {
      var r = call(MgmtdMethods.UPDATE_CHAIN, UpdateChainRequest.newBuilder().setClusterId(cluster)
          .setChainId(update.chainId()).setOp(update.op().code()).setTargetId(update.targetId()).build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public Optional<ChainInfo> removeTarget(String cluster, long targetId) {
      var r = call(MgmtdMethods.REMOVE_TARGET, RemoveTargetRequest.newBuilder().setClusterId(cluster)
          .setTargetId(targetId).build());
      return r.getWasMember() ? Optional.of(decode(() -> MgmtdProtos.fromMsg(r.getChain()))) : Optional.empty();
    }

    @Override
    public String addUser(String cluster, UserAccount user) {
      return call(MgmtdMethods.ADD_USER, AddUserRequest.newBuilder().setClusterId(cluster)
          .setUser(MgmtdProtos.toMsg(user)).build()).getToken();
    }

    @Override
    public String setUserToken(String cluster, long uid) {
      return call(MgmtdMethods.SET_USER_TOKEN, UidRequest.newBuilder().setClusterId(cluster).setUid(uid).build())
          .getToken();
    }

    @Override
    public void removeUser(String cluster, long uid) {
      call(MgmtdMethods.REMOVE_USER, UidRequest.newBuilder().setClusterId(cluster).setUid(uid).build());
    }

    @Override
    public List<UserAccount> listUsers(String cluster) {
      var r = call(MgmtdMethods.LIST_USERS, cluster(cluster));
      return decode(() -> r.getUsersList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public UserAccount authenticate(String cluster, String token) {
      var r = call(MgmtdMethods.AUTHENTICATE, AuthenticateRequest.newBuilder().setClusterId(cluster).setToken(token)
          .build());
      return decode(() -> MgmtdProtos.fromMsg(r));
    }

    @Override
    public List<NodeInfo> listNodes(String cluster) {
      var r = call(MgmtdMethods.LIST_NODES, cluster(cluster));
      return decode(() -> r.getNodesList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public List<TargetInfo> listTargets(String cluster) {
      var r = call(MgmtdMethods.LIST_TARGETS, cluster(cluster));
      return decode(() -> r.getTargetsList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public List<ChainInfo> listChains(String cluster) {
      var r = call(MgmtdMethods.LIST_CHAINS, cluster(cluster));
      return decode(() -> r.getChainsList().stream().map(MgmtdProtos::fromMsg).toList());
    }

    @Override
    public List<ChainTable> listChainTables(String cluster) {
      var r = call(MgmtdMethods.LIST_CHAIN_TABLES, cluster(cluster));
      return decode(() -> r.getTablesList().stream().map(MgmtdProtos::fromMsg).toList());
    }
  }
}
