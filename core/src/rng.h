/* rng.h — counter-based random numbers (Philox4x32-10, Salmon et al. 2011).
 *
 * Every random number is a pure function of (seed, counter, index), so a
 * generation is reproducible for any thread count and on any backend: the
 * OpenCL kernels implement the same function (opencl/kernels/rng.cl).
 *
 * Layout used by the sampler: token row r of scale s of an image with seed k
 * uses key k and counter var_rng_counter(s, r); index j selects the j-th
 * 32-bit word of that stream (block j/4, word j%4).
 */
#ifndef VAR_RNG_H
#define VAR_RNG_H

#include <stdint.h>

static inline uint32_t var_mulhilo32(uint32_t a, uint32_t b, uint32_t *hi)
{
  uint64_t p = (uint64_t)a * (uint64_t)b;
  *hi = (uint32_t)(p >> 32);
  return (uint32_t)p;
}

/* Philox4x32 with 10 rounds: ctr[4], key[2] -> out[4]. */
static inline void var_philox4x32(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
  uint32_t c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
  uint32_t k0 = key[0], k1 = key[1];
  int i;
  for (i = 0; i < 10; i++) {
    uint32_t hi0, hi1;
    uint32_t lo0 = var_mulhilo32(0xD2511F53u, c0, &hi0);
    uint32_t lo1 = var_mulhilo32(0xCD9E8D57u, c2, &hi1);
    uint32_t n0 = hi1 ^ c1 ^ k0;
    uint32_t n2 = hi0 ^ c3 ^ k1;
    c0 = n0; c1 = lo1; c2 = n2; c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  out[0] = c0; out[1] = c1; out[2] = c2; out[3] = c3;
}

/* 32 random bits number `index` of the stream (seed, counter). */
static inline uint32_t var_rng_u32(uint64_t seed, uint64_t counter, uint32_t index)
{
  uint32_t ctr[4], key[2], out[4];
  ctr[0] = (uint32_t)counter;
  ctr[1] = (uint32_t)(counter >> 32);
  ctr[2] = index >> 2;
  ctr[3] = 0x56415221u;   /* "VAR!": separates our streams from other Philox users */
  key[0] = (uint32_t)seed;
  key[1] = (uint32_t)(seed >> 32);
  var_philox4x32(ctr, key, out);
  return out[index & 3];
}

/* Uniform float in [0, 1) with 24 random bits (exactly representable). */
static inline float var_rng_uniform(uint64_t seed, uint64_t counter, uint32_t index)
{
  return (float)(var_rng_u32(seed, counter, index) >> 8) * (1.0f / 16777216.0f);
}

/* Counter of token row `row` (0 <= row < 2^32) of scale `scale`: the stream
 * key is the image's own seed, so an image depends only on its seed, never on
 * which batch it was generated in. */
static inline uint64_t var_rng_counter(int scale, int row)
{
  return ((uint64_t)(uint32_t)scale << 32) | (uint64_t)(uint32_t)row;
}

#endif
