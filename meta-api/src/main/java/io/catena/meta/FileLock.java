package io.catena.meta;

/** A held advisory lock: who holds it and the range {@code [start, end)} it covers. Immutable. */
public record FileLock(String clientId, long owner, LockRequest.Kind kind, LockRequest.Type type, long start,
    long end) {}
