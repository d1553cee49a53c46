/* Host facts for the report: the CPU (CPUID), the kernel, the THP policy,
 * the hypervisor and the paravirtual features that change the cost of a TLB
 * shootdown (KVM's PV TLB flush skips the IPI to a preempted vCPU; PV send
 * IPI batches IPIs into one hypercall). */
#define _GNU_SOURCE
#include <cpuid.h>
#include <glob.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "hostbench.h"

/* Copies `s` into `out`, truncated to fit. */
static void copy_str(char *out, size_t cap, const char *s) {
  size_t n = strlen(s);
  if (n >= cap) n = cap - 1;
  memcpy(out, s, n);
  out[n] = 0;
}

/* The first line of a file, without its newline; "" if unreadable. */
static void read_line(const char *path, char *out, size_t cap) {
  out[0] = 0;
  FILE *f = fopen(path, "r");
  if (!f) return;
  if (fgets(out, (int)cap, f)) out[strcspn(out, "\n")] = 0;
  fclose(f);
}

/* The bracketed choice of a sysfs policy file ("always [madvise] never"). */
static void read_choice(const char *path, char *out, size_t cap) {
  char line[160];
  read_line(path, line, sizeof line);
  char *l = strchr(line, '['), *r = l ? strchr(l, ']') : NULL;
  if (!l || !r) {
    copy_str(out, cap, line[0] ? line : "unknown");
    return;
  }
  *r = 0;
  copy_str(out, cap, l + 1);
}

static void cpu_probe(Host *h) {
  unsigned a, b, c, d;
  __cpuid(0, a, b, c, d);
  unsigned max_leaf = a;
  memcpy(h->vendor, &b, 4);
  memcpy(h->vendor + 4, &d, 4);
  memcpy(h->vendor + 8, &c, 4);
  h->vendor[12] = 0;

  __cpuid(1, a, b, c, d);
  unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
  if (fam == 0xf) fam += (a >> 20) & 0xff;
  if (fam == 0x6 || fam >= 0xf) mod |= ((a >> 16) & 0xf) << 4;
  h->family = (int)fam;
  h->model = (int)mod;
  h->stepping = (int)(a & 0xf);
  h->hypervisor = (c >> 31) & 1;
  bool osxsave = (c >> 27) & 1;

  h->pku = h->ospke = false;
  if (max_leaf >= 7) {
    __cpuid_count(7, 0, a, b, c, d);
    h->pku = (c >> 3) & 1;
    h->ospke = (c >> 4) & 1;
  }
  h->xsave_bytes = 0;
  if (max_leaf >= 0xd && osxsave) {
    __cpuid_count(0xd, 0, a, b, c, d);
    h->xsave_bytes = b; /* for the features enabled in XCR0 */
  }

  h->brand[0] = 0;
  if ((unsigned)__get_cpuid_max(0x80000000, NULL) >= 0x80000004) {
    unsigned r[12];
    for (unsigned i = 0; i < 3; i++)
      __cpuid(0x80000002 + i, r[4 * i], r[4 * i + 1], r[4 * i + 2], r[4 * i + 3]);
    memcpy(h->brand, r, 48);
    h->brand[48] = 0;
    /* trim the padding */
    char *s = h->brand;
    while (*s == ' ') s++;
    memmove(h->brand, s, strlen(s) + 1);
    for (size_t n = strlen(h->brand); n && h->brand[n - 1] == ' '; n--) h->brand[n - 1] = 0;
  }

  h->hypervisor_vendor[0] = 0;
  h->kvm_pv_tlb_flush = h->kvm_pv_send_ipi = false;
  if (h->hypervisor) {
    __cpuid(0x40000000, a, b, c, d);
    unsigned hv_max = a;
    memcpy(h->hypervisor_vendor, &b, 4);
    memcpy(h->hypervisor_vendor + 4, &c, 4);
    memcpy(h->hypervisor_vendor + 8, &d, 4);
    h->hypervisor_vendor[12] = 0;
    if (strcmp(h->hypervisor_vendor, "KVMKVMKVM") == 0 && hv_max >= 0x40000001) {
      __cpuid(0x40000001, a, b, c, d);
      h->kvm_pv_tlb_flush = (a >> 9) & 1; /* KVM_FEATURE_PV_TLB_FLUSH */
      h->kvm_pv_send_ipi = (a >> 11) & 1; /* KVM_FEATURE_PV_SEND_IPI */
    }
  }
}

