"""Catena's native zero-copy I/O from Python: shared buffers and rings served by the Catena mount.

A thin ctypes layer over libcatena_io.so (see catena_io.h and docs/native-io.md). The library is looked up in
$CATENA_IO_LIB, then beside this file, then on the system's library path.

    import os, catena_io
    with catena_io.Context("/mnt/catena", 1 << 20) as ctx:
        fd = os.open("/mnt/catena/data.bin", os.O_RDONLY)
        ctx.register(fd)
        with ctx.ring("r", entries=64) as ring:
            n = ring.read(fd, file_offset=0, buf_offset=0, length=4096)   # bytes read (raises OSError on -errno)
        data = bytes(ctx.buffer[:n])               # a memoryview over the shared buffer
        arr = ctx.array("uint8", 0, n)             # a NumPy view of the same bytes (when NumPy is installed)
        ctx.deregister(fd); os.close(fd)

Errors raise OSError with the errno the library or the daemon reported. A Ring must be used by one thread at a time.
Views of the buffer (memoryview slices, NumPy arrays) are valid until the Context is closed, which unmaps it.
"""

import ctypes
import errno
import os

__all__ = ["Context", "Ring", "READ", "WRITE", "PRIO_HIGH", "PRIO_NORMAL", "PRIO_LOW"]

READ, WRITE = 0, 1
PRIO_HIGH, PRIO_NORMAL, PRIO_LOW = 0, 1, 2


class _Cqe(ctypes.Structure):
    _fields_ = [("user_data", ctypes.c_uint64), ("result", ctypes.c_int64)]


def _load():
    candidates = []
    if os.environ.get("CATENA_IO_LIB"):
        candidates.append(os.environ["CATENA_IO_LIB"])
    candidates.append(os.path.join(os.path.dirname(os.path.abspath(__file__)), "libcatena_io.so"))
    candidates.append("libcatena_io.so")
    last = None
    for path in candidates:
        try:
            lib = ctypes.CDLL(path)
            break
        except OSError as e:
            last = e
    else:
        raise OSError("libcatena_io.so not found (set CATENA_IO_LIB): %s" % last)
    vp, sz, u64, i32, u32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint64, ctypes.c_int, ctypes.c_uint
    sig = {
        "cio_ctx_create": (i32, [ctypes.c_char_p, sz, ctypes.POINTER(vp)]),
        "cio_ctx_destroy": (i32, [vp]),
        "cio_ctx_buf": (vp, [vp]),
        "cio_ctx_size": (sz, [vp]),
        "cio_ctx_key": (ctypes.c_char_p, [vp]),
        "cio_reg_fd": (i32, [vp, i32]),
        "cio_dereg_fd": (i32, [vp, i32]),
        "cio_ring_create": (i32, [vp, i32, u32, i32, ctypes.POINTER(vp)]),
        "cio_ring_destroy": (i32, [vp]),
        "cio_ring_entries": (u32, [vp]),
        "cio_ring_mem": (vp, [vp]),
        "cio_prep": (i32, [vp, i32, u64, u64, u64, u64]),
        "cio_submit": (i32, [vp]),
        "cio_wait": (i32, [vp, ctypes.POINTER(_Cqe), u32, u32, i32]),
    }
    for name, (res, args) in sig.items():
        f = getattr(lib, name)
        f.restype, f.argtypes = res, args
    return lib


_lib = None


def _library():
    global _lib
    if _lib is None:
        _lib = _load()
    return _lib


def _check(rc, what):
    if rc < 0:
        raise OSError(-rc, "%s: %s" % (what, os.strerror(-rc)))
    return rc


