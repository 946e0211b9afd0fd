/* resample.cl -- area and bicubic resampling with PyTorch's CPU conventions
 * (docs/algorithm.md section 2.1), one item per output value, same arithmetic order as the
 * CPU backend so both agree to the bit on most values. */

__kernel void resize_area(int n_planes, int h_in, int w_in, int h_out, int w_out, __global const float *in, int io,
                          __global float *out, int oo)
{
  int ox = get_global_id(0), oy = get_global_id(1), p = get_global_id(2);
  int y0, y1, x0, x1, y, x;
  __global const float *src;
  float sum = 0.0f;
  if (ox >= w_out || oy >= h_out || p >= n_planes) return;
  /* window [floor(i In / Out), ceil((i + 1) In / Out)) in integer arithmetic */
  y0 = (int)(((long)oy * h_in) / h_out);
  y1 = (int)(((long)(oy + 1) * h_in + h_out - 1) / h_out);
  x0 = (int)(((long)ox * w_in) / w_out);
  x1 = (int)(((long)(ox + 1) * w_in + w_out - 1) / w_out);
  src = in + io + (size_t)p * h_in * w_in;
  for (y = y0; y < y1; y++)
    for (x = x0; x < x1; x++) sum += src[(size_t)y * w_in + x];
  /* PyTorch divides twice (sum / kh / kw) */
  out[oo + ((size_t)p * h_out + oy) * w_out + ox] = sum / (float)(y1 - y0) / (float)(x1 - x0);
}

inline float cubic1(float d, float a) { return ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f; }
inline float cubic2(float d, float a) { return ((a * d - 5.0f * a) * d + 8.0f * a) * d - 4.0f * a; }

/* Taps of output o along an axis: A = -0.75, half-pixel centres, the source
 * coordinate in double rounded to float (as PyTorch), clamped tap indices. */
inline void cubic_taps(int o, int n_in, int n_out, int *idx, float *w)
{
  const float a = -0.75f, scale = (float)n_in / (float)n_out;
  float real = (float)((acc_t)scale * ((acc_t)o + 0.5) - 0.5);
  float fl = floor(real), d = real - fl;
  int i0 = (int)fl, k;
  w[0] = cubic2(d + 1.0f, a);
  w[1] = cubic1(d, a);
  w[2] = cubic1(1.0f - d, a);
  w[3] = cubic2(2.0f - d, a);
  for (k = 0; k < 4; k++) idx[k] = clamp(i0 - 1 + k, 0, n_in - 1);
}

__kernel void resize_bicubic(int n_planes, int h_in, int w_in, int h_out, int w_out, __global const float *in, int io,
                             __global float *out, int oo)
{
  int ox = get_global_id(0), oy = get_global_id(1), p = get_global_id(2);
  int iy[4], ix[4], ky, kx;
  float wy[4], wx[4], acc = 0.0f;
  __global const float *src;
  if (ox >= w_out || oy >= h_out || p >= n_planes) return;
  cubic_taps(oy, h_in, h_out, iy, wy);
  cubic_taps(ox, w_in, w_out, ix, wx);
  src = in + io + (size_t)p * h_in * w_in;
  /* along x for each of the 4 rows, then along y; each sum starts from its first term */
  for (ky = 0; ky < 4; ky++) {
    __global const float *row = src + (size_t)iy[ky] * w_in;
    float t = row[ix[0]] * wx[0];
    for (kx = 1; kx < 4; kx++) t += row[ix[kx]] * wx[kx];
    acc = ky == 0 ? t * wy[0] : acc + t * wy[ky];
  }
  out[oo + ((size_t)p * h_out + oy) * w_out + ox] = acc;
}
