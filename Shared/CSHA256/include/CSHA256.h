#ifndef CSHA256_H
#define CSHA256_H

#include <stddef.h>
#include <stdint.h>

/// SHA-256's 64 round constants (FIPS 180-4 §4.2.2), for the portable compression too.
extern const uint32_t csha256_round_constants[64];

/// Whether this CPU has the SHA extensions (x86 SHA-NI with SSE4.1) that `csha256_compress` needs.
int csha256_available(void);

/// Runs SHA-256's compression over `count` 64-byte blocks at `blocks`, updating the eight state words in place
/// (FIPS 180-4 order, host-endian words). Only when `csha256_available()`.
void csha256_compress(uint32_t state[8], const uint8_t *blocks, size_t count);

#endif
