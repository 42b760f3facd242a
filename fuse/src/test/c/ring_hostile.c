/*
 * A misbehaving program for the native I/O tests: ring_hostile MOUNTPOINT FILE MODE. Prints "name=value" lines the
 * Java test checks. Modes:
 *   errors    malformed entries (bad fd, offsets past the buffer, lengths past the registration, flags) then a good one
 *   torn      publishes an impossible sq_tail on one ring, then reads through a second ring
 *   badcq     moves cq_head past the completions posted, then reads through a second ring
 *   truncate  registers its own buffer, shrinks it to nothing under the daemon's mapping, reads into it
 *   ringtrunc shrinks a ring's file under the daemon's mapping, then reads through a second ring
 *   die       submits many reads and exits at once without reaping them
 *   read      reads the whole file through a ring and prints its FNV-1a hash
 */
#define _GNU_SOURCE
#include "catena_io.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define U32(mem, off) ((uint32_t *)((char *)(mem) + (off)))

static int check(const char *what, int rc) {
  if (rc < 0) {
    printf("%s=%d\n", what, rc);
    fflush(stdout);
    exit(1);
  }
  return rc;
}

static long one(cio_ring *ring, int fd, uint64_t file_offset, uint64_t buf_offset, uint64_t length) {
  struct cio_cqe cqe;
  int rc = cio_prep(ring, fd, file_offset, buf_offset, length, 7);
  if (rc < 0) return rc;
  cio_submit(ring);
  rc = cio_wait(ring, &cqe, 1, 1, 30000);
  if (rc < 0) return rc;
  if (rc == 0) return -ETIMEDOUT;
  return (long)cqe.result;
}

