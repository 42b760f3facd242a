package io.catena.fuse;

import io.catena.common.CatenaException;
import io.catena.common.Errno;
import io.catena.common.config.Config;
import io.catena.fuse.kernel.FuseSession;
import io.catena.fuse.kernel.Native;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A file system mounted through the kernel's FUSE protocol on {@code /dev/fuse}: opens the device, mounts it with
 * mount(2) as root or the setuid fusermount3 helper otherwise ({@code fuse.mount_method}), serves requests until
 * closed, and
 * unmounts lazily on {@link #close()} (or SIGTERM after {@link #closeOnShutdown()}). {@link #forceUnmount(Path)}
 * clears a mount whose daemon died. Thread-safe.
 */
public final class FuseMount implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(FuseMount.class);
  private static final Path MOUNTINFO = Path.of("/proc/self/mountinfo");
  private static final Path FUSECTL = Path.of("/sys/fs/fuse/connections");

  private final Path mountpoint;
  private final FuseSession session;
  private final int fd;
  private final String device;
  private final java.time.Duration grace;
  private final Object closeLock = new Object();
  private boolean closed;
  private Thread hook;

  private FuseMount(Path mountpoint, FuseSession session, int fd, String device, java.time.Duration grace) {
    this.mountpoint = mountpoint;
    this.session = session;
    this.fd = fd;
    this.device = device;
    this.grace = grace;
  }

  /** Mounts {@code fs} on {@code mountpoint} (an existing directory) named "catena". */
  public static FuseMount mount(Path mountpoint, FuseFileSystem fs, Config config) {
    return mount(mountpoint, fs, config, "catena");
  }

  /**
   * Mounts {@code fs} on {@code mountpoint}; {@code fsName} shows as the source and subtype in /proc/mounts
   * ({@code fsName on mountpoint type fuse.fsName}). Returns once the kernel's INIT is answered.
   */
  public static FuseMount mount(Path mountpoint, FuseFileSystem fs, Config config, String fsName) {
    return mount(mountpoint, fs, config, fsName, io.catena.fuse.kernel.FuseMetrics.discarding());
  }

  /** As above, counting every kernel request in {@code metrics}. */
  public static FuseMount mount(Path mountpoint, FuseFileSystem fs, Config config, String fsName,
      io.catena.fuse.kernel.FuseMetrics metrics) {
    Path mp = mountpoint.toAbsolutePath().normalize();
    if (!Files.isDirectory(mp)) {
      throw CatenaException.of(Errno.ENOTDIR, "mount point %s is not a directory", mp);
    }
    int uid = Native.geteuid();
    FuseConfig.MountMethod method = config.get(FuseConfig.MOUNT_METHOD);
    boolean helper = method == FuseConfig.MountMethod.FUSERMOUNT
        || method == FuseConfig.MountMethod.AUTO && uid != 0;
    if (!helper && uid != 0) {
      throw CatenaException.of(Errno.EPERM, "mounting %s with mount(2) needs root (CAP_SYS_ADMIN); use "
          + "fuse.mount_method=fusermount or auto", mp);
    }
    FuseSession.Options opts = new FuseSession.Options(
        config.get(FuseConfig.MAX_WRITE).toIntBytes(), config.get(FuseConfig.MAX_READAHEAD).toIntBytes(),
        config.get(FuseConfig.MAX_THREADS), config.get(FuseConfig.MAX_BACKGROUND),
        config.get(FuseConfig.ENTRY_TIMEOUT), config.get(FuseConfig.ATTR_TIMEOUT),
        config.get(FuseConfig.NEGATIVE_TIMEOUT), config.get(FuseConfig.DIRECT_IO),
        config.get(FuseConfig.WRITEBACK_CACHE));
    String options = (config.get(FuseConfig.ALLOW_OTHER) ? ",allow_other" : "")
        + (config.get(FuseConfig.DEFAULT_PERMISSIONS) ? ",default_permissions" : "");
    int fd;
    if (helper) {
      fd = fusermount(mp, "nosuid,nodev,fsname=" + fsName + ",subtype=" + fsName + options);
    } else {
      fd = Native.open("/dev/fuse", Native.O_RDWR | Native.O_CLOEXEC);
      String data = "fd=" + fd + ",rootmode=40000,user_id=" + uid + ",group_id=" + groupId() + options;
      try {
        Native.mount(fsName, mp.toString(), "fuse." + fsName, Native.MS_NOSUID | Native.MS_NODEV, data);
      } catch (CatenaException e) {
        Native.close(fd);
        throw e;
      }
    }
    FuseSession session = new FuseSession(fd, fs, opts, mp.getFileName() == null ? "root" : mp.getFileName()
        .toString(), mp, metrics);
    String device = findMount(mp).map(MountInfo::device).orElse("");
    FuseMount m = new FuseMount(mp, session, fd, device, config.get(FuseConfig.UNMOUNT_GRACE));
    session.start();
    try {
      session.initialized().get(30, TimeUnit.SECONDS);
    } catch (InterruptedException | ExecutionException | TimeoutException e) {
      m.close();
      if (e instanceof InterruptedException) {
        Thread.currentThread().interrupt();
      }
      throw new CatenaException(CatenaException.statusOf(e instanceof ExecutionException ? e.getCause() : e), e);
    }
    raiseReadahead(device, config.get(FuseConfig.MAX_READAHEAD).toIntBytes());
    LOG.info("mounted {} on {} (device {})", fsName, mp, device);
    return m;
  }

  /**
   * The kernel offers the bdi's default readahead (128 KiB) in INIT and only lets the reply lower it; raising the
   * mount's bdi read_ahead_kb to fuse.max_readahead is what lets sequential page-cache reads use 1 MiB requests.
   * Root only; others keep the default.
   */
  private static void raiseReadahead(String device, int maxReadahead) {
    Path ra = Path.of("/sys/class/bdi", device, "read_ahead_kb");
    try {
      if (!device.isEmpty() && Files.isWritable(ra)) {
        Files.writeString(ra, Integer.toString(maxReadahead / 1024));
      }
    } catch (IOException e) {
      LOG.debug("cannot raise readahead through {}: {}", ra, e.toString());
    }
  }

  private static int groupId() {
    try {
      return (Integer) Files.getAttribute(Path.of("/proc/self"), "unix:gid");
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }

  /**
   * Mounts through the setuid fusermount3 helper: it opens /dev/fuse, mounts, and sends the descriptor back with
   * SCM_RIGHTS on the socket named by {@code _FUSE_COMMFD}.
   */
  private static int fusermount(Path mp, String options) {
    int[] sv = Native.socketpair();
    try {
      int childFd = sv[1] == 3 ? 4 : 3; // dup2 onto itself would keep close-on-exec
      int pid = Native.spawn(List.of("fusermount3", "-o", options, "--", mp.toString()),
          java.util.Map.of("_FUSE_COMMFD", Integer.toString(childFd)), sv[1], childFd);
      Native.close(sv[1]);
      sv[1] = -1;
      int fd = Native.receiveFd(sv[0]);
      int status = Native.waitpid(pid);
      if (fd < 0) {
        throw CatenaException.of(Errno.EPERM, "fusermount3 -o %s -- %s failed (exit %d; its message is on "
            + "stderr)", options, mp, status);
      }
      return fd;
    } finally {
      Native.close(sv[0]);
      if (sv[1] >= 0) {
        Native.close(sv[1]);
      }
    }
  }

  /** Unmounts lazily; fusermount3 -u -z for users without CAP_SYS_ADMIN. Returns 0 or -errno. */
  private static int detach(Path mp) {
    if (Native.geteuid() == 0) {
      return Native.umount2(mp.toString(), Native.MNT_DETACH);
    }
    try {
      Process p = new ProcessBuilder("fusermount3", "-u", "-z", "--", mp.toString()).redirectErrorStream(true)
          .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        LOG.warn("fusermount3 -u -z {} failed: {}", mp, out);
        return -Errno.EPERM.code();
      }
      return 0;
    } catch (IOException e) {
      LOG.warn("cannot run fusermount3: {}", e.toString());
      return -Errno.ENOENT.code();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -Errno.EINTR.code();
    }
  }

  public Path mountpoint() {
    return mountpoint;
  }

  public FuseNotifier notifier() {
    return session.notifier();
  }

  /** Reader threads now serving the mount. */
  public int threads() {
    return session.threads();
  }

  /** Unmounts on JVM shutdown (SIGTERM, SIGINT, System.exit). Returns this. */
  public FuseMount closeOnShutdown() {
    synchronized (closeLock) {
      if (hook == null && !closed) {
        hook = new Thread(this::closeFromHook, "fuse-unmount-" + mountpoint);
        Runtime.getRuntime().addShutdownHook(hook);
      }
    }
    return this;
  }

  private void closeFromHook() {
    synchronized (closeLock) {
      hook = null; // a shutdown hook cannot be removed while shutting down
    }
    close();
  }

  /** Blocks until the kernel connection ends (someone unmounted it, or {@link #close()}). */
  public void awaitUnmounted() throws InterruptedException {
    try {
      session.stopped().get();
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Unmounts (lazily: open files keep a detached mount alive), waits up to {@code fuse.unmount_grace} for the
   * kernel to end the connection, aborts it through fusectl if it has not, and closes the device. Idempotent.
   */
  @Override
  public void close() {
    Thread h;
    synchronized (closeLock) {
      if (closed) {
        return;
      }
      closed = true;
      h = hook;
      hook = null;
    }
    if (h != null) {
      try {
        Runtime.getRuntime().removeShutdownHook(h);
      } catch (IllegalStateException e) {
        // shutting down already
      }
    }
    if (!session.stopped().isDone() && isOurMount()) {
      int r = detach(mountpoint);
      if (r < 0) {
        LOG.warn("umount {} failed: {}", mountpoint, Errno.fromCode(-r));
      }
    }
    if (!awaitStopped(grace.toMillis())) {
      abortConnection();
      if (!awaitStopped(5000)) {
        LOG.error("FUSE readers of {} did not stop; leaving the device open", mountpoint);
        return;
      }
    }
    session.sealReplies();
    Native.close(fd);
    LOG.info("unmounted {}", mountpoint);
  }

  private boolean isOurMount() {
    return findMount(mountpoint).filter(m -> m.device.equals(device)).isPresent();
  }

  private boolean awaitStopped(long millis) {
    try {
      session.stopped().get(millis, TimeUnit.MILLISECONDS);
      return true;
    } catch (TimeoutException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException e) {
      return true;
    }
  }

  /** Ends the kernel connection even while a detached mount is busy: readers then see ENODEV. */
  private void abortConnection() {
    int colon = device.indexOf(':');
    if (colon < 0) {
      return;
    }
    String minor = device.substring(colon + 1);
    try {
      if (!Files.exists(FUSECTL.resolve(minor))) {
        Native.mount("fusectl", FUSECTL.toString(), "fusectl", 0, null);
      }
      Files.writeString(FUSECTL.resolve(minor).resolve("abort"), "1");
      LOG.warn("aborted FUSE connection {} of {} (still busy after unmount)", minor, mountpoint);
    } catch (IOException | CatenaException e) {
      LOG.error("could not abort FUSE connection {} of {}", minor, mountpoint, e);
    }
  }

  // ---------------------------------------------------------------- mount table

  /** One line of /proc/self/mountinfo that matters here. */
  record MountInfo(Path mountpoint, String device, String fsType) {}

  /** The topmost mount at exactly {@code mountpoint}, if any. */
  static Optional<MountInfo> findMount(Path mountpoint) {
    Path mp = mountpoint.toAbsolutePath().normalize();
    MountInfo found = null;
    for (MountInfo m : mounts()) {
      if (m.mountpoint.equals(mp)) {
        found = m; // later lines are mounted on top
      }
    }
    return Optional.ofNullable(found);
  }

  /** True when a FUSE file system is mounted at {@code mountpoint}. */
  public static boolean isFuseMounted(Path mountpoint) {
    return findMount(mountpoint).filter(m -> m.fsType.startsWith("fuse")).isPresent();
  }

  static List<MountInfo> mounts() {
    try {
      return Files.readAllLines(MOUNTINFO, StandardCharsets.UTF_8).stream().map(FuseMount::parse).toList();
    } catch (IOException e) {
      throw CatenaException.of(Errno.EIO, "cannot read %s: %s", MOUNTINFO, e);
    }
  }

  private static MountInfo parse(String line) {
    // id parent major:minor root mountpoint options [optional...] - fstype source superoptions
    String[] f = line.split(" ");
    int dash = java.util.Arrays.asList(f).indexOf("-");
    return new MountInfo(Path.of(unescape(f[4])), f[2], dash >= 0 && dash + 1 < f.length ? f[dash + 1] : "");
  }

  private static String unescape(String s) {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length()) {
        b.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * Clears the FUSE mount at {@code mountpoint} whose daemon is gone (the mount answers ENOTCONN) or stuck:
   * detaches it (umount2 MNT_DETACH). Throws ENOENT when nothing exists there, EINVAL when the path is not a
   * mount point or not a FUSE mount, and the kernel's errno when umount2 fails.
   */
  public static void forceUnmount(Path mountpoint) {
    Path mp = mountpoint.toAbsolutePath().normalize();
    Optional<MountInfo> m = findMount(mp);
    if (m.isEmpty()) {
      // Files.exists follows into a dead FUSE mount and fails there, but such a path is in the table anyway.
      if (!Files.exists(mp, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        throw CatenaException.of(Errno.ENOENT, "%s does not exist", mp);
      }
      throw CatenaException.of(Errno.EINVAL, "%s is not a mount point", mp);
    }
    if (!m.get().fsType.startsWith("fuse")) {
      throw CatenaException.of(Errno.EINVAL, "%s is a %s mount, not FUSE; refusing to unmount it", mp,
          m.get().fsType);
    }
    int r = detach(mp);
    if (r < 0) {
      Errno e = Errno.fromCode(-r);
      throw CatenaException.of(e, "umount %s failed: %s", mp, e);
    }
    LOG.info("detached FUSE mount {}", mp);
  }
}
