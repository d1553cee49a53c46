/* pkusim-hostbench: the command line, the benchmark registry and the run.
 *
 * Exit codes: 0 ok (missing rows are not failures), 2 usage error, 3 the
 * host cannot run the suite (pinning, memory), 5 the report could not be
 * written. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "hostbench.h"

#define HOSTBENCH_VERSION "0.1.0"

typedef struct {
  const char *name;
  void (*run)(Ctx *);
  const char *what;
} Bench;

static const Bench kBenches[] = {
    {"timer", bench_timer, "an empty timed region: the cost of the two timestamps"},
    {"core_clock", bench_core_clock, "the core clock, from a chain of dependent IMULs"},
    {"syscall", bench_syscall, "a null system call (getppid)"},
    {"mprotect", bench_mprotect, "mprotect(R) and mprotect(RW) of populated 4 KiB pages, 3 peers"},
    {"mprotect_thp", bench_mprotect_thp, "the same over transparent huge pages"},
    {"mprotect_split", bench_mprotect_split,
     "mprotect of one page inside a VMA: a split, then a merge"},
    {"refill", bench_refill, "touching the pages again after an mprotect pair (TLB refill)"},
    {"fault", bench_fault, "a minor page fault: first touch of a fresh anonymous page"},
    {"sigsegv", bench_sigsegv, "SIGSEGV delivery, a handler that fixes the address, sigreturn"},
    {"chase", bench_chase, "dependent pointer chase, 16 KiB to 1 GiB, 4 KiB pages and THP"},
    {"indep", bench_indep, "independent random loads over 1 GiB (memory-level parallelism)"},
    {"rdpkru", bench_rdpkru, "RDPKRU in a tight loop"},
    {"wrpkru", bench_wrpkru, "WRPKRU in a tight loop"},
    {"wrpkru_misses", bench_wrpkru_misses, "a WRPKRU pair every k independent cache misses"},
};
enum { kNumBenches = sizeof kBenches / sizeof kBenches[0] };

/* ---- helpers shared by the benchmarks --------------------------------- */

bool pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

size_t samples_for(double mean_ns, double budget_s, size_t lo, size_t hi) {
  if (!(mean_ns > 0)) return lo;
  double n = budget_s * 1e9 / mean_ns;
  if (n < (double)lo) return lo;
  if (n > (double)hi) return hi;
  return (size_t)n;
}

/* ---- CPU choice --------------------------------------------------------- */

/* Parses a sysfs CPU list ("0-3,8") into `set`. */
static void parse_cpu_list(const char *s, cpu_set_t *set) {
  CPU_ZERO(set);
  while (*s) {
    char *end;
    long a = strtol(s, &end, 10);
    if (end == s) break;
    long b = a;
    if (*end == '-') b = strtol(end + 1, &end, 10);
    for (long i = a; i <= b && i < CPU_SETSIZE; i++) CPU_SET((int)i, set);
    s = *end == ',' ? end + 1 : end;
    if (*end != ',') break;
  }
}

static bool smt_siblings(int a, int b) {
  char path[96], line[256] = "";
  snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu%d/topology/thread_siblings_list", a);
  FILE *f = fopen(path, "r");
  if (!f) return false;
  if (!fgets(line, sizeof line, f)) line[0] = 0;
  fclose(f);
  cpu_set_t s;
  parse_cpu_list(line, &s);
  return a != b && CPU_ISSET(b, &s);
}

/* The first allowed CPU for the measuring thread, and for the peer the first
 * other allowed CPU that is not its SMT sibling (a sibling if nothing else). */
static void choose_cpus(int *main_cpu, int *peer_cpu, bool *sibling) {
  cpu_set_t set;
  *main_cpu = 0;
  *peer_cpu = -1;
  *sibling = false;
  if (sched_getaffinity(0, sizeof set, &set) != 0) return;
  int first = -1, other = -1, sib = -1;
  for (int i = 0; i < CPU_SETSIZE; i++) {
    if (!CPU_ISSET(i, &set)) continue;
    if (first < 0) {
      first = i;
    } else if (smt_siblings(first, i)) {
      if (sib < 0) sib = i;
    } else if (other < 0) {
      other = i;
    }
  }
  *main_cpu = first < 0 ? 0 : first;
  *peer_cpu = other >= 0 ? other : sib;
  *sibling = other < 0 && sib >= 0;
}

/* ---- command line ------------------------------------------------------- */

static const char kUsage[] =
    "usage: pkusim-hostbench [--quick] [--only NAME[,NAME...]] [-o FILE] [--cpus MAIN,PEER]\n"
    "       pkusim-hostbench --list | --help\n"
    "\n"
    "Host microbenchmarks for `pkusim calibrate` (tools/hostbench/README.md).\n"
    "\n"
    "  --quick          a small subset with few samples (a smoke test, a few seconds)\n"
    "  --only LIST      run only these benchmarks (comma separated; see --list)\n"
    "  -o, --output F   write the JSON report to F atomically ('-' for stdout); the\n"
    "                   table then goes to stderr (without -o it goes to stdout and\n"
    "                   no JSON is written)\n"
    "  --cpus A,B       pin the measuring thread to CPU A and the peer thread to B\n"
    "  --list           print the benchmark names and what each measures\n"
    "  -h, --help       this text\n"
    "\n"
    "Exit status: 0 ok, 2 usage error, 3 host error, 5 the report could not be written.\n";

