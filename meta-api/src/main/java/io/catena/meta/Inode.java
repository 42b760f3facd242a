package io.catena.meta;

/**
 * The attributes of one inode as meta stores them. {@code mode} holds the 12 permission bits (including suid, sgid
 * and sticky); {@link #stMode()} adds the type bits. Times are nanoseconds since the epoch. Per type: files carry
 * {@code length}, {@code truncateVersion} and {@code layout}; directories carry {@code parent}, their own
 * {@code name} and the default {@code layout} for children (may be null); symlinks carry {@code symlinkTarget};
 * device nodes carry {@code rdev}. {@code quotaDomain} is the directory quota this inode is accounted under: the
 * inode id of the nearest quota directory above it (a quota directory names itself, for its children to inherit),
 * or {@link #NO_QUOTA}. Immutable.
 */
public record Inode(long id, InodeType type, int mode, int uid, int gid, int nlink, long length, long truncateVersion,
    long atime, long mtime, long ctime, long rdev, Layout layout, String symlinkTarget, long parent, String name,
    long quotaDomain) {

  /** {@link #quotaDomain()} of an inode under no directory quota. */
  public static final long NO_QUOTA = -1;

  /** An inode under no directory quota. */
  public Inode(long id, InodeType type, int mode, int uid, int gid, int nlink, long length, long truncateVersion,
      long atime, long mtime, long ctime, long rdev, Layout layout, String symlinkTarget, long parent, String name) {
    this(id, type, mode, uid, gid, nlink, length, truncateVersion, atime, mtime, ctime, rdev, layout, symlinkTarget,
        parent, name, NO_QUOTA);
  }

  public static final int S_ISUID = 04000;
  public static final int S_ISGID = 02000;
  public static final int S_ISVTX = 01000;
  public static final int PERM_MASK = 07777;

  public boolean isDirectory() {
    return type == InodeType.DIRECTORY;
  }

  public boolean isFile() {
    return type == InodeType.FILE;
  }

  /** st_mode as stat(2) reports it: type bits and permission bits. */
  public int stMode() {
    return type.ifmt() | (mode & PERM_MASK);
  }

  public Inode withMode(int m) {
    return new Inode(id, type, m & PERM_MASK, uid, gid, nlink, length, truncateVersion, atime, mtime, ctime, rdev,
        layout, symlinkTarget, parent, name, quotaDomain);
  }

  public Inode withOwner(int u, int g) {
    return new Inode(id, type, mode, u, g, nlink, length, truncateVersion, atime, mtime, ctime, rdev, layout,
        symlinkTarget, parent, name, quotaDomain);
  }

  public Inode withNlink(int n) {
    return new Inode(id, type, mode, uid, gid, n, length, truncateVersion, atime, mtime, ctime, rdev, layout,
        symlinkTarget, parent, name, quotaDomain);
  }

  public Inode withLength(long len, long truncVersion) {
    return new Inode(id, type, mode, uid, gid, nlink, len, truncVersion, atime, mtime, ctime, rdev, layout,
        symlinkTarget, parent, name, quotaDomain);
  }

  public Inode withTimes(long a, long m, long c) {
    return new Inode(id, type, mode, uid, gid, nlink, length, truncateVersion, a, m, c, rdev, layout, symlinkTarget,
        parent, name, quotaDomain);
  }

  public Inode withCtime(long c) {
    return withTimes(atime, mtime, c);
  }

  /** mtime and ctime set to {@code now}: what a change of a directory's contents or a file's data does. */
  public Inode touched(long now) {
    return withTimes(atime, now, now);
  }

  public Inode withLayout(Layout l) {
    return new Inode(id, type, mode, uid, gid, nlink, length, truncateVersion, atime, mtime, ctime, rdev, l,
        symlinkTarget, parent, name, quotaDomain);
  }

  public Inode withQuotaDomain(long domain) {
    return new Inode(id, type, mode, uid, gid, nlink, length, truncateVersion, atime, mtime, ctime, rdev, layout,
        symlinkTarget, parent, name, domain);
  }

  public Inode withPlace(long newParent, String newName) {
    return new Inode(id, type, mode, uid, gid, nlink, length, truncateVersion, atime, mtime, ctime, rdev, layout,
        symlinkTarget, newParent, newName, quotaDomain);
  }
}
