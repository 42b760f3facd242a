package io.catena.meta.store;

import static io.catena.meta.MetaFixture.ALICE;
import static io.catena.meta.MetaFixture.ROOT;
import static io.catena.meta.MetaFixture.expect;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.ChainInfo;
import io.catena.common.cluster.ChainTable;
import io.catena.common.cluster.NodeInfo;
import io.catena.common.cluster.NodeStatus;
import io.catena.common.cluster.NodeType;
import io.catena.common.cluster.RoutingInfo;
import io.catena.meta.Inode;
import io.catena.meta.Layout;
import io.catena.meta.MetaFixture;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.SetAttr;
import io.catena.meta.goal.GoalCounts;
import io.catena.meta.goal.GoalReport;
import io.catena.meta.goal.GoalStatus;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Replication goals in meta: inheritance through directory layouts, set-goal -r counts, refusals, and the mover
 * (verified copy, switch only of unchanged closed files, resumable, old copies removed after the delay).
 */
class GoalTest {
  static final int GOAL3 = 1;
  static final int GOAL1 = 11;
  static final int GOAL2 = 12;

  final MetaFixture f = new MetaFixture();
  final AtomicReference<RoutingInfo> routing = new AtomicReference<>(routing(3, true));
  final KvMetaService meta = new KvMetaService(f.runner, f.clock, f.config,
      id -> routing.get().latestChainTable(id), f.storage);
  final GoalOps goals = new GoalOps(meta.context(), new GoalTables(routing::get));
  /** What each (inode, chain table) holds at the fake storage: chunk index to its bytes' length. */
  final Map<String, Map<Long, Long>> chunks = new ConcurrentHashMap<>();
  final List<String> copies = new ArrayList<>();
  Runnable duringCopy = () -> { };
  final ChunkCopier copier = (ino, index, from, to) -> {
    duringCopy.run();
    long len = chunks.getOrDefault(key(ino, from), Map.of()).getOrDefault(index, 0L);
    chunks.computeIfAbsent(key(ino, to), k -> new TreeMap<>()).put(index, len);
    copies.add(ino + ":" + index + "->" + to.chainTableId());
    return len;
  };
  final List<Duration> pauses = new ArrayList<>();
  final GoalMover mover = new GoalMover(meta.context(), copier, pauses::add);

  /** {@code nodes} storage nodes; tables of goal 3 (id 1), 1 (id 11) and, with {@code goal2}, 2 (id 12). */
  static RoutingInfo routing(int nodes, boolean goal2) {
    List<NodeInfo> ns = new ArrayList<>();
    for (int n = 1; n <= nodes; n++) {
      ns.add(new NodeInfo(10000 + n, NodeType.STORAGE, "127.0.0.1:" + (4000 + n), NodeStatus.ALIVE, 1, 0, 0, ""));
    }
    List<ChainInfo> chains = new ArrayList<>();
    List<ChainTable> tables = new ArrayList<>();
    int[][] specs = goal2 ? new int[][] {{GOAL3, 3}, {GOAL1, 1}, {GOAL2, 2}} : new int[][] {{GOAL3, 3}, {GOAL1, 1}};
    for (int[] t : specs) {
      List<Long> ids = new ArrayList<>();
      for (int c = 0; c < 3; c++) {
        long chain = t[0] * 1000L + c + 1;
        List<Long> targets = new ArrayList<>();
        for (int k = 0; k < t[1]; k++) {
          targets.add(chain * 100 + k + 1);
        }
        chains.add(ChainInfo.allServing(chain, targets));
        ids.add(chain);
      }
      tables.add(new ChainTable(t[0], 1, ids));
    }
    return new RoutingInfo(1, "c", ns, List.of(), chains, tables);
  }

  /** Where the fake storage keeps file {@code ino}'s chunks: its layout's data owner on the layout's table. */
  static String key(long ino, Layout l) {
    return l.dataOwner(ino) + "@" + l.chainTableId();
  }

  long dir(long parent, String name) {
    return meta.mkdir(ROOT, parent, name, 0777, null).id();
  }