typedef struct {
  bool quick, list, help;
  const char *output;
  bool selected[kNumBenches];
  bool only;
  int cpu_main, cpu_peer; /* -1: choose */
} Options;

static _Noreturn void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static _Noreturn void usage_error(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "pkusim-hostbench: ");
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, " (try --help)\n");
  va_end(ap);
  exit(2);
}

static void select_benches(Options *o, const char *list) {
  char buf[512];
  if (strlen(list) >= sizeof buf) usage_error("--only list too long: '%s'", list);
  snprintf(buf, sizeof buf, "%s", list);
  o->only = true;
  bool any = false;
  for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    int found = -1;
    for (int i = 0; i < kNumBenches; i++)
      if (strcmp(tok, kBenches[i].name) == 0) found = i;
    if (found < 0) {
      char names[400] = "";
      for (int i = 0; i < kNumBenches; i++) {
        strncat(names, i ? ", " : "", sizeof names - strlen(names) - 1);
        strncat(names, kBenches[i].name, sizeof names - strlen(names) - 1);
      }
      fprintf(stderr, "pkusim-hostbench: unknown benchmark '%s'; valid: %s\n", tok, names);
      exit(2);
    }
    o->selected[found] = true;
    any = true;
  }
  if (!any) usage_error("--only needs at least one name, got '%s'", list);
}

static int parse_cpu(const char *s, const char *whole) {
  char *end;
  errno = 0;
  long v = strtol(s, &end, 10);
  if (errno || end == s || v < 0 || v >= CPU_SETSIZE || (*end && *end != ','))
    usage_error("--cpus wants MAIN,PEER (two CPU numbers), got '%s'", whole);
  return (int)v;
}

/* The value of an option: "--opt=V", or the next argument. */
static const char *value_of(int argc, char **argv, int *i, const char *opt) {
  const char *a = argv[*i];
  size_t n = strlen(opt);
  if (strncmp(a, opt, n) == 0 && a[n] == '=') return a + n + 1;
  if (*i + 1 >= argc) usage_error("%s needs a value", opt);
  return argv[++*i];
}

static bool is_opt(const char *a, const char *opt) {
  size_t n = strlen(opt);
  return strncmp(a, opt, n) == 0 && (a[n] == 0 || a[n] == '=');
}

static Options parse_args(int argc, char **argv) {
  Options o;
  memset(&o, 0, sizeof o);
  o.cpu_main = o.cpu_peer = -1;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quick") == 0) {
      o.quick = true;
    } else if (strcmp(a, "--list") == 0) {
      o.list = true;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      o.help = true;
    } else if (is_opt(a, "--only")) {
      select_benches(&o, value_of(argc, argv, &i, "--only"));
    } else if (strcmp(a, "-o") == 0 || is_opt(a, "--output")) {
      o.output = value_of(argc, argv, &i, a[1] == 'o' ? "-o" : "--output");
      if (!o.output[0]) usage_error("-o needs a file name");
    } else if (is_opt(a, "--cpus")) {
      const char *v = value_of(argc, argv, &i, "--cpus");
      const char *comma = strchr(v, ',');
      if (!comma) usage_error("--cpus wants MAIN,PEER (two CPU numbers), got '%s'", v);
      o.cpu_main = parse_cpu(v, v);
      o.cpu_peer = parse_cpu(comma + 1, v);
      if (o.cpu_main == o.cpu_peer) usage_error("--cpus wants two different CPUs, got '%s'", v);
    } else {
      usage_error("unknown argument '%s'", a);
    }
  }
  if (!o.only)
    for (int i = 0; i < kNumBenches; i++) o.selected[i] = true;
  return o;
}

/* ---- the run ------------------------------------------------------------ */

