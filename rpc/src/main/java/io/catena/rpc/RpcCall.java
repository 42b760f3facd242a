package io.catena.rpc;

import com.google.protobuf.Message;
import io.catena.common.cluster.UserAccount;
import io.catena.common.time.Deadline;
import io.netty.buffer.ByteBuf;
import java.net.SocketAddress;
import java.util.Optional;

/**
 * One request as a server handler sees it. Thread-safe: the handler may hand it to other threads; cancellation
 * may be signalled from an I/O thread at any time.
 *
 * <p>Attachment ownership: {@link #attachment()} lends the received bytes (a retained slice of the socket buffer,
 * never a copy) until the handler's future completes, after which the layer releases them. A handler that wants
 * to keep or forward them calls {@link #takeAttachment()} and becomes responsible for releasing them (passing them
 * on in a reply via {@link Attachment#of} does that).
 */
public interface RpcCall<Req extends Message> {

  Req request();

  /** The received attachment, borrowed; empty when the request carried none. */
  Optional<ByteBuf> attachment();

  /** Takes ownership of the received attachment (null when none, or already taken). */
  ByteBuf takeAttachment();

  MethodDescriptor<Req, ?> method();

  long requestId();

  SocketAddress remoteAddress();

  /** When the caller stops waiting: the server refuses to start a call past it. */
  Deadline deadline();

  /** The caller's auth token, empty when none was sent. Do not modify. */
  byte[] authToken();

  /** Whom the server's {@link Authenticator} found the token to belong to; empty on servers that check none. */
  Optional<UserAccount> caller();

  /**
   * True when the request says it comes from a server process of the cluster (storage forwarding, meta calling
   * storage) and its token is an admin's: server-to-server traffic, which client rules (exports) do not govern.
   * A client cannot claim it without an admin token, whose holder is trusted with the cluster anyway.
   */
  default boolean fromNode() {
    return false;
  }

  /** True once the caller cancelled the call, gave up on it, or its connection closed. */
  boolean isCancelled();

  /** Runs {@code action} once when the call is cancelled (at once, on this thread, if it already is). */
  void onCancel(Runnable action);
}
