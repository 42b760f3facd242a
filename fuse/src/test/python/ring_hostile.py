"""A Python program for the native I/O tests: ring_hostile.py MOUNTPOINT FILE MODE; prints name=value lines.

Modes: read (whole file through a ring, NumPy view when NumPy is there, prints its FNV-1a hash), errors (malformed
entries), torn (an impossible sq_tail), write (writes 3 pieces through a write ring; the Java side checks the file),
die (submits and exits without reaping), noaccess (registers an inherited descriptor of a file it may not open).
"""
import ctypes
import os
import sys
import time

import catena_io

OFF_STATE, OFF_SQ_TAIL = 20, 64


def fnv(data):
    h = 14695981039346656037
    for b in data:
        h = ((h ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return h


def main():
    mnt, path, mode = sys.argv[1:4]
    if mode == "noaccess":
        fd = int(sys.argv[4])  # inherited from a parent that could open the file
        try:
            os.read(fd, 1)
            print("mountread=ok")
        except OSError as e:
            print("mountread=%d" % -e.errno)
        with catena_io.Context(mnt, 4096) as ctx:
            try:
                ctx.register(fd)
                with ctx.ring("r", 4) as r:
                    print("ringread=%d" % r.read(fd, 0, 0, 100))
            except OSError as e:
                print("register=%d" % -e.errno)
        try:
            os.open(path, os.O_RDONLY)
            print("open=ok")
        except OSError as e:
            print("open=%d" % -e.errno)
        return
    if mode == "write":
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o644)
        with catena_io.Context(mnt, 3 << 20) as ctx:
            pattern = bytes((i * 7 + 3) & 0xFF for i in range(3 << 20))
            ctx.buffer[:] = pattern
            ctx.register(fd)
            with ctx.ring("w", 8) as w:
                pieces = [(2 << 20, 1 << 20), (0, 1), (1, (2 << 20) - 1)]
                for off, n in pieces:
                    assert w.prep(fd, off, off, n, off)
                w.submit()
                done = []
                while len(done) < len(pieces):
                    done += w.wait(1, timeout=30)
                print("written=%d" % sum(r for _, r in done))
            ctx.deregister(fd)
        os.close(fd)
        print("fnv=%016x" % fnv(pattern))
        return
    fd = os.open(path, os.O_RDONLY)
    with catena_io.Context(mnt, 1 << 20) as ctx:
        ctx.register(fd)
        ring = ctx.ring("r", 16)
        if mode == "read":
            size = os.fstat(fd).st_size
            h = 14695981039346656037
            at = 0
            while at < size:
                n = ring.read(fd, at, 0, 1 << 20)
                h2 = h
                try:
                    import numpy
                    view = ctx.array("uint8", 0, n)
                    data = view.tobytes()
                    print("numpy=1")
                except ImportError:
                    data = bytes(ctx.buffer[:n])
                for b in data:
                    h2 = ((h2 ^ b) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
                h = h2
                at += n
            print("fnv=%016x" % h)
        elif mode == "errors":
            def res(fdn, fo, bo, n):
                try:
                    return ring.read(fdn, fo, bo, n)
                except OSError as e:
                    return -e.errno
            print("badfd=%d" % res(fd + 1000, 0, 0, 10))
            print("pastbuffer=%d" % res(fd, 0, 1 << 20, 1))
            print("lengthpast=%d" % res(fd, 0, (1 << 20) - 1, 2))
            print("good=%d" % res(fd, 0, 0, 4096))
        elif mode == "torn":
            other = ctx.ring("r", 16)
            mem = ring.mem()
            # An impossible tail: the daemon's next look (at the latest its 200 ms idle poll) finds the ring torn.
            ctypes.c_uint32.from_address(mem + OFF_SQ_TAIL).value = 99999
            for _ in range(500):
                if ctypes.c_uint32.from_address(mem + OFF_STATE).value == 2:
                    break
                time.sleep(0.01)
            print("closed=%d" % (ctypes.c_uint32.from_address(mem + OFF_STATE).value == 2))
            print("other=%d" % other.read(fd, 0, 0, 100))
        elif mode == "die":
            for i in range(16):
                ring.prep(fd, 0, 0, 1 << 20, i)
            ring.submit()
            print("dying=1", flush=True)
            os._exit(0)
    sys.stdout.flush()


if __name__ == "__main__":
    main()
