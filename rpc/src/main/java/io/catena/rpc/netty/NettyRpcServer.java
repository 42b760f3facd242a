package io.catena.rpc.netty;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.common.time.Deadline;
import io.catena.rpc.Attachment;
import io.catena.rpc.Authenticator;
import io.catena.rpc.BuiltinService;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcReply;
import io.catena.rpc.RpcServer;
import io.catena.rpc.ServiceDefinition;
import io.catena.rpc.ServiceDefinition.Binding;
import io.catena.rpc.proto.ErrorDetail;
import io.catena.rpc.proto.PingResponse;
import io.catena.rpc.proto.ServerInfoResponse;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RPC server on Netty. Frames are decoded and dispatched on I/O threads; handlers run on a fixed worker pool
 * unless registered inline. Thread-safe.
 *
 * <p>Hostile input: a bad magic/version or a declared length over {@code rpc.max_frame_size} closes that one
 * connection (the decoder checks before buffering); a body that does not parse, an unknown method, a refused token
 * or an expired deadline get an error reply on a connection that stays usable. Every such event logs the peer.
 *
 * <p>Backpressure: at most {@code rpc.max_inflight_per_connection} calls run per connection; at the cap the server
 * stops reading that socket (autoRead off), so TCP pushes back on the client. Requests already decoded from the
 * last read wait in a per-connection backlog (at most one read's worth) and start as running calls finish. A peer
 * that does not read its replies stalls the same way once {@link #REPLY_HIGH_WATER} bytes of replies are queued.
 */
public final class NettyRpcServer implements RpcServer {
  private static final Logger LOG = LoggerFactory.getLogger(NettyRpcServer.class);

  /**
   * Unsent reply bytes per connection above which the server stops reading requests. Well above one 1 MiB chunk
   * reply so pipelined reads keep flowing; low enough that a peer that never reads cannot grow the heap.
   */
  static final int REPLY_HIGH_WATER = 16 << 20;

  private final Transports.Selected transport;
  private final Map<Integer, Binding<?, ?>> methods;
  private final List<String> serviceNames = new ArrayList<>();
  private final Authenticator authenticator;
  private final RpcMetrics metrics;
  private final ExecutorService workers;
  private final ChannelGroup connections = new DefaultChannelGroup("rpc-server", GlobalEventExecutor.INSTANCE);
  private final AtomicLong inflight = new AtomicLong();
  private final CompletableFuture<Void> idle = new CompletableFuture<>();
  private final Clock clock = Clock.systemUTC();
  private final long startMillis = System.currentTimeMillis();
  private volatile java.util.function.Supplier<String> role = () -> "";
  private final int maxInflightPerConnection;
  private final long maxFrameSize;
  private final Duration defaultGrace;
  private volatile boolean draining;
  private Channel serverChannel;
  private Address bound;
  private CompletableFuture<Void> shutdownFuture;

  private NettyRpcServer(Config config, List<ServiceDefinition> services, Authenticator authenticator,
      MeterRegistry registry) {
    this.authenticator = authenticator;
    this.metrics = new RpcMetrics(registry, "server");
    this.maxInflightPerConnection = config.get(RpcConfig.MAX_INFLIGHT_PER_CONNECTION);
    this.maxFrameSize = config.get(RpcConfig.MAX_FRAME_SIZE).bytes();
    this.defaultGrace = config.get(RpcConfig.SHUTDOWN_GRACE);
    Map<Integer, Binding<?, ?>> m = new HashMap<>();
    List<ServiceDefinition> all = new ArrayList<>();
    all.add(builtin());
    all.addAll(services);
    Map<Integer, String> ids = new HashMap<>();
    for (ServiceDefinition s : all) {
      if (s.serviceId() == BuiltinService.SERVICE_ID && !s.name().equals("builtin")) {
        throw new IllegalArgumentException("service id 0 is reserved for the built-in service: " + s.name());
      }
      String other = ids.putIfAbsent(s.serviceId(), s.name());
      if (other != null) {
        throw new IllegalArgumentException("services " + other + " and " + s.name() + " both have id "
            + s.serviceId());
      }
      serviceNames.add(s.name() + "(" + s.serviceId() + ")");
      for (Binding<?, ?> b : s.bindings()) {
        if (m.put(b.method().key(), b) != null) {
          throw new IllegalArgumentException("two handlers for " + b.method());
        }
      }
    }
    this.methods = Map.copyOf(m);
    this.workers = Executors.newFixedThreadPool(config.get(RpcConfig.WORKER_THREADS),
        new DefaultThreadFactory("rpc-worker", true));
    this.transport = Transports.create(config.get(RpcConfig.TRANSPORT), config.get(RpcConfig.IO_THREADS),
        "rpc-server");
  }

  /**
   * Binds to exactly {@code bind} and starts serving, counting calls in {@code registry}; fails with EADDRINUSE or
   * EINVAL when it cannot.
   */
  public static NettyRpcServer start(Config config, Address bind, List<ServiceDefinition> services,
      Authenticator authenticator, MeterRegistry registry) {
    NettyRpcServer s = new NettyRpcServer(config, services, authenticator, registry);
    boolean noDelay = config.get(RpcConfig.TCP_NODELAY);
    ServerBootstrap b = new ServerBootstrap()
        .group(s.transport.group())
        .channel(s.transport.serverChannel())
        .option(ChannelOption.SO_REUSEADDR, true)
        .option(ChannelOption.SO_BACKLOG, 1024)
        .childOption(ChannelOption.TCP_NODELAY, noDelay)
        .childOption(ChannelOption.SO_KEEPALIVE, true)
        .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK,
            new WriteBufferWaterMark(REPLY_HIGH_WATER / 2, REPLY_HIGH_WATER))
        .childOption(ChannelOption.RECVBUF_ALLOCATOR, Transports.recvAllocator())
        .childHandler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            if (s.draining) {
              ch.close();
              return;
            }
            s.connections.add(ch);
            ch.pipeline().addLast("decoder", new FrameDecoder(s.maxFrameSize));
            ch.pipeline().addLast("server", s.new Connection(ch));
          }
        });
    try {
      s.serverChannel = b.bind(bind.toSocketAddress()).syncUninterruptibly().channel();
    } catch (Exception e) {
      s.transport.group().shutdownGracefully(0, 0, TimeUnit.MILLISECONDS);
      s.workers.shutdownNow();
      // Native transports report EADDRINUSE as their own IOException, not java.net.BindException.
      boolean inUse = e instanceof java.net.BindException
          || String.valueOf(e.getMessage()).toLowerCase(java.util.Locale.ROOT).contains("in use");
      throw new CatenaException(Status.of(inUse ? Errno.EADDRINUSE : Errno.EINVAL,
          "cannot bind RPC server to %s: %s", bind, e.getMessage()));
    }
    InetSocketAddress local = (InetSocketAddress) s.serverChannel.localAddress();
    s.bound = new Address(bind.scheme(), bind.host(), local.getPort());
    LOG.info("RPC server listening on {} ({} transport, services {})", s.bound, s.transport.name(),
        s.serviceNames);
    return s;
  }

  @Override
  public Address boundAddress() {
    return bound;
  }

  @Override
  public String transportName() {
    return transport.name();
  }

  @Override
  public void describeRole(java.util.function.Supplier<String> role) {
    this.role = java.util.Objects.requireNonNull(role);
  }

  @Override
  public long inflightCalls() {
    return inflight.get();
  }

  @Override
  public synchronized CompletableFuture<Void> shutdown(Duration grace) {
    if (shutdownFuture != null) {
      return shutdownFuture;
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    shutdownFuture = done;
    draining = true;
    if (inflight.get() == 0) {
      idle.complete(null);
    }
    LOG.info("RPC server {} shutting down: {} calls in flight, grace {}", bound, inflight.get(), grace);
    serverChannel.close().addListener(f -> idle.copy()
        .completeOnTimeout(null, grace.toMillis(), TimeUnit.MILLISECONDS)
        .thenRun(() -> {
          if (inflight.get() > 0) {
            LOG.warn("RPC server {} closing with {} calls still in flight after {}", bound, inflight.get(), grace);
          }
          connections.close().addListener(x -> {
            workers.shutdownNow();
            transport.group().shutdownGracefully(0, 2, TimeUnit.SECONDS)
                .addListener(y -> done.complete(null));
          });
        }));
    return done;
  }

  @Override
  public void close() {
    shutdown(defaultGrace).join();
  }

  private void callDone() {
    if (inflight.decrementAndGet() == 0 && draining) {
      idle.complete(null);
    }
  }

  private ServiceDefinition builtin() {
    return ServiceDefinition.builder("builtin", BuiltinService.SERVICE_ID)
        .inlineMethod(BuiltinService.PING, call -> {
          ByteBuf a = call.takeAttachment();
          PingResponse r = PingResponse.newBuilder().setPayload(call.request().getPayload())
              .setServerTimeMillis(System.currentTimeMillis()).build();
          return CompletableFuture.completedFuture(RpcReply.of(r, a == null ? null : Attachment.of(a)));
        })
        .inlineMethod(BuiltinService.DISCARD, call -> CompletableFuture.completedFuture(
            RpcReply.of(PingResponse.getDefaultInstance())))
        .inlineMethod(BuiltinService.SERVER_INFO, call -> CompletableFuture.completedFuture(RpcReply.of(
            ServerInfoResponse.newBuilder().setAddress(String.valueOf(bound)).setTransport(transport.name())
                .setUptimeMillis(System.currentTimeMillis() - startMillis).addAllServices(serviceNames)
                .setOpenConnections(connections.size()).setInflightCalls(inflight.get()).setRole(role.get())
                .build())))
        .build();
  }

  /** The server side of one connection. Thread-safe: frames arrive on the event loop, replies from anywhere. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    private final Channel ch;
    private final FrameWriter writer;
    private final Map<Long, ServerCallImpl<?>> calls = new ConcurrentHashMap<>();
    private final AtomicInteger running = new AtomicInteger();
    /** Requests decoded while at the cap; touched only on the event loop. */
    private final ArrayDeque<Frame> backlog = new ArrayDeque<>();
    private volatile boolean paused;

    Connection(Channel ch) {
      this.ch = ch;
      this.writer = new FrameWriter(ch);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof Frame f)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      try {
        onFrame(f);
      } catch (RuntimeException e) {
        f.release();
        LOG.warn("internal error serving request {} from {}", f.requestId, ch.remoteAddress(), e);
        replyError(f.requestId, f.serviceId, f.methodId, Status.of(Errno.EIO, "internal error: %s", e));
      }
    }

    private void onFrame(Frame f) {
      SocketAddress peer = ch.remoteAddress();
      if (f.isResponse()) {
        f.release();
        LOG.warn("closing connection from {}: it sent a response frame to a server", peer);
        ch.close();
        return;
      }
      if (f.isCancel()) {
        f.release();
        ServerCallImpl<?> c = calls.get(f.requestId);
        if (c != null) {
          c.cancel();
        }
        backlog.removeIf(q -> {
          if (q.requestId == f.requestId) {
            q.release();
            return true;
          }
          return false;
        });
        return;
      }
      if (running.get() >= maxInflightPerConnection || !backlog.isEmpty() || !ch.isWritable()) {
        backlog.add(f);
        pause();
        return;
      }
      admit(f, peer);
    }

    private void pause() {
      if (!paused) {
        paused = true;
        ch.config().setAutoRead(false);
      }
    }

    /** On the event loop: starts backlogged requests while under the cap, then reads again. */
    private void resume() {
      SocketAddress peer = ch.remoteAddress();
      while (!backlog.isEmpty() && running.get() < maxInflightPerConnection && ch.isActive()
          && ch.isWritable()) {
        Frame f = backlog.poll();
        try {
          admit(f, peer);
        } catch (RuntimeException e) {
          f.release();
          LOG.warn("internal error serving request {} from {}", f.requestId, peer, e);
        }
      }
      if (paused && backlog.isEmpty() && running.get() < maxInflightPerConnection && ch.isWritable()) {
        paused = false;
        ch.config().setAutoRead(true);
      }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) throws Exception {
      if (ch.isWritable() && paused) {
        resume();
      }
      super.channelWritabilityChanged(ctx);
    }

    private void admit(Frame f, SocketAddress peer) {
      Binding<?, ?> b = methods.get(MethodDescriptor.key(f.serviceId, f.methodId));
      if (b == null) {
        f.release();
        LOG.warn("peer {} called unknown method {}/{} (request {})", peer, f.serviceId, f.methodId, f.requestId);
        replyError(f.requestId, f.serviceId, f.methodId,
            Status.of(Errno.ENOSYS, "no method %d/%d on this server", f.serviceId, f.methodId));
        return;
      }
      if (draining) {
        f.release();
        replyError(f.requestId, f.serviceId, f.methodId,
            Status.retryable(Errno.ESHUTDOWN, "server %s is shutting down", bound));
        return;
      }
      CompletableFuture<Optional<UserAccount>> auth;
      try {
        auth = authenticator.authenticate(f.token, peer, b.method());
      } catch (RuntimeException e) {
        auth = CompletableFuture.failedFuture(e);
      }
      if (auth.isDone()) {
        boolean refused = auth.isCompletedExceptionally();
        admitAuthenticated(b, f, peer, refused ? null : auth.resultNow(), refused ? auth.exceptionNow() : null);
      } else {
        // A token the authenticator must look up remotely: continue on this connection's event loop when known
        // (or drop the request, releasing its buffers, if that loop has shut down meanwhile).
        auth.whenComplete((user, e) -> {
          try {
            ch.eventLoop().execute(() -> admitAuthenticated(b, f, peer, user, e));
          } catch (RejectedExecutionException closed) {
            f.release();
          }
        });
      }
    }

    private void admitAuthenticated(Binding<?, ?> b, Frame f, SocketAddress peer, Optional<UserAccount> user,
        Throwable error) {
      if (error != null) {
        f.release();
        Status auth = CatenaException.statusOf(error);
        LOG.info("refused {} from {}: {}", b.method().fullName(), peer, auth);
        replyError(f.requestId, f.serviceId, f.methodId, auth);
        return;
      }
      if (draining) {
        f.release();
        replyError(f.requestId, f.serviceId, f.methodId,
            Status.retryable(Errno.ESHUTDOWN, "server %s is shutting down", bound));
        return;
      }
      dispatch(b, f, peer, user == null ? Optional.empty() : user);
    }

    private <Req extends Message, Resp extends Message> void dispatch(Binding<Req, Resp> b, Frame f,
        SocketAddress peer, Optional<UserAccount> user) {
      long startNanos = System.nanoTime();
      long received = f.payloadBytes();
      Req req;
      try {
        req = WireFormat.parse(b.method().requestParser(), f.body);
      } catch (IOException | RuntimeException e) {
        f.release();
        LOG.warn("peer {} sent a request body for {} that does not parse: {}", peer, b.method().fullName(),
            e.getMessage());
        replyError(f.requestId, f.serviceId, f.methodId,
            Status.of(Errno.EBADMSG, "request body is not a valid %s", b.method().fullName()));
        return;
      }
      f.releaseBody();
      Deadline deadline = f.timeoutMillis == 0 ? Deadline.none()
          : Deadline.in(clock, Duration.ofMillis(f.timeoutMillis));
      ServerCallImpl<Req> call = new ServerCallImpl<>(b.method(), req, f.requestId, peer, deadline, f.token, user,
          (f.flags & WireFormat.FLAG_NODE) != 0, f.takeAttachment(), startNanos, received);
      if (calls.putIfAbsent(f.requestId, call) != null) {
        call.releaseAttachment();
        replyError(f.requestId, f.serviceId, f.methodId,
            Status.of(Errno.EINVAL, "request id %d is already in use on this connection", f.requestId));
        return;
      }
      inflight.incrementAndGet();
      if (running.incrementAndGet() >= maxInflightPerConnection) {
        pause();
      }
      if (b.inline()) {
        run(b, call);
        return;
      }
      try {
        workers.execute(() -> run(b, call));
      } catch (RejectedExecutionException e) {
        finish(b, call, null, Status.retryable(Errno.ESHUTDOWN, "server %s is shutting down", bound));
      }
    }

    private <Req extends Message, Resp extends Message> void run(Binding<Req, Resp> b, ServerCallImpl<Req> call) {
      if (call.isCancelled()) {
        finish(b, call, null, null);
        return;
      }
      if (call.deadline().expired()) {
        finish(b, call, null, Status.retryable(Errno.ETIMEDOUT, "deadline passed before %s started",
            b.method().fullName()));
        return;
      }
      CompletableFuture<RpcReply<Resp>> fut;
      try {
        fut = b.handler().handle(call);
        if (fut == null) {
          throw new NullPointerException("handler of " + b.method() + " returned no future");
        }
      } catch (Throwable t) {
        finish(b, call, null, failureStatus(b, t));
        return;
      }
      fut.whenComplete((reply, err) -> {
        if (err != null) {
          finish(b, call, null, failureStatus(b, err));
        } else if (reply == null) {
          finish(b, call, null, Status.of(Errno.EIO, "handler of %s completed without a reply",
              b.method().fullName()));
        } else {
          finish(b, call, reply, null);
        }
      });
    }

    private Status failureStatus(Binding<?, ?> b, Throwable t) {
      Status s = CatenaException.statusOf(t);
      if (s.code() == Errno.EIO && !(t instanceof CatenaException || t.getCause() instanceof CatenaException)) {
        LOG.warn("handler of {} failed", b.method().fullName(), t);
      }
      return s;
    }

    /** Sends the reply (unless the call was cancelled) and releases everything the call held. */
    private <Resp extends Message> void finish(Binding<?, Resp> b, ServerCallImpl<?> call, RpcReply<Resp> reply,
        Status error) {
      calls.remove(call.requestId(), call);
      call.releaseAttachment();
      MethodDescriptor<?, ?> m = b.method();
      long sent = 0;
      Errno outcome = error != null ? error.code() : Errno.OK;
      if (call.isCancelled() || !ch.isActive()) {
        if (reply != null && reply.attachment() != null) {
          reply.attachment().release();
        }
        outcome = error != null ? outcome : Errno.ECANCELED;
      } else if (error != null) {
        sent = replyError(call.requestId(), m.serviceId(), m.methodId(), error);
      } else if (reply != null) {
        sent = replyOk(call.requestId(), m, reply);
      }
      metrics.of(m).record(call.startNanos, sent < 0 ? Errno.EIO : outcome, Math.abs(sent), call.receivedBytes);
      callDone();
      if (running.decrementAndGet() < maxInflightPerConnection && paused) {
        ch.eventLoop().execute(this::resume);
      }
    }

    /** Sends a reply; returns the bytes queued, negated when an error reply went out instead. */
    private long replyOk(long requestId, MethodDescriptor<?, ?> m, RpcReply<?> reply) {
      Attachment att = reply.attachment();
      long attLen = att == null ? 0 : att.length();
      ByteBuf head;
      try {
        if (attLen + reply.message().getSerializedSize() > maxFrameSize) {
          throw CatenaException.of(Errno.EMSGSIZE, "reply of %s is %d bytes, over rpc.max_frame_size %d",
              m.fullName(), attLen + reply.message().getSerializedSize(), maxFrameSize);
        }
        head = WireFormat.encodeHead(ch.alloc(), WireFormat.FLAG_RESPONSE, 0, requestId, m.serviceId(),
            m.methodId(), 0, null, reply.message(), attLen);
      } catch (RuntimeException e) {
        if (att != null) {
          att.release();
        }
        return -replyError(requestId, m.serviceId(), m.methodId(), CatenaException.statusOf(e));
      }
      long bytes = head.readableBytes() + attLen;
      writer.write(new FrameWriter.Out(head, att, null));
      return bytes;
    }

    /** Sends an error reply; returns the bytes queued. */
    private long replyError(long requestId, int serviceId, int methodId, Status s) {
      ErrorDetail.Builder d = ErrorDetail.newBuilder().setMessage(s.message());
      s.redirect().ifPresent(r -> d.setHasRedirect(true).setRedirectNodeId(r.nodeId())
          .setRedirectAddress(r.address()));
      int flags = WireFormat.FLAG_RESPONSE | (s.retryable() ? WireFormat.FLAG_RETRYABLE : 0);
      ByteBuf head = WireFormat.encodeHead(ch.alloc(), flags, s.code().code(), requestId, serviceId, methodId, 0,
          null, d.build(), 0);
      long bytes = head.readableBytes();
      writer.write(new FrameWriter.Out(head, null, null));
      return bytes;
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      for (ServerCallImpl<?> c : calls.values()) {
        c.cancel();
      }
      Frame f;
      while ((f = backlog.poll()) != null) {
        f.release();
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      SocketAddress peer = ch.remoteAddress();
      if (cause instanceof DecoderException) {
        Throwable root = cause.getCause() != null ? cause.getCause() : cause;
        LOG.warn("closing connection from {}: {}", peer, root.getMessage());
      } else if (cause instanceof IOException) {
        LOG.debug("connection from {} failed: {}", peer, cause.toString());
      } else {
        LOG.warn("closing connection from {} after an unexpected error", peer, cause);
      }
      ctx.close();
    }
  }
}
