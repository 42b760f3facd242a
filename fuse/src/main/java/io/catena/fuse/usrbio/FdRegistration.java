package io.catena.fuse.usrbio;

import io.catena.client.OpenFile;
import io.catena.meta.UserInfo;

/**
 * A program's descriptor as rings use it: the file the daemon opened for it as the program's user, with the access
 * mode the program's own descriptor has. Closed (meta's open session ended) once deregistered and no ring I/O holds
 * it. Thread-safe: immutable apart from {@link #refs}.
 *
 * @param fuseIno the inode as the kernel numbers it
 * @param target where the descriptor pointed when registered, as the program saw it (for listings)
 */
record FdRegistration(int fd, int tgid, long fuseIno, OpenFile file, UserInfo user, boolean readable,
    boolean writable, String target, Refs refs) {}
