package io.catena.meta;

/**
 * The answer to create and open: the inode's attributes and the write session opened for this handle (0 when the
 * handle is read-only). Close the handle with that session id. A create that made the file also names its
 * directory's attributes after the change ({@code parent}; null otherwise, and in a retried request's answer), so a
 * mount can answer the kernel's next look at the directory without asking again. Immutable.
 */
public record OpenResult(Inode inode, long sessionId, Inode parent) {
  public OpenResult(Inode inode, long sessionId) {
    this(inode, sessionId, null);
  }
}
