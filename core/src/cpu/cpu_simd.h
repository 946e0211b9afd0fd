/* cpu_simd.h — run-time selected x86 SIMD for the CPU backend's own kernels.
 *
 * The library is built for baseline x86-64 (SSE2) so that it runs anywhere;
 * kernels that matter for speed get a second version compiled for AVX2+FMA(+F16C,
 * which every AVX2 processor has)
 * with GCC/Clang's target attribute, used when the processor has it.  Setting
 * VAR_SIMD=0 in the environment before a context is created forces the
 * portable versions (tests use it to cover both).  Other compilers and
 * architectures get the portable code only.  This is the one place that says
 * how SIMD code is compiled and chosen. */
#ifndef VAR_CPU_SIMD_H
#define VAR_CPU_SIMD_H

#include "internal.h"

#include <math.h>

#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
#define VAR_HAVE_X86_SIMD 1
#include <immintrin.h>
#define VAR_TARGET_AVX2 __attribute__((target("avx2,fma,f16c")))
#else
#define VAR_HAVE_X86_SIMD 0
#endif

enum { VAR_SIMD_NONE = 0, VAR_SIMD_AVX2 = 1 };

/* The best level this processor supports, lowered by $VAR_SIMD.  Only the CPU
 * backend's creation calls it (var_cpu_tuning.simd); kernels take the level
 * from there, so it cannot change under a backend in use. */
int var_cpu_simd_detect(void);

#if VAR_HAVE_X86_SIMD
/* Horizontal reductions in a fixed order. */
VAR_TARGET_AVX2 static inline float var_hsum256(__m256 v)
{
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

VAR_TARGET_AVX2 static inline float var_hmax256(__m256 v)
{
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_shuffle_ps(s, s, 1));
  return _mm_cvtss_f32(s);
}

/* exp(x) to about 2 ulp (Cephes expf's polynomial).  Inputs are clamped to
 * [-87.3, 88.37]: below, the result is ~1e-38 instead of a denormal or 0,
 * which no softmax sum can notice. */
VAR_TARGET_AVX2 static inline __m256 var_exp256(__m256 x)
{
  __m256 fx, y, z;
  __m256i e;
  x = _mm256_min_ps(_mm256_max_ps(x, _mm256_set1_ps(-87.3f)), _mm256_set1_ps(88.37f));
  fx = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                       _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(0.693359375f), x);
  x = _mm256_fnmadd_ps(fx, _mm256_set1_ps(-2.12194440e-4f), x);
  z = _mm256_mul_ps(x, x);
  y = _mm256_set1_ps(1.9875691500e-4f);
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.3981999507e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(8.3334519073e-3f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(4.1665795894e-2f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(1.6666665459e-1f));
  y = _mm256_fmadd_ps(y, x, _mm256_set1_ps(5.0000001201e-1f));
  y = _mm256_fmadd_ps(y, z, _mm256_add_ps(x, _mm256_set1_ps(1.0f)));
  e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(fx), _mm256_set1_epi32(127)), 23);
  return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* x[i] = exp(x[i] - max_k x[k]) for the n >= 1 values of a row; returns their
 * sum (the softmax's denominator, summed in a fixed order).  Shared by the
 * transformer's attention and the VQ-VAE's spatial attention. */
VAR_TARGET_AVX2 static inline float var_softmax_exp_avx2(float *x, int n)
{
  __m256 vmx = _mm256_set1_ps(x[0]), vsum = _mm256_setzero_ps();
  float mx, acc;
  int k;
  for (k = 0; k + 8 <= n; k += 8) vmx = _mm256_max_ps(vmx, _mm256_loadu_ps(x + k));
  mx = var_hmax256(vmx);
  for (; k < n; k++) mx = x[k] > mx ? x[k] : mx;
  vmx = _mm256_set1_ps(mx);
  for (k = 0; k + 8 <= n; k += 8) {
    __m256 e = var_exp256(_mm256_sub_ps(_mm256_loadu_ps(x + k), vmx));
    _mm256_storeu_ps(x + k, e);
    vsum = _mm256_add_ps(vsum, e);
  }
  acc = var_hsum256(vsum);
  for (; k < n; k++) {
    x[k] = expf(x[k] - mx);
    acc += x[k];
  }
  return acc;
}
#endif

#endif
