/**
 * Catena's FUSE mount: the kernel's FUSE protocol spoken on {@code /dev/fuse} in pure Java. The API is
 * {@link io.catena.fuse.FuseFileSystem} (inode-based operations with Java records for answers and
 * {@link io.catena.common.CatenaException} for errors), {@link io.catena.fuse.FuseMount} (mount, serve, unmount,
 * clear dead mounts) and {@link io.catena.fuse.FuseConfig} ({@code fuse.*} keys). The wire protocol, the FFM
 * downcalls and the reader threads live in {@code io.catena.fuse.kernel}, which nobody else imports.
 */
package io.catena.fuse;