int main(int argc, char **argv) {
  Options o = parse_args(argc, argv);
  if (o.help) {
    fputs(kUsage, stdout);
    return 0;
  }
  if (o.list) {
    for (int i = 0; i < kNumBenches; i++) printf("%-14s %s\n", kBenches[i].name, kBenches[i].what);
    return 0;
  }
  double t0 = monotonic_raw_s();
  FILE *table = o.output ? stderr : stdout;

  Host h;
  host_probe(&h); /* before pinning: it counts the CPUs we may use */
  Ctx c;
  memset(&c, 0, sizeof c);
  c.quick = o.quick;
  if (o.cpu_main >= 0) {
    c.cpu_main = o.cpu_main;
    c.cpu_peer = o.cpu_peer;
    c.peer_smt_sibling = smt_siblings(o.cpu_main, o.cpu_peer);
  } else {
    choose_cpus(&c.cpu_main, &c.cpu_peer, &c.peer_smt_sibling);
  }
  if (!pin_self(c.cpu_main)) {
    fprintf(stderr, "pkusim-hostbench: cannot pin to CPU %d: %s\n", c.cpu_main, strerror(errno));
    return 3;
  }
  if (c.cpu_peer >= 0) {
    /* check now that the peer CPU is usable; pin back afterwards */
    if (!pin_self(c.cpu_peer)) {
      if (o.cpu_main >= 0) {
        fprintf(stderr, "pkusim-hostbench: cannot use CPU %d for the peer\n", c.cpu_peer);
        return 3;
      }
      c.cpu_peer = -1;
    }
    pin_self(c.cpu_main);
  }

  c.pku = h.pku && h.ospke;
  c.pku_why = !h.pku     ? "CPU has no PKU (CPUID.(EAX=7,ECX=0):ECX[3] = 0)"
              : !h.ospke ? "the kernel has not enabled PKU (CPUID OSPKE = 0)"
                         : "";
  c.thp_usable = strcmp(h.thp, "always") == 0 || strcmp(h.thp, "madvise") == 0;
  c.report = report_new(table);
  if (!c.report) return 3;

  fprintf(table, "pkusim-hostbench %s%s: %s (%s family %d model %d), %s, %d CPUs\n",
          HOSTBENCH_VERSION, o.quick ? " --quick" : "", h.brand, h.vendor, h.family, h.model,
          h.kernel, h.cpus_online);
  TscInfo tsc = tsc_calibrate(o.quick);
  c.tsc_ghz = tsc.ghz;
  fprintf(table,
          "TSC %.4f GHz (against CLOCK_MONOTONIC_RAW, %d windows of %.0f ms, spread %.0f ppm)%s\n",
          tsc.ghz, tsc.windows, tsc.window_ms, tsc.spread_ppm,
          tsc.invariant ? "" : "; the TSC is NOT invariant: times may be wrong");
  char peer[64];
  if (c.cpu_peer < 0)
    snprintf(peer, sizeof peer, "no second CPU: peer rows missing");
  else
    snprintf(peer, sizeof peer, "peer on CPU %d%s", c.cpu_peer,
             c.peer_smt_sibling ? " (its SMT sibling)" : "");
  fprintf(table, "measuring on CPU %d, %s; hypervisor %s; PKU %s; THP %s\n", c.cpu_main, peer,
          h.hypervisor ? (h.hypervisor_vendor[0] ? h.hypervisor_vendor : "yes") : "no",
          c.pku ? "yes" : (h.pku ? "in the CPU but not enabled by the OS (OSPKE 0)" : "no"), h.thp);
  fflush(table);

  int ran = 0;
  for (int i = 0; i < kNumBenches; i++) {
    if (!o.selected[i]) continue;
    fprintf(table, "== %s: %s\n", kBenches[i].name, kBenches[i].what);
    fflush(table);
    kBenches[i].run(&c);
    ran++;
  }
  double wall = monotonic_raw_s() - t0;
  fprintf(table, "done: %d benchmarks, %zu rows, %zu missing, %.1f s\n", ran, report_rows(c.report),
          report_missing_count(c.report), wall);

  int rc = 0;
  if (o.output) {
    static char host_buf[4096], run_buf[4096];
    host_json(&h, &tsc, c.core_ghz, host_buf, sizeof host_buf);
    char args[1024] = "";
    for (int i = 1; i < argc; i++) {
      strncat(args, i > 1 ? " " : "", sizeof args - strlen(args) - 1);
      strncat(args, argv[i], sizeof args - strlen(args) - 1);
    }
    char args_json[2100], only[600] = "";
    json_str(args_json, sizeof args_json, args);
    for (int i = 0; i < kNumBenches; i++) {
      if (!o.selected[i]) continue;
      strncat(only, only[0] ? ",\"" : "\"", sizeof only - strlen(only) - 1);
      strncat(only, kBenches[i].name, sizeof only - strlen(only) - 1);
      strncat(only, "\"", sizeof only - strlen(only) - 1);
    }
    snprintf(run_buf, sizeof run_buf,
             "{\"tool\":\"pkusim-hostbench\",\"tool_version\":\"%s\",\"args\":%s,"
             "\"quick\":%s,\"benches\":[%s],\"cpu_main\":%d,\"cpu_peer\":%d,"
             "\"peer_smt_sibling\":%s,\"wall_s\":%.2f}",
             HOSTBENCH_VERSION, args_json, o.quick ? "true" : "false", only, c.cpu_main, c.cpu_peer,
             c.peer_smt_sibling ? "true" : "false", wall);
    if (report_write_json(c.report, o.output, host_buf, run_buf) != 0) rc = 5;
  } else {
    fprintf(table, "(no -o FILE: the JSON report was not written)\n");
  }
  report_free(c.report);
  return rc;
}
