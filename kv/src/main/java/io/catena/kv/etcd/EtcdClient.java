package io.catena.kv.etcd;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.CommitUnknownException;
import io.etcd.jetcd.api.AuthGrpc;
import io.etcd.jetcd.api.AuthenticateRequest;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.LeaseGrantRequest;
import io.etcd.jetcd.api.LeaseGrpc;
import io.etcd.jetcd.api.RangeRequest;
import io.etcd.jetcd.api.RangeResponse;
import io.etcd.jetcd.api.TxnRequest;
import io.etcd.jetcd.api.TxnResponse;
import io.etcd.jetcd.api.WatchGrpc;
import io.etcd.jetcd.api.WatchRequest;
import io.etcd.jetcd.api.WatchResponse;
import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.EquivalentAddressGroup;
import io.grpc.ForwardingClientCall.SimpleForwardingClientCall;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.NameResolver;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import io.netty.channel.ChannelOption;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;
import java.util.function.Function;

/**
 * The engine's connection to an etcd cluster: one gRPC channel balancing round-robin over the URL's endpoints, an
 * optional auth token, a deadline on every call, blocking and asynchronous calls, and the translation of etcd's
 * errors into CatenaExceptions. It
 * speaks etcd's v3 gRPC API through jetcd's generated stubs rather than jetcd's {@code Client}: the engine needs
 * compares with a {@code range_end} (jetcd's {@code Cmp} cannot express them), the exact request it sends (to check
 * etcd's size and op limits before sending), nested transactions in the failure branch, and no hidden retries of a
 * commit. Thread-safe.
 */
final class EtcdClient implements AutoCloseable {
  private static final Metadata.Key<String> TOKEN = Metadata.Key.of("token", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> HAS_LEADER = Metadata.Key.of("hasleader", Metadata.ASCII_STRING_MARSHALLER);
  /**
   * gRPC logs through java.util.logging straight to stderr (an INFO line about epoll at every start, in the middle of
   * a command's output); held here because JUL keeps loggers only weakly.
   */
  private static final java.util.logging.Logger GRPC_LOG = java.util.logging.Logger.getLogger("io.grpc");

  static {
    GRPC_LOG.setLevel(java.util.logging.Level.WARNING);
  }

  /** Thrown by {@link #commit} when etcd no longer knows the lease the markers were put with. */
  static final class LeaseGone extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LeaseGone() {
      super("lease not found", null, false, false);
    }
  }

  private final String url;
  private final String user;
  private final String password;
  private final long timeoutNanos;
  private final ManagedChannel channel;
  private final Object authLock = new Object();
  private volatile String token;
  private volatile boolean closed;

  EtcdClient(String url, EtcdUrl parsed, String user, String password, Duration requestTimeout,
      Duration connectTimeout, int maxInboundBytes) {
    this.url = url;
    this.user = user;
    this.password = password;
    this.timeoutNanos = requestTimeout.toNanos();
    this.channel = channel(parsed.endpoints(), connectTimeout, maxInboundBytes);
  }

  @SuppressWarnings("deprecation") // nameResolverFactory: the plain way to hand gRPC a fixed list of addresses
  private ManagedChannel channel(List<String> endpoints, Duration connectTimeout, int maxInboundBytes) {
    return NettyChannelBuilder.forTarget("catena-etcd:///endpoints")
        .nameResolverFactory(new StaticResolverFactory(endpoints))
        .defaultLoadBalancingPolicy("round_robin")
        .usePlaintext()
        .maxInboundMessageSize(maxInboundBytes)
        .withOption(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        // A dead member must be noticed by the transport, not only by the request deadline.
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(Math.max(1, connectTimeout.toMillis()), TimeUnit.MILLISECONDS)
        .keepAliveWithoutCalls(true)
        .intercept(user.isEmpty() ? List.of() : List.of(new TokenInterceptor()))
        // No transparent retries: the engine decides what may be sent again, and gRPC's retry wrapper buffers every
        // call's messages for them.
        .disableRetry()
        // Answers are handled on the transport thread they arrive on: the engine's callbacks only hand results over
        // and start the next batch, never block, and the hop to an executor thread per call cost measurable CPU.
        .directExecutor()
        .build();
  }

  /** Authenticates if a user is configured; call once before the first request. */
  void authenticate() {
    if (user.isEmpty()) {
      return;
    }
    refreshToken(null);
  }

  private void refreshToken(String stale) {
    synchronized (authLock) {
      if (stale != null && !stale.equals(token)) {
        return; // another thread refreshed it already
      }
      try {
        token = AuthGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS)
            .authenticate(AuthenticateRequest.newBuilder().setName(user).setPassword(password).build()).getToken();
      } catch (StatusRuntimeException e) {
        throw readFailure(e, "authentication as '" + user + "'");
      }
    }
  }

