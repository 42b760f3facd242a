package io.catena.meta.store;

import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.kv.RangeResult;
import io.catena.meta.Inode;
import io.catena.meta.Layout;
import io.catena.meta.UserInfo;
import io.catena.meta.goal.GoalCounts;
import io.catena.meta.goal.GoalReport;
import io.catena.meta.goal.GoalService;
import io.catena.meta.goal.GoalStatus;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;

/**
 * set-goal and get-goal on the namespace. A directory's goal is the chain table of its default layout, so what is
 * created beneath it inherits the goal as it inherits the layout. A file's goal is the table its chunks are on;
 * changing it records a pending move ({@link GoalKeys}) that {@link GoalMover} carries out, except for empty files
 * nobody writes, which switch at once. A recursive call walks the tree page by page, one small transaction per
 * inode, so it is bounded whatever the tree's size (and not atomic: a retry finishes it). Thread-safe: stateless.
 */
public final class GoalOps implements GoalService {
  private static final int PAGE = 128;
  private static final GoalCounts CHANGED = new GoalCounts(1, 0, 0);
  private static final GoalCounts NOT_CHANGED = new GoalCounts(0, 1, 0);
  private static final GoalCounts NOT_PERMITTED = new GoalCounts(0, 0, 1);
  private static final GoalCounts NOTHING = new GoalCounts(0, 0, 0);

  private final MetaContext ctx;
  private final GoalTables tables;

  public GoalOps(MetaContext ctx, GoalTables tables) {
    this.ctx = ctx;
    this.tables = tables;
  }

  @Override
  public GoalCounts setGoal(UserInfo user, long ino, int goal, boolean recursive) {
    int table = tables.tableFor(goal); // refuse before anything changes
    GoalCounts total = ctx.runner().run(txn -> apply(new Tx(txn), user, ino, goal, table));
    if (!recursive) {
      return total;
    }
    for (long dir : walk(ino)) {
      String cursor = null;
      boolean more = true;
      while (more) {
        String from = cursor;
        RangeResult page = ctx.runner().read(txn -> new Tx(txn).dentPage(dir, from, PAGE));
        for (KeyValue kv : page.pairs()) {
          Dent d = Tx.decodeDentPair(kv);
          total = total.plus(ctx.runner().run(txn -> apply(new Tx(txn), user, d.ino(), goal, table)));
          cursor = d.name();
        }
        more = page.more() && !page.pairs().isEmpty();
      }
    }
    return total;
  }

  /** Directories of the tree under {@code ino} (itself first), found with snapshot reads. */
  private Iterable<Long> walk(long ino) {
    return () -> new java.util.Iterator<>() {
      final Deque<Long> queue = new ArrayDeque<>(List.of(ino));
      boolean first = true;

      @Override
      public boolean hasNext() {
        if (first) {
          first = false;
          if (!ctx.runner().read(txn -> new Tx(txn).inode(ino)).isDirectory()) {
            queue.clear();
          }
        }
        return !queue.isEmpty();
      }

      @Override
      public Long next() {
        long dir = queue.removeFirst();
        String cursor = null;
        boolean more = true;
        while (more) {
          String from = cursor;
          RangeResult page = ctx.runner().read(txn -> new Tx(txn).dentPage(dir, from, PAGE));
          for (KeyValue kv : page.pairs()) {
            Dent d = Tx.decodeDentPair(kv);
            if (d.type() == io.catena.meta.InodeType.DIRECTORY) {
              queue.addLast(d.ino());
            }
            cursor = d.name();
          }
          more = page.more() && !page.pairs().isEmpty();
        }
        return dir;
      }
    };
  }

