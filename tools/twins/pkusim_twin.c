/* pkusim-twin: native twins of the study's use cases (traces/gen/), for
 * `pkusim validate` (docs/calibration.md): the same work done by a real
 * program, natively timed, and traced with pkusim-trace-program for the
 * simulator. Each workload follows its generator's defaults (sizes, rates,
 * access pattern); the protection is switched with the real calls:
 *
 *   none           no protection
 *   mprotect       mprotect(2) opens and closes the pages
 *   pkey_mprotect  pkey_mprotect(2) moves the pages between their key and key 0
 *   wrpkru         the pages are keyed once; pkey_set (WRPKRU) opens and closes
 *
 *   crypto-key   2000 TLS records of 1 KiB encrypted with an AES-256 key
 *                schedule (240 bytes, a page of its own) that is opened for
 *                each record and closed (no access) before the output is
 *                written; per 16-byte block 1 plaintext load, 15 round-key
 *                loads, 15 rounds of mixing, 1 store
 *   kv-store     20000 operations, 10% PUTs, on 128-byte values in 192-byte
 *                slots over 1 GiB, Zipf(0.99) keys scattered over the slots,
 *                500 instructions of request work each; the store is
 *                write-disabled and a PUT opens its slot's page(s)
 *   watchpoint   100000 accesses (30% stores, 20 instructions of work each)
 *                to 64-byte objects; 0.1% of the objects are watched, each on
 *                a page of its own that is closed (no access), and 0.1% of
 *                the accesses go to one: SIGSEGV, a handler that logs
 *                (300 instructions), opens, makes the access, closes, and
 *                returns past it
 *
 * Usage: pkusim-twin WORKLOAD VARIANT [--scale F] [--paired N]
 * Prints one JSON object: workload, variant, operations, switches (opens +
 * closes), ns (the measured loop, CLOCK_MONOTONIC) and a checksum of the
 * work. The measured loop is the region of interest (pkusim_roi.h). With
 * --paired N the loop runs 2N times in one process, unprotected and
 * protected in turn over the same memory (the pages' placement by the host,
 * which in a VM changes a run's memory costs by up to 2x from one process to
 * the next, is then common to both), and ns, ns_median, ns_max and ns_none,
 * ns_none_median, ns_none_max give the fastest, median and slowest of each. Exit codes: 0 ok, 2
 * usage, 3 the host cannot run the variant (no protection keys: the message says why), 1 a failed
 * call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "pkusim_roi.h"

enum variant { kNone, kMprotect, kPkeyMprotect, kWrpkru };
static const char *const kVariants[] = {"none", "mprotect", "pkey_mprotect", "wrpkru"};

static enum variant variant;
static int key = -1;
static uint64_t switches;
static const size_t kPage = 4096;

static void die(const char *what) {
  fprintf(stderr, "pkusim-twin: %s: %s\n", what, strerror(errno));
  exit(1);
}

/* SplitMix64: the same sequence natively and traced. */
static uint64_t rng_state = 0x7477696e;
static uint64_t rng_next(void) {
  uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}
static double rng_unit(void) { return (double)(rng_next() >> 11) * 0x1.0p-53; }
static uint64_t rng_below(uint64_t n) { return (uint64_t)(((__uint128_t)rng_next() * n) >> 64); }

/* About `n` instructions that touch no memory (the generators' `compute`). */
static uint64_t work_acc;
static void work(unsigned n) {
  uint64_t a = work_acc, b = 1, c = 2, d = 3;
  for (unsigned i = 0; i < n; i += 6) {
    a += i;
    b ^= a;
    c += b;
    d ^= c;
    __asm__ volatile("" : "+r"(a), "+r"(b), "+r"(c), "+r"(d));
  }
  work_acc = a + b + c + d;
}

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

/* ---- the protection -------------------------------------------------- */

/* `rights`: PKEY_DISABLE_ACCESS (closed = no access) or PKEY_DISABLE_WRITE
 * (closed = read only). */
static int closed_prot(int rights) { return rights == PKEY_DISABLE_ACCESS ? PROT_NONE : PROT_READ; }

static void page_range(void *addr, size_t len, void **lo, size_t *n) {
  uintptr_t a = (uintptr_t)addr & ~(uintptr_t)(kPage - 1);
  uintptr_t e = ((uintptr_t)addr + len + kPage - 1) & ~(uintptr_t)(kPage - 1);
  *lo = (void *)a;
  *n = e - a;
}

