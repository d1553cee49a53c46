/* mprotect flips of populated memory, and the TLB refill after them.
 *
 * mprotect, mprotect_thp: a sample is mprotect(PROT_READ) of the whole
 *   region ("r"), then mprotect(PROT_READ|PROT_WRITE) back ("rw"), each call
 *   timed on its own; "pair" is the two together. The region is one VMA of
 *   written (private, present) pages, so each call rewrites every PTE (or
 *   PMD) and never splits or merges VMAs. Removing write permission needs a
 *   TLB flush: x86 Linux invalidates page by page up to
 *   tlb_single_page_flush_ceiling (33) pages and flushes the whole TLB
 *   above, so 33 -> 34 pages is a step. x86 flushes on any change of the
 *   RW bit (pte_flags_need_flush()), so adding write permission back costs
 *   a flush too. /proc/interrupts' TLB line is read around each call
 *   (outside the timing) and the shootdowns each call caused go into
 *   notes.tlb_ipis_per_op; with an active peer, samples where the peer got
 *   fewer than the most seen (its vCPU was descheduled, see flip_point) are
 *   dropped and counted in notes.dropped. Peers (peer.c): alone, active,
 *   blocked.
 *   The THP variant uses a 2 MiB aligned MADV_HUGEPAGE region and reports
 *   rows only for what the kernel granted (AnonHugePages in smaps).
 * refill: a sample touches one byte of every page of the region (an
 *   untimed pass), then, for "after_flip", does an mprotect pair, and then
 *   times a second pass over the same bytes, per page. "warm" is the same
 *   without the flip. The caches hold the same lines in both, so the
 *   difference is the TLB refill (page walks through the caches); a write
 *   after the flip must not fault (notes.faults_per_op says). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "hostbench.h"

static const char *const kDirections[3] = {"r", "rw", "pair"};

typedef struct {
  const char *bench;
  const char *page_size; /* "4k", "2m", or "mixed" for a partial THP grant */
  size_t page_bytes;
  double huge_fraction; /* < 0 for 4 KiB regions */
} FlipSetup;

static void flip_params(Params *ps, const FlipSetup *s, const Region *r, PeerMode m,
                        const char *dir) {
  memset(ps, 0, sizeof *ps);
  params_int(ps, "pages", (long long)(r->bytes / s->page_bytes));
  params_int(ps, "bytes", (long long)r->bytes);
  params_str(ps, "page_size", s->page_size);
  params_str(ps, "peer", peer_name(m));
  if (dir) params_str(ps, "direction", dir);
}

static void missing_all(Ctx *c, const FlipSetup *s, const Region *r, PeerMode m, const char *why) {
  for (int d = 0; d < 3; d++) {
    Params ps;
    flip_params(&ps, s, r, m, kDirections[d]);
    report_missing(c, s->bench, &ps, why);
  }
}

typedef struct {
  double r_ns, rw_ns;
  long long r_ipis, rw_ipis; /* shootdowns received during each call */
} FlipSample;

/* One pair, each call timed and its shootdowns counted; false on failure. */
static bool flip(const Ctx *c, const Region *r, TlbCounter *tlb, FlipSample *out) {
  long long a = tlb_counter_read(tlb);
  uint64_t t0 = tsc_begin();
  int ok_r = mprotect(r->base, r->bytes, PROT_READ);
  uint64_t t1 = tsc_end();
  long long b = tlb_counter_read(tlb);
  uint64_t t2 = tsc_begin();
  int ok_rw = mprotect(r->base, r->bytes, PROT_READ | PROT_WRITE);
  uint64_t t3 = tsc_end();
  long long e = tlb_counter_read(tlb);
  out->r_ns = (double)(t1 - t0) / c->tsc_ghz;
  out->rw_ns = (double)(t3 - t2) / c->tsc_ghz;
  out->r_ipis = a < 0 || b < 0 ? -1 : b - a;
  out->rw_ipis = b < 0 || e < 0 ? -1 : e - b;
  return ok_r == 0 && ok_rw == 0;
}

