package io.catena.rpc.netty;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Splits the byte stream into {@link Frame}s, checking magic, version and every declared length before waiting
 * for or allocating anything, so a hostile peer can cost at most one connection. One instance per channel; used
 * only on its event loop.
 *
 * <p>Uses the composite cumulator: a large attachment spread over many socket reads becomes a slice over those
 * read buffers instead of being merged (copied) into one contiguous buffer.
 */
final class FrameDecoder extends ByteToMessageDecoder {
  private static final Logger LOG = LoggerFactory.getLogger(FrameDecoder.class);

  private final long maxFrameSize;
  private boolean broken;

  FrameDecoder(long maxFrameSize) {
    this.maxFrameSize = maxFrameSize;
    setCumulator(COMPOSITE_CUMULATOR);
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (broken) {
      in.skipBytes(in.readableBytes());
      return;
    }
    if (in.readableBytes() < WireFormat.HEADER_SIZE) {
      return;
    }
    int r = in.readerIndex();
    int magic = in.getInt(r);
    if (magic != WireFormat.MAGIC) {
      fail(in, String.format("bad magic 0x%08x (expected 0x%08x)", magic, WireFormat.MAGIC));
    }
    int version = in.getUnsignedByte(r + 4);
    if (version != WireFormat.VERSION) {
      fail(in, "unsupported frame version " + version);
    }
    long tokenLen = in.getUnsignedInt(r + 24);
    long bodyLen = in.getUnsignedInt(r + 28);
    long attLen = in.getUnsignedInt(r + 32);
    if (tokenLen > WireFormat.MAX_TOKEN) {
      fail(in, "auth token length " + tokenLen + " exceeds " + WireFormat.MAX_TOKEN);
    }
    long payload = tokenLen + bodyLen + attLen;
    if (payload > maxFrameSize) {
      fail(in, "frame length " + payload + " (token " + tokenLen + ", body " + bodyLen + ", attachment " + attLen
          + ") exceeds rpc.max_frame_size " + maxFrameSize);
    }
    if (in.readableBytes() < WireFormat.HEADER_SIZE + payload) {
      return;
    }
    int flags = in.getUnsignedByte(r + 5);
    int status = in.getUnsignedShort(r + 6);
    long requestId = in.getLong(r + 8);
    int serviceId = in.getUnsignedShort(r + 16);
    int methodId = in.getUnsignedShort(r + 18);
    long timeout = in.getUnsignedInt(r + 20);
    in.skipBytes(WireFormat.HEADER_SIZE);
    byte[] token = EMPTY;
    if (tokenLen > 0) {
      token = new byte[(int) tokenLen];
      in.readBytes(token);
    }
    ByteBuf body = in.readRetainedSlice((int) bodyLen);
    ByteBuf att = attLen > 0 ? in.readRetainedSlice((int) attLen) : null;
    out.add(new Frame(flags, status, requestId, serviceId, methodId, timeout, token, body, att));
  }

  @Override
  protected void decodeLast(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) throws Exception {
    super.decodeLast(ctx, in, out);
    if (!broken && in.isReadable()) {
      LOG.warn("peer {} closed the connection in the middle of a frame ({} bytes of it received)",
          ctx.channel().remoteAddress(), in.readableBytes());
      in.skipBytes(in.readableBytes());
    }
  }

  private void fail(ByteBuf in, String why) {
    broken = true;
    in.skipBytes(in.readableBytes());
    throw new CorruptedFrameException(why);
  }

  private static final byte[] EMPTY = new byte[0];
}
