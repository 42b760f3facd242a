package io.catena.mgmtd;

import java.util.Objects;

/** An instruction to a node, carried in a heartbeat reply. Immutable. */
public record NodeCommand(Kind kind, long targetId, String reason) {

  public enum Kind {
    /**
     * The target is offline or waiting in its chain but claims UPTODATE, or its node restarted: stop serving it
     * (self-fencing) and report it ONLINE from now on; it becomes UPTODATE again only through a sync.
     */
    STOP_SERVING_TARGET
  }

  public NodeCommand {
    Objects.requireNonNull(kind, "kind");
    reason = reason == null ? "" : reason;
  }
}
