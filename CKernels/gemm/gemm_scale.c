/* gemm_check.c — argument validation and the beta·C step shared by the GEMMs. */
#include "runtime/internal.h"

bp_status bp_gemm_check(bp_transpose trans_a, bp_transpose trans_b,
                        size_t m, size_t n, size_t k, double alpha,
                        const double *A, size_t lda, const double *B, size_t ldb,
                        const double *C, size_t ldc) {
    return bp_gemm_check_elem(trans_a, trans_b, m, n, k, alpha != 0.0,
                              A, lda, B, ldb, C, ldc, sizeof(double));
}

/* C ← beta·C, one definition for both precisions. */
#define BP_DEFINE_SCALE_C(NAME, R)                                            \
    void NAME(size_t m, size_t n, R beta, R *C, size_t ldc) {                 \
        if (beta == (R)1) return;                                             \
        for (size_t i = 0; i < m; i++) {                                      \
            R *row = C + i * ldc;                                             \
            if (beta == (R)0) {                                               \
                for (size_t j = 0; j < n; j++) row[j] = (R)0;                 \
            } else {                                                          \
                for (size_t j = 0; j < n; j++) row[j] *= beta;                \
            }                                                                 \
        }                                                                     \
    }

BP_DEFINE_SCALE_C(bp_gemm_scale_c, double)
BP_DEFINE_SCALE_C(bp_gemm_scale_c_f, float)
