/* gemm_check.c — argument validation and the beta·C step shared by the GEMMs. */
#include "internal.h"

bp_status bp_gemm_check_elem(bp_transpose trans_a, bp_transpose trans_b,
                             size_t m, size_t n, size_t k, int alpha_nonzero,
                             const void *A, size_t lda, const void *B, size_t ldb,
                             const void *C, size_t ldc, size_t elem_size) {
    if ((trans_a != BP_NO_TRANS && trans_a != BP_TRANS) ||
        (trans_b != BP_NO_TRANS && trans_b != BP_TRANS))
        return BP_ERR_BAD_ENUM;
    /* Stored shapes: A is m×k or k×m, B is k×n or n×k. */
    size_t a_rows = trans_a == BP_TRANS ? k : m, a_cols = trans_a == BP_TRANS ? m : k;
    size_t b_rows = trans_b == BP_TRANS ? n : k, b_cols = trans_b == BP_TRANS ? k : n;
    if (lda < (a_cols ? a_cols : 1) || ldb < (b_cols ? b_cols : 1) || ldc < (n ? n : 1))
        return BP_ERR_LEADING_DIMENSION;
    /* A and B are not read when the product vanishes: validate them as empty. */
    int reads_ab = m > 0 && n > 0 && k > 0 && alpha_nonzero;
    BP_TRY(bp_check_matrix_elem(m, n, C, ldc, elem_size));
    BP_TRY(bp_check_matrix_elem(reads_ab ? a_rows : 0, a_cols, A, lda, elem_size));
    BP_TRY(bp_check_matrix_elem(reads_ab ? b_rows : 0, b_cols, B, ldb, elem_size));
    return BP_OK;
}

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
