/*
 * libcatena_io: the program's side of Catena's ring I/O (see catena_io.h and docs/native-io.md). The memory-ordering
 * protocol is RingLayout.java's: entries are published with store-release of the tail, consumed after a
 * load-acquire of it, and each side re-checks the queue after a seq_cst fence before it sleeps on a futex, while the
 * other side publishes, fences, and wakes only when the sleeper's flag is set.
 */
#define _GNU_SOURCE
#include "catena_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define API __attribute__((visibility("default")))
#define IOVS "/.catena-virt/iovs/"
#define SHM_DIR "/dev/shm/"

_Static_assert(sizeof(struct cio_sqe) == 64, "an SQE is 64 bytes");
_Static_assert(sizeof(struct cio_cqe) == 16, "a CQE is 16 bytes");

struct cio_ctx {
  char key[48];
  char iovs[PATH_MAX];
  void *buf;
  size_t size;
  pthread_mutex_t lock;
  unsigned ring_seq;
  int *fds;
  size_t nfds, capfds;
};

struct cio_ring {
  cio_ctx *ctx;
  unsigned char *mem;
  size_t mem_size;
  unsigned entries, mask;
  uint32_t sq_prepared;  /* entries written, not yet published */
  uint32_t sq_published; /* our copy of sq_tail */
  uint32_t cq_head;      /* our copy of cq_head */
  char name[128];
};

static inline uint32_t *word(const cio_ring *r, int off) { return (uint32_t *)(r->mem + off); }
static inline uint32_t load_acquire(const uint32_t *p) { return __atomic_load_n(p, __ATOMIC_ACQUIRE); }
static inline void store_release(uint32_t *p, uint32_t v) { __atomic_store_n(p, v, __ATOMIC_RELEASE); }

static long futex(uint32_t *addr, int op, uint32_t val, const struct timespec *timeout) {
  /* Not FUTEX_PRIVATE_FLAG: the word is in a mapping shared with the daemon's process. */
  return syscall(SYS_futex, addr, op, val, timeout, NULL, 0);
}

static size_t ring_size(unsigned entries) {
  size_t raw = CIO_SQ_START + (size_t)entries * (sizeof(struct cio_sqe) + sizeof(struct cio_cqe));
  return (raw + 4095) / 4096 * 4096;
}

/*
 * Creates /dev/shm/catena-io.NAME of `size` bytes, maps it, and registers it as MNT/.catena-virt/iovs/NAME. The shm
 * name is removed once registered: the daemon and this process hold mappings, and nothing is left behind when the
 * program dies.
 */
static int register_shm(cio_ctx *ctx, const char *name, size_t size, void **map) {
  char shm[PATH_MAX], link[PATH_MAX];
  if (snprintf(shm, sizeof shm, SHM_DIR "catena-io.%s", name) >= (int)sizeof shm ||
      snprintf(link, sizeof link, "%s%s", ctx->iovs, name) >= (int)sizeof link)
    return -ENAMETOOLONG;
  int fd = open(shm, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) return -errno;
  int err = 0;
  void *p = MAP_FAILED;
  if (ftruncate(fd, (off_t)size) != 0) {
    err = -errno;
  } else {
    p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) err = -errno;
  }
  close(fd);
  if (err == 0 && symlink(shm, link) != 0) err = -errno;
  unlink(shm);
  if (err != 0) {
    if (p != MAP_FAILED) munmap(p, size);
    return err;
  }
  *map = p;
  return 0;
}

static int deregister(const cio_ctx *ctx, const char *name) {
  char link[PATH_MAX];
  if (snprintf(link, sizeof link, "%s%s", ctx->iovs, name) >= (int)sizeof link) return -ENAMETOOLONG;
  return unlink(link) == 0 ? 0 : -errno;
}

API int cio_ctx_create(const char *mountpoint, size_t size, cio_ctx **out) {
  if (mountpoint == NULL || out == NULL || size == 0) return -EINVAL;
  cio_ctx *ctx = calloc(1, sizeof *ctx);
  if (ctx == NULL) return -ENOMEM;
  if (snprintf(ctx->iovs, sizeof ctx->iovs, "%s" IOVS, mountpoint) >= (int)sizeof ctx->iovs) {
    free(ctx);
    return -ENAMETOOLONG;
  }
  uint32_t rnd = 0;
  if (getrandom(&rnd, sizeof rnd, 0) != sizeof rnd) rnd = (uint32_t)time(NULL) ^ (uint32_t)(uintptr_t)ctx;
  snprintf(ctx->key, sizeof ctx->key, "cio-%d-%08x", (int)getpid(), rnd);
  pthread_mutex_init(&ctx->lock, NULL);
  char name[96];
  snprintf(name, sizeof name, "%s.buf", ctx->key);
  int err = register_shm(ctx, name, size, &ctx->buf);
  if (err != 0) {
    pthread_mutex_destroy(&ctx->lock);
    free(ctx);
    return err;
  }
  ctx->size = size;
  *out = ctx;
  return 0;
}

