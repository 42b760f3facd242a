package io.catena.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.cluster.UserAccount;
import io.catena.common.net.Address;
import io.catena.rpc.test.EchoRequest;
import io.catena.rpc.test.EchoResponse;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What a server learns about where a call comes from: the peer address (a client's source address follows
 * rpc.client_bind_address) and whether it is server-to-server traffic (the node flag, honoured with an admin token
 * only).
 */
class CallerOriginTest {
  private static final MethodDescriptor<EchoRequest, EchoResponse> WHO = TestServices.ECHO;
  private final List<AutoCloseable> open = new java.util.ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  /** A server whose token "admin" is an admin, "user" an ordinary user; it answers "host fromNode". */
  private Address server() {
    Authenticator auth = (token, peer, method) -> {
      String t = new String(token, StandardCharsets.UTF_8);
      return CompletableFuture.completedFuture(Optional.of(new UserAccount(t.equals("admin") ? 0 : 1000, t, 0,
          List.of(), t.equals("admin"))));
    };
    ServiceDefinition def = ServiceDefinition.builder("test.Echo", TestServices.SERVICE).method(WHO, call ->
        CompletableFuture.completedFuture(RpcReply.of(EchoResponse.newBuilder().setText(
            ((InetSocketAddress) call.remoteAddress()).getAddress().getHostAddress() + " " + call.fromNode())
            .build()))).build();
    RpcServer s = Rpc.server(TestServices.config(), Address.tcp("127.0.0.1", 0), List.of(def), auth);
    open.add(s);
    return s.boundAddress();
  }

  private String ask(RpcClient c, Address server) throws Exception {
    open.add(c);
    try (RpcResponse<EchoResponse> r = c.call(server, WHO, EchoRequest.getDefaultInstance(), null,
        CallOptions.timeout(Duration.ofSeconds(10))).get(20, TimeUnit.SECONDS)) {
      return r.message().getText();
    }
  }

  @Test
  void bindAddress_isThePeerTheServerSees() throws Exception {
    Address s = server();
    assertEquals("127.0.0.3 false", ask(Rpc.client(TestServices.config(Map.of("rpc.auth_token", "user",
        "rpc.client_bind_address", "127.0.0.3"))), s));
    assertEquals("127.0.0.1 false", ask(Rpc.client(TestServices.config(Map.of("rpc.auth_token", "user"))), s));
  }

  @Test
  void nodeFlag_countsOnlyWithAnAdminToken() throws Exception {
    Address s = server();
    var admin = TestServices.config(Map.of("rpc.auth_token", "admin"));
    var user = TestServices.config(Map.of("rpc.auth_token", "user"));
    assertEquals("127.0.0.1 true", ask(Rpc.nodeClient(admin, io.catena.common.metrics.Meters.discarding()), s));
    assertEquals("127.0.0.1 false", ask(Rpc.nodeClient(user, io.catena.common.metrics.Meters.discarding()), s));
    assertEquals("127.0.0.1 false", ask(Rpc.client(admin), s), "a client with the admin token is still a client");
  }
}