/* Samples of an active peer where the hypervisor had the peer's vCPU
 * descheduled are not what "active" means: KVM's PV TLB flush then skips
 * the IPI (the host flushes at the vCPU's next entry) and the call costs
 * what it costs alone. So when any sample of the point shows shootdowns, a
 * direction keeps only the samples whose call received at least one; the
 * others are counted in notes.dropped. (A call may show more than one: the
 * counter also sees unrelated flushes, e.g. of kernel mappings.) */
static void flip_point(Ctx *c, const FlipSetup *s, const Region *r, PeerMode m) {
  const char *why = NULL;
  Peer *peer = peer_start(c, m, r, &why);
  if (m != kPeerAlone && !peer) {
    missing_all(c, s, r, m, why);
    return;
  }
  TlbCounter tlb;
  tlb_counter_open(&tlb);
  uint64_t t0 = tsc_begin();
  long long readable = tlb_counter_read(&tlb);
  double read_ns = (double)(tsc_end() - t0) / c->tsc_ghz;
  FlipSample first;
  bool ok = flip(c, r, &tlb, &first);
  double est = first.r_ns + first.rw_ns + 3 * read_ns;
  size_t warm = samples_for(est, c->quick ? 0.005 : 0.05, 2, 20);
  size_t n = samples_for(est, c->quick ? 0.02 : 0.25, c->quick ? 5 : 11, c->quick ? 50 : 300);
  size_t cap = 3 * n; /* room for dropped samples */
  FlipSample *fs = malloc(cap * sizeof *fs);
  double *v = malloc(3 * cap * sizeof *v);
  if (!fs || !v) ok = false;
  for (size_t i = 0; ok && i < warm; i++) ok = flip(c, r, &tlb, &fs[0]);
  size_t taken = 0, kept = 0;
  bool any_r = false, any_rw = false; /* some sample's call got a shootdown */
  while (ok && taken < cap && (taken < n || (m == kPeerActive && kept < n))) {
    ok = flip(c, r, &tlb, &fs[taken]);
    any_r = any_r || fs[taken].r_ipis > 0;
    any_rw = any_rw || fs[taken].rw_ipis > 0;
    taken++;
    kept = 0;
    for (size_t i = 0; i < taken; i++)
      kept += m != kPeerActive || ((!any_r || fs[i].r_ipis > 0) && (!any_rw || fs[i].rw_ipis > 0));
  }
  int err = errno;
  peer_stop(peer);
  tlb_counter_close(&tlb);
  if (!ok) {
    char msg[96];
    snprintf(msg, sizeof msg, "mprotect failed: %s", strerror(err));
    missing_all(c, s, r, m, v ? msg : "out of memory");
    free(fs);
    free(v);
    return;
  }
  /* per direction: r keeps samples whose r call had the shootdowns, and so
   * on; pair keeps samples where both had them */
  size_t cnt[3] = {0, 0, 0};
  long long ipis[3] = {0, 0, 0};
  for (size_t i = 0; i < taken; i++) {
    const FlipSample *f = &fs[i];
    bool keep_r = m != kPeerActive || !any_r || f->r_ipis > 0;
    bool keep_rw = m != kPeerActive || !any_rw || f->rw_ipis > 0;
    if (keep_r) {
      v[cnt[0]++] = f->r_ns;
      ipis[0] += f->r_ipis;
    }
    if (keep_rw) {
      v[cap + cnt[1]++] = f->rw_ns;
      ipis[1] += f->rw_ipis;
    }
    if (keep_r && keep_rw) {
      v[2 * cap + cnt[2]++] = f->r_ns + f->rw_ns;
      ipis[2] += f->r_ipis + f->rw_ipis;
    }
  }
  bool counted = readable >= 0;
  for (int d = 0; d < 3; d++) {
    Params ps;
    flip_params(&ps, s, r, m, kDirections[d]);
    Notes notes = {0};
    if (counted && cnt[d]) notes_add(&notes, "tlb_ipis_per_op", (double)ipis[d] / (double)cnt[d]);
    if (m == kPeerActive) notes_add(&notes, "dropped", (double)(taken - cnt[d]));
    if (s->huge_fraction >= 0) notes_add(&notes, "huge_fraction", s->huge_fraction);
    if (cnt[d] == 0) {
      report_missing(c, s->bench, &ps, "no sample had a shootdown in both calls");
      continue;
    }
    report_row(c, s->bench, &ps, "call", v + (size_t)d * cap, cnt[d], warm, 1, &notes);
  }
  if (m == kPeerActive && counted && !any_r && !any_rw)
    report_progress(c, "note: the active peer received no shootdown at all (vCPU descheduled?)");
  free(fs);
  free(v);
}