class Context:
    """A shared buffer registered with a Catena mount, and the descriptors and rings that use it."""

    def __init__(self, mountpoint, size):
        self._lib = _library()
        self._ctx = ctypes.c_void_p()
        _check(self._lib.cio_ctx_create(os.fsencode(mountpoint), size, ctypes.byref(self._ctx)), "cio_ctx_create")
        self.size = size
        addr = self._lib.cio_ctx_buf(self._ctx)
        self._raw = (ctypes.c_ubyte * size).from_address(addr)
        self.buffer = memoryview(self._raw).cast("B")
        self._rings = []

    @property
    def key(self):
        return self._lib.cio_ctx_key(self._ctx).decode()

    def array(self, dtype="uint8", offset=0, count=None):
        """A NumPy array viewing the shared buffer from byte `offset` (no copy). Needs NumPy."""
        import numpy
        dt = numpy.dtype(dtype)
        if count is None:
            count = (self.size - offset) // dt.itemsize
        if offset < 0 or count < 0 or offset + count * dt.itemsize > self.size:
            raise ValueError("view [%d, +%d x %d) lies outside the %d-byte buffer" % (offset, count, dt.itemsize,
                                                                                       self.size))
        return numpy.frombuffer(self._raw, dtype=dt, count=count, offset=offset)

    def register(self, fd):
        """Lets rings use `fd` (open on this mount) with the descriptor's access mode."""
        _check(self._lib.cio_reg_fd(self._ctx, fd), "cio_reg_fd")

    def deregister(self, fd):
        _check(self._lib.cio_dereg_fd(self._ctx, fd), "cio_dereg_fd")

    def ring(self, direction="r", entries=64, priority=PRIO_NORMAL):
        """A ring reading into ("r") or writing from ("w") this buffer, `entries` deep (a power of two)."""
        d = READ if direction in ("r", READ) else WRITE
        r = Ring(self, d, entries, priority)
        self._rings.append(r)
        return r

    def close(self):
        if self._ctx:
            for r in list(self._rings):
                r.close()
            try:
                self.buffer.release()
            except BufferError:
                pass  # slices of it are still alive; they must not be used after close
            self._raw = None
            _check(self._lib.cio_ctx_destroy(self._ctx), "cio_ctx_destroy")
            self._ctx = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class Ring:
    """A submission/completion ring over a Context's buffer. Not thread-safe."""

    def __init__(self, ctx, direction, entries, priority):
        self._ctx = ctx
        self._lib = ctx._lib
        self._ring = ctypes.c_void_p()
        _check(self._lib.cio_ring_create(ctx._ctx, direction, entries, priority, ctypes.byref(self._ring)),
               "cio_ring_create")
        self.entries = entries
        self._cqes = (_Cqe * entries)()

    def mem(self):
        """The ring's shared memory address (diagnostics and tests)."""
        return self._lib.cio_ring_mem(self._ring)

    def prep(self, fd, file_offset, buf_offset, length, user_data=0):
        """Queues one entry; False when the submission queue is full (submit and reap first)."""
        rc = self._lib.cio_prep(self._ring, fd, file_offset, buf_offset, length, user_data)
        if rc == -errno.EAGAIN:
            return False
        _check(rc, "cio_prep")
        return True

    def submit(self):
        """Publishes the queued entries; returns how many."""
        return _check(self._lib.cio_submit(self._ring), "cio_submit")

    def wait(self, min=1, max=None, timeout=None):
        """Reaps completions as [(user_data, result)], waiting for at least `min` up to `timeout` seconds."""
        max = self.entries if max is None else max
        ms = -1 if timeout is None else int(timeout * 1000)
        n = _check(self._lib.cio_wait(self._ring, self._cqes, max, min, ms), "cio_wait")
        return [(self._cqes[i].user_data, self._cqes[i].result) for i in range(n)]

    def _one(self, fd, file_offset, buf_offset, length):
        if not self.prep(fd, file_offset, buf_offset, length, 0):
            raise OSError(errno.EAGAIN, "ring full")
        self.submit()
        (_, res), = self.wait(1, 1, timeout=None)
        return _check(res, "ring I/O")

    def read(self, fd, file_offset, buf_offset, length):
        """One read into the buffer; returns the bytes read."""
        return self._one(fd, file_offset, buf_offset, length)

    def write(self, fd, file_offset, buf_offset, length):
        """One write from the buffer; returns the bytes written."""
        return self._one(fd, file_offset, buf_offset, length)

    def close(self):
        if self._ring:
            _check(self._lib.cio_ring_destroy(self._ring), "cio_ring_destroy")
            self._ring = None
            if self in self._ctx._rings:
                self._ctx._rings.remove(self)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
