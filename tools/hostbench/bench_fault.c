/* Page faults the kernel resolves, and faults it turns into SIGSEGV.
 *
 * fault:   the first touch of a fresh anonymous 4 KiB page (MADV_NOHUGEPAGE),
 *          one timed access per page over fresh 2 MiB regions (mapped and
 *          unmapped outside the timing). "write" allocates and zeroes a page;
 *          "read" maps the shared zero page. Included: the #PF exception,
 *          the fault handler, the page allocation and zeroing (write), the
 *          return and the retried access; one fault in 512 also allocates the
 *          PTE page. On a VM, a guest page the host has not backed yet (or
 *          took back through free page reporting) adds a host (EPT/NPT)
 *          fault: the warm-up region reuses memory the samples then get.
 * sigsegv: a write to a page the kernel refuses: "prot" is a write to a
 *          read-only page (SEGV_ACCERR), "pkey" a write to a page whose
 *          protection key denies writes (SEGV_PKUERR; PKU hosts only). The
 *          handler does not fix the page: it rewrites the saved RDX, the
 *          address register of the faulting `movb $1,(%rdx)`, to point at a
 *          writable page, and returns; the instruction is retried and
 *          succeeds. So a sample is: #PF, the kernel's VMA lookup and access
 *          check, signal frame setup (including XSAVE of the extended state,
 *          host.xsave_bytes gives its size), the handler (a few instructions),
 *          rt_sigreturn (XRSTOR) and the retried store. No system call runs in
 *          the handler, and no siglongjmp. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#include "hostbench.h"

enum { kFaultRegionPages = kHugeBytes / kPageBytes };

static void fault_one(Ctx *c, bool write, size_t regions) {
  Params ps = {0};
  params_str(&ps, "access", write ? "write" : "read");
  params_str(&ps, "page_size", "4k");
  size_t n = regions * kFaultRegionPages;
  double *v = malloc(n * sizeof *v);
  if (!v) return;
  size_t got = 0;
  long long faults = 0;
  uint64_t sum = 0;
  for (size_t r = 0; r < regions + 1; r++) { /* region 0 is the warm-up */
    Region reg;
    int err = region_map(&reg, kHugeBytes, kPages4k, false);
    if (err) {
      report_missing(c, "fault", &ps, region_error(err));
      free(v);
      return;
    }
    volatile char *p = (volatile char *)reg.base;
    long long f0 = minor_faults();
    for (size_t i = 0; i < kFaultRegionPages; i++) {
      volatile char *q = p + i * kPageBytes;
      uint64_t t0 = tsc_begin();
      if (write)
        *q = 1;
      else
        sum += (uint64_t)*q;
      uint64_t t1 = tsc_end();
      if (r > 0) v[got++] = (double)(t1 - t0) / c->tsc_ghz;
    }
    if (r > 0) faults += minor_faults() - f0;
    region_unmap(&reg);
  }
  keep(sum);
  Notes notes = {0};
  notes_add(&notes, "faults_per_op", (double)faults / (double)got);
  report_row(c, "fault", &ps, "fault", v, got, kFaultRegionPages, 1, &notes);
  free(v);
}

void bench_fault(Ctx *c) {
  size_t regions = c->quick ? 2 : 40;
  fault_one(c, true, regions);
  fault_one(c, false, regions);
}

/* ---- SIGSEGV ------------------------------------------------------------ */

/* Signal handlers reach their data only through statics. */
static char *volatile g_fix_target;
static volatile sig_atomic_t g_handled, g_unexpected_code;
static volatile int g_expected_code;

static void on_segv(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  ucontext_t *uc = ctx;
  if (si->si_code != g_expected_code) g_unexpected_code = si->si_code;
  uc->uc_mcontext.gregs[REG_RDX] = (greg_t)(uintptr_t)g_fix_target;
  g_handled = g_handled + 1;
}

/* One store through RDX, which the handler may redirect. */
static inline void store_via_rdx(char *p) { __asm__ volatile("movb $1, (%0)" : "+d"(p)::"memory"); }

#ifndef SEGV_PKUERR
#define SEGV_PKUERR 4
#endif

static void sigsegv_one(Ctx *c, const char *cause) {
  Params ps = {0};
  params_str(&ps, "cause", cause);
  bool pkey = strcmp(cause, "pkey") == 0;
  if (pkey && !c->pku) {
    report_missing(c, "sigsegv", &ps, "CPU or kernel has no PKU (CPUID PKU/OSPKE)");
    return;
  }
  Region reg;
  int err = region_map(&reg, 2 * kPageBytes, kPages4k, true);
  if (err) {
    report_missing(c, "sigsegv", &ps, region_error(err));
    return;
  }
  char *bad = reg.base, *good = reg.base + kPageBytes;
  int key = -1;
  uint32_t orig_pkru = pkey ? rdpkru() : 0;
  if (pkey) {
    key = pkey_alloc(0, PKEY_DISABLE_WRITE);
    if (key < 0 || pkey_mprotect(bad, kPageBytes, PROT_READ | PROT_WRITE, key) != 0) {
      char why[96];
      snprintf(why, sizeof why, "pkey_alloc or pkey_mprotect failed: %s", strerror(errno));
      report_missing(c, "sigsegv", &ps, why);
      region_unmap(&reg);
      if (key >= 0) pkey_free(key);
      wrpkru(orig_pkru);
      return;
    }
    g_expected_code = SEGV_PKUERR;
  } else {
    mprotect(bad, kPageBytes, PROT_READ);
    g_expected_code = SEGV_ACCERR;
  }
  g_fix_target = good;
  g_handled = 0;
  g_unexpected_code = 0;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_segv;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &old);

  size_t n = c->quick ? 200 : 5000, warm = c->quick ? 20 : 200;
  double *v = malloc(n * sizeof *v);
  for (size_t i = 0; v && i < warm + n; i++) {
    uint64_t t0 = tsc_begin();
    store_via_rdx(bad);
    uint64_t t1 = tsc_end();
    if (i >= warm) v[i - warm] = (double)(t1 - t0) / c->tsc_ghz;
  }
  sigaction(SIGSEGV, &old, NULL);
  region_unmap(&reg);
  if (key >= 0) {
    pkey_free(key);
    wrpkru(orig_pkru); /* pkey_alloc set the freed key's bits */
  }
  if (!v) return;
  if (g_unexpected_code) {
    char why[96];
    snprintf(why, sizeof why, "unexpected si_code %d", (int)g_unexpected_code);
    report_missing(c, "sigsegv", &ps, why);
  } else {
    Notes notes = {0};
    notes_add(&notes, "signals_per_op", (double)g_handled / (double)(warm + n));
    report_row(c, "sigsegv", &ps, "signal", v, n, warm, 1, &notes);
  }
  free(v);
}

void bench_sigsegv(Ctx *c) {
  sigsegv_one(c, "prot");
  sigsegv_one(c, "pkey");
}
