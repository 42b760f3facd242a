package io.catena.meta.store;

import static io.catena.meta.store.PermissionChecker.R;
import static io.catena.meta.store.PermissionChecker.W;
import static io.catena.meta.store.PermissionChecker.X;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.kv.KeyValue;
import io.catena.kv.Keys;
import io.catena.meta.Inode;
import io.catena.meta.InodeType;
import io.catena.meta.Layout;
import io.catena.meta.MetaService;
import io.catena.meta.RenameFlags;
import io.catena.meta.RequestId;
import io.catena.meta.SnapshotResult;
import io.catena.meta.UserInfo;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code mfsmakesnapshot}: copies a file or a directory tree to a new name, sharing every regular file's chunks with
 * its source copy-on-write ({@link DataRefs}, {@link CopyOnWrite}); see docs/snapshots.md.
 *
 * <p>A big tree cannot be one transaction (etcd allows 128 operations), so the copy is built under a hidden name
 * beside the destination ({@link #buildName}), {@value #BATCH} source entries per transaction, and renamed into
 * place (RENAME_NOREPLACE) at the end: readers see no destination, then the whole one. A run that is interrupted
 * leaves the hidden tree; the next snapshot to the same destination removes it first (its files drop their
 * references through the normal unlink and GC path). Each file is copied as one consistent state, checked in the
 * transaction that creates its copy; files changed while a big tree is copied may be seen before or after the change.
 *
 * <p>A file with an open write session is not shared (its writer keeps writing the same chunks): its bytes are
 * copied on storage after its copy is created, so the snapshot holds what was written by then. A write session
 * opened later gives the writer a private copy first ({@link CopyOnWrite}); sessions are read with a conflict, so
 * a snapshot and an open cannot both miss each other. Thread-safe: stateless apart from the shared context.
 */
final class SnapshotOp {
  private static final Logger LOG = LoggerFactory.getLogger(SnapshotOp.class);
  static final int BATCH = 8;
  static final String BUILD_PREFIX = ".catena-snapshot-";

  private final MetaContext ctx;
  private final MetaService namespace;

  SnapshotOp(MetaContext ctx, MetaService namespace) {
    this.ctx = ctx;
    this.namespace = namespace;
  }

  /** The hidden name a snapshot to {@code dstName} is built under (the same for every run, so leftovers are found). */
  static String buildName(String dstName) {
    long h = 1125899906842597L;
    for (int i = 0; i < dstName.length(); i++) {
      h = 31 * h + dstName.charAt(i);
    }
    return BUILD_PREFIX + Long.toHexString(h);
  }

  private record Copy(long dir, long copy) {}

  /** A file whose bytes are copied after its new inode committed (its source had a writer). */
  private record Pending(long copy, Layout sourceLayout, long sourceData, long domain) {}

  private static final class Counts {
    long dirs;
    long shared;
    long copied;
    long others;
    long bytes;

    SnapshotResult result() {
      return new SnapshotResult(dirs, shared, copied, others, bytes);
    }
  }

  SnapshotResult run(UserInfo user, long src, long dstParent, String dstName, RequestId req) {
    Names.check(dstName, Errno.EEXIST);
    String build = buildName(dstName);
    Inode top = ctx.runner.read(txn -> {
      Tx tx = new Tx(txn);
      Inode s = tx.inode(src);
      PermissionChecker.check(user, s, s.isDirectory() ? R | X : (s.isFile() ? R : 0));
      Inode parent = tx.inode(dstParent);
      if (!parent.isDirectory()) {
        throw CatenaException.of(Errno.ENOTDIR, "inode %d is not a directory", dstParent);
      }
      if (parent.nlink() == 0) {
        throw CatenaException.of(Errno.ENOENT, "directory %d was removed", dstParent);
      }
      PermissionChecker.check(user, parent, W | X);
      if (tx.dent(dstParent, dstName, false).isPresent()) {
        throw CatenaException.of(Errno.EEXIST, "'%s' exists in directory %d", dstName, dstParent);
      }
      if (s.isDirectory()) {
        for (long d = dstParent; ; ) {
          if (d == src) {
            throw CatenaException.of(Errno.EINVAL, "cannot snapshot directory %d into itself", src);
          }
          if (d == MetaService.ROOT) {
            break;
          }
          d = tx.inode(d).parent();
        }
      }
      return s;
    });
    boolean leftover = ctx.runner.read(txn -> new Tx(txn).dent(dstParent, build, false).isPresent());
    if (leftover) {
      LOG.info("removing the unfinished snapshot {} in directory {} before starting again", build, dstParent);
      namespace.removeRecursive(user, dstParent, build, null);
    }
    Counts counts = new Counts();
    long domain = ctx.runner.read(txn -> new Tx(txn).inode(dstParent).quotaDomain());
    Deque<Copy> dirs = new ArrayDeque<>();
    List<Pending> pending = new ArrayList<>();
    long topId = ctx.ids.next();
    ctx.runner.run(txn -> {
      Tx tx = new Tx(txn);
      pending.clear();
      Inode s = tx.inodeForUpdate(top.id());
      if (tx.dent(dstParent, build, true).isPresent()) {
        throw CatenaException.of(Errno.EBUSY, "another snapshot to '%s' is being made", dstName);
      }
      copyChild(tx, user, s, dstParent, build, topId, domain, pending, new Counts());
      return null;
    });
    count(top, pending, counts);
    finishCopies(pending);
    if (top.isDirectory()) {
      dirs.add(new Copy(top.id(), topId));
    }
    while (!dirs.isEmpty()) {
      copyDirectory(user, dirs.poll(), domain, dirs, counts);
    }
    namespace.rename(user, dstParent, build, dstParent, dstName, RenameFlags.NOREPLACE, req);
    LOG.info("snapshot of inode {} as '{}' in directory {}: {}", src, dstName, dstParent, counts.result());
    return counts.result();
  }

  private static void count(Inode s, List<Pending> pending, Counts c) {
    if (s.isDirectory()) {
      c.dirs++;
    } else if (s.isFile()) {
      if (pending.isEmpty()) {
        c.shared++;
      } else {
        c.copied++;
      }
      c.bytes += s.length();
    } else {
      c.others++;
    }
  }

  /** Copies the entries of one source directory into its copy, a page per transaction. */
  private void copyDirectory(UserInfo user, Copy d, long domain, Deque<Copy> dirs, Counts counts) {
    String cursor = null;
    while (true) {
      String from = cursor;
      List<Dent> page = ctx.runner.read(txn -> {
        Tx tx = new Tx(txn);
        PermissionChecker.check(user, tx.inode(d.dir()), R | X);
        List<Dent> out = new ArrayList<>();
        for (KeyValue kv : tx.dentPage(d.dir(), from, BATCH).pairs()) {
          out.add(Tx.decodeDentPair(kv));
        }
        return out;
      });
      if (page.isEmpty()) {
        return;
      }
      long[] ids = new long[page.size()];
      for (int k = 0; k < ids.length; k++) {
        ids[k] = ctx.ids.next();
      }
      List<Pending> pending = new ArrayList<>();
      Counts batch = new Counts();
      List<Copy> subdirs = new ArrayList<>();
      ctx.runner.run(txn -> {
        Tx tx = new Tx(txn);
        pending.clear();
        subdirs.clear();
        Counts c = new Counts();
        for (int k = 0; k < page.size(); k++) {
          String name = page.get(k).name();
          Optional<Dent> now = tx.dent(d.dir(), name, true);
          if (now.isEmpty()) {
            continue; // removed since the page was read
          }
          Optional<Inode> s = tx.findInode(now.get().ino(), true);
          if (s.isEmpty()) {
            continue;
          }
          copyChild(tx, user, s.get(), d.copy(), name, ids[k], domain, pending, c);
          if (s.get().isDirectory()) {
            subdirs.add(new Copy(s.get().id(), ids[k]));
          }
        }
        batch.dirs = c.dirs;
        batch.shared = c.shared;
        batch.copied = c.copied;
        batch.others = c.others;
        batch.bytes = c.bytes;
        return null;
      });
      counts.dirs += batch.dirs;
      counts.shared += batch.shared;
      counts.copied += batch.copied;
      counts.others += batch.others;
      counts.bytes += batch.bytes;
      dirs.addAll(subdirs);
      finishCopies(pending);
      cursor = page.getLast().name();
    }
  }

  /**
   * Creates the copy of {@code s} as {@code name} in directory {@code dir} (a copy being built) with inode id
   * {@code id}: attributes, times and extended attributes as the source has them (the owner too when the caller is
   * root, else the caller), accounted in quota {@code domain} by logical size.
   */
  private void copyChild(Tx tx, UserInfo user, Inode s, long dir, String name, long id, long domain,
      List<Pending> pending, Counts c) {
    if (s.isFile() && !user.isRoot()) {
      PermissionChecker.check(user, s, R);
    }
    int uid = user.isRoot() ? s.uid() : user.uid();
    int gid = user.isRoot() ? s.gid() : user.gid();
    boolean isDir = s.isDirectory();
    Layout layout = s.layout();
    long length = s.length();
    if (s.isFile() && layout != null) {
      long data = DataRefs.dataOf(s);
      if (tx.hasSessions(s.id(), true)) {
        // A writer is writing the source's chunks: no sharing; the bytes are copied once this commits.
        pending.add(new Pending(id, layout, data, domain));
        layout = layout.withDataId(Layout.OWN_DATA);
        length = 0;
        c.copied++;
      } else {
        DataRefs.share(tx, data);
        layout = layout.withDataId(data);
        c.shared++;
      }
      c.bytes += s.length();
    } else if (isDir) {
      c.dirs++;
    } else {
      c.others++;
    }
    Inode copy = new Inode(id, s.type(), s.mode(), uid, gid, isDir ? 2 : 1, length, 0, s.atime(), s.mtime(),
        s.ctime(), s.rdev(), layout, s.symlinkTarget(), dir, isDir ? name : null, domain);
    ctx.quotas.charge(tx, domain, s.type() == InodeType.FILE ? length : 0, 1, true);
    tx.putInode(copy);
    tx.putDent(Tx.dentFor(dir, name, copy));
    if (isDir) {
      Inode parent = tx.inodeForUpdate(dir);
      tx.putInode(parent.withNlink(parent.nlink() + 1));
    }
    byte[] xp = MetaKeys.xattrPrefix(s.id());
    for (KeyValue kv : tx.raw().snapshotGetRange(xp, Keys.strinc(xp), 0, false).pairs()) {
      tx.set(MetaKeys.xattr(id, MetaKeys.nameOf(kv.key())), kv.value());
    }
  }

  /** Copies the bytes of files whose source had a writer, then records each copy's length (and charges it). */
  private void finishCopies(List<Pending> pending) {
    for (Pending p : pending) {
      long length = ctx.storage.copyChunks(p.sourceLayout(), p.sourceData(), p.copy());
      ctx.runner.run(txn -> {
        Tx tx = new Tx(txn);
        Inode i = tx.inodeForUpdate(p.copy());
        ctx.quotas.charge(tx, p.domain(), length - i.length(), 0, false); // the bytes exist: counted, not refused
        tx.putInode(i.withLength(length, i.truncateVersion()));
        return null;
      });
    }
  }
}
