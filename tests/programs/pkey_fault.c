/* Reads a secret while its key is access-disabled: on a PKU machine the
 * load faults with SIGSEGV, si_code SEGV_PKUERR, si_pkey = the key. Under
 * the emulating shim it does not fault, and the replay must. */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>

int main(void) {
  volatile unsigned char *secret =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (secret == MAP_FAILED) return 1;
  secret[0] = 42;
  int pkey = pkey_alloc(0, PKEY_DISABLE_ACCESS);
  if (pkey < 0) return 2;
  if (pkey_mprotect((void *)secret, 4096, PROT_READ | PROT_WRITE, pkey) != 0) return 3;
  int leaked = secret[0]; /* SEGV_PKUERR on a PKU machine */
  printf("pkey %d secret %p leaked %d\n", pkey, (void *)secret, leaked);
  return 0;
}
