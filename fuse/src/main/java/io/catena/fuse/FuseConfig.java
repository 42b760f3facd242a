package io.catena.fuse;

import io.catena.common.config.DataSize;
import io.catena.common.config.Key;
import java.time.Duration;

/**
 * The {@code fuse.*} configuration keys.
 *
 * <p>direct_io is off by default: through the page cache, mmap works (shared writable maps included), re-reads of
 * hot files are served by the kernel, and readahead streams sequential reads; 1 MiB {@code max_readahead} keeps
 * reads near 1.5-3 GB/s here. With {@code fuse.direct_io=true} every open bypasses the cache: 1 MiB requests go
 * straight to the daemon (6 GB/s read, 5 GB/s write measured on this hardware) but no cache hits. A file system
 * can also choose per open with {@link OpenReply#DIRECT_IO}; the kernel honours O_DIRECT opens either way.
 */
public final class FuseConfig {
  public static final Key<DataSize> MAX_WRITE = Key.dataSize("fuse.max_write").defaultValue("1MiB")
      .range("4KiB", "1MiB").doc("The largest write (and the read buffer's payload) one request carries; the "
          + "kernel caps it at max_pages (256) pages.");
  public static final Key<DataSize> MAX_READAHEAD = Key.dataSize("fuse.max_readahead").defaultValue("4MiB")
      .range("0B", "64MiB").doc("How far the kernel reads ahead of a sequential reader (the mount's bdi "
          + "read_ahead_kb). 4MiB keeps four 1MiB reads in flight: 365 -> 528 MB/s measured on 3 replicas.");
  public static final Key<Integer> MAX_THREADS = Key.integer("fuse.max_threads").defaultValue("8")
      .range("1", "256").doc("The most reader threads: the daemon starts with one and adds one whenever all are "
          + "busy (two threads ping-ponging one stream halved write speed on 2 cores, so growth is on demand).");
  public static final Key<Integer> MAX_BACKGROUND = Key.integer("fuse.max_background").defaultValue("64")
      .range("1", "65535").doc("Asynchronous requests (readahead, async direct I/O) the kernel keeps in flight.");
  public static final Key<Duration> ENTRY_TIMEOUT = Key.duration("fuse.entry_timeout").defaultValue("1s")
      .hotUpdatable().doc("How long the kernel caches a name -> inode answer unless the file system says "
          + "otherwise. Hot: the Catena mount applies a new value to its next replies (set-conf).");
  public static final Key<Duration> ATTR_TIMEOUT = Key.duration("fuse.attr_timeout").defaultValue("1s")
      .hotUpdatable().doc("How long the kernel caches attributes unless the file system says otherwise. Hot, as "
          + "fuse.entry_timeout.");
  public static final Key<Duration> NEGATIVE_TIMEOUT = Key.duration("fuse.negative_timeout").defaultValue("0s")
      .hotUpdatable().doc("How long the kernel remembers that a name does not exist (0: never). Names created "
          + "through this mount are seen at once; names other clients create stay hidden up to this long. Hot, as "
          + "fuse.entry_timeout.");
  public static final Key<Integer> STATAHEAD_ENTRIES = Key.integer("fuse.statahead_entries").defaultValue("1024")
      .range("0", "65536").hotUpdatable().doc("After a few lookups in ascending name order in one directory, fetch "
          + "this many of the following entries with their attributes in listing pages and answer the next lookups "
          + "from them (Lustre's statahead): a stat or rm loop over a directory the kernel forgot costs a meta call "
          + "per page instead of per name. Fetched entries answer only within the shorter of fuse.entry_timeout and "
          + "fuse.attr_timeout, aged, and changes through this mount drop them. Needs fuse.default_permissions; "
          + "0: off. Hot.");
  public static final Key<Boolean> RELATIME_UPDATES = Key.bool("fuse.relatime").defaultValue("true")
      .hotUpdatable().doc("Reads update atime under Linux relatime rules (when atime is not after mtime or ctime, or "
          + "is a day old): one meta call beside the first read of an open, awaited at close(2). false: reads never "
          + "update atime, like a noatime mount.");
  public static final Key<Boolean> SECURITY_XATTRS = Key.bool("fuse.security_xattrs").defaultValue("false")
      .hotUpdatable().doc("Serve security.* extended attributes (SELinux labels, file capabilities) from meta. "
          + "Off: the mount answers EOPNOTSUPP itself, like a file system without security labels. The kernel asks "
          + "for security.capability before writes and `ls -l` asks security.selinux of every entry; answering "
          + "locally saves a meta round trip each (mdbench's ls -l of 10,000 entries: 3.8-11 s -> 0.3-0.6 s here).");
  public static final Key<Boolean> DIRECT_IO = Key.bool("fuse.direct_io").defaultValue("false")
      .doc("Bypass the page cache on every open (fastest 1 MiB streaming; no cache hits). See the class comment.");
  public static final Key<Boolean> WRITEBACK_CACHE = Key.bool("fuse.writeback_cache").defaultValue("false")
      .doc("Let the kernel buffer writes and send them later (faster small writes, weaker cross-client "
          + "consistency; the kernel then sends reads on write-only opens).");
  public static final Key<Boolean> ALLOW_OTHER = Key.bool("fuse.allow_other").defaultValue("true")
      .doc("Let users other than the mounting user use the mount (a root mount serves everyone).");
  public static final Key<Boolean> DEFAULT_PERMISSIONS = Key.bool("fuse.default_permissions")
      .defaultValue("true").doc("Let the kernel check mode bits too (meta checks every call as well). On by "
          + "default: without it the kernel resolves cached names without asking anyone, so a caller could walk "
          + "through a directory it may not search once another caller had looked the name up.");
  public static final Key<Duration> UNMOUNT_GRACE = Key.duration("fuse.unmount_grace").defaultValue("2s")
      .doc("On close, how long to wait for the kernel to end a lazily unmounted connection before aborting it "
          + "(open files keep a detached mount alive).");

