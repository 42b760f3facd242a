/*
 * cio-bench: reads a file through a Catena ring from one process, fio-style, and prints IOPS and MB/s.
 *
 *   cio-bench MOUNTPOINT FILE [rand|seq] [BLOCK_BYTES] [QUEUE_DEPTH] [SECONDS]
 *
 * rand: BLOCK-aligned random offsets over the whole file (fio --rw=randread); seq: one pass after another from offset
 * 0 (fio --rw=read). QUEUE_DEPTH entries stay in flight. The last line is "result IOPS MBPS" for scripts.
 */
#include "catena_io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static uint64_t rng = 88172645463325252ULL;
static uint64_t next_random(void) {
  rng ^= rng << 13;
  rng ^= rng >> 7;
  rng ^= rng << 17;
  return rng;
}

static int fail(const char *what, int err) {
  fprintf(stderr, "cio-bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
  return 1;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: cio-bench MOUNTPOINT FILE [rand|seq] [BLOCK_BYTES] [QUEUE_DEPTH] [SECONDS]\n");
    return 2;
  }
  const char *mnt = argv[1], *path = argv[2];
  int random = argc <= 3 || strcmp(argv[3], "seq") != 0;
  uint64_t bs = argc > 4 ? strtoull(argv[4], NULL, 10) : 4096;
  unsigned qd = argc > 5 ? (unsigned)atoi(argv[5]) : 32;
  double seconds = argc > 6 ? atof(argv[6]) : 10;
  if (bs == 0 || qd == 0 || qd > CIO_MAX_ENTRIES) return fail("arguments", EINVAL);
  unsigned entries = 1;
  while (entries < qd) entries <<= 1;

  int fd = open(path, O_RDONLY);
  if (fd < 0) return fail(path, errno);
  struct stat st;
  fstat(fd, &st);
  uint64_t blocks = (uint64_t)st.st_size / bs;
  if (blocks == 0) return fail("file smaller than one block", EINVAL);

  cio_ctx *ctx;
  cio_ring *ring;
  int err = cio_ctx_create(mnt, (size_t)(bs * qd), &ctx);
  if (err) return fail("cio_ctx_create", err);
  if ((err = cio_reg_fd(ctx, fd))) return fail("cio_reg_fd", err);
  if ((err = cio_ring_create(ctx, CIO_READ, entries, CIO_PRIO_NORMAL, &ring))) return fail("cio_ring_create", err);

  uint64_t seq_block = 0, done = 0, bytes = 0;
  struct cio_cqe *cqes = calloc(entries, sizeof *cqes);
  double start = now(), end = start + seconds;
  for (unsigned slot = 0; slot < qd; slot++) {
    uint64_t b = random ? next_random() % blocks : seq_block++ % blocks;
    cio_prep(ring, fd, b * bs, slot * bs, bs, slot);
  }
  cio_submit(ring);
  unsigned in_flight = qd;
  while (in_flight > 0) {
    int n = cio_wait(ring, cqes, entries, 1, 10000);
    if (n <= 0) return fail("cio_wait", n == 0 ? ETIMEDOUT : n);
    int refill = now() < end;
    for (int i = 0; i < n; i++) {
      if (cqes[i].result < 0) return fail("read", (int)cqes[i].result);
      done++;
      bytes += (uint64_t)cqes[i].result;
      in_flight--;
      if (refill) {
        uint64_t slot = cqes[i].user_data;
        uint64_t b = random ? next_random() % blocks : seq_block++ % blocks;
        cio_prep(ring, fd, b * bs, slot * bs, bs, slot);
        in_flight++;
      }
    }
    cio_submit(ring);
  }
  double took = now() - start;
  printf("ring %s read bs=%llu qd=%u: %.0f IOPS, %.1f MB/s over %.1f s\n", random ? "random" : "sequential",
         (unsigned long long)bs, qd, done / took, bytes / took / 1e6, took);
  printf("result %.0f %.1f\n", done / took, bytes / took / 1e6);
  cio_ring_destroy(ring);
  cio_dereg_fd(ctx, fd);
  cio_ctx_destroy(ctx);
  close(fd);
  free(cqes);
  return 0;
}
