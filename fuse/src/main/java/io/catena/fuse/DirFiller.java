package io.catena.fuse;

/**
 * Collects the entries of one readdir reply. Not thread-safe: used by the one thread serving the request.
 */
public interface DirFiller {
  /**
   * Adds one entry; {@code nextOffset} is the offset the kernel passes back to continue after it (any value the
   * file system understands, never 0). Returns false when the reply is full: the entry was not added and the file
   * system must stop.
   */
  boolean add(String name, long ino, int mode, long nextOffset);
}