/* Closes [addr, addr+len) for the first time (after initialization). */
static void protect(void *addr, size_t len, int rights) {
  void *lo;
  size_t n;
  page_range(addr, len, &lo, &n);
  if (variant == kPkeyMprotect || variant == kWrpkru) {
    if (key < 0) {
      key = pkey_alloc(0, (unsigned)rights); /* PKRU denies it from now on */
      if (key < 0) {
        fprintf(stderr,
                "pkusim-twin: this host has no protection keys (pkey_alloc: %s); the %s variant "
                "needs them\n",
                strerror(errno), kVariants[variant]);
        exit(3);
      }
    }
    if (pkey_mprotect(lo, n, PROT_READ | PROT_WRITE, key) != 0) die("pkey_mprotect");
  } else if (variant == kMprotect) {
    if (mprotect(lo, n, closed_prot(rights)) != 0) die("mprotect");
  }
}

/* Opens [addr, addr+len) (`open`) or closes it to `rights`: one switch. */
static void switch_region(void *addr, size_t len, bool open, int rights) {
  void *lo;
  size_t n;
  page_range(addr, len, &lo, &n);
  switch (variant) {
    case kNone:
      return;
    case kMprotect:
      if (mprotect(lo, n, open ? PROT_READ | PROT_WRITE : closed_prot(rights)) != 0)
        die("mprotect");
      break;
    case kPkeyMprotect:
      if (pkey_mprotect(lo, n, PROT_READ | PROT_WRITE, open ? 0 : key) != 0) die("pkey_mprotect");
      break;
    case kWrpkru:
      pkey_set(key, open ? 0 : (unsigned)rights);
      break;
  }
  ++switches;
}
static void open_region(void *addr, size_t len) { switch_region(addr, len, true, 0); }
static void close_region(void *addr, size_t len, int rights) {
  switch_region(addr, len, false, rights);
}

static void *map(size_t bytes) {
  void *p =
      mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  madvise(p, bytes, MADV_NOHUGEPAGE); /* 4 KiB pages, as the study's default */
  return p;
}

/* A page of its own: between guard pages whose protection (r-x) it never
 * has, so that its VMA never merges with a neighbour, whatever the kernel
 * (or valgrind, which places mappings its own way) puts next to it. */
static void *map_alone(void) {
  uint8_t *p = mmap(NULL, 3 * kPage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) die("mmap");
  if (mprotect(p, kPage, PROT_READ | PROT_EXEC) != 0 ||
      mprotect(p + 2 * kPage, kPage, PROT_READ | PROT_EXEC) != 0)
    die("mprotect");
  return p + kPage;
}

/* ---- the workloads: setup (untimed), the measured loop ------------------ */

typedef struct {
  void *region; /* what the protection closes */
  size_t len;
  int rights; /* closed: PKEY_DISABLE_ACCESS or PKEY_DISABLE_WRITE */
} Protected;

static uint64_t ops;
static uint64_t checksum;

/* crypto-key */
enum { kSchedule = 240, kBlock = 16, kRounds = 14, kRecord = 1024, kRing = 4 << 20 };
static uint8_t *ck_secret, *ck_input, *ck_output;
static uint8_t ck_stack[kRecord];

static Protected crypto_setup(void) {
  ck_secret = map_alone(); /* as the generator's: a VMA of its own */
  ck_input = map(kRing);
  ck_output = map(kRing);
  for (unsigned i = 0; i < kSchedule; ++i) ck_secret[i] = (uint8_t)(i * 7 + 1); /* expansion */
  for (size_t i = 0; i < kRing; i += kPage) ck_input[i] = ck_output[i] = 1;     /* touch */
  return (Protected){ck_secret, kSchedule, PKEY_DISABLE_ACCESS};
}

