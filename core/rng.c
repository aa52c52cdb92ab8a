/* rng.c: SplitMix64 seeding a xoshiro256** generator (see rng.h).
 *
 *   seeding:  z += 0x9e3779b97f4a7c15; z = (z ^ z>>30) * 0xbf58476d1ce4e5b9;
 *             z = (z ^ z>>27) * 0x94d049bb133111eb; s[i] = z ^ z>>31
 *   next:     result = rotl(s1 * 5, 7) * 9, then the xoshiro256 state shuffle
 *   uniform:  the top 24 bits of next() times 2^-24, in [0, 1)
 *   normal:   Box-Muller, sqrt(-2 ln u1) * cos(2 pi u2) with u1 in (0, 1]
 * Only integer arithmetic feeds the bits, so a seed gives the same numbers on
 * every machine; the normal's sqrt/log/cos are computed in double. */
#include "rng.h"

#include <math.h>

static uint64_t splitmix64(uint64_t *z)
{
    uint64_t x = (*z += 0x9e3779b97f4a7c15ULL);
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

static uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

void rng_seed(Rng *r, uint64_t seed)
{
    uint64_t z = seed;
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&z);
}

uint64_t rng_next(Rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float rng_uniform(Rng *r)
{
    return (float)(rng_next(r) >> 40) * (1.0f / 16777216.0f);
}

float rng_range(Rng *r, float lo, float hi)
{
    float v = lo + (hi - lo) * rng_uniform(r);
    /* lo + (hi-lo)*u can round up to hi itself; keep the interval half-open. */
    return v < hi ? v : lo;
}

float rng_normal(Rng *r)
{
    const double two_pi = 6.283185307179586476925286766559;
    double u1 = 1.0 - (double)rng_uniform(r);   /* (0, 1]: log(u1) is finite */
    double u2 = (double)rng_uniform(r);
    return (float)(sqrt(-2.0 * log(u1)) * cos(two_pi * u2));
}
