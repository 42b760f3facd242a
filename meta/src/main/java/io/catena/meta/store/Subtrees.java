package io.catena.meta.store;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import java.util.Optional;

/**
 * The namespace questions export subtrees ask (docs/exports.md, "Subtrees"): which directory a mounted path names,
 * and whether an inode lies beneath it. Ancestry follows the parent each inode records: a directory's is exact; a
 * non-directory records the directory it was created, renamed or restored into (hard links elsewhere do not change
 * it). Each question is one snapshot-read transaction. Thread-safe: stateless apart from the shared context.
 */
public final class Subtrees {
  /** Deeper than any real tree; a longer walk means a cycle, which a consistent namespace never has. */
  static final int MAX_DEPTH = 4096;

  /** What {@link #beneath} found. */
  public enum Ancestry {
    /** The inode is the root or lies beneath it. */
    BENEATH,
    /** The inode exists elsewhere (or its recorded parents do not lead to the root). */
    OUTSIDE,
    /** No such inode: the call may go on and meet its own ENOENT. */
    MISSING
  }

  private final MetaContext ctx;

  public Subtrees(MetaContext ctx) {
    this.ctx = ctx;
  }

  /**
   * The directory at absolute, normalised {@code path}, looked up name by name from the root without following
   * symbolic links: a mounted path is a string the rules compared, so a link must not carry it elsewhere.
   *
   * @throws CatenaException ENOENT when a component is missing, ENOTDIR when one is not a directory
   */
  public long directoryAt(String path) {
    return ctx.runner.read(txn -> {
      Tx tx = new Tx(txn);
      long cur = MetaService.ROOT;
      for (String name : path.split("/")) {
        if (name.isEmpty()) {
          continue;
        }
        Optional<Dent> d = tx.dent(cur, name, false);
        if (d.isEmpty()) {
          throw CatenaException.of(Errno.ENOENT, "%s does not exist (no '%s')", path, name);
        }
        Inode i = tx.inode(d.get().ino());
        if (!i.isDirectory()) {
          throw CatenaException.of(Errno.ENOTDIR, "%s is not a directory ('%s' is not one)", path, name);
        }
        cur = i.id();
      }
      return cur;
    });
  }

  /** Whether {@code ino} is {@code root} or lies beneath it, walking recorded parents (a bounded walk). */
  public Ancestry beneath(long ino, long root) {
    if (ino == root) {
      return Ancestry.BENEATH;
    }
    return ctx.runner.read(txn -> {
      Tx tx = new Tx(txn);
      Optional<Inode> first = tx.findInode(ino, false);
      if (first.isEmpty()) {
        return Ancestry.MISSING;
      }
      long cur = first.get().parent();
      for (int depth = 0; depth < MAX_DEPTH; depth++) {
        if (cur == root) {
          return Ancestry.BENEATH;
        }
        if (cur < 0 || cur == MetaService.ROOT) {
          return Ancestry.OUTSIDE; // reached the top (or an inode from before parents were recorded)
        }
        Optional<Inode> i = tx.findInode(cur, false);
        if (i.isEmpty()) {
          return Ancestry.OUTSIDE; // a hard link's recorded directory is gone
        }
        cur = i.get().parent();
      }
      return Ancestry.OUTSIDE;
    });
  }
}
