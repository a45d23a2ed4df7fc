/*
 * narrow_instances.h — instantiates the narrow-network engine
 * (narrow_tmpl.h), the parameter-vector passes (vector_tmpl.h) and the
 * dense layers' element-wise passes (dense_passes_tmpl.h) in double
 * and single precision under the name suffix N_SUFFIX (portable, avx2,
 * avx512), with N_BLOCKS register blocks in flight (narrow_block_tmpl.h).
 * Included once by each of narrow.c, narrow_avx2.c and narrow_avx512.c,
 * after their system headers.
 *
 * With N_TARGET defined (a target string such as "avx2,fma"), every
 * function defined here — the engine and vexp.h's inline exp, which must be
 * compiled for the same vectors as the loops that inline it — gets that
 * target attribute through a pragma (no -m flag: the package stays
 * embeddable), and the pragma is popped at the end.
 */
#define N_STR(x) #x
#define N_XSTR(x) N_STR(x) /* expands N_TARGET first */
#if defined(N_TARGET)
#if defined(__clang__)
_Pragma(N_XSTR(clang attribute push(__attribute__((target(N_TARGET))), apply_to = function)))
#else
_Pragma("GCC push_options") _Pragma(N_XSTR(GCC target(N_TARGET)))
#endif
#endif

/* The register blocks (narrow_block_tmpl.h) pass 64-byte vectors between
 * static functions of this file, which the compilers note would change
 * the ABI of a non-AVX-512 build: there is no outside caller. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Wpsabi"
#else
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#include "ops/vexp.h"
#include "ops/exp1.h"

#define N_CAT2(a, b) a##b
#define N_CAT(a, b) N_CAT2(a, b)

#define R double
#define P(name) name##_d
#define N_ENTRY N_CAT(bp_narrow_d_, N_SUFFIX)
#define N_ONLINE N_CAT(bp_narrow_online_d_, N_SUFFIX)
#define VEXP bp_vexp_d
#define EXP1 bp_exp1_d
#define TANH tanh
#define ABS fabs
#define NV 8
#define VR_TAG d8 /* vexp.h's vectors of the register blocks: NV lanes */
#define VD_TAG d8
#define V_MAX DBL_MAX
#define V_SCAN N_CAT(bp_vec_nonfinite_d_, N_SUFFIX)
#define V_SGD N_CAT(bp_vec_sgd_d_, N_SUFFIX)
#define V_STEP N_CAT(bp_vec_step_d_, N_SUFFIX)
#define V_COEFFS bp_update_coeffs_d
#define V_MAXABS N_CAT(bp_vec_maxabs_d_, N_SUFFIX)
#define V_INT int64_t
#define V_INT_MAX INT64_MAX
#define V_BIAS_ROWS N_CAT(bp_bias_rows_d_, N_SUFFIX)
#define V_RELU_ROWS N_CAT(bp_relu_rows_d_, N_SUFFIX)
#define V_RELU_BACKWARD N_CAT(bp_relu_backward_d_, N_SUFFIX)
#define V_COL_SUMS N_CAT(bp_col_sums_d_, N_SUFFIX)
#include "narrow_precision.h"

#define R float
#define P(name) name##_s
#define N_ENTRY N_CAT(bp_narrow_s_, N_SUFFIX)
#define N_ONLINE N_CAT(bp_narrow_online_s_, N_SUFFIX)
#define VEXP bp_vexp_s
#define EXP1 bp_exp1_s
#define TANH tanhf
#define ABS fabsf
#define NV 16
#define VR_TAG s16
#define VD_TAG d16
#define V_MAX FLT_MAX
#define V_SCAN N_CAT(bp_vec_nonfinite_s_, N_SUFFIX)
#define V_SGD N_CAT(bp_vec_sgd_s_, N_SUFFIX)
#define V_STEP N_CAT(bp_vec_step_s_, N_SUFFIX)
#define V_COEFFS bp_update_coeffs_s
#define V_MAXABS N_CAT(bp_vec_maxabs_s_, N_SUFFIX)
#define V_INT int32_t
#define V_INT_MAX INT32_MAX
#define V_BIAS_ROWS N_CAT(bp_bias_rows_s_, N_SUFFIX)
#define V_RELU_ROWS N_CAT(bp_relu_rows_s_, N_SUFFIX)
#define V_RELU_BACKWARD N_CAT(bp_relu_backward_s_, N_SUFFIX)
#define V_COL_SUMS N_CAT(bp_col_sums_s_, N_SUFFIX)
#include "narrow_precision.h"

#if defined(N_TARGET)
#if defined(__clang__)
    _Pragma("clang attribute pop")
#else
    _Pragma("GCC pop_options")
#endif
#endif

#if defined(__clang__)
#pragma clang diagnostic pop
#else
#pragma GCC diagnostic pop
#endif
