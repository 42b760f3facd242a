package io.catena.mgmtd.auth;

import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.mgmtd.MgmtdService;
import io.catena.mgmtd.client.MgmtdClient;
import io.catena.rpc.MethodDescriptor;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.auth.TokenAuthenticator;
import io.catena.rpc.auth.TokenAuthenticator.Access;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Token checks backed by the cluster's user table: read in place where mgmtd runs in the same process, asked over
 * RPC elsewhere (storage). Stateless factory.
 */
public final class ClusterAuthenticators {
  // Lookups block on an RPC; they must never run on the I/O thread that asked.
  private static final ExecutorService LOOKUPS = Executors.newThreadPerTaskExecutor(
      Thread.ofVirtual().name("token-lookup-", 0).factory());

  private ClusterAuthenticators() {}

  /** For a process hosting mgmtd: a lookup is one KV read in that mgmtd (refused retryably until it is primary). */
  public static TokenAuthenticator local(MgmtdService mgmtd, String clusterId,
      Function<MethodDescriptor<?, ?>, Access> policy, Config config) {
    return new TokenAuthenticator(token -> {
      try {
        return CompletableFuture.completedFuture(mgmtd.authenticate(clusterId, token));
      } catch (RuntimeException e) {
        return CompletableFuture.<UserAccount>failedFuture(e);
      }
    }, policy, Clock.systemUTC(), config.get(RpcConfig.AUTH_CACHE_TTL));
  }

  /** For other servers: asks mgmtd (with the process's own admin token) and caches the answer. */
  public static TokenAuthenticator viaMgmtd(MgmtdClient mgmtd, Function<MethodDescriptor<?, ?>, Access> policy,
      Config config) {
    return new TokenAuthenticator(token -> CompletableFuture.supplyAsync(
        () -> mgmtd.service().authenticate(mgmtd.clusterId(), token), LOOKUPS), policy, Clock.systemUTC(),
        config.get(RpcConfig.AUTH_CACHE_TTL));
  }
}
