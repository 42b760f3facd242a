package io.catena.rpc;

/** Which socket implementation the RPC layer uses ({@code rpc.transport}). */
public enum TransportKind {
  /** epoll when the native library loads, otherwise NIO. */
  AUTO,
  NIO,
  EPOLL,
  /** Netty 4.2's io_uring; falls back to epoll/NIO with a log line when the kernel or sandbox refuses it. */
  IO_URING
}
