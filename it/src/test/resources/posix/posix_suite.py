#!/usr/bin/env python3
"""POSIX behaviour suite: run as root with a directory on the file system under test.

    python3 posix_suite.py DIR            # root part; runs the non-root parts itself through setpriv
    python3 posix_suite.py DIR --as NAME  # one non-root section (called by the root part)

Every check prints one line: "PASS name", "FAIL name: expected X, got Y" or "SKIP name: reason".
Expected values are Linux's (the suite passes unchanged on ext4/tmpfs). DIR must be traversable by uid 1000/1001.
"""
import ctypes
import errno
import os
import stat
import subprocess
import sys
import time

SCRIPT = os.path.abspath(__file__)
FAILS = 0


def out(line):
    print(line, flush=True)


def ok(name, cond, detail=""):
    global FAILS
    if cond:
        out("PASS " + name)
    else:
        FAILS += 1
        out("FAIL %s: %s" % (name, detail))


def eq(name, expected, actual):
    ok(name, expected == actual, "expected %r, got %r" % (expected, actual))


def skip(name, reason):
    out("SKIP %s: %s" % (name, reason))


def ename(e):
    return errno.errorcode.get(e, str(e)) if e is not None else "success"


def err(name, expected, fn, *args):
    """Checks that fn(*args) fails with errno `expected` (one errno or a tuple of acceptable ones)."""
    want = expected if isinstance(expected, tuple) else (expected,)
    try:
        r = fn(*args)
        if isinstance(r, int) and fn is os.open:
            os.close(r)
        got = None
    except OSError as e:
        got = e.errno
    ok(name, got in want, "expected %s, got %s" % ("/".join(ename(w) for w in want), ename(got)))


def succeeds(name, fn, *args):
    try:
        r = fn(*args)
        ok(name, True)
        return r
    except OSError as e:
        ok(name, False, "expected success, got %s (%s)" % (ename(e.errno), e))
        return None


def mount_of(path):
    """(fstype, options) of the mount holding path, from /proc/mounts (longest mount point prefix)."""
    path = os.path.realpath(path)
    best = ("", "", "")
    with open("/proc/mounts") as f:
        for line in f:
            dev, mnt, fstype, opts = line.split()[:4]
            mnt = mnt.replace("\\040", " ")
            if (path == mnt or path.startswith(mnt.rstrip("/") + "/")) and len(mnt) > len(best[0]):
                best = (mnt, fstype, opts)
    return best[1], best[2]


def on_fuse(path):
    return mount_of(path)[0].startswith("fuse")


def known_gap(name, cond, detail, applies, reason):
    """A check Linux passes that the file system under test cannot meet yet: SKIP (never PASS) when it fails where
    the gap applies, FAIL when it fails anywhere else."""
    if not cond and applies:
        skip(name, "known gap: %s (%s)" % (reason, detail))
    else:
        ok(name, cond, detail)


def write_file(path, data, mode=0o644):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


# ---------------------------------------------------------------------------------------------------------- root part

def files_and_flags(d):
    p = os.path.join(d, "f1")
    write_file(p, b"hello")
    err("open O_CREAT|O_EXCL on existing file -> EEXIST", errno.EEXIST, os.open, p, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    err("open missing without O_CREAT -> ENOENT", errno.ENOENT, os.open, os.path.join(d, "nope"), os.O_RDONLY)
    err("open file/child as a directory -> ENOTDIR", errno.ENOTDIR, os.open, os.path.join(p, "x"), os.O_RDONLY)
    err("open O_DIRECTORY on a file -> ENOTDIR", errno.ENOTDIR, os.open, p, os.O_RDONLY | os.O_DIRECTORY)
    err("open a directory for writing -> EISDIR", errno.EISDIR, os.open, d, os.O_WRONLY)
    fd = os.open(p, os.O_WRONLY | os.O_APPEND)
    os.write(fd, b" world")
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, b"!")
    os.close(fd)
    eq("O_APPEND writes go to the end whatever the offset", b"hello world!", read_file(p))
    fd = os.open(p, os.O_WRONLY | os.O_TRUNC)
    os.close(fd)
    eq("O_TRUNC empties the file", 0, os.stat(p).st_size)
    fd = os.open(p, os.O_RDWR)
    os.pwrite(fd, b"abcdef", 0)
    os.pwrite(fd, b"XY", 2)
    eq("pwrite at an offset overwrites in place", b"abXYef", os.pread(fd, 100, 0))
    eq("pread at an offset", b"Ye", os.pread(fd, 2, 3))
    eq("pread at EOF returns empty", b"", os.pread(fd, 10, 6))
    eq("pread past EOF returns empty", b"", os.pread(fd, 10, 1000))
    os.close(fd)
    fd = os.open(p, os.O_RDONLY)
    err("write on a read-only descriptor -> EBADF", errno.EBADF, os.write, fd, b"x")
    os.close(fd)
    fd = os.open(p, os.O_WRONLY)
    err("read on a write-only descriptor -> EBADF", errno.EBADF, os.read, fd, 1)
    os.close(fd)
    # reads through one descriptor see writes through another before close
    fa = os.open(p, os.O_RDWR | os.O_TRUNC)
    fb = os.open(p, os.O_RDONLY)
    os.write(fa, b"0123456789")
    eq("a second descriptor reads data written through the first (open)", b"0123456789", os.pread(fb, 100, 0))
    os.close(fa)
    os.close(fb)


