package io.catena.meta.store;

import io.catena.meta.Inode;
import java.util.Optional;

/**
 * The trash steps that run inside other operations' transactions: a new inode inherits its directory's trash time,
 * and a file losing its last name is kept in the trash area when its trash time is above 0 (instead of going to the
 * GC area). A trashed file is an unlinked inode (nlink 0, counted toward no quota: MooseFS's rule, see
 * docs/trash.md) with a TRSH record and no GC entry; its chunks stay until expiry or purge hands it to the GC area.
 * Stateless and thread-safe.
 */
final class TrashArea {
  /** Paths longer than this keep their tail only: a record must stay small (Linux's PATH_MAX). */
  private static final int MAX_PATH_BYTES = 4096;

  private TrashArea() {}

  /** The trash time of {@code ino} in seconds; 0 when none is set. */
  static long trashTime(Tx tx, long ino, boolean conflict) {
    return tx.get(TrashRecords.trashTime(ino), conflict).map(TrashRecords::decodeSeconds).orElse(0L);
  }

  /**
   * A new inode under {@code parent} gets the directory's trash time. A snapshot read: a set-trashtime racing the
   * create may or may not reach the child, as with any change of a directory's defaults.
   */
  static void inherit(Tx tx, Inode parent, long childId) {
    Optional<byte[]> t = tx.get(TrashRecords.trashTime(parent.id()), false);
    if (t.isPresent()) {
      tx.set(TrashRecords.trashTime(childId), t.get());
    }
  }

  /**
   * Keeps {@code file}, whose last name {@code name} in {@code parentId} is going, in the trash area if its trash
   * time is above 0. The caller has already refunded its quota. Returns whether it did; if not, the caller frees it.
   */
  static boolean keep(Tx tx, Inode file, long parentId, String name, long now) {
    long seconds = trashTime(tx, file.id(), true);
    if (seconds <= 0) {
      return false;
    }
    String dir = PathResolver.pathOf(tx, tx.inode(parentId));
    String path = dir.equals("/") ? "/" + name : dir + "/" + name;
    byte[] utf8 = MetaKeys.utf8(path);
    if (utf8.length > MAX_PATH_BYTES) {
      path = "..." + new String(utf8, utf8.length - MAX_PATH_BYTES, MAX_PATH_BYTES,
          java.nio.charset.StandardCharsets.UTF_8);
    }
    long expires = now + Math.multiplyExact(seconds, 1_000_000_000L);
    // Times stay as they were: a restore gives the file back as it was removed.
    tx.putInode(file.withNlink(0).withQuotaDomain(Inode.NO_QUOTA));
    tx.set(TrashRecords.entry(file.id()),
        TrashRecords.encode(new TrashRecords.Entry(parentId, name, path, now, expires)));
    return true;
  }

  /**
   * Hands trashed file {@code id} to the GC area as unlinked at {@code unlinkedAtNanos}: the collector frees it once
   * {@code meta.gc_delay} has passed since then (and no write session is open).
   */
  static void toGc(Tx tx, long id, long unlinkedAtNanos) {
    tx.clear(TrashRecords.entry(id));
    tx.set(MetaKeys.gc(id), Codec.encodeLong(unlinkedAtNanos));
  }
}
