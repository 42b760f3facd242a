package io.catena.kv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code admin backup} / {@code admin restore} as the kv layer does them: a dump of a real store read at one version
 * in pages, restored into another engine (mem and rocksdb, in both directions) and verified key by key; a non-empty
 * destination refused unless forced; a damaged dump refused.
 */
public class KvDumpTest {
  private static final Config CONFIG = Config.defaults(ConfigSchema.fromHolders(KvConfig.class));
  @TempDir Path tmp;

  static void fill(KvEngine kv, int n) {
    for (int i = 0; i < n; i += 50) {
      try (ReadWriteTransaction t = kv.beginReadWrite()) {
        for (int j = i; j < Math.min(n, i + 50); j++) {
          t.set(("key/" + j).getBytes(StandardCharsets.UTF_8), ("v" + j).repeat(j % 13 + 1)
              .getBytes(StandardCharsets.UTF_8));
        }
        t.atomicAdd("counter".getBytes(StandardCharsets.UTF_8), 7);
        t.commit();
      }
    }
  }

  private void roundTrip(String fromUrl, String toUrl) {
    roundTrip(tmp, CONFIG, fromUrl, toUrl);
  }

  /** Backs up a filled store at {@code fromUrl} and restores it into {@code toUrl}, checking every step. */
  public static void roundTrip(Path tmp, Config config, String fromUrl, String toUrl) {
    Path file = tmp.resolve("dump-" + Math.abs((fromUrl + toUrl).hashCode()));
    KvDump.Header h;
    String digest;
    try (KvEngine from = KvEngines.open(fromUrl, config)) {
      fill(from, 1234);
      h = KvDump.backup(from, file, Instant.parse("2026-12-07T04:00:00Z"), 100); // 13 pages
      digest = KvDump.digest(from);
    }
    assertEquals(1235, h.keys());
    assertEquals(digest, h.sha256());
    try (KvDump.Reader r = new KvDump.Reader(file)) {
      assertEquals(fromUrl, r.header().engine());
      assertEquals(h.version(), r.header().version());
      assertEquals(Instant.parse("2026-12-07T04:00:00Z"), r.header().time());
    }
    try (KvEngine to = KvEngines.open(toUrl, config)) {
      KvDump.Restored res = KvDump.restore(file, to, false, 100);
      assertEquals(1235, res.keys());
      assertFalse(res.replaced());
      assertEquals(digest, KvDump.digest(to));
      try (ReadTransaction r = to.beginRead()) {
        assertEquals("v5v5v5v5v5v5", new String(r.snapshotGet("key/5".getBytes(StandardCharsets.UTF_8))
            .orElseThrow(), StandardCharsets.UTF_8));
      }
      CatenaException e = assertThrows(CatenaException.class, () -> KvDump.restore(file, to, false, 100));
      assertEquals(Errno.EEXIST, e.errno());
      try (ReadWriteTransaction t = to.beginReadWrite()) {
        t.set("stray".getBytes(StandardCharsets.UTF_8), new byte[1]);
        t.commit();
      }
      assertTrue(KvDump.restore(file, to, true, 100).replaced());
      assertEquals(digest, KvDump.digest(to), "--force leaves exactly the dump's keys");
    }
  }

  @Test
  void rocksdbToMem_roundTrip() {
    roundTrip("rocksdb://" + tmp.resolve("a"), "mem://");
  }

  @Test
  void memToRocksdb_roundTrip() {
    roundTrip("mem://", "rocksdb://" + tmp.resolve("b"));
  }

  @Test
  void rocksdbToRocksdb_roundTrip() {
    roundTrip("rocksdb://" + tmp.resolve("c"), "rocksdb://" + tmp.resolve("d"));
  }

  @Test
  void damagedDump_isRefused_andNotAcceptedAsComplete() throws Exception {
    Path file = tmp.resolve("dump");
    try (KvEngine from = KvEngines.open("mem://", CONFIG)) {
      fill(from, 200);
      KvDump.backup(from, file, Instant.now(), 50);
    }
    try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
      f.seek(KvDump.HEADER_SIZE + 20);
      int b = f.read();
      f.seek(KvDump.HEADER_SIZE + 20);
      f.write(b ^ 0x55);
    }
    try (KvEngine to = KvEngines.open("mem://", CONFIG)) {
      CatenaException e = assertThrows(CatenaException.class, () -> KvDump.restore(file, to, false, 100));
      assertEquals(Errno.EIO, e.errno());
      assertTrue(e.getMessage().contains("damaged"), e.getMessage());
      assertEquals(KvDump.digest(KvEngines.open("mem://", CONFIG)), KvDump.digest(to), "nothing was written");
    }
    Files.writeString(tmp.resolve("not-a-dump"), "hello");
    assertEquals(Errno.EINVAL, assertThrows(CatenaException.class,
        () -> new KvDump.Reader(tmp.resolve("not-a-dump"))).errno());
  }
}
