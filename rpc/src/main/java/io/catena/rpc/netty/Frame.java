package io.catena.rpc.netty;

import io.netty.buffer.ByteBuf;

/**
 * One decoded inbound frame (see {@link WireFormat}). Body and attachment are retained slices of the socket
 * buffer; whoever consumes the frame releases them. Not thread-safe.
 */
final class Frame {
  final int flags;
  final int status;
  final long requestId;
  final int serviceId;
  final int methodId;
  final long timeoutMillis;
  final byte[] token;
  ByteBuf body;
  ByteBuf attachment;

  Frame(int flags, int status, long requestId, int serviceId, int methodId, long timeoutMillis, byte[] token,
      ByteBuf body, ByteBuf attachment) {
    this.flags = flags;
    this.status = status;
    this.requestId = requestId;
    this.serviceId = serviceId;
    this.methodId = methodId;
    this.timeoutMillis = timeoutMillis;
    this.token = token;
    this.body = body;
    this.attachment = attachment;
  }

  boolean isResponse() {
    return (flags & WireFormat.FLAG_RESPONSE) != 0;
  }

  boolean isCancel() {
    return (flags & WireFormat.FLAG_CANCEL) != 0;
  }

  boolean isRetryable() {
    return (flags & WireFormat.FLAG_RETRYABLE) != 0;
  }

  /** Bytes of body and attachment (what metrics count as received), while neither is released. */
  long payloadBytes() {
    return (body == null ? 0 : body.readableBytes()) + (attachment == null ? 0 : attachment.readableBytes());
  }

  /** Moves the attachment out; the frame no longer releases it. */
  ByteBuf takeAttachment() {
    ByteBuf a = attachment;
    attachment = null;
    return a;
  }

  void releaseBody() {
    if (body != null) {
      body.release();
      body = null;
    }
  }

  void release() {
    releaseBody();
    if (attachment != null) {
      attachment.release();
      attachment = null;
    }
  }
}
