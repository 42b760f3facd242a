package io.catena.client;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.cluster.NodeType;
import io.catena.common.config.Config;
import io.catena.common.config.ConfigSchema;
import io.catena.meta.DirEntry;
import io.catena.meta.Inode;
import io.catena.meta.MetaService;
import io.catena.meta.OpenFlags;
import io.catena.meta.OpenResult;
import io.catena.meta.ReaddirPage;
import io.catena.meta.RequestId;
import io.catena.meta.UserInfo;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Catena for JVM programs: path-based files and directories on one cluster, acting as one user. Every call is
 * checked by meta against that user's permissions; data moves between this process and the storage chains directly.
 * Thread-safe: any number of threads may share one client and open files concurrently.
 *
 * <pre>{@code
 * try (CatenaFile f = client.create("/datasets/a.bin", 0644)) {
 *   f.write(0, ByteBuffer.wrap(bytes));
 * }
 * try (CatenaFile f = client.open("/datasets/a.bin", OpenFlags.O_RDONLY)) {
 *   ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
 *   int n = f.read(0, buf);
 * }
 * }</pre>
 */
public final class CatenaClient implements AutoCloseable {
  private static final int READDIR_PAGE = 1024;

  private final MetaService meta;
  private final FileLayoutIo io;
  private final UserInfo user;
  private final String clientId;
  private final AtomicLong requestSeq = new AtomicLong();
  private final OpenFiles files;
  private final AutoCloseable owned;
  /** The directory paths start from: meta's root, or the mounted one of {@code client.subdir}. */
  private final long root;

  /**
   * A client whose open files use the {@link ClientConfig} defaults.
   *
   * @param clientId this client's session id with mgmtd: names its write sessions and makes retried mutations
   *     idempotent
   */
  public CatenaClient(MetaService meta, FileLayoutIo io, UserInfo user, String clientId) {
    this(meta, io, user, clientId, Config.defaults(ConfigSchema.fromHolders(ClientConfig.class)), null,
        MetaService.ROOT);
  }

  /** @param config carries the {@link ClientConfig} keys its open files follow (write-behind, length hints) */
  private CatenaClient(MetaService meta, FileLayoutIo io, UserInfo user, String clientId, Config config,
      AutoCloseable owned, long root) {
    this.root = root;
    this.meta = meta;
    this.io = io;
    this.user = user;
    this.clientId = clientId;
    this.files = new OpenFiles(meta, io, () -> config);
    this.owned = owned;
  }

  /**
   * Connects to the cluster that {@code config} names ({@code mgmtd.client.addresses}, {@code cluster.id}, the token
   * of {@code rpc.auth_token_file}) and acts as {@code user}; meta checks each call against the token's user (an
   * ordinary user's token acts as that user whatever {@code user} says). {@link #close} disconnects.
   */
  public static CatenaClient connect(Config config, UserInfo user) {
    ClusterConnection c = ClusterConnection.open(config, NodeType.FUSE, "java", "java client");
    // A program's configuration need not declare the client.* keys; they then keep their defaults.
    Config clientKeys = config.schema().contains(ClientConfig.WRITE_BEHIND) ? config
        : Config.defaults(ConfigSchema.fromHolders(ClientConfig.class));
    return new CatenaClient(c.meta(), c.io(), user, c.clientId(), clientKeys, c, c.root());
  }

  /** Closes the cluster connection this client opened in {@link #connect}; a client built on parts owns none. */
  @Override
  public void close() {
    if (owned != null) {
      try {
        owned.close();
      } catch (Exception e) {
        throw CatenaException.of(Errno.EIO, "closing the cluster connection failed: %s", e);
      }
    }
  }

  public MetaService meta() {
    return meta;
  }

  public FileLayoutIo io() {
    return io;
  }

  public UserInfo user() {
    return user;
  }

  public String clientId() {
    return clientId;
  }

  /** A fresh request id: a retried call reuses it so meta returns the first answer. */
  public RequestId nextRequest() {
    return new RequestId(clientId, requestSeq.incrementAndGet());
  }

  /** stat(2): follows a final symlink. Paths start at this client's root ({@code client.subdir}). */
  public Inode stat(String path) {
    return meta.resolve(user, root, relative(path), true);
  }

