/* pkusim's protection-key shim, preloaded into a program traced with
 * tools/trace-program (docs/tracing.md).
 *
 * Valgrind does not decode WRPKRU and RDPKRU, and pkey_alloc fails under
 * it. This library implements glibc's protection-key API -- pkey_alloc,
 * pkey_free, pkey_mprotect, pkey_set, pkey_get -- by emulation, with Linux's
 * allocation rules and a per-thread emulated PKRU (0x55555554 at start).
 *
 * The shim must be invisible in the trace: each call must become exactly one
 * record of what the program did (the system call, or the WRPKRU / RDPKRU),
 * and none of the shim's own instructions, memory accesses or system calls
 * (pkey_mprotect's real mprotect) may appear. So it marks itself in the
 * valgrind log through client requests (VALGRIND_PRINTF, which the log
 * prefixes with "**PID** "), and pkusim's lackey reader acts on the marks:
 *   "PKUSIM shim LO HI"     once, at load: the shim's code; every traced
 *                           instruction whose address is in [LO, HI) is
 *                           dropped, with its data accesses;
 *   "PKUSIM begin"          a call's body starts: everything until the end
 *                           mark is dropped (libc code the shim calls, the
 *                           real mprotect's SYSCALL line);
 *   "PKUSIM end OP ARGS"    the call's body ends; it was one OP record:
 *                           pkey_alloc RIGHTS, pkey_free KEY, pkey_mprotect
 *                           ADDR LEN PROT KEY, wrpkru VALUE, rdpkru, or none
 *                           (a call glibc refuses without an instruction).
 *
 * Emulation enforces nothing: the traced run never faults on a key; the
 * replay faults where a PKU machine would. Outside valgrind the calls go to
 * the kernel and the CPU. */
#define _GNU_SOURCE
#include <errno.h>
#include <link.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <valgrind/valgrind.h>

#define NUM_KEYS 16
#define DEFAULT_PKRU 0x55555554u

static unsigned allocated = 1; /* key 0 is allocated at exec */
static __thread unsigned pkru = DEFAULT_PKRU;
static __thread int pkru_init;

static int emulate(void) { return RUNNING_ON_VALGRIND; }

static unsigned *thread_pkru(void) {
  if (!pkru_init) {
    pkru = DEFAULT_PKRU;
    pkru_init = 1;
  }
  return &pkru;
}

static void set_rights(int key, unsigned rights) {
  unsigned *p = thread_pkru();
  *p = (*p & ~(3u << (2 * key))) | ((rights & 3u) << (2 * key));
}

/* The executable segment of this library, for the reader to drop. */
static int find_self(struct dl_phdr_info *info, size_t size, void *data) {
  (void)size;
  const uintptr_t self = (uintptr_t)&find_self;
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X)) continue;
    const uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
    if (self >= lo && self < hi) {
      ((uintptr_t *)data)[0] = lo;
      ((uintptr_t *)data)[1] = hi;
      return 1;
    }
  }
  return 0;
}

__attribute__((constructor)) static void announce(void) {
  if (!emulate()) return;
  uintptr_t range[2] = {0, 0};
  if (dl_iterate_phdr(find_self, range)) {
    VALGRIND_PRINTF("PKUSIM shim %lx %lx\n", (unsigned long)range[0], (unsigned long)range[1]);
  }
}

int pkey_alloc(unsigned int flags, unsigned int access_rights) {
  if (!emulate()) return (int)syscall(SYS_pkey_alloc, flags, access_rights);
  VALGRIND_PRINTF("PKUSIM begin\n");
  int key = -1;
  if (flags || (access_rights & ~3u)) {
    errno = EINVAL;
  } else {
    for (int k = 1; k < NUM_KEYS && key < 0; ++k) {
      if (!(allocated & (1u << k))) {
        allocated |= 1u << k;
        set_rights(k, access_rights);
        key = k;
      }
    }
    if (key < 0) errno = ENOSPC;
  }
  /* A system call either way: the kernel answers EINVAL or ENOSPC itself. */
  VALGRIND_PRINTF("PKUSIM end pkey_alloc %u\n", access_rights);
  return key;
}

int pkey_free(int key) {
  if (!emulate()) return (int)syscall(SYS_pkey_free, key);
  VALGRIND_PRINTF("PKUSIM begin\n");
  int ret = 0;
  if (key < 0 || key >= NUM_KEYS || !(allocated & (1u << key))) {
    errno = EINVAL;
    ret = -1;
  } else {
    allocated &= ~(1u << key);
  }
  VALGRIND_PRINTF("PKUSIM end pkey_free %d\n", key);
  return ret;
}

int pkey_mprotect(void *addr, size_t len, int prot, int key) {
  if (!emulate()) return (int)syscall(SYS_pkey_mprotect, addr, len, prot, key);
  VALGRIND_PRINTF("PKUSIM begin\n");
  int ret;
  if (key != -1 && (key < 0 || key >= NUM_KEYS || !(allocated & (1u << key)))) {
    errno = EINVAL;
    ret = -1;
  } else {
    /* The protection change itself is real, so that the program runs as it
       would; its SYSCALL line is dropped with the rest of the body. */
    ret = mprotect(addr, len, prot);
  }
  VALGRIND_PRINTF("PKUSIM end pkey_mprotect %lx %lx %d %d\n", (unsigned long)addr,
                  (unsigned long)len, prot, key);
  return ret;
}

int pkey_set(int key, unsigned int access_rights) {
  if (!emulate()) {
    if (key < 0 || key >= NUM_KEYS || (access_rights & ~3u)) {
      errno = EINVAL;
      return -1;
    }
    unsigned eax, edx = 0, ecx = 0;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(ecx));
    eax = (eax & ~(3u << (2 * key))) | (access_rights << (2 * key));
    __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(eax), "c"(0), "d"(0));
    return 0;
  }
  VALGRIND_PRINTF("PKUSIM begin\n");
  if (key < 0 || key >= NUM_KEYS || (access_rights & ~3u)) {
    errno = EINVAL; /* glibc refuses before any instruction */
    VALGRIND_PRINTF("PKUSIM end none\n");
    return -1;
  }
  set_rights(key, access_rights);
  VALGRIND_PRINTF("PKUSIM end wrpkru %x\n", *thread_pkru());
  return 0;
}

int pkey_get(int key) {
  if (!emulate()) {
    if (key < 0 || key >= NUM_KEYS) {
      errno = EINVAL;
      return -1;
    }
    unsigned value, edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(value), "=d"(edx) : "c"(0));
    return (int)((value >> (2 * key)) & 3u);
  }
  VALGRIND_PRINTF("PKUSIM begin\n");
  if (key < 0 || key >= NUM_KEYS) {
    errno = EINVAL;
    VALGRIND_PRINTF("PKUSIM end none\n");
    return -1;
  }
  const unsigned value = *thread_pkru();
  VALGRIND_PRINTF("PKUSIM end rdpkru\n");
  return (int)((value >> (2 * key)) & 3u);
}
