/*
 * dense.c — fused dense-layer forward and backward passes (bp_dense.h),
 * double and float, instantiated from dense_tmpl.h.
 *
 * Tiny passes of narrow layers take a direct path without packing (see
 * dense_direct_* below for where); the rest go through the
 * blocked GEMM of gemm.c with the bias and activation fused into its
 * epilogue.
 */
#include <math.h>
#include "bp_dense.h"
#include "runtime/internal.h"
#include "dense/dense_internal.h"
#include "runtime/dispatch.h"

enum { BP_DENSE_NARROW = 32 };

/*
 * Whether a pass takes the direct path (no packing, plain loops) rather
 * than the blocked GEMM: only for narrow layers (both widths below
 * BP_DENSE_NARROW), and then only where it wins per pass: a pass with at
 * most DIRECT_MAX_WORK multiply-adds (n·n_in·n_out) always goes direct
 * (packing and the micro-kernel's edges cost more than the arithmetic);
 * beyond that the forward pass only for n_out = 1 (a one-column output
 * wastes 7/8 of a micro-tile) and the backward pass only for weight
 * matrices of at most DIRECT_MAX_WEIGHTS elements (the products Xᵀ·dZ and
 * dZ·Wᵀ of a tiny weight matrix are all overhead), such as the 2-4-3-1 and
 * 2-2-2-2 networks. Timings per pass: Benchmarks/README.md, "Kernel design
 * measurements".
 */
enum { DIRECT_MAX_WORK = 200, DIRECT_MAX_WEIGHTS = 16 };

/* The backward sweep (dZ, then db) runs over blocks of about this many
 * elements of dZ (16 KiB of floats): a block is summed into db while still
 * in L1, and wide layers still run one row per block. */
enum { DENSE_SWEEP_ELEMS = 4096 };

static int dense_valid_activation(bp_activation act) {
    return act >= BP_ACT_IDENTITY && act <= BP_ACT_SOFTMAX;
}

static int dense_narrow(size_t n_in, size_t n_out) {
    return n_in < BP_DENSE_NARROW && n_out < BP_DENSE_NARROW;
}
static int dense_direct_forward(size_t n, size_t n_in, size_t n_out) {
    return dense_narrow(n_in, n_out) &&
           ((double)n * (double)n_in * (double)n_out <= DIRECT_MAX_WORK || n_out == 1);
}
static int dense_direct_backward(size_t n, size_t n_in, size_t n_out) {
    return dense_narrow(n_in, n_out) &&
           ((double)n * (double)n_in * (double)n_out <= DIRECT_MAX_WORK ||
            n_in * n_out <= DIRECT_MAX_WEIGHTS);
}

#define R double
#define P(name) name##_d
#define D_RUN bp_dgemm_run
#define D_EPI bp_epilogue_d
#define D_ACT_BLOCK bp_act_block_d
#define D_SOFTMAX bp_softmax_rows_d
#define D_ACT_BACKWARD bp_act_backward_d
#define D_RELU_BACKWARD relu_backward_d
#define D_COL_SUMS col_sums_d
#include "dense_tmpl.h"
#undef R
#undef P
#undef D_RUN
#undef D_EPI
#undef D_ACT_BLOCK
#undef D_SOFTMAX
#undef D_ACT_BACKWARD
#undef D_RELU_BACKWARD
#undef D_COL_SUMS

#define R float
#define P(name) name##_s
#define D_RUN bp_sgemm_run
#define D_EPI bp_epilogue_s
#define D_ACT_BLOCK bp_act_block_s
#define D_SOFTMAX bp_softmax_rows_s
#define D_ACT_BACKWARD bp_act_backward_s
#define D_RELU_BACKWARD relu_backward_s
#define D_COL_SUMS col_sums_s
#include "dense_tmpl.h"
#undef R
#undef P
#undef D_RUN
#undef D_EPI
#undef D_ACT_BLOCK
#undef D_SOFTMAX
#undef D_ACT_BACKWARD
#undef D_RELU_BACKWARD
#undef D_COL_SUMS

/* ---- the public functions (bp_dense.h) ---------------------------------- */

bp_status bp_dense_forward(const bp_exec *exec, bp_activation act, double param, size_t n,
                           size_t n_in, size_t n_out, const double *X, size_t ldx, const double *W,
                           size_t ldw, const double *b, double *Z, double *A) {
    return forward_d(exec, act, param, n, n_in, n_out, X, ldx, W, ldw, b, Z, A);
}

bp_status bp_dense_forward_f32(const bp_exec *exec, bp_activation act, float param, size_t n,
                               size_t n_in, size_t n_out, const float *X, size_t ldx,
                               const float *W, size_t ldw, const float *b, float *Z, float *A) {
    return forward_s(exec, act, param, n, n_in, n_out, X, ldx, W, ldw, b, Z, A);
}

bp_status bp_dense_backward(const bp_exec *exec, bp_activation act, double param, size_t n,
                            size_t n_in, size_t n_out, const double *X, size_t ldx, const double *W,
                            size_t ldw, const double *Z, const double *A, const double *dA,
                            double *dZ, double *dW, double *db, double *dX) {
    return backward_d(exec, act, param, n, n_in, n_out, X, ldx, W, ldw, Z, A, dA, dZ, dW, db, dX);
}

bp_status bp_dense_backward_f32(const bp_exec *exec, bp_activation act, float param, size_t n,
                                size_t n_in, size_t n_out, const float *X, size_t ldx,
                                const float *W, size_t ldw, const float *Z, const float *A,
                                const float *dA, float *dZ, float *dW, float *db, float *dX) {
    return backward_s(exec, act, param, n, n_in, n_out, X, ldx, W, ldw, Z, A, dA, dZ, dW, db, dX);
}
