package io.catena.rpc.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.catena.rpc.proto.PingRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.CorruptedFrameException;
import org.junit.jupiter.api.Test;

class FrameDecoderTest {

  private static ByteBuf frame(long id, byte[] token, PingRequest body, byte[] attachment) {
    ByteBuf head = WireFormat.encodeHead(ByteBufAllocator.DEFAULT, 0, 0, id, 7, 3, 1234, token, body,
        attachment.length);
    return Unpooled.wrappedBuffer(head, Unpooled.wrappedBuffer(attachment));
  }

  @Test
  void frameFedOneByteAtATime_decodesExactlyOnce() throws Exception {
    PingRequest body = PingRequest.newBuilder().setPayload(com.google.protobuf.ByteString.copyFromUtf8("b")).build();
    byte[] att = {1, 2, 3, 4, 5};
    ByteBuf wire = frame(42, "tok".getBytes(), body, att);
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 20));
    while (wire.isReadable()) {
      ch.writeInbound(wire.readRetainedSlice(1));
    }
    wire.release();
    Frame f = ch.readInbound();
    assertEquals(42, f.requestId);
    assertEquals(7, f.serviceId);
    assertEquals(3, f.methodId);
    assertEquals(1234, f.timeoutMillis);
    assertEquals("tok", new String(f.token));
    assertEquals(body, WireFormat.parse(PingRequest.parser(), f.body));
    byte[] got = new byte[5];
    f.attachment.getBytes(f.attachment.readerIndex(), got);
    assertEquals(java.util.Arrays.toString(att), java.util.Arrays.toString(got));
    f.release();
    assertNull(ch.readInbound());
    assertFalse(ch.finish());
  }

  @Test
  void attachment_isAViewOfTheReceivedBytes_notACopy() {
    byte[] att = new byte[4096];
    ByteBuf wire = Unpooled.copiedBuffer(frame(1, null, PingRequest.getDefaultInstance(), att));
    int attOffset = wire.readableBytes() - att.length;
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 20));
    wire.retain();
    ch.writeInbound(wire);
    Frame f = ch.readInbound();
    wire.setByte(attOffset + 100, 77);
    assertEquals(77, f.attachment.getByte(f.attachment.readerIndex() + 100),
        "a write to the socket buffer must show through the attachment");
    f.release();
    wire.release();
    ch.finishAndReleaseAll();
  }

  @Test
  void declaredLengthOverTheLimit_failsBeforeThePayloadArrives() {
    ByteBuf head = WireFormat.encodeHead(ByteBufAllocator.DEFAULT, 0, 0, 1, 7, 3, 0, null, null, 0);
    head.setInt(32, 1 << 30);
    EmbeddedChannel ch = new EmbeddedChannel(new FrameDecoder(1 << 20));
    CorruptedFrameException e = assertThrows(CorruptedFrameException.class, () -> ch.writeInbound(head));
    assertEquals(true, e.getMessage().contains("exceeds rpc.max_frame_size"), e.getMessage());
    ch.finishAndReleaseAll();
  }
}
