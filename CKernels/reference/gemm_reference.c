/*
 * gemm_reference.c — the textbook GEMM: one dot product per element of C.
 * Kept deliberately plain; it is the yardstick the blocked GEMM is tested
 * against, not something to optimise. One body (gemm_reference_tmpl.h),
 * instantiated for double and float; the public bp_dgemm_reference and
 * bp_sgemm_reference are defined by name over it.
 */
#include "runtime/internal.h"

#define R double
#define P(name) name##_d
#define G_SCALE_C bp_gemm_scale_c
#include "gemm_reference_tmpl.h"
#undef R
#undef P
#undef G_SCALE_C

#define R float
#define P(name) name##_s
#define G_SCALE_C bp_gemm_scale_c_f
#include "gemm_reference_tmpl.h"
#undef R
#undef P
#undef G_SCALE_C

/* ---- the public functions (bp_gemm.h) ----------------------------------- */

bp_status bp_dgemm_reference(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n,
                             size_t k, double alpha, const double *A, size_t lda, const double *B,
                             size_t ldb, double beta, double *C, size_t ldc) {
    return gemm_reference_d(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bp_status bp_sgemm_reference(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n,
                             size_t k, float alpha, const float *A, size_t lda, const float *B,
                             size_t ldb, float beta, float *C, size_t ldc) {
    return gemm_reference_s(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
