package io.catena.bench;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.fuse.Attr;
import io.catena.fuse.AttrReply;
import io.catena.fuse.CreateReply;
import io.catena.fuse.Entry;
import io.catena.fuse.FuseFileSystem;
import io.catena.fuse.OpenReply;
import io.catena.fuse.RequestContext;
import io.catena.fuse.SetAttr;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;

/**
 * For {@link FuseBench}: regular files in memory in one root directory, kept in 1 MiB blocks under one lock, the data
 * path of the fuse tests' memory file system without its namespace and permission checks (callers are root). Enough
 * for dd: lookup, create, open with O_TRUNC, read, write, truncate, unlink. Thread-safe: one lock around everything.
 */
final class MemoryFileSystem implements FuseFileSystem {
  private static final int BLOCK = 1 << 20;
  private static final int O_EXCL = 0200;
  private static final int O_TRUNC = 01000;
  private static final Attr ROOT = new Attr(ROOT_INO, 0, 0, 0, 0, 0, 0, 0, 0, Attr.S_IFDIR | 0755, 2, 0, 0, 0, 4096);

  private static final class File {
    final long ino;
    final int mode;
    long size;
    final List<byte[]> blocks = new ArrayList<>();

    File(long ino, int mode) {
      this.ino = ino;
      this.mode = mode;
    }

    Attr attr() {
      return new Attr(ino, size, (size + 511) / 512, 0, 0, 0, 0, 0, 0, Attr.S_IFREG | mode, 1, 0, 0, 0, 4096);
    }

    void truncate(long length) {
      int keep = (int) ((length + BLOCK - 1) / BLOCK);
      while (blocks.size() > keep) {
        blocks.remove(blocks.size() - 1);
      }
      byte[] last = keep > 0 && blocks.size() == keep ? blocks.get(keep - 1) : null;
      if (length < size && length % BLOCK != 0 && last != null) {
        Arrays.fill(last, (int) (length % BLOCK), BLOCK, (byte) 0); // bytes past the new end read as zeros later
      }
      size = length;
    }
  }

  private final Object lock = new Object();
  private final Map<String, File> names = new HashMap<>();
  private final Map<Long, File> files = new HashMap<>();
  private long nextIno = 2;

  private File file(long ino) {
    File f = files.get(ino);
    if (f == null) {
      throw CatenaException.of(Errno.ENOENT, "no file %d", ino);
    }
    return f;
  }

  private static void inRoot(long parent) {
    if (parent != ROOT_INO) {
      throw CatenaException.of(Errno.ENOTDIR, "only the root is a directory");
    }
  }

  @Override
  public Entry lookup(RequestContext ctx, long parent, String name) {
    inRoot(parent);
    synchronized (lock) {
      File f = names.get(name);
      if (f == null) {
        throw CatenaException.of(Errno.ENOENT, "%s not found", name);
      }
      return Entry.of(f.attr());
    }
  }

  @Override
  public AttrReply getattr(RequestContext ctx, long ino, OptionalLong fh) {
    if (ino == ROOT_INO) {
      return AttrReply.of(ROOT);
    }
    synchronized (lock) {
      return AttrReply.of(file(ino).attr());
    }
  }

  @Override
  public AttrReply setattr(RequestContext ctx, long ino, SetAttr changes) {
    if (ino == ROOT_INO) {
      return AttrReply.of(ROOT);
    }
    synchronized (lock) {
      File f = file(ino);
      if (changes.has(SetAttr.SIZE)) {
        f.truncate(changes.size());
      }
      return AttrReply.of(f.attr());
    }
  }

  @Override
  public CreateReply create(RequestContext ctx, long parent, String name, int mode, int flags) {
    inRoot(parent);
    synchronized (lock) {
      File f = names.get(name);
      if (f != null && (flags & O_EXCL) != 0) {
        throw CatenaException.of(Errno.EEXIST, "%s exists", name);
      }
      if (f == null) {
        f = new File(nextIno++, mode & 07777);
        names.put(name, f);
        files.put(f.ino, f);
      } else if ((flags & O_TRUNC) != 0) {
        f.truncate(0);
      }
      return new CreateReply(Entry.of(f.attr()), OpenReply.of(0));
    }
  }

  @Override
  public OpenReply open(RequestContext ctx, long ino, int flags) {
    synchronized (lock) {
      File f = file(ino);
      if ((flags & O_TRUNC) != 0) {
        f.truncate(0); // the mount negotiates atomic O_TRUNC: the kernel leaves it to open
      }
      return OpenReply.of(0);
    }
  }

  @Override
  public void unlink(RequestContext ctx, long parent, String name) {
    inRoot(parent);
    synchronized (lock) {
      File f = names.remove(name);
      if (f == null) {
        throw CatenaException.of(Errno.ENOENT, "%s not found", name);
      }
      files.remove(f.ino);
    }
  }

  @Override
  public ByteBuffer read(RequestContext ctx, long ino, long fh, long offset, int size, ByteBuffer scratch) {
    synchronized (lock) {
      File f = file(ino);
      if (offset >= f.size) {
        return scratch.limit(0);
      }
      int len = (int) Math.min(size, f.size - offset);
      int done = 0;
      while (done < len) {
        long pos = offset + done;
        int bi = (int) (pos / BLOCK);
        int bo = (int) (pos % BLOCK);
        int k = Math.min(len - done, BLOCK - bo);
        byte[] blk = bi < f.blocks.size() ? f.blocks.get(bi) : null;
        if (blk == null) {
          for (int i = 0; i < k; i++) {
            scratch.put(done + i, (byte) 0);
          }
        } else {
          scratch.put(done, blk, bo, k);
        }
        done += k;
      }
      return scratch.position(0).limit(len);
    }
  }

  @Override
  public int write(RequestContext ctx, long ino, long fh, long offset, ByteBuffer data, int flags) {
    synchronized (lock) {
      File f = file(ino);
      int len = data.remaining();
      int done = 0;
      while (done < len) {
        long pos = offset + done;
        int bi = (int) (pos / BLOCK);
        int bo = (int) (pos % BLOCK);
        int k = Math.min(len - done, BLOCK - bo);
        while (f.blocks.size() <= bi) {
          f.blocks.add(null);
        }
        byte[] blk = f.blocks.get(bi);
        if (blk == null) {
          blk = new byte[BLOCK];
          f.blocks.set(bi, blk);
        }
        data.get(data.position() + done, blk, bo, k);
        done += k;
      }
      f.size = Math.max(f.size, offset + len);
      return len;
    }
  }
}
