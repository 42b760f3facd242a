package io.catena.meta.store;

import io.catena.meta.InodeType;

/**
 * A stored directory entry: the child's id and type and, for directories, a copy of the child's owner and permission
 * bits so path walks can check search permission without loading the child. Immutable.
 */
public record Dent(long parent, String name, long ino, InodeType type, int uid, int gid, int perm) {}
