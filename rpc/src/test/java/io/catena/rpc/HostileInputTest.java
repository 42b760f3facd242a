package io.catena.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.Errno;
import io.catena.common.net.Address;
import io.catena.rpc.netty.WireFormat;
import io.catena.rpc.test.EchoRequest;
import io.catena.rpc.test.EchoResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Speaks raw bytes at a server over a plain socket; after every abuse a fresh client must still get answers. */
class HostileInputTest {
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final CountDownLatch release = new CountDownLatch(1);
  private final AtomicInteger slowRuns = new AtomicInteger();
  private RpcServer server;
  private LogCapture log;

  @BeforeEach
  void start() {
    log = new LogCapture();
    server = Rpc.server(TestServices.config(java.util.Map.of("rpc.worker_threads", "1")),
        Address.tcp("127.0.0.1", 0), List.of(TestServices.service(call -> {
          slowRuns.incrementAndGet();
          if (call.request().getText().equals("block")) {
            release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
          }
          return CompletableFuture.completedFuture(RpcReply.of(EchoResponse.newBuilder().setText("slow").build()));
        })));
  }

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    server.shutdown(Duration.ZERO).get(10, TimeUnit.SECONDS);
    log.close();
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), server.port());
    s.setSoTimeout((int) WAIT.toMillis());
    return s;
  }

  /** A well-formed request frame with the given parts. */
  private static byte[] frame(long id, int service, int method, long timeoutMs, byte[] body, long declaredAttLen,
      int actualAttBytes) {
    ByteBuf b = Unpooled.buffer();
    b.writeInt(WireFormat.MAGIC).writeByte(WireFormat.VERSION).writeByte(0).writeShort(0).writeLong(id)
        .writeShort(service).writeShort(method).writeInt((int) timeoutMs).writeInt(0).writeInt(body.length)
        .writeInt((int) declaredAttLen).writeBytes(body).writeZero(actualAttBytes);
    return TestServices.bytes(b);
  }

  private record Reply(int flags, int status, long id) {}

  private static Reply readReply(InputStream in) throws IOException {
    DataInputStream d = new DataInputStream(in);
    byte[] h = new byte[WireFormat.HEADER_SIZE];
    d.readFully(h);
    ByteBuf b = Unpooled.wrappedBuffer(h);
    assertEquals(WireFormat.MAGIC, b.getInt(0));
    long rest = b.getUnsignedInt(24) + b.getUnsignedInt(28) + b.getUnsignedInt(32);
    d.skipNBytes(rest);
    return new Reply(b.getUnsignedByte(5), b.getUnsignedShort(6), b.getLong(8));
  }

  /** The server closed the socket: read hits EOF (or a reset). */
  private static void assertClosedByServer(Socket s) throws IOException {
    try {
      int r = s.getInputStream().read();
      assertEquals(-1, r, "expected the server to close the connection");
    } catch (SocketException reset) {
      // a reset is a close too
    }
  }

  private void assertServerStillServes() throws Exception {
    try (RpcClient c = Rpc.client(TestServices.config())) {
      EchoResponse r = c.call(server.boundAddress(), TestServices.ECHO,
          EchoRequest.newBuilder().setText("alive").build()).get(WAIT.toSeconds(), TimeUnit.SECONDS).message();
      assertEquals("alive", r.getText());
    }
  }

  private static String peerOf(Socket s) {
    return ":" + s.getLocalPort();
  }

  @Test
  void wrongMagic_closesThatConnectionOnly() throws Exception {
    try (Socket other = connect(); Socket s = connect()) {
      byte[] f = frame(1, 7, 1, 0, new byte[0], 0, 0);
      f[0] = 'G';
      f[1] = 'E';
      s.getOutputStream().write(f);
      assertClosedByServer(s);
      log.await(l -> l.contains("bad magic") && l.contains(peerOf(s)), WAIT);
      OutputStream o = other.getOutputStream();
      o.write(frame(5, 0, 1, 0, new byte[0], 0, 0));
      assertEquals(new Reply(WireFormat.FLAG_RESPONSE, 0, 5), readReply(other.getInputStream()));
    }
    assertServerStillServes();
  }

  @Test
  void absurdLength_closesBeforeAllocating() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(frame(1, 7, 1, 0, new byte[0], 1L << 31, 0));
      assertClosedByServer(s);
      log.await(l -> l.contains("exceeds rpc.max_frame_size") && l.contains(peerOf(s)), WAIT);
    }
    assertServerStillServes();
  }

  @Test
  void truncatedFrameThenClose_isLoggedAndForgotten() throws Exception {
    String peer;
    try (Socket s = connect()) {
      peer = peerOf(s);
      byte[] f = frame(1, 7, 1, 0, EchoRequest.newBuilder().setText("cut").build().toByteArray(), 1000, 1000);
      s.getOutputStream().write(f, 0, f.length - 600);
      s.getOutputStream().flush();
    }
    log.await(l -> l.contains("in the middle of a frame") && l.contains(peer), WAIT);
    assertServerStillServes();
  }

  @Test
  void garbageProtobufBody_getsEbadmsg_andTheConnectionStaysUsable() throws Exception {
    try (Socket s = connect()) {
      byte[] garbage = {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x0F, 0x01, 0x02};
      s.getOutputStream().write(frame(9, 7, 1, 0, garbage, 0, 0));
      Reply r = readReply(s.getInputStream());
      assertEquals(9, r.id());
      assertEquals(Errno.EBADMSG.code(), r.status());
      log.await(l -> l.contains("does not parse") && l.contains(peerOf(s)), WAIT);
      s.getOutputStream().write(frame(10, 0, 1, 0, new byte[0], 0, 0));
      assertEquals(new Reply(WireFormat.FLAG_RESPONSE, 0, 10), readReply(s.getInputStream()));
    }
    assertServerStillServes();
  }

  @Test
  void unknownMethod_getsEnosysReply() throws Exception {
    try (Socket s = connect()) {
      s.getOutputStream().write(frame(11, 4242, 17, 0, new byte[0], 0, 0));
      Reply r = readReply(s.getInputStream());
      assertEquals(11, r.id());
      assertEquals(Errno.ENOSYS.code(), r.status());
      log.await(l -> l.contains("unknown method 4242/17") && l.contains(peerOf(s)), WAIT);
    }
    assertServerStillServes();
  }

  @Test
  void requestWhoseDeadlinePassedWhileQueued_isRefusedWithEtimedout() throws Exception {
    try (Socket s = connect()) {
      OutputStream o = s.getOutputStream();
      // The single worker is held by "block"; the 1 ms request expires in the queue behind it.
      o.write(frame(20, 7, 3, 0, EchoRequest.newBuilder().setText("block").build().toByteArray(), 0, 0));
      o.write(frame(21, 7, 3, 1, EchoRequest.newBuilder().setText("late").build().toByteArray(), 0, 0));
      // A request on the I/O thread proves both were dispatched before we let the worker go.
      o.write(frame(22, 0, 1, 0, new byte[0], 0, 0));
      assertEquals(22, readReply(s.getInputStream()).id());
      // Waiting out the 1 ms deadline needs real time to pass; the server measures it on the system clock.
      long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
      while (System.nanoTime() < until) {
        Thread.onSpinWait();
      }
      release.countDown();
      Reply first = readReply(s.getInputStream());
      Reply second = readReply(s.getInputStream());
      assertEquals(20, first.id());
      assertEquals(0, first.status());
      assertEquals(21, second.id());
      assertEquals(Errno.ETIMEDOUT.code(), second.status());
      assertTrue((second.flags() & WireFormat.FLAG_RETRYABLE) != 0);
      assertEquals(1, slowRuns.get(), "the expired request must not reach the handler");
    }
  }

  @Test
  void peerClosingAbruptly_midStream_doesNotDisturbOthers() throws Exception {
    for (int i = 0; i < 20; i++) {
      try (Socket s = connect()) {
        s.setSoLinger(true, 0);
        s.getOutputStream().write(frame(i, 7, 1, 0, new byte[0], 5000, 100));
      } catch (EOFException ignored) {
        // fine
      }
    }
    assertServerStillServes();
  }
}
