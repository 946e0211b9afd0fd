/* cpu_eltwise.c — element-wise ops and the scalar activation functions. */
#include "cpu/cpu_ops.h"

#include <math.h>

float var_gelu_tanh(float x)
{
  /* torch's approximate='tanh': 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) */
  const float k = 0.7978845608028654f;
  return 0.5f * x * (1.0f + tanhf(k * (x + 0.044715f * x * x * x)));
}

float var_silu(float x) { return x / (1.0f + expf(-x)); }

typedef struct {
  float a, b;
  const float *x, *y;
  float *out;
  int act;
} ew_job;

static void axpby_range(void *arg, int64_t begin, int64_t end, int thread)
{
  const ew_job *j = arg;
  int64_t i;
  (void)thread;
  for (i = begin; i < end; i++) j->out[i] = j->a * j->x[i] + j->b * j->y[i];
}

var_status cpu_axpby(var_backend *be, size_t n, float a, var_dptr x, float b, var_dptr y, var_dptr out)
{
  ew_job j;
  j.a = a;
  j.b = b;
  j.x = cpu_f32(x);
  j.y = cpu_f32(y);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), (int64_t)n, 1 << 15, axpby_range, &j);
  return VAR_OK;
}

static void act_range(void *arg, int64_t begin, int64_t end, int thread)
{
  const ew_job *j = arg;
  int64_t i;
  (void)thread;
  if (j->act == VAR_ACT_SILU)
    for (i = begin; i < end; i++) j->out[i] = var_silu(j->x[i]);
  else if (j->act == VAR_ACT_GELU_TANH)
    for (i = begin; i < end; i++) j->out[i] = var_gelu_tanh(j->x[i]);
  else
    for (i = begin; i < end; i++) j->out[i] = j->x[i];
}

var_status cpu_activation(var_backend *be, size_t n, int act, var_dptr x, var_dptr out)
{
  ew_job j;
  j.x = cpu_f32(x);
  j.out = cpu_f32(out);
  j.act = act;
  var_parallel_for(cpu_pool(be), (int64_t)n, 1 << 14, act_range, &j);
  return VAR_OK;
}
