package io.catena.storage.engine;

import io.catena.storage.client.StorageClientConfig;
import io.catena.common.cluster.ChunkId;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkStore;
import io.catena.storage.ReadResult;
import io.catena.storage.StorageConfig;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import java.util.zip.CRC32C;

/** Helpers shared by the engine tests and the crash worker. */
final class TestStores {
  static final int MIB = 1 << 20;

  private TestStores() {}

  static Config config(String... keyValues) {
    Map<String, String> m = new java.util.HashMap<>();
    // Small preallocation steps: the path is exercised without reserving gigabytes per test store.
    m.put("storage.preallocate_step", "1MiB");
    for (int i = 0; i < keyValues.length; i += 2) {
      m.put(keyValues[i], keyValues[i + 1]);
    }
    return Config.defaults(ConfigSchema.fromHolders(StorageConfig.class, StorageClientConfig.class)).withUpdates(m, "test", false);
  }

  static CowChunkStore open(Path dir, String... keyValues) {
    return CowChunkStore.open(dir, config(keyValues), Clock.systemUTC());
  }

  static int crc(byte[] b) {
    CRC32C c = new CRC32C();
    c.update(b);
    return (int) c.getValue();
  }

  static int crc(ByteBuffer b) {
    CRC32C c = new CRC32C();
    c.update(b.duplicate());
    return (int) c.getValue();
  }

  static ChunkStore.WriteRequest req(ChunkId id, long version, int chunkSize, long offset, byte[] data) {
    return new ChunkStore.WriteRequest(1, id, 1, version, chunkSize, offset, ByteBuffer.wrap(data), crc(data));
  }

  /** Writes and commits as the next version; returns the committed meta. */
  static ChunkMeta put(ChunkStore s, ChunkId id, int chunkSize, long offset, byte[] data) {
    long v = s.meta(id).map(ChunkMeta::committedVersion).orElse(0L) + 1;
    s.write(req(id, v, chunkSize, offset, data));
    return s.commit(id, v);
  }

  static byte[] readAll(ChunkStore s, ChunkId id) {
    ReadResult r = s.read(id, 0, Integer.MAX_VALUE);
    byte[] b = new byte[r.data().remaining()];
    r.data().duplicate().get(b);
    assertEquals(r.chunkLength(), b.length, "whole-chunk read returns the chunk length");
    assertEquals(r.chunkCrc32c(), crc(b), "content matches the committed CRC32C of " + id);
    return b;
  }

  static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new java.util.SplittableRandom(seed).nextBytes(b);
    return b;
  }
}
