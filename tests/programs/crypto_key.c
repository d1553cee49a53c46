/* The crypto-key pattern (Jonathan Corbet, "Memory protection keys", LWN,
 * 13 May 2015: keys hidden except during use): a key schedule kept
 * access-disabled under its own protection key, opened with pkey_set only
 * while a record is encrypted. On a PKU machine it never faults. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

int main(void) {
  unsigned char *key_page =
      mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (key_page == MAP_FAILED) return 1;
  int pkey = pkey_alloc(0, 0);
  if (pkey < 0) return 2;
  memset(key_page, 0x5a, 240); /* the AES-256 key schedule */
  if (pkey_mprotect(key_page, 4096, PROT_READ | PROT_WRITE, pkey) != 0) return 3;
  if (pkey_set(pkey, PKEY_DISABLE_ACCESS) != 0) return 4;
  unsigned char record[1024];
  memset(record, 1, sizeof record);
  unsigned checksum = 0;
  for (int r = 0; r < 8; ++r) {
    pkey_set(pkey, 0); /* open */
    for (size_t i = 0; i < sizeof record; ++i) record[i] ^= key_page[i % 240];
    pkey_set(pkey, PKEY_DISABLE_ACCESS); /* close */
    for (size_t i = 0; i < sizeof record; ++i) checksum += record[i];
  }
  printf("key %d at %p, checksum %u\n", pkey, (void *)key_page, checksum);
  return 0;
}
