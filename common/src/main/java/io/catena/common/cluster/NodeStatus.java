package io.catena.common.cluster;

import io.catena.common.StableCode;

/** Whether mgmtd currently hears a node's heartbeats. Immutable. */
public enum NodeStatus implements StableCode {
  /** Heartbeats arrive within the timeout. */
  ALIVE(1),
  /** No heartbeat within the timeout; its targets are offline. */
  FAILED(2);

  private final int code;

  NodeStatus(int code) {
    this.code = code;
  }

  /** A stable number for wire formats and stored records (declaration order may change); never reuse one. */
  @Override
  public int code() {
    return code;
  }

  public static NodeStatus fromCode(int code) {
    return StableCode.fromCode(NodeStatus.class, code);
  }
}
