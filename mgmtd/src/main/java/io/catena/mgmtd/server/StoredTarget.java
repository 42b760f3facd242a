package io.catena.mgmtd.server;

/** The durable part of a target: where it lives and which chain it belongs to (0: none). Immutable. */
record StoredTarget(long targetId, long nodeId, int diskIndex, long chainId) {
  StoredTarget withChain(long c) {
    return new StoredTarget(targetId, nodeId, diskIndex, c);
  }
}