static void mthp_probe(Host *h) {
  h->mthp[0] = 0;
  glob_t g;
  if (glob("/sys/kernel/mm/transparent_hugepage/hugepages-*kB/enabled", 0, NULL, &g) != 0) return;
  size_t len = 0;
  for (size_t i = 0; i < g.gl_pathc; i++) {
    char choice[24], size[24];
    read_choice(g.gl_pathv[i], choice, sizeof choice);
    if (strcmp(choice, "never") == 0) continue;
    const char *p = strstr(g.gl_pathv[i], "hugepages-");
    if (!p || sscanf(p, "hugepages-%23[0-9kB]", size) != 1) continue;
    int w = snprintf(h->mthp + len, sizeof h->mthp - len, "%s%s:%s", len ? " " : "", size, choice);
    if (w < 0 || (size_t)w >= sizeof h->mthp - len) break;
    len += (size_t)w;
  }
  globfree(&g);
}

/* The caches as sysfs describes them (Documentation/ABI/testing/
   sysfs-devices-system-cpu, cache/index*): what the guest is told, which in
   a VM may be more than it effectively gets of a shared LLC. */
static void cache_probe(Host *h) {
  for (int i = 0; i < 8 && h->ncaches < 8; ++i) {
    char path[96], line[64];
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", i);
    read_line(path, line, sizeof line);
    if (!line[0]) break;
    const int level = atoi(line);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", i);
    char type[16];
    read_line(path, type, sizeof type);
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", i);
    read_line(path, line, sizeof line);
    char *end = NULL;
    long bytes = strtol(line, &end, 10);
    if (end && (*end == 'K' || *end == 'k')) bytes *= 1024;
    if (end && *end == 'M') bytes *= 1024L * 1024;
    snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/ways_of_associativity",
             i);
    read_line(path, line, sizeof line);
    const int ways = atoi(line);
    if (level <= 0 || bytes <= 0 || !type[0]) continue;
    h->caches[h->ncaches].level = level;
    copy_str(h->caches[h->ncaches].type, sizeof h->caches[h->ncaches].type, type);
    h->caches[h->ncaches].bytes = bytes;
    h->caches[h->ncaches].ways = ways;
    ++h->ncaches;
  }
}

void host_probe(Host *h) {
  memset(h, 0, sizeof *h);
  cpu_probe(h);
  time_t now = time(NULL);
  struct tm tm;
  gmtime_r(&now, &tm);
  strftime(h->date, sizeof h->date, "%Y-%m-%dT%H:%M:%SZ", &tm);
  struct utsname u;
  if (uname(&u) == 0) copy_str(h->kernel, sizeof h->kernel, u.release);
  read_choice("/sys/kernel/mm/transparent_hugepage/enabled", h->thp, sizeof h->thp);
  read_choice("/sys/kernel/mm/transparent_hugepage/defrag", h->thp_defrag, sizeof h->thp_defrag);
  if (!h->thp[0] || strcmp(h->thp, "unknown") == 0) copy_str(h->thp, sizeof h->thp, "absent");
  mthp_probe(h);
  read_line("/sys/devices/system/cpu/vulnerabilities/meltdown", h->meltdown, sizeof h->meltdown);
  h->cpus_online = (int)sysconf(_SC_NPROCESSORS_ONLN);
  cpu_set_t set;
  h->cpus_allowed = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set) : 0;
  char ceiling[32];
  read_line("/sys/kernel/debug/x86/tlb_single_page_flush_ceiling", ceiling, sizeof ceiling);
  h->flush_ceiling = ceiling[0] ? atol(ceiling) : -1;
  cache_probe(h);
}

