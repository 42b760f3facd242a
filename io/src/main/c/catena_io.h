/*
 * catena_io.h: Catena's native zero-copy I/O (the USRBIO idea of DeepSeek 3FS) for C programs.
 *
 * A program creates a context: a shared-memory data buffer that the Catena mount's daemon maps too. It opens files
 * through the mount as usual and registers their descriptors with the context; the daemon then checks, through
 * /proc, that this process really holds each descriptor open on that mount and with which access mode, and opens the
 * file itself as this process's user (so a ring can never do what the descriptor could not). Rings are
 * submission/completion queues in shared memory: the program puts entries {fd, file offset, buffer offset, length,
 * user data} in, the daemon reads or writes the file's chunks straight between the storage servers and the buffer
 * and posts {user data, bytes or -errno}. docs/native-io.md describes the design; this header is the API.
 *
 *   cio_ctx *ctx; cio_ring *ring; struct cio_cqe cqe;
 *   cio_ctx_create("/mnt/catena", 64 << 20, &ctx);
 *   int fd = open("/mnt/catena/data.bin", O_RDONLY);
 *   cio_reg_fd(ctx, fd);
 *   cio_ring_create(ctx, CIO_READ, 64, CIO_PRIO_NORMAL, &ring);
 *   cio_prep(ring, fd, 0, 0, 1 << 20, 42);          // read 1 MiB at file offset 0 into the buffer's start
 *   cio_submit(ring);
 *   cio_wait(ring, &cqe, 1, 1, -1);                 // cqe.user_data == 42, cqe.result == bytes read or -errno
 *   ... use cio_ctx_buf(ctx) ...
 *   cio_ring_destroy(ring); cio_dereg_fd(ctx, fd); close(fd); cio_ctx_destroy(ctx);
 *
 * Every function returns 0 (or a count) on success and -errno on failure. Threads: a context may be shared; each
 * ring must be used by one thread at a time. A context belongs to the process that created it: the daemon drops
 * every registration of a process when it exits (a forked child must create its own).
 */
#ifndef CATENA_IO_H
#define CATENA_IO_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define CIO_READ 0  /* the ring reads files into the buffer */
#define CIO_WRITE 1 /* the ring writes the buffer to files */

#define CIO_PRIO_HIGH 0
#define CIO_PRIO_NORMAL 1
#define CIO_PRIO_LOW 2

#define CIO_MAX_ENTRIES 4096
#define CIO_MAX_LENGTH (1ULL << 30) /* the most one entry may move */

/* One submission (64 bytes in the ring). */
struct cio_sqe {
  uint64_t user_data;   /* handed back in the completion */
  uint64_t file_offset; /* where in the file */
  uint64_t buf_offset;  /* where in the context's buffer */
  uint64_t length;      /* how many bytes (reads stop at end of file) */
  int32_t fd;           /* a descriptor registered with cio_reg_fd */
  uint32_t flags;       /* 0 */
  uint64_t reserved[3];
};

/* One completion (16 bytes in the ring). */
struct cio_cqe {
  uint64_t user_data;
  int64_t result; /* bytes transferred, or -errno (EBADF, EFAULT, EINVAL, EACCES, EDQUOT, EIO, ETIMEDOUT...) */
};

/* The ring file's layout (see RingLayout.java: both must agree, a test checks). */
#define CIO_RING_MAGIC 0x524f4943u
#define CIO_RING_VERSION 1u
#define CIO_OFF_MAGIC 0
#define CIO_OFF_VERSION 4
#define CIO_OFF_ENTRIES 8
#define CIO_OFF_DIRECTION 12
#define CIO_OFF_PRIORITY 16
#define CIO_OFF_STATE 20
#define CIO_OFF_SQE_SIZE 24
#define CIO_OFF_CQE_SIZE 28
#define CIO_OFF_SQ 32
#define CIO_OFF_CQ 36
#define CIO_OFF_SQ_TAIL 64
#define CIO_OFF_CQ_HEAD 68
#define CIO_OFF_CQ_WAITING 72
#define CIO_OFF_SQ_HEAD 128
#define CIO_OFF_CQ_TAIL 132
#define CIO_OFF_DAEMON_SLEEPING 136
#define CIO_OFF_DOORBELL 192
#define CIO_SQ_START 512
#define CIO_STATE_NEW 0
#define CIO_STATE_SERVING 1
#define CIO_STATE_CLOSED 2
#define CIO_SLEEP_NONE 0
#define CIO_SLEEP_FOR_SUBMISSIONS 1
#define CIO_SLEEP_FOR_ROOM 2

typedef struct cio_ctx cio_ctx;
typedef struct cio_ring cio_ring;

/* Creates a context with a `size`-byte shared buffer registered with the Catena mount at `mountpoint`. */
int cio_ctx_create(const char *mountpoint, size_t size, cio_ctx **out);
/* Deregisters the context's rings, descriptors and buffer and unmaps it. The descriptors stay open. */
int cio_ctx_destroy(cio_ctx *ctx);
void *cio_ctx_buf(const cio_ctx *ctx);
size_t cio_ctx_size(const cio_ctx *ctx);
/* The key naming the context's registrations in MNT/.catena-virt/iovs/. */
const char *cio_ctx_key(const cio_ctx *ctx);

/* Registers `fd`, open on the context's mount; rings use the file with the descriptor's access mode. */
int cio_reg_fd(cio_ctx *ctx, int fd);
int cio_dereg_fd(cio_ctx *ctx, int fd);

/* A ring of `entries` (a power of two up to CIO_MAX_ENTRIES) in `direction` (CIO_READ or CIO_WRITE). */
int cio_ring_create(cio_ctx *ctx, int direction, unsigned entries, int priority, cio_ring **out);
int cio_ring_destroy(cio_ring *ring);
unsigned cio_ring_entries(const cio_ring *ring);
/* The ring's shared memory, for diagnostics and tests. */
void *cio_ring_mem(const cio_ring *ring);

/* Queues one entry (not yet visible to the daemon); -EAGAIN when the submission queue is full. */
int cio_prep(cio_ring *ring, int fd, uint64_t file_offset, uint64_t buf_offset, uint64_t length,
             uint64_t user_data);
/* Publishes the queued entries to the daemon and wakes it if it sleeps; returns how many were published. */
int cio_submit(cio_ring *ring);
/*
 * Reaps up to `max` completions into `out`, waiting until at least `min` are there or `timeout_ms` passed (-1: no
 * limit). Returns how many it reaped (fewer than `min` after a timeout), or -ESHUTDOWN once the daemon deregistered
 * the ring and nothing is left to reap.
 */
int cio_wait(cio_ring *ring, struct cio_cqe *out, unsigned max, unsigned min, int timeout_ms);

#ifdef __cplusplus
}
#endif
#endif
