package io.catena.meta.store;

import io.catena.common.retry.Sleeper;
import io.catena.kv.KeyValue;
import io.catena.meta.Inode;
import io.catena.meta.Layout;
import io.catena.meta.server.MetaConfig;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Carries out goal changes recorded by {@link GoalOps}: for each pending file, copies every chunk to the chain table
 * of the new goal (each copy verified by {@link ChunkCopier}), then switches the file's layout in one transaction
 * that re-checks, with read conflicts, that the file is unchanged since the copy began (length, truncate version,
 * times, layout), that nobody holds it open for writing and that the move is still wanted; only then, after
 * {@code meta.goal_old_copy_delay}, are the old chunks removed. Files open for writing are left for a later pass: a
 * writer's chunks go to the layout it opened with, so moving under it could lose acknowledged writes. Copies are
 * paced to {@code meta.goal_move_rate}. All state is in the KV store (pending moves, old copies), so a restart
 * continues where it stopped (a half-copied file is copied again). Call {@link #runOnce} from a scheduler or a
 * test. Thread-safe for one caller at a time per instance; several meta servers may run movers at once (the switch
 * is conflict-checked, and a mover never removes chunks a file's current layout uses).
 */
public final class GoalMover {
  private static final Logger LOG = LoggerFactory.getLogger(GoalMover.class);

  private final MetaContext ctx;
  private final ChunkCopier copier;
  private final Sleeper sleeper;
  private long nextAllowedNanos;

  public GoalMover(MetaContext ctx, ChunkCopier copier, Sleeper sleeper) {
    this.ctx = ctx;
    this.copier = copier;
    this.sleeper = sleeper;
  }

  /** One pass: removes old copies that are due, then moves up to {@code meta.goal_move_batch} files. */
  public int runOnce() throws InterruptedException {
    removeDueOldCopies();
    int batch = ctx.config().get(MetaConfig.GOAL_MOVE_BATCH);
    List<KeyValue> pending = new ArrayList<>();
    GoalKeys.scan(ctx, GoalKeys.GOAL, kv -> {
      if (pending.size() < batch) {
        pending.add(kv);
      }
    });
    int moved = 0;
    for (KeyValue kv : pending) {
      if (move(MetaKeys.idOf(kv.key()), GoalKeys.Pending.decode(kv.value()))) {
        moved++;
      }
    }
    return moved;
  }

  private void removeDueOldCopies() {
    long now = ctx.nowNanos();
    long delay = ctx.config().get(MetaConfig.GOAL_OLD_COPY_DELAY).toNanos();
    List<KeyValue> records = new ArrayList<>();
    GoalKeys.scan(ctx, GoalKeys.GOLD, records::add);
    for (KeyValue kv : records) {
      GoalKeys.OldCopy old = GoalKeys.OldCopy.decode(MetaKeys.idOf(kv.key()), kv.value());
      if (now - old.switchedAt() >= delay) {
        removeOldCopy(kv.key(), old);
      }
    }
  }

  /** Removes an old copy's chunks, unless the file is back on that very layout, then forgets the record. */
  private void removeOldCopy(byte[] key, GoalKeys.OldCopy old) {
    Optional<Inode> now = ctx.runner().read(txn -> new Tx(txn).findInode(old.ino(), false));
    if (now.isEmpty() || !old.layout().equals(now.get().layout())) {
      ctx.storage().removeChunks(old.ino(), old.layout());
    }
    ctx.runner().run(txn -> {
      Tx tx = new Tx(txn);
      Optional<Inode> i = tx.findInode(old.ino(), true);
      if (i.isPresent() && old.layout().equals(i.get().layout())) {
        tx.clear(key); // moved back meanwhile: those chunks are the file's now
      } else if (tx.get(key, true).isPresent()) {
        tx.clear(key);
      }
      return null;
    });
    LOG.debug("removed the old copy of inode {} on chain table {}", old.ino(), old.layout().chainTableId());
  }

  /** Moves one file; false if it is left for a later pass (open for writing, changed while copying). */
  boolean move(long ino, GoalKeys.Pending want) throws InterruptedException {
    byte[] key = GoalKeys.pending(ino);
    record Snapshot(Optional<Inode> inode, boolean writing, Optional<byte[]> pending) {}
    Snapshot s = ctx.runner().read(txn -> {
      Tx tx = new Tx(txn);
      return new Snapshot(tx.findInode(ino, false), tx.hasSessions(ino, false), tx.get(key, false));
    });
    if (s.pending().isEmpty() || !GoalKeys.Pending.decode(s.pending().get()).equals(want)) {
      return false; // changed or done meanwhile
    }
    Inode before = s.inode().orElse(null);
    if (before == null || !before.isFile() || before.nlink() == 0 || before.layout() == null
        || before.layout().chainTableId() == want.table()) {
      clearIf(key, want); // removed (GC frees its chunks), or already there
      return false;
    }
    if (s.writing()) {
      return false;
    }
    Layout from = before.layout();
    long data = from.dataOwner(ino);
    // The copy gets a data id of its own, never the inode's: after a snapshot (docs/snapshots.md) other files may
    // name this file's data, or its inode id on another chain table, and one data id must name one set of chunks.
    // An intent record makes a copy whose meta server dies before the switch removable, as for copy-on-write.
    long fresh = ctx.ids.next();
    Layout to = ctx.fileLayout(Layout.defaults(want.table(), from.chunkSize(), from.stripeSize()), ino)
        .withDataId(fresh);
    byte[] intent = Codec.encodeCowIntent(to, ctx.nowNanos());
    ctx.runner().run(txn -> {
      new Tx(txn).set(MetaKeys.cowIntent(fresh), intent);
      return null;
    });
    dropOldCopyOn(ino, to);
    long chunks = (before.length() + from.chunkSize() - 1) / from.chunkSize();
    for (long c = 0; c < chunks; c++) {
      pace(copier.copy(ino, c, from, to));
    }
    boolean switched = ctx.runner().run(txn -> {
      Tx tx = new Tx(txn);
      Optional<Inode> now = tx.findInode(ino, true);
      Optional<byte[]> p = tx.get(key, true);
      if (now.isEmpty() || !sameData(before, now.get()) || tx.hasSessions(ino, true) || p.isEmpty()
          || !GoalKeys.Pending.decode(p.get()).equals(want) || tx.get(MetaKeys.cowIntent(fresh), true).isEmpty()) {
        return false;
      }
      tx.clear(MetaKeys.cowIntent(fresh));
      tx.putInode(now.get().withLayout(to));
      tx.clear(key);
      // Data other files still name (a snapshot's) stays; only the last name's move removes the old copy.
      if (!DataRefs.release(tx, data)) {
        tx.set(GoalKeys.oldCopy(ino, from), new GoalKeys.OldCopy(ino, from, ctx.nowNanos()).encode());
      }
      return true;
    });
    if (!switched) {
      CopyOnWrite.removeCopy(ctx, fresh, to); // the copy is stale; the next pass copies again
      LOG.info("inode {} changed while moving to chain table {}; it will be moved again", ino, want.table());
      return false;
    }
    LOG.debug("moved inode {} from chain table {} to {}", ino, from.chainTableId(), to.chainTableId());
    return true;
  }

  /** An old copy on the layout a file is about to move to again is stale: remove it before copying. */
  private void dropOldCopyOn(long ino, Layout to) {
    byte[] k = GoalKeys.oldCopy(ino, to);
    Optional<byte[]> v = ctx.runner().read(txn -> new Tx(txn).get(k, false));
    if (v.isPresent()) {
      removeOldCopy(k, GoalKeys.OldCopy.decode(ino, v.get()));
    }
  }

  private void clearIf(byte[] key, GoalKeys.Pending want) {
    ctx.runner().run(txn -> {
      Tx tx = new Tx(txn);
      if (tx.get(key, true).map(GoalKeys.Pending::decode).filter(want::equals).isPresent()) {
        tx.clear(key);
      }
      return null;
    });
  }

  /** Whether the file's data can have changed between the two reads (atime aside). */
  private static boolean sameData(Inode a, Inode b) {
    return b.nlink() > 0 && a.length() == b.length() && a.truncateVersion() == b.truncateVersion()
        && a.mtime() == b.mtime() && a.ctime() == b.ctime() && Objects.equals(a.layout(), b.layout());
  }

  /** Waits as long as copying {@code bytes} takes at {@code meta.goal_move_rate}. */
  private void pace(long bytes) throws InterruptedException {
    long rate = ctx.config().get(MetaConfig.GOAL_MOVE_RATE).bytes();
    long now = ctx.nowNanos();
    nextAllowedNanos = Math.max(nextAllowedNanos, now) + (long) (bytes * 1e9 / rate);
    sleeper.sleep(Duration.ofNanos(nextAllowedNanos - now));
  }
}
