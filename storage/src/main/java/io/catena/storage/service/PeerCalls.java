package io.catena.storage.service;

import com.google.protobuf.Message;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.Status;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.net.Address;
import io.catena.common.time.Deadline;
import io.catena.rpc.Attachment;
import io.catena.rpc.CallOptions;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcResponse;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Blocking calls from this node to the node serving another target (a successor, a syncing replica), each bounded
 * by its caller's deadline. Failures arrive as {@link CatenaException}s with the peer's status. Thread-safe, as the
 * RPC client is.
 */
final class PeerCalls {
  private static final Duration MIN_TIMEOUT = Duration.ofMillis(1);
  // Past the call's own timeout, so the RPC layer's ETIMEDOUT (which also cancels the call) normally comes first.
  private static final Duration GRACE = Duration.ofSeconds(1);

  private final RpcClient rpc;

  PeerCalls(RpcClient rpc) {
    this.rpc = rpc;
  }

  /** Calls {@code method} on the node of {@code targetId} in {@code r}; takes ownership of {@code att}. */
  <Q extends Message, A extends Message> RpcResponse<A> call(RoutingInfo r, long targetId,
      MethodDescriptor<Q, A> method, Q req, Attachment att, Deadline deadline) {
    Address addr;
    try {
      addr = address(r, targetId);
    } catch (CatenaException e) {
      if (att != null) {
        att.release();
      }
      throw e;
    }
    Duration left = deadline.remaining();
    if (left.compareTo(MIN_TIMEOUT) < 0) {
      left = MIN_TIMEOUT;
    }
    CompletableFuture<RpcResponse<A>> f = rpc.call(addr, method, req, att, CallOptions.timeout(left));
    try {
      return f.get(left.plus(GRACE).toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      f.cancel(true);
      Thread.currentThread().interrupt();
      throw CatenaException.retryable(Errno.EINTR, "interrupted");
    } catch (TimeoutException e) {
      f.cancel(true);
      throw CatenaException.retryable(Errno.ETIMEDOUT, "%s to target %d timed out", method, targetId);
    } catch (ExecutionException e) {
      Status s = CatenaException.statusOf(e.getCause());
      throw new CatenaException(s, e.getCause());
    }
  }

  private static Address address(RoutingInfo r, long targetId) {
    NodeInfo n = r.nodeOfTarget(targetId).orElseThrow(
        () -> CatenaException.retryable(Errno.EHOSTUNREACH, "no node known for target %d", targetId));
    return Address.parse(n.address());
  }
}
