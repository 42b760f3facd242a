package io.catena.rpc.netty;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufInputStream;
import java.io.IOException;

/**
 * The Catena RPC frame. Every frame is a fixed 36-byte header followed by three variable parts; all integers are
 * big-endian, lengths are unsigned 32-bit and validated against {@code rpc.max_frame_size} before anything is
 * allocated.
 *
 * <pre>
 * offset size field
 *  0     4    magic 0x43544E41 ("CTNA"): a peer speaking anything else is cut off at the first frame
 *  4     1    version (1)
 *  5     1    flags: 0x01 RESPONSE, 0x02 CANCEL (request id names the call to drop), 0x04 RETRYABLE (responses),
 *              0x08 NODE (requests sent by a server process: trusted only with an admin token, see RpcCall#fromNode)
 *  6     2    status: Linux errno of a response, 0 = OK; 0 in requests
 *  8     8    request id, chosen by the client, unique per connection while the call is open
 * 16     2    service id
 * 18     2    method id
 * 20     4    timeout in milliseconds, relative (so clocks need not agree); 0 = none; 0 in responses
 * 24     4    auth token length T (requests; at most 64 KiB)
 * 28     4    body length B: the protobuf message; for an error response an {@code ErrorDetail}
 * 32     4    attachment length A: raw bytes, handed to the receiver as a slice of the socket buffer
 * 36     T+B+A  token, body, attachment
 * </pre>
 *
 * Stateless.
 */
public final class WireFormat {
  private WireFormat() {}

  public static final int MAGIC = 0x43544E41;
  public static final int VERSION = 1;
  public static final int HEADER_SIZE = 36;
  public static final int MAX_TOKEN = 64 * 1024;

  public static final int FLAG_RESPONSE = 0x01;
  public static final int FLAG_CANCEL = 0x02;
  public static final int FLAG_RETRYABLE = 0x04;
  public static final int FLAG_NODE = 0x08;

  /**
   * Allocates one buffer holding header, token and body; the attachment (of {@code attachmentLength} bytes) is
   * written after it by the caller, so large data never gets copied into the frame.
   */
  public static ByteBuf encodeHead(ByteBufAllocator alloc, int flags, int status, long requestId, int serviceId,
      int methodId, long timeoutMillis, byte[] token, Message body, long attachmentLength) {
    int tokenLen = token == null ? 0 : token.length;
    int bodyLen = body == null ? 0 : body.getSerializedSize();
    ByteBuf buf = alloc.directBuffer(HEADER_SIZE + tokenLen + bodyLen);
    try {
      buf.writeInt(MAGIC);
      buf.writeByte(VERSION);
      buf.writeByte(flags);
      buf.writeShort(status);
      buf.writeLong(requestId);
      buf.writeShort(serviceId);
      buf.writeShort(methodId);
      buf.writeInt((int) Math.min(Math.max(timeoutMillis, 0), 0xFFFF_FFFFL));
      buf.writeInt(tokenLen);
      buf.writeInt(bodyLen);
      buf.writeInt((int) attachmentLength);
      if (tokenLen > 0) {
        buf.writeBytes(token);
      }
      if (bodyLen > 0) {
        int at = buf.writerIndex();
        CodedOutputStream out = CodedOutputStream.newInstance(buf.nioBuffer(at, bodyLen));
        body.writeTo(out);
        out.checkNoSpaceLeft();
        buf.writerIndex(at + bodyLen);
      }
      return buf;
    } catch (IOException | RuntimeException e) {
      buf.release();
      throw e instanceof RuntimeException re ? re : new IllegalStateException(e);
    }
  }

  /** Parses a protobuf from a buffer without copying it to the heap when it is contiguous. */
  public static <T> T parse(Parser<T> parser, ByteBuf body) throws IOException {
    if (body.nioBufferCount() == 1) {
      return parser.parseFrom(body.nioBuffer());
    }
    try (ByteBufInputStream in = new ByteBufInputStream(body.duplicate())) {
      return parser.parseFrom(in);
    }
  }
}
