package io.catena.fuse.catena;

import io.catena.fuse.FuseFileSystem;
import io.catena.meta.MetaService;

/**
 * Which meta directory is the mount's root and how inode numbers cross between the kernel and meta: FUSE's root
 * inode 1 is that directory (meta's root 0 for a whole-tree mount, the mounted directory for {@code --subdir});
 * every other number is meta's own (meta never hands out id 1). Immutable.
 *
 * @param metaIno the meta inode the mount shows as its root
 */
record MountRoot(long metaIno) {
  static final MountRoot WHOLE_TREE = new MountRoot(MetaService.ROOT);

  long toMeta(long fuseIno) {
    return fuseIno == FuseFileSystem.ROOT_INO ? metaIno : fuseIno;
  }

  long toFuse(long metaIno) {
    return metaIno == this.metaIno ? FuseFileSystem.ROOT_INO : metaIno;
  }

  boolean isRoot(long metaIno) {
    return metaIno == this.metaIno;
  }
}