  /** A closed file of {@code length} bytes whose chunks the fake storage holds on its current table. */
  Inode file(long parent, String name, long length) {
    OpenResult o = meta.create(ROOT, parent, name, 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null);
    long ino = o.inode().id();
    f.storage.lengths.put(ino, length);
    Inode closed = meta.close(ROOT, ino, o.sessionId(), true);
    Layout l = closed.layout();
    Map<Long, Long> cs = new TreeMap<>();
    for (long c = 0; c * l.chunkSize() < length; c++) {
      cs.put(c, Math.min(l.chunkSize(), length - c * l.chunkSize()));
    }
    chunks.put(key(ino, l), cs);
    return closed;
  }

  int goalOf(long ino) {
    return goals.getGoal(ROOT, ino, false).goal();
  }

  @Test
  void aDirectorysGoal_isInheritedByDirectoriesAndFilesCreatedBeneathIt() {
    long a = dir(MetaService.ROOT, "a");
    assertEquals(3, goalOf(a)); // the root's table 1 has chains of 3 replicas
    assertEquals(new GoalCounts(1, 0, 0), goals.setGoal(ROOT, a, 1, false));
    assertEquals(1, goalOf(a));
    long b = dir(a, "b");
    Inode file = meta.create(ROOT, b, "f", 0644, OpenFlags.O_CREAT | OpenFlags.O_RDWR, "c1", null).inode();
    assertEquals(1, goalOf(b));
    assertEquals(GOAL1, file.layout().chainTableId());
    assertEquals(1, goalOf(file.id()));
    Inode sibling = meta.create(ROOT, MetaService.ROOT, "g", 0644, OpenFlags.O_CREAT, "c1", null).inode();
    assertEquals(3, goalOf(sibling.id())); // outside the tree: the root's goal
    f.assertConsistent();
  }

  @Test
  void recursiveSetGoal_countsChangedNotChangedAndNotPermitted_andQueuesFilesWithData() {
    long t = dir(MetaService.ROOT, "t");
    long sub = dir(t, "sub");
    Inode full = file(t, "full", 3 * 1024 * 1024 + 5);
    Inode empty = meta.create(ROOT, sub, "empty", 0644, OpenFlags.O_CREAT, "c1", null).inode();
    Inode alices = meta.create(ALICE, t, "alices", 0644, OpenFlags.O_CREAT, "c2", null).inode();
    meta.symlink(ROOT, t, "link", "full", null); // no goal: not counted

    // t, sub, full, empty, alices: five inodes change.
    assertEquals(new GoalCounts(5, 0, 0), goals.setGoal(ROOT, t, 2, true));
    assertEquals(new GoalCounts(0, 5, 0), goals.setGoal(ROOT, t, 2, true)); // again: nothing to do
    assertEquals(2, goalOf(empty.id())); // empty and closed: switched at once
    GoalReport fullGoal = goals.getGoal(ROOT, full.id(), false);
    assertEquals(3, fullGoal.goal()); // data still on 3 replicas, moving to 2
    assertEquals(2, fullGoal.targetGoal());
    assertEquals(new GoalStatus(1, 0, 0), goals.status(ROOT));

    // alice owns only her file: the rest is not hers to change.
    assertEquals(new GoalCounts(1, 0, 4), goals.setGoal(ALICE, t, 1, true));

    GoalReport tree = goals.getGoal(ROOT, t, true);
    assertEquals(Map.of(2, 2L), tree.directories());
    assertEquals(Map.of(1, 1L, 2, 1L, 3, 1L), tree.files()); // alices (empty) 1, empty 2, full 3 (moving)
    assertEquals(1, tree.moving());

    // Back to 3 before the mover ran: the move is called off.
    assertEquals(new GoalCounts(1, 0, 0), goals.setGoal(ROOT, full.id(), 3, false));
    assertEquals(new GoalStatus(0, 0, 0), goals.status(ROOT));
    f.assertConsistent();
  }

