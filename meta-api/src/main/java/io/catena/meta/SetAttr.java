package io.catena.meta;

/**
 * What a setattr changes; null fields stay as they are. Times are nanoseconds since the epoch, or
 * {@link #UTIME_NOW} for "the server's now" (utimensat's UTIME_NOW; a null field is UTIME_OMIT). A non-null
 * {@code length} truncates or extends the file and bumps its truncate version. {@code layout} applies to directories
 * (the default for new children) and to empty files not yet written. {@code writeSession} (0: none) names the
 * caller's open write session of this file: a length change through it is authorised by the descriptor, not by the
 * file's current mode (ftruncate after open(O_CREAT|O_RDWR, 0)). {@code killSuidgid} drops set-user-ID, and
 * set-group-ID with group execute, as a write by a caller without CAP_FSETID does on Linux (file_remove_privs).
 * Immutable.
 */
public record SetAttr(Integer mode, Integer uid, Integer gid, Long length, Long atime, Long mtime, Layout layout,
    long writeSession, boolean killSuidgid) {
  public static final long UTIME_NOW = Long.MIN_VALUE;

  public SetAttr {
    uid = uid != null && uid == -1 ? null : uid; // chown(2): -1 means "leave as is"
    gid = gid != null && gid == -1 ? null : gid;
  }

  public SetAttr(Integer mode, Integer uid, Integer gid, Long length, Long atime, Long mtime, Layout layout) {
    this(mode, uid, gid, length, atime, mtime, layout, 0, false);
  }

  /** The same change, authorised by (or also killing privileges for) the caller's write session {@code session}. */
  public SetAttr through(long session, boolean kill) {
    return new SetAttr(mode, uid, gid, length, atime, mtime, layout, session, kill);
  }

  /** What a write by a caller without CAP_FSETID does to the file's mode, authorised by its write session. */
  public static SetAttr killPrivileges(long writeSession) {
    return new SetAttr(null, null, null, null, null, null, null, writeSession, true);
  }

  public static SetAttr chmod(int mode) {
    return new SetAttr(mode, null, null, null, null, null, null);
  }

  /** chown(2): -1 (or null) leaves that id unchanged. */
  public static SetAttr chown(Integer uid, Integer gid) {
    return new SetAttr(null, uid == null || uid == -1 ? null : uid, gid == null || gid == -1 ? null : gid, null, null,
        null, null);
  }

  public static SetAttr truncate(long length) {
    return new SetAttr(null, null, null, length, null, null, null);
  }

  public static SetAttr times(Long atime, Long mtime) {
    return new SetAttr(null, null, null, null, atime, mtime, null);
  }

  public static SetAttr layout(Layout layout) {
    return new SetAttr(null, null, null, null, null, null, layout);
  }
}
