package io.catena.meta.rpc;

import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.UserAccount;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClient;
import io.catena.meta.server.MetaRpcService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import io.catena.rpc.auth.TokenAuthenticator;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Meta over RPC with token checks: whose identity a request runs with depends on the token, not on its claims. */
class CallerIdentityTest {
  private static final Map<String, UserAccount> USERS = Map.of(
      "daemon-token", new UserAccount(0, "root", 0, List.of(), true),
      "alice-token", new UserAccount(1000, "alice", 1000, List.of(3000L), false));

  private final MetaFixture f = new MetaFixture();
  private final List<AutoCloseable> open = new ArrayList<>();
  private final RpcServer server;

  CallerIdentityTest() {
    Config cfg = rpcConfig("");
    TokenAuthenticator auth = new TokenAuthenticator(t -> USERS.containsKey(t)
        ? CompletableFuture.completedFuture(USERS.get(t))
        : CompletableFuture.failedFuture(CatenaException.of(Errno.EKEYREJECTED, "unknown token")),
        m -> TokenAuthenticator.Access.USER, Clock.systemUTC(), Duration.ofSeconds(5));
    server = Rpc.server(cfg, Address.tcp("127.0.0.1", 0), List.of(MetaRpcService.definition(f.meta)), auth);
    open.add(server);
  }

  private MetaClient client(String token) {
    RpcClient rpc = Rpc.client(rpcConfig(token));
    open.add(rpc);
    return new MetaClient(rpc, List.of(server.boundAddress()), "c-" + token, new MetaClient.Options(2,
        Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(10)), new SplittableRandom(1), d -> { });
  }

  private static Config rpcConfig(String token) {
    return Config.defaults(ConfigSchema.fromHolders(RpcConfig.class)).withUpdates(Map.of("rpc.io_threads", "1",
        "rpc.worker_threads", "2", "rpc.shutdown_grace", "0s", "rpc.auth_token", token), "test", false);
  }

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  @Test
  void aDaemonToken_speaksForTheCallerItNames() {
    long dir = f.openDir("shared").id();
    MetaClient fuse = client("daemon-token");
    assertEquals(1001, fuse.mkdir(MetaFixture.BOB, dir, "bobs", 0755, null).uid());
    assertEquals(0, fuse.mkdir(UserInfo.ROOT, MetaService.ROOT, "roots", 0755, null).uid());
  }

  @Test
  void anOrdinaryToken_isPinnedToItsOwnUser_whateverTheRequestClaims() {
    long dir = f.openDir("shared").id();
    MetaClient alice = client("alice-token");
    assertEquals(1000, alice.mkdir(UserInfo.ROOT, dir, "mine", 0755, null).uid(), "claimed root, ran as alice");
    // The root directory is root's 0755: alice may not create in it even when she claims to be root.
    expect(Errno.EACCES, () -> alice.mkdir(UserInfo.ROOT, MetaService.ROOT, "nope", 0755, null));
  }

  @Test
  void noTokenOrAWrongOne_isRefusedWithEacces_andChangesNothing() {
    long dir = f.openDir("shared").id();
    expect(Errno.EACCES, () -> client("").mkdir(UserInfo.ROOT, dir, "a", 0755, null));
    expect(Errno.EACCES, () -> client("forged").mkdir(UserInfo.ROOT, dir, "b", 0755, null));
    expect(Errno.ENOENT, () -> f.meta.lookup(UserInfo.ROOT, dir, "a"));
    expect(Errno.ENOENT, () -> f.meta.lookup(UserInfo.ROOT, dir, "b"));
  }
}
