package io.catena.fuse.catena;

import io.catena.client.OpenFile;
import io.catena.common.CatenaException;
import io.catena.fuse.FuseNotifier;
import io.catena.meta.MetaService;
import io.catena.meta.SetAttr;
import io.catena.meta.UserInfo;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * Linux's file_remove_privs for the mount (HANDLE_KILLPRIV_V2): before a write by a caller without CAP_FSETID, meta
 * drops the file's set-user-ID and set-group-ID bits, once per handle (writing cannot bring them back), and the
 * kernel's cached attributes are dropped so fstat on the descriptor shows it at once. Thread-safe.
 */
final class PrivilegeDrops {
  private final MetaService meta;
  private final Supplier<FuseNotifier> notifier;
  private final Set<Long> done = ConcurrentHashMap.newKeySet();

  PrivilegeDrops(MetaService meta, Supplier<FuseNotifier> notifier) {
    this.meta = meta;
    this.notifier = notifier;
  }

  /** Called before each such write through handle {@code fh} of kernel inode {@code fuseIno} (meta inode metaIno). */
  void beforeWrite(UserInfo user, long fuseIno, long metaIno, long fh, OpenFile f) {
    // Meta is asked only while the bits may be set (the mode seen at open), and once per handle.
    if ((f.inode().mode() & 06000) == 0 || !done.add(fh)) {
      return;
    }
    meta.setattr(user, metaIno, SetAttr.killPrivileges(f.sessionId()));
    FuseNotifier n = notifier.get();
    if (n != null) {
      try {
        n.invalidateInode(fuseIno, -1, 0);
      } catch (CatenaException e) {
        // ENOENT: the kernel holds no attributes to drop
      }
    }
  }

  void released(long fh) {
    done.remove(fh);
  }
}
