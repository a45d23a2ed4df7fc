/*
 * bp_dense.h — fused forward and backward passes of a dense layer.
 *
 * A dense layer maps a batch X (n samples × n_in, row-major, leading
 * dimension ldx) through weights W (n_in × n_out, leading dimension ldw)
 * and a bias b (n_out):
 *
 *     forward    Z = X·W + b,   A = f(Z)
 *     backward   dZ = dA ⊙ f'(Z)          (row-wise Jacobian for softmax)
 *                dW = Xᵀ·dZ,   db = colsum(dZ),   dX = dZ·Wᵀ
 *
 * with f and its conventions from bp_activation.h (param is the leaky-ReLU
 * slope). Z, A, dA and dZ are contiguous n × n_out arrays; dW is a
 * contiguous n_in × n_out array, db has n_out elements and dX is a
 * contiguous n × n_in array. Outputs are overwritten (not accumulated).
 *
 * What is fused. Forward: the bias add and the activation are applied to
 * each tile of Z as the GEMM finishes it, while it is in L1 (softmax, being
 * row-wise, once the rows are complete), so Z is written once. Backward: dZ
 * and db come from one sweep over the batch, followed by the two products.
 * Tiny passes of layers narrower than 32 on both sides skip packing and
 * the blocked loops (plain loops over the samples, dW accumulated in
 * place): batch-1 training of a 2-2-2-2 network, any pass of at most 200
 * multiply-adds, the forward pass of a one-output layer, the backward pass
 * of a layer with at most 16 weights (seed 01's 2-4-3-1 network on 1000
 * samples). Where the blocked path is faster, even narrow layers take it
 * (measurements in dense.c).
 *
 * The large-layer products go through `exec` (bp_exec.h, NULL for one
 * thread with internal buffers) and give the same results for any thread
 * count. Results equal the unfused composition bp_?gemm + bp_bias_add +
 * bp_activation_* up to rounding (exactly, for the large-layer forward
 * pass with the same kernels).
 *
 * Arguments are validated like the rest of the API (enum, value, leading
 * dimensions, size overflow, NULL pointers for non-empty data); nothing is
 * written when a check fails. Sizes may be zero: empty outputs are not
 * touched, and a product over an empty dimension gives zeros (n = 0 gives
 * dW = 0 and db = 0; n_out = 0 gives dX = 0). Outputs must not overlap the
 * inputs, except where stated.
 */
#ifndef BP_DENSE_H
#define BP_DENSE_H

#include <stddef.h>
#include "bp_status.h"
#include "bp_activation.h"
#include "bp_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

/**
 * Z = X·W + b and A = f(Z). A may be the same array as Z (then only A is
 * kept); otherwise they must not overlap.
 */
bp_status bp_dense_forward(const bp_exec *exec, bp_activation act, double param, size_t n,
                           size_t n_in, size_t n_out, const double *X, size_t ldx, const double *W,
                           size_t ldw, const double *b, double *Z, double *A);

/**
 * dZ = dA ⊙ f'(Z), dW = Xᵀ·dZ, db = colsum(dZ) and, if dX is not NULL,
 * dX = dZ·Wᵀ.
 *
 * Z and A are the forward pass's outputs. dA may be NULL when dZ already
 * holds dL/dZ (e.g. from a fused softmax or sigmoid cross-entropy loss):
 * then dZ is an input, and Z and A are not read (and may be NULL). dZ may
 * be the same array as dA. W is read only for dX (it may be NULL when dX is
 * NULL). dX NULL skips the input gradient (the first layer). dW NULL skips
 * the weight gradient (then X is not read and may be NULL): the network
 * engine forms it itself, fused into the SGD update as
 * W ← W − η·Xᵀ·dZ in one product.
 */
bp_status bp_dense_backward(const bp_exec *exec, bp_activation act, double param, size_t n,
                            size_t n_in, size_t n_out, const double *X, size_t ldx, const double *W,
                            size_t ldw, const double *Z, const double *A, const double *dA,
                            double *dZ, double *dW, double *db, double *dX);

/** Single precision bp_dense_forward (float data and slope). */
bp_status bp_dense_forward_f32(const bp_exec *exec, bp_activation act, float param, size_t n,
                               size_t n_in, size_t n_out, const float *X, size_t ldx,
                               const float *W, size_t ldw, const float *b, float *Z, float *A);

/** Single precision bp_dense_backward (float data and slope). */
bp_status bp_dense_backward_f32(const bp_exec *exec, bp_activation act, float param, size_t n,
                                size_t n_in, size_t n_out, const float *X, size_t ldx,
                                const float *W, size_t ldw, const float *Z, const float *A,
                                const float *dA, float *dZ, float *dW, float *db, float *dX);

#ifdef __cplusplus
}
#endif

#endif /* BP_DENSE_H */
