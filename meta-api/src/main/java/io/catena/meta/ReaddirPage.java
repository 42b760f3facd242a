package io.catena.meta;

import java.util.List;

/**
 * One page of a directory listing in name order (byte order of the UTF-8 names). "." and ".." are not listed: the
 * client adds them. {@code attrs} is parallel to {@code entries} for "plus" reads and empty otherwise. Continue with
 * {@code cursor} (the last name returned) while {@code more}. Immutable.
 */
public record ReaddirPage(List<DirEntry> entries, List<Inode> attrs, String cursor, boolean more) {
  public ReaddirPage {
    entries = List.copyOf(entries);
    attrs = List.copyOf(attrs);
  }
}
