package io.catena.meta;

import java.util.List;
import java.util.Optional;

/**
 * The POSIX namespace, inode-based like FUSE: every call names the caller, takes plain arguments, returns immutable
 * records and throws {@link io.catena.common.CatenaException} carrying the Linux errno ext4 would give. Each call is
 * one KV transaction (retried on conflicts); the service keeps no state of its own, so any number of instances on one
 * KV engine serve one namespace. Mutations that are not naturally idempotent take an optional {@link RequestId}:
 * repeating a call with the same id returns the first call's answer. Implementations are thread-safe.
 */
public interface MetaService {

  /** The root directory's inode id. */
  long ROOT = 0;

  StatFs statfs(UserInfo user);

  /**
   * statfs(2) of the file system as seen from inode {@code ino}: under a directory quota with a byte or inode limit,
   * the nearest such quota's limits and usage stand in for the cluster's capacity (as MooseFS and CephFS report
   * them), so df inside a quota'd directory shows the quota; elsewhere the same as {@link #statfs(UserInfo)}.
   */
  StatFs statfs(UserInfo user, long ino);

  /** The child {@code name} of directory {@code parent}; needs search (x) permission on the parent. */
  Inode lookup(UserInfo user, long parent, String name);

  Inode getattr(UserInfo user, long ino);

  /** Attributes of many inodes from one snapshot; unknown ids give empty slots. */
  List<Optional<Inode>> batchGetattr(UserInfo user, List<Long> inos);

  /**
   * open(2) with O_CREAT: creates a regular file or, without O_EXCL, opens an existing one (O_TRUNC truncates it).
   * A writable handle opens a write session for {@code clientId}.
   */
  OpenResult create(UserInfo user, long parent, String name, int mode, int flags, String clientId, RequestId req);

  /** Opens an existing inode: checks permission, applies O_TRUNC, opens a write session if writable. */
  OpenResult open(UserInfo user, long ino, int flags, String clientId);

  /** A length hint while writing: raises the stored length if {@code truncateVersion} is still current. */
  Inode lengthHint(UserInfo user, long ino, long sessionId, long length, long truncateVersion);

  /**
   * fsync: if {@code wrote}, asks storage for the exact length and records it with the new mtime (and clears suid/sgid
   * for non-root writers as a write does).
   */
  Inode sync(UserInfo user, long ino, long sessionId, boolean wrote);

  /** Closes a handle: {@link #sync} for written files, then ends the write session (if any). */
  Inode close(UserInfo user, long ino, long sessionId, boolean wrote);

  Inode mkdir(UserInfo user, long parent, String name, int mode, RequestId req);

  /** mknod(2): {@code stMode} carries the type bits (FIFO, socket, char/block device or regular file). */
  Inode mknod(UserInfo user, long parent, String name, int stMode, long rdev, RequestId req);

  Inode symlink(UserInfo user, long parent, String name, String target, RequestId req);

  String readlink(UserInfo user, long ino);

  /** A new name {@code newName} in {@code newParent} for inode {@code ino}. */
  Inode link(UserInfo user, long ino, long newParent, String newName, RequestId req);

  /** Removes a name; answers the directory's attributes after the removal (a mount's next look at it needs them). */
  Inode unlink(UserInfo user, long parent, String name, RequestId req);

  void rmdir(UserInfo user, long parent, String name, RequestId req);

  /** renameat2(2) with {@link RenameFlags}. */
  void rename(UserInfo user, long parent, String name, long newParent, String newName, int flags, RequestId req);

  /**
   * Up to {@code limit} entries after {@code cursor} (null: from the start); needs read permission. With
   * {@code plus}, the entries' attributes too.
   */
  ReaddirPage readdir(UserInfo user, long ino, String cursor, int limit, boolean plus);

  Inode setattr(UserInfo user, long ino, SetAttr attr);