API int cio_ctx_destroy(cio_ctx *ctx) {
  if (ctx == NULL) return -EINVAL;
  char name[96];
  for (size_t i = 0; i < ctx->nfds; i++) {
    snprintf(name, sizeof name, "%s.fd%d", ctx->key, ctx->fds[i]);
    deregister(ctx, name);
  }
  snprintf(name, sizeof name, "%s.buf", ctx->key);
  int err = deregister(ctx, name);
  munmap(ctx->buf, ctx->size);
  pthread_mutex_destroy(&ctx->lock);
  free(ctx->fds);
  free(ctx);
  return err;
}

API void *cio_ctx_buf(const cio_ctx *ctx) { return ctx->buf; }
API size_t cio_ctx_size(const cio_ctx *ctx) { return ctx->size; }
API const char *cio_ctx_key(const cio_ctx *ctx) { return ctx->key; }

API int cio_reg_fd(cio_ctx *ctx, int fd) {
  if (ctx == NULL || fd < 0) return -EINVAL;
  char name[96], link[PATH_MAX], target[64];
  snprintf(name, sizeof name, "%s.fd%d", ctx->key, fd);
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (snprintf(link, sizeof link, "%s%s", ctx->iovs, name) >= (int)sizeof link) return -ENAMETOOLONG;
  pthread_mutex_lock(&ctx->lock);
  int err = 0;
  if (ctx->nfds == ctx->capfds) {
    size_t cap = ctx->capfds ? ctx->capfds * 2 : 8;
    int *grown = realloc(ctx->fds, cap * sizeof *grown);
    if (grown == NULL) err = -ENOMEM;
    else {
      ctx->fds = grown;
      ctx->capfds = cap;
    }
  }
  if (err == 0 && symlink(target, link) != 0) err = -errno;
  if (err == 0) ctx->fds[ctx->nfds++] = fd;
  pthread_mutex_unlock(&ctx->lock);
  return err;
}

API int cio_dereg_fd(cio_ctx *ctx, int fd) {
  if (ctx == NULL) return -EINVAL;
  char name[96];
  snprintf(name, sizeof name, "%s.fd%d", ctx->key, fd);
  pthread_mutex_lock(&ctx->lock);
  for (size_t i = 0; i < ctx->nfds; i++) {
    if (ctx->fds[i] == fd) {
      ctx->fds[i] = ctx->fds[--ctx->nfds];
      break;
    }
  }
  pthread_mutex_unlock(&ctx->lock);
  return deregister(ctx, name);
}

API int cio_ring_create(cio_ctx *ctx, int direction, unsigned entries, int priority, cio_ring **out) {
  if (ctx == NULL || out == NULL || (direction != CIO_READ && direction != CIO_WRITE) || entries == 0 ||
      entries > CIO_MAX_ENTRIES || (entries & (entries - 1)) != 0 || priority < CIO_PRIO_HIGH ||
      priority > CIO_PRIO_LOW)
    return -EINVAL;
  cio_ring *r = calloc(1, sizeof *r);
  if (r == NULL) return -ENOMEM;
  pthread_mutex_lock(&ctx->lock);
  unsigned seq = ++ctx->ring_seq;
  pthread_mutex_unlock(&ctx->lock);
  snprintf(r->name, sizeof r->name, "%s.%c%up%d-%u", ctx->key, direction == CIO_READ ? 'r' : 'w', entries,
           priority, seq);
  r->ctx = ctx;
  r->entries = entries;
  r->mask = entries - 1;
  r->mem_size = ring_size(entries);
  void *mem;
  int err = register_shm(ctx, r->name, r->mem_size, &mem);
  if (err != 0) {
    free(r);
    return err;
  }
  r->mem = mem;
  /* The daemon wrote the header while accepting the symlink. */
  if (load_acquire(word(r, CIO_OFF_MAGIC)) != CIO_RING_MAGIC ||
      load_acquire(word(r, CIO_OFF_STATE)) != CIO_STATE_SERVING) {
    deregister(ctx, r->name);
    munmap(r->mem, r->mem_size);
    free(r);
    return -EPROTO;
  }
  *out = r;
  return 0;
}

