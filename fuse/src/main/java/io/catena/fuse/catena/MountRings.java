package io.catena.fuse.catena;

import io.catena.client.OpenFile;
import io.catena.client.OpenFiles;
import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.fuse.FuseConfig;
import io.catena.fuse.FuseNotifier;
import io.catena.fuse.usrbio.IoRegistry;
import io.catena.meta.MetaService;
import io.catena.meta.OpenResult;
import java.util.function.LongConsumer;
import java.util.function.Supplier;

/**
 * The Catena mount's side of native I/O: the registry behind {@code /.catena-virt/iovs/}, opening a registered
 * descriptor's file the way the mount opens files, and telling the kernel what rings wrote. Thread-safe: stateless.
 */
final class MountRings {
  private MountRings() {}

  /**
   * @param forgetLength called with the kernel inode of a file rings wrote, so the mount stops trusting the length it
   *     last reported for it
   */
  static IoRegistry registry(MetaService meta, MountRoot root, OpenFiles files, String clientId, Config config,
      Supplier<FuseNotifier> notifier, LongConsumer forgetLength) {
    IoRegistry.FileOpener opener = (user, fuseIno, flags) -> {
      // meta's open as the registering process's user is open(2)'s permission check; the handle joins the mount's
      // open files, so the mount's handles and the rings share the file's length and see each other's writes.
      OpenResult r = meta.open(user, root.toMeta(fuseIno), flags, clientId);
      if (!r.inode().isFile()) {
        throw CatenaException.of(Errno.EINVAL, "inode %d is not a regular file", fuseIno);
      }
      OpenFile f = files.open(r, flags);
      return f;
    };
    LongConsumer wrote = fuseIno -> {
      forgetLength.accept(fuseIno);
      invalidate(notifier.get(), fuseIno);
    };
    return new IoRegistry(files, opener, wrote, new IoRegistry.Limits(config.get(FuseConfig.IO_MAX_RINGS),
        config.get(FuseConfig.IO_MAX_REGISTRATIONS), config.get(FuseConfig.IO_MAX_BUFFER).bytes(),
        config.get(FuseConfig.IO_MAX_INFLIGHT).bytes(), config.get(FuseConfig.IO_REAP_INTERVAL)),
        ControlDir.REGISTRATIONS);
  }

  /**
   * Ring writes bypass the kernel, so its cached attributes and pages of the file are stale once meta recorded the
   * new length: attributes are dropped at once (that takes no kernel inode lock), pages on the side (dropping them
   * locks pages, and this may run while the kernel waits for a request on the same file).
   */
  private static void invalidate(FuseNotifier n, long fuseIno) {
    if (n == null) {
      return;
    }
    try {
      n.invalidateInode(fuseIno, -1, 0);
    } catch (CatenaException e) {
      return; // ENOENT: the kernel holds nothing of it
    }
    Thread.ofVirtual().name("ring-inval").start(() -> {
      try {
        n.invalidateInode(fuseIno, 0, 0);
      } catch (CatenaException e) {
        // the kernel forgot the inode meanwhile
      }
    });
  }
}
