#!/usr/bin/env python3
"""Data integrity through a mount, checked against models held in memory.

    python3 data_integrity.py model DIR SEED      # random pwrite/pread/truncate vs a bytearray model
    python3 data_integrity.py writers DIR SEED    # 4 concurrent writers on different files, sha256 checked
    python3 data_integrity.py write FILE SEED MB  # writes a file and prints its sha256 (for the two-mount check)
    python3 data_integrity.py sha FILE            # prints a file's sha256
    python3 data_integrity.py rewrite HERE THERE  # one file through two mounts: rewrites here, reads there
    python3 data_integrity.py unlink-open HERE THERE  # open there, unlink here, read there

Prints PASS/FAIL lines like posix_suite.py and "DONE failures=N".
"""
import hashlib
import os
import random
import sys
import time

MIB = 1024 * 1024
FAILS = 0


def ok(name, cond, detail=""):
    global FAILS
    if cond:
        print("PASS " + name, flush=True)
    else:
        FAILS += 1
        print("FAIL %s: %s" % (name, detail), flush=True)


def first_diff(a, b):
    for i in range(min(len(a), len(b))):
        if a[i] != b[i]:
            return "first difference at byte %d (chunk %d): expected %d, got %d" % (i, i // MIB, a[i], b[i])
    return "lengths %d vs %d" % (len(a), len(b))


def read_all(fd, length):
    out = bytearray()
    while len(out) < length + 1:
        b = os.pread(fd, min(4 * MIB, length + 1 - len(out)), len(out))
        if not b:
            break
        out += b
    return bytes(out)


def model(d, seed):
    """Random ops on one file (up to 24 MiB: many 1 MiB chunks over all chains), verified against a bytearray."""
    rnd = random.Random(seed)
    path = os.path.join(d, "model-%d" % seed)
    limit = 24 * MIB
    m = bytearray()
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
    ops = {"write": 0, "truncate": 0, "read": 0, "reopen": 0}
    bad = []
    for step in range(400):
        r = rnd.random()
        if r < 0.55:
            size = rnd.choice([1, 17, 4096, 65536, MIB - 3, MIB + 5, 3 * MIB + 11])
            # mostly near existing data, sometimes far out (a hole), often across chunk boundaries
            if rnd.random() < 0.3 and m:
                off = (rnd.randrange(0, len(m) // MIB + 1) * MIB) - rnd.randrange(0, 64)
            else:
                off = rnd.randrange(0, min(limit - size, len(m) + 4 * MIB))
            off = max(0, off)
            data = rnd.randbytes(size)
            n = os.pwrite(fd, data, off)
            if n != size:
                bad.append("step %d: short write %d of %d" % (step, n, size))
            if len(m) < off:
                m.extend(bytes(off - len(m)))
            m[off:off + size] = data
            ops["write"] += 1
        elif r < 0.63:
            new = rnd.choice([rnd.randrange(0, 64), rnd.randrange(0, len(m) + 1), len(m) - rnd.randrange(0, MIB + 1), len(m) + rnd.randrange(0, 3 * MIB),
                              (len(m) // MIB) * MIB, rnd.randrange(0, limit)])
            new = max(0, new)
            os.ftruncate(fd, new)
            if new < len(m):
                del m[new:]
            else:
                m.extend(bytes(new - len(m)))
            ops["truncate"] += 1
        elif r < 0.95:
            if not m:
                continue
            off = rnd.randrange(0, len(m))
            size = rnd.choice([1, 100, 4096, MIB, 2 * MIB + 7])
            got = os.pread(fd, size, off)
            want = bytes(m[off:off + size])
            if got != want:
                bad.append("step %d: pread(%d, %d): %s" % (step, off, size, first_diff(want, got)))
            ops["read"] += 1
        else:
            os.close(fd)  # close makes meta record the exact length; reopen must see the same file
            fd = os.open(path, os.O_RDWR)
            ops["reopen"] += 1
        st = os.fstat(fd)
        if st.st_size != len(m):
            bad.append("step %d: fstat size %d, model %d" % (step, st.st_size, len(m)))
        if len(bad) > 5:
            break
    os.close(fd)
    ok("random pwrite/pread/ftruncate agree with the model (seed %d, ops %r)" % (seed, ops), not bad,
       "; ".join(bad[:5]))
    fd = os.open(path, os.O_RDONLY)
    whole = read_all(fd, len(m))
    os.close(fd)
    ok("after close, the whole file (%d bytes, %d chunks) equals the model" % (len(m), (len(m) + MIB - 1) // MIB),
       whole == bytes(m), first_diff(bytes(m), whole))
    ok("after close, stat size equals the model", os.stat(path).st_size == len(m),
       "%d vs %d" % (os.stat(path).st_size, len(m)))


def gen(seed, mb):
    rnd = random.Random(seed)
    return rnd.randbytes(mb * MIB)


def write_file(path, seed, mb, piece):
    data = gen(seed, mb)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    for off in range(0, len(data), piece):
        os.write(fd, data[off:off + piece])
    os.close(fd)
    return hashlib.sha256(data).hexdigest()


def sha(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while True:
            b = f.read(4 * MIB)
            if not b:
                break
            h.update(b)
    return h.hexdigest()


def writers(d, seed):
    """Four processes write different files at once (different piece sizes); every file must read back exactly."""
    pids = {}
    specs = [(os.path.join(d, "w%d" % i), seed + i, 6 + 2 * i, [4096, 65536, 131072 + 13, MIB][i]) for i in range(4)]
    r, w = os.pipe()
    for spec in specs:
        pid = os.fork()
        if pid == 0:
            os.close(r)
            try:
                write_file(*spec)
                os.write(w, b"ok\n")
            except OSError as e:
                os.write(w, ("err %s %s\n" % (spec[0], e)).encode())
            os._exit(0)
        pids[pid] = spec
    os.close(w)
    for pid in pids:
        os.waitpid(pid, 0)
    res = b""
    while True:
        c = os.read(r, 1000)
        if not c:
            break
        res += c
    os.close(r)
    ok("4 concurrent writers finished without errors", res.decode().split() == ["ok"] * 4, res.decode())
    for path, s, mb, piece in specs:
        want = hashlib.sha256(gen(s, mb)).hexdigest()
        ok("concurrent writer %s (%d MiB in %d-byte writes): sha256 matches" % (os.path.basename(path), mb, piece),
           sha(path) == want, "sha256 differs")
        ok("concurrent writer %s: size" % os.path.basename(path), os.stat(path).st_size == mb * MIB,
           str(os.stat(path).st_size))


def rewrite(here, there):
    """Rewrites a file through one mount and reads it at once through another that had it cached: close-to-open."""
    for r, (ch, n) in enumerate([(b"A", 5000), (b"B", 100), (b"C", 7000), (b"D", 10), (b"E", 3 * MIB),
                                 (b"F", 3 * MIB + 1), (b"G", 1)]):
        want = ch * n
        with open(here, "wb") as f:
            f.write(want)
        with open(there, "rb") as f:
            got = f.read()
        ok("rewrite %d on one mount (%d bytes) reads whole at once on the other" % (r, n), got == want,
           "read %d bytes, first %r" % (len(got), got[:1]))
        with open(there, "rb") as f:
            got = f.read()  # twice: a short read must not leave a stale size behind either
        ok("rewrite %d: a second read on the other mount" % r, got == want, "read %d bytes" % len(got))
        st = os.stat(there)  # a fresh stat: the other mount caches these attributes for the attribute timeout
        ok("rewrite %d: stat on the other mount" % r, st.st_size == n, "size %d" % st.st_size)


def unlink_while_open(here, there):
    """A file open on the other mount stays readable there after this mount unlinks it (open-after-unlink)."""
    want = random.Random(5).randbytes(2 * MIB + 3)
    with open(here, "wb") as f:
        f.write(want)
    fd = os.open(there, os.O_RDONLY)
    os.unlink(here)
    ok("unlink removes the name on the unlinking mount",
       not os.path.exists(here), "still there on the unlinking mount")
    got = read_all(fd, len(want))
    os.close(fd)
    ok("unlinked on one mount: a file open on the other reads whole", got == want, first_diff(want, got))


def main():
    mode = sys.argv[1]
    t = time.monotonic()
    if mode == "model":
        model(sys.argv[2], int(sys.argv[3]))
    elif mode == "writers":
        writers(sys.argv[2], int(sys.argv[3]))
    elif mode == "write":
        print("SHA256 " + write_file(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), 1 << 17))
    elif mode == "rewrite":
        rewrite(sys.argv[2], sys.argv[3])
    elif mode == "unlink-open":
        unlink_while_open(sys.argv[2], sys.argv[3])
    elif mode == "sha":
        print("SHA256 " + sha(sys.argv[2]))
    print("# %s took %.1fs" % (mode, time.monotonic() - t))
    print("DONE failures=%d" % FAILS)


if __name__ == "__main__":
    main()
