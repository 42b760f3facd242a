package io.catena.meta.store;

import io.catena.meta.Inode;
import io.catena.meta.Layout;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gives a file that shares its data with a snapshot (or a snapshot that shares its source's) a private copy before
 * anything changes its bytes: the chunks are copied on storage under a fresh data id, outside any transaction, then
 * one transaction points the file at the copy and drops its reference to the shared data. Called after an open for
 * writing (whose write session keeps new snapshots from sharing the file again, see {@link SnapshotOp}) and before a
 * truncate reaches storage. Two concurrent callers each copy; the first to commit wins and the other removes its
 * copy. A copy whose meta server dies before the commit leaves an intent record ({@link MetaKeys#cowIntent}); the
 * garbage collector removes its chunks after {@code meta.cow_orphan_age}. Thread-safe: stateless apart from the
 * shared context.
 */
final class CopyOnWrite {
  private static final Logger LOG = LoggerFactory.getLogger(CopyOnWrite.class);

  private final MetaContext ctx;

  CopyOnWrite(MetaContext ctx) {
    this.ctx = ctx;
  }

  /**
   * The file {@code ino} as it is once it has data of its own: as read when it has it already, else after the copy.
   * With {@code keepBytes} false (the file was just truncated to 0) nothing is copied: it gets a fresh, empty data
   * id. The answer is what the caller hands its client, so it never names shared data.
   */
  Inode ensurePrivate(long ino, boolean keepBytes) {
    while (true) {
      Inode before = ctx.runner.read(txn -> new Tx(txn).inode(ino));
      if (!before.isFile() || before.layout() == null || !isShared(before)) {
        return before;
      }
      Inode mine = privatise(before, keepBytes);
      if (mine != null) {
        return mine;
      }
    }
  }

  private boolean isShared(Inode i) {
    return ctx.runner.read(txn -> new Tx(txn).get(MetaKeys.dataRef(DataRefs.dataOf(i)), false).isPresent());
  }

  /** The file pointed at a private copy, or null when another caller changed it first (read it again). */
  private Inode privatise(Inode before, boolean keepBytes) {
    long ino = before.id();
    long shared = DataRefs.dataOf(before);
    long fresh = ctx.ids.next(); // an inode id no file uses: no chunk is named by it yet
    Layout own = before.layout().withDataId(fresh);
    if (keepBytes) {
      // Recorded first, so the chunks of a copy whose meta server dies before the commit are found and removed.
      byte[] intent = Codec.encodeCowIntent(own, ctx.nowNanos());
      ctx.runner.run(txn -> {
        new Tx(txn).set(MetaKeys.cowIntent(fresh), intent);
        return null;
      });
      ctx.storage.copyChunks(before.layout(), shared, fresh);
    }
    Optional<Inode> after = ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      if (keepBytes && tx.get(MetaKeys.cowIntent(fresh), true).isEmpty()) {
        return Optional.<Inode>empty(); // taken for an orphan and removed (a copy slower than meta.cow_orphan_age)
      }
      tx.clear(MetaKeys.cowIntent(fresh));
      Optional<Inode> now = tx.findInode(ino, true);
      if (now.isEmpty() || DataRefs.dataOf(now.get()) != shared || !DataRefs.release(tx, shared)) {
        // Another caller gave it a private copy, or the other files naming the data went away (it is ours alone).
        return Optional.<Inode>empty();
      }
      Inode i = now.get().withLayout(own);
      tx.putInode(i);
      return Optional.of(i);
    });
    if (after.isEmpty()) {
      if (keepBytes) {
        removeCopy(ctx, fresh, own);
      }
      return null;
    }
    LOG.debug("inode {} now writes data {} (was sharing {})", ino, fresh, shared);
    return after.get();
  }

  /** Removes the chunks copied to {@code fresh} and then its intent record. */
  static void removeCopy(MetaContext ctx, long fresh, Layout own) {
    ctx.storage.removeChunks(fresh, own.withDataId(Layout.OWN_DATA));
    ctx.runner.run(txn -> {
      new Tx(txn).clear(MetaKeys.cowIntent(fresh));
      return null;
    });
  }

  /**
   * Removes the copies of copy-on-writes that began more than {@code maxAgeNanos} ago and never committed (their
   * meta server died); returns how many. Each commit checks its record is still there, so a copy that was merely
   * slow is redone, never left pointing at removed chunks.
   */
  static int sweepOrphans(MetaContext ctx, long now, long maxAgeNanos) {
    byte[] end = io.catena.kv.Keys.strinc(MetaKeys.COWI);
    int removed = 0;
    for (io.catena.kv.KeyValue kv : ctx.runner.read(txn -> txn.snapshotGetRange(MetaKeys.COWI, end, 1000, false))
        .pairs()) {
      Codec.CowIntent c = Codec.decodeCowIntent(kv.value());
      if (now - c.startedNanos() > maxAgeNanos) {
        long fresh = MetaKeys.idOf(kv.key());
        LOG.warn("removing the chunks of copy-on-write data {}: begun {} s ago and never committed", fresh,
            (now - c.startedNanos()) / 1_000_000_000L);
        removeCopy(ctx, fresh, c.layout());
        removed++;
      }
    }
    return removed;
  }
}
