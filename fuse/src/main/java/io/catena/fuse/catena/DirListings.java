package io.catena.fuse.catena;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.ReaddirPage;
import io.catena.meta.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The mount's open directory handles, each with the directory's entries as its first read found them: loaded once
 * per handle so the offsets readdir hands the kernel stay stable while the directory changes. Thread-safe.
 */
final class DirListings {
  private static final int READDIR_PAGE = 512;

  /** One directory entry as listed: its name, its meta id and type, and its attributes for readdirplus. */
  record Listed(String name, long ino, int mode, Inode attrs) {}

  private final MetaService meta;
  private final Map<Long, List<Listed>> listings = new ConcurrentHashMap<>();
  private final AtomicLong nextHandle = new AtomicLong(1);

  private final MountRoot root;

  DirListings(MetaService meta, MountRoot root) {
    this.meta = meta;
    this.root = root;
  }

  /** A new handle; its listing loads on the first read. */
  long open() {
    long fh = nextHandle.getAndIncrement();
    listings.put(fh, new ArrayList<>());
    return fh;
  }

  /**
   * The entries of directory {@code dir} (a meta id) open as {@code fh}, "." and ".." first, with attributes when
   * {@code plus}; EBADF when the handle is not open.
   */
  List<Listed> listing(UserInfo user, long dir, long fh, boolean plus) {
    List<Listed> cached = listings.get(fh);
    if (cached == null) {
      throw CatenaException.of(Errno.EBADF, "no open directory handle %d", fh);
    }
    synchronized (cached) {
      if (cached.isEmpty()) {
        load(user, meta.getattr(user, dir), plus, cached);
      }
      return cached;
    }
  }

  private void load(UserInfo user, Inode dir, boolean plus, List<Listed> into) {
    // ".." needs only its id and type: the kernel never instantiates "." or ".." from readdirplus.
    long parent = root.isRoot(dir.id()) ? dir.id() : dir.parent(); // the mount's root is its own parent
    into.add(new Listed(".", dir.id(), dir.stMode(), dir));
    into.add(new Listed("..", parent, dir.stMode(), null));
    String cursor = null;
    while (true) {
      ReaddirPage page = meta.readdir(user, dir.id(), cursor, READDIR_PAGE, plus);
      for (int i = 0; i < page.entries().size(); i++) {
        DirEntry e = page.entries().get(i);
        if (root.isRoot(dir.id()) && ControlDir.NAME.equals(e.name())) {
          continue; // shadowed by the control directory
        }
        Inode attrs = plus ? page.attrs().get(i) : null;
        into.add(new Listed(e.name(), e.ino(), attrs != null ? attrs.stMode() : e.type().ifmt(), attrs));
      }
      if (!page.more()) {
        return;
      }
      cursor = page.cursor();
    }
  }

  void release(long fh) {
    listings.remove(fh);
  }
}