static void crypto_loop(void) {
  uint64_t in = 0, out = 0;
  for (uint64_t r = 0; r < ops; ++r) {
    work(120); /* record header, sequence number, MAC setup */
    open_region(ck_secret, kSchedule);
    for (unsigned b = 0; b < kRecord / kBlock; ++b) {
      uint64_t lo, hi;
      memcpy(&lo, ck_input + (in + b * kBlock) % kRing, 8);
      memcpy(&hi, ck_input + (in + b * kBlock) % kRing + 8, 8);
      for (unsigned k = 0; k <= kRounds; ++k) {
        uint64_t klo, khi;
        memcpy(&klo, ck_secret + k * kBlock, 8);
        memcpy(&khi, ck_secret + k * kBlock + 8, 8);
        lo = (lo ^ klo) * 0x9e3779b97f4a7c15ULL;
        hi = (hi ^ khi) + (lo >> 17);
      }
      memcpy(ck_stack + b * kBlock, &lo, 8);
      memcpy(ck_stack + b * kBlock + 8, &hi, 8);
    }
    close_region(ck_secret, kSchedule, PKEY_DISABLE_ACCESS);
    memcpy(ck_output + out % kRing, ck_stack, kRecord); /* only with the key closed */
    checksum += ck_stack[r % kRecord];
    in += kRecord;
    out += kRecord;
  }
}

/* kv-store: Zipf ranks 1..n, exponent s, by rejection-inversion (W. Hormann
 * and G. Derflinger, ACM TOMACS 6(3), 1996). */
typedef struct {
  double s, n, h_x1, h_n, t;
} Zipf;
static double zipf_h(const Zipf *z, double x) { return exp(-z->s * log(x)); }
static double zipf_hi(const Zipf *z, double x) { /* an integral of h */
  const double l = log(x);
  return fabs(1 - z->s) < 1e-8 ? l : expm1((1 - z->s) * l) / (1 - z->s);
}
static double zipf_hi_inv(const Zipf *z, double y) {
  double t = y * (1 - z->s);
  if (t < -1) t = -1;
  return fabs(1 - z->s) < 1e-8 ? exp(y) : exp(log1p(t) / (1 - z->s));
}
static void zipf_init(Zipf *z, double n, double s) {
  z->s = s;
  z->n = n;
  z->h_x1 = zipf_hi(z, 1.5) - 1;
  z->h_n = zipf_hi(z, n + 0.5);
  z->t = 2 - zipf_hi_inv(z, zipf_hi(z, 2.5) - zipf_h(z, 2));
}
static uint64_t zipf_next(const Zipf *z) {
  for (;;) {
    const double u = z->h_n + rng_unit() * (z->h_x1 - z->h_n);
    const double x = zipf_hi_inv(z, u);
    double k = floor(x + 0.5);
    if (k < 1) k = 1;
    if (k > z->n) k = z->n;
    if (k - x <= z->t || u >= zipf_hi(z, k + 0.5) - zipf_h(z, k)) return (uint64_t)k;
  }
}

enum { kKvValue = 128, kKvHeader = 8, kKvSlot = 192 };
static const size_t kKvRegion = (size_t)1 << 30;
static uint8_t *kv_store_, *kv_request, *kv_response;
static uint64_t *kv_keys;
static uint8_t *kv_puts;

static Protected kv_setup(void) {
  const uint64_t slots = kKvRegion / kKvSlot, scatter = 2654435761ULL;
  kv_store_ = map(kKvRegion);
  kv_request = map(1 << 20);
  kv_response = map(1 << 20);
  Zipf z;
  zipf_init(&z, (double)slots, 0.99);
  /* The operations, drawn first: the touch pass needs their slots. */
  kv_keys = malloc(ops * sizeof *kv_keys);
  kv_puts = malloc(ops);
  if (!kv_keys || !kv_puts) die("malloc");
  for (uint64_t i = 0; i < ops; ++i) {
    kv_keys[i] = ((zipf_next(&z) - 1) * scatter) % slots;
    kv_puts[i] = rng_unit() < 0.1;
  }
  for (uint64_t i = 0; i < ops; ++i) { /* touch every page the operations will */
    uint8_t *p = kv_store_ + kv_keys[i] * kKvSlot;
    p[0] = 1;
    p[kKvSlot - 1] = 1;
  }
  memset(kv_request, 7, kKvValue);
  kv_response[0] = 0;
  return (Protected){kv_store_, kKvRegion, PKEY_DISABLE_WRITE};
}

