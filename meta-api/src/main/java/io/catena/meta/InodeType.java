package io.catena.meta;

/**
 * The kind of an inode, with the S_IFMT bits Linux uses for it. The declaration order is persisted (records store the
 * ordinal): add new kinds at the end only. Immutable.
 */
public enum InodeType {
  FILE(0100000),
  DIRECTORY(0040000),
  SYMLINK(0120000),
  FIFO(0010000),
  SOCKET(0140000),
  CHAR_DEVICE(0020000),
  BLOCK_DEVICE(0060000);

  private final int ifmt;

  InodeType(int ifmt) {
    this.ifmt = ifmt;
  }

  /** The S_IFMT bits of this type. */
  public int ifmt() {
    return ifmt;
  }

  /** The type of the S_IFMT bits in {@code mode}, or null if they name no type. */
  public static InodeType fromMode(int mode) {
    int fmt = mode & 0170000;
    for (InodeType t : values()) {
      if (t.ifmt == fmt) {
        return t;
      }
    }
    return null;
  }
}
