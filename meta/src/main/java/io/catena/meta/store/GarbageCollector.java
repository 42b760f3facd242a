package io.catena.meta.store;

import io.catena.kv.Keys;
import io.catena.kv.KeyValue;
import io.catena.kv.RangeResult;
import io.catena.meta.ChunkStorage;
import io.catena.meta.Inode;
import io.catena.meta.server.MetaConfig;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Removes unlinked files from the GC area: once {@code meta.gc_delay} has passed since the unlink and no write
 * session is open, it removes the file's chunks through {@link ChunkStorage}, then deletes the inode in a transaction
 * that re-checks (with read conflicts) that the file is still unlinked and still has no session. Chunks go first: a
 * crash between the two leaves a GC entry that the next pass finishes, never an inode-less chunk. A file sharing
 * its data with another (a snapshot, see {@link DataRefs}) drops its reference instead of removing chunks, in the
 * transaction that deletes the inode. Call {@link #runOnce()} from a scheduler (or a test). Each pass first moves
 * expired trash entries to the GC area ({@link KvTrashService#expire}). Thread-safe: stateless apart from the
 * context; concurrent passes on several meta servers are safe (removal is idempotent, the final transaction is
 * conflict-checked).
 */
public final class GarbageCollector {
  private static final Logger LOG = LoggerFactory.getLogger(GarbageCollector.class);

  private final MetaContext ctx;
  private final long delayNanos;
  private final int batch;
  private final KvTrashService trash;
  private final long orphanAgeNanos;

  public GarbageCollector(MetaContext ctx) {
    this.ctx = ctx;
    this.delayNanos = ctx.config().get(MetaConfig.GC_DELAY).toNanos();
    this.batch = ctx.config().get(MetaConfig.GC_BATCH);
    this.trash = new KvTrashService(ctx);
    this.orphanAgeNanos = ctx.config().get(MetaConfig.COW_ORPHAN_AGE).toNanos();
  }

  /**
   * One pass over the GC area, page by page (entries are in inode order, not time order, so entries not yet due must
   * not hide due ones behind them); stops after removing {@code meta.gc_batch} files. Returns how many it removed.
   */
  public int runOnce() {
    long now = ctx.nowNanos();
    long expired = trash.expire(now, batch); // expired trash joins the GC area, dated at its deletion
    if (expired > 0) {
      LOG.debug("{} trashed files expired", expired);
    }
    CopyOnWrite.sweepOrphans(ctx, now, orphanAgeNanos);
    int removed = 0;
    byte[] begin = MetaKeys.GCQ;
    byte[] end = Keys.strinc(MetaKeys.GCQ);
    while (removed < batch) {
      byte[] from = begin;
      RangeResult page = ctx.runner().read(txn -> txn.snapshotGetRange(from, end, batch, false));
      removed += collect(page.pairs(), now, batch - removed);
      if (!page.more() || page.pairs().isEmpty()) {
        break;
      }
      begin = Keys.keyAfter(page.pairs().getLast().key());
    }
    return removed;
  }

  private int collect(List<KeyValue> pending, long now, int budget) {
    int removed = 0;
    for (KeyValue kv : pending) {
      if (removed >= budget) {
        break;
      }
      long ino = MetaKeys.idOf(kv.key());
      long unlinkedAt = Codec.decodeLong(kv.value());
      if (now - unlinkedAt < delayNanos) {
        continue;
      }
      boolean[] sharedData = new boolean[1];
      Optional<Inode> inode = ctx.runner().read(txn -> {
        Tx tx = new Tx(txn);
        if (tx.hasSessions(ino, false)) {
          return Optional.<Inode>empty();
        }
        Optional<Inode> i = tx.findInode(ino, false);
        sharedData[0] = i.isPresent() && i.get().isFile() && i.get().layout() != null
            && tx.get(MetaKeys.dataRef(DataRefs.dataOf(i.get())), false).isPresent();
        return i;
      });
      if (inode.isEmpty()) {
        continue;
      }
      if (inode.get().layout() != null && !sharedData[0]) {
        // Chunks named by data another file (a snapshot) still names stay: only the last file's removal frees them.
        ctx.storage().removeChunks(ino, inode.get().layout());
      }
      boolean done = ctx.runner().run(txn -> {
        Tx tx = new Tx(txn);
        if (tx.get(MetaKeys.gc(ino), true).isEmpty() || tx.hasSessions(ino, true)) {
          return false;
        }
        Optional<Inode> i = tx.findInode(ino, true);
        if (i.isPresent() && i.get().nlink() > 0) {
          tx.clear(MetaKeys.gc(ino)); // should not happen: a linked inode in the GC area; keep it alive
          return false;
        }
        if (sharedData[0] && i.isPresent() && !DataRefs.release(tx, DataRefs.dataOf(i.get()))) {
          return false; // the other files went meanwhile: the next pass removes the chunks, then the inode
        }
        tx.deleteInode(ino);
        return true;
      });
      if (done) {
        removed++;
        LOG.debug("removed unlinked inode {}", ino);
      }
    }
    return removed;
  }
}
