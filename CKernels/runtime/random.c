/*
 * random.c — seeded generators (GSL MT19937) for initialization and shuffling.
 */
#include <math.h>
#include <stdlib.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "bp_random.h"
#include "runtime/internal.h"

struct bp_rng {
    gsl_rng *r;
};

/* gsl_rng_set takes an unsigned long, 32 bits on some platforms, and MT19937
 * keeps 32 bits of it anyway. Folding the high half in makes every 64-bit
 * seed count, identically on every platform. */
static unsigned long fold_seed(uint64_t seed) {
    return (unsigned long)((seed ^ (seed >> 32)) & 0xffffffffu);
}

static bp_status wrap(gsl_rng *r, bp_rng **out) {
    if (r == NULL) return BP_ERR_NO_MEMORY;
    bp_rng *g = malloc(sizeof *g);
    if (g == NULL) {
        gsl_rng_free(r);
        return BP_ERR_NO_MEMORY;
    }
    g->r = r;
    *out = g;
    return BP_OK;
}

bp_status bp_rng_create(uint64_t seed, bp_rng **out) {
    if (out == NULL) return BP_ERR_NULL_POINTER;
    bp_gsl_prepare();
    gsl_rng *r = gsl_rng_alloc(gsl_rng_mt19937);
    if (r != NULL) gsl_rng_set(r, fold_seed(seed));
    return wrap(r, out);
}

bp_status bp_rng_clone(const bp_rng *rng, bp_rng **out) {
    if (rng == NULL || out == NULL) return BP_ERR_NULL_POINTER;
    bp_gsl_prepare();
    return wrap(gsl_rng_clone(rng->r), out);
}

bp_status bp_rng_copy(bp_rng *dst, const bp_rng *src) {
    if (dst == NULL || src == NULL) return BP_ERR_NULL_POINTER;
    /* every bp_rng is an MT19937 (bp_rng_create), so the types match, as
     * gsl_rng_memcpy requires */
    if (dst != src) gsl_rng_memcpy(dst->r, src->r);
    return BP_OK;
}

/* GSL's MT19937 state (mt.c): the 624 words, each below 2^32 whatever the
 * width of unsigned long, and the index of the next word to temper. */
enum { MT_WORDS = 624 };
typedef struct {
    unsigned long mt[MT_WORDS];
    int mti;
} mt_state;

/* The state of a bp_rng, or NULL when this GSL's layout is not the one
 * above (then a saved state could not be read back faithfully). */
static mt_state *mt_state_of(const bp_rng *rng) {
    if (gsl_rng_size(rng->r) != sizeof(mt_state)) return NULL;
    return (mt_state *)gsl_rng_state(rng->r);
}

bp_status bp_rng_get_state(const bp_rng *rng, uint32_t *state) {
    if (rng == NULL || state == NULL) return BP_ERR_NULL_POINTER;
    const mt_state *mt = mt_state_of(rng);
    if (mt == NULL || mt->mti < 0 || mt->mti > MT_WORDS) return BP_ERR_GSL;
    for (size_t i = 0; i < MT_WORDS; i++) state[i] = (uint32_t)(mt->mt[i] & 0xffffffffu);
    state[MT_WORDS] = (uint32_t)mt->mti;
    return BP_OK;
}

bp_status bp_rng_set_state(bp_rng *rng, const uint32_t *state) {
    if (rng == NULL || state == NULL) return BP_ERR_NULL_POINTER;
    mt_state *mt = mt_state_of(rng);
    if (mt == NULL) return BP_ERR_GSL;
    if (state[MT_WORDS] > MT_WORDS) return BP_ERR_BAD_VALUE;
    uint32_t any = 0;
    for (size_t i = 0; i < MT_WORDS; i++) any |= state[i];
    if (any == 0) return BP_ERR_BAD_VALUE;
    for (size_t i = 0; i < MT_WORDS; i++) mt->mt[i] = state[i];
    mt->mti = (int)state[MT_WORDS];
    return BP_OK;
}

void bp_rng_free(bp_rng *rng) {
    if (rng == NULL) return;
    gsl_rng_free(rng->r);
    free(rng);
}

bp_status bp_rng_normal(bp_rng *rng, size_t n, double mean, double sd, double *out) {
    if (!isfinite(mean) || !isfinite(sd) || sd < 0.0) return BP_ERR_BAD_VALUE;
    if (rng == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof(double), out));
    for (size_t i = 0; i < n; i++) out[i] = mean + gsl_ran_gaussian(rng->r, sd);
    return BP_OK;
}

bp_status bp_rng_uniform(bp_rng *rng, size_t n, double a, double b, double *out) {
    if (!isfinite(a) || !isfinite(b) || a > b || !isfinite(b - a)) return BP_ERR_BAD_VALUE;
    if (rng == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof(double), out));
    for (size_t i = 0; i < n; i++) {
        double x = gsl_ran_flat(rng->r, a, b);
        /* a(1−u) + b·u with u < 1 can still round up to b; keep [a, b). */
        if (x >= b && a < b) x = nextafter(b, a);
        out[i] = a == b ? a : x;
    }
    return BP_OK;
}

bp_status bp_rng_init_weights(bp_rng *rng, bp_init init, size_t n_in, size_t n_out, double *W) {
    if (init < BP_INIT_XAVIER_NORMAL || init > BP_INIT_HE_UNIFORM) return BP_ERR_BAD_ENUM;
    if (n_in == 0 || n_out == 0) return BP_ERR_ZERO_SIZE;
    if (rng == NULL) return BP_ERR_NULL_POINTER;
    size_t count;
    BP_TRY(bp_check_dense(n_in, n_out, W, &count));
    double fan_in = (double)n_in, fan_sum = (double)n_in + (double)n_out;
    switch (init) {
    case BP_INIT_XAVIER_NORMAL: return bp_rng_normal(rng, count, 0.0, sqrt(2.0 / fan_sum), W);
    case BP_INIT_XAVIER_UNIFORM: {
        double r = sqrt(6.0 / fan_sum);
        return bp_rng_uniform(rng, count, -r, r, W);
    }
    case BP_INIT_HE_NORMAL: return bp_rng_normal(rng, count, 0.0, sqrt(2.0 / fan_in), W);
    case BP_INIT_HE_UNIFORM: {
        double r = sqrt(6.0 / fan_in);
        return bp_rng_uniform(rng, count, -r, r, W);
    }
    }
    return BP_ERR_BAD_ENUM;
}

bp_status bp_rng_shuffle(bp_rng *rng, size_t n, size_t *indices) {
    if (rng == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(bp_check_array(n, sizeof(size_t), indices));
    /* gsl_ran_shuffle draws indices up to n − 1 from the generator, whose
     * range is 32 bits; beyond that GSL would fail silently. */
    if (n > 1 && n - 1 > (size_t)gsl_rng_max(rng->r)) return BP_ERR_BAD_VALUE;
    if (n > 1) gsl_ran_shuffle(rng->r, indices, n, sizeof(size_t));
    return BP_OK;
}

bp_status bp_rng_uniform01(bp_rng *rng, double *out) {
    if (rng == NULL || out == NULL) return BP_ERR_NULL_POINTER;
    *out = gsl_rng_uniform(rng->r);
    return BP_OK;
}