static void kv_loop(void) {
  for (uint64_t i = 0; i < ops; ++i) {
    uint8_t *p = kv_store_ + kv_keys[i] * kKvSlot;
    work(500); /* parse the request */
    uint64_t version;
    memcpy(&version, p, kKvHeader);
    if (!kv_puts[i]) {
      memcpy(kv_response, p + kKvHeader, kKvValue);
      checksum += kv_response[i % kKvValue] + version;
      continue;
    }
    open_region(p, kKvSlot);
    memcpy(p + kKvHeader, kv_request, kKvValue);
    ++version;
    memcpy(p, &version, kKvHeader);
    close_region(p, kKvSlot, PKEY_DISABLE_WRITE);
  }
}

/* watchpoint */
enum { kObjects = 100000, kObject = 64, kWatched = kObjects / 1000 };
static uint8_t *wp_heap, *wp_watched;
static uint64_t wp_dummy, wp_rng;
static volatile uint64_t traps;
static struct {
  uint8_t *page, *addr;
  int store;
} pending;

/* One access through RDX, so that the handler can redirect it. */
static inline uint64_t access8(uint8_t *addr, int store, uint64_t v) {
  if (store) {
    __asm__ volatile("movq %0, (%%rdx)" : : "r"(v), "d"(addr) : "memory");
    return 0;
  }
  uint64_t out;
  __asm__ volatile("movq (%%rdx), %0" : "=r"(out) : "d"(addr) : "memory");
  return out;
}

static void on_trap(int sig, siginfo_t *si, void *ctx) {
  (void)sig;
  (void)si;
  ucontext_t *uc = ctx;
  PKUSIM_TRAPPED(pending.addr, 8, pending.store); /* for the trace: lackey missed it */
  work(300);                                      /* decode and log the access */
  open_region(pending.page, kPage);
  if (pending.store)
    *(volatile uint64_t *)pending.addr = 1; /* the access, on the program's behalf */
  else
    wp_dummy += *(volatile uint64_t *)pending.addr;
  close_region(pending.page, kPage, PKEY_DISABLE_ACCESS);
  uc->uc_mcontext.gregs[REG_RDX] = (greg_t)(uintptr_t)&wp_dummy; /* past it */
  ++traps;
}

static Protected watch_setup(void) {
  wp_heap = map((size_t)kObjects * kObject);
  wp_watched = map((size_t)kWatched * kPage);
  for (size_t i = 0; i < (size_t)kObjects * kObject; i += kPage) wp_heap[i] = 1;
  for (size_t i = 0; i < kWatched; ++i) wp_watched[i * kPage] = 1;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_trap;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSEGV, &sa, NULL) != 0) die("sigaction");
  wp_rng = rng_state;
  return (Protected){wp_watched, (size_t)kWatched * kPage, PKEY_DISABLE_ACCESS};
}

static void watch_loop(void) {
  rng_state = wp_rng; /* the same accesses in every run */
  for (uint64_t i = 0; i < ops; ++i) {
    const int trap = rng_unit() < 0.001;
    const uint64_t obj = trap ? rng_below(kWatched) : rng_below(kObjects);
    const uint64_t field = rng_below(kObject / 8) * 8;
    const int store = rng_unit() < 0.3;
    work(20);
    if (!trap) {
      checksum += access8(wp_heap + obj * kObject + field, store, i);
      continue;
    }
    pending.page = wp_watched + obj * kPage;
    pending.addr = pending.page + field;
    pending.store = store;
    checksum += access8(pending.addr, store, i); /* traps when protected */
  }
}

/* ---- main ------------------------------------------------------------ */

/* Opens the whole region again (for an unprotected run of a paired measurement). */
static void unprotect(const Protected *p) {
  void *lo;
  size_t n;
  page_range(p->region, p->len, &lo, &n);
  if (variant == kMprotect && mprotect(lo, n, PROT_READ | PROT_WRITE) != 0) die("mprotect");
  if ((variant == kPkeyMprotect || variant == kWrpkru) &&
      pkey_mprotect(lo, n, PROT_READ | PROT_WRITE, 0) != 0)
    die("pkey_mprotect");
}

/* One run of the measured loop, the region of interest. */
static double timed(void (*loop)(void)) {
  const double t0 = now_ns();
  PKUSIM_ROI_BEGIN();
  loop();
  PKUSIM_ROI_END();
  return now_ns() - t0;
}

