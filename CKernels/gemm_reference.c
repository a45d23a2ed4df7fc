/*
 * gemm_reference.c — the textbook GEMM: one dot product per element of C.
 * Kept deliberately plain; it is the yardstick the blocked GEMM is tested
 * against, not something to optimise.
 */
#include "internal.h"

bp_status bp_dgemm_reference(bp_transpose trans_a, bp_transpose trans_b,
                             size_t m, size_t n, size_t k,
                             double alpha, const double *A, size_t lda,
                             const double *B, size_t ldb,
                             double beta, double *C, size_t ldc) {
    BP_TRY(bp_gemm_check(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, C, ldc));
    if (m == 0 || n == 0) return BP_OK;
    if (alpha == 0.0 || k == 0) {
        bp_gemm_scale_c(m, n, beta, C, ldc);
        return BP_OK;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            double sum = 0.0;
            for (size_t p = 0; p < k; p++) {
                double a = trans_a == BP_TRANS ? A[p * lda + i] : A[i * lda + p];
                double b = trans_b == BP_TRANS ? B[j * ldb + p] : B[p * ldb + j];
                sum += a * b;
            }
            double *c = &C[i * ldc + j];
            *c = beta == 0.0 ? alpha * sum : alpha * sum + beta * *c;
        }
    }
    return BP_OK;
}
