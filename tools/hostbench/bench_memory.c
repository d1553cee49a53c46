/* Load latency and memory-level parallelism, with 4 KiB pages and with THP.
 *
 * chase: a dependent pointer chase through a random cyclic permutation
 *   (Sattolo's algorithm) of the cache lines of a working set, one 64-byte
 *   node per line, the next pointer at offset 0, so every load's address is
 *   the previous load's value and prefetchers cannot follow. Working sets
 *   are the first W bytes of one 1 GiB region, W = 16 KiB .. 1 GiB by
 *   powers of 2. A sample is 2^20 loads (continuing along the cycle); the
 *   value is ns per load: the load-to-use latency of the level W fits in,
 *   plus the page walk where W exceeds the TLB's reach.
 * indep: independent loads of one byte of random lines of a 1 GiB region,
 *   the line numbers precomputed in an array (20 M of them, 4 bytes each,
 *   read sequentially). The core overlaps as many misses as its miss
 *   buffers and page walkers allow; ns per load is the inverse of that
 *   throughput. A sample is a slice of 2 M loads.
 * wrpkru_misses: the indep loop with a WRPKRU pair (deny, then allow again,
 *   an unused key) after every k loads, and the same loop without the pair
 *   (a compiler barrier only); the difference is what WRPKRU's ordering
 *   costs among cache misses. Needs PKU. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hostbench.h"

typedef struct {
  Region r;
  const char *page_size; /* "4k", "2m", "mixed" */
  double huge_fraction;
} Buffer;

/* Maps a populated region of `kind`; on failure `why` says why. */
static bool buffer_map(Ctx *c, Buffer *b, size_t bytes, PageKind kind, const char **why) {
  static char msg[128];
  memset(b, 0, sizeof *b);
  b->page_size = kind == kPagesThp ? "2m" : "4k";
  if (kind == kPagesThp && !c->thp_usable) {
    *why = "THP is disabled on this host (transparent_hugepage/enabled = never)";
    return false;
  }
  report_progress(c, "populating %zu MiB of %s pages", bytes >> 20,
                  kind == kPagesThp ? "THP" : "4 KiB");
  int err = region_map(&b->r, bytes, kind, true);
  if (err) {
    *why = region_error(err);
    return false;
  }
  long long huge = smaps_huge_bytes(b->r.base);
  b->huge_fraction = huge < 0 ? -1 : (double)huge / (double)bytes;
  if (kind == kPagesThp) {
    if (huge <= 0) {
      snprintf(msg, sizeof msg, "THP not granted: AnonHugePages %s of %zu kB",
               huge < 0 ? "unreadable" : "0 kB", bytes >> 10);
      *why = msg;
      region_unmap(&b->r);
      return false;
    }
    if (huge < (long long)bytes) b->page_size = "mixed";
  } else if (huge > 0) {
    b->page_size = "mixed";
  }
  return true;
}

static void buffer_notes(const Buffer *b, Notes *n) {
  memset(n, 0, sizeof *n);
  if (b->huge_fraction >= 0) notes_add(n, "huge_fraction", b->huge_fraction);
}

/* ---- chase ---------------------------------------------------------------- */

static void chase_build(char *base, size_t nodes, uint32_t *perm, uint64_t *rng) {
  for (size_t i = 0; i < nodes; i++) perm[i] = (uint32_t)i;
  for (size_t i = nodes - 1; i > 0; i--) { /* Sattolo: one cycle through all */
    size_t j = (size_t)rng_below(rng, i);
    uint32_t t = perm[i];
    perm[i] = perm[j];
    perm[j] = t;
  }
  for (size_t i = 0; i < nodes; i++)
    *(char **)(base + i * kLineBytes) = base + (size_t)perm[i] * kLineBytes;
}

#define CHASE1 p = *(char *const *)p;
#define CHASE4 CHASE1 CHASE1 CHASE1 CHASE1
#define CHASE16 CHASE4 CHASE4 CHASE4 CHASE4

/* Follows `steps` (a multiple of 16) pointers from `p`. */
static char *chase_run(char *p, size_t steps) {
  for (size_t i = 0; i < steps; i += 16) {
    CHASE16
  }
  return p;
}

enum { kChaseMaxShift = 30, kChaseMinShift = 14 };

static void chase_params(Params *ps, size_t bytes, const char *page_size) {
  memset(ps, 0, sizeof *ps);
  params_int(ps, "bytes", (long long)bytes);
  params_str(ps, "page_size", page_size);
}

