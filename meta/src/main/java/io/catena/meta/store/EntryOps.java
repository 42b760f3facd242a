package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.W;
import static io.catena.meta.store.PermissionChecker.X;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.UserInfo;
import java.util.Optional;

/**
 * Creating and removing names: create, mkdir, mknod, symlink, link, unlink, rmdir. Each method is the body of one
 * transaction: it reads the parent directory, the entry and the inode it changes with read conflicts, and writes
 * the parent (mtime/ctime, and nlink for subdirectories), so racing changes of one name or directory retry.
 * Thread-safe: stateless apart from the shared context.
 */
public final class EntryOps {
  /** ext4's link limit. */
  public static final int LINK_MAX = 65000;
  public static final int SYMLINK_MAX = 4095;

  private final MetaContext ctx;

  public EntryOps(MetaContext ctx) {
    this.ctx = ctx;
  }

  /** The parent for adding or removing a name: a live directory the caller may search and write. */
  static Inode writableDir(Tx tx, UserInfo user, long parentId) {
    Inode parent = tx.inodeForUpdate(parentId);
    if (!parent.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", parentId);
    }
    if (parent.nlink() == 0) {
      throw CatenaException.of(Errno.ENOENT, "directory %d was removed", parentId);
    }
    PermissionChecker.check(user, parent, X);
    return parent;
  }

  /** A searchable directory, for lookups. */
  static Inode searchableDir(Tx tx, UserInfo user, long parentId, boolean conflict) {
    Inode parent = tx.findInode(parentId, conflict).orElseThrow(() -> Tx.noInode(parentId));
    if (!parent.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", parentId);
    }
    PermissionChecker.check(user, parent, X);
    return parent;
  }

  /**
   * A new inode's attributes under {@code parent}: the caller's uid; the directory's gid if it is setgid (and the
   * setgid bit for new subdirectories), else the caller's gid; sgid dropped from a non-directory whose group the
   * caller is not in (Linux inode_init_owner).
   */
  static Inode newInode(UserInfo user, Inode parent, long id, InodeType type, int mode, long now, long rdev,
      Layout layout, String target, String name) {
    int m = mode & Inode.PERM_MASK;
    int gid = user.gid();
    if ((parent.mode() & Inode.S_ISGID) != 0) {
      gid = parent.gid();
      if (type == InodeType.DIRECTORY) {
        m |= Inode.S_ISGID;
      }
    }
    if (type != InodeType.DIRECTORY && (m & Inode.S_ISGID) != 0 && !user.isRoot() && !user.inGroup(gid)) {
      m &= ~Inode.S_ISGID;
    }
    boolean dir = type == InodeType.DIRECTORY;
    long len = type == InodeType.SYMLINK ? MetaKeys.utf8(target).length : 0;
    // A new inode is accounted under its directory's quota (a quota directory's tag is itself).
    // Every inode records the directory it was made in (a non-directory without its name, which hard links make
    // ambiguous): export subtrees check ancestry through it (SubtreeCheck).
    return new Inode(id, type, m, user.uid(), gid, dir ? 2 : 1, len, 0, now, now, now, rdev, layout, target,
        parent.id(), dir ? name : null, parent.quotaDomain());
  }

  /**
   * Adds {@code child} as {@code name} in {@code parent} after the caller's write permission and the name's absence
   * are checked; writes the child, its entry and the parent.
   */
  private Inode add(Tx tx, UserInfo user, long parentId, String name, NewChild make) {
    Names.check(name, Errno.EEXIST);
    Inode parent = writableDir(tx, user, parentId);
    if (tx.dent(parentId, name, true).isPresent()) {
      throw CatenaException.of(Errno.EEXIST, "'%s' exists in directory %d", name, parentId);
    }
    PermissionChecker.check(user, parent, W);
    Inode child = make.make(parent);
    ctx.quotas.charge(tx, child.quotaDomain(), 0, 1, true);
    tx.putInode(child);
    TrashArea.inherit(tx, parent, child.id());
    tx.putDent(Tx.dentFor(parentId, name, child));
    long now = child.ctime();
    Inode p = parent.touched(now);
    if (child.isDirectory()) {
      p = p.withNlink(p.nlink() + 1);
    }
    tx.putInode(p);
    return child;
  }

