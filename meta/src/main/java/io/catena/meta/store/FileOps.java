package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.R;
import static io.catena.meta.store.PermissionChecker.W;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.UserInfo;
import java.util.Optional;

/**
 * Opening, creating and closing files, write sessions and the length model: hints raise the length while writing
 * (ignored once a truncate bumped the truncate version), close and fsync store the exact length storage reports.
 * Thread-safe: stateless apart from the shared context.
 */
public final class FileOps {
  private final EntryOps entries;

  public FileOps(EntryOps entries) {
    this.entries = entries;
  }

  /** An open's answer and whether storage must drop the file's bytes (O_TRUNC of a non-empty file). */
  public record Opened(OpenResult result, boolean truncated) {}

  public Opened create(Tx tx, UserInfo user, long parentId, String name, int mode, int flags, String clientId,
      long id, long sessionId, long now) {
    Names.check(name, Errno.EISDIR);
    EntryOps.writableDir(tx, user, parentId);
    Optional<Dent> d = tx.dent(parentId, name, true);
    if (d.isPresent()) {
      if ((flags & OpenFlags.O_EXCL) != 0) {
        throw CatenaException.of(Errno.EEXIST, "'%s' exists in directory %d", name, parentId);
      }
      return open(tx, user, d.get().ino(), flags, clientId, sessionId, now);
    }
    Inode created = entries.createFile(tx, user, parentId, name, mode, id, now);
    long sid = 0;
    if (OpenFlags.writable(flags)) {
      sid = sessionId;
      openSession(tx, created.id(), sid, clientId, now);
    }
    return new Opened(new OpenResult(created, sid, tx.inode(parentId)), false);
  }

  public Opened open(Tx tx, UserInfo user, long ino, int flags, String clientId, long sessionId, long now) {
    Inode i = tx.inodeForUpdate(ino);
    boolean writable = OpenFlags.writable(flags);
    boolean trunc = (flags & OpenFlags.O_TRUNC) != 0;
    if (i.type() == InodeType.SYMLINK) {
      throw CatenaException.of(Errno.ELOOP, "inode %d is a symlink", ino);
    }
    if (i.isDirectory() && (writable || trunc)) {
      throw CatenaException.of(Errno.EISDIR, "inode %d is a directory", ino);
    }
    if ((flags & OpenFlags.O_DIRECTORY) != 0 && !i.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", ino);
    }
    int mask = (OpenFlags.readable(flags) ? R : 0) | (writable || trunc ? W : 0);
    PermissionChecker.check(user, i, mask);
    boolean truncated = false;
    if (trunc && i.isFile()) {
      // An open writer's bytes may be in storage while meta's length is still 0 (it is exact only after close).
      truncated = i.length() > 0 || tx.hasSessions(ino, false);
      QuotaLedger.refund(tx, i.quotaDomain(), i.length(), 0);
      i = i.withLength(0, i.truncateVersion() + 1).withMode(PermissionChecker.afterWrite(user, i));
      i = i.withTimes(i.atime(), now, now);
      tx.putInode(i);
    }
    long sid = 0;
    if (writable && i.isFile()) {
      sid = sessionId;
      openSession(tx, ino, sid, clientId, now);
    }
    return new Opened(new OpenResult(i, sid), truncated);
  }

  private static void openSession(Tx tx, long ino, long sid, String clientId, long now) {
    if (clientId == null || clientId.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "a writable open needs a client id");
    }
    tx.set(MetaKeys.session(ino, sid), Codec.encodeSession(new Codec.Session(clientId, now)));
  }

  public static Inode lengthHint(Tx tx, QuotaLedger quotas, long ino, long sessionId, long length,
      long truncateVersion, long now) {
    Inode i = tx.inodeForUpdate(ino);
    if (!i.isFile()) {
      throw CatenaException.of(Errno.EINVAL, "inode %d is not a regular file", ino);
    }
    if (sessionId != 0 && tx.get(MetaKeys.session(ino, sessionId), true).isEmpty()) {
      throw CatenaException.of(Errno.EBADF, "no write session %d on inode %d", sessionId, ino);
    }
    if (truncateVersion == i.truncateVersion() && length > i.length()) {
      quotas.charge(tx, i.quotaDomain(), length - i.length(), 0, true); // EDQUOT fails the write that hinted
      i = i.withLength(length, i.truncateVersion()).withTimes(i.atime(), now, now);
      tx.putInode(i);
    }
    return i;
  }

  /** The inode after close/fsync recorded its length, and whether that growth left a quota over its limit. */
  public record Synced(Inode inode, boolean overQuota) {}

  /**
   * Stores the exact length measured by storage, unless a truncate happened since the measurement began (its
   * length wins); a write also drops suid/sgid for non-root writers. The bytes are on storage already, so quota
   * usage follows the length even past a limit; the caller reports EDQUOT after committing if it went over.
   */
  public static Synced applyExactLength(Tx tx, UserInfo user, long ino, long measuredAtTruncateVersion, long exact,
      long now) {
    Inode i = tx.inodeForUpdate(ino);
    boolean over = false;
    if (i.truncateVersion() == measuredAtTruncateVersion) {
      long delta = exact - i.length();
      QuotaLedger.refund(tx, i.quotaDomain(), -delta, 0); // a negative refund charges, unchecked
      over = delta > 0 && QuotaLedger.overLimit(tx, i.quotaDomain());
      i = i.withLength(exact, i.truncateVersion());
    }
    i = i.withMode(PermissionChecker.afterWrite(user, i)).withTimes(i.atime(), now, now);
    tx.putInode(i);
    return new Synced(i, over);
  }

  public static void closeSession(Tx tx, long ino, long sessionId) {
    if (sessionId != 0) {
      tx.clear(MetaKeys.session(ino, sessionId));
    }
  }
}
