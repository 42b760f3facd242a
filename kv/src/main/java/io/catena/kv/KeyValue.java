package io.catena.kv;

/** One key and its value, as returned by range reads. The arrays are owned by the caller. Immutable by convention. */
public record KeyValue(byte[] key, byte[] value) {}
