package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import static io.catena.storage.engine.TestStores.bytes;
import static io.catena.storage.engine.TestStores.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.storage.CheckReport;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The startup check reports damage and hides nothing; plus the non-default fsync policies and ENOSPC. */
class StartupCheckTest {
  @TempDir Path dir;

  @Test
  void corruptedBlock_reportedAsCrcMismatch_andChunkStillListed() throws Exception {
    ChunkId id = new ChunkId(1, 0);
    try (CowChunkStore s = TestStores.open(dir, "storage.files_per_class", "1")) {
      put(s, id, 1 << 20, 0, bytes(1, 5000));
    }
    try (FileChannel ch = FileChannel.open(dir.resolve("data/64KiB/0.dat"), StandardOpenOption.WRITE)) {
      ch.write(ByteBuffer.wrap(new byte[] {42}), 100);
    }
    try (CowChunkStore s = TestStores.open(dir, "storage.files_per_class", "1", "storage.verify_on_start", "full")) {
      CheckReport r = s.startupReport();
      assertEquals(1, r.problems().size(), r.toString());
      assertEquals(CheckReport.Kind.CRC_MISMATCH, r.problems().get(0).kind());
      assertEquals(id, r.problems().get(0).chunk());
      assertEquals(List.of(id), s.list(ChunkId.firstOf(0), ChunkId.endOf(9), 10).stream()
          .map(m -> m.chunkId()).toList(), "reported, not hidden or repaired");
    }
  }

  @Test
  void truncatedDataFile_reportedAsBadBlock_evenWithoutCrcVerification() throws Exception {
    try (CowChunkStore s = TestStores.open(dir, "storage.files_per_class", "1", "storage.fsync", "never")) {
      put(s, new ChunkId(1, 0), 1 << 20, 0, bytes(1, 5000));
      put(s, new ChunkId(1, 1), 1 << 20, 0, bytes(2, 5000));
    }
    try (FileChannel ch = FileChannel.open(dir.resolve("data/64KiB/0.dat"), StandardOpenOption.WRITE)) {
      ch.truncate(70_000);
    }
    try (CowChunkStore s = TestStores.open(dir, "storage.files_per_class", "1")) {
      CheckReport r = s.startupReport();
      assertEquals(1, r.problems().size(), r.toString());
      assertEquals(CheckReport.Kind.BAD_BLOCK, r.problems().get(0).kind());
      assertEquals(new ChunkId(1, 1), r.problems().get(0).chunk());
    }
  }

  @Test
  void dataFiles_growByPreallocatedSteps() throws Exception {
    try (CowChunkStore s = TestStores.open(dir, "storage.files_per_class", "1", "storage.preallocate_step", "1MiB")) {
      put(s, new ChunkId(1, 0), 1 << 20, 0, bytes(1, 10));
      assertEquals(1 << 20, java.nio.file.Files.size(dir.resolve("data/64KiB/0.dat")));
      for (int i = 1; i <= 16; i++) {
        put(s, new ChunkId(1, i), 1 << 20, 0, bytes(i, 10));
      }
      assertEquals(2 << 20, java.nio.file.Files.size(dir.resolve("data/64KiB/0.dat")), "17 blocks need 2 steps");
      put(s, new ChunkId(2, 0), 4 << 20, 0, bytes(1, 3 << 20));
      assertEquals(4 << 20, java.nio.file.Files.size(dir.resolve("data/4096KiB/0.dat")), "a step is at least a block");
      assertTrue(s.check(true).clean());
    }
  }

  @Test
  void batchPolicy_persistsAcrossReopen() {
    try (CowChunkStore s = TestStores.open(dir, "storage.fsync", "batch", "storage.fsync_interval", "5ms")) {
      for (int i = 0; i < 20; i++) {
        put(s, new ChunkId(1, i), 1 << 20, i * 100, bytes(i, 3000));
      }
    }
    try (CowChunkStore s = TestStores.open(dir, "storage.verify_on_start", "full")) {
      assertTrue(s.startupReport().clean(), s.startupReport().toString());
      for (int i = 0; i < 20; i++) {
        assertEquals(ByteBuffer.wrap(bytes(i, 3000)), s.read(new ChunkId(1, i), i * 100, 3000).data());
      }
    }
  }

  @Test
  void capacityExhausted_failsWithEnospc_andNothingStored() {
    try (CowChunkStore s = TestStores.open(dir, "storage.capacity", "256KiB", "storage.fsync", "never")) {
      put(s, new ChunkId(1, 0), 1 << 20, 0, bytes(1, 100_000));
      put(s, new ChunkId(1, 1), 1 << 20, 0, bytes(2, 10));
      CatenaException e = org.junit.jupiter.api.Assertions.assertThrows(CatenaException.class,
          () -> put(s, new ChunkId(1, 2), 1 << 20, 0, bytes(3, 100_000)));
      assertEquals(Errno.ENOSPC, e.errno());
      assertTrue(s.meta(new ChunkId(1, 2)).isEmpty());
      assertEquals(192 << 10, s.space().used());
      assertEquals(64 << 10, s.space().free());
      assertTrue(s.remove(new ChunkId(1, 0)));
      put(s, new ChunkId(1, 2), 1 << 20, 0, bytes(3, 100_000));
      assertTrue(s.check(true).clean());
    }
  }
}
