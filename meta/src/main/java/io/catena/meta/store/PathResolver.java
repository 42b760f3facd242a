package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.MetaService;
import io.catena.meta.UserInfo;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Resolves path strings the way the kernel's path walk does: search permission on every directory passed, symlinks
 * followed in the middle always and at the end on request, ELOOP after {@code maxFollow} links, ENAMETOOLONG for
 * paths over 4096 bytes or deeper than {@code maxDepth} components, ENOTDIR for a non-directory in the middle or
 * before a trailing slash. From one snapshot. Thread-safe: immutable.
 */
public final class PathResolver {
  private final int maxFollow;
  private final int maxDepth;

  public PathResolver(int maxFollow, int maxDepth) {
    this.maxFollow = maxFollow;
    this.maxDepth = maxDepth;
  }

  /** The inode a path names, with the directory and name it was found under (the root: itself and "/"). */
  public record Resolved(Inode inode, long parent, String name) {}

  public Resolved resolve(Tx tx, UserInfo user, long base, String path, boolean followLast) {
    if (path == null || path.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "empty path");
    }
    if (path.indexOf('\0') >= 0) {
      throw CatenaException.of(Errno.EINVAL, "path contains NUL");
    }
    if (MetaKeys.utf8(path).length > Names.PATH_MAX) {
      throw CatenaException.of(Errno.ENAMETOOLONG, "path longer than %d bytes", Names.PATH_MAX);
    }
    Deque<String> todo = new ArrayDeque<>();
    boolean mustBeDir = push(todo, path);
    Inode cur = tx.inode(path.startsWith("/") ? MetaService.ROOT : base);
    if (!cur.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "base inode %d is not a directory", base);
    }
    long parent = cur.parent() < 0 ? MetaService.ROOT : cur.parent();
    String name = cur.id() == MetaService.ROOT ? "/" : cur.name();
    int followed = 0;
    int steps = 0;
    while (!todo.isEmpty()) {
      String c = todo.pollFirst();
      if (++steps > maxDepth) {
        throw CatenaException.of(Errno.ENAMETOOLONG, "path deeper than %d components", maxDepth);
      }
      if (!cur.isDirectory()) {
        throw CatenaException.of(Errno.ENOTDIR, "'%s' is not a directory", name);
      }
      PermissionChecker.check(user, cur, PermissionChecker.X);
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (cur.id() != MetaService.ROOT) {
          cur = tx.inode(cur.parent());
        }
        parent = cur.id() == MetaService.ROOT ? MetaService.ROOT : cur.parent();
        name = cur.id() == MetaService.ROOT ? "/" : cur.name();
        continue;
      }
      Names.check(c, null);
      long dirId = cur.id();
      Dent d = tx.dent(dirId, c, false)
          .orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no '%s' in directory %d", c, dirId));
      Inode child = tx.inode(d.ino());
      boolean last = todo.isEmpty();
      if (child.type() == InodeType.SYMLINK && (!last || followLast || mustBeDir)) {
        if (++followed > maxFollow) {
          throw CatenaException.of(Errno.ELOOP, "more than %d symlinks", maxFollow);
        }
        String target = child.symlinkTarget();
        mustBeDir |= push(todo, target) && last;
        if (target.startsWith("/")) {
          cur = tx.inode(MetaService.ROOT);
          parent = MetaService.ROOT;
          name = "/";
        }
        continue;
      }
      parent = dirId;
      name = c;
      cur = child;
    }
    if (mustBeDir && !cur.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "'%s' is not a directory", name);
    }
    return new Resolved(cur, parent, name);
  }

  /** Pushes the components of {@code path} in front of {@code todo}; true if it ends with a slash. */
  private static boolean push(Deque<String> todo, String path) {
    String[] parts = path.split("/");
    for (int k = parts.length - 1; k >= 0; k--) {
      if (!parts[k].isEmpty()) {
        todo.addFirst(parts[k]);
      }
    }
    return path.endsWith("/") && path.length() > 1;
  }

  /** The absolute path of a directory, from its parent links. */
  public static String pathOf(Tx tx, Inode dir) {
    Deque<String> names = new ArrayDeque<>();
    Inode cur = dir;
    int guard = 0;
    while (cur.id() != MetaService.ROOT) {
      if (++guard > 65536) {
        throw CatenaException.of(Errno.ELOOP, "parent links of inode %d do not reach the root", dir.id());
      }
      names.addFirst(cur.name());
      cur = tx.inode(cur.parent());
    }
    return names.isEmpty() ? "/" : "/" + String.join("/", names);
  }
}
