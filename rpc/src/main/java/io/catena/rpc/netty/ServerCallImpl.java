package io.catena.rpc.netty;

import com.google.protobuf.Message;
import io.catena.common.cluster.UserAccount;
import io.catena.common.time.Deadline;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.netty.buffer.ByteBuf;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Server-side state of one call. Thread-safe: cancellation comes from the I/O thread, work from anywhere. */
final class ServerCallImpl<Req extends Message> implements RpcCall<Req> {
  private static final Logger LOG = LoggerFactory.getLogger(ServerCallImpl.class);

  private final MethodDescriptor<Req, ?> method;
  private final Req request;
  private final long requestId;
  private final SocketAddress remote;
  private final Deadline deadline;
  private final byte[] token;
  private final Optional<UserAccount> caller;
  private final boolean fromNode;
  /** When the call was admitted ({@link System#nanoTime}) and the bytes it arrived with: for its metrics. */
  final long startNanos;
  final long receivedBytes;
  private ByteBuf attachment;
  private boolean cancelled;
  private List<Runnable> cancelActions;

  ServerCallImpl(MethodDescriptor<Req, ?> method, Req request, long requestId, SocketAddress remote,
      Deadline deadline, byte[] token, Optional<UserAccount> caller, boolean nodeFlag, ByteBuf attachment,
      long startNanos, long receivedBytes) {
    this.fromNode = nodeFlag && caller.map(UserAccount::admin).orElse(false);
    this.startNanos = startNanos;
    this.receivedBytes = receivedBytes;
    this.method = method;
    this.request = request;
    this.requestId = requestId;
    this.remote = remote;
    this.deadline = deadline;
    this.token = token;
    this.caller = caller;
    this.attachment = attachment;
  }

  @Override
  public Req request() {
    return request;
  }

  @Override
  public synchronized Optional<ByteBuf> attachment() {
    return Optional.ofNullable(attachment);
  }

  @Override
  public synchronized ByteBuf takeAttachment() {
    ByteBuf a = attachment;
    attachment = null;
    return a;
  }

  /** Called once the reply is decided: the layer's reference to the request bytes goes. */
  void releaseAttachment() {
    ByteBuf a = takeAttachment();
    if (a != null && a.refCnt() > 0) {
      a.release();
    }
  }

  @Override
  public MethodDescriptor<Req, ?> method() {
    return method;
  }

  @Override
  public long requestId() {
    return requestId;
  }

  @Override
  public SocketAddress remoteAddress() {
    return remote;
  }

  @Override
  public Deadline deadline() {
    return deadline;
  }

  @Override
  public byte[] authToken() {
    return token;
  }

  @Override
  public Optional<UserAccount> caller() {
    return caller;
  }

  @Override
  public boolean fromNode() {
    return fromNode;
  }

  @Override
  public synchronized boolean isCancelled() {
    return cancelled;
  }

  @Override
  public void onCancel(Runnable action) {
    synchronized (this) {
      if (!cancelled) {
        if (cancelActions == null) {
          cancelActions = new ArrayList<>(1);
        }
        cancelActions.add(action);
        return;
      }
    }
    runQuietly(action);
  }

  void cancel() {
    List<Runnable> actions;
    synchronized (this) {
      if (cancelled) {
        return;
      }
      cancelled = true;
      actions = cancelActions;
      cancelActions = null;
    }
    if (actions != null) {
      actions.forEach(ServerCallImpl::runQuietly);
    }
  }

  private static void runQuietly(Runnable r) {
    try {
      r.run();
    } catch (RuntimeException e) {
      LOG.warn("cancel action failed", e);
    }
  }
}
