package io.catena.common.cluster;

import io.catena.common.StableCode;

/**
 * The state of a target as its storage node reports it in heartbeats (or as mgmtd infers it when the node stops
 * heartbeating). It is the event that drives the chain state machine. Immutable.
 */
public enum LocalTargetState implements StableCode {
  /** Alive and holding every committed write (serving, or sync done). */
  UPTODATE(1),
  /** Alive but not (yet) known to hold every committed write: waiting or syncing. */
  ONLINE(2),
  /** Down, fenced, or its medium failed. */
  OFFLINE(3);

  private final int code;

  LocalTargetState(int code) {
    this.code = code;
  }

  /** A stable number for wire formats and stored records (declaration order may change); never reuse one. */
  @Override
  public int code() {
    return code;
  }

  public static LocalTargetState fromCode(int code) {
    return StableCode.fromCode(LocalTargetState.class, code);
  }
}
