package io.catena.fuse;

import java.time.Duration;
import java.util.Objects;

/**
 * The answer to lookup, mknod, mkdir, symlink, link and create: the inode, its generation ({@code ino:generation}
 * must be unique over the file system's life), its attributes, and how long the kernel may cache the name and the
 * attributes. A {@code null} timeout means the mount's {@code fuse.entry_timeout} / {@code fuse.attr_timeout}.
 * Every entry handed to the kernel counts one lookup that a later {@code forget} returns. Immutable.
 */
public record Entry(long generation, Attr attr, Duration entryTimeout, Duration attrTimeout) {
  public Entry {
    Objects.requireNonNull(attr, "attr");
  }

  /** An entry with generation 0 and the mount's default timeouts. */
  public static Entry of(Attr attr) {
    return new Entry(0, attr, null, null);
  }

  /**
   * A lookup answer meaning "no such name", which the kernel remembers for {@code timeout} (a negative dentry):
   * only valid as the result of {@link FuseFileSystem#lookup}. A zero timeout caches nothing.
   */
  public static Entry negative(Duration timeout) {
    return new Entry(0, new Attr(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0), timeout, Duration.ZERO);
  }

  public long ino() {
    return attr.ino();
  }
}
