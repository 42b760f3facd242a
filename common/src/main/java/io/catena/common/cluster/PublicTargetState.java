package io.catena.common.cluster;

import io.catena.common.StableCode;

/**
 * The state of a target as mgmtd publishes it in the chain: what clients and peers may do with it. Immutable.
 *
 * <pre>
 * state    read  write  meaning
 * SERVING   Y     Y     alive and holds every committed write
 * SYNCING   N     Y     alive; its predecessor is copying data to it (at most one per chain)
 * WAITING   N     N     alive; recovery not started yet
 * LASTSRV   N     N     down, and it was the last serving target: the chain waits for it
 * OFFLINE   N     N     down, fenced, or its medium failed
 * </pre>
 */
public enum PublicTargetState implements StableCode {
  SERVING(1),
  SYNCING(2),
  WAITING(3),
  LASTSRV(4),
  OFFLINE(5);

  private final int code;

  PublicTargetState(int code) {
    this.code = code;
  }

  /** A stable number for wire formats and stored records (declaration order may change); never reuse one. */
  @Override
  public int code() {
    return code;
  }

  public static PublicTargetState fromCode(int code) {
    return StableCode.fromCode(PublicTargetState.class, code);
  }

  /** Whether reads may be sent to it. */
  public boolean canRead() {
    return this == SERVING;
  }

  /** Whether writes flow through it (chain replication forwards to serving and syncing members). */
  public boolean receivesWrites() {
    return this == SERVING || this == SYNCING;
  }
}
