/*
 * gemm_reference.c — the textbook GEMM: one dot product per element of C.
 * Kept deliberately plain; it is the yardstick the blocked GEMM is tested
 * against, not something to optimise. One definition, instantiated for
 * double (bp_dgemm_reference) and float (bp_sgemm_reference).
 */
#include "runtime/internal.h"

#define BP_DEFINE_GEMM_REFERENCE(NAME, R, SCALE_C)                            \
    bp_status NAME(bp_transpose trans_a, bp_transpose trans_b,                \
                   size_t m, size_t n, size_t k,                              \
                   R alpha, const R *A, size_t lda,                           \
                   const R *B, size_t ldb,                                    \
                   R beta, R *C, size_t ldc) {                                \
        BP_TRY(bp_gemm_check_elem(trans_a, trans_b, m, n, k, alpha != (R)0,   \
                                  A, lda, B, ldb, C, ldc, sizeof(R)));        \
        if (m == 0 || n == 0) return BP_OK;                                   \
        if (alpha == (R)0 || k == 0) {                                        \
            SCALE_C(m, n, beta, C, ldc);                                      \
            return BP_OK;                                                     \
        }                                                                     \
        for (size_t i = 0; i < m; i++) {                                      \
            for (size_t j = 0; j < n; j++) {                                  \
                R sum = (R)0;                                                 \
                for (size_t p = 0; p < k; p++) {                              \
                    R a = trans_a == BP_TRANS ? A[p * lda + i] : A[i * lda + p]; \
                    R b = trans_b == BP_TRANS ? B[j * ldb + p] : B[p * ldb + j]; \
                    sum += a * b;                                             \
                }                                                             \
                R *c = &C[i * ldc + j];                                       \
                *c = beta == (R)0 ? alpha * sum : alpha * sum + beta * *c;    \
            }                                                                 \
        }                                                                     \
        return BP_OK;                                                         \
    }

BP_DEFINE_GEMM_REFERENCE(bp_dgemm_reference, double, bp_gemm_scale_c)
BP_DEFINE_GEMM_REFERENCE(bp_sgemm_reference, float, bp_gemm_scale_c_f)
