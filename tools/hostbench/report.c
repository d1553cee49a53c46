/* Result rows, the human table and the JSON report (README.md, "Output").
 *
 * Every measured point becomes one row as soon as it is measured: it is
 * printed to the table stream at once (the progress indication) and kept for
 * the JSON report, which is written at the end, atomically (a temporary file
 * in the target's directory, fsync, rename). */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostbench.h"

typedef struct {
  char bench[24];
  Params params;
  char unit[8];
  char per[16];
  Stats st;
  bool has_cycles;
  double median_cycles;
  size_t warmup;
  uint64_t ops_per_sample;
  Notes notes;
  char why[200]; /* missing rows only */
} Row;

struct Report {
  FILE *table;
  double start_s;
  Row *rows;
  size_t n_rows, cap_rows;
  Row *missing;
  size_t n_missing, cap_missing;
};

void params_int(Params *ps, const char *key, long long v) {
  if (ps->n >= kMaxParams) return;
  Param *p = &ps->p[ps->n++];
  p->key = key;
  p->is_str = false;
  p->i = v;
  p->s[0] = 0;
}

void params_str(Params *ps, const char *key, const char *v) {
  if (ps->n >= kMaxParams) return;
  Param *p = &ps->p[ps->n++];
  p->key = key;
  p->is_str = true;
  p->i = 0;
  snprintf(p->s, sizeof p->s, "%s", v);
}

void notes_add(Notes *ns, const char *key, double v) {
  if (ns->count >= (int)(sizeof ns->n / sizeof ns->n[0])) return;
  ns->n[ns->count].key = key;
  ns->n[ns->count].v = v;
  ns->count++;
}

Report *report_new(FILE *table) {
  Report *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->table = table;
  r->start_s = monotonic_raw_s();
  return r;
}

void report_free(Report *r) {
  if (!r) return;
  free(r->rows);
  free(r->missing);
  free(r);
}

size_t report_rows(const Report *r) { return r->n_rows; }
size_t report_missing_count(const Report *r) { return r->n_missing; }

static Row *push(Row **v, size_t *n, size_t *cap) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 64;
    Row *nv = realloc(*v, nc * sizeof *nv);
    if (!nv) {
      fprintf(stderr, "pkusim-hostbench: out of memory for results\n");
      exit(3);
    }
    *v = nv;
    *cap = nc;
  }
  Row *row = &(*v)[(*n)++];
  memset(row, 0, sizeof *row);
  return row;
}

/* ---- the human table ---------------------------------------------------- */

static void params_text(const Params *ps, char *out, size_t cap) {
  size_t len = 0;
  out[0] = 0;
  for (int i = 0; i < ps->n && len < cap; i++) {
    const Param *p = &ps->p[i];
    int w = p->is_str ? snprintf(out + len, cap - len, "%s%s=%s", i ? " " : "", p->key, p->s)
                      : snprintf(out + len, cap - len, "%s%s=%lld", i ? " " : "", p->key, p->i);
    if (w < 0) break;
    len += (size_t)w;
  }
}

/* A time in ns with a unit that keeps 3 or 4 significant digits. */
static void fmt_time(double ns, char *out, size_t cap) {
  double a = fabs(ns);
  if (a < 10)
    snprintf(out, cap, "%.2f ns", ns);
  else if (a < 1e3)
    snprintf(out, cap, "%.1f ns", ns);
  else if (a < 1e6)
    snprintf(out, cap, "%.2f us", ns / 1e3);
  else
    snprintf(out, cap, "%.2f ms", ns / 1e6);
}

static double elapsed(const Report *r) { return monotonic_raw_s() - r->start_s; }

static void table_row(const Report *r, const Row *row) {
  char ptxt[160], med[24], lo[24], hi[24];
  params_text(&row->params, ptxt, sizeof ptxt);
  if (strcmp(row->unit, "ns") == 0) {
    fmt_time(row->st.median, med, sizeof med);
    fmt_time(row->st.p10, lo, sizeof lo);
    fmt_time(row->st.p90, hi, sizeof hi);
  } else {
    snprintf(med, sizeof med, "%.3f %s", row->st.median, row->unit);
    snprintf(lo, sizeof lo, "%.3f", row->st.p10);
    snprintf(hi, sizeof hi, "%.3f", row->st.p90);
  }
  fprintf(r->table, "%7.1fs  %-14s %-52s %11s/%-5s [%s .. %s] n=%zu", elapsed(r), row->bench, ptxt,
          med, row->per, lo, hi, row->st.n);
  if (row->has_cycles)
    fprintf(r->table, row->median_cycles < 100 ? " %.1f tsc" : " %.0f tsc", row->median_cycles);
  for (int i = 0; i < row->notes.count; i++)
    fprintf(r->table, " %s=%.3g", row->notes.n[i].key, row->notes.n[i].v);
  fputc('\n', r->table);
  fflush(r->table);
}

