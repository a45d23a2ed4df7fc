/*
 * update.c — SGD step, norm, scaling and clipping, double and float,
 * instantiated from update_tmpl.h. The SGD step is the update stage's
 * element rule (ops/update_stage.h) on a plain loop; the others go through
 * GSL BLAS (gsl_blas_d*, gsl_blas_s*).
 *
 * GSL's BLAS wrappers pass lengths to CBLAS as int, so a vector longer than
 * INT_MAX would be truncated. We walk long vectors in chunks of at most
 * INT_MAX elements through gsl_vector views.
 *
 * The public functions of bp_update.h are defined by name, at the end,
 * over the bodies of update_tmpl.h.
 */
/* bp_sgd_update rounds the product and the sum separately, as reference
 * BLAS does, on every target: no FMA contraction in this file (GCC does
 * not contract in ISO C mode; clang follows the pragma, which must come
 * before the rule's definition is read). */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif
#include <limits.h>
#include <math.h>
#include <gsl/gsl_blas.h>
#include <gsl/gsl_vector.h>
#include "bp_update.h"
#include "runtime/internal.h"
#include "ops/update_stage.h"

static size_t chunk_len(size_t remaining) {
    return remaining < (size_t)INT_MAX ? remaining : (size_t)INT_MAX;
}

#define R double
#define P(name) name##_d
#define U_VIEW gsl_vector_view
#define U_CVIEW gsl_vector_const_view
#define U_VIEW_ARRAY gsl_vector_view_array
#define U_CVIEW_ARRAY gsl_vector_const_view_array
#define U_RULE bp_sgd_rule_d
#define U_NRM2 gsl_blas_dnrm2
#define U_SCAL gsl_blas_dscal
#include "update_tmpl.h"
#undef R
#undef P
#undef U_VIEW
#undef U_CVIEW
#undef U_VIEW_ARRAY
#undef U_CVIEW_ARRAY
#undef U_RULE
#undef U_NRM2
#undef U_SCAL

/* ‖x‖₂ of a float vector, accumulated in double. gsl_blas_snrm2 returns a
 * float, so a norm above FLT_MAX (≈ 3.4e38: three values of 2e38) came
 * back as +inf although every element was finite; squares of floats cannot
 * overflow a double sum (at most n · 1.2e77) nor underflow it, and the
 * double sum is far more precise than the float result needs. */
static double snrm2_in_double(const gsl_vector_float *v) {
    double sum = 0.0;
    for (size_t i = 0; i < v->size; i++) {
        double x = v->data[i * v->stride];
        sum += x * x;
    }
    return sqrt(sum);
}

#define R float
#define P(name) name##_s
#define U_VIEW gsl_vector_float_view
#define U_CVIEW gsl_vector_float_const_view
#define U_VIEW_ARRAY gsl_vector_float_view_array
#define U_CVIEW_ARRAY gsl_vector_float_const_view_array
#define U_RULE bp_sgd_rule_s
#define U_NRM2 snrm2_in_double
#define U_SCAL gsl_blas_sscal
#include "update_tmpl.h"
#undef R
#undef P
#undef U_VIEW
#undef U_CVIEW
#undef U_VIEW_ARRAY
#undef U_CVIEW_ARRAY
#undef U_RULE
#undef U_NRM2
#undef U_SCAL

/* ---- the public functions (bp_update.h) --------------------------------- */

bp_status bp_sgd_update(size_t n, double learning_rate, const double *g, double *w) {
    return sgd_update_d(n, learning_rate, g, w);
}

bp_status bp_norm2(size_t n, const double *x, double *norm) { return norm2_d(n, x, norm); }

bp_status bp_scale(size_t n, double alpha, double *x) { return scale_d(n, alpha, x); }

bp_status bp_clip_by_norm(size_t n, double max_norm, double *g, double *norm_before) {
    return clip_by_norm_d(n, max_norm, g, norm_before);
}

bp_status bp_sgd_update_f32(size_t n, float learning_rate, const float *g, float *w) {
    return sgd_update_s(n, learning_rate, g, w);
}

bp_status bp_norm2_f32(size_t n, const float *x, double *norm) { return norm2_s(n, x, norm); }

bp_status bp_scale_f32(size_t n, float alpha, float *x) { return scale_s(n, alpha, x); }

bp_status bp_clip_by_norm_f32(size_t n, float max_norm, float *g, double *norm_before) {
    return clip_by_norm_s(n, max_norm, g, norm_before);
}