  RangeResponse range(RangeRequest request, String what) {
    return read(stub -> stub.range(request), what);
  }

  /** A transaction of reads only (etcd serves it without a raft proposal). */
  TxnResponse readTxn(TxnRequest request, String what) {
    return read(stub -> stub.txn(request), what);
  }

  private <T> T read(Function<KVGrpc.KVBlockingStub, T> call, String what) {
    checkOpen();
    String used = token;
    try {
      return call.apply(kv());
    } catch (StatusRuntimeException e) {
      if (isStaleToken(e)) {
        refreshToken(used);
        try {
          return call.apply(kv());
        } catch (StatusRuntimeException e2) {
          throw readFailure(e2, what);
        }
      }
      throw readFailure(e, what);
    }
  }

  /** The answer to a read exceeded this client's inbound message limit; a smaller page will fit. */
  static final class ResponseTooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ResponseTooLarge(String message) {
      super(message, null, false, false);
    }
  }

  /** A read at a revision the serving member has not applied yet (it lags behind the one that fixed it). */
  static final class FutureRevision extends RuntimeException {
    private static final long serialVersionUID = 1L;

    FutureRevision(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * Sends a write transaction once. Errors etcd raises before applying anything come back as the matching
   * CatenaException (or {@link LeaseGone}); anything that leaves the outcome open is a CommitUnknownException.
   */
  TxnResponse commit(TxnRequest request) {
    checkOpen();
    String used = token;
    try {
      return kv().txn(request);
    } catch (StatusRuntimeException e) {
      if (isStaleToken(e)) {
        // Rejected by the token check before the request reached raft: sending again is safe.
        refreshToken(used);
        try {
          return kv().txn(request);
        } catch (StatusRuntimeException e2) {
          throw commitFailure(e2);
        }
      }
      throw commitFailure(e);
    }
  }

  long grantLease(long ttlSeconds) {
    checkOpen();
    String used = token;
    LeaseGrantRequest req = LeaseGrantRequest.newBuilder().setTTL(ttlSeconds).build();
    try {
      return lease().leaseGrant(req).getID();
    } catch (StatusRuntimeException e) {
      if (isStaleToken(e)) {
        refreshToken(used);
        try {
          return lease().leaseGrant(req).getID();
        } catch (StatusRuntimeException e2) {
          throw readFailure(e2, "lease grant");
        }
      }
      throw readFailure(e, "lease grant");
    }
  }

  /**
   * Sends a transaction without waiting; {@code answer} gets the response or the raw gRPC failure (map it with
   * {@link #readFailure} or {@link #commitFailure} in the caller's thread) exactly once, on a transport thread or,
   * for a call that cannot start, on this one.
   */
  void txnAsync(TxnRequest request, BiConsumer<TxnResponse, StatusRuntimeException> answer) {
    if (closed) {
      answer.accept(null, Status.UNAVAILABLE.withDescription("channel shutdown").asRuntimeException());
      return;
    }
    try {
      startTxn(request, answer);
    } catch (RuntimeException e) {
      // A batcher waits for every answer: a call that could not even start must still give one.
      answer.accept(null, Status.fromThrowable(e).asRuntimeException());
    }
  }

  private void startTxn(TxnRequest request, BiConsumer<TxnResponse, StatusRuntimeException> answer) {
    KVGrpc.newStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS).txn(request,
        new StreamObserver<>() {
          private TxnResponse response;

          @Override
          public void onNext(TxnResponse r) {
            response = r;
          }

          @Override
          public void onError(Throwable t) {
            answer.accept(null, t instanceof StatusRuntimeException e ? e : Status.fromThrowable(t)
                .asRuntimeException());
          }

          @Override
          public void onCompleted() {
            answer.accept(response, null);
          }
        });
  }

  /** Whether a failed call was refused for a stale auth token (nothing was applied): refresh and send again. */
  boolean refreshIfStale(StatusRuntimeException e, String usedToken) {
    if (!isStaleToken(e)) {
      return false;
    }
    refreshToken(usedToken);
    return true;
  }

  String token() {
    return token;
  }

  /**
   * Opens a watch stream (no deadline: it lives until cancelled or broken). With etcd's "require leader" header the
   * member ends the stream when it loses its leader, so a partitioned member cannot keep it quietly stale.
   */
  StreamObserver<WatchRequest> watch(StreamObserver<WatchResponse> answers) {
    checkOpen();
    Metadata requireLeader = new Metadata();
    requireLeader.put(HAS_LEADER, "true");
    return WatchGrpc.newStub(channel).withInterceptors(MetadataUtils.newAttachHeadersInterceptor(requireLeader))
        .watch(answers);
  }

  private KVGrpc.KVBlockingStub kv() {
    return KVGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private LeaseGrpc.LeaseBlockingStub lease() {
    return LeaseGrpc.newBlockingStub(channel).withDeadlineAfter(timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private void checkOpen() {
    if (closed) {
      throw shutdown();
    }
  }

  CatenaException shutdown() {
    return CatenaException.of(Errno.ESHUTDOWN, "kv engine %s is closed", url);
  }

  @Override
  public void close() {
    closed = true;
    channel.shutdown();
    try {
      if (!channel.awaitTermination(Math.max(1, TimeUnit.NANOSECONDS.toMillis(timeoutNanos)), TimeUnit.MILLISECONDS)) {
        channel.shutdownNow();
      }
    } catch (InterruptedException e) {
      channel.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  // ------------------------------------------------------------------------------------------ error mapping

  private static boolean isStaleToken(StatusRuntimeException e) {
    String d = String.valueOf(e.getStatus().getDescription());
    return d.equals("etcdserver: invalid auth token") || d.equals("etcdserver: revision of auth store is old");
  }

  private static String describe(StatusRuntimeException e) {
    Status s = e.getStatus();
    return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
  }

  /** Whether the call failed before it could have reached any etcd member. */
  private static boolean neverSent(StatusRuntimeException e) {
    for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
      if (c instanceof ConnectException) {
        return true;
      }
    }
    return false;
  }

  /** A limit etcd enforces (or a fault that is ours), whatever the kind of request; null if none applies. */
  private CatenaException limitOrConfig(StatusRuntimeException e) {
    String d = String.valueOf(e.getStatus().getDescription());
    Status.Code code = e.getStatus().getCode();
    if (d.contains("too many operations in txn request")) {
      return CatenaException.of(Errno.E2BIG, "kv %s: etcd refused a transaction with more operations than its"
          + " --max-txn-ops allows (set kv.etcd.max_txn_ops to the cluster's value to catch this before sending;"
          + " split the work into smaller transactions): %s", url, d);
    }
    if (d.contains("request is too large") || (code == Status.Code.RESOURCE_EXHAUSTED && d.contains("larger than max"))) {
      return CatenaException.of(Errno.EFBIG, "kv %s: etcd refused a request larger than its --max-request-bytes"
          + " (set kv.etcd.max_request_bytes to the cluster's value to catch this before sending): %s", url, d);
    }
    if (code == Status.Code.RESOURCE_EXHAUSTED && d.contains("database space exceeded")) {
      return CatenaException.of(Errno.ENOSPC, "kv %s: etcd's database is full (--quota-backend-bytes); compact"
          + " and defragment it, then disarm the NOSPACE alarm: %s", url, d);
    }
    if (code == Status.Code.PERMISSION_DENIED || d.contains("permission denied")) {
      return CatenaException.of(Errno.EACCES, "kv %s: etcd denied access (does kv.etcd.user have read-write"
          + " permission on the prefix?): %s", url, d);
    }
    if (d.contains("authentication failed") || d.contains("user name is empty")
        || code == Status.Code.UNAUTHENTICATED) {
      return CatenaException.of(Errno.EACCES, "kv %s: etcd authentication failed (check kv.etcd.user and"
          + " kv.etcd.password): %s", url, d);
    }
    if (d.contains("duplicate key given in txn request")) {
      return CatenaException.of(Errno.EIO, "kv %s: etcd rejected a malformed transaction (a bug): %s", url, d);
    }
    return null;
  }

  CatenaException readFailure(StatusRuntimeException e, String what) {
    if (closed) {
      return shutdown();
    }
    String d = String.valueOf(e.getStatus().getDescription());
    if (e.getStatus().getCode() == Status.Code.RESOURCE_EXHAUSTED && d.contains("exceeds maximum size")) {
      throw new ResponseTooLarge(d);
    }
    CatenaException limit = limitOrConfig(e);
    if (limit != null) {
      return limit;
    }
    if (d.contains("required revision is a future revision")) {
      throw new FutureRevision(d);
    }
    if (d.contains("required revision has been compacted")) {
      return CatenaException.retryable(Errno.EAGAIN, "transaction too old: etcd compacted the revision it reads"
          + " at (%s)", d);
    }
    return switch (e.getStatus().getCode()) {
      case DEADLINE_EXCEEDED -> CatenaException.retryable(Errno.ETIMEDOUT,
          "kv %s: %s got no answer from etcd within kv.etcd.request_timeout", url, what);
      case UNAVAILABLE, ABORTED, RESOURCE_EXHAUSTED, CANCELLED -> CatenaException.retryable(
          neverSent(e) ? Errno.ECONNREFUSED : Errno.EIO, "kv %s: %s failed: etcd unavailable (%s)", url, what,
          describe(e));
      // The connection closed under the call (a member died): a read has no effect, so trying again is safe.
      case UNKNOWN -> d.contains("channel closed") ? CatenaException.retryable(Errno.EIO,
          "kv %s: %s failed: connection to etcd lost (%s)", url, what, describe(e))
          : CatenaException.of(Errno.EIO, "kv %s: %s failed: %s", url, what, describe(e));
      default -> CatenaException.of(Errno.EIO, "kv %s: %s failed: %s", url, what, describe(e));
    };
  }

  RuntimeException commitFailure(StatusRuntimeException e) {
    String d = String.valueOf(e.getStatus().getDescription());
    CatenaException limit = limitOrConfig(e);
    if (limit != null) {
      return limit;
    }
    if (d.contains("requested lease not found")) {
      return new LeaseGone();
    }
    // Refused before a raft proposal: nothing was applied, so a plain retryable error is the honest answer.
    if (neverSent(e) || d.equals("etcdserver: no leader") || d.equals("etcdserver: too many requests")
        || d.equals("etcdserver: not capable")) {
      if (closed) {
        return shutdown();
      }
      return CatenaException.retryable(neverSent(e) ? Errno.ECONNREFUSED : Errno.EIO,
          "kv %s: commit not sent: etcd unavailable (%s)", url, describe(e));
    }
    if (closed && e.getStatus().getCode() == Status.Code.UNAVAILABLE && d.contains("shutdown")) {
      return shutdown(); // the channel refused a new call after close(): it never left this process
    }
    if (e.getStatus().getCode() == Status.Code.DEADLINE_EXCEEDED) {
      return new CommitUnknownException("no answer from etcd within kv.etcd.request_timeout (" + url + ")");
    }
    return new CommitUnknownException("etcd call failed after the commit was sent (" + url + "): " + describe(e));
  }

  // ----------------------------------------------------------------------------------------------- plumbing

  /** Adds the auth token, when there is one, to every call. */
  private final class TokenInterceptor implements ClientInterceptor {
    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
      return new SimpleForwardingClientCall<>(next.newCall(method, options)) {
        @Override
        public void start(Listener<R> listener, Metadata headers) {
          String t = token;
          if (t != null && !method.getFullMethodName().endsWith("/Authenticate")) {
            headers.put(TOKEN, t);
          }
          super.start(listener, headers);
        }
      };
    }
  }

  /** Resolves the URL's fixed endpoint list (DNS names at each resolution). Thread-safe. */
  private static final class StaticResolverFactory extends NameResolver.Factory {
    private final List<String> endpoints;

    StaticResolverFactory(List<String> endpoints) {
      this.endpoints = List.copyOf(endpoints);
    }

    @Override
    public NameResolver newNameResolver(URI targetUri, NameResolver.Args args) {
      return new NameResolver() {
        private Listener2 listener;

        @Override
        public String getServiceAuthority() {
          return endpoints.getFirst();
        }

        @Override
        public void start(Listener2 l) {
          listener = l;
          resolve();
        }

        @Override
        public void refresh() {
          resolve();
        }

        private void resolve() {
          List<EquivalentAddressGroup> groups = new ArrayList<>();
          for (String ep : endpoints) {
            int colon = ep.lastIndexOf(':');
            String host = ep.substring(0, colon);
            if (host.startsWith("[")) {
              host = host.substring(1, host.length() - 1);
            }
            InetSocketAddress a = new InetSocketAddress(host, Integer.parseInt(ep.substring(colon + 1)));
            if (!a.isUnresolved()) {
              groups.add(new EquivalentAddressGroup(a));
            }
          }
          if (groups.isEmpty()) {
            listener.onError(Status.UNAVAILABLE.withDescription("cannot resolve any of " + endpoints));
          } else {
            listener.onResult(ResolutionResult.newBuilder().setAddressesOrError(
                io.grpc.StatusOr.fromValue(groups)).build());
          }
        }

        @Override
        public void shutdown() {}
      };
    }

    @Override
    public String getDefaultScheme() {
      return "catena-etcd";
    }
  }
}
