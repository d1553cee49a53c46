/* pkusim's protection-key shim, preloaded into a program traced with
 * tools/trace-program (docs/tracing.md).
 *
 * Valgrind does not support protection keys (pkey_alloc fails under it, and
 * WRPKRU is an unknown instruction), and this machine's CPU may have none.
 * This library implements glibc's protection-key API -- pkey_alloc,
 * pkey_free, pkey_mprotect, pkey_set, pkey_get -- by emulation, with Linux's
 * allocation rules and a per-thread emulated PKRU (0x55555554 at start), and
 * marks every call in the valgrind log through a client request
 * (VALGRIND_PRINTF), so that the trace carries the real key operations at the
 * right places: "PKUSIM pkey_alloc RIGHTS", "PKUSIM pkey_free KEY",
 * "PKUSIM pkey_mprotect ADDR LEN PROT KEY", "PKUSIM wrpkru VALUE",
 * "PKUSIM rdpkru". pkusim's lackey reader turns them into records.
 *
 * Emulation does not enforce anything: the traced run never faults on a
 * key; the replay faults where a PKU machine would. On a machine with PKU
 * and outside valgrind the calls go to the kernel. */
#define _GNU_SOURCE
#include <errno.h>
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

int pkey_alloc(unsigned int flags, unsigned int access_rights) {
  if (!emulate()) return (int)syscall(SYS_pkey_alloc, flags, access_rights);
  if (flags || (access_rights & ~3u)) {
    errno = EINVAL;
    return -1;
  }
  VALGRIND_PRINTF("PKUSIM pkey_alloc %u\n", access_rights);
  for (int k = 1; k < NUM_KEYS; ++k) {
    if (!(allocated & (1u << k))) {
      allocated |= 1u << k;
      set_rights(k, access_rights);
      return k;
    }
  }
  errno = ENOSPC;
  return -1;
}

int pkey_free(int key) {
  if (!emulate()) return (int)syscall(SYS_pkey_free, key);
  VALGRIND_PRINTF("PKUSIM pkey_free %d\n", key);
  if (key < 0 || key >= NUM_KEYS || !(allocated & (1u << key))) {
    errno = EINVAL;
    return -1;
  }
  allocated &= ~(1u << key);
  return 0;
}

int pkey_mprotect(void *addr, size_t len, int prot, int key) {
  if (!emulate()) return (int)syscall(SYS_pkey_mprotect, addr, len, prot, key);
  VALGRIND_PRINTF("PKUSIM pkey_mprotect %lx %lx %d %d\n", (unsigned long)addr, (unsigned long)len,
                  prot, key);
  if (key != -1 && (key < 0 || key >= NUM_KEYS || !(allocated & (1u << key)))) {
    errno = EINVAL;
    return -1;
  }
  /* The protection change itself is real (valgrind traces it as mprotect,
     which keeps the key pkusim has just set). */
  return mprotect(addr, len, prot);
}

int pkey_set(int key, unsigned int access_rights) {
  if (key < 0 || key >= NUM_KEYS || (access_rights & ~3u)) {
    errno = EINVAL;
    return -1;
  }
  if (!emulate()) {
    unsigned eax, edx = 0, ecx = 0;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(eax), "=d"(edx) : "c"(ecx));
    eax = (eax & ~(3u << (2 * key))) | (access_rights << (2 * key));
    __asm__ volatile(".byte 0x0f,0x01,0xef" : : "a"(eax), "c"(0), "d"(0));
    return 0;
  }
  set_rights(key, access_rights);
  VALGRIND_PRINTF("PKUSIM wrpkru %x\n", *thread_pkru());
  return 0;
}

int pkey_get(int key) {
  if (key < 0 || key >= NUM_KEYS) {
    errno = EINVAL;
    return -1;
  }
  unsigned value;
  if (!emulate()) {
    unsigned edx;
    __asm__ volatile(".byte 0x0f,0x01,0xee" : "=a"(value), "=d"(edx) : "c"(0));
  } else {
    value = *thread_pkru();
    VALGRIND_PRINTF("PKUSIM rdpkru\n");
  }
  return (int)((value >> (2 * key)) & 3u);
}