  private GoalCounts apply(Tx tx, UserInfo user, long ino, int goal, int table) {
    Optional<Inode> found = tx.findInode(ino, true);
    if (found.isEmpty() || !(found.get().isDirectory() || found.get().isFile())) {
      return NOTHING; // gone meanwhile, or a symlink or device: no goal
    }
    Inode i = found.get();
    if (!PermissionChecker.ownerOrRoot(user, i)) {
      return NOT_PERMITTED;
    }
    if (i.isDirectory()) {
      Layout cur = i.layout() == null ? ctx.rootLayout() : i.layout();
      if (cur.chainTableId() == table) {
        return NOT_CHANGED;
      }
      tx.putInode(i.withLayout(Layout.defaults(table, cur.chunkSize(), cur.stripeSize())).withCtime(ctx.nowNanos()));
      return CHANGED;
    }
    Optional<GoalKeys.Pending> pending = tx.get(GoalKeys.pending(ino), true).map(GoalKeys.Pending::decode);
    int current = tables.goalOf(i.layout().chainTableId());
    if (current == goal) {
      if (pending.isEmpty()) {
        return NOT_CHANGED;
      }
      tx.clear(GoalKeys.pending(ino)); // back to where it is: the move is called off
      return CHANGED;
    }
    if (pending.isPresent() && pending.get().table() == table) {
      return NOT_CHANGED;
    }
    if (i.length() == 0 && i.nlink() > 0 && !tx.hasSessions(ino, true)) {
      // Nothing to copy and nobody writing: switch now (an empty closed file has no chunks).
      Layout l = i.layout();
      tx.putInode(i.withLayout(ctx.fileLayout(Layout.defaults(table, l.chunkSize(), l.stripeSize()), ino)));
      pending.ifPresent(p -> tx.clear(GoalKeys.pending(ino)));
      return CHANGED;
    }
    tx.set(GoalKeys.pending(ino), new GoalKeys.Pending(table, goal, current).encode());
    return CHANGED;
  }

  @Override
  public GoalReport getGoal(UserInfo user, long ino, boolean recursive) {
    Inode self = ctx.runner().read(txn -> new Tx(txn).inode(ino));
    int[] own = ctx.runner().read(txn -> goalOf(new Tx(txn), self));
    TreeMap<Integer, Long> files = new TreeMap<>();
    TreeMap<Integer, Long> dirs = new TreeMap<>();
    long moving = 0;
    if (recursive) {
      count(self, own, files, dirs);
      moving += own[1] != 0 ? 1 : 0;
      for (long dir : walk(ino)) {
        String cursor = null;
        boolean more = true;
        while (more) {
          String from = cursor;
          RangeResult page = ctx.runner().read(txn -> new Tx(txn).dentPage(dir, from, PAGE));
          for (KeyValue kv : page.pairs()) {
            Dent d = Tx.decodeDentPair(kv);
            Optional<int[]> g = ctx.runner().read(txn -> {
              Tx tx = new Tx(txn);
              return tx.findInode(d.ino(), false).map(i -> goalOf(tx, i));
            });
            if (g.isPresent() && (d.type() == io.catena.meta.InodeType.FILE
                || d.type() == io.catena.meta.InodeType.DIRECTORY)) {
              (d.type() == io.catena.meta.InodeType.FILE ? files : dirs).merge(g.get()[0], 1L, Long::sum);
              moving += g.get()[1] != 0 ? 1 : 0;
            }
            cursor = d.name();
          }
          more = page.more() && !page.pairs().isEmpty();
        }
      }
    }
    return new GoalReport(own[0], own[1], files, dirs, moving);
  }

  private static void count(Inode i, int[] g, TreeMap<Integer, Long> files, TreeMap<Integer, Long> dirs) {
    if (i.isFile()) {
      files.merge(g[0], 1L, Long::sum);
    } else if (i.isDirectory()) {
      dirs.merge(g[0], 1L, Long::sum);
    }
  }

  /** {goal, target goal or 0}; other types have goal 0. */
  private int[] goalOf(Tx tx, Inode i) {
    if (i.isDirectory()) {
      return new int[] {tables.goalOf((i.layout() == null ? ctx.rootLayout() : i.layout()).chainTableId()), 0};
    }
    if (!i.isFile() || i.layout() == null) {
      return new int[] {0, 0};
    }
    int target = tx.get(GoalKeys.pending(i.id()), false).map(v -> GoalKeys.Pending.decode(v).goal()).orElse(0);
    return new int[] {tables.goalOf(i.layout().chainTableId()), target};
  }

  @Override
  public GoalStatus status(UserInfo user) {
    long[] moving = {0, 0};
    scan(GoalKeys.GOAL, kv -> {
      GoalKeys.Pending p = GoalKeys.Pending.decode(kv.value());
      moving[0]++;
      if (p.goal() > p.fromGoal()) {
        moving[1]++;
      }
    });
    long[] old = {0};
    scan(GoalKeys.GOLD, kv -> old[0]++);
    return new GoalStatus(moving[0], moving[1], old[0]);
  }

  void scan(byte[] prefix, java.util.function.Consumer<KeyValue> each) {
    GoalKeys.scan(ctx, prefix, each);
  }

}