void host_json(const Host *h, const TscInfo *t, double core_ghz, char *out, size_t cap) {
  char brand[140], vendor[40], kernel[200], hv[40], thp[40], defrag[60], mthp[280], melt[140];
  json_str(brand, sizeof brand, h->brand);
  json_str(vendor, sizeof vendor, h->vendor);
  json_str(kernel, sizeof kernel, h->kernel);
  json_str(hv, sizeof hv, h->hypervisor_vendor);
  json_str(thp, sizeof thp, h->thp);
  json_str(defrag, sizeof defrag, h->thp_defrag);
  json_str(mthp, sizeof mthp, h->mthp);
  json_str(melt, sizeof melt, h->meltdown);
  char ceiling[24];
  if (h->flush_ceiling >= 0)
    snprintf(ceiling, sizeof ceiling, "%ld", h->flush_ceiling);
  else
    snprintf(ceiling, sizeof ceiling, "null");
  char cpuid_ghz[24];
  if (t->cpuid_ghz > 0)
    snprintf(cpuid_ghz, sizeof cpuid_ghz, "%.6f", t->cpuid_ghz);
  else
    snprintf(cpuid_ghz, sizeof cpuid_ghz, "null");
  char core[24];
  if (core_ghz > 0)
    snprintf(core, sizeof core, "%.4f", core_ghz);
  else
    snprintf(core, sizeof core, "null");
  char caches[512] = "[";
  for (int i = 0; i < h->ncaches; ++i) {
    char type[40];
    json_str(type, sizeof type, h->caches[i].type);
    const size_t len = strlen(caches);
    snprintf(caches + len, sizeof caches - len, "%s{\"level\":%d,\"type\":%s,\"bytes\":%ld,\"ways\":%d}",
             i ? "," : "", h->caches[i].level, type, h->caches[i].bytes, h->caches[i].ways);
  }
  strncat(caches, "]", sizeof caches - strlen(caches) - 1);
  snprintf(out, cap,
           "{\"cpu\":%s,\"vendor\":%s,\"family\":%d,\"model\":%d,\"stepping\":%d,"
           "\"kernel\":%s,\"date\":\"%s\",\"cpus\":%d,\"cpus_allowed\":%d,"
           "\"pku\":%s,\"ospke\":%s,\"thp\":%s,\"thp_defrag\":%s,\"mthp\":%s,"
           "\"hypervisor\":%s,\"hypervisor_vendor\":%s,\"kvm_pv_tlb_flush\":%s,"
           "\"kvm_pv_send_ipi\":%s,\"meltdown\":%s,\"xsave_bytes\":%u,"
           "\"tlb_single_page_flush_ceiling\":%s,"
           "\"tsc_ghz\":%.6f,\"tsc_invariant\":%s,\"tsc_calibration\":{\"clock\":"
           "\"CLOCK_MONOTONIC_RAW\",\"windows\":%d,\"window_ms\":%.0f,\"spread_ppm\":%.1f,"
           "\"cpuid_ghz\":%s,\"cpuid_leaf\":\"%s\"},\"core_ghz\":%s,\"caches\":%s}",
           brand, vendor, h->family, h->model, h->stepping, kernel, h->date, h->cpus_online,
           h->cpus_allowed, h->pku ? "true" : "false", h->ospke ? "true" : "false", thp, defrag,
           mthp, h->hypervisor ? "true" : "false", hv, h->kvm_pv_tlb_flush ? "true" : "false",
           h->kvm_pv_send_ipi ? "true" : "false", melt, h->xsave_bytes, ceiling, t->ghz,
           t->invariant ? "true" : "false", t->windows, t->window_ms, t->spread_ppm, cpuid_ghz,
           t->cpuid_src, core, caches);
}
