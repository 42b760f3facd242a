package io.catena.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.ManualRoutingSource;
import io.catena.common.cluster.RoutingInfo;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.common.time.ManualClock;
import io.catena.kv.KvEngine;
import io.catena.kv.TransactionRunner;
import io.catena.kv.mem.MemKvEngine;
import io.catena.meta.ChainTableSource;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.QuotaLimits;
import io.catena.meta.RequestId;
import io.catena.meta.UserInfo;
import io.catena.meta.client.MetaClientConfig;
import io.catena.meta.server.MetaConfig;
import io.catena.meta.store.KvMetaService;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every front end's handles do ({@link OpenFile}), over a real meta on mem:// and chunks in memory. */
class OpenFileTest {
  private static final ChainTable TABLE = new ChainTable(1, 1, List.of(11L, 12L, 13L));
  private static final UserInfo ROOT = UserInfo.ROOT;
  private static final int KIB = 1024;

  private KvEngine kv;
  private KvMetaService meta;
  private InMemoryChunks chunks;
  private final AtomicLong requests = new AtomicLong();

  @BeforeEach
  void setUp() {
    kv = new MemKvEngine();
    chunks = new InMemoryChunks();
    Config metaConfig = Config.defaults(ConfigSchema.fromHolders(MetaConfig.class, MetaClientConfig.class))
        .withUpdates(Map.of("meta.default_chunk_size", "64KiB", "meta.default_stripe_size", "3"), "test", false);
    meta = new KvMetaService(TransactionRunner.withDefaults(kv), new ManualClock(), metaConfig,
        ChainTableSource.fixed(TABLE), chunks);
    meta.format(0777);
  }

  @AfterEach
  void tearDown() {
    kv.close();
  }