  private interface NewChild {
    Inode make(Inode parent);
  }

  public Inode createFile(Tx tx, UserInfo user, long parentId, String name, int mode, long id, long now) {
    return add(tx, user, parentId, name, parent -> newInode(user, parent, id, InodeType.FILE, mode, now, 0,
        ctx.fileLayout(parent.layout(), id), null, null));
  }

  public Inode mkdir(Tx tx, UserInfo user, long parentId, String name, int mode, long id, long now) {
    return add(tx, user, parentId, name, parent -> newInode(user, parent, id, InodeType.DIRECTORY, mode, now, 0,
        parent.layout(), null, name));
  }

  public Inode mknod(Tx tx, UserInfo user, long parentId, String name, int stMode, long rdev, long id, long now) {
    InodeType type = InodeType.fromMode(stMode);
    if ((stMode & 0170000) == 0) {
      type = InodeType.FILE;
    }
    if (type == null || type == InodeType.SYMLINK) {
      throw CatenaException.of(Errno.EINVAL, "mknod of mode %o", stMode);
    }
    if (type == InodeType.DIRECTORY) {
      throw CatenaException.of(Errno.EPERM, "mknod cannot make directories");
    }
    if ((type == InodeType.CHAR_DEVICE || type == InodeType.BLOCK_DEVICE) && !user.isRoot()) {
      throw CatenaException.of(Errno.EPERM, "only root may make device nodes");
    }
    InodeType t = type;
    boolean device = t == InodeType.CHAR_DEVICE || t == InodeType.BLOCK_DEVICE;
    return add(tx, user, parentId, name, parent -> newInode(user, parent, id, t, stMode, now, device ? rdev : 0,
        t == InodeType.FILE ? ctx.fileLayout(parent.layout(), id) : null, null, null));
  }

