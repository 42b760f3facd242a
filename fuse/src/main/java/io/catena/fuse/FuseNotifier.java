package io.catena.fuse;

/**
 * Messages the file system may send to the kernel without a request: drop cached data or names that changed
 * elsewhere (another client, the server). Thread-safe; calls may be made from any thread, but not while serving a
 * request for the same inode/directory on the same thread when that request holds the kernel's lock (lookup,
 * create...): the kernel would deadlock waiting for the reply.
 */
public interface FuseNotifier {
  /** Invalidates cached attributes and the page cache range [offset, offset+len) of {@code ino} (len 0: to the
   * end; offset -1: attributes only). Throws {@code CatenaException(ENOENT)} when the kernel does not know it. */
  void invalidateInode(long ino, long offset, long len);

  /** Invalidates the cached name {@code name} in directory {@code parent}. */
  void invalidateEntry(long parent, String name);

  /** Like {@link #invalidateEntry} but also tells the kernel the entry pointing to {@code child} was deleted, so
   * open directories and inotify watchers see it. */
  void deleteEntry(long parent, long child, String name);
}