  private OpenFiles files(Map<String, String> clientKeys) {
    Config config = Config.defaults(ConfigSchema.fromHolders(ClientConfig.class)).withUpdates(clientKeys, "test", false);
    FileLayoutIo io = new FileLayoutIo(chunks,
        new ManualRoutingSource(new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(TABLE))));
    return new OpenFiles(meta, io, () -> config);
  }

  private OpenFile create(OpenFiles files, long dir, String name) {
    return files.open(meta.create(ROOT, dir, name, 0644, OpenFlags.O_RDWR | OpenFlags.O_CREAT, "c1", request()),
        OpenFlags.O_RDWR);
  }

  private OpenFile open(OpenFiles files, Inode inode, int flags) {
    return files.open(meta.open(ROOT, inode.id(), flags, "c1"), flags);
  }

  private RequestId request() {
    return new RequestId("c1", requests.incrementAndGet());
  }

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  private static String read(OpenFile f, long offset, int size) {
    ByteBuffer b = ByteBuffer.allocate(size);
    int n = f.read(offset, b);
    return n < 0 ? "" : new String(b.array(), 0, n, StandardCharsets.UTF_8);
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (!condition.getAsBoolean()) {
      assertTrue(System.nanoTime() < deadline, "timed out waiting until " + what);
      Thread.sleep(5);
    }
  }

  @Test
  void operationsTheHandleWasNotOpenedFor_failWithEbadf() {
    OpenFiles files = files(Map.of());
    OpenFile created = create(files, MetaService.ROOT, "f");
    created.write(ROOT, 0, bytes("x"));
    created.close(ROOT);

    OpenFile readOnly = open(files, created.inode(), OpenFlags.O_RDONLY);
    assertEquals(Errno.EBADF, assertThrows(CatenaException.class, () -> readOnly.write(ROOT, 0, bytes("y"))).errno());
    assertEquals("x", read(readOnly, 0, 10));
    OpenFile writeOnly = open(files, created.inode(), OpenFlags.O_WRONLY);
    assertEquals(Errno.EBADF, assertThrows(CatenaException.class, () -> read(writeOnly, 0, 10)).errno());

    long handle = readOnly.handle();
    readOnly.close(ROOT);
    readOnly.close(ROOT); // a second close does nothing
    assertEquals(Errno.EBADF, assertThrows(CatenaException.class, () -> read(readOnly, 0, 1)).errno());
    assertEquals(Errno.EBADF, assertThrows(CatenaException.class, () -> readOnly.flush(ROOT)).errno());
    assertEquals(Errno.EBADF, assertThrows(CatenaException.class, () -> files.get(handle)).errno());
    assertEquals(writeOnly, files.get(writeOnly.handle()));
    writeOnly.close(ROOT);
  }

  @Test
  void appendWritesAtTheLengthTheClientKnows_whateverOffsetIsAsked() {
    OpenFiles files = files(Map.of());
    OpenFile created = create(files, MetaService.ROOT, "log");
    created.write(ROOT, 0, bytes("abc"));
    created.close(ROOT);

    OpenFile a = open(files, created.inode(), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
    OpenFile b = open(files, created.inode(), OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
    ByteBuffer src = bytes("def");
    assertEquals(3, a.write(ROOT, 0, src));
    assertEquals(0, src.remaining(), "the written bytes are consumed");
    b.write(ROOT, 1, bytes("gh")); // another handle of the same client appends after what the first wrote
    assertEquals(8, a.length());
    a.close(ROOT);
    b.close(ROOT);

    OpenFile r = open(files, created.inode(), OpenFlags.O_RDONLY);
    assertEquals("abcdefgh", read(r, 0, 20));
    assertEquals(8, meta.getattr(ROOT, created.inode().id()).length(), "close recorded the exact length");
    r.close(ROOT);
  }

  @Test
  void handlesOfOneInodeShareLengthAndWriteBehind_readsSeeEachOthersWrites() {
    OpenFiles files = files(Map.of("client.write_behind", "1MiB"));
    OpenFile writer = create(files, MetaService.ROOT, "shared");
    OpenFile reader = open(files, writer.inode(), OpenFlags.O_RDONLY);
    writer.write(ROOT, 100 * KIB, bytes("tail"));
    assertEquals(100 * KIB + 4, reader.length());
    assertEquals(100 * KIB + 4, files.knownLength(writer.inode().id()));
    assertEquals("tail", read(reader, 100 * KIB, 10), "a read waits for the writes in flight");
    writer.close(ROOT);
    reader.close(ROOT);
    assertEquals(-1, files.knownLength(writer.inode().id()), "the last close forgets the inode");
  }

  @Test
  void growthPastTheHintStep_isReportedToMetaWhileTheFileIsStillOpen() throws Exception {
    OpenFiles files = files(Map.of("client.length_hint_step", "64KiB"));
    OpenFile f = create(files, MetaService.ROOT, "growing");
    long id = f.inode().id();
    f.write(ROOT, 0, ByteBuffer.allocate(32 * KIB));
    f.write(ROOT, 32 * KIB, ByteBuffer.allocate(100 * KIB));
    await(() -> meta.getattr(ROOT, id).length() == 132 * KIB, "meta holds the hinted length");
    f.close(ROOT);
  }

  @Test
  void afterMetaRefusesGrowthWithEdquot_growingWritesFail_andOverwritesStillWork() throws Exception {
    OpenFiles files = files(Map.of("client.length_hint_step", "256KiB"));
    long dir = meta.mkdir(ROOT, MetaService.ROOT, "q", 0777, request()).id();
    meta.setQuota(ROOT, dir, QuotaLimits.bytes(1 << 20));
    OpenFile f = create(files, dir, "big");
    f.write(ROOT, 0, ByteBuffer.allocate(2 << 20)); // its hint asks meta for 2 MiB under a 1 MiB quota
    await(() -> {
      try {
        f.write(ROOT, f.length(), bytes("+"));
        return false;
      } catch (CatenaException e) {
        assertEquals(Errno.EDQUOT, e.errno(), e::toString);
        return true;
      }
    }, "a growing write fails with EDQUOT");
    long length = f.length();
    assertEquals(Errno.EDQUOT, assertThrows(CatenaException.class, () -> f.write(ROOT, length - 1, bytes("ab")))
        .errno(), "a write reaching past the known length grows the file");
    assertEquals(2, f.write(ROOT, length - 2, bytes("ok")), "a write within the known length does not");
    assertEquals("ok", read(f, length - 2, 2));
    assertArrayEquals(new byte[] {0, 0}, read(f, 0, 2).getBytes(StandardCharsets.UTF_8));
    assertEquals(Errno.EDQUOT, assertThrows(CatenaException.class, () -> f.close(ROOT)).errno(),
        "close records the exact length past the quota and says so");
    assertEquals(-1, files.knownLength(f.inode().id()), "the handle is gone even so");
  }

  @Test
  void aFailedBackgroundWriteSurfacesAtFlush_andStaysUntilClose() {
    OpenFiles files = files(Map.of());
    OpenFile f = create(files, MetaService.ROOT, "doomed");
    // Routing that lacks the file's chain table: the gathered write fails once it is sent.
    FileLayoutIo noTable = new FileLayoutIo(chunks, new ManualRoutingSource(
        new RoutingInfo(1, "test", List.of(), List.of(), List.of(), List.of(new ChainTable(1, 2, List.of(11L))))));
    OpenFiles broken = new OpenFiles(meta, noTable,
        () -> Config.defaults(ConfigSchema.fromHolders(ClientConfig.class)));
    OpenFile g = broken.open(meta.open(ROOT, f.inode().id(), OpenFlags.O_RDWR, "c1"), OpenFlags.O_RDWR);
    assertEquals(1, g.write(ROOT, 0, bytes("x")), "write-behind: the write returns before the bytes are sent");
    assertEquals(Errno.ESTALE, assertThrows(CatenaException.class, () -> g.flush(ROOT)).errno());
    assertEquals(Errno.ESTALE, assertThrows(CatenaException.class, () -> g.flush(ROOT)).errno());
    assertEquals(Errno.ESTALE, assertThrows(CatenaException.class, () -> g.close(ROOT)).errno());
    f.close(ROOT);
  }

  @Test
  void writeAsyncCompletesOnceCommitted_growsTheLengthAndCloseRecordsIt() {
    OpenFiles files = files(Map.of("client.write_behind", "1MiB"));
    OpenFile f = create(files, MetaService.ROOT, "ring");
    ByteBuffer src = bytes("hello");
    assertEquals(5, f.writeAsync(ROOT, 70 * KIB, src).join());
    assertEquals(5, src.remaining(), "the caller's buffer is not consumed");
    assertEquals(70 * KIB + 5, f.length());
    ByteBuffer stored = ByteBuffer.allocate(5);
    new FileLayoutIo(chunks, new ManualRoutingSource(new RoutingInfo(1, "test", List.of(), List.of(), List.of(),
        List.of(TABLE)))).read(f.inode().id(), f.inode().layout(), 70 * KIB + 5, 70 * KIB, stored).join();
    assertEquals("hello", new String(stored.array(), StandardCharsets.UTF_8),
        "committed to the chunks when the future completed, not left in write-behind");
    OpenFile readOnly = open(files, f.inode(), OpenFlags.O_RDONLY);
    assertEquals(Errno.EBADF, ((CatenaException) assertThrows(java.util.concurrent.CompletionException.class,
        () -> readOnly.writeAsync(ROOT, 0, bytes("x")).join()).getCause()).errno());
    f.close(ROOT);
    assertEquals(70 * KIB + 5, meta.getattr(ROOT, f.inode().id()).length());
    readOnly.close(ROOT);
  }

  @Test
  void concurrentAsyncAppendsReserveDisjointRanges() {
    OpenFiles files = files(Map.of());
    OpenFile f = files.open(meta.create(ROOT, MetaService.ROOT, "log", 0644,
        OpenFlags.O_WRONLY | OpenFlags.O_CREAT | OpenFlags.O_APPEND, "c1", request()),
        OpenFlags.O_WRONLY | OpenFlags.O_APPEND);
    List<java.util.concurrent.CompletableFuture<Integer>> all = new java.util.ArrayList<>();
    for (int i = 0; i < 20; i++) {
      all.add(f.writeAsync(ROOT, 0, bytes("ab")));
    }
    all.forEach(java.util.concurrent.CompletableFuture::join);
    assertEquals(40, f.length());
    f.close(ROOT);
    OpenFile r = open(files, f.inode(), OpenFlags.O_RDONLY);
    assertEquals("ab".repeat(20), read(r, 0, 100));
    r.close(ROOT);
  }

  @Test
  void aBatchOfReadsThroughSeveralHandlesAnswersEachOnItsOwn() {
    OpenFiles files = files(Map.of("client.write_behind", "1MiB"));
    OpenFile a = create(files, MetaService.ROOT, "a");
    OpenFile b = create(files, MetaService.ROOT, "b");
    a.write(ROOT, 0, bytes("alpha"));
    b.write(ROOT, 100 * KIB, bytes("beta")); // still in write-behind: the batch waits for it
    OpenFile writeOnly = open(files, a.inode(), OpenFlags.O_WRONLY);
    ByteBuffer da = ByteBuffer.allocate(10);
    ByteBuffer db = ByteBuffer.allocateDirect(4);
    ByteBuffer dx = ByteBuffer.allocate(1);
    ByteBuffer past = ByteBuffer.allocate(1);
    var got = files.readBatch(List.of(new OpenFiles.HandleRead(a, 0, da), new OpenFiles.HandleRead(b, 100 * KIB, db),
        new OpenFiles.HandleRead(writeOnly, 0, dx), new OpenFiles.HandleRead(a, 5, past)));
    assertEquals(5, got.get(0).join());
    assertEquals("alpha", new String(da.array(), 0, 5, StandardCharsets.UTF_8));
    assertEquals(4, got.get(1).join());
    assertEquals('b', db.get(0));
    assertEquals(Errno.EBADF, ((CatenaException) assertThrows(java.util.concurrent.CompletionException.class,
        () -> got.get(2).join()).getCause()).errno());
    assertEquals(-1, got.get(3).join());
    a.close(ROOT);
    b.close(ROOT);
    writeOnly.close(ROOT);
  }

  @Test
  void afterASnapshot_aWritableOpenMovesEveryHandleOfThisClientToTheFilesOwnData_andTheSnapshotKeepsItsBytes() {
    OpenFiles files = files(Map.of());
    OpenFile created = create(files, MetaService.ROOT, "f");
    created.write(ROOT, 0, bytes("hello world"));
    created.close(ROOT);
    meta.snapshot(ROOT, created.inode().id(), MetaService.ROOT, "snap", request());

    OpenFile reader = open(files, created.inode(), OpenFlags.O_RDONLY); // opened while the data is shared
    OpenFile writer = open(files, created.inode(), OpenFlags.O_WRONLY);
    writer.write(ROOT, 0, bytes("HELLO"));
    assertEquals("HELLO world", read(reader, 0, 100), "the reader on this client sees the write");
    writer.close(ROOT);
    reader.close(ROOT);

    Inode snap = meta.lookup(ROOT, MetaService.ROOT, "snap");
    OpenFile s = open(files, snap, OpenFlags.O_RDONLY);
    assertEquals("hello world", read(s, 0, 100));
    s.close(ROOT);
  }
}
