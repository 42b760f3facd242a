package io.catena.meta;

/** One name in a directory: the name, the child's inode id and type. Immutable. */
public record DirEntry(String name, long ino, InodeType type) {}