  @Test
  void goalsWithoutATableOrBeyondTheStorageNodes_areRefusedPrecisely_andChangeNothing() {
    long t = dir(MetaService.ROOT, "t");
    file(t, "x", 10);
    CatenaException e = assertThrows(CatenaException.class, () -> goals.setGoal(ROOT, t, 4, true));
    assertEquals(Errno.EINVAL, e.errno());
    assertEquals("goal 4 needs 4 storage nodes, the cluster has 3", e.status().message());
    expect(Errno.EINVAL, () -> goals.setGoal(ROOT, t, 0, true));
    expect(Errno.EINVAL, () -> goals.setGoal(ROOT, t, 10, false));
    routing.set(routing(3, false));
    e = assertThrows(CatenaException.class, () -> goals.setGoal(ROOT, t, 2, true));
    assertEquals(Errno.EINVAL, e.errno());
    assertTrue(e.status().message().startsWith("no chain table has chains of 2 replicas (tables and their goals: "
        + "{1=3, 11=1})"), e.getMessage());
    f.expectNothingWritten(Errno.EINVAL, () -> goals.setGoal(ROOT, t, 2, true));
    assertEquals(3, goals.getGoal(ROOT, t, true).directories().keySet().iterator().next());
    assertEquals(new GoalStatus(0, 0, 0), goals.status(ROOT));
  }

  @Test
  void theMover_copiesEveryChunk_switchesTheLayout_andRemovesTheOldCopyOnlyAfterTheDelay() throws Exception {
    long t = dir(MetaService.ROOT, "t");
    Inode x = file(t, "x", 2 * 1024 * 1024 + 7); // three chunks of 1 MiB
    Layout old = x.layout();
    goals.setGoal(ROOT, t, 1, true);
    assertEquals(new GoalStatus(1, 0, 0), goals.status(ROOT));

    assertEquals(1, mover.runOnce());
    Inode moved = meta.getattr(ROOT, x.id());
    assertEquals(GOAL1, moved.layout().chainTableId());
    assertEquals(x.length(), moved.length());
    assertEquals(x.mtime(), moved.mtime());
    assertEquals(chunks.get(key(x.id(), old)), chunks.get(key(x.id(), moved.layout())));
    assertEquals(3, copies.size());
    assertEquals(new GoalReport(1, 0, new TreeMap<>(), new TreeMap<>(), 0), goals.getGoal(ROOT, x.id(), false));
    assertEquals(new GoalStatus(0, 0, 1), goals.status(ROOT)); // the old copy waits for readers

    // Paced (the manual clock stands still): the last pause covers all 2 MiB + 7 bytes at 64 MiB/s, 1/32 s.
    long paused = pauses.stream().mapToLong(Duration::toNanos).max().orElse(0);
    assertTrue(Math.abs(paused - 31_250_000L) < 10_000, "paused " + paused + " ns");

    assertFalse(f.storage.removed.contains(x.id()));
    mover.runOnce();
    assertFalse(f.storage.removed.contains(x.id()), "old copy removed before meta.goal_old_copy_delay");
    f.clock.advance(Duration.ofSeconds(31));
    mover.runOnce();
    assertTrue(f.storage.removed.contains(x.id()));
    assertEquals(new GoalStatus(0, 0, 0), goals.status(ROOT));
    f.assertConsistent();
  }

  @Test
  void aFileOpenForWriting_staysWhereItIs_untilClosed() throws Exception {
    long t = dir(MetaService.ROOT, "t");
    Inode x = file(t, "x", 100);
    goals.setGoal(ROOT, t, 2, true);
    OpenResult w = meta.open(ROOT, x.id(), OpenFlags.O_RDWR, "writer");
    assertEquals(0, mover.runOnce());
    assertEquals(GOAL3, meta.getattr(ROOT, x.id()).layout().chainTableId());
    assertTrue(copies.isEmpty(), "copied a file open for writing");
    assertEquals(new GoalStatus(1, 0, 0), goals.status(ROOT));
    meta.close(ROOT, x.id(), w.sessionId(), false);
    assertEquals(1, mover.runOnce());
    assertEquals(GOAL2, meta.getattr(ROOT, x.id()).layout().chainTableId());
  }

