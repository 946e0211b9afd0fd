/* common.cl -- prepended to every program of the OpenCL backend.
 *
 * VAR_WG (build option) is the work-group size of the row kernels, a power of
 * two.  Accumulations that the CPU backend does in double are done in double
 * here too when the device has fp64 (acc_t), so both backends round alike;
 * without fp64 they fall back to float. */
#pragma OPENCL FP_CONTRACT OFF

#ifdef cl_khr_fp64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
#define ACC_EXP(x) exp(x)
#else
typedef float acc_t;
#define ACC_EXP(x) exp(x)
#endif

#define ACT_NONE 0
#define ACT_GELU_TANH 1
#define ACT_SILU 2

inline float gelu_tanh(float x)
{
  const float k = 0.7978845608028654f;
  float inner = k * (x + 0.044715f * x * x * x);
  return 0.5f * x * (1.0f + tanh(inner));
}

inline float silu(float x) { return x / (1.0f + exp(-x)); }

inline float apply_act(float x, int act)
{
  if (act == ACT_GELU_TANH) return gelu_tanh(x);
  if (act == ACT_SILU) return silu(x);
  return x;
}

/* Work-group reductions over n items (n = the work-group size, a power of
 * two); every item gets the result.  tmp holds n values. */
inline acc_t wg_sum_n(acc_t v, __local acc_t *tmp, int n)
{
  int lid = get_local_id(0), s;
  acc_t r;
  tmp[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (s = n / 2; s > 0; s >>= 1) {
    if (lid < s) tmp[lid] += tmp[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  r = tmp[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

inline float wg_sumf_n(float v, __local float *tmp, int n)
{
  int lid = get_local_id(0), s;
  float r;
  tmp[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (s = n / 2; s > 0; s >>= 1) {
    if (lid < s) tmp[lid] += tmp[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  r = tmp[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

inline float wg_max_n(float v, __local float *tmp, int n)
{
  int lid = get_local_id(0), s;
  float r;
  tmp[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (s = n / 2; s > 0; s >>= 1) {
    if (lid < s) tmp[lid] = fmax(tmp[lid], tmp[lid + s]);
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  r = tmp[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

inline int wg_sum_int_n(int v, __local int *tmp, int n)
{
  int lid = get_local_id(0), s, r;
  tmp[lid] = v;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (s = n / 2; s > 0; s >>= 1) {
    if (lid < s) tmp[lid] += tmp[lid + s];
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  r = tmp[0];
  barrier(CLK_LOCAL_MEM_FENCE);
  return r;
}

#define wg_sum(v, tmp) wg_sum_n(v, tmp, VAR_WG)
#define wg_max(v, tmp) wg_max_n(v, tmp, VAR_WG)
#define wg_sum_int(v, tmp) wg_sum_int_n(v, tmp, VAR_WG)
