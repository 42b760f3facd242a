package io.catena.admin;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.RequestId;
import io.catena.meta.SnapshotResult;
import io.catena.meta.UserInfo;
import java.util.UUID;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code catena admin snapshot SRC DST} (MooseFS's mfsmakesnapshot): asks meta for a copy-on-write snapshot of a
 * file or a directory tree and prints what it made. Paths are inside Catena, absolute; acts as root, so owners are
 * kept. Stateless apart from its arguments.
 */
@Command(name = "snapshot", sortOptions = false,
    description = {"Make a snapshot: a copy of a file or a directory tree (modes, owners, times, extended "
        + "attributes, symlinks) whose file data is shared with the source copy-on-write: no byte is copied until "
        + "either side writes a file, and then only that file is copied, on the servers.",
        "DST must not exist; it appears whole when the snapshot is done (it is built under a hidden name beside it). "
            + "If interrupted, run the same command again: it removes the unfinished copy and starts over. Files "
            + "open for writing at the time are copied as they are then. Quotas count the snapshot by its logical "
            + "size. See docs/snapshots.md."},
    footer = ExitCodes.FOOTER)
final class SnapshotCommand extends AdminCall.Remote {
  @Parameters(index = "0", paramLabel = "SRC", description = "absolute path inside Catena of a file or directory")
  String src;

  @Parameters(index = "1", paramLabel = "DST", description = "absolute path inside Catena of the new snapshot")
  String dst;

  @Override
  int run(AdminSession s) {
    for (String p : new String[] {src, dst}) {
      if (!p.startsWith("/")) {
        throw CatenaException.of(Errno.EINVAL, "path '%s' must be absolute inside Catena (start with /)", p);
      }
    }
    String d = dst.length() > 1 && dst.endsWith("/") ? dst.substring(0, dst.length() - 1) : dst;
    int slash = d.lastIndexOf('/');
    String name = d.substring(slash + 1);
    if (name.isEmpty() || name.equals(".") || name.equals("..")) {
      throw CatenaException.of(Errno.EINVAL, "'%s' names no new entry", dst);
    }
    MetaService meta = s.meta();
    Inode source = meta.resolve(UserInfo.ROOT, MetaService.ROOT, src, false);
    Inode parent = meta.resolve(UserInfo.ROOT, MetaService.ROOT, slash == 0 ? "/" : d.substring(0, slash), true);
    SnapshotResult r = meta.snapshot(UserInfo.ROOT, source.id(), parent.id(), name,
        new RequestId("admin-snapshot-" + UUID.randomUUID(), 1));
    Table t = new Table("SOURCE", "SNAPSHOT", "DIRECTORIES", "FILES SHARED", "FILES COPIED", "OTHER", "BYTES");
    t.row(src, d, r.directories(), r.sharedFiles(), r.copiedFiles(), r.others(), Views.bytes(r.bytes()));
    print(json(), Views.obj("source", src, "snapshot", d, "directories", r.directories(), "shared_files",
        r.sharedFiles(), "copied_files", r.copiedFiles(), "others", r.others(), "bytes", r.bytes()), t);
    return ExitCodes.OK;
  }

  @Override
  String hint(CatenaException e) {
    return switch (e.errno()) {
      case ENOENT -> "check the paths: they are resolved inside Catena from its root, not on this machine";
      case EEXIST -> "choose a new name: a snapshot never replaces what is there";
      case EINVAL -> e.getMessage().contains("itself") ? "choose a destination outside the source directory"
          : "give absolute paths inside Catena, the destination ending in a new name, e.g. /snapshots/a-monday";
      case EDQUOT -> "the snapshot counts its logical size toward the quota above " + dst;
      case ETIMEDOUT -> "a large tree may take longer: run it again with a longer --timeout (it starts over)";
      default -> null;
    };
  }
}
