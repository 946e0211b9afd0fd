/* test_rng.h — the tests' small pseudo-random numbers (Marsaglia's xorshift32):
 * reproducible inputs, not statistics.  Each suite keeps its own state. */
#ifndef VAR_TEST_RNG_H
#define VAR_TEST_RNG_H

#include <stdint.h>

static inline uint32_t test_rng_next(uint32_t *state)
{
  uint32_t x = *state;
  x ^= x << 13;
  x ^= x >> 17;
  x ^= x << 5;
  return *state = x;
}

/* Uniform-ish in [lo, hi]. */
static inline int test_rng_in(uint32_t *state, int lo, int hi)
{
  return lo + (int)(test_rng_next(state) % (uint32_t)(hi - lo + 1));
}

#endif