static int by_value(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int main(int argc, char **argv) {
  static const char *const workloads[] = {"crypto-key", "kv-store", "watchpoint"};
  static const uint64_t defaults[] = {2000, 20000, 100000};
  static const char *const usage =
      "usage: pkusim-twin crypto-key|kv-store|watchpoint none|mprotect|pkey_mprotect|wrpkru "
      "[--scale F] [--paired N]\n";
  if (argc < 3) {
    fputs(usage, stderr);
    return 2;
  }
  int w = -1, v = -1;
  for (int i = 0; i < 3; ++i)
    if (strcmp(argv[1], workloads[i]) == 0) w = i;
  for (int i = 0; i < 4; ++i)
    if (strcmp(argv[2], kVariants[i]) == 0) v = i;
  double scale = 1.0;
  long paired = 0;
  for (int i = 3; i < argc; i += 2) {
    char *end = NULL;
    if (i + 1 >= argc) {
      fputs(usage, stderr);
      return 2;
    }
    if (strcmp(argv[i], "--scale") == 0) {
      scale = strtod(argv[i + 1], &end);
    } else if (strcmp(argv[i], "--paired") == 0) {
      paired = strtol(argv[i + 1], &end, 10);
    } else {
      fputs(usage, stderr);
      return 2;
    }
    if (!end || *end) {
      fprintf(stderr, "pkusim-twin: %s takes a number, got '%s'\n", argv[i], argv[i + 1]);
      return 2;
    }
  }
  if (w < 0 || v < 0 || !(scale > 0 && scale <= 1000) || paired < 0 || paired > 1000) {
    fprintf(stderr,
            "pkusim-twin: unknown workload or variant (%s %s), or --scale outside "
            "(0, 1000] or --paired outside 0 to 1000\n",
            argv[1], argv[2]);
    return 2;
  }
  const enum variant chosen = (enum variant)v;
  ops = (uint64_t)((double)defaults[w] * scale);
  if (ops < 1) ops = 1;
  Protected (*const setups[])(void) = {crypto_setup, kv_setup, watch_setup};
  void (*const loops[])(void) = {crypto_loop, kv_loop, watch_loop};
  variant = chosen;
  const Protected prot = setups[w]();
  if (paired == 0) {
    /* One run: the one pkusim-trace-program traces. */
    protect(prot.region, prot.len, prot.rights);
    const double ns = timed(loops[w]);
    printf(
        "{\"workload\":\"%s\",\"variant\":\"%s\",\"operations\":%llu,\"switches\":%llu,"
        "\"ns\":%.0f,\"checksum\":%llu}\n",
        workloads[w], kVariants[v], (unsigned long long)ops, (unsigned long long)switches, ns,
        (unsigned long long)(checksum + work_acc));
    return 0;
  }
  /* Paired: the unprotected and the protected loop alternately in the same
   * memory, so that where the host put the pages affects both alike. */
  double *none = calloc((size_t)paired, sizeof *none), *with = calloc((size_t)paired, sizeof *with);
  if (!none || !with) die("calloc");
  uint64_t per_run = 0;
  protect(prot.region, prot.len, prot.rights); /* allocates the key once */
  for (long r = 0; r < paired; ++r) {
    variant = chosen;
    unprotect(&prot);
    variant = kNone;
    none[r] = timed(loops[w]);
    variant = chosen;
    protect(prot.region, prot.len, prot.rights);
    const uint64_t before = switches;
    with[r] = timed(loops[w]);
    per_run = switches - before;
  }
  qsort(none, (size_t)paired, sizeof *none, by_value);
  qsort(with, (size_t)paired, sizeof *with, by_value);
  printf(
      "{\"workload\":\"%s\",\"variant\":\"%s\",\"operations\":%llu,\"switches\":%llu,"
      "\"runs\":%ld,\"ns\":%.0f,\"ns_median\":%.0f,\"ns_max\":%.0f,"
      "\"ns_none\":%.0f,\"ns_none_median\":%.0f,\"ns_none_max\":%.0f,\"checksum\":%llu}\n",
      workloads[w], kVariants[v], (unsigned long long)ops, (unsigned long long)per_run, paired,
      with[0], with[paired / 2], with[paired - 1], none[0], none[paired / 2], none[paired - 1],
      (unsigned long long)(checksum + work_acc));
  return 0;
}