void report_progress(Ctx *c, const char *fmt, ...) {
  Report *r = c->report;
  va_list ap;
  va_start(ap, fmt);
  fprintf(r->table, "%7.1fs  ", elapsed(r));
  vfprintf(r->table, fmt, ap);
  fputc('\n', r->table);
  fflush(r->table);
  va_end(ap);
}

/* ---- adding rows -------------------------------------------------------- */

static Row *new_row(Ctx *c, const char *bench, const Params *ps, const char *unit, const char *per,
                    double *samples, size_t n, size_t warmup, uint64_t ops) {
  Report *r = c->report;
  Row *row = push(&r->rows, &r->n_rows, &r->cap_rows);
  snprintf(row->bench, sizeof row->bench, "%s", bench);
  if (ps) row->params = *ps;
  snprintf(row->unit, sizeof row->unit, "%s", unit);
  snprintf(row->per, sizeof row->per, "%s", per);
  row->st = stats_of(samples, n);
  row->warmup = warmup;
  row->ops_per_sample = ops;
  return row;
}

Stats report_row(Ctx *c, const char *bench, const Params *ps, const char *per, double *samples_ns,
                 size_t n, size_t warmup, uint64_t ops_per_sample, const Notes *notes) {
  Row *row = new_row(c, bench, ps, "ns", per, samples_ns, n, warmup, ops_per_sample);
  row->has_cycles = true;
  row->median_cycles = row->st.median * c->tsc_ghz;
  if (notes) row->notes = *notes;
  table_row(c->report, row);
  return row->st;
}

Stats report_value_row(Ctx *c, const char *bench, const Params *ps, const char *unit,
                       const char *per, double *samples, size_t n, size_t warmup,
                       uint64_t ops_per_sample) {
  Row *row = new_row(c, bench, ps, unit, per, samples, n, warmup, ops_per_sample);
  table_row(c->report, row);
  return row->st;
}

void report_missing(Ctx *c, const char *bench, const Params *ps, const char *why) {
  Report *r = c->report;
  Row *row = push(&r->missing, &r->n_missing, &r->cap_missing);
  snprintf(row->bench, sizeof row->bench, "%s", bench);
  if (ps) row->params = *ps;
  snprintf(row->why, sizeof row->why, "%s", why);
  char ptxt[160];
  params_text(&row->params, ptxt, sizeof ptxt);
  fprintf(r->table, "%7.1fs  %-14s %-52s MISSING: %s\n", elapsed(r), bench, ptxt, why);
  fflush(r->table);
}

/* ---- JSON --------------------------------------------------------------- */

typedef struct {
  char *s;
  size_t len, cap;
  bool failed;
} Buf;

