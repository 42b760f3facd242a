package io.catena.fuse;

/**
 * Collects the entries of one readdirplus reply: names with their full entries, so the kernel needs no lookup
 * per name. Not thread-safe: used by the one thread serving the request.
 */
public interface DirPlusFiller {
  /**
   * Adds one entry. Returns false when the reply is full: the entry was not added and the file system must stop.
   * When it returns true the kernel holds one lookup on the entry's inode (returned by a later forget), except for
   * "." and "..", which the kernel never instantiates: do not count a lookup for those.
   */
  boolean add(String name, Entry entry, long nextOffset);
}