  public Inode symlink(Tx tx, UserInfo user, long parentId, String name, String target, long id, long now) {
    if (target == null || target.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "empty symlink target");
    }
    if (target.indexOf('\0') >= 0) {
      throw CatenaException.of(Errno.EINVAL, "symlink target contains NUL");
    }
    if (MetaKeys.utf8(target).length > SYMLINK_MAX) {
      throw CatenaException.of(Errno.ENAMETOOLONG, "symlink target longer than %d bytes", SYMLINK_MAX);
    }
    return add(tx, user, parentId, name, parent -> newInode(user, parent, id, InodeType.SYMLINK, 0777, now, 0, null,
        target, null));
  }

  public Inode link(Tx tx, UserInfo user, long ino, long newParentId, String newName, long now) {
    Names.check(newName, Errno.EEXIST);
    Inode src = tx.inodeForUpdate(ino);
    Inode parent = writableDir(tx, user, newParentId);
    // Linux's order: the new name is looked up first (EEXIST), then may_create (EACCES), then the source (EPERM).
    if (tx.dent(newParentId, newName, true).isPresent()) {
      throw CatenaException.of(Errno.EEXIST, "'%s' exists in directory %d", newName, newParentId);
    }
    PermissionChecker.check(user, parent, W);
    if (src.isDirectory()) {
      throw CatenaException.of(Errno.EPERM, "hard links to directories are not allowed");
    }
    if (src.nlink() == 0) {
      throw CatenaException.of(Errno.ENOENT, "inode %d was unlinked", ino);
    }
    if (src.nlink() >= LINK_MAX) {
      throw CatenaException.of(Errno.EMLINK, "inode %d has %d links", ino, src.nlink());
    }
    if (src.quotaDomain() != parent.quotaDomain()) {
      // One inode counts toward one quota: a name in another quota's tree is refused, as XFS project quotas do.
      throw CatenaException.of(Errno.EXDEV, "inode %d is under quota %d, directory %d under quota %d", ino,
          src.quotaDomain(), newParentId, parent.quotaDomain());
    }
    Inode linked = src.withNlink(src.nlink() + 1).withCtime(now);
    tx.putInode(linked);
    tx.putDent(Tx.dentFor(newParentId, newName, linked));
    tx.putInode(tx.inodeForUpdate(newParentId).touched(now));
    return linked;
  }

  public void unlink(Tx tx, UserInfo user, long parentId, String name, long now) {
    Names.check(name, Errno.EISDIR);
    Inode parent = writableDir(tx, user, parentId);
    Dent d = tx.dent(parentId, name, true)
        .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no '%s' in directory %d", name, parentId));
    PermissionChecker.check(user, parent, W);
    Inode child = tx.inodeForUpdate(d.ino());
    if (child.isDirectory()) {
      throw CatenaException.of(Errno.EISDIR, "'%s' is a directory", name);
    }
    PermissionChecker.checkSticky(user, parent, child);
    tx.clearDent(parentId, name);
    tx.putInode(parent.touched(now));
    dropLink(tx, child, now, parentId, name);
  }

  /**
   * One name of a non-directory is gone: nlink drops, and at 0 a file moves to the GC area (its chunks outlive it
   * for open handles), or to the trash area if its trash time is above 0 ({@link TrashArea}), while other types are
   * deleted at once. {@code parentId} and {@code name} are where the name was, for the trash record.
   */
  static void dropLink(Tx tx, Inode child, long now, long parentId, String name) {
    int n = child.nlink() - 1;
    if (n > 0) {
      tx.putInode(child.withNlink(n).withCtime(now));
      return;
    }
    // The last name is gone: the inode and its length stop counting toward its quota, and an unlinked file keeps
    // no tag, so writes through handles still open are not charged.
    QuotaLedger.refund(tx, child.quotaDomain(), child.isFile() ? child.length() : 0, 1);
    if (child.isFile() && TrashArea.keep(tx, child, parentId, name, now)) {
      return;
    }
    if (child.isFile()) {
      tx.putInode(child.withNlink(0).withCtime(now).withQuotaDomain(Inode.NO_QUOTA));
      tx.set(MetaKeys.gc(child.id()), Codec.encodeLong(now));
    } else {
      tx.deleteInode(child.id());
    }
  }

  public void rmdir(Tx tx, UserInfo user, long parentId, String name, long now) {
    Names.check(name, null);
    if (name.equals(".")) {
      throw CatenaException.of(Errno.EINVAL, "rmdir of '.'");
    }
    if (name.equals("..")) {
      throw CatenaException.of(Errno.ENOTEMPTY, "rmdir of '..'");
    }
    Inode parent = writableDir(tx, user, parentId);
    Dent d = tx.dent(parentId, name, true)
        .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no '%s' in directory %d", name, parentId));
    PermissionChecker.check(user, parent, W);
    Inode child = tx.inodeForUpdate(d.ino());
    if (!child.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "'%s' is not a directory", name);
    }
    PermissionChecker.checkSticky(user, parent, child);
    if (!tx.isEmptyDir(child.id(), true)) {
      throw CatenaException.of(Errno.ENOTEMPTY, "directory '%s' is not empty", name);
    }
    tx.clearDent(parentId, name);
    deleteDirInode(tx, child);
    tx.putInode(parent.touched(now).withNlink(parent.nlink() - 1));
  }

  /**
   * Deletes an empty directory's inode: it stops counting toward its quota, and a quota set on it (empty, since
   * the directory is) goes with it.
   */
  static void deleteDirInode(Tx tx, Inode dir) {
    long charged = QuotaLedger.chargeDomain(tx, dir, true);
    if (tx.quota(dir.id(), true).isPresent()) {
      QuotaLedger.dropRecords(tx, dir.id());
    }
    QuotaLedger.refund(tx, charged, 0, 1);
    tx.deleteInode(dir.id());
  }

  /** The entry {@code name} of {@code parent}, for lookup: "." is the directory, ".." its parent. */
  public static Inode lookup(Tx tx, UserInfo user, long parentId, String name) {
    Names.check(name, null);
    Inode parent = searchableDir(tx, user, parentId, false);
    if (name.equals(".")) {
      return parent;
    }
    if (name.equals("..")) {
      return tx.inode(parent.parent());
    }
    Optional<Dent> d = tx.dent(parentId, name, false);
    if (d.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "no '%s' in directory %d", name, parentId);
    }
    return tx.inode(d.get().ino());
  }
}
