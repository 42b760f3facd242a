package io.catena.meta.store;

import io.catena.kv.Keys;
import static io.catena.meta.store.PermissionChecker.R;
import static io.catena.meta.store.PermissionChecker.W;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.meta.Inode;
import io.catena.meta.UserInfo;
import io.catena.meta.XattrFlags;
import java.util.ArrayList;
import java.util.List;

/**
 * Extended attributes with Linux's namespace rules (xattr_permission): user.* on regular files and directories for
 * those with read (get) or write (set/remove) permission, and in sticky directories only the owner may write;
 * trusted.* and security.* writable by root only, trusted.* invisible to others; every other namespace (system.*
 * ACLs included) is EOPNOTSUPP. Thread-safe: stateless.
 */
public final class XattrOps {
  private XattrOps() {}

  private enum Ns { USER, TRUSTED, SECURITY }

  private static Ns namespace(String name) {
    if (name == null || name.isEmpty() || MetaKeys.utf8(name).length > XattrFlags.MAX_NAME) {
      throw CatenaException.of(Errno.ERANGE, "xattr name empty or longer than %d bytes", XattrFlags.MAX_NAME);
    }
    if (name.indexOf('\0') >= 0) {
      throw CatenaException.of(Errno.EINVAL, "xattr name contains NUL");
    }
    Ns ns;
    String rest;
    if (name.startsWith("user.")) {
      ns = Ns.USER;
      rest = name.substring(5);
    } else if (name.startsWith("trusted.")) {
      ns = Ns.TRUSTED;
      rest = name.substring(8);
    } else if (name.startsWith("security.")) {
      ns = Ns.SECURITY;
      rest = name.substring(9);
    } else {
      throw CatenaException.of(Errno.EOPNOTSUPP, "xattr namespace of '%s' is not supported", name);
    }
    if (rest.isEmpty()) {
      throw CatenaException.of(Errno.EINVAL, "xattr name '%s' has nothing after its namespace", name);
    }
    return ns;
  }

  /** Linux's xattr_permission: EPERM/ENODATA by namespace before the ordinary EACCES check. */
  private static void permit(UserInfo user, Inode i, Ns ns, boolean write) {
    switch (ns) {
      case TRUSTED -> {
        if (!user.isRoot()) {
          throw write ? CatenaException.of(Errno.EPERM, "trusted.* is root's")
              : CatenaException.of(Errno.ENODATA, "no such attribute");
        }
      }
      case SECURITY -> {
        if (write && !user.isRoot()) {
          throw CatenaException.of(Errno.EPERM, "security.* is set by root only");
        }
      }
      case USER -> {
        if (!i.isFile() && !i.isDirectory()) {
          throw write ? CatenaException.of(Errno.EPERM, "user.* only on files and directories")
              : CatenaException.of(Errno.ENODATA, "no such attribute");
        }
        if (write && i.isDirectory() && (i.mode() & Inode.S_ISVTX) != 0 && !PermissionChecker.ownerOrRoot(user, i)) {
          throw CatenaException.of(Errno.EPERM, "sticky directory %d: only its owner sets user.*", i.id());
        }
        PermissionChecker.check(user, i, write ? W : R);
      }
    }
  }

  public static byte[] get(Tx tx, UserInfo user, long ino, String name) {
    Inode i = tx.inode(ino);
    permit(user, i, namespace(name), false);
    return tx.get(MetaKeys.xattr(ino, name), false)
        .orElseThrow(() -> CatenaException.of(Errno.ENODATA, "no attribute '%s' on inode %d", name, ino));
  }

  public static List<String> list(Tx tx, UserInfo user, long ino) {
    tx.inode(ino);
    byte[] p = MetaKeys.xattrPrefix(ino);
    List<String> names = new ArrayList<>();
    for (KeyValue kv : tx.raw().snapshotGetRange(p, Keys.strinc(p), 0, false).pairs()) {
      String n = MetaKeys.nameOf(kv.key());
      if (user.isRoot() || !n.startsWith("trusted.")) {
        names.add(n);
      }
    }
    return names;
  }

  public static void set(Tx tx, UserInfo user, long ino, String name, byte[] value, int flags, long now) {
    if ((flags & ~(XattrFlags.CREATE | XattrFlags.REPLACE)) != 0) {
      throw CatenaException.of(Errno.EINVAL, "bad xattr flags %d", flags);
    }
    Ns ns = namespace(name);
    if (value == null) {
      value = new byte[0];
    }
    if (value.length > XattrFlags.MAX_VALUE) {
      throw CatenaException.of(Errno.E2BIG, "xattr value of %d bytes exceeds %d", value.length, XattrFlags.MAX_VALUE);
    }
    Inode i = tx.inodeForUpdate(ino);
    permit(user, i, ns, true);
    boolean exists = tx.get(MetaKeys.xattr(ino, name), true).isPresent();
    if (exists && (flags & XattrFlags.CREATE) != 0) {
      throw CatenaException.of(Errno.EEXIST, "attribute '%s' exists on inode %d", name, ino);
    }
    if (!exists && (flags & XattrFlags.REPLACE) != 0) {
      throw CatenaException.of(Errno.ENODATA, "no attribute '%s' on inode %d", name, ino);
    }
    tx.set(MetaKeys.xattr(ino, name), value);
    tx.putInode(i.withCtime(now));
  }

  public static void remove(Tx tx, UserInfo user, long ino, String name, long now) {
    Ns ns = namespace(name);
    Inode i = tx.inodeForUpdate(ino);
    permit(user, i, ns, true);
    if (tx.get(MetaKeys.xattr(ino, name), true).isEmpty()) {
      throw CatenaException.of(Errno.ENODATA, "no attribute '%s' on inode %d", name, ino);
    }
    tx.clear(MetaKeys.xattr(ino, name));
    tx.putInode(i.withCtime(now));
  }
}
