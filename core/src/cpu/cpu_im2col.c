/* cpu_im2col.c — rows of the im2col matrix, shared by the im2col + SGEMM
 * convolution (cpu_conv.c) and the direct AVX2 one (cpu_conv_avx2.c). */
#include "cpu/cpu_conv.h"

#include <string.h>

void var_im2col_row(const var_conv_desc *d, const float *in, int r, int p0, int np, float *dst)
{
  const int kk = d->k * d->k, ci = r / kk, dy = (r % kk) / d->k, dx = r % d->k, s = d->stride;
  const float *plane = in + (size_t)ci * d->h_in * d->w_in;
  int p = p0, end = p0 + np;
  while (p < end) {
    const int y = p / d->w_out, x0 = p % d->w_out;
    const int x1 = end - p < d->w_out - x0 ? x0 + (end - p) : d->w_out;
    const int iy = y * s + dy - d->pad_top;
    int x;
    if (iy < 0 || iy >= d->h_in) {
      memset(dst, 0, sizeof(float) * (size_t)(x1 - x0));
    } else {
      const float *row = plane + (size_t)iy * d->w_in;
      /* output columns whose input column lies inside the row: [xa, xb) */
      int xa = x0, xb = x1;
      while (xa < x1 && xa * s + dx - d->pad_left < 0) xa++;
      while (xb > xa && (xb - 1) * s + dx - d->pad_left >= d->w_in) xb--;
      for (x = x0; x < xa; x++) dst[x - x0] = 0.0f;
      if (s == 1)
        memcpy(dst + (xa - x0), row + xa + dx - d->pad_left, sizeof(float) * (size_t)(xb - xa));
      else
        for (x = xa; x < xb; x++) dst[x - x0] = row[x * s + dx - d->pad_left];
      for (x = xb; x < x1; x++) dst[x - x0] = 0.0f;
    }
    dst += x1 - x0;
    p += x1 - x0;
  }
}
