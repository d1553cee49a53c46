/* Order statistics of a sample: median, p10 and p90 interpolate linearly
 * between the two nearest ranks (the "type 7" estimator of R and NumPy). */
#include <stdlib.h>

#include "hostbench.h"

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static double quantile(const double *sorted, size_t n, double q) {
  double pos = q * (double)(n - 1);
  size_t lo = (size_t)pos;
  if (lo + 1 >= n) return sorted[n - 1];
  double frac = pos - (double)lo;
  return sorted[lo] + frac * (sorted[lo + 1] - sorted[lo]);
}

Stats stats_of(double *v, size_t n) {
  Stats s = {0, 0, 0, 0, 0, 0, n};
  if (n == 0) return s;
  qsort(v, n, sizeof v[0], cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  s.mean = sum / (double)n;
  s.min = v[0];
  s.max = v[n - 1];
  s.median = quantile(v, n, 0.5);
  s.p10 = quantile(v, n, 0.1);
  s.p90 = quantile(v, n, 0.9);
  return s;
}