  public static final Key<Integer> IO_MAX_RINGS = Key.integer("fuse.io.max_rings").defaultValue("64")
      .range("0", "1024").doc("Native I/O rings (MNT/.catena-virt/iovs/, docs/native-io.md) the mount serves at "
          + "once; each has a thread. 0 turns ring registration off (EMFILE).");
  public static final Key<Integer> IO_MAX_REGISTRATIONS = Key.integer("fuse.io.max_registrations")
      .defaultValue("4096").range("0", "1000000").doc("Native I/O registrations (buffers, rings, descriptors) one "
          + "uid may hold at once.");
  public static final Key<DataSize> IO_MAX_BUFFER = Key.dataSize("fuse.io.max_buffer").defaultValue("64GiB")
      .range("4KiB", "16TiB").doc("The largest shared buffer a program may register for native I/O (it is mapped, "
          + "not copied: the memory is the program's).");
  public static final Key<DataSize> IO_MAX_INFLIGHT = Key.dataSize("fuse.io.max_inflight").defaultValue("256MiB")
      .range("1MiB", "64GiB").doc("Bytes all native I/O rings may have in flight to storage at once: high-priority "
          + "rings may use all of it, normal three quarters, low half (writes hold a copy of that size).");
  public static final Key<Duration> IO_REAP_INTERVAL = Key.duration("fuse.io.reap_interval").defaultValue("1s")
      .range("10ms", "1h").doc("How often the mount drops the native I/O registrations of processes that ended.");

  /** How the daemon mounts. */
  public enum MountMethod {
    /** mount(2) as root, fusermount3 otherwise. */
    AUTO,
    /** mount(2) directly (needs CAP_SYS_ADMIN). */
    SYSCALL,
    /** the setuid fusermount3 helper, which passes the /dev/fuse descriptor back over a Unix socket. */
    FUSERMOUNT
  }

  public static final Key<MountMethod> MOUNT_METHOD = Key.enumeration("fuse.mount_method", MountMethod.class)
      .defaultValue("auto").doc("auto: mount(2) as root, fusermount3 for other users (allow_other then needs "
          + "user_allow_other in /etc/fuse.conf); syscall; fusermount.");

  private FuseConfig() {}
}
