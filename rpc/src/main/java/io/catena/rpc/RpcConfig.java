package io.catena.rpc;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/** The {@code rpc.*} configuration keys, read by every RPC server and client. Immutable constants. */
public final class RpcConfig {
  private RpcConfig() {}

  public static final Key<TransportKind> TRANSPORT = Key.enumeration("rpc.transport", TransportKind.class)
      .defaultValue("auto")
      .doc("Socket implementation: auto (epoll if available, else nio), nio, epoll or io_uring (falls back with a"
          + " log line when unavailable).");

  public static final Key<Integer> IO_THREADS = Key.integer("rpc.io_threads").defaultValue("0").range("0", "256")
      .doc("Netty event-loop threads per server and per client; 0 means one per CPU core.");

  public static final Key<Integer> WORKER_THREADS = Key.integer("rpc.worker_threads").defaultValue("16")
      .range("1", "4096")
      .doc("Threads running non-inline request handlers on a server (handlers never run on I/O threads unless"
          + " registered inline).");

  public static final Key<DataSize> MAX_FRAME_SIZE = Key.dataSize("rpc.max_frame_size").defaultValue("80MiB")
      .range("64KiB", "1GiB")
      .doc("Largest frame (auth token + message + attachment) accepted from a peer; a larger declared length closes"
          + " the connection before anything is allocated.");

  public static final Key<Duration> CONNECT_TIMEOUT = Key.duration("rpc.connect_timeout").defaultValue("3s")
      .min("10ms").doc("How long a client waits for a TCP connection before failing calls with ECONNREFUSED.");

  public static final Key<Duration> DEFAULT_TIMEOUT = Key.duration("rpc.default_timeout").defaultValue("30s")
      .min("1ms")
      .doc("Deadline of a call whose caller gave none; the server refuses work whose deadline has passed.");

  public static final Key<Integer> CONNECTIONS_PER_ADDRESS = Key.integer("rpc.connections_per_address")
      .defaultValue("1").range("1", "64")
      .doc("TCP connections a client keeps to each server address; calls are spread over them round-robin.");

  public static final Key<Integer> MAX_INFLIGHT_PER_CONNECTION = Key.integer("rpc.max_inflight_per_connection")
      .defaultValue("1024").range("1", "1000000")
      .doc("Requests a server runs at once for one connection; above it the server stops reading that socket"
          + " (TCP backpressure) until calls finish.");

  public static final Key<DataSize> MAX_OUTSTANDING_BYTES_PER_CONNECTION =
      Key.dataSize("rpc.max_outstanding_bytes_per_connection").defaultValue("256MiB").range("1MiB", "16GiB")
      .doc("Bytes a client may have queued but not yet written on one connection; a call beyond it fails at once"
          + " with a retryable ENOBUFS instead of growing the heap.");

  public static final Key<Duration> SHUTDOWN_GRACE = Key.duration("rpc.shutdown_grace").defaultValue("10s")
      .min("0s").doc("How long a stopping server lets in-flight calls finish before closing connections.");

  public static final Key<String> AUTH_TOKEN = Key.string("rpc.auth_token").defaultValue("").secret()
      .doc("Token a client sends with every request (empty: none, or the one in rpc.auth_token_file); servers"
          + " check it with their Authenticator. Prefer the file: environment variables and arguments leak.");

  public static final Key<String> AUTH_TOKEN_FILE = Key.string("rpc.auth_token_file").defaultValue("")
      .doc("File whose first line is the token to send when rpc.auth_token is empty (e.g. DATA/admin.token).");

  public static final Key<Duration> AUTH_CACHE_TTL = Key.duration("rpc.auth_cache_ttl").defaultValue("5s")
      .min("0s").doc("How long a server trusts its last answer about a token; a revoked token stops working"
          + " within this time. While mgmtd is unreachable a server keeps the last good answer.");

  public static final Key<String> CLIENT_BIND_ADDRESS = Key.string("rpc.client_bind_address").defaultValue("")
      .check(s -> s.isEmpty() || s.matches("[0-9A-Fa-f:.]+"), "empty or an IP address")
      .doc("Local IP address a client's connections leave from (empty: the system picks). The address servers see"
          + " as the caller, which export rules match; e.g. 127.0.0.2 to test a rule on one machine.");

  /** The local socket address for {@link #CLIENT_BIND_ADDRESS} (any port), or null to let the system pick. */
  public static java.net.InetSocketAddress clientBindAddress(io.catena.common.config.Config config) {
    String a = config.get(CLIENT_BIND_ADDRESS).strip();
    return a.isEmpty() ? null : new java.net.InetSocketAddress(a, 0);
  }

  public static final Key<Boolean> TCP_NODELAY = Key.bool("rpc.tcp_nodelay").defaultValue("true")
      .doc("Disable Nagle's algorithm; frames are already batched per event-loop turn.");
}
