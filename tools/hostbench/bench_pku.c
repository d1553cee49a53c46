/* RDPKRU and WRPKRU in tight loops, on hosts with PKU.
 *
 * rdpkru: 8 RDPKRUs per loop iteration, results XORed together (the XORs
 *   do not depend on each other's RDPKRU, so this is throughput).
 * wrpkru: 8 WRPKRUs per iteration; "same" writes the current value every
 *   time, "toggle" alternates between denying and allowing a freshly
 *   allocated key that no page uses (so the process keeps all its access),
 *   which is what a sandbox switch does. The value is per instruction, in
 *   ns and TSC cycles; host.core_ghz converts to core cycles. The real PKRU
 *   value is written back at the end. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <sys/mman.h>

#include "hostbench.h"

enum { kPkruPerIter = 8 };

static uint32_t rd_loop(uint64_t iters) {
  uint32_t x = 0;
  for (uint64_t i = 0; i < iters; i++) {
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
    x ^= rdpkru();
  }
  return x;
}

static void wr_loop(uint64_t iters, uint32_t a, uint32_t b) {
  for (uint64_t i = 0; i < iters; i++) {
    wrpkru(b);
    wrpkru(a);
    wrpkru(b);
    wrpkru(a);
    wrpkru(b);
    wrpkru(a);
    wrpkru(b);
    wrpkru(a);
  }
}

static void missing_rows(Ctx *c, const char *bench, const char *const *patterns, int n) {
  for (int i = 0; i < n; i++) {
    Params ps = {0};
    if (patterns) params_str(&ps, "pattern", patterns[i]);
    report_missing(c, bench, patterns ? &ps : NULL, c->pku_why);
  }
}

void bench_rdpkru(Ctx *c) {
  if (!c->pku) {
    missing_rows(c, "rdpkru", NULL, 1);
    return;
  }
  uint64_t iters = 10000;
  size_t n = c->quick ? 21 : 201, warm = 10;
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  for (size_t i = 0; i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    keep(rd_loop(iters));
    uint64_t t1 = tsc_end();
    if (i >= warm) v[i - warm] = (double)(t1 - t0) / c->tsc_ghz / (double)(iters * kPkruPerIter);
  }
  report_row(c, "rdpkru", NULL, "instruction", v, n, warm, iters * kPkruPerIter, NULL);
  free(v);
}

void bench_wrpkru(Ctx *c) {
  static const char *const kPatterns[] = {"same", "toggle"};
  if (!c->pku) {
    missing_rows(c, "wrpkru", kPatterns, 2);
    return;
  }
  uint32_t orig = rdpkru();
  int key = pkey_alloc(0, 0);
  uint32_t allow = rdpkru(); /* the new key's bits are clear: access allowed */
  uint64_t iters = 10000;
  size_t n = c->quick ? 21 : 201, warm = 10;
  double *v = malloc(n * sizeof *v);
  for (int p = 0; v && p < 2; p++) {
    Params ps = {0};
    params_str(&ps, "pattern", kPatterns[p]);
    if (p == 1 && key <= 0) {
      report_missing(c, "wrpkru", &ps, "pkey_alloc failed: no free key to toggle");
      continue;
    }
    uint32_t other = p == 1 ? allow | (3u << (2 * key)) : allow;
    for (size_t i = 0; i < warm + n; i++) {
      uint64_t t0 = tsc_begin();
      wr_loop(iters, allow, other);
      uint64_t t1 = tsc_end();
      if (i >= warm) v[i - warm] = (double)(t1 - t0) / c->tsc_ghz / (double)(iters * kPkruPerIter);
    }
    report_row(c, "wrpkru", &ps, "instruction", v, n, warm, iters * kPkruPerIter, NULL);
  }
  if (key > 0) pkey_free(key);
  wrpkru(orig);
  free(v);
}