def sparse_and_truncate(d):
    p = os.path.join(d, "sparse")
    fd = os.open(p, os.O_RDWR | os.O_CREAT, 0o644)
    os.pwrite(fd, b"end", 5 * 1024 * 1024 + 7)
    os.close(fd)
    st = os.stat(p)
    eq("sparse file size = last byte written + 1", 5 * 1024 * 1024 + 10, st.st_size)
    data = read_file(p)
    ok("hole reads as zeros", data[: 5 * 1024 * 1024 + 7] == bytes(5 * 1024 * 1024 + 7), "non-zero byte in hole")
    eq("data after the hole", b"end", data[-3:])
    write_file(p, b"x" * 10000)
    os.truncate(p, 100)
    eq("truncate down: size", 100, os.stat(p).st_size)
    eq("truncate down: content kept", b"x" * 100, read_file(p))
    os.truncate(p, 3 * 1024 * 1024)
    eq("truncate up: size", 3 * 1024 * 1024, os.stat(p).st_size)
    data = read_file(p)
    ok("truncate up: extension reads zero", data[:100] == b"x" * 100 and data[100:] == bytes(3 * 1024 * 1024 - 100),
       "bad content after truncate up")
    os.truncate(p, 50)
    os.truncate(p, 200)
    eq("truncate down then up: old bytes beyond the cut are zero", b"x" * 50 + bytes(150), read_file(p))
    fd = os.open(p, os.O_RDWR)
    os.ftruncate(fd, 10)
    eq("ftruncate: fstat size", 10, os.fstat(fd).st_size)
    os.pwrite(fd, b"Z", 20)
    eq("write past EOF after ftruncate leaves a hole", b"x" * 10 + bytes(10) + b"Z", os.pread(fd, 100, 0))
    os.close(fd)
    err("truncate to a negative length -> EINVAL", errno.EINVAL, os.truncate, p, -1)
    err("truncate a directory -> EISDIR", errno.EISDIR, os.truncate, d, 0)
    fd = os.open(p, os.O_RDONLY)
    err("ftruncate on a read-only descriptor -> EINVAL", (errno.EINVAL, errno.EBADF), os.ftruncate, fd, 0)
    os.close(fd)


def directories(d):
    sub = os.path.join(d, "dir")
    os.mkdir(sub, 0o755)
    err("mkdir existing -> EEXIST", errno.EEXIST, os.mkdir, sub)
    write_file(os.path.join(sub, "child"), b"c")
    err("rmdir non-empty -> ENOTEMPTY", errno.ENOTEMPTY, os.rmdir, sub)
    err("rmdir a file -> ENOTDIR", errno.ENOTDIR, os.rmdir, os.path.join(sub, "child"))
    err("unlink a directory -> EISDIR", errno.EISDIR, os.unlink, sub)
    err("mkdir under a file -> ENOTDIR", errno.ENOTDIR, os.mkdir, os.path.join(sub, "child", "x"))
    err("mkdir with a missing parent -> ENOENT", errno.ENOENT, os.mkdir, os.path.join(d, "missing", "x"))
    err("rmdir missing -> ENOENT", errno.ENOENT, os.rmdir, os.path.join(d, "missing"))
    err("rmdir of '.' -> EINVAL", errno.EINVAL, os.rmdir, os.path.join(sub, "."))
    os.unlink(os.path.join(sub, "child"))
    succeeds("rmdir empty", os.rmdir, sub)
    ok("rmdir removed it", not os.path.exists(sub), "still exists")
    os.mkdir(sub)
    nl = os.stat(d).st_nlink
    os.mkdir(os.path.join(sub, "a"))
    os.mkdir(os.path.join(sub, "b"))
    eq("directory nlink = 2 + subdirectories", 4, os.stat(sub).st_nlink)
    os.rmdir(os.path.join(sub, "b"))
    eq("rmdir drops the parent's nlink", 3, os.stat(sub).st_nlink)
    eq("parent nlink unchanged by grandchildren", nl, os.stat(d).st_nlink)
    n255, n256 = "n" * 255, "n" * 256
    succeeds("create with a 255-byte name", write_file, os.path.join(d, n255), b"")
    ok("255-byte name is listed", n255 in os.listdir(d), "missing from listdir")
    err("create with a 256-byte name -> ENAMETOOLONG", errno.ENAMETOOLONG, os.open, os.path.join(d, n256),
        os.O_CREAT | os.O_WRONLY, 0o644)
    err("mkdir with a 256-byte name -> ENAMETOOLONG", errno.ENAMETOOLONG, os.mkdir, os.path.join(d, n256))
    err("stat a 256-byte name -> ENAMETOOLONG", errno.ENAMETOOLONG, os.stat, os.path.join(d, n256))
    os.unlink(os.path.join(d, n255))
    st = os.stat(d)
    ok("stat of a directory says S_IFDIR", stat.S_ISDIR(st.st_mode), oct(st.st_mode))
    os.mkdir(os.path.join(d, "m700"), 0o700)
    eq("mkdir mode honoured (umask 022)", 0o700, stat.S_IMODE(os.stat(os.path.join(d, "m700")).st_mode))


