package io.catena.meta;

/**
 * One removed file kept in the trash area: its inode id (the entry's id), where it was (directory id, name and
 * absolute path at deletion), when it was removed and when the garbage collector frees it (nanoseconds since the
 * epoch), and its owner, mode and length as they are now. Immutable.
 */
public record TrashEntry(long id, long parent, String name, String path, long deletedAtNanos, long expiresAtNanos,
    int uid, int gid, int mode, long length, long mtimeNanos) {}
