/*
 * gemm_reference_tmpl.h — the textbook GEMM, written once and included by
 * gemm_reference.c once per precision (no include guard on purpose).
 * Before each inclusion gemm_reference.c defines:
 *
 *   R           element type (double, float)
 *   P(name)     name##_d / name##_s
 *   G_SCALE_C   C ← beta·C (bp_gemm_scale_c, bp_gemm_scale_c_f)
 *
 * It defines P(gemm_reference), the body of the public bp_dgemm_reference
 * and bp_sgemm_reference, which gemm_reference.c defines by name.
 */

static bp_status
P(gemm_reference)(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n,
                                size_t k, R alpha, const R *A, size_t lda, const R *B, size_t ldb,
                                R beta, R *C, size_t ldc) {
    BP_TRY(bp_gemm_check_elem(trans_a, trans_b, m, n, k, alpha != (R)0, A, lda, B, ldb, C, ldc,
                              sizeof(R)));
    if (m == 0 || n == 0) return BP_OK;
    if (alpha == (R)0 || k == 0) {
        G_SCALE_C(m, n, beta, C, ldc);
        return BP_OK;
    }
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            R sum = (R)0;
            for (size_t p = 0; p < k; p++) {
                R a = trans_a == BP_TRANS ? A[p * lda + i] : A[i * lda + p];
                R b = trans_b == BP_TRANS ? B[j * ldb + p] : B[p * ldb + j];
                sum += a * b;
            }
            R *c = &C[i * ldc + j];
            *c = beta == (R)0 ? alpha * sum : alpha * sum + beta * *c;
        }
    }
    return BP_OK;
}
