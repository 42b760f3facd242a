package io.catena.storage.service;

import io.catena.storage.client.StorageClientConfig;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import io.catena.common.CatenaException;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.rpc.RpcConfig;
import io.catena.storage.StorageConfig;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/** Helpers shared by the storage service tests. */
final class Harness {
  private Harness() {}

  static final int MIB = 1 << 20;

  static Config config(String... kv) {
    Map<String, String> m = new HashMap<>();
    m.put("storage.fsync", "never");
    m.put("storage.preallocate_step", "0");
    m.put("storage.retry_wait", "50ms");
    m.put("storage.forward_timeout", "20s");
    m.put("storage.client_timeout", "30s");
    m.put("rpc.worker_threads", "4");
    for (int i = 0; i < kv.length; i += 2) {
      m.put(kv[i], kv[i + 1]);
    }
    return Config.defaults(ConfigSchema.fromHolders(StorageConfig.class, StorageClientConfig.class, RpcConfig.class))
        .withUpdates(m, "test", false);
  }

  static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  static <T> T get(CompletableFuture<T> f) {
    try {
      return f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CatenaException ce) {
        throw ce;
      }
      throw new AssertionError(e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  static CatenaException failure(CompletableFuture<?> f) {
    try {
      f.get(60, TimeUnit.SECONDS);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof CatenaException ce) {
        return ce;
      }
      throw new AssertionError("unexpected failure", e.getCause());
    } catch (Exception e) {
      throw new AssertionError(e);
    }
    return fail("expected a failure");
  }

  static void await(String what, Duration max, BooleanSupplier cond) {
    long end = System.nanoTime() + max.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        fail("timed out waiting for " + what);
      }
      try {
        Thread.sleep(20); // polling a condition with a deadline
      } catch (InterruptedException e) {
        throw new AssertionError(e);
      }
    }
  }

  static void assertReplicasIdentical(LocalCluster c, long chainId, long... targets) {
    Map<?, String> first = c.fingerprint(targets[0]);
    for (int i = 1; i < targets.length; i++) {
      assertEquals(first, c.fingerprint(targets[i]), "target " + targets[i] + " differs from " + targets[0]);
    }
  }
}
