package io.catena.fuse.catena;

import io.catena.meta.Inode;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Directory attributes that meta returned with a create through this mount, kept for the kernel's next GETATTR of
 * that directory: a create makes the kernel drop the directory's cached attributes, and with
 * {@code default_permissions} the next path walk through it asks for them again, a meta round trip per file
 * created. Each entry answers one GETATTR, within {@code maxAge} (the attribute timeout: the kernel would have kept
 * those very attributes that long), and any other change of the directory through this mount drops it first.
 * Thread-safe: one concurrent map.
 */
final class FreshDirAttrs {
  /** More directories than this with unused entries means the kernel is not asking: start over. */
  private static final int MAX_ENTRIES = 4096;

  private record Fresh(Inode attrs, long atNanos) {}

  private final ConcurrentHashMap<Long, Fresh> byIno = new ConcurrentHashMap<>();
  private final LongSupplier nanoTime;

  FreshDirAttrs(LongSupplier nanoTime) {
    this.nanoTime = nanoTime;
  }

  /** {@code attrs} of directory {@code ino} as a change through this mount left them. */
  void put(long ino, Inode attrs) {
    if (byIno.size() >= MAX_ENTRIES) {
      byIno.clear();
    }
    byIno.put(ino, new Fresh(attrs, nanoTime.getAsLong()));
  }

  /** The attributes {@link #put} for {@code ino} at most {@code maxAgeNanos} ago, once; null otherwise. */
  Inode take(long ino, long maxAgeNanos) {
    Fresh f = byIno.remove(ino);
    return f != null && nanoTime.getAsLong() - f.atNanos() <= maxAgeNanos ? f.attrs() : null;
  }

  /** Directory {@code ino} changed in a way whose result this mount did not see: ask meta next time. */
  void forget(long ino) {
    if (!byIno.isEmpty()) {
      byIno.remove(ino);
    }
  }
}
