package io.catena.mgmtd.rpc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.net.Address;
import io.catena.common.time.ManualClock;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.mgmtd.proto.NodeList;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** The client's call loop on a manual clock against scripted addresses: no sockets, no sleeping. */
class MgmtdClientRetryTest {
  private static final Address A = Address.tcp("10.0.0.1", 8000);
  private static final Address B = Address.tcp("10.0.0.2", 8000);

  /** Answers each call with what {@code script} returns for its address: a reply message or an error to fail with. */
  private record ScriptedRpc(Function<Address, Object> script, List<Address> called) implements RpcClient {
    @Override
    @SuppressWarnings("unchecked")
    public <Q extends Message, R extends Message> CompletableFuture<RpcResponse<R>> call(Address address,
        MethodDescriptor<Q, R> method, Q request, Attachment attachment, CallOptions options) {
      called.add(address);
      Object answer = script.apply(address);
      return answer instanceof CatenaException e ? CompletableFuture.failedFuture(e)
          : CompletableFuture.completedFuture(new RpcResponse<>((R) answer, null));
    }

    @Override
    public String transportName() {
      return "scripted";
    }

    @Override
    public void close() {}
  }

  private final ManualClock clock = new ManualClock();
  private final List<Duration> pauses = new ArrayList<>();

  private MgmtdClient client(ScriptedRpc rpc) {
    return new MgmtdClient(rpc, List.of(A, B), RpcCluster.CLUSTER,
        RpcCluster.clientConfig(Map.of("mgmtd.client.timeout", "2s")), clock, new SplittableRandom(7), d -> {
          pauses.add(d);
          clock.advance(d);
        });
  }

  @Test
  void aRedirectIsFollowedAtOnce_andTheNextCallStartsAtThePrimary() {
    ScriptedRpc rpc = new ScriptedRpc(a -> a.equals(A) ? new CatenaException(Status.notPrimary(2, B.toString()))
        : NodeList.getDefaultInstance(), new ArrayList<>());
    MgmtdClient client = client(rpc);
    assertTrue(client.service().listNodes(RpcCluster.CLUSTER).isEmpty());
    assertEquals(List.of(A, B), rpc.called());
    assertEquals(B, client.currentAddress());
    assertTrue(pauses.isEmpty(), "no backoff before following a redirect: " + pauses);
    client.service().listNodes(RpcCluster.CLUSTER);
    assertEquals(List.of(A, B, B), rpc.called());
  }

  @Test
  void withoutAPrimary_itFailsOverRoundRobinWithGrowingPauses_untilTheDeadline() {
    ScriptedRpc rpc = new ScriptedRpc(a -> CatenaException.retryable(Errno.EAGAIN, "no primary known yet at %s", a),
        new ArrayList<>());
    MgmtdClient client = client(rpc);
    long start = clock.millis();
    CatenaException e = assertThrows(CatenaException.class, () -> client.service().listNodes(RpcCluster.CLUSTER));
    assertEquals(Errno.ETIMEDOUT, e.errno(), e.getMessage());
    assertTrue(e.isRetryable());
    assertTrue(e.getMessage().contains("no primary known yet"), "the last server error is named: " + e.getMessage());
    long waited = clock.millis() - start;
    assertTrue(waited > 2000 - 20 && waited <= 2000, "the call's 2 s, less at most the 20 ms too short to retry: "
        + waited);
    for (int i = 0; i < rpc.called().size(); i++) {
      assertEquals(i % 2 == 0 ? A : B, rpc.called().get(i), "round robin over the addresses");
    }
    for (int i = 0; i < pauses.size(); i++) {
      long bound = Math.min(500, 10L << Math.min(i, 10));
      assertTrue(pauses.get(i).toMillis() <= bound, "pause " + i + " of " + pauses.get(i) + " over " + bound);
    }
    assertEquals(rpc.called().size(), pauses.size(), "one pause after every failed attempt");
  }
}