static void chase_kind(Ctx *c, PageKind kind, uint32_t *perm) {
  int max_shift = c->quick ? 26 : kChaseMaxShift;
  int step = c->quick ? 4 : 1;
  size_t loads = c->quick ? (size_t)1 << 17 : (size_t)1 << 20;
  Buffer b;
  const char *why = NULL;
  if (!buffer_map(c, &b, (size_t)1 << max_shift, kind, &why)) {
    for (int s = kChaseMinShift; s <= max_shift; s += step) {
      Params ps;
      chase_params(&ps, (size_t)1 << s, kind == kPagesThp ? "2m" : "4k");
      report_missing(c, "chase", &ps, why);
    }
    return;
  }
  uint64_t rng = 0x243F6A8885A308D3ull;
  for (int s = kChaseMinShift; s <= max_shift; s += step) {
    size_t bytes = (size_t)1 << s, nodes = bytes / kLineBytes;
    Params ps;
    chase_params(&ps, bytes, b.page_size);
    chase_build(b.r.base, nodes, perm, &rng);
    char *p = b.r.base;
    size_t warm_loads = nodes < loads ? loads : nodes;
    if (warm_loads > 2 * loads) warm_loads = 2 * loads;
    warm_loads &= ~(size_t)15;
    uint64_t t0 = tsc_begin();
    p = chase_run(p, warm_loads);
    double est = (double)(tsc_end() - t0) / c->tsc_ghz / (double)warm_loads * (double)loads;
    size_t n = samples_for(est, c->quick ? 0.01 : 0.3, c->quick ? 3 : 11, c->quick ? 7 : 41);
    double *v = malloc(n * sizeof *v);
    if (!v) break;
    for (size_t i = 0; i < n; i++) {
      uint64_t a = tsc_begin();
      p = chase_run(p, loads);
      uint64_t e = tsc_end();
      v[i] = (double)(e - a) / c->tsc_ghz / (double)loads;
    }
    keep((uint64_t)(uintptr_t)p);
    Notes notes;
    buffer_notes(&b, &notes);
    report_row(c, "chase", &ps, "load", v, n, 1, loads, &notes);
    free(v);
  }
  region_unmap(&b.r);
}

void bench_chase(Ctx *c) {
  size_t max_nodes = ((size_t)1 << (c->quick ? 26 : kChaseMaxShift)) / kLineBytes;
  uint32_t *perm = malloc(max_nodes * sizeof *perm);
  if (!perm) {
    report_missing(c, "chase", NULL, "out of memory for the permutation");
    return;
  }
  chase_kind(c, kPages4k, perm);
  chase_kind(c, kPagesThp, perm);
  free(perm);
}

/* ---- independent loads ---------------------------------------------------- */

typedef struct {
  size_t region_bytes;
  size_t total_loads; /* the index array */
  size_t slice_loads; /* loads per sample */
} IndepShape;

static IndepShape indep_shape(const Ctx *c, size_t slice_full) {
  IndepShape s;
  s.region_bytes = c->quick ? (size_t)64 << 20 : (size_t)1 << 30;
  s.total_loads = c->quick ? (size_t)2 << 20 : (size_t)20 << 20;
  s.slice_loads = c->quick ? (size_t)256 << 10 : slice_full;
  return s;
}

static uint32_t *indep_indices(const IndepShape *s) {
  uint32_t *idx = malloc(s->total_loads * sizeof *idx);
  if (!idx) return NULL;
  size_t lines = s->region_bytes / kLineBytes;
  uint64_t rng = 0x13198A2E03707344ull;
  for (size_t i = 0; i < s->total_loads; i++) idx[i] = (uint32_t)rng_below(&rng, lines);
  return idx;
}

static uint64_t indep_run(const char *base, const uint32_t *idx, size_t n) {
  uint64_t sum = 0;
  for (size_t i = 0; i < n; i++) sum += (unsigned char)base[(size_t)idx[i] * kLineBytes];
  return sum;
}

static void indep_params(Params *ps, const IndepShape *s, const char *page_size) {
  memset(ps, 0, sizeof *ps);
  params_int(ps, "bytes", (long long)s->region_bytes);
  params_str(ps, "page_size", page_size);
}

void bench_indep(Ctx *c) {
  IndepShape s = indep_shape(c, (size_t)2 << 20);
  uint32_t *idx = indep_indices(&s);
  if (!idx) {
    report_missing(c, "indep", NULL, "out of memory for the index array");
    return;
  }
  for (int k = 0; k < 2; k++) {
    PageKind kind = k ? kPagesThp : kPages4k;
    Buffer b;
    const char *why = NULL;
    Params ps;
    if (!buffer_map(c, &b, s.region_bytes, kind, &why)) {
      indep_params(&ps, &s, kind == kPagesThp ? "2m" : "4k");
      report_missing(c, "indep", &ps, why);
      continue;
    }
    indep_params(&ps, &s, b.page_size);
    size_t n = s.total_loads / s.slice_loads;
    double *v = malloc(n * sizeof *v);
    if (v) {
      uint64_t sum = indep_run(b.r.base, idx, s.slice_loads); /* warm-up slice */
      for (size_t i = 0; i < n; i++) {
        uint64_t t0 = tsc_begin();
        sum += indep_run(b.r.base, idx + i * s.slice_loads, s.slice_loads);
        uint64_t t1 = tsc_end();
        v[i] = (double)(t1 - t0) / c->tsc_ghz / (double)s.slice_loads;
      }
      keep(sum);
      Notes notes;
      buffer_notes(&b, &notes);
      report_row(c, "indep", &ps, "load", v, n, 1, s.slice_loads, &notes);
      free(v);
    }
    region_unmap(&b.r);
  }
  free(idx);
}

