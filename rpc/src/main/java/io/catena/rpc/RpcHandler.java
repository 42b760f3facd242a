package io.catena.rpc;

import com.google.protobuf.Message;
import java.util.concurrent.CompletableFuture;

/**
 * Serves one method. Asynchronous: return a future and complete it from any thread. A handler that throws or
 * completes exceptionally produces an error reply carrying {@code CatenaException.statusOf(error)} (EIO for
 * anything that is not a CatenaException); it never affects the connection. Implementations must be thread-safe.
 */
@FunctionalInterface
public interface RpcHandler<Req extends Message, Resp extends Message> {
  CompletableFuture<RpcReply<Resp>> handle(RpcCall<Req> call) throws Exception;
}
