/*
 * bp_gradient.h — the weight and input gradients of a dense layer.
 *
 * For a layer Z = A_prev·W + b with A_prev n × n_in, W n_in × n_out and
 * dZ = dL/dZ (n × n_out), the chain rule gives (seed 01, matrix form):
 *
 *     dW      = A_prevᵀ · dZ          (n_in × n_out)
 *     dA_prev = dZ · Wᵀ               (n × n_in), passed to the layer below
 *
 * For one sample the weight gradient is the outer product a_prev ⊗ dz
 * (seed 02's np.outer); summing it over the rows of a batch gives exactly
 * the batched product above.
 */
#ifndef BP_GRADIENT_H
#define BP_GRADIENT_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * dW += alpha · x ⊗ y, i.e. dW[i][j] += alpha·x[i]·y[j] (BLAS dger).
 * x has m elements (the layer input a_prev), y has n (the layer's dz),
 * dW is m×n with leading dimension lddw ≥ n. m == 0 or n == 0 is a no-op.
 */
bp_status bp_outer_accumulate(size_t m, size_t n, double alpha, const double *x, const double *y,
                              double *dW, size_t lddw);

/**
 * dW = alpha · A_prevᵀ · dZ + beta · dW, the batched weight gradient.
 * A_prev is n_samples × n_in (lda ≥ n_in), dZ is n_samples × n_out
 * (lddz ≥ n_out), dW is n_in × n_out (lddw ≥ n_out). beta == 0 writes dW
 * without reading it; n_samples == 0 gives dW = beta·dW.
 */
bp_status bp_weight_gradient(size_t n_samples, size_t n_in, size_t n_out, double alpha,
                             const double *A_prev, size_t lda, const double *dZ, size_t lddz,
                             double beta, double *dW, size_t lddw);

/**
 * dA_prev = dZ · Wᵀ, the gradient passed to the previous layer.
 * dZ is n_samples × n_out (lddz ≥ n_out), W is n_in × n_out (ldw ≥ n_out),
 * dA_prev is n_samples × n_in (ldda ≥ n_in) and is overwritten.
 */
bp_status bp_input_gradient(size_t n_samples, size_t n_in, size_t n_out, const double *dZ,
                            size_t lddz, const double *W, size_t ldw, double *dA_prev, size_t ldda);

#ifdef __cplusplus
}
#endif

#endif /* BP_GRADIENT_H */
