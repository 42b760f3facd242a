package io.catena.common.cluster;

import io.catena.common.StableCode;

/** The role of a node in the cluster; config texts are distributed per node type. Immutable. */
public enum NodeType implements StableCode {
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
  @Override
  public int code() {
    return code;
  }

  public static NodeType fromCode(int code) {
    return StableCode.fromCode(NodeType.class, code);
  }

  /** Whether nodes of this type hold a client session rather than a membership record. */
  public boolean isClient() {
    return this == FUSE || this == CLIENT;
  }
}