/* ---- WRPKRU among misses -------------------------------------------------- */

/* The indep loop with, after every `every` loads, a WRPKRU pair (deny, allow)
 * when `pair`, or a compiler barrier with the same constraints when not. */
static uint64_t indep_every(const char *base, const uint32_t *idx, size_t n, size_t every,
                            bool pair, uint32_t allow, uint32_t deny) {
  uint64_t sum = 0;
  size_t i = 0;
  while (i < n) {
    size_t end = n - i > every ? i + every : n;
    for (; i < end; i++) sum += (unsigned char)base[(size_t)idx[i] * kLineBytes];
    if (pair) {
      wrpkru(deny);
      wrpkru(allow);
    } else {
      __asm__ volatile("" ::: "memory");
    }
  }
  return sum;
}

static const size_t kEvery[] = {1, 4, 16, 64, 256};
static const size_t kEveryQuick[] = {1, 16};

static void misses_params(Params *ps, const IndepShape *s, const char *page_size, size_t every,
                          bool pair) {
  indep_params(ps, s, page_size);
  params_int(ps, "every", (long long)every);
  params_str(ps, "wrpkru", pair ? "pair" : "none");
}

void bench_wrpkru_misses(Ctx *c) {
  IndepShape s = indep_shape(c, (size_t)1 << 20);
  s.total_loads = c->quick ? s.slice_loads * 4 : s.slice_loads * 10;
  const size_t *every = c->quick ? kEveryQuick : kEvery;
  size_t n_every =
      c->quick ? sizeof kEveryQuick / sizeof kEveryQuick[0] : sizeof kEvery / sizeof kEvery[0];
  if (!c->pku) {
    for (int k = 0; k < 2; k++)
      for (size_t e = 0; e < n_every; e++)
        for (int pair = 1; pair >= 0; pair--) {
          Params ps;
          misses_params(&ps, &s, k ? "2m" : "4k", every[e], pair);
          report_missing(c, "wrpkru_misses", &ps, c->pku_why);
        }
    return;
  }
  uint32_t *idx = indep_indices(&s);
  if (!idx) {
    report_missing(c, "wrpkru_misses", NULL, "out of memory for the index array");
    return;
  }
  uint32_t orig = rdpkru();
  int key = pkey_alloc(0, 0);
  uint32_t allow = rdpkru(); /* the new key's bits are clear: access allowed */
  uint32_t deny = key > 0 ? allow | (3u << (2 * key)) : allow;
  if (key <= 0) report_progress(c, "note: pkey_alloc failed; WRPKRU writes the current value");
  for (int k = 0; k < 2; k++) {
    PageKind kind = k ? kPagesThp : kPages4k;
    Buffer b;
    const char *why = NULL;
    if (!buffer_map(c, &b, s.region_bytes, kind, &why)) {
      for (size_t e = 0; e < n_every; e++)
        for (int pair = 1; pair >= 0; pair--) {
          Params ps;
          misses_params(&ps, &s, kind == kPagesThp ? "2m" : "4k", every[e], pair);
          report_missing(c, "wrpkru_misses", &ps, why);
        }
      continue;
    }
    size_t n = s.total_loads / s.slice_loads;
    double *v = malloc(n * sizeof *v);
    for (size_t e = 0; v && e < n_every; e++)
      for (int pair = 1; pair >= 0; pair--) {
        Params ps;
        misses_params(&ps, &s, b.page_size, every[e], pair);
        uint64_t sum = indep_every(b.r.base, idx, s.slice_loads, every[e], pair, allow, deny);
        for (size_t i = 0; i < n; i++) {
          uint64_t t0 = tsc_begin();
          sum += indep_every(b.r.base, idx + i * s.slice_loads, s.slice_loads, every[e], pair,
                             allow, deny);
          uint64_t t1 = tsc_end();
          v[i] = (double)(t1 - t0) / c->tsc_ghz / (double)s.slice_loads;
        }
        keep(sum);
        Notes notes;
        buffer_notes(&b, &notes);
        report_row(c, "wrpkru_misses", &ps, "load", v, n, 1, s.slice_loads, &notes);
      }
    free(v);
    region_unmap(&b.r);
  }
  if (key > 0) pkey_free(key);
  wrpkru(orig);
  free(idx);
}