static void flip_all_peers(Ctx *c, const FlipSetup *s, const Region *r) {
  static const PeerMode kModes[] = {kPeerAlone, kPeerActive, kPeerBlocked};
  for (size_t i = 0; i < sizeof kModes / sizeof kModes[0]; i++) flip_point(c, s, r, kModes[i]);
}

void bench_mprotect(Ctx *c) {
  static const size_t kFull[] = {1, 2, 8, 32, 33, 34, 64, 512, 16384, 262144};
  static const size_t kQuick[] = {1, 33, 34};
  const size_t *pages = c->quick ? kQuick : kFull;
  size_t count = c->quick ? sizeof kQuick / sizeof kQuick[0] : sizeof kFull / sizeof kFull[0];
  for (size_t i = 0; i < count; i++) {
    FlipSetup s = {"mprotect", "4k", kPageBytes, -1};
    Region r;
    size_t bytes = pages[i] * kPageBytes;
    if (bytes >= (64u << 20)) report_progress(c, "populating %zu MiB of 4 KiB pages", bytes >> 20);
    int err = region_map(&r, bytes, kPages4k, true);
    if (err) {
      Region fake = {.bytes = bytes};
      for (int m = 0; m < 3; m++) missing_all(c, &s, &fake, (PeerMode)m, region_error(err));
      continue;
    }
    long long huge = smaps_huge_bytes(r.base);
    if (huge > 0) { /* cannot happen with MADV_NOHUGEPAGE; say so if it does */
      s.page_size = "mixed";
      s.huge_fraction = (double)huge / (double)bytes;
    }
    flip_all_peers(c, &s, &r);
    region_unmap(&r);
  }
}

/* Maps and populates a THP region; fills `s` from what smaps shows. Returns
 * false (and reports the rows missing) when no huge page was granted. */
static bool map_thp(Ctx *c, Region *r, size_t bytes, FlipSetup *s, const char *bench,
                    void (*missing)(Ctx *, const FlipSetup *, const Region *, const char *)) {
  Region fake = {.bytes = bytes};
  s->bench = bench;
  s->page_size = "2m";
  s->page_bytes = kHugeBytes;
  s->huge_fraction = 1;
  if (!c->thp_usable) {
    missing(c, s, &fake, "THP is disabled on this host (transparent_hugepage/enabled = never)");
    return false;
  }
  int err = region_map(r, bytes, kPagesThp, true);
  if (err) {
    missing(c, s, &fake, region_error(err));
    return false;
  }
  long long huge = smaps_huge_bytes(r->base);
  if (huge <= 0) {
    char why[128];
    snprintf(why, sizeof why, "THP not granted: AnonHugePages %s of %zu kB",
             huge < 0 ? "unreadable" : "0 kB", bytes >> 10);
    missing(c, s, &fake, why);
    region_unmap(r);
    return false;
  }
  s->huge_fraction = (double)huge / (double)bytes;
  if (huge < (long long)bytes) s->page_size = "mixed";
  return true;
}

static void flip_missing_all_peers(Ctx *c, const FlipSetup *s, const Region *r, const char *why) {
  for (int m = 0; m < 3; m++) missing_all(c, s, r, (PeerMode)m, why);
}

