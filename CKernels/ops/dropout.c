/*
 * dropout.c — the masks of inverted dropout (ops/dropout.h), from the
 * counter-based generator bp_regularization.h defines.
 */
#include "bp_regularization.h"
#include "ops/dropout.h"

/* SplitMix64's finaliser: a bijection of 64-bit words that mixes every
 * input bit into every output bit. */
static uint64_t mix(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
    return z ^ (z >> 31);
}

/* h up to the row: mix(mix(mix(mix(seed + γ) ⊕ k) ⊕ l) ⊕ i). */
static uint64_t row_key(uint64_t seed, uint64_t step, size_t layer, size_t row) {
    return mix(mix(mix(mix(seed + 0x9e3779b97f4a7c15u) ^ step) ^ (uint64_t)layer) ^ (uint64_t)row);
}

/* u = (h ≫ 11)·2⁻⁵³ of the row's key and the unit. */
static double uniform_of(uint64_t key, size_t unit) {
    return (double)(mix(key ^ (uint64_t)unit) >> 11) * 0x1p-53;
}

double bp_dropout_uniform(uint64_t seed, uint64_t step, size_t layer, size_t row, size_t unit) {
    return uniform_of(row_key(seed, step, layer, row), unit);
}

#define DROPOUT_DEFINE(R, S)                                                                       \
    void bp_dropout_draw_##S(const bp_dropout *d, size_t n_layers, const bp_layer_spec *layers,    \
                             size_t rows, R *const *scale) {                                       \
        for (size_t l = 0; l < n_layers; l++) {                                                    \
            const double p = d->rates[l];                                                          \
            if (p == 0.0) continue;                                                                \
            const R keep = (R)(1.0 / (1.0 - p));                                                   \
            const size_t n_out = layers[l].n_out;                                                  \
            for (size_t i = 0; i < rows; i++) {                                                    \
                const uint64_t key = row_key(d->seed, d->step, l, i);                              \
                R *row = scale[l] + i * n_out;                                                     \
                for (size_t j = 0; j < n_out; j++) row[j] = uniform_of(key, j) >= p ? keep : (R)0; \
            }                                                                                      \
        }                                                                                          \
    }                                                                                              \
    void bp_dropout_scale_##S(size_t n, const R *scale, const R *in, R *out) {                     \
        for (size_t i = 0; i < n; i++) out[i] = in[i] * scale[i];                                  \
    }

DROPOUT_DEFINE(double, d)
DROPOUT_DEFINE(float, s)