static int wait_closed(cio_ring *ring) {
  for (int i = 0; i < 1000; i++) {
    if (__atomic_load_n(U32(cio_ring_mem(ring), CIO_OFF_STATE), __ATOMIC_ACQUIRE) == CIO_STATE_CLOSED) return 1;
    usleep(10000);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 4) return 2;
  const char *mnt = argv[1], *path = argv[2], *mode = argv[3];
  int fd = open(path, O_RDONLY);
  if (fd < 0) {
    printf("open=%d\n", -errno);
    return 1;
  }
  cio_ctx *ctx;
  cio_ring *ring, *other;
  check("ctx", cio_ctx_create(mnt, 1 << 20, &ctx));
  check("reg", cio_reg_fd(ctx, fd));
  check("ring", cio_ring_create(ctx, CIO_READ, 16, CIO_PRIO_NORMAL, &ring));

  if (strcmp(mode, "errors") == 0) {
    printf("badfd=%ld\n", one(ring, fd + 1000, 0, 0, 10));
    printf("pastbuffer=%ld\n", one(ring, fd, 0, 1 << 20, 1));
    printf("lengthpast=%ld\n", one(ring, fd, 0, (1 << 20) - 10, 11));
    printf("hugelength=%ld\n", one(ring, fd, 0, 0, CIO_MAX_LENGTH + 1));
    printf("negative=%ld\n", one(ring, fd, (uint64_t)-4096, 0, 10));
    printf("wrap=%ld\n", one(ring, fd, 0, UINT64_MAX - 5, 10));
    cio_prep(ring, fd, 0, 0, 10, 1);
    struct cio_sqe *sq = (struct cio_sqe *)((char *)cio_ring_mem(ring) + CIO_SQ_START);
    uint32_t tail = *U32(cio_ring_mem(ring), CIO_OFF_SQ_TAIL);
    sq[tail & 15].flags = 0x80;
    cio_submit(ring);
    struct cio_cqe cqe;
    cio_wait(ring, &cqe, 1, 1, 30000);
    printf("flags=%ld\n", (long)cqe.result);
    printf("good=%ld\n", one(ring, fd, 0, 0, 4096));
  } else if (strcmp(mode, "torn") == 0 || strcmp(mode, "badcq") == 0) {
    check("other", cio_ring_create(ctx, CIO_READ, 16, CIO_PRIO_NORMAL, &other));
    printf("before=%ld\n", one(ring, fd, 0, 0, 100));
    if (mode[0] == 't') {
      __atomic_store_n(U32(cio_ring_mem(ring), CIO_OFF_SQ_TAIL), 1u << 20, __ATOMIC_RELEASE);
    } else {
      __atomic_store_n(U32(cio_ring_mem(ring), CIO_OFF_CQ_HEAD), 12345u, __ATOMIC_RELEASE);
      cio_prep(ring, fd, 0, 0, 1, 1); /* the daemon looks at the counters when this arrives */
    }
    cio_submit(ring);
    printf("closed=%d\n", wait_closed(ring));
    printf("other=%ld\n", one(other, fd, 0, 0, 100));
  } else if (strcmp(mode, "truncate") == 0) {
    /* A buffer of our own, whose descriptor we keep so we can shrink it. */
    char shm[PATH_MAX], link[PATH_MAX];
    snprintf(shm, sizeof shm, "/dev/shm/ring-hostile-%d", (int)getpid());
    snprintf(link, sizeof link, "%s/.catena-virt/iovs/hostile%d.buf", mnt, (int)getpid());
    int sfd = open(shm, O_RDWR | O_CREAT | O_EXCL, 0600);
    ftruncate(sfd, 8 << 20);
    int linked = symlink(shm, link) == 0 ? 0 : -errno;
    unlink(shm); /* the descriptor is enough to shrink it; nothing is left behind if we fail below */
    check("symlink", linked);
    char name[PATH_MAX];
    snprintf(name, sizeof name, "%s/.catena-virt/iovs/hostile%d.fd%d", mnt, (int)getpid(), fd);
    char target[64];
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    check("regfd", symlink(target, name) == 0 ? 0 : -errno);
    /* A ring under the same key, made by hand. */
    snprintf(link, sizeof link, "%s/.catena-virt/iovs/hostile%d.r16", mnt, (int)getpid());
    char rshm[PATH_MAX];
    snprintf(rshm, sizeof rshm, "/dev/shm/ring-hostile-%d.r16", (int)getpid());
    int rfd = open(rshm, O_RDWR | O_CREAT | O_EXCL, 0600);
    ftruncate(rfd, 4096 * 2);
    void *rmem = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
    linked = symlink(rshm, link) == 0 ? 0 : -errno;
    unlink(rshm);
    check("ringlink", linked);
    ftruncate(sfd, 0); /* the daemon's mapping of the buffer now faults */
    struct cio_sqe *sq = (struct cio_sqe *)((char *)rmem + CIO_SQ_START);
    for (int i = 0; i < 4; i++) {
      sq[i] = (struct cio_sqe){.user_data = (uint64_t)i, .file_offset = 0, .buf_offset = (uint64_t)i << 20,
                               .length = 1 << 20, .fd = fd};
    }
    __atomic_store_n(U32(rmem, CIO_OFF_SQ_TAIL), 4, __ATOMIC_RELEASE);
    __atomic_fetch_add(U32(rmem, CIO_OFF_DOORBELL), 1, __ATOMIC_SEQ_CST);
    syscall(SYS_futex, U32(rmem, CIO_OFF_DOORBELL), 1 /* FUTEX_WAKE */, 1, NULL, NULL, 0);
    for (int i = 0; i < 3000 && __atomic_load_n(U32(rmem, CIO_OFF_CQ_TAIL), __ATOMIC_ACQUIRE) < 4; i++)
      usleep(10000);
    struct cio_cqe *cq = (struct cio_cqe *)((char *)rmem + CIO_SQ_START + 16 * 64);
    for (int i = 0; i < 4; i++) printf("truncated%d=%ld\n", i, (long)cq[i].result);
    printf("good=%ld\n", one(ring, fd, 0, 0, 100));
  } else if (strcmp(mode, "ringtrunc") == 0) {
    check("other", cio_ring_create(ctx, CIO_READ, 16, CIO_PRIO_NORMAL, &other));
    /* The library removes a ring's shm name once registered: make one by hand, keeping its descriptor. */
    char rshm[PATH_MAX], link[PATH_MAX];
    snprintf(rshm, sizeof rshm, "/dev/shm/ring-hostile-%d.r8", (int)getpid());
    snprintf(link, sizeof link, "%s/.catena-virt/iovs/%s.r8-t", mnt, cio_ctx_key(ctx));
    int rfd = open(rshm, O_RDWR | O_CREAT | O_EXCL, 0600);
    ftruncate(rfd, 4096);
    void *rmem = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, rfd, 0);
    int linked = symlink(rshm, link) == 0 ? 0 : -errno;
    unlink(rshm);
    check("ringlink", linked);
    ftruncate(rfd, 0);
    /* Our own stores would fault now too; the daemon's next idle look at the ring (at most 200 ms) faults. */
    (void)rmem;
    usleep(600000);
    char listing[PATH_MAX];
    snprintf(listing, sizeof listing, "%s/.catena-virt/iovs/%s.r8-t", mnt, cio_ctx_key(ctx));
    struct stat st;
    printf("gone=%d\n", lstat(listing, &st) != 0 && errno == ENOENT);
    printf("other=%ld\n", one(other, fd, 0, 0, 100));
  } else if (strcmp(mode, "die") == 0) {
    for (int i = 0; i < 16; i++) cio_prep(ring, fd, 0, 0, 1 << 20, (uint64_t)i);
    cio_submit(ring);
    printf("dying=1\n");
    fflush(stdout);
    _exit(0);
  } else if (strcmp(mode, "read") == 0) {
    struct stat st;
    fstat(fd, &st);
    uint64_t hash = 14695981039346656037ULL;
    unsigned char *buf = cio_ctx_buf(ctx);
    for (off_t at = 0; at < st.st_size; at += 1 << 20) {
      long n = one(ring, fd, (uint64_t)at, 0, 1 << 20);
      if (n < 0) {
        printf("read=%ld\n", n);
        return 1;
      }
      for (long i = 0; i < n; i++) hash = (hash ^ buf[i]) * 1099511628211ULL;
    }
    printf("fnv=%016llx\n", (unsigned long long)hash);
  }
  fflush(stdout);
  return 0;
}
