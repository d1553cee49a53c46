/* pkusim-hostbench: host microbenchmarks for `pkusim calibrate`.
 *
 * Shared declarations: the run context, serialized TSC timestamps, sample
 * statistics, the result rows (one per measured point, flat parameters) and
 * the benchmark entry points. Each bench_*.c file holds one group of
 * benchmarks and says at its top what it measures and what a sample is. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
  kMaxParams = 8,
  kPageBytes = 4096,
  kHugeBytes = 2 * 1024 * 1024,
  kLineBytes = 64,
};

/* ---- timestamps (tsc.c) ------------------------------------------------ */

/* A timestamp taken before the timed code: LFENCE waits for every earlier
 * instruction to complete locally, so nothing before leaks into the window,
 * and RDTSC cannot run ahead of it. */
static inline uint64_t tsc_begin(void) {
  uint32_t lo, hi;
  __asm__ volatile("lfence\n\trdtsc" : "=a"(lo), "=d"(hi)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

/* A timestamp taken after the timed code: RDTSCP waits for every earlier
 * instruction to execute, and the LFENCE keeps later ones out. */
static inline uint64_t tsc_end(void) {
  uint32_t lo, hi, aux;
  __asm__ volatile("rdtscp\n\tlfence" : "=a"(lo), "=d"(hi), "=c"(aux)::"memory");
  return ((uint64_t)hi << 32) | lo;
}

/* The TSC rate measured against CLOCK_MONOTONIC_RAW; see tsc.c. */
typedef struct {
  double ghz;            /* median of the calibration windows */
  double spread_ppm;     /* (max - min) / median of the windows, in ppm */
  int windows;           /* number of windows */
  double window_ms;      /* length of each window */
  bool invariant;        /* CPUID.80000007H:EDX[8] */
  double cpuid_ghz;      /* the rate the CPU or hypervisor states, 0 if none */
  const char *cpuid_src; /* which leaf stated it, "" if none */
} TscInfo;

TscInfo tsc_calibrate(bool quick);
double monotonic_raw_s(void);

/* ---- statistics (stats.c) ---------------------------------------------- */

typedef struct {
  double median, p10, p90, min, max, mean;
  size_t n;
} Stats;

/* Sorts `v` in place; percentiles interpolate linearly between ranks. */
Stats stats_of(double *v, size_t n);

/* ---- parameters and rows (report.c) ------------------------------------ */

typedef struct {
  const char *key; /* a string literal */
  bool is_str;
  long long i;
  char s[24];
} Param;

typedef struct {
  Param p[kMaxParams];
  int n;
} Params;

void params_int(Params *ps, const char *key, long long v);
void params_str(Params *ps, const char *key, const char *v);

/* Context attached to a row, not a parameter of the point: counters read
 * during the measurement (IPIs per op, faults per op, huge-page coverage). */
typedef struct {
  const char *key;
  double v;
} Note;

typedef struct {
  Note n[4];
  int count;
} Notes;

void notes_add(Notes *ns, const char *key, double v);

typedef struct Report Report;

/* The run: options, host facts the benchmarks need, and the report. */
typedef struct {
  bool quick;
  int cpu_main; /* the CPU the measuring thread is pinned to */
  int cpu_peer; /* the CPU a peer thread is pinned to, -1 if none */
  bool peer_smt_sibling;
  double tsc_ghz;
  double core_ghz;     /* from the core_clock bench, 0 until measured */
  bool pku;            /* CPUID PKU and OSPKE both set */
  const char *pku_why; /* why the PKU rows are missing, when !pku */
  bool thp_usable;     /* THP "always" or "madvise" */
  Report *report;
} Ctx;

/* Appends a row and returns its statistics; `samples_ns` holds one value
 * per sample, in ns per op (sorted in place). `per` names the op ("call",
 * "page", "load", ...). */
Stats report_row(Ctx *c, const char *bench, const Params *ps, const char *per, double *samples_ns,
                 size_t n, size_t warmup, uint64_t ops_per_sample, const Notes *notes);
/* A row whose value is not a time (e.g. GHz); no cycle conversion. */
Stats report_value_row(Ctx *c, const char *bench, const Params *ps, const char *unit,
                       const char *per, double *samples, size_t n, size_t warmup,
                       uint64_t ops_per_sample);
/* A point that could not be measured, and why. */
void report_missing(Ctx *c, const char *bench, const Params *ps, const char *why);
/* A progress line ("building ...") on the table stream. */
void report_progress(Ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

Report *report_new(FILE *table);
void report_free(Report *r);
int report_write_json(const Report *r, const char *path, const char *host_json,
                      const char *run_json);
size_t report_rows(const Report *r);
size_t report_missing_count(const Report *r);
/* Appends `s` to `out` as a JSON string literal (bounded by `cap`). */
void json_str(char *out, size_t cap, const char *s);

/* ---- host facts (host.c) ----------------------------------------------- */

typedef struct {
  char vendor[16];
  char brand[64];
  int family, model, stepping;
  bool pku, ospke, hypervisor;
  char hypervisor_vendor[16];
  bool kvm_pv_tlb_flush, kvm_pv_send_ipi;
  unsigned xsave_bytes;
  char kernel[96];
  char date[24]; /* when the run started, UTC */
  char thp[16], thp_defrag[24];
  char mthp[128]; /* multi-size THP sizes not "never", e.g. "64kB:inherit" */
  char meltdown[64];
  int cpus_online, cpus_allowed;
  long flush_ceiling; /* tlb_single_page_flush_ceiling from debugfs, -1 */
  /* The caches of CPU 0 (sysfs cache/index*): level, type, size, ways. */
  struct {
    int level;
    char type[16]; /* "Data", "Instruction", "Unified" */
    long bytes;
    int ways;
  } caches[8];
  int ncaches;
} Host;

void host_probe(Host *h);
/* The host object of the JSON report. */
void host_json(const Host *h, const TscInfo *t, double core_ghz, char *out, size_t cap);

/* ---- memory regions and kernel counters (mem.c) ------------------------ */

typedef enum { kPages4k, kPagesThp } PageKind;

typedef struct {
  char *base; /* start of the usable region, 2 MiB aligned */
  size_t bytes;
  PageKind kind;
  char *reservation; /* the whole mapping including PROT_NONE guards */
  size_t reserved_bytes;
} Region;

/* Maps `bytes` (a multiple of 4 KiB) between PROT_NONE guards, so that the
 * region is one VMA that cannot merge with neighbours; MADV_NOHUGEPAGE or
 * MADV_HUGEPAGE by `kind`; writes every page when `populate`. Returns 0, or
 * an errno value (ENOMEM also when MemAvailable could not hold the region:
 * populating it would wake the OOM killer instead). */
int region_map(Region *r, size_t bytes, PageKind kind, bool populate);
/* Why region_map failed, for a missing row. */
const char *region_error(int err);
void region_unmap(Region *r);
/* AnonHugePages of the VMA holding `addr`, in bytes; -1 if not readable. */
long long smaps_huge_bytes(const void *addr);
/* The "TLB shootdowns" line of /proc/interrupts (flush requests each CPU
 * received from another), summed over the CPUs. The file stays open and is
 * re-read with pread into a buffer that grows to hold it. */
typedef struct {
  int fd; /* -1 if /proc/interrupts is unreadable */
  char *buf;
  size_t cap;
} TlbCounter;

void tlb_counter_open(TlbCounter *t);
/* The current sum; -1 if unreadable or there is no TLB line. */
long long tlb_counter_read(TlbCounter *t);
void tlb_counter_close(TlbCounter *t);
/* Minor faults of the calling thread so far. */
long long minor_faults(void);

/* ---- peer thread (peer.c) ---------------------------------------------- */

typedef enum { kPeerAlone, kPeerActive, kPeerBlocked } PeerMode;

const char *peer_name(PeerMode m);

typedef struct Peer Peer;

/* Starts a peer on ctx->cpu_peer that keeps `r` in its TLB (active) or has
 * touched it and sleeps in read(2) on a pipe (blocked). Returns NULL for
 * kPeerAlone or on failure (`why` says which). */
Peer *peer_start(const Ctx *c, PeerMode m, const Region *r, const char **why);
void peer_stop(Peer *p);

/* ---- pinning and small helpers (main.c) -------------------------------- */

bool pin_self(int cpu);
/* Samples to take so that a point lasts about `budget_s`, given the mean of
 * the warm-up samples, within [lo, hi]. */
size_t samples_for(double mean_ns, double budget_s, size_t lo, size_t hi);
/* xorshift64*: the benchmarks' deterministic random numbers. */
static inline uint64_t rng_next(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1Dull;
}
/* A random number in [0, n), by multiply-high (no modulo bias to speak of). */
__extension__ typedef unsigned __int128 U128;
static inline uint64_t rng_below(uint64_t *s, uint64_t n) {
  return (uint64_t)(((U128)rng_next(s) * n) >> 64);
}
/* Makes the compiler keep the computation of `v` (loaded values). */
static inline void keep(uint64_t v) { __asm__ volatile("" ::"r"(v)); }

/* RDPKRU and WRPKRU by their encodings (0F 01 EE, 0F 01 EF), so that no
 * assembler support or -mpku is needed; ECX (and EDX for WRPKRU) must be 0.
 * Only call these when Ctx.pku is set: elsewhere they raise #UD. */
static inline uint32_t rdpkru(void) {
  uint32_t eax, edx;
  __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(0));
  return eax;
}
static inline void wrpkru(uint32_t v) {
  __asm__ volatile(".byte 0x0f,0x01,0xef" ::"a"(v), "c"(0), "d"(0) : "memory");
}

/* ---- benchmarks -------------------------------------------------------- */

void bench_timer(Ctx *c);
void bench_core_clock(Ctx *c);
void bench_syscall(Ctx *c);
void bench_mprotect(Ctx *c);
void bench_mprotect_thp(Ctx *c);
void bench_mprotect_split(Ctx *c);
void bench_refill(Ctx *c);
void bench_fault(Ctx *c);
void bench_sigsegv(Ctx *c);
void bench_chase(Ctx *c);
void bench_indep(Ctx *c);
void bench_rdpkru(Ctx *c);
void bench_wrpkru(Ctx *c);
void bench_wrpkru_misses(Ctx *c);
