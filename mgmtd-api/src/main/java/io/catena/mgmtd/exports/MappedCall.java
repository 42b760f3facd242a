package io.catena.mgmtd.exports;

import com.google.protobuf.Message;
import io.catena.common.cluster.UserAccount;
import io.catena.common.time.Deadline;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcCall;
import io.netty.buffer.ByteBuf;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * A call seen through an export rule: another request (e.g. its user field mapped) and another caller identity;
 * everything else is the original call's. Thread-safe as the call it wraps.
 */
public final class MappedCall<Req extends Message> implements RpcCall<Req> {
  private final RpcCall<Req> call;
  private final Req request;
  private final Optional<UserAccount> caller;

  public MappedCall(RpcCall<Req> call, Req request, Optional<UserAccount> caller) {
    this.call = call;
    this.request = request;
    this.caller = caller;
  }

  @Override
  public Req request() {
    return request;
  }

  @Override
  public Optional<UserAccount> caller() {
    return caller;
  }

  @Override
  public Optional<ByteBuf> attachment() {
    return call.attachment();
  }

  @Override
  public ByteBuf takeAttachment() {
    return call.takeAttachment();
  }

  @Override
  public MethodDescriptor<Req, ?> method() {
    return call.method();
  }

  @Override
  public long requestId() {
    return call.requestId();
  }

  @Override
  public SocketAddress remoteAddress() {
    return call.remoteAddress();
  }

  @Override
  public Deadline deadline() {
    return call.deadline();
  }

  @Override
  public byte[] authToken() {
    return call.authToken();
  }

  @Override
  public boolean fromNode() {
    return call.fromNode();
  }

  @Override
  public boolean isCancelled() {
    return call.isCancelled();
  }

  @Override
  public void onCancel(Runnable action) {
    call.onCancel(action);
  }
}