void bench_mprotect_thp(Ctx *c) {
  static const size_t kFullMiB[] = {2, 64, 66, 68, 1024};
  static const size_t kQuickMiB[] = {2, 68};
  const size_t *mib = c->quick ? kQuickMiB : kFullMiB;
  size_t count =
      c->quick ? sizeof kQuickMiB / sizeof kQuickMiB[0] : sizeof kFullMiB / sizeof kFullMiB[0];
  for (size_t i = 0; i < count; i++) {
    FlipSetup s;
    Region r;
    if (!map_thp(c, &r, mib[i] << 20, &s, "mprotect_thp", flip_missing_all_peers)) continue;
    flip_all_peers(c, &s, &r);
    long long after = smaps_huge_bytes(r.base);
    if (after >= 0 && after < (long long)r.bytes * s.huge_fraction)
      report_progress(c, "note: huge pages split during the flips (%lld of %zu kB left)",
                      after >> 10, r.bytes >> 10);
    region_unmap(&r);
  }
}

/* ---- refill --------------------------------------------------------------- */

/* One pass over the region, a byte per page. */
static uint64_t touch(const Region *r, size_t stride, bool write, uint64_t v) {
  volatile char *p = (volatile char *)r->base;
  uint64_t sum = 0;
  if (write) {
    for (size_t off = 0; off < r->bytes; off += stride) p[off] = (char)v;
  } else {
    for (size_t off = 0; off < r->bytes; off += stride) sum += (unsigned char)p[off];
  }
  return sum;
}

static void refill_params(Params *ps, const FlipSetup *s, const Region *r, bool write,
                          bool flipped) {
  memset(ps, 0, sizeof *ps);
  params_int(ps, "pages", (long long)(r->bytes / s->page_bytes));
  params_int(ps, "bytes", (long long)r->bytes);
  params_str(ps, "page_size", s->page_size);
  params_str(ps, "access", write ? "write" : "read");
  params_str(ps, "state", flipped ? "after_flip" : "warm");
}

static void refill_point(Ctx *c, const FlipSetup *s, const Region *r, bool write, bool flipped) {
  Params ps;
  refill_params(&ps, s, r, write, flipped);
  size_t pages = r->bytes / s->page_bytes;
  uint64_t sum = touch(r, s->page_bytes, write, 1);
  uint64_t t0 = tsc_begin();
  sum += touch(r, s->page_bytes, write, 2);
  double est = (double)(tsc_end() - t0) / c->tsc_ghz * 3; /* touch, flip, touch */
  size_t warm = c->quick ? 2 : 5;
  size_t n = samples_for(est, c->quick ? 0.01 : 0.15, c->quick ? 5 : 11, c->quick ? 30 : 300);
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  bool ok = true;
  long long f0 = minor_faults();
  for (size_t i = 0; i < warm + n; i++) {
    sum += touch(r, s->page_bytes, write, i);
    if (flipped) {
      ok = ok && mprotect(r->base, r->bytes, PROT_READ) == 0;
      ok = ok && mprotect(r->base, r->bytes, PROT_READ | PROT_WRITE) == 0;
    }
    uint64_t a = tsc_begin();
    sum += touch(r, s->page_bytes, write, i);
    uint64_t b = tsc_end();
    if (i >= warm) v[i - warm] = (double)(b - a) / c->tsc_ghz / (double)pages;
  }
  long long faults = minor_faults() - f0;
  keep(sum);
  if (!ok) {
    report_missing(c, "refill", &ps, "mprotect failed");
  } else {
    Notes notes = {0};
    notes_add(&notes, "faults_per_op", (double)faults / (double)((warm + n) * pages));
    if (s->huge_fraction >= 0) notes_add(&notes, "huge_fraction", s->huge_fraction);
    report_row(c, "refill", &ps, "page", v, n, warm, pages, &notes);
  }
  free(v);
}

static void refill_all(Ctx *c, const FlipSetup *s, const Region *r) {
  for (int w = 0; w < 2; w++)
    for (int f = 0; f < 2; f++) refill_point(c, s, r, w == 1, f == 1);
}

static void refill_missing(Ctx *c, const FlipSetup *s, const Region *r, const char *why) {
  for (int w = 0; w < 2; w++)
    for (int f = 0; f < 2; f++) {
      Params ps;
      refill_params(&ps, s, r, w == 1, f == 1);
      report_missing(c, "refill", &ps, why);
    }
}

