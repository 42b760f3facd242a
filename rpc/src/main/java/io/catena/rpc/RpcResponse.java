package io.catena.rpc;

import com.google.protobuf.Message;
import io.netty.buffer.ByteBuf;
import java.util.Optional;

/**
 * A successful call's result on the client: the response message and the received attachment, if any, as a
 * retained slice of the socket buffer (no copy). The caller owns the attachment and must {@link #close()} the
 * response (or release the buffer it took with {@link #takeAttachment()}). Not thread-safe.
 */
public final class RpcResponse<Resp extends Message> implements AutoCloseable {
  private final Resp message;
  private ByteBuf attachment;

  public RpcResponse(Resp message, ByteBuf attachment) {
    this.message = message;
    this.attachment = attachment;
  }

  public Resp message() {
    return message;
  }

  /** The attachment, still owned by this response. */
  public Optional<ByteBuf> attachment() {
    return Optional.ofNullable(attachment);
  }

  /** Moves ownership of the attachment to the caller (null when none or already taken). */
  public ByteBuf takeAttachment() {
    ByteBuf a = attachment;
    attachment = null;
    return a;
  }

  /** Releases the attachment, if still owned. Idempotent. */
  @Override
  public void close() {
    ByteBuf a = takeAttachment();
    if (a != null && a.refCnt() > 0) {
      a.release();
    }
  }
}
