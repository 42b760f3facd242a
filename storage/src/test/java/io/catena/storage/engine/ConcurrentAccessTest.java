package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import static io.catena.storage.engine.TestStores.bytes;
import static io.catena.storage.engine.TestStores.crc;
import static io.catena.storage.engine.TestStores.req;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.storage.CheckReport;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ReadResult;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConcurrentAccessTest {
  @TempDir Path dir;

  @Test
  void concurrentWritersAndReaders_readersNeverSeeTornOrUncommittedVersions() throws Exception {
    int chunkSize = 256 << 10;
    List<ChunkId> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      ids.add(new ChunkId(1, i));
    }
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    AtomicBoolean writing = new AtomicBoolean(true);
    AtomicLong reads = new AtomicLong();
    AtomicLong committedWrites = new AtomicLong();
    try (CowChunkStore store = TestStores.open(dir, "storage.fsync", "never")) {
      int writers = 3;
      int readers = 3;
      CountDownLatch start = new CountDownLatch(1);
      List<Thread> threads = new ArrayList<>();
      for (int w = 0; w < writers; w++) {
        int seed = w;
        threads.add(Thread.ofPlatform().start(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          try {
            start.await();
            for (int op = 0; op < 400; op++) {
              ChunkId id = ids.get(rnd.nextInt(ids.size()));
              long v = store.meta(id).map(ChunkMeta::committedVersion).orElse(0L) + 1;
              int len = store.meta(id).map(ChunkMeta::length).orElse(0);
              try {
                if (rnd.nextInt(10) == 0) {
                  store.truncate(1, id, 1, v, chunkSize, rnd.nextInt(chunkSize + 1));
                } else {
                  boolean append = rnd.nextBoolean() && len < chunkSize;
                  int off = append ? len : rnd.nextInt(chunkSize);
                  byte[] d = bytes(seed * 100_000L + op, rnd.nextInt(Math.min(30_000, chunkSize - off) + 1));
                  store.write(req(id, v, chunkSize, off, d));
                }
                store.commit(id, v);
                committedWrites.incrementAndGet();
              } catch (CatenaException e) {
                // Another writer got version v first: CRAQ's head would have serialised us; here we just retry.
                if (e.errno() != Errno.EALREADY && e.errno() != Errno.ESTALE && e.errno() != Errno.ENOENT) {
                  throw e;
                }
              }
            }
          } catch (Throwable t) {
            failures.add("writer: " + t);
          }
        }));
      }
      for (int r = 0; r < readers; r++) {
        int seed = 100 + r;
        threads.add(Thread.ofPlatform().start(() -> {
          SplittableRandom rnd = new SplittableRandom(seed);
          long[] lastSeen = new long[ids.size()];
          try {
            start.await();
            while (writing.get()) {
              int i = rnd.nextInt(ids.size());
              ChunkId id = ids.get(i);
              long version;
              int length;
              int expectCrc;
              ByteBuffer data;
              try {
                if (rnd.nextBoolean()) {
                  ReadResult res = store.read(id, 0, chunkSize);
                  data = res.data();
                  version = res.version();
                  length = res.chunkLength();
                  expectCrc = res.chunkCrc32c();
                } else {
                  try (ChunkReadHandle h = store.openRead(id, 0, chunkSize)) {
                    data = ByteBuffer.allocate(h.length());
                    while (data.hasRemaining()) {
                      h.channel().read(data, h.position() + data.position());
                    }
                    data.flip();
                    version = h.version();
                    length = h.chunkLength();
                    expectCrc = h.chunkCrc32c();
                  }
                }
              } catch (CatenaException e) {
                if (e.errno() == Errno.ENOENT) {
                  continue;
                }
                throw e;
              }
              reads.incrementAndGet();
              if (data.remaining() != length) {
                failures.add(id + " v" + version + ": read " + data.remaining() + " of " + length + " bytes");
              } else if (crc(data) != expectCrc) {
                failures.add(id + " v" + version + ": torn read, CRC mismatch");
              }
              if (version < lastSeen[i]) {
                failures.add(id + ": version went back from " + lastSeen[i] + " to " + version);
              }
              lastSeen[i] = version;
            }
          } catch (Throwable t) {
            failures.add("reader: " + t);
          }
        }));
      }
      start.countDown();
      for (int w = 0; w < writers; w++) {
        threads.get(w).join();
      }
      writing.set(false);
      for (Thread t : threads) {
        t.join();
      }
      assertTrue(failures.isEmpty(), String.join("\n", failures));
      assertTrue(reads.get() > 100, "readers ran: " + reads.get());
      assertTrue(committedWrites.get() > 300, "writers committed: " + committedWrites.get());
      CheckReport report = store.check(true);
      assertTrue(report.clean(), report.toString());
      long sum = store.list(ChunkId.firstOf(0), ChunkId.endOf(10), 100).stream()
          .mapToLong(ChunkMeta::usedBytes).sum();
      assertEquals(sum, store.space().used());
    }
  }
}
