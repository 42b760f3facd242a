package io.catena.meta;

/**
 * The answer to create and open: the inode's attributes and the write session opened for this handle (0 when the
 * handle is read-only). Close the handle with that session id. Immutable.
 */
public record OpenResult(Inode inode, long sessionId) {}