  /** lstat(2): does not follow a final symlink. */
  public Inode lstat(String path) {
    return meta.resolve(user, root, relative(path), false);
  }

  /** The meta inode this client's paths start from. */
  public long root() {
    return root;
  }

  /** {@code path} relative to {@link #root} (meta reads a leading "/" as its own root). */
  private static String relative(String path) {
    String p = path.replaceFirst("^/+", "");
    return p.isEmpty() ? "." : p;
  }

  public boolean exists(String path) {
    try {
      lstat(path);
      return true;
    } catch (CatenaException e) {
      if (e.errno() == Errno.ENOENT) {
        return false;
      }
      throw e;
    }
  }

  /** Every entry of a directory, in name order, reading it page by page. */
  public List<DirEntry> list(String path) {
    Inode dir = stat(path);
    List<DirEntry> all = new ArrayList<>();
    String cursor = null;
    while (true) {
      ReaddirPage page = meta.readdir(user, dir.id(), cursor, READDIR_PAGE, false);
      all.addAll(page.entries());
      if (!page.more()) {
        return all;
      }
      cursor = page.cursor();
    }
  }

  public Inode mkdir(String path, int mode) {
    ParentAndName p = parentOf(path);
    return meta.mkdir(user, p.parent().id(), p.name(), mode, nextRequest());
  }

  /** mkdir -p: creates the missing directories of {@code path}; existing ones are fine. */
  public Inode mkdirs(String path, int mode) {
    String cur = "";
    Inode last = stat("/");
    for (String part : path.split("/")) {
      if (part.isEmpty()) {
        continue;
      }
      cur = cur + "/" + part;
      try {
        last = meta.mkdir(user, last.id(), part, mode, nextRequest());
      } catch (CatenaException e) {
        if (e.errno() != Errno.EEXIST) {
          throw e;
        }
        last = stat(cur);
        if (!last.isDirectory()) {
          throw CatenaException.of(Errno.ENOTDIR, "%s exists and is not a directory", cur);
        }
      }
    }
    return last;
  }

  public void rename(String from, String to) {
    ParentAndName a = parentOf(from);
    ParentAndName b = parentOf(to);
    meta.rename(user, a.parent().id(), a.name(), b.parent().id(), b.name(), 0, nextRequest());
  }

  /** Removes a file, symlink or empty directory. */
  public void delete(String path) {
    ParentAndName p = parentOf(path);
    Inode target = meta.lookup(user, p.parent().id(), p.name());
    if (target.isDirectory()) {
      meta.rmdir(user, p.parent().id(), p.name(), nextRequest());
    } else {
      meta.unlink(user, p.parent().id(), p.name(), nextRequest());
    }
  }

  /** rm -r on the server; returns how many names were removed. */
  public long deleteRecursive(String path) {
    ParentAndName p = parentOf(path);
    return meta.removeRecursive(user, p.parent().id(), p.name(), nextRequest());
  }

  /** Creates (or truncates) a regular file and opens it for reading and writing. */
  public CatenaFile create(String path, int mode) {
    return open(path, OpenFlags.O_RDWR | OpenFlags.O_CREAT | OpenFlags.O_TRUNC, mode);
  }

  /** open(2) with the given flags (O_CREAT needs {@link #open(String, int, int)} for the mode). */
  public CatenaFile open(String path, int flags) {
    return open(path, flags, 0644);
  }

  public CatenaFile open(String path, int flags, int mode) {
    OpenResult r;
    if ((flags & OpenFlags.O_CREAT) != 0) {
      ParentAndName p = parentOf(path);
      r = meta.create(user, p.parent().id(), p.name(), mode, flags, clientId, nextRequest());
    } else {
      Inode ino = stat(path);
      r = meta.open(user, ino.id(), flags, clientId);
    }
    return new CatenaFile(files.open(r, flags), user);
  }

  private record ParentAndName(Inode parent, String name) {}

  private ParentAndName parentOf(String path) {
    String p = path;
    while (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    int slash = p.lastIndexOf('/');
    if (slash < 0 || p.equals("/")) {
      throw CatenaException.of(Errno.EINVAL, "'%s' is not an absolute path to a name below /", path);
    }
    String parent = slash == 0 ? "/" : p.substring(0, slash);
    return new ParentAndName(stat(parent), p.substring(slash + 1));
  }
}
