package io.catena.rpc;

import com.google.protobuf.Message;
import io.catena.common.net.Address;
import java.util.concurrent.CompletableFuture;

/**
 * Calls methods on RPC servers, keeping a pool of {@code rpc.connections_per_address} connections per address,
 * connected lazily and reconnected on the next call after a failure. Thread-safe.
 *
 * <p>Failures complete the future exceptionally with a {@link io.catena.common.CatenaException}: the server's
 * status as sent (code, retryable flag, redirect); connect failure: retryable ECONNREFUSED; connection lost
 * mid-call: retryable ECONNRESET; deadline: retryable ETIMEDOUT; send backlog over
 * {@code rpc.max_outstanding_bytes_per_connection}: retryable ENOBUFS; client closed: ESHUTDOWN. Cancelling the
 * returned future sends a cancel frame to the server.
 *
 * <p>Futures complete on I/O threads: dependent stages must not block (use the {@code *Async} variants for
 * blocking work).
 */
public interface RpcClient extends AutoCloseable {

  /**
   * Sends one request.
   *
   * @param attachment raw bytes sent after the message, or null; ownership passes to the client
   */
  <Req extends Message, Resp extends Message> CompletableFuture<RpcResponse<Resp>> call(Address address,
      MethodDescriptor<Req, Resp> method, Req request, Attachment attachment, CallOptions options);

  default <Req extends Message, Resp extends Message> CompletableFuture<RpcResponse<Resp>> call(Address address,
      MethodDescriptor<Req, Resp> method, Req request) {
    return call(address, method, request, null, CallOptions.DEFAULT);
  }

  /** The transport actually in use (after any fallback). */
  String transportName();

  /** Closes every connection; pending calls fail with ESHUTDOWN. Idempotent. */
  @Override
  void close();
}
