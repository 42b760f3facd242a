package io.catena.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.net.Address;
import io.catena.rpc.test.EchoRequest;
import io.catena.rpc.test.FailRequest;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class RpcMetricsTest {
  private static final int PAYLOAD = 64 * 1024;

  @Test
  void callsAreCountedPerMethodAndStatus_onBothSides_withTheBytesMoved() throws Exception {
    MeterRegistry serverRegistry = new SimpleMeterRegistry();
    MeterRegistry clientRegistry = new SimpleMeterRegistry();
    try (RpcServer server = Rpc.server(TestServices.config(), Address.tcp("127.0.0.1", 0),
        List.of(TestServices.service(call -> CompletableFuture.failedFuture(new IllegalStateException()))),
        Authenticator.ACCEPT_ALL, serverRegistry);
        RpcClient client = Rpc.client(TestServices.config(), clientRegistry)) {
      for (int i = 0; i < 3; i++) {
        client.call(server.boundAddress(), TestServices.ECHO, EchoRequest.newBuilder().setText("hi").build(),
            Attachment.of(Unpooled.wrappedBuffer(new byte[PAYLOAD])), CallOptions.DEFAULT)
            .get(10, TimeUnit.SECONDS).close();
      }
      assertThrows(ExecutionException.class, () -> client.call(server.boundAddress(), TestServices.FAIL,
          FailRequest.newBuilder().setErrno(2).setMessage("gone").build()).get(10, TimeUnit.SECONDS));

      for (MeterRegistry r : List.of(serverRegistry, clientRegistry)) {
        String side = r == serverRegistry ? "server" : "client";
        // The client records when its future completes, just after the caller sees the reply: wait for it.
        Timer ok = awaitTimer(r, "catena.rpc." + side, "Echo", "ok", 3);
        assertEquals(3, ok.count(), side);
        assertEquals(1, awaitTimer(r, "catena.rpc." + side, "Fail", "ENOENT", 1).count(), side);
        String sentName = side.equals("server") ? "catena.rpc.server.sent" : "catena.rpc.client.sent";
        String recvName = side.equals("server") ? "catena.rpc.server.received" : "catena.rpc.client.received";
        assertTrue(r.get(sentName).tag("method", "Echo").counter().count() >= 3.0 * PAYLOAD, side);
        assertTrue(r.get(recvName).tag("method", "Echo").counter().count() >= 3.0 * PAYLOAD, side);
      }
    }
  }

  private static Timer awaitTimer(MeterRegistry r, String name, String method, String status, long count)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      Timer t = r.find(name).tags("service", "echo", "method", method, "status", status).timer();
      if ((t != null && t.count() >= count) || System.nanoTime() > end) {
        assertTrue(t != null, name + " " + method + " " + status);
        return t;
      }
      Thread.sleep(10); // the client-side record runs on an I/O thread right after completion
    }
  }
}