  @Test
  void aWriteDuringTheCopy_cancelsTheSwitch_andTheNextPassCopiesTheNewData() throws Exception {
    long t = dir(MetaService.ROOT, "t");
    Inode x = file(t, "x", 100);
    goals.setGoal(ROOT, t, 1, true);
    duringCopy = () -> {
      duringCopy = () -> { };
      // A writer opens, writes 200 bytes and closes while the mover copies.
      OpenResult w = meta.open(ROOT, x.id(), OpenFlags.O_RDWR, "writer");
      f.storage.lengths.put(x.id(), 200L);
      chunks.put(key(x.id(), x.layout()), new TreeMap<>(Map.of(0L, 200L)));
      f.tick();
      meta.close(ROOT, x.id(), w.sessionId(), true);
    };
    assertEquals(0, mover.runOnce());
    assertEquals(GOAL3, meta.getattr(ROOT, x.id()).layout().chainTableId()); // not switched on a stale copy
    // The stale copy had a data id of its own: it is removed, and x's data is not.
    assertEquals(1, f.storage.removed.size(), "the stale copy is removed");
    assertFalse(f.storage.removed.contains(x.id()));
    assertEquals(1, mover.runOnce());
    Inode moved = meta.getattr(ROOT, x.id());
    assertEquals(200, moved.length());
    assertEquals(Map.of(0L, 200L), chunks.get(key(x.id(), moved.layout())));
  }

  @Test
  void aMoveInterruptedMidCopy_isFinishedByAFreshMover_fromTheKvStoreAlone() throws Exception {
    long t = dir(MetaService.ROOT, "t");
    Inode x = file(t, "x", 3 * 1024 * 1024);
    goals.setGoal(ROOT, t, 2, true);
    GoalMover crashing = new GoalMover(meta.context(), (ino, index, from, to) -> {
      if (index == 1) {
        throw CatenaException.of(Errno.EIO, "storage went away");
      }
      return copier.copy(ino, index, from, to);
    }, d -> { });
    assertThrows(CatenaException.class, crashing::runOnce);
    assertEquals(GOAL3, meta.getattr(ROOT, x.id()).layout().chainTableId());
    assertEquals(new GoalStatus(1, 0, 0), goals.status(ROOT));

    GoalMover restarted = new GoalMover(meta.context(), copier, d -> { });
    assertEquals(1, restarted.runOnce());
    Inode moved = meta.getattr(ROOT, x.id());
    assertEquals(GOAL2, moved.layout().chainTableId());
    assertEquals(chunks.get(key(x.id(), x.layout())), chunks.get(key(x.id(), moved.layout())));
    assertEquals(new GoalStatus(0, 0, 1), goals.status(ROOT));
  }

  @Test
  void movingAFileWhoseDataASnapshotShares_leavesTheSharedDataInPlace_andEachSideReadsItsOwn() throws Exception {
    long t = dir(MetaService.ROOT, "shared");
    Inode src = file(t, "src", 2 * 1024 * 1024 + 7);
    Map<Long, Long> bytes = chunks.get(key(src.id(), src.layout()));
    meta.snapshot(ROOT, src.id(), t, "snap", null);
    Inode snap = meta.lookup(ROOT, t, "snap");
    assertEquals(src.id(), snap.layout().dataOwner(snap.id()), "the snapshot names the source's data");

    goals.setGoal(ROOT, t, 1, true);
    while (mover.runOnce() > 0) {
      // until nothing is left to move
    }
    f.clock.advance(Duration.ofHours(1));
    mover.runOnce(); // old copies due

    Inode movedSrc = meta.getattr(ROOT, src.id());
    Inode movedSnap = meta.getattr(ROOT, snap.id());
    assertEquals(GOAL1, movedSrc.layout().chainTableId());
    assertEquals(GOAL1, movedSnap.layout().chainTableId());
    long a = movedSrc.layout().dataOwner(src.id());
    long b = movedSnap.layout().dataOwner(snap.id());
    assertTrue(a != b && a != src.id() && b != src.id(), "each moved file names data of its own: " + a + ", " + b);
    assertEquals(bytes, chunks.get(key(src.id(), movedSrc.layout())));
    assertEquals(bytes, chunks.get(key(snap.id(), movedSnap.layout())));
    // The shared data on the old table went only when its last name moved off it, never while one still named it.
    assertTrue(f.storage.removed.contains(src.id()), "the old shared copy is removed once no file names it: removed "
        + f.storage.removed + ", src " + src.id() + " now " + a + ", snap " + snap.id() + " now " + b);
    assertFalse(f.storage.removed.contains(a) || f.storage.removed.contains(b));
    f.assertConsistent();
  }
}
