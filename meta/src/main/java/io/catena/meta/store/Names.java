package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;

/** Validation of single path components and paths. Stateless and thread-safe. */
public final class Names {
  public static final int NAME_MAX = 255;
  public static final int PATH_MAX = 4096;

  private Names() {}

  /** Whether {@code name} is "." or "..", which every operation handles by its own rule. */
  public static boolean isDot(String name) {
    return ".".equals(name) || "..".equals(name);
  }

  /**
   * Checks a component: null or empty is ENOENT (as for an empty path), '/' or NUL is EINVAL, more than 255 UTF-8
   * bytes is ENAMETOOLONG, and "."/".." gets {@code dotErrno} (null: allowed).
   */
  public static void check(String name, Errno dotErrno) {
    if (name == null || name.isEmpty()) {
      throw CatenaException.of(Errno.ENOENT, "empty name");
    }
    if (name.indexOf('/') >= 0 || name.indexOf('\0') >= 0) {
      throw CatenaException.of(Errno.EINVAL, "name contains '/' or NUL");
    }
    if (name.length() > NAME_MAX / 3 && MetaKeys.utf8(name).length > NAME_MAX) {
      throw CatenaException.of(Errno.ENAMETOOLONG, "name longer than %d bytes", NAME_MAX);
    }
    if (dotErrno != null && isDot(name)) {
      throw CatenaException.of(dotErrno, "'%s' is not allowed here", name);
    }
    for (int i = 0; i < name.length(); i++) {
      if (Character.isSurrogate(name.charAt(i))
          && !(Character.isHighSurrogate(name.charAt(i)) && i + 1 < name.length()
              && Character.isLowSurrogate(name.charAt(++i)))) {
        throw CatenaException.of(Errno.EILSEQ, "name is not valid UTF-16");
      }
    }
  }
}
