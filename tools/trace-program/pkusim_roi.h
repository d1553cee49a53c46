/* Marks the region of interest of a program traced with
 * pkusim-trace-program (docs/tracing.md): pkusim reports the statistics of
 * the records between PKUSIM_ROI_BEGIN() and PKUSIM_ROI_END() beside those of
 * the whole run, the steady state without start-up. At most one region per
 * run. Outside valgrind the macros do nothing (a check of a few
 * instructions). Needs valgrind's <valgrind/valgrind.h> (Debian: valgrind).
 *
 *   #include "pkusim_roi.h"
 *   PKUSIM_ROI_BEGIN();
 *   ... the work ...
 *   PKUSIM_ROI_END();
 */
#ifndef PKUSIM_ROI_H
#define PKUSIM_ROI_H
#include <valgrind/valgrind.h>

#define PKUSIM_ROI_BEGIN()                                          \
  do {                                                              \
    if (RUNNING_ON_VALGRIND) VALGRIND_PRINTF("PKUSIM roi begin\n"); \
  } while (0)
#define PKUSIM_ROI_END()                                          \
  do {                                                            \
    if (RUNNING_ON_VALGRIND) VALGRIND_PRINTF("PKUSIM roi end\n"); \
  } while (0)

/* In a SIGSEGV handler: the access at ADDR of SIZE bytes (1 to 64; a load,
 * or a store when STORE) trapped. Valgrind's lackey logs an access after it
 * is made, so one that faults is missing from the trace: this mark puts it
 * back, where the handler starts, for pkusim to fault it again. */
#define PKUSIM_TRAPPED(addr, size, store)                                    \
  do {                                                                       \
    if (RUNNING_ON_VALGRIND)                                                 \
      VALGRIND_PRINTF("PKUSIM trap %s %lx %u\n", (store) ? "store" : "load", \
                      (unsigned long)(addr), (unsigned)(size));              \
  } while (0)

#endif
