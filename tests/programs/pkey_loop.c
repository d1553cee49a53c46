/* N iterations of some work on a key-protected page, opened and closed with
 * pkey_set around each use ("set"), or the same work without the calls
 * ("none"), inside a marked region of interest. "set" attaches the key with
 * one pkey_alloc and one pkey_mprotect; both call mprotect twice. The traces
 * of the two variants differ by those calls only: each must be one record
 * and nothing of the shim (tests/programs/e2e_shim.cmake).
 *   pkey_loop N set|none */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "pkusim_roi.h"

int main(int argc, char **argv) {
  if (argc != 3) return 1;
  const int n = atoi(argv[1]);
  const int with_keys = strcmp(argv[2], "set") == 0;
  unsigned char *page =
      mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (page == MAP_FAILED) return 2;
  memset(page, 7, 8192);
  int pkey = 0;
  if (with_keys) {
    pkey = pkey_alloc(0, 0);
    if (pkey < 0) return 3;
    if (pkey_mprotect(page, 4096, PROT_READ | PROT_WRITE, pkey) != 0) return 4;
  }
  if (mprotect(page + 4096, 4096, PROT_READ) != 0) return 5;
  if (mprotect(page + 4096, 4096, PROT_READ | PROT_WRITE) != 0) return 6;
  volatile unsigned sum = 0;
  PKUSIM_ROI_BEGIN();
  for (int i = 0; i < n; ++i) {
    if (with_keys) pkey_set(pkey, 0);
    sum += page[(i * 64) % 4096];
    if (with_keys) pkey_set(pkey, PKEY_DISABLE_ACCESS);
  }
  PKUSIM_ROI_END();
  printf("sum %u\n", sum);
  return 0;
}