static void bprintf(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void bprintf(Buf *b, const char *fmt, ...) {
  if (b->failed) return;
  for (;;) {
    va_list ap;
    va_start(ap, fmt);
    int w = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (w < 0) {
      b->failed = true;
      return;
    }
    if ((size_t)w < b->cap - b->len) {
      b->len += (size_t)w;
      return;
    }
    size_t nc = (b->cap + (size_t)w) * 2;
    char *ns = realloc(b->s, nc);
    if (!ns) {
      b->failed = true;
      return;
    }
    b->s = ns;
    b->cap = nc;
  }
}

void json_str(char *out, size_t cap, const char *s) {
  size_t len = 0;
  if (cap < 3) return;
  out[len++] = '"';
  for (const unsigned char *p = (const unsigned char *)s; *p && len + 8 < cap; p++) {
    if (*p == '"' || *p == '\\') {
      out[len++] = '\\';
      out[len++] = (char)*p;
    } else if (*p < 0x20) {
      len += (size_t)snprintf(out + len, cap - len, "\\u%04x", *p);
    } else {
      out[len++] = (char)*p;
    }
  }
  out[len++] = '"';
  out[len] = 0;
}

static void bnum(Buf *b, double v) {
  if (isfinite(v))
    bprintf(b, "%.7g", v);
  else
    bprintf(b, "null");
}

static void bparams(Buf *b, const Params *ps) {
  bprintf(b, "{");
  for (int i = 0; i < ps->n; i++) {
    const Param *p = &ps->p[i];
    char v[64];
    if (p->is_str)
      json_str(v, sizeof v, p->s);
    else
      snprintf(v, sizeof v, "%lld", p->i);
    bprintf(b, "%s\"%s\":%s", i ? "," : "", p->key, v);
  }
  bprintf(b, "}");
}

static void brow(Buf *b, const Row *row) {
  bprintf(b, "{\"bench\":\"%s\",\"params\":", row->bench);
  bparams(b, &row->params);
  bprintf(b, ",\"unit\":\"%s\",\"per\":\"%s\",\"median\":", row->unit, row->per);
  bnum(b, row->st.median);
  bprintf(b, ",\"p10\":");
  bnum(b, row->st.p10);
  bprintf(b, ",\"p90\":");
  bnum(b, row->st.p90);
  bprintf(b, ",\"min\":");
  bnum(b, row->st.min);
  bprintf(b, ",\"max\":");
  bnum(b, row->st.max);
  bprintf(b, ",\"mean\":");
  bnum(b, row->st.mean);
  if (row->has_cycles) {
    bprintf(b, ",\"median_cycles\":");
    bnum(b, row->median_cycles);
  }
  bprintf(b, ",\"samples\":%zu,\"warmup\":%zu,\"ops_per_sample\":%llu", row->st.n, row->warmup,
          (unsigned long long)row->ops_per_sample);
  if (row->notes.count) {
    bprintf(b, ",\"notes\":{");
    for (int i = 0; i < row->notes.count; i++) {
      bprintf(b, "%s\"%s\":", i ? "," : "", row->notes.n[i].key);
      bnum(b, row->notes.n[i].v);
    }
    bprintf(b, "}");
  }
  bprintf(b, "}");
}

static int write_all(int fd, const char *s, size_t n) {
  while (n) {
    ssize_t w = write(fd, s, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    s += w;
    n -= (size_t)w;
  }
  return 0;
}

int report_write_json(const Report *r, const char *path, const char *host_json,
                      const char *run_json) {
  Buf b = {0};
  bprintf(&b, "{\"schema\":\"pkusim.hostbench\",\"version\":1,\n\"host\":%s,\n\"run\":%s,\n",
          host_json, run_json);
  bprintf(&b, "\"results\":[");
  for (size_t i = 0; i < r->n_rows; i++) {
    bprintf(&b, "%s\n ", i ? "," : "");
    brow(&b, &r->rows[i]);
  }
  bprintf(&b, "],\n\"missing\":[");
  for (size_t i = 0; i < r->n_missing; i++) {
    const Row *m = &r->missing[i];
    char why[420];
    json_str(why, sizeof why, m->why);
    bprintf(&b, "%s\n {\"bench\":\"%s\",\"params\":", i ? "," : "", m->bench);
    bparams(&b, &m->params);
    bprintf(&b, ",\"why\":%s}", why);
  }
  bprintf(&b, "]}\n");
  if (b.failed) {
    free(b.s);
    fprintf(stderr, "pkusim-hostbench: out of memory writing the report\n");
    return -1;
  }

  if (strcmp(path, "-") == 0) {
    int rc = write_all(STDOUT_FILENO, b.s, b.len);
    free(b.s);
    return rc;
  }
  size_t plen = strlen(path);
  char *tmp = malloc(plen + 16);
  if (!tmp) {
    free(b.s);
    return -1;
  }
  snprintf(tmp, plen + 16, "%s.tmpXXXXXX", path);
  const char *what = "create";
  int err = 0;
  int fd = mkstemp(tmp);
  if (fd < 0) {
    err = errno;
  } else {
    if (write_all(fd, b.s, b.len) != 0 || fchmod(fd, 0644) != 0 || fsync(fd) != 0) {
      what = "write";
      err = errno;
    }
    if (close(fd) != 0 && !err) {
      what = "write";
      err = errno;
    }
    if (!err && rename(tmp, path) != 0) {
      what = "rename";
      err = errno;
    }
    if (err) unlink(tmp);
  }
  if (err && fd < 0)
    fprintf(stderr, "pkusim-hostbench: cannot create a temporary file next to %s: %s\n", path,
            strerror(err));
  else if (err)
    fprintf(stderr, "pkusim-hostbench: cannot %s %s (for %s): %s\n", what, tmp, path,
            strerror(err));
  int rc = err ? -1 : 0;
  free(tmp);
  free(b.s);
  return rc;
}