API int cio_ring_destroy(cio_ring *r) {
  if (r == NULL) return -EINVAL;
  int err = deregister(r->ctx, r->name);
  munmap(r->mem, r->mem_size);
  free(r);
  return err;
}

API unsigned cio_ring_entries(const cio_ring *r) { return r->entries; }
API void *cio_ring_mem(const cio_ring *r) { return r->mem; }

API int cio_prep(cio_ring *r, int fd, uint64_t file_offset, uint64_t buf_offset, uint64_t length,
                 uint64_t user_data) {
  if (load_acquire(word(r, CIO_OFF_STATE)) == CIO_STATE_CLOSED) return -ESHUTDOWN;
  uint32_t head = load_acquire(word(r, CIO_OFF_SQ_HEAD));
  if (r->sq_prepared - head >= r->entries) return -EAGAIN;
  struct cio_sqe *e = (struct cio_sqe *)(r->mem + CIO_SQ_START) + (r->sq_prepared & r->mask);
  e->user_data = user_data;
  e->file_offset = file_offset;
  e->buf_offset = buf_offset;
  e->length = length;
  e->fd = fd;
  e->flags = 0;
  r->sq_prepared++;
  return 0;
}

static void wake_daemon_if(cio_ring *r, int any_reason) {
  __atomic_fetch_add(word(r, CIO_OFF_DOORBELL), 1, __ATOMIC_SEQ_CST);
  __atomic_thread_fence(__ATOMIC_SEQ_CST);
  uint32_t why = __atomic_load_n(word(r, CIO_OFF_DAEMON_SLEEPING), __ATOMIC_RELAXED);
  if (why == CIO_SLEEP_FOR_ROOM || (any_reason && why != CIO_SLEEP_NONE))
    futex(word(r, CIO_OFF_DOORBELL), FUTEX_WAKE, 1, NULL);
}

API int cio_submit(cio_ring *r) {
  uint32_t n = r->sq_prepared - r->sq_published;
  if (n == 0) return 0;
  store_release(word(r, CIO_OFF_SQ_TAIL), r->sq_prepared);
  r->sq_published = r->sq_prepared;
  wake_daemon_if(r, 1);
  return (int)n;
}

static int64_t now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

API int cio_wait(cio_ring *r, struct cio_cqe *out, unsigned max, unsigned min, int timeout_ms) {
  if (min > max) return -EINVAL;
  int64_t deadline = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
  unsigned got = 0;
  const struct cio_cqe *cq = (const struct cio_cqe *)(r->mem + CIO_SQ_START + (size_t)r->entries * 64);
  for (;;) {
    uint32_t tail = load_acquire(word(r, CIO_OFF_CQ_TAIL));
    unsigned before = got;
    while (r->cq_head != tail && got < max) out[got++] = cq[r->cq_head++ & r->mask];
    if (got != before) {
      store_release(word(r, CIO_OFF_CQ_HEAD), r->cq_head);
      wake_daemon_if(r, 0); /* only a daemon waiting for completion room needs this */
    }
    if (got >= min || got == max) return (int)got;
    if (load_acquire(word(r, CIO_OFF_STATE)) == CIO_STATE_CLOSED) return got > 0 ? (int)got : -ESHUTDOWN;
    int64_t left = -1;
    if (deadline >= 0) {
      left = deadline - now_ms();
      if (left <= 0) return (int)got;
    }
    __atomic_store_n(word(r, CIO_OFF_CQ_WAITING), 1, __ATOMIC_RELAXED);
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (load_acquire(word(r, CIO_OFF_CQ_TAIL)) == r->cq_head &&
        load_acquire(word(r, CIO_OFF_STATE)) != CIO_STATE_CLOSED) {
      struct timespec ts = {left / 1000, (left % 1000) * 1000000};
      futex(word(r, CIO_OFF_CQ_TAIL), FUTEX_WAIT, r->cq_head, left < 0 ? NULL : &ts);
    }
    __atomic_store_n(word(r, CIO_OFF_CQ_WAITING), 0, __ATOMIC_RELAXED);
  }
}
