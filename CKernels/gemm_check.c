/* gemm_check.c — argument validation and the beta·C step shared by the GEMMs. */
#include "internal.h"

bp_status bp_gemm_check(bp_transpose trans_a, bp_transpose trans_b,
                        size_t m, size_t n, size_t k, double alpha,
                        const double *A, size_t lda, const double *B, size_t ldb,
                        const double *C, size_t ldc) {
    if ((trans_a != BP_NO_TRANS && trans_a != BP_TRANS) ||
        (trans_b != BP_NO_TRANS && trans_b != BP_TRANS))
        return BP_ERR_BAD_ENUM;
    /* Stored shapes: A is m×k or k×m, B is k×n or n×k. */
    size_t a_rows = trans_a == BP_TRANS ? k : m, a_cols = trans_a == BP_TRANS ? m : k;
    size_t b_rows = trans_b == BP_TRANS ? n : k, b_cols = trans_b == BP_TRANS ? k : n;
    if (lda < (a_cols ? a_cols : 1) || ldb < (b_cols ? b_cols : 1) || ldc < (n ? n : 1))
        return BP_ERR_LEADING_DIMENSION;
    /* A and B are not read when the product vanishes: validate them as empty. */
    int reads_ab = m > 0 && n > 0 && k > 0 && alpha != 0.0;
    BP_TRY(bp_check_matrix(m, n, C, ldc));
    BP_TRY(bp_check_matrix(reads_ab ? a_rows : 0, a_cols, A, lda));
    BP_TRY(bp_check_matrix(reads_ab ? b_rows : 0, b_cols, B, ldb));
    return BP_OK;
}

void bp_gemm_scale_c(size_t m, size_t n, double beta, double *C, size_t ldc) {
    if (beta == 1.0) return;
    for (size_t i = 0; i < m; i++) {
        double *row = C + i * ldc;
        if (beta == 0.0) {
            for (size_t j = 0; j < n; j++) row[j] = 0.0;
        } else {
            for (size_t j = 0; j < n; j++) row[j] *= beta;
        }
    }
}
