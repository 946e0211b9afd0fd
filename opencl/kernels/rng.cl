/* rng.cl -- Philox4x32-10, the same function as core/src/rng.h: random number
 * `index` of stream (seed, counter) is identical on every backend. */

inline uint4 philox4x32(uint4 c, uint2 k)
{
  int i;
  for (i = 0; i < 10; i++) {
    uint lo0 = 0xD2511F53u * c.x, hi0 = mul_hi(0xD2511F53u, c.x);
    uint lo1 = 0xCD9E8D57u * c.z, hi1 = mul_hi(0xCD9E8D57u, c.z);
    c = (uint4)(hi1 ^ c.y ^ k.x, lo1, hi0 ^ c.w ^ k.y, lo0);
    k.x += 0x9E3779B9u;
    k.y += 0xBB67AE85u;
  }
  return c;
}

inline uint rng_u32(ulong seed, ulong counter, uint index)
{
  uint4 c = (uint4)((uint)counter, (uint)(counter >> 32), index >> 2, 0x56415221u);
  uint4 r = philox4x32(c, (uint2)((uint)seed, (uint)(seed >> 32)));
  uint w[4];
  w[0] = r.x;
  w[1] = r.y;
  w[2] = r.z;
  w[3] = r.w;
  return w[index & 3];
}

/* Uniform in [0, 1) with 24 random bits. */
inline float rng_uniform(ulong seed, ulong counter, uint index)
{
  return (float)(rng_u32(seed, counter, index) >> 8) * (1.0f / 16777216.0f);
}

inline ulong rng_counter(int scale, int row) { return ((ulong)(uint)scale << 32) | (ulong)(uint)row; }
