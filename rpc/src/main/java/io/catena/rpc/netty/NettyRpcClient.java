package io.catena.rpc.netty;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.config.Config;
import io.catena.common.net.Address;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcResponse;
import io.catena.rpc.auth.AuthTokens;
import io.catena.rpc.proto.ErrorDetail;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.handler.codec.DecoderException;
import io.netty.util.HashedWheelTimer;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.Timeout;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * RPC client on Netty: per address a fixed set of lazily connected slots, each reconnecting on the next call after
 * its connection failed. Thread-safe.
 *
 * <p>Send backpressure: each connection counts the bytes it accepted but has not yet handed to the socket; a call
 * that would push that over {@code rpc.max_outstanding_bytes_per_connection} fails at once with a retryable
 * ENOBUFS (callers never block in {@link #call}). Deadlines are tracked on one hashed-wheel timer per client.
 */
public final class NettyRpcClient implements RpcClient {
  private static final Logger LOG = LoggerFactory.getLogger(NettyRpcClient.class);

  private final Transports.Selected transport;
  private final Bootstrap bootstrap;
  private final Map<Address, Pool> pools = new ConcurrentHashMap<>();
  private final ChannelGroup channels = new DefaultChannelGroup("rpc-client", GlobalEventExecutor.INSTANCE);
  private final HashedWheelTimer timer;
  private final AtomicLong ids = new AtomicLong();
  private final byte[] token;
  private final Duration defaultTimeout;
  private final long maxOutstanding;
  private final long maxFrameSize;
  private final int connectionsPerAddress;
  /** {@link WireFormat#FLAG_NODE} on every request of a server process's client, else 0. */
  private final int requestFlags;
  private final RpcMetrics metrics;
  private volatile boolean closed;

  /** A client counting its calls in {@code registry}. */
  public NettyRpcClient(Config config, MeterRegistry registry) {
    this(config, registry, false);
  }

  /** As {@link #NettyRpcClient(Config, MeterRegistry)}; {@code node}: requests say they come from a server process. */
  public NettyRpcClient(Config config, MeterRegistry registry, boolean node) {
    this.requestFlags = node ? WireFormat.FLAG_NODE : 0;
    this.metrics = new RpcMetrics(registry, "client");
    String t = AuthTokens.clientToken(config);
    this.token = t.isEmpty() ? null : t.getBytes(StandardCharsets.UTF_8);
    this.defaultTimeout = config.get(RpcConfig.DEFAULT_TIMEOUT);
    this.maxOutstanding = config.get(RpcConfig.MAX_OUTSTANDING_BYTES_PER_CONNECTION).bytes();
    this.maxFrameSize = config.get(RpcConfig.MAX_FRAME_SIZE).bytes();
    this.connectionsPerAddress = config.get(RpcConfig.CONNECTIONS_PER_ADDRESS);
    this.transport = Transports.create(config.get(RpcConfig.TRANSPORT), config.get(RpcConfig.IO_THREADS),
        "rpc-client");
    this.timer = new HashedWheelTimer(new DefaultThreadFactory("rpc-client-timer", true), 10,
        TimeUnit.MILLISECONDS);
    this.bootstrap = new Bootstrap()
        .group(transport.group())
        .channel(transport.channel())
        .option(ChannelOption.TCP_NODELAY, config.get(RpcConfig.TCP_NODELAY))
        .option(ChannelOption.SO_KEEPALIVE, true)
        .option(ChannelOption.RECVBUF_ALLOCATOR, Transports.recvAllocator())
        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS,
            (int) Math.min(Integer.MAX_VALUE, config.get(RpcConfig.CONNECT_TIMEOUT).toMillis()))
        .localAddress(RpcConfig.clientBindAddress(config))
        .handler(new ChannelInitializer<Channel>() {
          @Override
          protected void initChannel(Channel ch) {
            channels.add(ch);
            ch.pipeline().addLast("decoder", new FrameDecoder(maxFrameSize));
            ch.pipeline().addLast("client", new Connection(ch));
          }
        });
  }

  @Override
  public String transportName() {
    return transport.name();
  }

  @Override
  public <Req extends Message, Resp extends Message> CompletableFuture<RpcResponse<Resp>> call(Address address,
      MethodDescriptor<Req, Resp> method, Req request, Attachment attachment, CallOptions options) {
    CallFuture<RpcResponse<Resp>> fut = new CallFuture<>();
    long startNanos = System.nanoTime();
    RpcMetrics.Method meters = metrics.of(method);
    fut.whenComplete((r, e) -> meters.record(startNanos, e == null ? null
        : CatenaException.statusOf(e).code(), fut.sentBytes, fut.receivedBytes));
    CallOptions o = options == null ? CallOptions.DEFAULT : options;
    long timeoutMillis = o.deadline() != null ? o.deadline().remaining().toMillis()
        : (o.timeout() != null ? o.timeout() : defaultTimeout).toMillis();
    long deadlineNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    Status refused = null;
    if (closed) {
      refused = Status.of(Errno.ESHUTDOWN, "RPC client is closed");
    } else if (timeoutMillis <= 0) {
      refused = Status.retryable(Errno.ETIMEDOUT, "deadline passed before %s was sent", method.fullName());
    } else if ((attachment == null ? 0 : attachment.length()) + request.getSerializedSize() > maxFrameSize) {
      refused = Status.of(Errno.EMSGSIZE, "request to %s is larger than rpc.max_frame_size %d", method.fullName(),
          maxFrameSize);
    }
    if (refused != null) {
      if (attachment != null) {
        attachment.release();
      }
      fut.completeExceptionally(new CatenaException(refused));
      return fut;
    }
    CompletableFuture<Connection> conn = pools.computeIfAbsent(address, Pool::new).next().connection();
    if (conn.isDone() && !conn.isCompletedExceptionally()) {
      conn.join().send(method, request, attachment, fut, deadlineNanos);
    } else {
      conn.whenComplete((c, err) -> {
        if (err != null) {
          if (attachment != null) {
            attachment.release();
          }
          fut.completeExceptionally(err instanceof CatenaException ? err
              : new CatenaException(CatenaException.statusOf(err)));
        } else {
          c.send(method, request, attachment, fut, deadlineNanos);
        }
      });
    }
    return fut;
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    channels.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
    transport.group().shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    timer.stop();
  }

  /** The connections to one address. Thread-safe. */
  private final class Pool {
    private final Slot[] slots;
    private final AtomicInteger next = new AtomicInteger();

    Pool(Address address) {
      slots = new Slot[connectionsPerAddress];
      for (int i = 0; i < slots.length; i++) {
        slots[i] = new Slot(address);
      }
    }

    Slot next() {
      return slots.length == 1 ? slots[0] : slots[Math.floorMod(next.getAndIncrement(), slots.length)];
    }
  }

  /** One connection position of a pool: connects lazily, reconnects after failure. Thread-safe. */
  private final class Slot {
    private final Address address;
    private volatile CompletableFuture<Connection> current;

    Slot(Address address) {
      this.address = address;
    }

    CompletableFuture<Connection> connection() {
      CompletableFuture<Connection> c = current;
      if (c != null && usable(c)) {
        return c;
      }
      synchronized (this) {
        c = current;
        if (c != null && usable(c)) {
          return c;
        }
        current = c = connect();
        return c;
      }
    }

    private boolean usable(CompletableFuture<Connection> c) {
      return !c.isDone() || (!c.isCompletedExceptionally() && c.join().ch.isActive());
    }

    private CompletableFuture<Connection> connect() {
      CompletableFuture<Connection> cf = new CompletableFuture<>();
      if (closed) {
        cf.completeExceptionally(new CatenaException(Status.of(Errno.ESHUTDOWN, "RPC client is closed")));
        return cf;
      }
      try {
        bootstrap.connect(address.toSocketAddress()).addListener(f -> {
          if (f.isSuccess()) {
            Channel ch = ((io.netty.channel.ChannelFuture) f).channel();
            cf.complete(ch.pipeline().get(Connection.class));
          } else {
            LOG.debug("cannot connect to {}: {}", address, String.valueOf(f.cause()));
            cf.completeExceptionally(CatenaException.retryable(Errno.ECONNREFUSED, "cannot connect to %s: %s",
                address, f.cause() == null ? "cancelled" : f.cause().getMessage()));
          }
        });
      } catch (RuntimeException e) {
        cf.completeExceptionally(CatenaException.retryable(Errno.ECONNREFUSED, "cannot connect to %s: %s",
            address, e.getMessage()));
      }
      return cf;
    }
  }

  /** A call's future: cancelling it tells the server. Thread-safe. */
  private static final class CallFuture<T> extends java.util.concurrent.CompletableFuture<T> {
    private volatile Connection conn;
    private volatile long id;
    /** For metrics: set before the future completes, read by the stage that records them. */
    volatile long sentBytes;
    volatile long receivedBytes;

    void bind(Connection c, long requestId) {
      id = requestId;
      conn = c;
      if (isCancelled()) {
        c.cancel(requestId);
      }
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      boolean r = super.cancel(mayInterruptIfRunning);
      Connection c = conn;
      if (r && c != null) {
        c.cancel(id);
      }
      return r;
    }
  }

  /** A call waiting for its response. */
  private static final class Pending<Resp extends Message> {
    final MethodDescriptor<?, Resp> method;
    final CallFuture<RpcResponse<Resp>> future;
    volatile Timeout timeout;

    Pending(MethodDescriptor<?, Resp> method, CallFuture<RpcResponse<Resp>> future) {
      this.method = method;
      this.future = future;
    }

    void fail(Status s) {
      Timeout t = timeout;
      if (t != null) {
        t.cancel();
      }
      future.completeExceptionally(new CatenaException(s));
    }

    void complete(Frame f) {
      Timeout t = timeout;
      if (t != null) {
        t.cancel();
      }
      future.receivedBytes = f.payloadBytes();
      if (f.status != 0) {
        ErrorDetail d;
        try {
          d = WireFormat.parse(ErrorDetail.parser(), f.body);
        } catch (IOException | RuntimeException e) {
          d = ErrorDetail.newBuilder().setMessage("(unreadable error detail)").build();
        }
        f.release();
        Optional<Status.Redirect> redirect = d.getHasRedirect()
            ? Optional.of(new Status.Redirect(d.getRedirectNodeId(), d.getRedirectAddress())) : Optional.empty();
        future.completeExceptionally(new CatenaException(
            new Status(Errno.fromCode(f.status), d.getMessage(), f.isRetryable(), redirect)));
        return;
      }
      Resp msg;
      try {
        msg = WireFormat.parse(method.responseParser(), f.body);
      } catch (IOException | RuntimeException e) {
        f.release();
        future.completeExceptionally(CatenaException.of(Errno.EBADMSG, "response of %s does not parse: %s",
            method.fullName(), e.getMessage()));
        return;
      }
      f.releaseBody();
      RpcResponse<Resp> r = new RpcResponse<>(msg, f.takeAttachment());
      if (!future.complete(r)) {
        r.close();
      }
    }
  }

  /** The client side of one connection. Thread-safe: calls come from any thread, frames on the event loop. */
  private final class Connection extends ChannelInboundHandlerAdapter {
    private final Channel ch;
    private final FrameWriter writer;
    private final Map<Long, Pending<?>> pending = new ConcurrentHashMap<>();

    Connection(Channel ch) {
      this.ch = ch;
      this.writer = new FrameWriter(ch);
    }

    <Req extends Message, Resp extends Message> void send(MethodDescriptor<Req, Resp> method, Req request,
        Attachment attachment, CallFuture<RpcResponse<Resp>> fut, long deadlineNanos) {
      long remainingMillis = TimeUnit.NANOSECONDS.toMillis(deadlineNanos - System.nanoTime() + 999_999);
      Status refused = null;
      if (remainingMillis <= 0) {
        refused = Status.retryable(Errno.ETIMEDOUT, "deadline passed before %s was sent", method.fullName());
      } else if (writer.queuedBytes() > maxOutstanding) {
        refused = Status.retryable(Errno.ENOBUFS, "%d bytes already queued to %s (rpc.max_outstanding_bytes_per_"
            + "connection %d)", writer.queuedBytes(), ch.remoteAddress(), maxOutstanding);
      }
      if (refused != null) {
        if (attachment != null) {
          attachment.release();
        }
        fut.completeExceptionally(new CatenaException(refused));
        return;
      }
      long id = ids.incrementAndGet();
      ByteBuf head;
      try {
        head = WireFormat.encodeHead(ch.alloc(), requestFlags, 0, id, method.serviceId(), method.methodId(),
            remainingMillis, token, request, attachment == null ? 0 : attachment.length());
      } catch (RuntimeException e) {
        if (attachment != null) {
          attachment.release();
        }
        fut.completeExceptionally(new CatenaException(CatenaException.statusOf(e)));
        return;
      }
      fut.sentBytes = head.readableBytes() + (attachment == null ? 0 : attachment.length());
      Pending<Resp> p = new Pending<>(method, fut);
      pending.put(id, p);
      p.timeout = timer.newTimeout(t -> expire(id, method), remainingMillis, TimeUnit.MILLISECONDS);
      if (!ch.isActive()) {
        head.release();
        if (attachment != null) {
          attachment.release();
        }
        if (pending.remove(id, p)) {
          p.fail(Status.retryable(Errno.ECONNRESET, "connection to %s lost", ch.remoteAddress()));
        }
        return;
      }
      writer.write(new FrameWriter.Out(head, attachment, cause -> {
        Pending<?> q = pending.remove(id);
        if (q != null) {
          q.fail(Status.retryable(Errno.ECONNRESET, "sending to %s failed: %s", ch.remoteAddress(), cause));
        }
      }));
      fut.bind(this, id);
    }

    private void expire(long id, MethodDescriptor<?, ?> method) {
      Pending<?> p = pending.remove(id);
      if (p != null) {
        p.future.completeExceptionally(CatenaException.retryable(Errno.ETIMEDOUT,
            "deadline exceeded waiting for %s from %s", method.fullName(), ch.remoteAddress()));
        sendCancel(id);
      }
    }

    void cancel(long id) {
      Pending<?> p = pending.remove(id);
      if (p != null) {
        Timeout t = p.timeout;
        if (t != null) {
          t.cancel();
        }
        sendCancel(id);
      }
    }

    private void sendCancel(long id) {
      if (ch.isActive()) {
        writer.write(new FrameWriter.Out(WireFormat.encodeHead(ch.alloc(), WireFormat.FLAG_CANCEL, 0, id, 0, 0, 0,
            null, null, 0), null, null));
      }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
      if (!(msg instanceof Frame f)) {
        ReferenceCountUtil.release(msg);
        return;
      }
      if (!f.isResponse()) {
        f.release();
        LOG.warn("closing connection to {}: server sent a non-response frame", ch.remoteAddress());
        ch.close();
        return;
      }
      Pending<?> p = pending.remove(f.requestId);
      if (p == null) {
        f.release();
        return;
      }
      p.complete(f);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) throws Exception {
      Status s = closed ? Status.of(Errno.ESHUTDOWN, "RPC client closed")
          : Status.retryable(Errno.ECONNRESET, "connection to %s lost", ch.remoteAddress());
      for (Long id : pending.keySet()) {
        Pending<?> p = pending.remove(id);
        if (p != null) {
          p.fail(s);
        }
      }
      super.channelInactive(ctx);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      if (cause instanceof DecoderException) {
        LOG.warn("closing connection to {}: {}", ch.remoteAddress(),
            cause.getCause() != null ? cause.getCause().getMessage() : cause.getMessage());
      } else {
        LOG.debug("connection to {} failed: {}", ch.remoteAddress(), String.valueOf(cause));
      }
      ctx.close();
    }
  }
}
