package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.W;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Access;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.MetaService;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;

/**
 * setattr (chmod, chown/chgrp, truncate, utimens, layout) and access with Linux's rules for who may do what. One
 * transaction per call; the inode is read with a conflict. Thread-safe: stateless apart from the shared context.
 */
public final class AttrOps {
  private final MetaContext ctx;

  public AttrOps(MetaContext ctx) {
    this.ctx = ctx;
  }

  /** The result of a setattr and whether storage must drop bytes past a new, shorter length. */
  public record Result(Inode inode, boolean truncated) {}

  public Result setattr(Tx tx, UserInfo user, long ino, SetAttr a, long now) {
    Inode i = tx.inodeForUpdate(ino);
    Inode before = i;
    boolean changed = false;
    boolean truncated = false;
    if (a.uid() != null || a.gid() != null) {
      if (a.uid() != null && !user.isRoot() && !(user.uid() == i.uid() && a.uid() == i.uid())) {
        throw CatenaException.of(Errno.EPERM, "only root may give inode %d away", ino);
      }
      if (a.gid() != null && !user.isRoot()
          && !(user.uid() == i.uid() && (a.gid() == i.gid() || user.inGroup(a.gid())))) {
        throw CatenaException.of(Errno.EPERM, "%s may not change the group of inode %d to %d", user, ino, a.gid());
      }
      i = i.withOwner(a.uid() != null ? a.uid() : i.uid(), a.gid() != null ? a.gid() : i.gid());
      if (!i.isDirectory()) {
        i = i.withMode(PermissionChecker.killSuid(i.mode())); // even for root: Linux notify_change ATTR_KILL_SUID
      }
      changed = true;
    }
    if (a.mode() != null) {
      if (!PermissionChecker.ownerOrRoot(user, i)) {
        throw CatenaException.of(Errno.EPERM, "only the owner may chmod inode %d", ino);
      }
      int m = a.mode() & Inode.PERM_MASK;
      if (!user.isRoot() && !user.inGroup(i.gid())) {
        m &= ~Inode.S_ISGID;
      }
      i = i.withMode(m);
      changed = true;
    }
    if (a.killSuidgid() && PermissionChecker.afterWrite(user, i) != i.mode()) {
      // Only a writer may do what its write does implicitly: the session proves it, or the mode lets it write.
      if (!tx.hasSession(ino, a.writeSession()) && !PermissionChecker.allowed(user, i, W)) {
        throw CatenaException.of(Errno.EACCES, "%s may not write inode %d", user, ino);
      }
      i = i.withMode(PermissionChecker.afterWrite(user, i));
      changed = true;
    }
    if (a.length() != null) {
      if (i.isDirectory()) {
        throw CatenaException.of(Errno.EISDIR, "cannot truncate directory %d", ino);
      }
      if (!i.isFile()) {
        throw CatenaException.of(Errno.EINVAL, "cannot truncate a %s", i.type());
      }
      if (a.length() < 0) {
        throw CatenaException.of(Errno.EINVAL, "negative length %d", a.length());
      }
      if (!tx.hasSession(ino, a.writeSession())) {
        // Through an open write descriptor (ftruncate) the descriptor authorises it, as on Linux: the file's mode
        // may have denied writing since (open(O_CREAT|O_RDWR, 0) then ftruncate).
        PermissionChecker.check(user, before, W);
      }
      // Always cut storage too: meta's length lags behind data written through handles still open (it is exact
      // only after close/fsync), so "shorter than meta's length" would miss bytes past the new end, and a grow
      // must reach storage so that the length measured at the next close is the grown one.
      truncated = true;
      long delta = a.length() - i.length();
      if (delta > 0) {
        ctx.quotas.charge(tx, i.quotaDomain(), delta, 0, true);
      } else {
        QuotaLedger.refund(tx, i.quotaDomain(), -delta, 0);
      }
      i = i.withLength(a.length(), i.truncateVersion() + 1).withMode(PermissionChecker.afterWrite(user, i));
      i = i.withTimes(i.atime(), now, now);
      changed = true;
    }
    if (a.atime() != null || a.mtime() != null) {
      boolean onlyNow = (a.atime() == null || a.atime() == SetAttr.UTIME_NOW)
          && (a.mtime() == null || a.mtime() == SetAttr.UTIME_NOW);
      if (onlyNow) {
        if (!PermissionChecker.ownerOrRoot(user, i) && !PermissionChecker.allowed(user, i, W)) {
          throw CatenaException.of(Errno.EACCES, "%s may not touch inode %d", user, ino);
        }
      } else if (!PermissionChecker.ownerOrRoot(user, i)) {
        throw CatenaException.of(Errno.EPERM, "only the owner may set explicit times on inode %d", ino);
      }
      long at = a.atime() == null ? i.atime() : a.atime() == SetAttr.UTIME_NOW ? now : a.atime();
      long mt = a.mtime() == null ? i.mtime() : a.mtime() == SetAttr.UTIME_NOW ? now : a.mtime();
      i = i.withTimes(at, mt, i.ctime());
      changed = true;
    }
    if (a.layout() != null) {
      if (!PermissionChecker.ownerOrRoot(user, i)) {
        throw CatenaException.of(Errno.EPERM, "only the owner may change the layout of inode %d", ino);
      }
      if (i.isDirectory()) {
        i = i.withLayout(a.layout());
      } else if (i.isFile() && i.length() == 0 && !tx.hasSessions(ino, true)) {
        i = i.withLayout(ctx.fileLayout(a.layout(), ino));
      } else {
        throw CatenaException.of(i.isFile() ? Errno.EBUSY : Errno.EINVAL,
            "the layout of inode %d can no longer change", ino);
      }
      changed = true;
    }
    if (changed) {
      i = i.withCtime(now);
      tx.putInode(i);
      if (i.isDirectory() && i.id() != MetaService.ROOT
          && (i.mode() != before.mode() || i.uid() != before.uid() || i.gid() != before.gid())) {
        tx.putDent(Tx.dentFor(i.parent(), i.name(), i)); // keep the entry's copy of the bits current
      }
    }
    return new Result(i, truncated);
  }

  public static void access(Tx tx, UserInfo user, long ino, int mask) {
    Inode i = tx.inode(ino);
    if ((mask & ~7) != 0) {
      throw CatenaException.of(Errno.EINVAL, "bad access mask %d", mask);
    }
    if (mask != Access.F_OK && !PermissionChecker.allowed(user, i, mask)) {
      throw CatenaException.of(Errno.EACCES, "%s lacks access %d to inode %d", user, mask, ino);
    }
  }

  public static String readlink(Tx tx, long ino) {
    Inode i = tx.inode(ino);
    if (i.type() != InodeType.SYMLINK) {
      throw CatenaException.of(Errno.EINVAL, "inode %d is not a symlink", ino);
    }
    return i.symlinkTarget();
  }
}
