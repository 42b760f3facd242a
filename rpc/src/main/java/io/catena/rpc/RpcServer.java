package io.catena.rpc;

import io.catena.common.net.Address;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;

/**
 * A running RPC server bound to one address. Every server also answers {@link BuiltinService} (service id 0).
 * Thread-safe.
 */
public interface RpcServer extends AutoCloseable {

  /** The bound address; with port 0 at construction this carries the port the kernel chose. */
  Address boundAddress();

  default int port() {
    return boundAddress().port();
  }

  /** The transport actually in use (after any fallback), e.g. "epoll". */
  String transportName();

  /**
   * What {@code catena status} shows as this process's role, asked at each server-info call (e.g. whether a mgmtd is
   * primary). Must be cheap and thread-safe.
   */
  void describeRole(java.util.function.Supplier<String> role);

  /** Requests currently being served across all connections. */
  long inflightCalls();

  /**
   * Stops accepting connections, answers new requests on open connections with a retryable ESHUTDOWN, lets
   * in-flight calls finish for up to {@code grace}, then closes every connection and releases threads.
   * Idempotent; the future completes when everything is closed.
   */
  CompletableFuture<Void> shutdown(Duration grace);

  /** {@link #shutdown} with {@code rpc.shutdown_grace}, waiting for it. */
  @Override
  void close();
}
