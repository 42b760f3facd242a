package io.catena.meta.rpc;

import io.catena.common.CatenaException;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.net.Address;
import io.catena.kv.KvEngine;
import io.catena.common.retry.Sleeper;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.client.MetaClient;
import io.catena.meta.server.MetaRpcService;
import io.catena.meta.store.KvMetaService;
import io.catena.rpc.Rpc;
import io.catena.rpc.RpcClient;
import io.catena.rpc.RpcConfig;
import io.catena.rpc.RpcServer;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Several real meta RPC servers on 127.0.0.1, each with its own {@link KvMetaService} (own transaction runner and id
 * allocator) over one shared KV engine, and an RPC client for {@link MetaClient}s. Not thread-safe to build; the
 * servers and clients it hands out are.
 */
public final class MetaRpcCluster implements AutoCloseable {
  public final MetaFixture f;
  public final KvEngine engine;
  public final List<KvMetaService> services = new ArrayList<>();
  public final List<RpcServer> servers = new ArrayList<>();
  public final Config rpcConfig = Config.defaults(ConfigSchema.fromHolders(RpcConfig.class))
      .withUpdates(Map.of("rpc.io_threads", "1", "rpc.worker_threads", "8", "rpc.shutdown_grace", "0s",
          "rpc.connect_timeout", "1s"), "test", false);
  public final RpcClient rpc = Rpc.client(rpcConfig);

  /** {@code n} servers on the fixture's engine. */
  public MetaRpcCluster(MetaFixture f, int n) {
    this(f, f.engine, n, UnaryOperator.identity());
  }

  /**
   * {@code n} servers on {@code engine} (formatted if new), each serving {@code wrap} of its own service (a test
   * hook around the real one).
   */
  public MetaRpcCluster(MetaFixture f, KvEngine engine, int n, UnaryOperator<MetaService> wrap) {
    this.f = f;
    this.engine = engine;
    for (int i = 0; i < n; i++) {
      KvMetaService s = f.service(f.runner(engine, true));
      if (i == 0) {
        s.format(0755);
      }
      services.add(s);
      servers.add(Rpc.server(rpcConfig, Address.tcp("127.0.0.1", 0),
          List.of(MetaRpcService.definition(wrap.apply(s)))));
    }
  }

  public List<Address> addresses() {
    return servers.stream().map(RpcServer::boundAddress).toList();
  }

  /** A client over every server, retrying without pauses. */
  public MetaClient client(String id, long seed) {
    return client(id, seed, d -> {});
  }

  public MetaClient client(String id, long seed, Sleeper sleeper) {
    return new MetaClient(rpc, addresses(), id, new MetaClient.Options(8, Duration.ofMillis(1),
        Duration.ofMillis(20), Duration.ofSeconds(20)), new SplittableRandom(seed), sleeper);
  }

  /** The server at {@code address}. */
  public RpcServer server(Address address) {
    return servers.stream().filter(s -> s.boundAddress().equals(address)).findFirst().orElseThrow();
  }

  /**
   * {@code target} with a hook run after each successful call: {@code after(methodName)} returning true turns the
   * answer into a retryable ECONNRESET, as if the reply had been lost after the commit.
   */
  public static MetaService losingReplies(MetaService target, java.util.function.Predicate<String> lose) {
    return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(),
        new Class<?>[] {MetaService.class}, (p, m, args) -> {
          Object r;
          try {
            r = m.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          if (lose.test(m.getName())) {
            throw CatenaException.retryable(io.catena.common.Errno.ECONNRESET, "test: reply of %s lost", m.getName());
          }
          return r;
        });
  }

  /** A hook run after a call succeeded, before its answer is returned. */
  @FunctionalInterface
  public interface AfterCall {
    void after(String method) throws Exception;
  }

  /** {@code target} with {@code hook} run after each successful call. */
  public static MetaService afterEachCall(MetaService target, AfterCall hook) {
    return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(),
        new Class<?>[] {MetaService.class}, (p, m, args) -> {
          Object r;
          try {
            r = m.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
          hook.after(m.getName());
          return r;
        });
  }

  /** {@code target}, counting every call that reaches it (failing ones included). */
  public static MetaService counting(MetaService target, java.util.concurrent.atomic.AtomicInteger calls) {
    return (MetaService) Proxy.newProxyInstance(MetaService.class.getClassLoader(),
        new Class<?>[] {MetaService.class}, (p, m, args) -> {
          calls.incrementAndGet();
          try {
            return m.invoke(target, args);
          } catch (InvocationTargetException e) {
            throw e.getCause();
          }
        });
  }

  @Override
  public void close() {
    rpc.close();
    for (RpcServer s : servers) {
      s.close();
    }
  }
}
