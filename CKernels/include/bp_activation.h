/*
 * bp_activation.h — activation functions a = f(z) and their backward pass.
 *
 * Activations act on a contiguous row-major batch of `rows × cols` values
 * (rows = samples, cols = units of the layer). Every activation except
 * softmax is element-wise; softmax normalises each row.
 *
 * Backward computes dZ = dA ⊙ f'(Z), the chain rule through the activation
 * (seed 01: ∂L/∂z_k = ∂L/∂a_k ⊙ f'_k(z_k)). For softmax f' is a Jacobian per
 * row and the product is dZ = S ⊙ (dA − rowsum(dA ⊙ S)).
 *
 * Numerical guarantees: sigmoid, tanh and softmax (and their derivatives)
 * return finite, accurate results for every finite input, ±1e308 included,
 * without clipping the input (sigmoid uses the branch that never overflows exp;
 * softmax subtracts the row maximum).
 */
#ifndef BP_ACTIVATION_H
#define BP_ACTIVATION_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The activation functions. `param` in the functions below is the
 *  negative-side slope of leaky ReLU and is ignored by the others. */
typedef enum bp_activation {
    /** f(z) = z. */
    BP_ACT_IDENTITY = 0,
    /** f(z) = max(0, z); f'(0) is taken as 0 (the seeds' `z > 0`). */
    BP_ACT_RELU = 1,
    /** f(z) = z for z > 0, param·z otherwise; f'(0) = param. param must be
     *  finite. */
    BP_ACT_LEAKY_RELU = 2,
    /** f(z) = 1 / (1 + e^(−z)); f'(z) = f(z)·(1 − f(z)), with 1 − f(z)
     *  evaluated as f(−z) so it keeps its precision for large z. */
    BP_ACT_SIGMOID = 3,
    /** f(z) = tanh(z); f'(z) = 1 − tanh²(z). */
    BP_ACT_TANH = 4,
    /** Row-wise softmax s_j = e^(z_j − max) / Σ_i e^(z_i − max). */
    BP_ACT_SOFTMAX = 5
} bp_activation;

/**
 * A = f(Z) for a rows × cols batch (both contiguous, row-major).
 * A may alias Z (in-place). rows == 0 or cols == 0 is a no-op.
 * Returns BP_ERR_BAD_VALUE for a non-finite leaky-ReLU slope.
 */
bp_status bp_activation_forward(bp_activation act, double param, size_t rows, size_t cols,
                                const double *Z, double *A);

/**
 * dZ = dA ⊙ f'(Z) (for softmax the row-wise Jacobian-vector product).
 * Z is the pre-activation and A = f(Z) the output of the forward pass; both
 * are needed because some derivatives are cheapest (or most precise) from
 * one, some from the other. All arrays are rows × cols, contiguous.
 * dZ may alias dA; it must not alias Z or A.
 */
bp_status bp_activation_backward(bp_activation act, double param, size_t rows, size_t cols,
                                 const double *Z, const double *A, const double *dA, double *dZ);

/**
 * Single precision: bp_activation_forward on float (computed in float with
 * expf/tanhf and the same overflow-free formulations; every finite float
 * input gives a finite result). param is the leaky-ReLU slope as a float.
 */
bp_status bp_activation_forward_f32(bp_activation act, float param, size_t rows, size_t cols,
                                    const float *Z, float *A);

/** Single precision: bp_activation_backward on float. */
bp_status bp_activation_backward_f32(bp_activation act, float param, size_t rows, size_t cols,
                                     const float *Z, const float *A, const float *dA, float *dZ);

#ifdef __cplusplus
}
#endif

#endif /* BP_ACTIVATION_H */
