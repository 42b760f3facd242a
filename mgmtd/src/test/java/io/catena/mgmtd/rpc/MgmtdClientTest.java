package io.catena.mgmtd.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.net.Address;
import io.catena.common.time.ManualClock;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.server.MgmtdRpcService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcServer;
import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The client's call loop against scripted servers: redirect loops, non-retryable errors, dead addresses. */
class MgmtdClientTest {

  /** A service whose every method throws what {@code error} supplies, counting calls. */
  private static MgmtdService failing(AtomicInteger calls, Supplier<CatenaException> error) {
    return (MgmtdService) Proxy.newProxyInstance(MgmtdService.class.getClassLoader(),
        new Class<?>[] {MgmtdService.class}, (p, m, a) -> {
          calls.incrementAndGet();
          throw error.get();
        });
  }

  @Test
  void twoInstancesRedirectingToEachOtherEndInARetryableTimeoutWithoutSpinning() {
    AtomicInteger calls = new AtomicInteger();
    AtomicReference<String> addressOfB = new AtomicReference<>();
    AtomicReference<String> addressOfA = new AtomicReference<>();
    var cfg = RpcCluster.serverConfig();
    try (RpcServer a = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of(MgmtdRpcService.definition(
            failing(calls, () -> new CatenaException(Status.notPrimary(2, addressOfB.get()))))));
        RpcServer b = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of(MgmtdRpcService.definition(
            failing(calls, () -> new CatenaException(Status.notPrimary(1, addressOfA.get()))))));
        RpcClient rpc = Rpc.client(RpcCluster.clientConfig(Map.of()))) {
      addressOfA.set(a.boundAddress().toString());
      addressOfB.set(b.boundAddress().toString());
      // The call's deadline runs on a manual clock that only its backoff pauses move: the test does not wait it out.
      ManualClock clock = new ManualClock();
      MgmtdClient client = new MgmtdClient(rpc, List.of(a.boundAddress()), RpcCluster.CLUSTER,
          RpcCluster.clientConfig(Map.of("mgmtd.client.timeout", "2s")), clock, new SplittableRandom(1),
          clock::advance);
      long start = clock.millis();
      CatenaException e = assertThrows(CatenaException.class, () -> client.service().listNodes(RpcCluster.CLUSTER));
      long tookMs = clock.millis() - start;
      assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
      assertTrue(e.isRetryable());
      assertTrue(e.getMessage().contains("not primary"), "the last error is named: " + e.getMessage());
      assertTrue(tookMs >= 1900 && tookMs <= 2000, "bounded by the timeout: " + tookMs + " ms");
      // Redirects are followed at once only a few times in a row, then backed off: no busy loop.
      assertTrue(calls.get() < 100, "calls: " + calls.get());
    }
  }

  @Test
  void aNonRetryableErrorIsThrownAtOnceAsTheServerSentIt() {
    AtomicInteger calls = new AtomicInteger();
    var cfg = RpcCluster.serverConfig();
    try (RpcServer a = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of(MgmtdRpcService.definition(
            failing(calls, () -> CatenaException.of(Errno.ENOENT, "unknown chain 7")))));
        RpcClient rpc = Rpc.client(RpcCluster.clientConfig(Map.of()))) {
      MgmtdClient client = new MgmtdClient(rpc, List.of(a.boundAddress()), RpcCluster.CLUSTER,
          RpcCluster.clientConfig(Map.of()));
      CatenaException e = assertThrows(CatenaException.class, () -> client.service().listChains(RpcCluster.CLUSTER));
      assertEquals(Errno.ENOENT, e.errno());
      assertEquals("unknown chain 7", e.status().message());
      assertEquals(1, calls.get(), "not retried");
    }
  }

  @Test
  void aDeadFirstAddressIsSkippedForTheNextOne() {
    AtomicInteger calls = new AtomicInteger();
    var cfg = RpcCluster.serverConfig();
    RpcServer dead = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of());
    Address deadAddress = dead.boundAddress();
    dead.close();
    try (RpcServer live = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of(MgmtdRpcService.definition(
            failing(calls, () -> CatenaException.of(Errno.EKEYREJECTED, "unknown token")))));
        RpcClient rpc = Rpc.client(RpcCluster.clientConfig(Map.of()))) {
      MgmtdClient client = new MgmtdClient(rpc, List.of(deadAddress, live.boundAddress()), RpcCluster.CLUSTER,
          RpcCluster.clientConfig(Map.of()));
      CatenaException e = assertThrows(CatenaException.class,
          () -> client.service().authenticate(RpcCluster.CLUSTER, "t"));
      assertEquals(Errno.EKEYREJECTED, e.errno(), "reached the live instance: " + e.getMessage());
      assertEquals(1, calls.get());
    }
  }
}
