package io.catena.rpc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.net.Address;
import io.catena.rpc.proto.PingRequest;
import io.catena.rpc.proto.PingResponse;
import io.catena.rpc.proto.ServerInfoRequest;
import io.catena.rpc.test.EchoRequest;
import io.catena.rpc.test.EchoResponse;
import io.catena.rpc.test.FailRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.net.ServerSocket;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

class RpcEndToEndTest {
  private static final Address LOOPBACK = Address.tcp("127.0.0.1", 0);
  private static final Duration WAIT = Duration.ofSeconds(10);

  private final List<AutoCloseable> closeables = new ArrayList<>();
  /** What the Slow method does in the current test. */
  private volatile RpcHandler<EchoRequest, EchoResponse> slow =
      call -> CompletableFuture.completedFuture(RpcReply.of(EchoResponse.getDefaultInstance()));

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
  }

  private RpcServer server(Map<String, String> conf) {
    return server(conf, LOOPBACK, Authenticator.ACCEPT_ALL);
  }

  private RpcServer server(Map<String, String> conf, Address bind, Authenticator auth) {
    RpcServer s = Rpc.server(TestServices.config(conf), bind,
        List.of(TestServices.service(call -> slow.handle(call))), auth);
    closeables.add(() -> s.shutdown(Duration.ZERO).get(10, TimeUnit.SECONDS));
    return s;
  }

  private RpcClient client(Map<String, String> conf) {
    RpcClient c = Rpc.client(TestServices.config(conf));
    closeables.add(c);
    return c;
  }

  private static <T> T await(CompletableFuture<T> f) throws Exception {
    return f.get(WAIT.toSeconds(), TimeUnit.SECONDS);
  }

  private static Status failure(CompletableFuture<?> f) {
    ExecutionException e = assertThrows(ExecutionException.class, () -> f.get(WAIT.toSeconds(), TimeUnit.SECONDS));
    return assertInstanceOf(CatenaException.class, e.getCause(), "cause: " + e.getCause()).status();
  }

  private static EchoRequest text(String t) {
    return EchoRequest.newBuilder().setText(t).build();
  }

  @Test
  void twoServicesWithOneId_areRefusedAtStart_namingBoth() {
    ServiceDefinition other = ServiceDefinition.builder("test.Other", TestServices.SERVICE)
        .method(new MethodDescriptor<>(TestServices.SERVICE, 99, "test.Other/Echo", EchoRequest.parser(),
            EchoResponse.parser()), TestServices::echo)
        .build();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Rpc.server(
        TestServices.config(Map.of()), LOOPBACK, List.of(TestServices.service(slow::handle), other),
        Authenticator.ACCEPT_ALL));
    assertTrue(e.getMessage().contains("test.Echo") && e.getMessage().contains("test.Other"), e.getMessage());
  }

  @Test
  void ping_answersOnEveryServer() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    PingRequest req = PingRequest.newBuilder().setPayload(com.google.protobuf.ByteString.copyFromUtf8("hi")).build();
    try (RpcResponse<PingResponse> r = await(c.call(s.boundAddress(), BuiltinService.PING, req))) {
      assertEquals("hi", r.message().getPayload().toStringUtf8());
      assertTrue(r.attachment().isEmpty());
    }
    var info = await(c.call(s.boundAddress(), BuiltinService.SERVER_INFO, ServerInfoRequest.getDefaultInstance()));
    assertEquals(s.transportName(), info.message().getTransport());
    assertEquals(1, info.message().getOpenConnections());
  }

  @ParameterizedTest
  @ValueSource(ints = {0, 1, 1000, 65536, 1 << 20, (1 << 20) + 17})
  void echo_attachmentBytesSurviveTheRoundTrip(int size) throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    byte[] data = TestServices.pattern(size, size);
    for (var method : List.of(TestServices.ECHO, TestServices.INLINE_ECHO)) {
      try (RpcResponse<EchoResponse> r = await(c.call(s.boundAddress(), method, text("x" + size),
          Attachment.wrap(data), CallOptions.DEFAULT))) {
        assertEquals("x" + size, r.message().getText());
        assertEquals(size, r.message().getAttachmentSize());
        if (size == 0) {
          assertTrue(r.attachment().isEmpty(), "an empty attachment arrives as none");
        } else {
          assertArrayEquals(data, TestServices.bytes(r.attachment().orElseThrow()));
          assertEquals(TestServices.checksum(Unpooled.wrappedBuffer(data)), r.message().getAttachmentChecksum());
        }
      }
    }
  }

  @Test
  void echo_withoutAttachment_and_largeServerAttachment() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    try (var r = await(c.call(s.boundAddress(), TestServices.ECHO, text("plain")))) {
      assertEquals("plain", r.message().getText());
      assertTrue(r.attachment().isEmpty());
    }
    int size = 1 << 20;
    EchoRequest req = EchoRequest.newBuilder().setText("big").setReplyAttachmentSize(size).build();
    try (var r = await(c.call(s.boundAddress(), TestServices.ECHO, req))) {
      assertArrayEquals(TestServices.pattern(size, 3), TestServices.bytes(r.attachment().orElseThrow()));
    }
  }

  @Test
  void fileRegionReply_sendsTheFileBytes(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("chunk");
    byte[] content = TestServices.pattern(3 << 20, 9);
    Files.write(file, content);
    FileChannel fc = FileChannel.open(file, StandardOpenOption.READ);
    closeables.add(fc);
    slow = call -> CompletableFuture.completedFuture(RpcReply.of(EchoResponse.newBuilder().setText("file").build(),
        Attachment.ofFile(fc, 1000, 2 << 20)));
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    for (int i = 0; i < 3; i++) {
      try (var r = await(c.call(s.boundAddress(), TestServices.SLOW, text("f")))) {
        byte[] got = TestServices.bytes(r.attachment().orElseThrow());
        assertArrayEquals(java.util.Arrays.copyOfRange(content, 1000, 1000 + (2 << 20)), got);
      }
    }
    assertTrue(fc.isOpen(), "the layer must not close the caller's file");
  }

  @Test
  void manyConcurrentCallers_allGetTheirOwnAnswers() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of("rpc.connections_per_address", "3"));
    int callers = 32;
    int perCaller = 100;
    List<CompletableFuture<Void>> loops = new ArrayList<>();
    var threads = java.util.concurrent.Executors.newFixedThreadPool(callers);
    closeables.add(threads::shutdownNow);
    for (int t = 0; t < callers; t++) {
      int caller = t;
      loops.add(CompletableFuture.runAsync(() -> {
        for (int i = 0; i < perCaller; i++) {
          String txt = caller + ":" + i;
          byte[] att = TestServices.pattern(i * 37 % 5000, caller);
          var method = i % 2 == 0 ? TestServices.ECHO : TestServices.INLINE_ECHO;
          try (var r = c.call(s.boundAddress(), method, text(txt), Attachment.wrap(att), CallOptions.DEFAULT)
              .join()) {
            assertEquals(txt, r.message().getText());
            if (att.length > 0) {
              assertArrayEquals(att, TestServices.bytes(r.attachment().orElseThrow()));
            }
          }
        }
      }, threads));
    }
    await(CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)));
  }

  @Test
  void errorStatus_codeRetryableAndRedirectArriveAsSent() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    Status st = failure(c.call(s.boundAddress(), TestServices.FAIL,
        FailRequest.newBuilder().setErrno(Errno.ENOENT.code()).setMessage("no such file /a").build()));
    assertEquals(Errno.ENOENT, st.code());
    assertEquals("no such file /a", st.message());
    assertFalse(st.retryable());
    assertTrue(st.redirect().isEmpty());

    st = failure(c.call(s.boundAddress(), TestServices.FAIL, FailRequest.newBuilder()
        .setErrno(Errno.EAGAIN.code()).setRetryable(true).setMessage("stale").build()));
    assertEquals(Errno.EAGAIN, st.code());
    assertTrue(st.retryable());

    st = failure(c.call(s.boundAddress(), TestServices.FAIL, FailRequest.newBuilder()
        .setRedirectNode(2).setRedirectAddress("tcp://10.0.0.2:9000").build()));
    assertTrue(st.retryable());
    assertEquals(new Status.Redirect(2, "tcp://10.0.0.2:9000"), st.redirect().orElseThrow());
  }

  @Test
  void handlerException_becomesEio_andTheConnectionKeepsWorking() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    try (LogCapture log = new LogCapture()) {
      Status st = failure(c.call(s.boundAddress(), TestServices.FAIL,
          FailRequest.newBuilder().setThrowRuntime(true).setMessage("boom").build()));
      assertEquals(Errno.EIO, st.code());
      assertTrue(st.message().contains("boom"), st.message());
      log.await(l -> l.contains("handler of test.Echo/Fail failed"), WAIT);
    }
    assertEquals("still", await(c.call(s.boundAddress(), TestServices.ECHO, text("still"))).message().getText());
    var info = await(c.call(s.boundAddress(), BuiltinService.SERVER_INFO, ServerInfoRequest.getDefaultInstance()));
    assertEquals(1, info.message().getOpenConnections(), "the same connection served both calls");
  }

  @Test
  void unknownMethod_getsEnosys() throws Exception {
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    assertEquals(Errno.ENOSYS, failure(c.call(s.boundAddress(), TestServices.MISSING, text("?"))).code());
    assertEquals("ok", await(c.call(s.boundAddress(), TestServices.ECHO, text("ok"))).message().getText());
  }

  @Test
  void authenticator_rejectsBadTokensWithEacces() throws Exception {
    Authenticator auth = (token, peer, method) -> new String(token, java.nio.charset.StandardCharsets.UTF_8)
        .equals("s3cret") ? CompletableFuture.completedFuture(java.util.Optional.empty())
        : CompletableFuture.failedFuture(CatenaException.of(Errno.EACCES, "bad token"));
    RpcServer s = server(Map.of(), LOOPBACK, auth);
    RpcClient anonymous = client(Map.of());
    assertEquals(Errno.EACCES, failure(anonymous.call(s.boundAddress(), TestServices.ECHO, text("a"))).code());
    RpcClient good = client(Map.of("rpc.auth_token", "s3cret"));
    assertEquals("a", await(good.call(s.boundAddress(), TestServices.ECHO, text("a"))).message().getText());
  }

  @Test
  void deadline_expiresWithRetryableEtimedout_andQueuedWorkIsNeverRun() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch started = new CountDownLatch(1);
    AtomicInteger runs = new AtomicInteger();
    slow = call -> {
      runs.incrementAndGet();
      if (call.request().getText().equals("blocker")) {
        started.countDown();
        release.await(WAIT.toSeconds(), TimeUnit.SECONDS);
      }
      return CompletableFuture.completedFuture(RpcReply.of(EchoResponse.getDefaultInstance()));
    };
    RpcServer s = server(Map.of("rpc.worker_threads", "1"));
    RpcClient c = client(Map.of());
    var blocker = c.call(s.boundAddress(), TestServices.SLOW, text("blocker"));
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    var late = c.call(s.boundAddress(), TestServices.SLOW, text("late"), null,
        CallOptions.timeout(Duration.ofMillis(150)));
    Status st = failure(late);
    assertEquals(Errno.ETIMEDOUT, st.code());
    assertTrue(st.retryable());
    release.countDown();
    await(blocker);
    // One more call through the single worker proves the expired one was dequeued before it.
    await(c.call(s.boundAddress(), TestServices.SLOW, text("after")));
    assertEquals(2, runs.get(), "the expired call must not have run");
  }

  @Test
  void cancellation_reachesTheRunningHandler() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch cancelSeen = new CountDownLatch(1);
    slow = call -> {
      CompletableFuture<RpcReply<EchoResponse>> never = new CompletableFuture<>();
      call.onCancel(() -> {
        cancelSeen.countDown();
        never.completeExceptionally(new CancellationException());
      });
      started.countDown();
      return never;
    };
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    var f = c.call(s.boundAddress(), TestServices.SLOW, text("cancel me"));
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    assertTrue(f.cancel(true));
    assertTrue(cancelSeen.await(WAIT.toSeconds(), TimeUnit.SECONDS), "server never observed the cancel");
    assertTrue(f.isCancelled());
    assertEquals("next", await(c.call(s.boundAddress(), TestServices.ECHO, text("next"))).message().getText());
  }

  @Test
  void serverRestart_clientReconnects() throws Exception {
    RpcServer first = server(Map.of());
    Address addr = first.boundAddress();
    RpcClient c = client(Map.of());
    assertEquals("1", await(c.call(addr, TestServices.ECHO, text("1"))).message().getText());
    first.shutdown(Duration.ZERO).get(10, TimeUnit.SECONDS);
    Status down = failure(c.call(addr, TestServices.ECHO, text("2")));
    assertTrue(down.retryable(), down.toString());
    assertTrue(down.code() == Errno.ECONNREFUSED || down.code() == Errno.ECONNRESET, down.toString());
    RpcServer second = server(Map.of(), addr, Authenticator.ACCEPT_ALL);
    assertEquals(addr, second.boundAddress());
    assertEquals("3", await(c.call(addr, TestServices.ECHO, text("3"))).message().getText());
  }

  @Test
  void bindingAPortInUse_failsWithEaddrinuse() {
    RpcServer s = server(Map.of());
    CatenaException e = assertThrows(CatenaException.class,
        () -> server(Map.of(), s.boundAddress(), Authenticator.ACCEPT_ALL));
    assertEquals(Errno.EADDRINUSE, e.errno(), e.toString());
  }

  @Test
  void connectionRefused_isRetryableEconnrefused() throws Exception {
    int port;
    try (ServerSocket ss = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = ss.getLocalPort();
    }
    RpcClient c = client(Map.of());
    Status st = failure(c.call(Address.tcp("127.0.0.1", port), TestServices.ECHO, text("x")));
    assertEquals(Errno.ECONNREFUSED, st.code());
    assertTrue(st.retryable());
  }

  @Test
  void gracefulShutdown_letsTheInflightCallFinish_andRefusesNewConnections() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CompletableFuture<RpcReply<EchoResponse>> reply = new CompletableFuture<>();
    slow = call -> {
      started.countDown();
      return reply;
    };
    RpcServer s = server(Map.of());
    RpcClient c = client(Map.of());
    var f = c.call(s.boundAddress(), TestServices.SLOW, text("finish me"));
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    CompletableFuture<Void> stopped = s.shutdown(Duration.ofSeconds(20));
    assertFalse(stopped.isDone());
    RpcClient other = client(Map.of());
    Status st = failure(other.call(s.boundAddress(), TestServices.ECHO, text("new")));
    assertTrue(st.retryable(), st.toString());
    reply.complete(RpcReply.of(EchoResponse.newBuilder().setText("finished").build()));
    assertEquals("finished", await(f).message().getText());
    stopped.get(10, TimeUnit.SECONDS);
  }

  @Test
  void clientClose_failsPendingCallsWithEshutdown() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    slow = call -> {
      started.countDown();
      return new CompletableFuture<>();
    };
    RpcServer s = server(Map.of());
    RpcClient c = Rpc.client(TestServices.config());
    var f = c.call(s.boundAddress(), TestServices.SLOW, text("pending"));
    assertTrue(started.await(WAIT.toSeconds(), TimeUnit.SECONDS));
    c.close();
    assertEquals(Errno.ESHUTDOWN, failure(f).code());
    assertEquals(Errno.ESHUTDOWN, failure(c.call(s.boundAddress(), TestServices.ECHO, text("x"))).code());
  }

  @Test
  void backpressure_slowServerKeepsInflightBounded_andClientSheddsWithEnobufs() throws Exception {
    int cap = 4;
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    slow = call -> {
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        release.await(30, TimeUnit.SECONDS);
      } finally {
        running.decrementAndGet();
      }
      return CompletableFuture.completedFuture(RpcReply.of(EchoResponse.getDefaultInstance()));
    };
    RpcServer s = server(Map.of("rpc.max_inflight_per_connection", String.valueOf(cap),
        "rpc.worker_threads", "16"));
    RpcClient c = client(Map.of("rpc.max_outstanding_bytes_per_connection", "2MiB"));
    ByteBuf shared = Unpooled.unreleasableBuffer(Unpooled.directBuffer(64 * 1024).writeZero(64 * 1024));
    await(c.call(s.boundAddress(), TestServices.ECHO, text("connect first")));
    List<CompletableFuture<RpcResponse<EchoResponse>>> calls = new ArrayList<>();
    AtomicLong serverMax = new AtomicLong();
    for (int i = 0; i < 3000; i++) {
      calls.add(c.call(s.boundAddress(), TestServices.SLOW, text("flood"), Attachment.of(shared.duplicate()),
          CallOptions.timeout(Duration.ofSeconds(60))));
      serverMax.accumulateAndGet(s.inflightCalls(), Math::max);
    }
    assertTrue(serverMax.get() <= cap, "server ran " + serverMax.get() + " calls at once, cap " + cap);
    release.countDown();
    int enobufs = 0;
    for (var f : calls) {
      if (f.isCompletedExceptionally()) {
        Status st = failure(f);
        assertEquals(Errno.ENOBUFS, st.code(), st.toString());
        assertTrue(st.retryable());
        enobufs++;
      } else {
        await(f).close();
      }
    }
    assertTrue(enobufs > 0, "192 MiB of requests against a stalled server must be shed");
    assertTrue(enobufs < 3000, "the calls within the budget must be served");
    assertTrue(maxRunning.get() <= cap, "handlers ran " + maxRunning.get() + " at once, cap " + cap);
  }

  @ParameterizedTest
  @EnumSource(TransportKind.class)
  void everyTransport_servesAttachments(TransportKind kind) throws Exception {
    Map<String, String> conf = Map.of("rpc.transport", kind.name().toLowerCase(java.util.Locale.ROOT));
    RpcServer s = server(conf);
    RpcClient c = client(conf);
    if (kind == TransportKind.NIO) {
      assertEquals("nio", s.transportName());
      assertEquals("nio", c.transportName());
    }
    byte[] data = TestServices.pattern(1 << 20, 5);
    try (var r = await(c.call(s.boundAddress(), TestServices.ECHO, text(kind.name()), Attachment.wrap(data),
        CallOptions.DEFAULT))) {
      assertArrayEquals(data, TestServices.bytes(r.attachment().orElseThrow()));
    }
  }
}
