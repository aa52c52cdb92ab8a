/* rng.h: a small deterministic random generator (SplitMix64 seeding a
 * xoshiro256** state) so random weights and inputs are the same for a seed
 * on every machine and libc. */
#ifndef CONVSTEP_RNG_H
#define CONVSTEP_RNG_H

#include <stdint.h>

typedef struct Rng {
    uint64_t s[4];
} Rng;

/* Seeds the generator; any seed, including 0, is fine. */
void rng_seed(Rng *r, uint64_t seed);

/* Next 64 random bits. */
uint64_t rng_next(Rng *r);

/* Uniform in [0, 1) with 24 random bits (exact in float). */
float rng_uniform(Rng *r);

/* Uniform in [lo, hi). */
float rng_range(Rng *r, float lo, float hi);

/* Standard normal (Box-Muller on two uniforms). */
float rng_normal(Rng *r);

#endif
