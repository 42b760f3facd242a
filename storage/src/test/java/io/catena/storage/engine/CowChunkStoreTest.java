package io.catena.storage.engine;

import io.catena.common.cluster.ChunkId;
import static io.catena.storage.engine.TestStores.MIB;
import static io.catena.storage.engine.TestStores.bytes;
import static io.catena.storage.engine.TestStores.crc;
import static io.catena.storage.engine.TestStores.put;
import static io.catena.storage.engine.TestStores.readAll;
import static io.catena.storage.engine.TestStores.req;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.storage.CheckReport;
import io.catena.storage.ChunkMeta;
import io.catena.storage.ChunkReadHandle;
import io.catena.storage.ChunkStore;
import io.catena.storage.ReadResult;
import io.catena.storage.SpaceInfo;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CowChunkStoreTest {
  private static final int CS = MIB;
  @TempDir Path dir;
  private CowChunkStore store;
  private final ChunkId a = new ChunkId(42, 0);

  @BeforeEach
  void open() {
    store = TestStores.open(dir);
    assertTrue(store.startupReport().clean(), store.startupReport().toString());
  }

  @AfterEach
  void close() {
    store.close();
  }

  private void reopen(String... kv) {
    store.close();
    store = TestStores.open(dir, kv);
  }

  private static void assertErrno(Errno errno, org.junit.jupiter.api.function.Executable call) {
    CatenaException e = assertThrows(CatenaException.class, call);
    assertEquals(errno, e.errno(), e.getMessage());
  }

  @Test
  void writeThenRead_atOffsets_roundTrips() {
    byte[] d = bytes(1, 1000);
    ChunkMeta m = put(store, a, CS, 5000, d);
    assertEquals(1, m.committedVersion());
    assertEquals(6000, m.length());
    assertEquals(64 << 10, m.capacity());
    ReadResult r = store.read(a, 5000, 1000);
    assertEquals(ByteBuffer.wrap(d), r.data());
    assertEquals(1, r.version());
    ReadResult mid = store.read(a, 5500, 100);
    assertEquals(ByteBuffer.wrap(d, 500, 100), mid.data());
    assertEquals(0, store.read(a, 6000, 10).data().remaining(), "read at the end is empty");
    assertEquals(0, store.read(a, 10_000, 10).data().remaining(), "read past the end is empty");
    assertEquals(500, store.read(a, 5500, 10_000).data().remaining(), "read clipped at the end");
  }

  @Test
  void sparseWrite_holesReadAsZeros() {
    byte[] d = bytes(2, 100);
    put(store, a, CS, 300_000, d);
    byte[] all = readAll(store, a);
    assertEquals(300_100, all.length);
    for (int i = 0; i < 300_000; i++) {
      if (all[i] != 0) {
        throw new AssertionError("hole byte " + i + " is " + all[i]);
      }
    }
    assertArrayEquals(d, Arrays.copyOfRange(all, 300_000, 300_100));
  }

  @Test
  void overwrite_copiesOnWrite_andKeepsOtherBytes() {
    byte[] first = bytes(3, 10_000);
    ChunkMeta m1 = put(store, a, CS, 0, first);
    byte[] patch = bytes(4, 100);
    ChunkMeta m2 = put(store, a, CS, 500, patch);
    assertEquals(2, m2.committedVersion());
    byte[] want = first.clone();
    System.arraycopy(patch, 0, want, 500, 100);
    assertArrayEquals(want, readAll(store, a));
    assertEquals(m1.capacity(), store.space().used(), "old block freed by the commit");
  }

  @Test
  void appendWithinBlock_goesInPlace_andGrowthCopiesToLargerClass() {
    put(store, a, CS, 0, bytes(5, 1000));
    long usedBefore = store.space().used();
    ChunkMeta pending = store.write(req(a, 2, CS, 1000, bytes(6, 1000)));
    assertEquals(0, pending.pendingBlockBytes(), "append within the block needs no new block");
    assertEquals(usedBefore, store.space().used());
    store.commit(a, 2);
    ChunkMeta grown = put(store, a, CS, 2000, bytes(7, 100_000));
    assertEquals(128 << 10, grown.capacity());
    assertEquals(128 << 10, store.space().used());
    byte[] all = readAll(store, a);
    assertArrayEquals(bytes(5, 1000), Arrays.copyOfRange(all, 0, 1000));
    assertArrayEquals(bytes(6, 1000), Arrays.copyOfRange(all, 1000, 2000));
    assertArrayEquals(bytes(7, 100_000), Arrays.copyOfRange(all, 2000, 102_000));
  }

  @Test
  void pendingVersion_isInvisibleUntilCommit() {
    put(store, a, CS, 0, bytes(8, 5000));
    ChunkMeta p = store.write(req(a, 2, CS, 0, bytes(9, 5000)));
    assertTrue(p.hasPending());
    assertEquals(2, p.pendingVersion());
    assertEquals(1, p.committedVersion());
    ReadResult r = store.read(a, 0, 5000);
    assertEquals(1, r.version());
    assertEquals(ByteBuffer.wrap(bytes(8, 5000)), r.data());
    ChunkMeta c = store.commit(a, 2);
    assertFalse(c.hasPending());
    assertEquals(ByteBuffer.wrap(bytes(9, 5000)), store.read(a, 0, 5000).data());
    assertEquals(2, store.commit(a, 2).committedVersion(), "a retried commit is a no-op");
  }

  @Test
  void abort_dropsPendingAndFreesItsBlock() {
    put(store, a, CS, 0, bytes(10, 5000));
    store.write(req(a, 2, CS, 0, bytes(11, 5000)));
    assertEquals(2 * (64 << 10), store.space().used());
    ChunkMeta m = store.abort(a, 2).orElseThrow();
    assertFalse(m.hasPending());
    assertEquals(64 << 10, store.space().used());
    assertArrayEquals(bytes(10, 5000), readAll(store, a));
    ChunkId fresh = new ChunkId(43, 0);
    store.write(req(fresh, 1, CS, 0, bytes(12, 10)));
    assertErrno(Errno.ENOENT, () -> store.read(fresh, 0, 10));
    assertTrue(store.abort(fresh, 1).isEmpty(), "aborting a chunk's first version removes it");
    assertTrue(store.meta(fresh).isEmpty());
    assertEquals(64 << 10, store.space().used());
  }

  @Test
  void abortedInPlaceAppend_leavesNoGarbageInLaterHoles() {
    put(store, a, CS, 0, bytes(13, 100));
    store.write(req(a, 2, CS, 100, bytes(14, 1000)));
    store.abort(a, 2);
    put(store, a, CS, 2000, bytes(15, 10));
    byte[] all = readAll(store, a);
    for (int i = 100; i < 2000; i++) {
      assertEquals(0, all[i], "byte " + i);
    }
  }

  @Test
  void retriedPendingVersion_replacesEarlierAttempt() {
    put(store, a, CS, 0, bytes(16, 100));
    store.write(req(a, 2, CS, 0, bytes(17, 100)));
    store.write(req(a, 2, CS, 0, bytes(18, 100)));
    store.commit(a, 2);
    assertArrayEquals(bytes(18, 100), readAll(store, a));
    assertEquals(64 << 10, store.space().used());
  }

  @Test
  void versions_mustFollowCommitted() {
    put(store, a, CS, 0, bytes(19, 100));
    assertErrno(Errno.EALREADY, () -> store.write(req(a, 1, CS, 0, bytes(20, 10))));
    assertErrno(Errno.ESTALE, () -> store.write(req(a, 3, CS, 0, bytes(20, 10))));
    store.write(req(a, 2, CS, 0, bytes(20, 10)));
    assertErrno(Errno.ESTALE, () -> store.commit(a, 3));
    assertErrno(Errno.ENOENT, () -> store.commit(new ChunkId(1, 1), 1));
  }

  @Test
  void replace_setsCommittedVersionDirectly_andDropsPending() {
    put(store, a, CS, 0, bytes(21, 100));
    store.write(req(a, 2, CS, 0, bytes(22, 70_000)));
    byte[] content = bytes(23, 200_000);
    ChunkMeta m = store.replace(1, a, 5, 17, CS, ByteBuffer.wrap(content), crc(content));
    assertEquals(17, m.committedVersion());
    assertEquals(5, m.chainVersion());
    assertFalse(m.hasPending());
    assertArrayEquals(content, readAll(store, a));
    assertEquals(256 << 10, store.space().used());
    assertErrno(Errno.EBADMSG, () -> store.replace(1, a, 5, 18, CS, ByteBuffer.wrap(content), crc(content) + 1));
    assertEquals(17, store.meta(a).orElseThrow().committedVersion());
  }

  @Test
  void truncate_downAndUp() {
    byte[] d = bytes(24, 100_000);
    put(store, a, CS, 0, d);
    store.truncate(1, a, 1, 2, CS, 1000);
    assertEquals(100_000, store.read(a, 0, CS).data().remaining(), "truncate is pending until commit");
    store.commit(a, 2);
    assertArrayEquals(Arrays.copyOf(d, 1000), readAll(store, a));
    assertEquals(64 << 10, store.meta(a).orElseThrow().capacity(), "shrunk into the smallest class");
    store.truncate(1, a, 1, 3, CS, 50_000);
    store.commit(a, 3);
    assertArrayEquals(concatZeros(d, 1000, 50_000), readAll(store, a));
    store.truncate(1, a, 1, 4, CS, 200_000);
    store.commit(a, 4);
    assertArrayEquals(concatZeros(d, 1000, 200_000), readAll(store, a));
    ChunkId fresh = new ChunkId(9, 9);
    store.truncate(1, fresh, 1, 1, CS, 70_000);
    store.commit(fresh, 1);
    assertArrayEquals(new byte[70_000], readAll(store, fresh));
    assertErrno(Errno.EFBIG, () -> store.truncate(1, a, 1, 5, CS, CS + 1L));
    assertErrno(Errno.EINVAL, () -> store.truncate(1, a, 1, 5, CS, -1));
  }

  private static byte[] concatZeros(byte[] d, int keep, int length) {
    byte[] out = new byte[length];
    System.arraycopy(d, 0, out, 0, keep);
    return out;
  }

  @Test
  void removeAndRemoveRange_freeEverything() {
    for (long inode = 1; inode <= 3; inode++) {
      for (long i = 0; i < 5; i++) {
        put(store, new ChunkId(inode, i), CS, 0, bytes(inode * 10 + i, 1000));
      }
    }
    store.write(req(new ChunkId(2, 7), 1, CS, 0, bytes(99, 10)));
    assertTrue(store.remove(new ChunkId(1, 3)));
    assertFalse(store.remove(new ChunkId(1, 3)));
    assertEquals(6, store.removeRange(ChunkId.firstOf(2), ChunkId.endOf(2)));
    assertEquals(List.of(new ChunkId(1, 0), new ChunkId(1, 1), new ChunkId(1, 2), new ChunkId(1, 4),
        new ChunkId(3, 0), new ChunkId(3, 1), new ChunkId(3, 2), new ChunkId(3, 3), new ChunkId(3, 4)),
        store.list(ChunkId.firstOf(0), ChunkId.endOf(10), 100).stream().map(ChunkMeta::chunkId).toList());
    assertEquals(9L * (64 << 10), store.space().used());
    assertTrue(store.check(true).clean());
  }

  @Test
  void lastChunk_ofInode() {
    put(store, new ChunkId(7, 0), CS, 0, bytes(1, 10));
    put(store, new ChunkId(7, 3), CS, 0, bytes(1, 1234));
    put(store, new ChunkId(8, 0), CS, 0, bytes(1, 10));
    store.write(req(new ChunkId(7, 5), 1, CS, 0, bytes(1, 10)));
    ChunkMeta last = store.lastChunk(ChunkId.firstOf(7), ChunkId.endOf(7)).orElseThrow();
    assertEquals(new ChunkId(7, 3), last.chunkId(), "a chunk with only a pending version does not count");
    assertEquals(1234, last.length());
    assertTrue(store.lastChunk(ChunkId.firstOf(9), ChunkId.endOf(9)).isEmpty());
  }

  @Test
  void chunkIds_orderUnsignedBigEndian() {
    put(store, new ChunkId(-1L, 0), CS, 0, bytes(1, 10));
    put(store, new ChunkId(1, -1L - 1), CS, 0, bytes(1, 10));
    put(store, new ChunkId(1, 2), CS, 0, bytes(1, 10));
    assertEquals(List.of(new ChunkId(1, 2), new ChunkId(1, -2L), new ChunkId(-1L, 0)),
        store.list(ChunkId.firstOf(0), ChunkId.endOf(-1L), 10).stream().map(ChunkMeta::chunkId).toList());
    assertEquals(new ChunkId(1, -2L), store.lastChunk(ChunkId.firstOf(1), ChunkId.endOf(1)).orElseThrow().chunkId());
  }

  @Test
  void crcMismatch_rejectedAndNothingStored() {
    byte[] d = bytes(30, 100);
    ChunkStore.WriteRequest bad = new ChunkStore.WriteRequest(1, a, 1, 1, CS, 0, ByteBuffer.wrap(d), crc(d) ^ 1);
    assertErrno(Errno.EBADMSG, () -> store.write(bad));
    assertTrue(store.meta(a).isEmpty());
    assertEquals(0, store.space().used());
  }

  @Test
  void badOffsetsAndSizes_rejectedAndNothingStored() {
    assertErrno(Errno.EINVAL, () -> store.write(req(a, 1, CS, -1, bytes(1, 10))));
    assertErrno(Errno.EINVAL, () -> store.write(req(a, 1, CS, CS + 1L, bytes(1, 0))));
    assertErrno(Errno.EFBIG, () -> store.write(req(a, 1, CS, CS - 5, bytes(1, 10))));
    assertErrno(Errno.EINVAL, () -> store.write(req(a, 1, 100_000, 0, bytes(1, 10))));
    assertErrno(Errno.EINVAL, () -> store.write(req(a, 1, 128 << 20, 0, bytes(1, 10))));
    assertErrno(Errno.EINVAL, () -> store.read(a, -1, 10));
    assertErrno(Errno.ENOENT, () -> store.read(a, 0, 10));
    assertTrue(store.meta(a).isEmpty());
    assertEquals(0, store.space().used());
    put(store, a, 64 << 10, (64 << 10) - 10, bytes(1, 10));
    assertEquals(64 << 10, store.meta(a).orElseThrow().length(), "a write may end exactly at the chunk size");
  }

  @Test
  void readHandle_pinsBlockUntilReleased() throws Exception {
    byte[] d = bytes(40, 5000);
    put(store, a, CS, 0, d);
    ChunkReadHandle h = store.openRead(a, 100, 1000);
    put(store, a, CS, 0, bytes(41, 5000));
    assertTrue(store.remove(a));
    assertEquals(64 << 10, store.space().used(), "pinned block still counted");
    assertTrue(store.check(false).clean());
    put(store, new ChunkId(5, 5), CS, 0, bytes(42, 5000));
    ByteBuffer got = ByteBuffer.allocate(h.length());
    h.channel().read(got, h.position());
    assertEquals(ByteBuffer.wrap(d, 100, 1000), got.flip(), "the pinned block was not reused");
    h.close();
    h.close();
    assertEquals(64 << 10, store.space().used());
    assertTrue(store.check(false).clean());
  }

  @Test
  void reopenAfterCleanClose_keepsEverything() {
    Map<ChunkId, byte[]> want = new HashMap<>();
    for (int i = 0; i < 20; i++) {
      ChunkId id = new ChunkId(100, i);
      byte[] d = bytes(i, 1000 + i * 7000);
      put(store, id, CS, 0, d);
      want.put(id, d);
    }
    store.write(req(new ChunkId(100, 0), 2, CS, 0, bytes(77, 10)));
    SpaceInfo before = store.space();
    List<ChunkMeta> metas = store.list(ChunkId.firstOf(0), ChunkId.endOf(1000), 1000);
    reopen("storage.verify_on_start", "full");
    CheckReport r = store.startupReport();
    assertTrue(r.clean(), r.toString());
    assertEquals(20, r.chunks());
    assertEquals(1, r.pending());
    assertEquals(21, r.crcVerified());
    assertEquals(metas, store.list(ChunkId.firstOf(0), ChunkId.endOf(1000), 1000));
    assertEquals(before.used(), store.space().used());
    want.forEach((id, d) -> assertArrayEquals(d, readAll(store, id)));
    store.commit(new ChunkId(100, 0), 2);
    assertArrayEquals(bytes(77, 10), Arrays.copyOf(readAll(store, new ChunkId(100, 0)), 10));
  }

  @Test
  void reopenWithOtherFilesPerClass_isRefused() {
    store.close();
    assertErrno(Errno.EINVAL, () -> TestStores.open(dir, "storage.files_per_class", "2"));
    store = TestStores.open(dir);
  }

  @Test
  void manyRandomOps_matchModel_spaceExact_blocksReused() {
    reopen("storage.fsync", "never");
    SplittableRandom rnd = new SplittableRandom(2024);
    Map<ChunkId, byte[]> model = new HashMap<>();
    int chunkSize = 256 << 10;
    long maxUsed = 0;
    for (int op = 0; op < 1500; op++) {
      ChunkId id = new ChunkId(rnd.nextInt(3), rnd.nextInt(8));
      byte[] cur = model.get(id);
      int kind = rnd.nextInt(10);
      if (kind < 6) {
        int off = rnd.nextInt(chunkSize);
        int len = rnd.nextInt(Math.min(chunkSize - off, 40_000) + 1);
        byte[] d = bytes(op, len);
        put(store, id, chunkSize, off, d);
        byte[] next = Arrays.copyOf(cur == null ? new byte[0] : cur, Math.max(cur == null ? 0 : cur.length,
            off + len));
        System.arraycopy(d, 0, next, off, len);
        model.put(id, next);
      } else if (kind < 7) {
        int len = rnd.nextInt(chunkSize + 1);
        long v = store.meta(id).map(ChunkMeta::committedVersion).orElse(0L) + 1;
        store.truncate(1, id, 1, v, chunkSize, len);
        store.commit(id, v);
        model.put(id, Arrays.copyOf(cur == null ? new byte[0] : cur, len));
      } else if (kind < 8) {
        long v = store.meta(id).map(ChunkMeta::committedVersion).orElse(0L) + 1;
        store.write(req(id, v, chunkSize, 0, bytes(op, 100)));
        store.abort(id, v);
      } else if (kind < 9) {
        assertEquals(cur != null, store.remove(id));
        model.remove(id);
      } else if (cur != null) {
        assertArrayEquals(cur, readAll(store, id));
      }
      long sum = store.list(ChunkId.firstOf(0), ChunkId.endOf(100), 1000).stream()
          .mapToLong(ChunkMeta::usedBytes).sum();
      assertEquals(sum, store.space().used(), "space used after op " + op);
      maxUsed = Math.max(maxUsed, sum);
    }
    for (Map.Entry<ChunkId, byte[]> e : model.entrySet()) {
      assertArrayEquals(e.getValue(), readAll(store, e.getKey()));
    }
    long slotBytes = store.space().classes().stream().mapToLong(c -> c.slots() * c.blockSize()).sum();
    assertTrue(slotBytes <= 2 * maxUsed + (24L << 20),
        "freed blocks are reused: slots hold " + slotBytes + " bytes, peak use " + maxUsed);
    CheckReport r = store.check(true);
    assertTrue(r.clean(), r.toString());
    reopen("storage.verify_on_start", "full");
    assertTrue(store.startupReport().clean(), store.startupReport().toString());
    for (Map.Entry<ChunkId, byte[]> e : model.entrySet()) {
      assertArrayEquals(e.getValue(), readAll(store, e.getKey()));
    }
  }
}
