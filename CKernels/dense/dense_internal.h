/*
 * dense_internal.h — what the dense layers (dense.c) share with the
 * network engine (mlp.c): the direct path for tiny layers and the
 * activations' backward pass they call. Not part of the API.
 *
 * A dense layer is a GEMM with a fused epilogue (gemm/gemm_internal.h).
 */
#ifndef BP_DENSE_INTERNAL_H
#define BP_DENSE_INTERNAL_H

#include <stddef.h>
#include "bp_activation.h"
#include "gemm/gemm_internal.h"

/* ---- the activations' backward pass (activation.c) ----------------------- */

/* dZ = dA ⊙ f'(Z) over count contiguous elements (rows × cols for softmax);
 * dZ may alias dA. */
void bp_act_backward_d(bp_activation act, double param, size_t rows, size_t cols, const double *Z,
                       const double *A, const double *dA, double *dZ);
void bp_act_backward_s(bp_activation act, float param, size_t rows, size_t cols, const float *Z,
                       const float *A, const float *dA, float *dZ);

/* ---- the dense kernels' direct path for tiny layers (dense_tmpl.h) -------
 * Unchecked: the caller has validated every argument (bp_dense_forward /
 * bp_dense_backward, or the network engine). Same contracts otherwise. */
void bp_dense_forward_direct_d(bp_activation act, double param, size_t n, size_t n_in, size_t n_out,
                               const double *X, size_t ldx, const double *W, size_t ldw,
                               const double *b, double *Z, double *A);
void bp_dense_forward_direct_s(bp_activation act, float param, size_t n, size_t n_in, size_t n_out,
                               const float *X, size_t ldx, const float *W, size_t ldw,
                               const float *b, float *Z, float *A);
void bp_dense_backward_direct_d(bp_activation act, double param, size_t n, size_t n_in,
                                size_t n_out, const double *X, size_t ldx, const double *W,
                                size_t ldw, const double *Z, const double *A, const double *dA,
                                double *dZ, double *dW, double *db, double *dX);
void bp_dense_backward_direct_s(bp_activation act, float param, size_t n, size_t n_in, size_t n_out,
                                const float *X, size_t ldx, const float *W, size_t ldw,
                                const float *Z, const float *A, const float *dA, float *dZ,
                                float *dW, float *db, float *dX);

#endif /* BP_DENSE_INTERNAL_H */