  /**
   * Resolves {@code path} (absolute, or relative to directory {@code base}), following symlinks in the middle and,
   * with {@code followLast}, at the end; ELOOP after {@code meta.max_symlink_follow} links.
   */
  Inode resolve(UserInfo user, long base, String path, boolean followLast);

  /** The canonical absolute path of {@code path}: no symlinks, ".", ".." or repeated slashes. */
  String realpath(UserInfo user, String path);

  /** access(2) with {@link Access} bits; throws EACCES when denied. */
  void access(UserInfo user, long ino, int mask);

  byte[] getxattr(UserInfo user, long ino, String name);

  List<String> listxattr(UserInfo user, long ino);

  void setxattr(UserInfo user, long ino, String name, byte[] value, int flags, RequestId req);

  void removexattr(UserInfo user, long ino, String name, RequestId req);

  /**
   * rm -r of {@code name} in {@code parent}, done on the server in several transactions (children first); returns
   * how many names were removed. Every removal checks the caller's permission as unlink/rmdir would. Not atomic: a
   * failure leaves what was already removed removed, and a retry continues; with a request id, a retry after the
   * final step returns the first answer.
   */
  long removeRecursive(UserInfo user, long parent, String name, RequestId req);

  /**
   * mfsmakesnapshot: a copy of inode {@code src} (a file, a directory tree, a symlink...) named {@code dstName} in
   * directory {@code dstParent}, whose regular files share their source's chunks copy-on-write until either side
   * changes them (docs/snapshots.md). Needs read (and search) permission on what is copied and write permission on
   * {@code dstParent}; root keeps owners, anyone else owns the copy. Built under a hidden name and renamed into
   * place, so the destination appears whole or not at all; EEXIST if it exists, EINVAL for a directory into itself,
   * EDQUOT past a quota (counted by logical size).
   */
  SnapshotResult snapshot(UserInfo user, long src, long dstParent, String dstName, RequestId req);

  /**
   * Takes, converts or releases an advisory lock (flock(2) with LOCK_NB, fcntl(2) F_SETLK) for the client's lock
   * owner; fails with EAGAIN if another owner holds a conflicting lock. Blocking waits (F_SETLKW) are the client's:
   * it retries. Locks of clients whose session ends are dropped by the session pruner.
   */
  void setLock(UserInfo user, long ino, LockRequest request);

  /** fcntl(2) F_GETLK: a lock of another owner that would block {@code request}, if any. */
  Optional<FileLock> getLock(UserInfo user, long ino, LockRequest request);

  /**
   * Sets or changes the directory quota of directory {@code ino} (root only, else EPERM; ENOTDIR for other inodes).
   * A new quota on a non-empty directory first counts what is already beneath it, in many small transactions, and
   * is enforced from then on; if that count is interrupted (a crash, a timeout) the quota stays
   * {@link QuotaUsage.State#COUNTING} (not enforced) and calling setQuota again finishes it. EBUSY while the quota is
   * being removed. Returns the quota after the call.
   */
  QuotaUsage setQuota(UserInfo user, long ino, QuotaLimits limits);

  /** The quota set on directory {@code ino}, with its usage; empty if none is set there. Any caller may ask. */
  Optional<QuotaUsage> getQuota(UserInfo user, long ino);

  /**
   * Removes the quota of directory {@code ino} (root only): its usage is handed back to the enclosing quota, in
   * many small transactions; if interrupted, the quota stays {@link QuotaUsage.State#REMOVING} (not enforced) and
   * calling removeQuota again finishes it. Returns whether there was a quota.
   */
  boolean removeQuota(UserInfo user, long ino);

  /**
   * Records a read of {@code ino} for atime with Linux's relatime rules: atime moves to now only if it is not after
   * mtime or ctime, or is more than 24 hours old. The caller is a reader whose read access was checked at open, so
   * no permission is checked here (it may not be the owner). Costs one snapshot read when nothing is due.
   */
  void touchAtime(UserInfo user, long ino);
}