def links(d):
    f = os.path.join(d, "lf")
    write_file(f, b"data")
    s = os.path.join(d, "ls")
    os.symlink("lf", s)
    eq("readlink returns the target", "lf", os.readlink(s))
    ok("lstat of a symlink says S_IFLNK", stat.S_ISLNK(os.lstat(s).st_mode), oct(os.lstat(s).st_mode))
    eq("lstat size of a symlink is the target length", 2, os.lstat(s).st_size)
    eq("open follows the symlink", b"data", read_file(s))
    err("readlink on a file -> EINVAL", errno.EINVAL, os.readlink, f)
    err("symlink over an existing name -> EEXIST", errno.EEXIST, os.symlink, "x", f)
    os.symlink("loop2", os.path.join(d, "loop1"))
    os.symlink("loop1", os.path.join(d, "loop2"))
    err("open a symlink loop -> ELOOP", errno.ELOOP, os.open, os.path.join(d, "loop1"), os.O_RDONLY)
    err("O_NOFOLLOW on a symlink -> ELOOP", errno.ELOOP, os.open, s, os.O_RDONLY | os.O_NOFOLLOW)
    os.symlink("missing-target", os.path.join(d, "dangling"))
    err("open a dangling symlink -> ENOENT", errno.ENOENT, os.open, os.path.join(d, "dangling"), os.O_RDONLY)
    long_target = "t" * 4000
    os.symlink(long_target, os.path.join(d, "longlink"))
    eq("4000-byte symlink target round-trips", long_target, os.readlink(os.path.join(d, "longlink")))
    h = os.path.join(d, "lh")
    os.link(f, h)
    eq("hard link: nlink 2", 2, os.stat(f).st_nlink)
    eq("hard link: same inode", os.stat(f).st_ino, os.stat(h).st_ino)
    eq("hard link: same data", b"data", read_file(h))
    err("link onto an existing name -> EEXIST", errno.EEXIST, os.link, f, h)
    err("hard link of a directory -> EPERM", errno.EPERM, os.link, d, os.path.join(d, "dlink"))
    err("link of a missing file -> ENOENT", errno.ENOENT, os.link, os.path.join(d, "missing"), os.path.join(d, "x"))
    c0 = os.stat(f).st_ctime_ns
    time.sleep(0.05)
    os.link(f, os.path.join(d, "lh2"))
    ok("link advances the inode's ctime", os.stat(f).st_ctime_ns > c0, "unchanged")
    os.unlink(os.path.join(d, "lh2"))
    err("O_CREAT|O_EXCL on a dangling symlink -> EEXIST", errno.EEXIST, os.open, os.path.join(d, "dangling"),
        os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
    os.unlink(f)
    eq("unlink one name: nlink 1", 1, os.stat(h).st_nlink)
    eq("data survives through the other name", b"data", read_file(h))
    # open-after-unlink: the file stays readable and writable while open
    fd = os.open(h, os.O_RDWR)
    os.unlink(h)
    os.pwrite(fd, b"DATA", 0)
    eq("unlinked open file still readable", b"DATA", os.pread(fd, 10, 0))
    eq("unlinked open file: fstat nlink 0", 0, os.fstat(fd).st_nlink)
    os.close(fd)


def renames(d):
    r = os.path.join(d, "ren")
    os.mkdir(r)
    a, b = os.path.join(r, "a"), os.path.join(r, "b")
    write_file(a, b"A")
    write_file(b, b"B")
    os.rename(a, a)
    eq("rename onto itself keeps the file", b"A", read_file(a))
    os.link(a, os.path.join(r, "a2"))
    os.rename(a, os.path.join(r, "a2"))
    ok("rename onto a hard link of itself is a no-op (both names stay)",
       os.path.exists(a) and os.path.exists(os.path.join(r, "a2")), "a name vanished")
    os.unlink(os.path.join(r, "a2"))
    c0 = os.stat(a).st_ctime_ns
    time.sleep(0.05)
    os.rename(a, b)
    eq("rename over an existing file replaces it", b"A", read_file(b))
    ok("rename advances the moved inode's ctime", os.stat(b).st_ctime_ns > c0, "unchanged")
    ok("rename source is gone", not os.path.exists(a), "source still exists")
    d1, d2, d3 = os.path.join(r, "d1"), os.path.join(r, "d2"), os.path.join(r, "d3")
    os.mkdir(d1)
    os.mkdir(d2)
    os.mkdir(d3)
    write_file(os.path.join(d3, "x"), b"")
    succeeds("rename a directory over an empty directory", os.rename, d1, d2)
    err("rename a directory over a non-empty directory -> ENOTEMPTY", (errno.ENOTEMPTY, errno.EEXIST), os.rename,
        d2, d3)
    err("rename a file over a directory -> EISDIR", errno.EISDIR, os.rename, b, d2)
    err("rename a directory over a file -> ENOTDIR", errno.ENOTDIR, os.rename, d2, b)
    err("rename a directory into its own subtree -> EINVAL", errno.EINVAL, os.rename, d3, os.path.join(d3, "sub"))
    os.mkdir(os.path.join(d3, "deep"))
    err("rename a directory into its grandchild -> EINVAL", errno.EINVAL, os.rename, d3,
        os.path.join(d3, "deep", "z"))
    err("rename a missing source -> ENOENT", errno.ENOENT, os.rename, os.path.join(r, "missing"), a)
    err("rename into a missing directory -> ENOENT", errno.ENOENT, os.rename, b, os.path.join(r, "missing", "b"))
    os.rename(d3, os.path.join(d2, "moved"))
    ok("rename a directory to another parent", os.path.exists(os.path.join(d2, "moved", "x")), "child not found")
    st = os.stat(os.path.join(d2, "moved", "deep", ".."))
    eq("'..' of a moved directory's child is the moved directory", os.stat(os.path.join(d2, "moved")).st_ino,
       st.st_ino)
    # renameat2 flags
    libc = ctypes.CDLL(None, use_errno=True)
    if not hasattr(libc, "renameat2"):
        skip("RENAME_NOREPLACE / RENAME_EXCHANGE", "libc has no renameat2")
        return
    AT_FDCWD = -100

    def renameat2(src, dst, flags):
        if libc.renameat2(AT_FDCWD, src.encode(), AT_FDCWD, dst.encode(), flags) != 0:
            e = ctypes.get_errno()
            raise OSError(e, os.strerror(e))

    c = os.path.join(r, "c")
    write_file(c, b"C")
    err("RENAME_NOREPLACE onto an existing name -> EEXIST", errno.EEXIST, renameat2, c, b, 1)
    succeeds("RENAME_NOREPLACE onto a free name", renameat2, c, os.path.join(r, "c2"), 1)
    renameat2(os.path.join(r, "c2"), c, 0)
    succeeds("RENAME_EXCHANGE of two files", renameat2, c, b, 2)
    eq("RENAME_EXCHANGE swapped the contents", (b"A", b"C"), (read_file(c), read_file(b)))
    err("RENAME_EXCHANGE with a missing target -> ENOENT", errno.ENOENT, renameat2, c, os.path.join(r, "nope"), 2)
    succeeds("RENAME_EXCHANGE of a file and a directory", renameat2, c, d2, 2)
    ok("exchange put the directory under the file's name", os.path.isdir(c) and os.path.isfile(d2), "types not swapped")
    err("RENAME_NOREPLACE|RENAME_EXCHANGE -> EINVAL", errno.EINVAL, renameat2, c, b, 3)


def timestamps(d):
    p = os.path.join(d, "ts")
    write_file(p, b"x")
    st0 = os.stat(p)
    time.sleep(0.05)
    fd = os.open(p, os.O_WRONLY)
    os.write(fd, b"y")
    os.close(fd)
    st1 = os.stat(p)
    ok("write advances mtime", st1.st_mtime_ns > st0.st_mtime_ns, "%d -> %d" % (st0.st_mtime_ns, st1.st_mtime_ns))
    ok("write advances ctime", st1.st_ctime_ns > st0.st_ctime_ns, "%d -> %d" % (st0.st_ctime_ns, st1.st_ctime_ns))
    time.sleep(0.05)
    os.chmod(p, 0o600)
    st2 = os.stat(p)
    ok("chmod advances ctime", st2.st_ctime_ns > st1.st_ctime_ns, "%d -> %d" % (st1.st_ctime_ns, st2.st_ctime_ns))
    eq("chmod leaves mtime", st1.st_mtime_ns, st2.st_mtime_ns)
    os.utime(p, ns=(1_000_000_123, 2_000_000_456))
    st3 = os.stat(p)
    eq("utime sets atime and mtime to the nanosecond", (1_000_000_123, 2_000_000_456), (st3.st_atime_ns,
                                                                                        st3.st_mtime_ns))
    os.utime(p)
    ok("utime(None) sets times to now", abs(os.stat(p).st_mtime - time.time()) < 5, "mtime not near now")
    # relatime: a read updates atime when it is older than mtime
    os.utime(p, ns=(1_000_000_000, 2_000_000_000))
    read_file(p)
    st4 = os.stat(p)
    ok("read updates an atime older than mtime (relatime)", st4.st_atime_ns >= 2_000_000_000,
       "atime %d" % st4.st_atime_ns)
    # relatime: an atime after mtime and ctime and less than a day old stays put
    ahead = time.time_ns() + 100 * 1_000_000_000
    os.utime(p, ns=(ahead, st4.st_mtime_ns))
    read_file(p)
    eq("read leaves an atime newer than mtime and ctime (relatime)", ahead, os.stat(p).st_atime_ns)
    dd = os.path.join(d, "tsdir")
    os.mkdir(dd)
    m0 = os.stat(dd).st_mtime_ns
    time.sleep(0.05)
    write_file(os.path.join(dd, "new"), b"")
    m1 = os.stat(dd).st_mtime_ns
    ok("creating an entry advances the directory's mtime", m1 > m0, "%d -> %d" % (m0, m1))
    time.sleep(0.05)
    os.unlink(os.path.join(dd, "new"))
    ok("removing an entry advances the directory's mtime", os.stat(dd).st_mtime_ns > m1, "unchanged")


def xattrs(d):
    p = os.path.join(d, "xa")
    write_file(p, b"")
    try:
        os.setxattr(p, "user.k", b"v1")
    except OSError as e:
        ok("setxattr user.k", False, "got %s" % ename(e.errno))
        return
    eq("getxattr returns the value", b"v1", os.getxattr(p, "user.k"))
    os.setxattr(p, "user.empty", b"")
    eq("empty xattr value", b"", os.getxattr(p, "user.empty"))
    eq("listxattr lists user.* names", ["user.empty", "user.k"], sorted(os.listxattr(p)))
    err("getxattr missing -> ENODATA", errno.ENODATA, os.getxattr, p, "user.missing")
    err("XATTR_CREATE on existing -> EEXIST", errno.EEXIST, os.setxattr, p, "user.k", b"v2", os.XATTR_CREATE)
    err("XATTR_REPLACE on missing -> ENODATA", errno.ENODATA, os.setxattr, p, "user.new", b"v", os.XATTR_REPLACE)
    os.setxattr(p, "user.k", b"v3", os.XATTR_REPLACE)
    eq("XATTR_REPLACE replaces", b"v3", os.getxattr(p, "user.k"))
    big = bytes(range(256)) * 8
    os.setxattr(p, "user.big", big)
    eq("2 KiB binary value round-trips", big, os.getxattr(p, "user.big"))
    os.removexattr(p, "user.k")
    err("getxattr after removexattr -> ENODATA", errno.ENODATA, os.getxattr, p, "user.k")
    err("removexattr missing -> ENODATA", errno.ENODATA, os.removexattr, p, "user.k")
    os.setxattr(d, "user.ondir", b"d")
    eq("xattr on a directory", b"d", os.getxattr(d, "user.ondir"))
    os.removexattr(d, "user.ondir")
    err("setxattr with an unknown namespace -> EOPNOTSUPP", errno.EOPNOTSUPP, os.setxattr, p, "bogus.k", b"v")


def special_files(d):
    f = os.path.join(d, "fifo")
    os.mkfifo(f, 0o644)
    st = os.lstat(f)
    ok("mkfifo creates S_IFIFO", stat.S_ISFIFO(st.st_mode), oct(st.st_mode))
    eq("mkfifo mode", 0o644, stat.S_IMODE(st.st_mode))
    ok("mkfifo entry is listed", "fifo" in os.listdir(d), "missing")
    # a FIFO on the mount is a kernel pipe: a writer and a reader meet
    pid = os.fork()
    if pid == 0:
        try:
            w = os.open(f, os.O_WRONLY)
            os.write(w, b"through the fifo")
            os.close(w)
        finally:
            os._exit(0)
    r = os.open(f, os.O_RDONLY)
    got = b""
    while True:
        chunk = os.read(r, 100)
        if not chunk:
            break
        got += chunk
    os.close(r)
    os.waitpid(pid, 0)
    eq("data passes through the FIFO", b"through the fifo", got)
    err("mkfifo on an existing name -> EEXIST", errno.EEXIST, os.mkfifo, f)
    os.mknod(os.path.join(d, "regnod"), 0o600 | stat.S_IFREG)
    ok("mknod S_IFREG creates a regular file", stat.S_ISREG(os.lstat(os.path.join(d, "regnod")).st_mode), "type")
    os.unlink(f)


def statfs(d):
    s = os.statvfs(d)
    ok("statvfs: f_bsize > 0", s.f_bsize > 0, repr(s))
    ok("statvfs: f_blocks > 0", s.f_blocks > 0, repr(s))
    ok("statvfs: f_bfree <= f_blocks", s.f_bfree <= s.f_blocks, repr(s))
    ok("statvfs: f_bavail <= f_bfree", s.f_bavail <= s.f_bfree, repr(s))
    ok("statvfs: f_files >= f_ffree", s.f_files >= s.f_ffree, repr(s))
    eq("statvfs: f_namemax", 255, s.f_namemax)


def excl_race(d):
    wins_all = []
    for round_ in range(5):
        name = os.path.join(d, "race%d" % round_)
        r, w = os.pipe()
        go_r, go_w = os.pipe()
        pids = []
        for _ in range(6):
            pid = os.fork()
            if pid == 0:
                os.close(r)
                os.close(go_w)
                os.read(go_r, 1)  # start together
                try:
                    fd = os.open(name, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
                    os.write(fd, b"%d" % os.getpid())
                    os.close(fd)
                    res = b"W"
                except OSError as e:
                    res = b"E" if e.errno == errno.EEXIST else b"?"
                os.write(w, res)
                os._exit(0)
            pids.append(pid)
        os.close(w)
        os.close(go_r)
        os.write(go_w, b"x" * 6)
        os.close(go_w)
        for pid in pids:
            os.waitpid(pid, 0)
        res = b""
        while True:
            c = os.read(r, 100)
            if not c:
                break
            res += c
        os.close(r)
        wins_all.append(res.decode())
    ok("O_CREAT|O_EXCL race of 6 processes: exactly one wins, the others get EEXIST (5 rounds)",
       all(sorted(x) == ["E"] * 5 + ["W"] for x in wins_all), "outcomes %r" % wins_all)


def big_readdir(d, n):
    dd = os.path.join(d, "many")
    os.mkdir(dd)
    for i in range(n):
        os.mknod(os.path.join(dd, "entry-%05d" % i), 0o644 | stat.S_IFREG)
    names = os.listdir(dd)
    eq("readdir of %d entries: count" % n, n, len(names))
    eq("readdir of %d entries: each exactly once" % n, set("entry-%05d" % i for i in range(n)), set(names))
    with os.scandir(dd) as it:
        seen = [e.name for e in it if e.is_file()]
    eq("scandir sees %d regular files" % n, n, len(seen))


# ------------------------------------------------------------------------------------------------ non-root sections

def as_user_basic(d):
    """Runs as uid 1000 (gid 1000, no supplementary groups). d is a 0777 directory prepared by root."""
    root_only = os.path.join(d, "root_only")          # root:root 0600, content "secret"
    err("read a 0600 root file -> EACCES", errno.EACCES, os.open, root_only, os.O_RDONLY)
    err("write a 0644 root file -> EACCES", errno.EACCES, os.open, os.path.join(d, "root_ro"), os.O_WRONLY)
    eq("read a 0644 root file", b"public", read_file(os.path.join(d, "root_ro")))
    err("exec a 0644 file -> EACCES", errno.EACCES, os.execv, os.path.join(d, "root_ro"), ["x"])
    try:
        os.stat(os.path.join(d, "root_dir", "inner"))
        got = None
    except OSError as e:
        got = e.errno
    fstype, opts = mount_of(d)
    known_gap("search a 0700 root directory -> EACCES", got == errno.EACCES, "got %s" % ename(got),
              fstype.startswith("fuse") and "default_permissions" not in opts.split(","),
              "without the default_permissions mount option the kernel does not check search permission on a "
              "cached dentry (root created this one), and meta is not asked; set fuse.default_permissions=true")
    err("list a 0711 root directory -> EACCES", errno.EACCES, os.listdir, os.path.join(d, "root_x"))
    eq("stat through a 0711 directory (search only)", 6, os.stat(os.path.join(d, "root_x", "inner")).st_size)
    err("create in a 0755 root directory -> EACCES", errno.EACCES, os.open, os.path.join(d, "root_x", "new"),
        os.O_CREAT | os.O_WRONLY, 0o644)
    err("mkdir in a 0755 root directory -> EACCES", errno.EACCES, os.mkdir, os.path.join(d, "root_x", "nd"))
    err("unlink in a 0711 root directory -> EACCES", errno.EACCES, os.unlink, os.path.join(d, "root_x", "inner"))
    err("chmod a root file -> EPERM", errno.EPERM, os.chmod, os.path.join(d, "root_ro"), 0o777)
    err("chown a root file -> EPERM", errno.EPERM, os.chown, os.path.join(d, "root_ro"), 1000, 1000)
    err("utime(explicit) on a root file -> EPERM", errno.EPERM, os.utime, os.path.join(d, "root_ro"), (1, 1))
    err("utime(now) on a 0644 root file -> EACCES", errno.EACCES, os.utime, os.path.join(d, "root_ro"), None)
    err("truncate a 0644 root file -> EACCES", errno.EACCES, os.truncate, os.path.join(d, "root_ro"), 0)
    err("setxattr user.* on a root file -> EACCES", errno.EACCES, os.setxattr, os.path.join(d, "root_ro"), "user.a",
        b"v")
    mine = os.path.join(d, "mine")
    write_file(mine, b"m", 0o644)
    st = os.stat(mine)
    eq("a new file belongs to the caller", (1000, 1000), (st.st_uid, st.st_gid))
    succeeds("chmod own file", os.chmod, mine, 0o600)
    eq("chmod own file: mode", 0o600, stat.S_IMODE(os.stat(mine).st_mode))
    err("chown own file to another uid -> EPERM", errno.EPERM, os.chown, mine, 1001, -1)
    err("chgrp own file to a group not a member of -> EPERM", errno.EPERM, os.chown, mine, -1, 0)
    succeeds("chown own file to own uid/gid (no-op)", os.chown, mine, 1000, 1000)
    succeeds("utime(explicit) own file", os.utime, mine, (5, 5))
    os.chmod(mine, 0o000)
    err("open own 0000 file -> EACCES", errno.EACCES, os.open, mine, os.O_RDONLY)
    os.chmod(mine, 0o644)
    err("O_CREAT on a 0644 root file for writing -> EACCES", errno.EACCES, os.open, os.path.join(d, "root_ro"),
        os.O_CREAT | os.O_WRONLY, 0o644)
    # setgid bit dropped by chmod when the caller is not in the file's group
    os.chmod(mine, 0o2755)
    eq("setgid bit kept on own file in own group", 0o2755, stat.S_IMODE(os.stat(mine).st_mode))
    # writing clears setuid/setgid
    os.chmod(mine, 0o4755)
    fd = os.open(mine, os.O_WRONLY)
    os.write(fd, b"x")
    os.close(fd)
    eq("write by the owner clears the setuid bit", 0o755, stat.S_IMODE(os.stat(mine).st_mode))
    access_checks(d)


def access_checks(d):
    eq("access(R_OK) on a 0600 root file is denied", False, os.access(os.path.join(d, "root_only"), os.R_OK))
    eq("access(R_OK) on a 0644 root file is granted", True, os.access(os.path.join(d, "root_ro"), os.R_OK))
    eq("access(W_OK) on a 0644 root file is denied", False, os.access(os.path.join(d, "root_ro"), os.W_OK))


def as_user_sticky(d):
    """Runs as uid 1001. d/sticky is root:root 1777 with a file of uid 1000 in it; d/plain is 0777 with one too."""
    err("unlink another user's file in a sticky directory -> EPERM", errno.EPERM, os.unlink,
        os.path.join(d, "sticky", "of1000"))
    err("rename another user's file in a sticky directory -> EPERM", errno.EPERM, os.rename,
        os.path.join(d, "sticky", "of1000"), os.path.join(d, "sticky", "moved"))
    write_file(os.path.join(d, "sticky", "of1001"), b"")
    err("rename over another user's file in a sticky directory -> EPERM", errno.EPERM, os.rename,
        os.path.join(d, "sticky", "of1001"), os.path.join(d, "sticky", "of1000"))
    succeeds("unlink own file in a sticky directory", os.unlink, os.path.join(d, "sticky", "of1001"))
    succeeds("unlink another user's file in a non-sticky 0777 directory", os.unlink, os.path.join(d, "plain", "of1000"))


def as_user_setgid(d):
    """Runs as uid 1000 with supplementary group 1002. d/sgid is root:1002 2777."""
    sg = os.path.join(d, "sgid")
    write_file(os.path.join(sg, "f"), b"")
    eq("a file created in a setgid directory takes the directory's group", 1002, os.stat(os.path.join(sg, "f")).st_gid)
    os.mkdir(os.path.join(sg, "sub"))
    st = os.stat(os.path.join(sg, "sub"))
    eq("a directory created in a setgid directory takes its group", 1002, st.st_gid)
    ok("a directory created in a setgid directory inherits the setgid bit", st.st_mode & stat.S_ISGID,
       oct(st.st_mode))
    succeeds("chgrp own file to a supplementary group", os.chown, os.path.join(sg, "f"), -1, 1002)
    eq("read a 0640 root:1002 file through the supplementary group", b"group",
       read_file(os.path.join(d, "g1002")))


def as_user_privileges(d):
    """Runs as uid 65534. d/priv holds root's files with set-id bits; d/priv is 0777. Linux 6.x also drops
    set-group-ID without group execute when the writer is not in the file's group."""
    pd = os.path.join(d, "priv")
    for name, expect in (("u", 0o777), ("g", 0o777), ("ug", 0o777), ("g_noexec", 0o766)):
        p = os.path.join(pd, name)
        fd = os.open(p, os.O_WRONLY | os.O_APPEND)
        os.write(fd, b"x")
        # fstat before close: the data may still be in write-behind; the bits must be gone already.
        eq("a write by a non-owner drops set-id bits (%s): fstat" % name, expect, stat.S_IMODE(os.fstat(fd).st_mode))
        os.close(fd)
        eq("a write by a non-owner drops set-id bits (%s): stat" % name, expect, stat.S_IMODE(os.stat(p).st_mode))
    p = os.path.join(pd, "trunc")
    fd = os.open(p, os.O_RDWR)
    os.ftruncate(fd, 1)
    os.close(fd)
    eq("a truncate by a non-owner drops set-id bits", 0o777, stat.S_IMODE(os.stat(p).st_mode))
    # ftruncate is authorised by the descriptor, not by the file's mode at the time
    p = os.path.join(pd, "mine")
    fd = os.open(p, os.O_CREAT | os.O_RDWR, 0)
    os.write(fd, b"hello")
    succeeds("ftruncate through a descriptor opened for writing, file mode 0000", os.ftruncate, fd, 2)
    eq("ftruncate through the descriptor took effect", 2, os.fstat(fd).st_size)
    os.close(fd)
    err("truncate(path) of that 0000 file", errno.EACCES, os.truncate, p, 0)
    fd = os.open(os.path.join(pd, "readable"), os.O_RDONLY)
    err("ftruncate through a descriptor opened read-only", errno.EINVAL, os.ftruncate, fd, 0)
    os.close(fd)


SECTIONS = {"basic": as_user_basic, "sticky": as_user_sticky, "setgid": as_user_setgid,
            "privileges": as_user_privileges}


def run_as(d, section, uid, gid, groups=None):
    cmd = ["setpriv", "--reuid=%d" % uid, "--regid=%d" % gid]
    cmd += ["--groups=" + ",".join(str(g) for g in groups)] if groups else ["--clear-groups"]
    cmd += [sys.executable, SCRIPT, d, "--as", section]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    global FAILS
    for line in p.stdout.splitlines():
        out("[uid %d] %s" % (uid, line))
        if line.startswith("FAIL"):
            FAILS += 1
    if p.returncode != 0:
        ok("section %s as uid %d finished" % (section, uid), False, "exit %d: %s" % (p.returncode, p.stderr))


def permissions(d):
    pd = os.path.join(d, "perm")
    os.mkdir(pd)
    os.chmod(pd, 0o777)
    write_file(os.path.join(pd, "root_only"), b"secret", 0o600)
    os.chmod(os.path.join(pd, "root_only"), 0o600)
    write_file(os.path.join(pd, "root_ro"), b"public", 0o644)
    os.chmod(os.path.join(pd, "root_ro"), 0o644)
    os.mkdir(os.path.join(pd, "root_dir"), 0o700)
    write_file(os.path.join(pd, "root_dir", "inner"), b"")
    os.mkdir(os.path.join(pd, "root_x"))
    os.chmod(os.path.join(pd, "root_x"), 0o711)
    write_file(os.path.join(pd, "root_x", "inner"), b"inner!")
    write_file(os.path.join(pd, "g1002"), b"group")
    os.chown(os.path.join(pd, "g1002"), 0, 1002)
    os.chmod(os.path.join(pd, "g1002"), 0o640)
    run_as(pd, "basic", 1000, 1000)
    # sticky
    os.mkdir(os.path.join(pd, "sticky"))
    os.chmod(os.path.join(pd, "sticky"), 0o1777)
    write_file(os.path.join(pd, "sticky", "of1000"), b"")
    os.chown(os.path.join(pd, "sticky", "of1000"), 1000, 1000)
    os.mkdir(os.path.join(pd, "plain"))
    os.chmod(os.path.join(pd, "plain"), 0o777)
    write_file(os.path.join(pd, "plain", "of1000"), b"")
    os.chown(os.path.join(pd, "plain", "of1000"), 1000, 1000)
    run_as(pd, "sticky", 1001, 1001)
    ok("root may unlink anyone's file in a sticky directory", succeeds_quiet(os.unlink, os.path.join(pd, "sticky",
                                                                                                      "of1000")),
       "failed")
    # setgid
    sg = os.path.join(pd, "sgid")
    os.mkdir(sg)
    os.chown(sg, 0, 1002)
    os.chmod(sg, 0o2777)
    run_as(pd, "setgid", 1000, 1000, groups=[1002])
    # root: chown works, clears setuid/setgid on a regular file
    f = os.path.join(pd, "suid")
    write_file(f, b"")
    os.chmod(f, 0o6755)
    os.chown(f, 1000, 1000)
    st = os.stat(f)
    eq("chown by root", (1000, 1000), (st.st_uid, st.st_gid))
    eq("chown clears setuid and setgid on an executable file", 0o755, stat.S_IMODE(st.st_mode))
    # set-id bits and writes by another user (Linux file_remove_privs)
    priv = os.path.join(pd, "priv")
    os.mkdir(priv)
    os.chmod(priv, 0o777)
    for name, mode in (("u", 0o4777), ("g", 0o2777), ("ug", 0o6777), ("g_noexec", 0o2766), ("trunc", 0o6777),
                       ("readable", 0o644)):
        write_file(os.path.join(priv, name), b"data")
        os.chmod(os.path.join(priv, name), mode)
    run_as(pd, "privileges", 65534, 65534)
    f = os.path.join(priv, "root_writes")
    write_file(f, b"")
    os.chmod(f, 0o6777)
    with open(f, "ab") as w:
        w.write(b"root")
    eq("root writing keeps set-id bits (CAP_FSETID)", 0o6777, stat.S_IMODE(os.stat(f).st_mode))
    write_file(os.path.join(pd, "root_only2"), b"s", 0o000)
    os.chmod(os.path.join(pd, "root_only2"), 0o000)
    eq("root reads a 0000 file", b"s", read_file(os.path.join(pd, "root_only2")))


def succeeds_quiet(fn, *args):
    try:
        fn(*args)
        return True
    except OSError:
        return False


def main():
    d = sys.argv[1]
    if len(sys.argv) > 3 and sys.argv[2] == "--as":
        SECTIONS[sys.argv[3]](d)
        return
    os.umask(0o022)
    n = int(os.environ.get("POSIX_READDIR_ENTRIES", "10000"))
    work = os.path.join(d, "posix-suite")
    os.mkdir(work)
    os.chmod(work, 0o755)
    for fn in (files_and_flags, sparse_and_truncate, directories, links, renames, timestamps, xattrs,
               special_files, statfs, excl_race, permissions):
        sub = os.path.join(work, fn.__name__)
        os.mkdir(sub)
        os.chmod(sub, 0o755)
        t = time.monotonic()
        try:
            fn(sub)
        except Exception as e:  # a crash in one group must not hide the others
            ok("group %s ran to completion" % fn.__name__, False, "%s: %s" % (type(e).__name__, e))
        out("# %s took %.1fs" % (fn.__name__, time.monotonic() - t))
    t = time.monotonic()
    sub = os.path.join(work, "readdir")
    os.mkdir(sub)
    try:
        big_readdir(sub, n)
    except Exception as e:
        ok("group big_readdir ran to completion", False, "%s: %s" % (type(e).__name__, e))
    out("# big_readdir took %.1fs" % (time.monotonic() - t))
    out("DONE failures=%d" % FAILS)


if __name__ == "__main__":
    main()
