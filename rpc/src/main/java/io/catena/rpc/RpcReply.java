package io.catena.rpc;

import com.google.protobuf.Message;
import java.util.Objects;

/**
 * What a handler answers: a message and optionally an attachment (buffer or file region, see {@link Attachment}).
 * Immutable; the attachment's ownership passes to the RPC layer when the handler's future completes.
 */
public record RpcReply<Resp extends Message>(Resp message, Attachment attachment) {

  public RpcReply {
    Objects.requireNonNull(message, "message");
  }

  public static <Resp extends Message> RpcReply<Resp> of(Resp message) {
    return new RpcReply<>(message, null);
  }

  public static <Resp extends Message> RpcReply<Resp> of(Resp message, Attachment attachment) {
    return new RpcReply<>(message, attachment);
  }
}
