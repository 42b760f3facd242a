package io.catena.mgmtd.server;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.mgmtd.DrainService;
import io.catena.mgmtd.rpc.DrainMethods;
import io.catena.rpc.RpcReply;
import io.catena.rpc.ServiceDefinition;
import java.util.concurrent.CompletableFuture;

/** {@link DrainService}'s methods on mgmtd's RPC service ({@link DrainMethods}). Stateless; thread-safe. */
final class DrainRpc {
  private DrainRpc() {}

  static void bind(ServiceDefinition.Builder b, DrainService s) {
    b.method(DrainMethods.DRAIN, call -> reply(() -> DrainMethods.toMsg(s.drain(call.request().getClusterId(),
        call.request().getTargetIdsList(), nodeOf(call.request())))));
    b.method(DrainMethods.CANCEL_DRAIN, call -> reply(() -> DrainMethods.toMsg(s.cancelDrain(
        call.request().getClusterId(), call.request().getTargetIdsList(), nodeOf(call.request())))));
    b.method(DrainMethods.DRAIN_STATUS, call -> reply(() -> DrainMethods.toMsg(s.drainStatus(
        call.request().getClusterId()))));
  }

  private static long nodeOf(io.catena.mgmtd.proto.DrainRequest r) {
    if (r.getNodeId() < 0) {
      throw CatenaException.of(Errno.EINVAL, "node id must not be negative: %d", r.getNodeId());
    }
    return r.getNodeId();
  }

  private static <R extends com.google.protobuf.Message> CompletableFuture<RpcReply<R>> reply(
      java.util.function.Supplier<R> body) {
    return CompletableFuture.completedFuture(RpcReply.of(body.get()));
  }
}
