package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.W;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.RenameFlags;
import io.catena.meta.UserInfo;
import java.util.Optional;

/**
 * rename and renameat2 (RENAME_NOREPLACE, RENAME_EXCHANGE) as one transaction. Read conflicts: both parents, both
 * entries, both inodes, and every ancestor of the destination directory walked by the loop test (so a concurrent
 * rename that would create a cycle retries). Stateless and thread-safe.
 */
public final class RenameOp {
  private static final int MAX_DEPTH = 65536;

  private RenameOp() {}

  public static void rename(Tx tx, QuotaLedger quotas, UserInfo user, long srcParentId, String srcName,
      long dstParentId, String dstName, int flags, long now) {
    if ((flags & ~(RenameFlags.NOREPLACE | RenameFlags.EXCHANGE)) != 0
        || flags == (RenameFlags.NOREPLACE | RenameFlags.EXCHANGE)) {
      throw CatenaException.of(Errno.EINVAL, "bad rename flags %d", flags);
    }
    boolean exchange = (flags & RenameFlags.EXCHANGE) != 0;
    Names.check(srcName, Errno.EBUSY);
    Names.check(dstName, Errno.EBUSY);
    Inode srcParent = EntryOps.writableDir(tx, user, srcParentId);
    Inode dstParent = EntryOps.writableDir(tx, user, dstParentId);
    Dent src = tx.dent(srcParentId, srcName, true)
        .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no '%s' in directory %d", srcName, srcParentId));
    Optional<Dent> dst = tx.dent(dstParentId, dstName, true);
    if (exchange && dst.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "no '%s' in directory %d to exchange with", dstName, dstParentId);
    }
    if ((flags & RenameFlags.NOREPLACE) != 0 && dst.isPresent()) {
      throw CatenaException.of(Errno.EEXIST, "'%s' exists in directory %d", dstName, dstParentId);
    }
    PermissionChecker.check(user, srcParent, W);
    PermissionChecker.check(user, dstParent, W);
    Inode srcInode = tx.inodeForUpdate(src.ino());
    Inode dstInode = dst.isPresent() ? tx.inodeForUpdate(dst.get().ino()) : null;
    if (dstInode != null && dstInode.id() == srcInode.id()) {
      return; // POSIX: two names of one inode, or a name onto itself: nothing happens
    }
    PermissionChecker.checkSticky(user, srcParent, srcInode);
    if (dstInode != null) {
      PermissionChecker.checkSticky(user, dstParent, dstInode);
    }
    boolean moves = srcParentId != dstParentId;
    if (srcInode.isDirectory()) {
      checkNotAncestor(tx, srcInode.id(), dstParentId);
      if (moves) {
        PermissionChecker.check(user, srcInode, W); // its ".." changes
      }
    }
    if (exchange) {
      if (dstInode.isDirectory()) {
        checkNotAncestor(tx, dstInode.id(), srcParentId);
        if (moves) {
          PermissionChecker.check(user, dstInode, W);
        }
      }
      if (moves) {
        srcInode = intoQuotaOf(tx, quotas, srcInode, dstParent);
        dstInode = intoQuotaOf(tx, quotas, dstInode, srcParent);
      }
      exchange(tx, srcParentId, srcName, srcInode, dstParentId, dstName, dstInode, now);
      return;
    }
    if (dstInode != null) {
      if (srcInode.isDirectory() && !dstInode.isDirectory()) {
        throw CatenaException.of(Errno.ENOTDIR, "cannot replace non-directory '%s' with a directory", dstName);
      }
      if (!srcInode.isDirectory() && dstInode.isDirectory()) {
        throw CatenaException.of(Errno.EISDIR, "cannot replace directory '%s' with a non-directory", dstName);
      }
      if (dstInode.isDirectory()) {
        if (!tx.isEmptyDir(dstInode.id(), true)) {
          throw CatenaException.of(Errno.ENOTEMPTY, "directory '%s' is not empty", dstName);
        }
        EntryOps.deleteDirInode(tx, dstInode);
        Inode dp = tx.inodeForUpdate(dstParentId);
        tx.putInode(dp.withNlink(dp.nlink() - 1));
      } else {
        EntryOps.dropLink(tx, dstInode, now, dstParentId, dstName);
      }
    }
    if (moves) {
      // After the replaced target's refund, so replacing a file in a full quota with one of the same size works.
      srcInode = intoQuotaOf(tx, quotas, srcInode, dstParent);
    }
    tx.clearDent(srcParentId, srcName);
    Inode moved = srcInode.withCtime(now);
    // A non-directory's parent follows it too (it has a link in dstParent now): export subtrees walk it.
    moved = moved.withPlace(dstParentId, moved.isDirectory() ? dstName : moved.name());
    tx.putInode(moved);
    tx.putDent(Tx.dentFor(dstParentId, dstName, moved));
    int delta = moved.isDirectory() && moves ? 1 : 0;
    Inode sp = tx.inodeForUpdate(srcParentId);
    tx.putInode(sp.touched(now).withNlink(sp.nlink() - delta));
    Inode dp = tx.inodeForUpdate(dstParentId);
    tx.putInode(dp.touched(now).withNlink(dp.nlink() + delta));
  }

  /**
   * {@code moving} as it will be under {@code newParent}: unchanged within one quota; otherwise a single-named
   * non-directory has its usage moved to the new quota (EDQUOT if that one is full) and is re-tagged, and anything
   * else is refused with EXDEV (see {@link QuotaLedger}).
   */
  private static Inode intoQuotaOf(Tx tx, QuotaLedger quotas, Inode moving, Inode newParent) {
    long from = QuotaLedger.chargeDomain(tx, moving, true);
    long to = newParent.quotaDomain();
    if (from == to) {
      return moving;
    }
    if (moving.isDirectory() || moving.nlink() > 1) {
      throw CatenaException.of(Errno.EXDEV, "%s %d is under quota %d and cannot move under quota %d",
          moving.isDirectory() ? "directory" : "multiply linked inode", moving.id(), from, to);
    }
    quotas.move(tx, from, to, moving.isFile() ? moving.length() : 0, 1, true);
    return moving.withQuotaDomain(to);
  }

  private static void exchange(Tx tx, long srcParentId, String srcName, Inode a, long dstParentId, String dstName,
      Inode b, long now) {
    Inode a2 = a.withCtime(now);
    Inode b2 = b.withCtime(now);
    a2 = a2.withPlace(dstParentId, a2.isDirectory() ? dstName : a2.name());
    b2 = b2.withPlace(srcParentId, b2.isDirectory() ? srcName : b2.name());
    tx.putInode(a2);
    tx.putInode(b2);
    tx.putDent(Tx.dentFor(dstParentId, dstName, a2));
    tx.putDent(Tx.dentFor(srcParentId, srcName, b2));
    int aDir = a.isDirectory() ? 1 : 0;
    int bDir = b.isDirectory() ? 1 : 0;
    Inode sp = tx.inodeForUpdate(srcParentId);
    tx.putInode(sp.touched(now).withNlink(sp.nlink() - aDir + bDir));
    Inode dp = tx.inodeForUpdate(dstParentId);
    tx.putInode(dp.touched(now).withNlink(dp.nlink() - bDir + aDir));
  }

  /**
   * EINVAL if directory {@code moving} is {@code target} or one of its ancestors: the rename would cut the subtree
   * off the tree. Every ancestor is read with a conflict, so a concurrent move that changes the answer retries.
   */
  private static void checkNotAncestor(Tx tx, long moving, long target) {
    long cur = target;
    for (int depth = 0; depth < MAX_DEPTH; depth++) {
      if (cur == moving) {
        throw CatenaException.of(Errno.EINVAL, "cannot move directory %d into its own subtree", moving);
      }
      if (cur == MetaService.ROOT) {
        return;
      }
      cur = tx.inodeForUpdate(cur).parent();
    }
    throw CatenaException.of(Errno.ELOOP, "directory %d is deeper than %d levels", target, MAX_DEPTH);
  }
}
