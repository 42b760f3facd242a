package io.catena.meta;

import java.util.List;

/**
 * Trash time and the trash area (MooseFS's trashtime and undelete, docs/trash.md). A file whose last name goes away
 * (unlink, or replaced by rename) while its trash time is above 0 is kept with its chunks, as a {@link TrashEntry},
 * until it expires or is purged; the garbage collector then frees it. Trash times are per inode, in whole seconds,
 * inherited at creation from the directory. Only the owner of a trashed file or root sees, restores or purges it.
 * Implementations are thread-safe.
 */
public interface TrashService {
  /** The trash time of inode {@code ino} in seconds (0: removal frees at once). Any caller may ask. */
  long getTrashTime(UserInfo user, long ino);

  /**
   * Sets the trash time of {@code ino} (owner or root) and, with {@code recursive}, of everything beneath a
   * directory, in many small transactions (not atomic; a retry finishes it). New children of a directory inherit
   * its trash time.
   */
  TrashTimeChange setTrashTime(UserInfo user, long ino, long seconds, boolean recursive);

  /**
   * Up to {@code limit} trash entries the caller may see (root: all; others: their own), in id order after
   * {@code afterId} (-1: from the start).
   */
  List<TrashEntry> listTrash(UserInfo user, long afterId, int limit);

  /**
   * Puts trash entry {@code id} back as {@code path} (an absolute path inside Catena; null: its original path), with
   * its content, mode, owner and times. ENOENT if there is no such entry or the path's directory does not exist
   * (nothing is created), EEXIST if the name is taken, EPERM if the caller is neither its owner nor root, EDQUOT if
   * the directory's quota has no room. Returns the restored inode.
   */
  Inode restore(UserInfo user, long id, String path);

  /**
   * Frees trash entries now: entry {@code id} (id >= 0), or else every entry the caller may purge removed more than
   * {@code olderThanSeconds} ago (0: all). Their chunks are removed by the garbage collector's next pass. Returns
   * how many entries were purged.
   */
  long purge(UserInfo user, long id, long olderThanSeconds);

  /** What offers a {@link TrashService} (the KV-backed service, the RPC client). */
  interface Source {
    TrashService trash();
  }
}
