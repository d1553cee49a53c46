/* The peer thread of the mprotect benchmarks, on the other CPU.
 *
 * active:  reads one byte of every 4 KiB page of the region, round and
 *          round, until told to stop: the mm is loaded on the peer's CPU and
 *          its TLB holds entries of the region, so every flush of the region
 *          must reach it (a shootdown IPI, acknowledged before mprotect
 *          returns).
 * blocked: reads every page once, then sleeps in read(2) on an empty pipe.
 *          Its CPU goes idle and keeps the mm loaded lazily; Linux does not
 *          send lazy CPUs an IPI for a flush that frees no page tables
 *          (should_flush_tlb() in arch/x86/mm/tlb.c), so this is expected to
 *          cost about what "alone" costs.
 * The peer only reads, so it never faults while the region is read-only. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hostbench.h"

struct Peer {
  pthread_t thread;
  PeerMode mode;
  const volatile char *base;
  size_t bytes;
  int cpu;
  int pipe_fd[2];
  atomic_int ready; /* 1 running, -1 could not pin */
  atomic_int stop;
  atomic_int tid;
};

const char *peer_name(PeerMode m) {
  switch (m) {
    case kPeerAlone:
      return "alone";
    case kPeerActive:
      return "active";
    case kPeerBlocked:
      return "blocked";
  }
  return "?";
}

static void *peer_main(void *arg) {
  Peer *p = arg;
  atomic_store(&p->tid, (int)gettid());
  if (!pin_self(p->cpu)) {
    atomic_store(&p->ready, -1);
    return NULL;
  }
  uint64_t sum = 0;
  for (size_t off = 0; off < p->bytes; off += kPageBytes) sum += p->base[off];
  if (p->mode == kPeerActive) {
    atomic_store(&p->ready, 1);
    while (!atomic_load_explicit(&p->stop, memory_order_relaxed)) {
      for (size_t off = 0; off < p->bytes; off += kPageBytes) {
        sum += p->base[off];
        if (atomic_load_explicit(&p->stop, memory_order_relaxed)) break;
      }
    }
  } else {
    atomic_store(&p->ready, 1);
    char c;
    while (read(p->pipe_fd[0], &c, 1) < 0) {
    }
  }
  keep(sum);
  return NULL;
}

/* The scheduler state letter of thread `tid` ('S' sleeping, 'R' running). */
static char thread_state(int tid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
  FILE *f = fopen(path, "r");
  if (!f) return '?';
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *rp = strrchr(buf, ')'); /* the command name may hold spaces */
  return rp && rp[1] == ' ' ? rp[2] : '?';
}

static void nap_ms(long ms) {
  struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
  nanosleep(&ts, NULL);
}

Peer *peer_start(const Ctx *c, PeerMode m, const Region *r, const char **why) {
  *why = NULL;
  if (m == kPeerAlone) return NULL;
  if (c->cpu_peer < 0) {
    *why = "needs a second CPU";
    return NULL;
  }
  Peer *p = calloc(1, sizeof *p);
  if (!p) {
    *why = "out of memory";
    return NULL;
  }
  p->mode = m;
  p->base = r->base;
  p->bytes = r->bytes;
  p->cpu = c->cpu_peer;
  if (pipe(p->pipe_fd) != 0) {
    free(p);
    *why = "pipe() failed";
    return NULL;
  }
  if (pthread_create(&p->thread, NULL, peer_main, p) != 0) {
    close(p->pipe_fd[0]);
    close(p->pipe_fd[1]);
    free(p);
    *why = "pthread_create failed";
    return NULL;
  }
  while (atomic_load(&p->ready) == 0) __builtin_ia32_pause();
  if (atomic_load(&p->ready) < 0) {
    peer_stop(p);
    *why = "cannot pin the peer thread to the second CPU";
    return NULL;
  }
  if (m == kPeerBlocked) {
    /* wait until it sleeps in read(2), then let its CPU go idle */
    for (int i = 0; i < 2000 && thread_state(atomic_load(&p->tid)) != 'S'; i++) nap_ms(1);
    if (thread_state(atomic_load(&p->tid)) != 'S') {
      peer_stop(p);
      *why = "the peer thread did not block";
      return NULL;
    }
    nap_ms(5);
  }
  return p;
}

void peer_stop(Peer *p) {
  if (!p) return;
  atomic_store(&p->stop, 1);
  char c = 1;
  ssize_t w = write(p->pipe_fd[1], &c, 1); /* wakes the blocked peer */
  (void)w;
  pthread_join(p->thread, NULL);
  close(p->pipe_fd[0]);
  close(p->pipe_fd[1]);
  free(p);
}
