package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.ChunkStore;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Rough single-thread throughput of the engine (not a test): {@code EngineThroughput <dir> <fsync> <MiB> [preallocate step]} writes
 * 1 MiB chunks (one write + commit each, 1 MiB chunk size), then reads them back.
 */
public final class EngineThroughput {
  private EngineThroughput() {}

  public static void main(String[] args) throws Exception {
    Path dir = Files.createDirectories(Path.of(args[0]));
    String fsync = args[1];
    int count = Integer.parseInt(args[2]);
    byte[] data = TestStores.bytes(1, 1 << 20);
    int crc = TestStores.crc(data);
    String step = args.length > 3 ? args[3] : "64MiB";
    try (CowChunkStore s = TestStores.open(dir, "storage.fsync", fsync, "storage.preallocate_step", step)) {
      long t0 = System.nanoTime();
      for (int i = 0; i < count; i++) {
        ChunkId id = new ChunkId(1, i);
        s.write(new ChunkStore.WriteRequest(1, id, 1, 1, 1 << 20, 0, ByteBuffer.wrap(data), crc));
        s.commit(id, 1);
      }
      long t1 = System.nanoTime();
      long bytes = 0;
      for (int i = 0; i < count; i++) {
        bytes += s.read(new ChunkId(1, i), 0, 1 << 20).data().remaining();
      }
      long t2 = System.nanoTime();
      long ops = 0;
      long t3 = System.nanoTime();
      // 4 KiB in-place appends to fresh 1 MiB-class chunks (the small-write path: data + metadata per op).
      byte[] small = TestStores.bytes(2, 4096);
      int smallCrc = TestStores.crc(small);
      for (int i = 0; i < 2000; i++) {
        ChunkId id = new ChunkId(2, i % 8);
        long v = s.meta(id).map(m -> m.committedVersion()).orElse(0L) + 1;
        int off = s.meta(id).map(m -> m.length()).orElse(0);
        if (off + 4096 > (1 << 20)) {
          break;
        }
        s.write(new ChunkStore.WriteRequest(1, id, 1, v, 1 << 20, off, ByteBuffer.wrap(small), smallCrc));
        s.commit(id, v);
        ops++;
      }
      long t4 = System.nanoTime();
      int threads = 8;
      java.util.concurrent.atomic.AtomicLong parallelOps = new java.util.concurrent.atomic.AtomicLong();
      long t5 = System.nanoTime();
      Thread[] ts = new Thread[threads];
      for (int t = 0; t < threads; t++) {
        int th = t;
        ts[t] = Thread.ofPlatform().start(() -> {
          for (int i = 0; i < 150; i++) {
            ChunkId id = new ChunkId(3, th);
            long v = s.meta(id).map(m -> m.committedVersion()).orElse(0L) + 1;
            int off = s.meta(id).map(m -> m.length()).orElse(0);
            s.write(new ChunkStore.WriteRequest(1, id, 1, v, 1 << 20, off, ByteBuffer.wrap(small), smallCrc));
            s.commit(id, v);
            parallelOps.incrementAndGet();
          }
        });
      }
      for (Thread t : ts) {
        t.join();
      }
      long t6 = System.nanoTime();
      System.out.printf("%d threads 4KiB append+commit: %.0f ops/s%n", threads, parallelOps.get() / ((t6 - t5) / 1e9));
      System.out.printf("fsync=%s: write+commit %d x 1MiB: %.0f MB/s; read: %.0f MB/s; 4KiB append+commit: %.0f ops/s%n",
          fsync, count, count * 1.048576e6 / ((t1 - t0) / 1e9) / 1e6, bytes / ((t2 - t1) / 1e9) / 1e6,
          ops / ((t4 - t3) / 1e9));
    }
  }
}
