/*
 * dense.c — fused dense-layer forward and backward passes (bp_dense.h),
 * double and float, instantiated from dense_tmpl.h.
 *
 * Narrow layers (n_in and n_out both below BP_DENSE_NARROW = 32) take a
 * direct path without packing; wider ones go through the blocked GEMM of
 * gemm.c with the bias and activation fused into its epilogue.
 */
#include <math.h>
#include "bp_dense.h"
#include "internal.h"
#include "gemm_internal.h"

enum { BP_DENSE_NARROW = 32 };

static int dense_valid_activation(bp_activation act) {
    return act >= BP_ACT_IDENTITY && act <= BP_ACT_SOFTMAX;
}

#define R double
#define P(name) name##_d
#define D_FORWARD bp_dense_forward
#define D_BACKWARD bp_dense_backward
#define D_RUN bp_dgemm_run
#define D_EPI bp_epilogue_d
#define D_ACT_BLOCK bp_act_block_d
#define D_SOFTMAX bp_softmax_rows_d
#define D_ACT_BACKWARD bp_act_backward_d
#include "dense_tmpl.h"
#undef R
#undef P
#undef D_FORWARD
#undef D_BACKWARD
#undef D_RUN
#undef D_EPI
#undef D_ACT_BLOCK
#undef D_SOFTMAX
#undef D_ACT_BACKWARD

#define R float
#define P(name) name##_s
#define D_FORWARD bp_dense_forward_f32
#define D_BACKWARD bp_dense_backward_f32
#define D_RUN bp_sgemm_run
#define D_EPI bp_epilogue_s
#define D_ACT_BLOCK bp_act_block_s
#define D_SOFTMAX bp_softmax_rows_s
#define D_ACT_BACKWARD bp_act_backward_s
#include "dense_tmpl.h"
