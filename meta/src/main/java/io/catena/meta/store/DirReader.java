package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.R;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.kv.RangeResult;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.ReaddirPage;
import io.catena.meta.UserInfo;
import java.util.ArrayList;
import java.util.List;

/** readdir with paging by name cursor, from one snapshot. Thread-safe: stateless. */
public final class DirReader {
  private DirReader() {}

  public static ReaddirPage readdir(Tx tx, UserInfo user, long ino, String cursor, int limit, boolean plus) {
    Inode dir = tx.inode(ino);
    if (!dir.isDirectory()) {
      throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", ino);
    }
    PermissionChecker.check(user, dir, R);
    if (limit <= 0) {
      throw CatenaException.of(Errno.EINVAL, "readdir limit %d", limit);
    }
    if (cursor != null && (cursor.isEmpty() || MetaKeys.utf8(cursor).length > Names.NAME_MAX)) {
      throw CatenaException.of(Errno.EINVAL, "bad readdir cursor");
    }
    RangeResult r = tx.dentPage(ino, cursor, limit);
    List<DirEntry> entries = new ArrayList<>(r.pairs().size());
    List<Inode> attrs = new ArrayList<>();
    for (KeyValue kv : r.pairs()) {
      Dent d = Tx.decodeDentPair(kv);
      entries.add(new DirEntry(d.name(), d.ino(), d.type()));
      if (plus) {
        attrs.add(tx.inode(d.ino()));
      }
    }
    String next = entries.isEmpty() ? cursor : entries.getLast().name();
    return new ReaddirPage(entries, attrs, next, r.more());
  }
}
