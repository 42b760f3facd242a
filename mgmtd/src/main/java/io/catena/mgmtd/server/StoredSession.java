package io.catena.mgmtd.server;

import io.catena.common.cluster.NodeType;

/** A client session as stored; its expiry is computed with the timeout in force when it is read. Immutable. */
record StoredSession(String clientId, NodeType type, String host, String description, long startMillis,
    long lastExtendMillis) {}
