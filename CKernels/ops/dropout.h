/*
 * dropout.h — inverted dropout's masks and products (bp_regularization.h),
 * shared by the network engine (mlp_tmpl.h) and the reference engine
 * (mlp_reference_tmpl.h), so that both draw the same masks and apply them
 * with the same operations. Not part of the API.
 *
 * A network's dropout is its rates p_l (one per layer, the output layer's
 * 0), its seed and its mask step counter k. Each training step draws, for
 * every layer with p_l > 0, the r × n_out values S_l = M_l/(1 − p_l)
 * (bp_dropout_draw_d / _s, from bp_dropout_uniform's u: kept iff u ≥ p_l);
 * the forward pass then computes D_l = A_l ⊙ S_l and the backward pass
 * dL/dA_l = dL/dD_l ⊙ S_l (bp_dropout_scale_d / _s: one product per
 * element, the same in both engines).
 */
#ifndef BP_DROPOUT_H
#define BP_DROPOUT_H

#include <stddef.h>
#include <stdint.h>
#include "bp_mlp.h"

typedef struct bp_dropout {
    double *rates; /* p_l for l < n_layers (the last 0); NULL: dropout off */
    uint64_t seed; /* the generator's key */
    uint64_t step; /* the mask step counter k */
    size_t rows;   /* rows of the masks last drawn (0: none since set) */
} bp_dropout;

/* S_l for every layer l < n_layers with rates[l] > 0, for rows rows, at
 * step d->step: S[l] holds rows × layers[l].n_out values (row-major). */
void bp_dropout_draw_d(const bp_dropout *d, size_t n_layers, const bp_layer_spec *layers,
                       size_t rows, double *const *S);
void bp_dropout_draw_s(const bp_dropout *d, size_t n_layers, const bp_layer_spec *layers,
                       size_t rows, float *const *S);

/* out[i] = in[i]·S[i] for i < n (out may be in). */
void bp_dropout_scale_d(size_t n, const double *S, const double *in, double *out);
void bp_dropout_scale_s(size_t n, const float *S, const float *in, float *out);

#endif /* BP_DROPOUT_H */
