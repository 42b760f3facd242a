package io.catena.common.cluster;

/** The role of a node in the cluster; config texts are distributed per node type. Immutable. */
public enum NodeType {
  MGMTD(1),
  META(2),
  STORAGE(3),
  /** A FUSE mount. */
  FUSE(4),
  /** A native (library) client or an admin tool. */
  CLIENT(5);

  private final int code;

  NodeType(int code) {
    this.code = code;
  }

  /** A stable number for wire formats and stored records (declaration order may change); never reuse one. */
  public int code() {
    return code;
  }

  public static NodeType fromCode(int code) {
    for (NodeType v : values()) {
      if (v.code == code) {
        return v;
      }
    }
    throw new IllegalArgumentException("unknown NodeType code " + code);
  }

  /** Whether nodes of this type hold a client session rather than a membership record. */
  public boolean isClient() {
    return this == FUSE || this == CLIENT;
  }
}
