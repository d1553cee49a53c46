/* Memory regions for the benchmarks, and the kernel's counters read around
 * a measurement.
 *
 * A region is one VMA, 2 MiB aligned, between PROT_NONE guards: mprotect of
 * the whole region then never splits or merges VMAs, and 4 KiB regions have
 * the same page-table layout from run to run. The madvise (NOHUGEPAGE or
 * HUGEPAGE) comes before the first touch, so that THP "always" cannot hand
 * a 4 KiB region huge pages at population, and the region is populated by
 * MADV_POPULATE_WRITE (Linux 5.14), or by writing a byte of every page where
 * that is missing: private, written pages, never the shared zero page. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hostbench.h"

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23
#endif

/* MemAvailable from /proc/meminfo in bytes, -1 if unknown. */
static long long mem_available(void) {
  FILE *f = fopen("/proc/meminfo", "r");
  if (!f) return -1;
  char line[128];
  long long kb = -1;
  while (fgets(line, sizeof line, f))
    if (sscanf(line, "MemAvailable: %lld kB", &kb) == 1) break;
  fclose(f);
  return kb < 0 ? -1 : kb * 1024;
}

const char *region_error(int err) {
  return err == ENOMEM ? "not enough memory available" : strerror(err);
}

int region_map(Region *r, size_t bytes, PageKind kind, bool populate) {
  memset(r, 0, sizeof *r);
  long long avail = mem_available();
  if (populate && avail >= 0 && (double)bytes > 0.9 * (double)avail) return ENOMEM;
  size_t total = bytes + 3 * (size_t)kHugeBytes;
  char *res = mmap(NULL, total, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (res == MAP_FAILED) return errno;
  uintptr_t b = ((uintptr_t)res + kHugeBytes + kHugeBytes - 1) & ~(uintptr_t)(kHugeBytes - 1);
  char *base = (char *)b;
  if (mprotect(base, bytes, PROT_READ | PROT_WRITE) != 0 ||
      madvise(base, bytes, kind == kPagesThp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE) != 0) {
    int err = errno;
    munmap(res, total);
    return err;
  }
  r->base = base;
  r->bytes = bytes;
  r->kind = kind;
  r->reservation = res;
  r->reserved_bytes = total;
  if (populate && madvise(base, bytes, MADV_POPULATE_WRITE) != 0) {
    for (size_t off = 0; off < bytes; off += kPageBytes) ((volatile char *)base)[off] = 1;
  }
  return 0;
}

void region_unmap(Region *r) {
  if (r->reservation) munmap(r->reservation, r->reserved_bytes);
  memset(r, 0, sizeof *r);
}

long long smaps_huge_bytes(const void *addr) {
  FILE *f = fopen("/proc/self/smaps", "r");
  if (!f) return -1;
  char line[512];
  bool inside = false;
  long long result = -1;
  uintptr_t a = (uintptr_t)addr;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char c;
    /* a VMA header: "lo-hi perms offset dev inode path" */
    if (sscanf(line, "%lx-%lx %c", &lo, &hi, &c) == 3 && strchr(line, '-') < strchr(line, ' ')) {
      inside = a >= lo && a < hi;
      continue;
    }
    long long kb;
    if (inside && sscanf(line, "AnonHugePages: %lld kB", &kb) == 1) {
      result = kb * 1024;
      break;
    }
  }
  fclose(f);
  return result;
}

void tlb_counter_open(TlbCounter *t) {
  t->fd = open("/proc/interrupts", O_RDONLY | O_CLOEXEC);
  t->cap = 1 << 14;
  t->buf = malloc(t->cap);
  if (!t->buf && t->fd >= 0) {
    close(t->fd);
    t->fd = -1;
  }
}

void tlb_counter_close(TlbCounter *t) {
  if (t->fd >= 0) close(t->fd);
  free(t->buf);
  t->fd = -1;
  t->buf = NULL;
}

long long tlb_counter_read(TlbCounter *t) {
  if (t->fd < 0) return -1;
  ssize_t n;
  for (;;) { /* one CPU column per CPU: the file grows with the machine */
    n = pread(t->fd, t->buf, t->cap - 1, 0);
    if (n < 0) return -1;
    if ((size_t)n < t->cap - 1) break;
    char *nb = realloc(t->buf, t->cap * 2);
    if (!nb) return -1;
    t->buf = nb;
    t->cap *= 2;
  }
  t->buf[n] = 0;
  /* the label is "TLB:", right-aligned with spaces on big machines */
  char *line = strncmp(t->buf, "TLB:", 4) == 0 ? t->buf : NULL;
  for (char *p = t->buf; !line && (p = strstr(p, "TLB:")); p += 4)
    if (p[-1] == ' ' || p[-1] == '\n') line = p;
  if (!line) return -1;
  char *p = line + 4;
  long long sum = 0;
  for (;;) {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p) break;
    sum += v;
    p = end;
  }
  return sum;
}

long long minor_faults(void) {
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) != 0) return -1;
  return ru.ru_minflt;
}
