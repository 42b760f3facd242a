package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkStore;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.SplittableRandom;

/**
 * Child process of {@link CrashTest}: {@code CrashWorker <dir> <seed> [always|batch|never|pending-then-wait]}
 * opens a store with that fsync policy and runs overwrites,
 * appends and truncates on many chunks from two threads, printing {@code ACK inode index version crc length} after
 * each commit returns. It never stops by itself; the test kills it with SIGKILL.
 */
public final class CrashWorker {
  static final int CHUNKS_PER_THREAD = 12;
  static final int THREADS = 2;

  private CrashWorker() {}

  /** Chunk size of an inode: 64 KiB, 256 KiB, 1 MiB, 4 MiB by inode. */
  static int chunkSize(long inode) {
    return 64 << 10 << (2 * (int) (inode % 4));
  }

  static ChunkId chunk(int thread, int i) {
    return new ChunkId(1 + (i % 4), thread * 100L + i / 4);
  }

  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[0]);
    long seed = Long.parseLong(args[1]);
    PrintStream out = new PrintStream(new java.io.FileOutputStream(java.io.FileDescriptor.out), false);
    String mode = args.length > 2 ? args[2] : "always";
    ChunkStore store = mode.equals("pending-then-wait") ? TestStores.open(dir)
        : TestStores.open(dir, "storage.fsync", mode);
    if (mode.equals("pending-then-wait")) {
      // Commit version 1 of a chunk, leave version 2 pending, then wait to be killed.
      byte[] one = TestStores.bytes(1, 100_000);
      byte[] two = TestStores.bytes(2, 5_000);
      ChunkId id = new ChunkId(9, 9);
      store.write(TestStores.req(id, 1, 1 << 20, 0, one));
      store.commit(id, 1);
      store.write(TestStores.req(id, 2, 1 << 20, 50_000, two));
      out.println("PENDING");
      out.flush();
      System.in.read();
      return;
    }
    Thread[] threads = new Thread[THREADS];
    for (int t = 0; t < THREADS; t++) {
      int thread = t;
      threads[t] = Thread.ofPlatform().start(() -> run(store, thread, new SplittableRandom(seed * 31 + thread), out));
    }
    for (Thread t : threads) {
      t.join();
    }
  }

  /**
   * Like a CRAQ replica, some updates stay pending while the next one is applied (the "forward to the successor"
   * gap), so a kill often finds pending versions on disk.
   */
  private static void run(ChunkStore store, int thread, SplittableRandom rnd, PrintStream out) {
    ChunkId deferred = null;
    long deferredVersion = 0;
    while (true) {
      ChunkId id = chunk(thread, rnd.nextInt(CHUNKS_PER_THREAD));
      if (id.equals(deferred)) {
        continue;
      }
      int cs = chunkSize(id.inode());
      ChunkMeta m = store.meta(id).orElse(null);
      long v = (m == null ? 0 : m.committedVersion()) + 1;
      int len = m == null ? 0 : m.length();
      int kind = rnd.nextInt(10);
      if (kind == 0 && len > 0) {
        store.truncate(1, id, 1, v, cs, rnd.nextInt(len + 1));
      } else {
        boolean append = kind < 6 && len < cs;
        int off = append ? len : rnd.nextInt(cs);
        int n = rnd.nextInt(Math.min(cs - off, 48 << 10) + 1);
        byte[] d = TestStores.bytes(rnd.nextLong(), n);
        store.write(new ChunkStore.WriteRequest(1, id, 1, v, cs, off, ByteBuffer.wrap(d), TestStores.crc(d)));
      }
      if (deferred != null) {
        ack(out, store.commit(deferred, deferredVersion));
        deferred = null;
      }
      if (rnd.nextInt(3) == 0) {
        deferred = id;
        deferredVersion = v;
      } else {
        ack(out, store.commit(id, v));
      }
    }
  }

  private static void ack(PrintStream out, ChunkMeta c) {
    synchronized (out) {
      out.println("ACK " + c.chunkId().inode() + " " + c.chunkId().index() + " " + c.committedVersion() + " "
          + c.crc32c() + " " + c.length());
      out.flush();
    }
  }
}