void bench_refill(Ctx *c) {
  static const size_t kFull4k[] = {1, 32, 512, 16384};
  static const size_t kQuick4k[] = {32};
  static const size_t kFullHuge[] = {1, 32, 512};
  static const size_t kQuickHuge[] = {1};
  const size_t *p4 = c->quick ? kQuick4k : kFull4k;
  size_t n4 = c->quick ? 1 : sizeof kFull4k / sizeof kFull4k[0];
  for (size_t i = 0; i < n4; i++) {
    FlipSetup s = {"refill", "4k", kPageBytes, -1};
    Region r;
    int err = region_map(&r, p4[i] * kPageBytes, kPages4k, true);
    if (err) {
      Region fake = {.bytes = p4[i] * kPageBytes};
      refill_missing(c, &s, &fake, region_error(err));
      continue;
    }
    refill_all(c, &s, &r);
    region_unmap(&r);
  }
  const size_t *ph = c->quick ? kQuickHuge : kFullHuge;
  size_t nh = c->quick ? 1 : sizeof kFullHuge / sizeof kFullHuge[0];
  for (size_t i = 0; i < nh; i++) {
    FlipSetup s;
    Region r;
    if (!map_thp(c, &r, ph[i] * kHugeBytes, &s, "refill", refill_missing)) continue;
    refill_all(c, &s, &r);
    region_unmap(&r);
  }
}

/* mprotect_split: the VMA work of changing part of a region, what a
 * key-value store does when it opens one slot's page of a read-only store.
 * The region is one read-only VMA of 64 populated pages; a sample is
 * mprotect(PROT_READ|PROT_WRITE) of its middle page ("split": the VMA is
 * split in three, __split_vma twice, mm/vma.c) and then mprotect(PROT_READ)
 * of it again ("merge": the three VMAs merge back into one), each timed. */
void bench_mprotect_split(Ctx *c) {
  enum { kRegionPages = 64 };
  static const char *const kOps[2] = {"split", "merge"};
  Params ps[2];
  for (int o = 0; o < 2; o++) {
    memset(&ps[o], 0, sizeof ps[o]);
    params_int(&ps[o], "pages", 1);
    params_int(&ps[o], "region_pages", kRegionPages);
    params_str(&ps[o], "page_size", "4k");
    params_str(&ps[o], "op", kOps[o]);
  }
  Region r;
  int err = region_map(&r, kRegionPages * kPageBytes, kPages4k, true);
  if (err || mprotect(r.base, r.bytes, PROT_READ) != 0) {
    for (int o = 0; o < 2; o++)
      report_missing(c, "mprotect_split", &ps[o], region_error(err ? err : errno));
    if (!err) region_unmap(&r);
    return;
  }
  char *mid = r.base + (kRegionPages / 2) * kPageBytes;
  const size_t warm = 20, n = c->quick ? 50 : 2000;
  double *v = malloc(2 * n * sizeof *v);
  bool ok = v != NULL;
  for (size_t i = 0; ok && i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    int a = mprotect(mid, kPageBytes, PROT_READ | PROT_WRITE);
    uint64_t t1 = tsc_end();
    uint64_t t2 = tsc_begin();
    int b = mprotect(mid, kPageBytes, PROT_READ);
    uint64_t t3 = tsc_end();
    ok = a == 0 && b == 0;
    if (i >= warm) {
      v[i - warm] = (double)(t1 - t0) / c->tsc_ghz;
      v[n + i - warm] = (double)(t3 - t2) / c->tsc_ghz;
    }
  }
  if (!ok) {
    for (int o = 0; o < 2; o++) report_missing(c, "mprotect_split", &ps[o], "mprotect failed");
  } else {
    for (int o = 0; o < 2; o++)
      report_row(c, "mprotect_split", &ps[o], "call", v + o * n, n, warm, 1, NULL);
  }
  free(v);
  region_unmap(&r);
}
