/*
 * bp_random.h — seeded random numbers for initialization and shuffling,
 * through GSL (gsl_rng with the MT19937 generator, gsl_ran_*).
 *
 * There is no global generator: each bp_rng is an independent object, and
 * a network owns its own. Same seed → same sequence, on every run and every
 * platform with the same GSL. A bp_rng is not thread-safe; use one per thread
 * (or lock).
 *
 * GSL's default error handler aborts the process. The first call to any
 * function in this library that uses GSL switches GSL's handler off
 * (gsl_set_error_handler_off, once, thread-safely) so that GSL errors come
 * back as BP_ERR_GSL instead. A program that installs its own GSL handler
 * should do so after that first call.
 */
#ifndef BP_RANDOM_H
#define BP_RANDOM_H

#include <stddef.h>
#include <stdint.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** An opaque seeded generator. */
typedef struct bp_rng bp_rng;

/** Weight initialization schemes for a layer with fan-in n_in and fan-out n_out. */
typedef enum bp_init {
    /** Glorot/Xavier normal: N(0, σ²), σ = sqrt(2 / (n_in + n_out)). */
    BP_INIT_XAVIER_NORMAL = 0,
    /** Glorot/Xavier uniform: U(−r, r), r = sqrt(6 / (n_in + n_out)). */
    BP_INIT_XAVIER_UNIFORM = 1,
    /** He normal: N(0, σ²), σ = sqrt(2 / n_in) (for ReLU layers). */
    BP_INIT_HE_NORMAL = 2,
    /** He uniform: U(−r, r), r = sqrt(6 / n_in). */
    BP_INIT_HE_UNIFORM = 3
} bp_init;

/**
 * Creates a generator seeded with `seed` and stores it in *out.
 * MT19937 takes a 32-bit seed: the 64-bit seed is folded to
 * (seed XOR seed>>32) mod 2^32, the same on every platform (so seeds below
 * 2^32 are used as they are; GSL maps 0 to its default 4357).
 * Free with bp_rng_free.
 */
bp_status bp_rng_create(uint64_t seed, bp_rng **out);

/** Creates an independent copy of `rng` (same state) in *out. */
bp_status bp_rng_clone(const bp_rng *rng, bp_rng **out);

/** Sets dst's state to src's, without allocating (dst then draws what src
 *  would draw next); dst == src is allowed. */
bp_status bp_rng_copy(bp_rng *dst, const bp_rng *src);

/** Words in a generator's saved state (bp_rng_get_state): MT19937's 624
 *  words of 32 bits, then its position in them (0 to 624). */
#define BP_RNG_STATE_WORDS 625

/**
 * Writes rng's state to state[0 .. BP_RNG_STATE_WORDS): a generator given
 * this state by bp_rng_set_state draws exactly what rng draws next. The
 * words are plain 32-bit numbers, the same on every platform, so a state
 * saved in a file (a training checkpoint) restores anywhere.
 * BP_ERR_GSL if the GSL build lays out MT19937's state in a way this
 * library does not know.
 */
bp_status bp_rng_get_state(const bp_rng *rng, uint32_t *state);

/**
 * Sets rng's state from state[0 .. BP_RNG_STATE_WORDS), as written by
 * bp_rng_get_state. BP_ERR_BAD_VALUE, with rng unchanged, for a state no
 * generator can be in: a position above 624, or 624 words all zero (the
 * generator would draw zeros for ever).
 */
bp_status bp_rng_set_state(bp_rng *rng, const uint32_t *state);

/** Frees a generator; NULL is allowed and ignored. */
void bp_rng_free(bp_rng *rng);

/** n draws from the normal distribution N(mean, sd²) (gsl_ran_gaussian).
 *  mean must be finite and sd finite and ≥ 0. */
bp_status bp_rng_normal(bp_rng *rng, size_t n, double mean, double sd, double *out);

/** n draws from the uniform distribution on [a, b) (gsl_ran_flat).
 *  a, b and b − a must be finite with a ≤ b (a == b fills with a). */
bp_status bp_rng_uniform(bp_rng *rng, size_t n, double a, double b, double *out);

/**
 * Fills the n_in × n_out weight matrix W (contiguous, row-major) with the
 * scheme `init`. n_in and n_out must be ≥ 1 (BP_ERR_ZERO_SIZE otherwise).
 * A call that fails validation draws nothing from the generator.
 */
bp_status bp_rng_init_weights(bp_rng *rng, bp_init init, size_t n_in, size_t n_out, double *W);

/**
 * Shuffles indices[0..n) in place (gsl_ran_shuffle, a Fisher–Yates shuffle
 * driven by rng). To get a random permutation, fill indices with 0..n−1
 * first. n ≤ 1 leaves the array unchanged. n above 2^32 (beyond the
 * generator's range) returns BP_ERR_BAD_VALUE.
 */
bp_status bp_rng_shuffle(bp_rng *rng, size_t n, size_t *indices);

/** One draw, uniform on [0, 1) (gsl_rng_uniform). */
bp_status bp_rng_uniform01(bp_rng *rng, double *out);

#ifdef __cplusplus
}
#endif

#endif /* BP_RANDOM_H */
