package io.catena.kv;

import io.catena.common.retry.Sleeper;
import io.catena.common.retry.RetryPolicy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.kv.mem.MemKvEngine;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KvEnginesTest {
  @TempDir
  Path tmp;

  private static final Config CONFIG = Config.defaults(ConfigSchema.fromHolders(KvConfig.class));

  @Test
  void opensByScheme() {
    try (KvEngine kv = KvEngines.open("mem://", CONFIG)) {
      assertTrue(kv instanceof MemKvEngine);
      assertEquals("mem://", kv.url());
    }
    String url = "rocksdb://" + tmp.resolve("db");
    try (KvEngine kv = KvEngines.open(url, CONFIG)) {
      assertEquals(url, kv.url());
    }
    try (KvEngine kv = KvEngines.open(CONFIG.withUpdates(Map.of("kv.engine_url", "mem://x"), "test", false))) {
      assertEquals("mem://x", kv.url());
    }
  }

  @Test
  void badUrls_areEinvalWithAPreciseMessage() {
    assertMessage("", "empty kv engine URL");
    assertMessage("/var/lib/kv", "has no scheme");
    assertMessage("rocksdb://", "has no path");
    assertMessage("rocksdb:///x?sync=false", "options go in kv.rocksdb");
    assertMessage("mem://a/b", "mem:// takes at most a name");
    assertMessage("fdb://cluster", "unknown scheme 'fdb'");
  }

  private static void assertMessage(String url, String fragment) {
    CatenaException e = assertThrows(CatenaException.class, () -> KvEngines.open(url, CONFIG));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.getMessage().contains(fragment), e.getMessage());
  }

  @Test
  void configKeys_haveDocsAndDefaults_andPolicyReadsThem() {
    ConfigSchema schema = ConfigSchema.fromHolders(KvConfig.class);
    assertTrue(schema.keys().size() >= 8);
    schema.keys().forEach(k -> {
      assertTrue(k.name().startsWith("kv."), k.name());
      assertTrue(!k.description().isBlank(), k.name());
      assertTrue(k.hasDefault(), k.name());
    });
    Config c = CONFIG.withUpdates(Map.of("kv.retry.max_attempts", "3", "kv.retry.timeout", "2s"), "test", false);
    RetryPolicy p = KvConfig.retryPolicy(c);
    assertEquals(3, p.maxAttempts());
    assertEquals(Duration.ofSeconds(2), p.timeout());
    assertEquals(KvConfig.defaultRetryPolicy(), KvConfig.retryPolicy(null));
  }

  @Test
  void backoffBound_doublesUpToTheMaximum() {
    RetryPolicy p = new RetryPolicy(10, Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofSeconds(1));
    assertEquals(1_000_000, p.backoffBoundNanos(1));
    assertEquals(2_000_000, p.backoffBoundNanos(2));
    assertEquals(4_000_000, p.backoffBoundNanos(3));
    assertEquals(5_000_000, p.backoffBoundNanos(4));
    assertEquals(5_000_000, p.backoffBoundNanos(1000));
  }
}
