package io.catena.fuse.catena;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.meta.MetaService;
import io.catena.meta.TrashEntry;
import io.catena.meta.TrashService;
import io.catena.meta.UserInfo;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /.catena-virt/trash}: the caller's trashed files (root: everyone's) as read-only entries named like
 * MooseFS's trash, {@code ID|original|path|name} (the path's slashes as '|'), with the file's owner, mode, size and
 * times. Listing reads meta at every call; {@code rm} of an entry purges it. Opening one is refused: restore it
 * with {@code catena admin trash restore ID}. Entry inode numbers are {@link #FIRST_INO} + the trash id.
 * Thread-safe: the entry cache is a concurrent map, refreshed by every listing.
 */
final class TrashDir {
  static final String NAME = "trash";
  /** Entries' inode numbers: above the control directory's registrations, below its fixed files. */
  static final long FIRST_INO = ControlDir.REGISTRATIONS + (1L << 39);
  private static final int NAME_MAX = 255;
  private static final int PAGE = 1000;

  private final TrashService trash; // null: the meta service offers none (test doubles)
  /** Entries by trash id, as last listed or looked up: getattr has no caller to ask meta with. */
  private final Map<Long, TrashEntry> seen = new ConcurrentHashMap<>();

  TrashDir(MetaService meta) {
    this.trash = meta instanceof TrashService.Source s ? s.trash() : null;
  }

  boolean available() {
    return trash != null;
  }

  static boolean isEntry(long ino) {
    return ino >= FIRST_INO && ino < ControlDir.BASE;
  }

  private TrashService service() {
    if (trash == null) {
      throw CatenaException.of(Errno.EOPNOTSUPP, "this mount's meta service has no trash");
    }
    return trash;
  }

  /** The entry's name: its id, then its original path with '/' as '|', cut to NAME_MAX bytes. */
  static String nameOf(TrashEntry e) {
    String n = e.id() + "|" + e.path().substring(e.path().startsWith("/") ? 1 : 0).replace('/', '|');
    byte[] b = n.getBytes(StandardCharsets.UTF_8);
    if (b.length <= NAME_MAX) {
      return n;
    }
    String cut = new String(b, 0, NAME_MAX, StandardCharsets.UTF_8);
    return cut.charAt(cut.length() - 1) == '\uFFFD' ? cut.substring(0, cut.length() - 1) : cut;
  }

  /** The caller's entries, oldest removal first. */
  List<TrashEntry> list(UserInfo user) {
    List<TrashEntry> out = new ArrayList<>();
    long after = -1;
    while (true) {
      List<TrashEntry> page = service().listTrash(user, after, PAGE);
      out.addAll(page);
      if (page.size() < PAGE) {
        break;
      }
      after = page.getLast().id();
    }
    out.removeIf(e -> e.id() >= ControlDir.BASE - FIRST_INO); // beyond our inode range: not shown
    out.sort(Comparator.comparingLong(TrashEntry::deletedAtNanos).thenComparingLong(TrashEntry::id));
    out.forEach(e -> seen.put(e.id(), e));
    return out;
  }

  /** The entry called {@code name} that {@code user} may see; ENOENT otherwise. */
  TrashEntry lookup(UserInfo user, String name) {
    int bar = name.indexOf('|');
    long id;
    try {
      id = Long.parseLong(bar < 0 ? name : name.substring(0, bar));
    } catch (NumberFormatException e) {
      throw CatenaException.of(Errno.ENOENT, "no '%s' in %s/%s", name, ControlDir.NAME, NAME);
    }
    Optional<TrashEntry> e = list(user).stream().filter(x -> x.id() == id && nameOf(x).equals(name)).findFirst();
    return e.orElseThrow(() -> CatenaException.of(Errno.ENOENT, "no '%s' in %s/%s", name, ControlDir.NAME, NAME));
  }

  Attr attr(long ino) {
    TrashEntry e = seen.get(ino - FIRST_INO);
    if (e == null) {
      throw CatenaException.of(Errno.ENOENT, "trash entry %d is not known here (list the trash first)",
          ino - FIRST_INO);
    }
    return attr(e);
  }

  static Attr attr(TrashEntry e) {
    long mSec = Math.floorDiv(e.mtimeNanos(), 1_000_000_000L);
    int mNsec = (int) Math.floorMod(e.mtimeNanos(), 1_000_000_000L);
    long dSec = Math.floorDiv(e.deletedAtNanos(), 1_000_000_000L);
    int dNsec = (int) Math.floorMod(e.deletedAtNanos(), 1_000_000_000L);
    // ctime: when it was removed, as `ls -lc` would show for an unlinked inode.
    return new Attr(FIRST_INO + e.id(), e.length(), (e.length() + 511) / 512, mSec, mNsec, mSec, mNsec, dSec, dNsec,
        Attr.S_IFREG | (e.mode() & 0777), 1, e.uid(), e.gid(), 0, 4096);
  }

  /** rm of an entry: purge it now (meta checks that the caller owns it or is root). */
  void purge(UserInfo user, String name) {
    TrashEntry e = lookup(user, name);
    service().purge(user, e.id(), 0);
    seen.remove(e.id());
  }
}
