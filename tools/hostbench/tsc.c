/* The TSC rate, measured against CLOCK_MONOTONIC_RAW.
 *
 * Each window reads the pair (raw clock, TSC) at both ends and divides the
 * differences. One end is read as TSC, clock, TSC, keeping the tightest of a
 * few tries and its TSC midpoint, so that a preemption (a vCPU descheduled
 * by the host) between the reads does not skew the pair. The rate is the
 * median over the windows; their spread is reported. CPUID's stated rate
 * (leaf 15H on Intel, the hypervisor timing leaf 40000010H) is reported
 * alongside when the CPU gives one, for comparison only. */
#define _GNU_SOURCE
#include <cpuid.h>
#include <time.h>

#include "hostbench.h"

double monotonic_raw_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

typedef struct {
  double clock_ns;
  double tsc;
} Pair;

static Pair read_pair(void) {
  Pair best = {0, 0};
  uint64_t best_gap = UINT64_MAX;
  for (int i = 0; i < 8; i++) {
    struct timespec ts;
    uint64_t t0 = tsc_begin();
    clock_gettime(CLOCK_MONOTONIC_RAW, &ts);
    uint64_t t1 = tsc_end();
    if (t1 - t0 < best_gap) {
      best_gap = t1 - t0;
      best.clock_ns = (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
      best.tsc = (double)t0 + (double)(t1 - t0) / 2;
    }
  }
  return best;
}

static void cpuid_rate(TscInfo *t) {
  unsigned a, b, c, d;
  t->cpuid_ghz = 0;
  t->cpuid_src = "";
  if ((unsigned)__get_cpuid_max(0, NULL) >= 0x15) {
    __cpuid_count(0x15, 0, a, b, c, d);
    if (a && b && c) {
      t->cpuid_ghz = (double)c * b / a * 1e-9;
      t->cpuid_src = "cpuid.15h";
      return;
    }
  }
  __cpuid(1, a, b, c, d);
  if (!(c >> 31)) return; /* no hypervisor */
  __cpuid(0x40000000, a, b, c, d);
  if (a >= 0x40000010) {
    __cpuid(0x40000010, a, b, c, d);
    if (a) {
      t->cpuid_ghz = a * 1e-6;
      t->cpuid_src = "cpuid.40000010h";
    }
  }
}

TscInfo tsc_calibrate(bool quick) {
  TscInfo t;
  t.windows = quick ? 3 : 7;
  t.window_ms = quick ? 20 : 80;
  double rates[16];
  for (int w = 0; w < t.windows; w++) {
    Pair a = read_pair();
    struct timespec nap = {0, (long)(t.window_ms * 1e6)};
    nanosleep(&nap, NULL);
    Pair b = read_pair();
    rates[w] = (b.tsc - a.tsc) / (b.clock_ns - a.clock_ns);
  }
  Stats s = stats_of(rates, (size_t)t.windows);
  t.ghz = s.median;
  t.spread_ppm = (s.max - s.min) / s.median * 1e6;
  unsigned a, b, c, d;
  t.invariant = false;
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000007) {
    __cpuid(0x80000007, a, b, c, d);
    t.invariant = (d >> 8) & 1;
  }
  cpuid_rate(&t);
  return t;
}
