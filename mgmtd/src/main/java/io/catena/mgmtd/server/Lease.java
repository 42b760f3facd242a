package io.catena.mgmtd.server;

/**
 * The primary's lease as stored in the KV store. {@code epoch} grows with every change of holder, so an instance
 * can tell its own current term from an older one it held before a restart. Immutable.
 */
record Lease(long holderId, String holderAddress, long epoch, long expiresAtMillis) {

  boolean heldBy(long nodeId, long ep) {
    return holderId == nodeId && epoch == ep;
  }

  boolean expiredAt(long nowMillis) {
    return nowMillis >= expiresAtMillis;
  }
}
