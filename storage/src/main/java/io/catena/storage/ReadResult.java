package io.catena.storage;

import java.nio.ByteBuffer;

/**
 * Bytes read from the committed version of a chunk, with that version's identity so callers can check them:
 * {@code chunkCrc32c} covers the whole committed content ({@code chunkLength} bytes), not just {@code data}.
 * Immutable (the buffer is the caller's).
 */
public record ReadResult(ByteBuffer data, long version, int chunkLength, int chunkCrc32c) {}
