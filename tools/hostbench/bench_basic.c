/* The timer itself, the core clock and a null system call.
 *
 * timer:      an empty region between tsc_begin() and tsc_end(); every
 *             single-op measurement (a fault, an mprotect call) includes
 *             this once.
 * core_clock: a chain of dependent 64-bit IMULs, 3 cycles each on every
 *             Intel core since Nehalem and every AMD Zen, timed with the TSC:
 *             core GHz = 3 * IMULs / seconds. The TSC ticks at a fixed rate;
 *             the core may run faster (turbo) or slower, and the simulator
 *             counts core cycles.
 * syscall:    syscall(SYS_getppid) in batches; a sample is one batch, the
 *             value its time divided by the batch size. getppid takes no
 *             lock and touches no user memory: entry, dispatch, exit and
 *             whatever mitigations the kernel applies on the way. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostbench.h"

void bench_timer(Ctx *c) {
  size_t n = c->quick ? 2000 : 20000, warm = 1000;
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  for (size_t i = 0; i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    uint64_t t1 = tsc_end();
    if (i >= warm) v[i - warm] = (double)(t1 - t0) / c->tsc_ghz;
  }
  report_row(c, "timer", NULL, "timestamp pair", v, n, warm, 1, NULL);
  free(v);
}

enum { kImulsPerIter = 16, kImulLatencyCycles = 3 };

static uint64_t imul_chain(uint64_t iters) {
  uint64_t x = 1, m = 0x9E3779B97F4A7C15ull;
  for (uint64_t i = 0; i < iters; i++) {
    __asm__ volatile(
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0\n\t"
        "imul %1, %0\n\timul %1, %0\n\timul %1, %0\n\timul %1, %0"
        : "+r"(x)
        : "r"(m));
  }
  return x;
}

void bench_core_clock(Ctx *c) {
  size_t n = c->quick ? 20 : 200, warm = 20;
  uint64_t iters = 20000; /* ~1M cycles a sample */
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  for (size_t i = 0; i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    keep(imul_chain(iters));
    uint64_t t1 = tsc_end();
    double ns = (double)(t1 - t0) / c->tsc_ghz;
    if (i >= warm) v[i - warm] = (double)(iters * kImulsPerIter * kImulLatencyCycles) / ns;
  }
  Params ps = {0};
  params_str(&ps, "method", "imul_chain");
  Stats s =
      report_value_row(c, "core_clock", &ps, "GHz", "core", v, n, warm, iters * kImulsPerIter);
  c->core_ghz = s.median;
  free(v);
}

void bench_syscall(Ctx *c) {
  size_t batch = c->quick ? 200 : 1000;
  size_t n = c->quick ? 30 : 300, warm = c->quick ? 5 : 20;
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  for (size_t i = 0; i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    for (size_t k = 0; k < batch; k++) syscall(SYS_getppid);
    uint64_t t1 = tsc_end();
    if (i >= warm) v[i - warm] = (double)(t1 - t0) / c->tsc_ghz / (double)batch;
  }
  Params ps = {0};
  params_str(&ps, "call", "getppid");
  report_row(c, "syscall", &ps, "call", v, n, warm, batch, NULL);
  free(v);
}
