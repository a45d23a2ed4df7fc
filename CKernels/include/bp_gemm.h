/*
 * bp_gemm.h — general matrix multiply, C = alpha·op(A)·op(B) + beta·C.
 *
 * Conventions (shared by the whole C API):
 *   - Matrices are row-major. Element (i, j) of a matrix X with leading
 *     dimension ldx is X[i*ldx + j]; ldx is the distance, in elements,
 *     between the starts of two consecutive rows and must be at least the
 *     number of columns as stored (and at least 1).
 *   - Arguments follow the BLAS order: flags, sizes, alpha, A, lda, B, ldb,
 *     beta, C, ldc.
 *   - op(X) is X (BP_NO_TRANS) or Xᵀ (BP_TRANS). op(A) is m×k, op(B) is k×n
 *     and C is m×n. So A is stored m×k (lda ≥ k) when not transposed and
 *     k×m (lda ≥ m) when transposed; likewise B is k×n (ldb ≥ n) or n×k
 *     (ldb ≥ k).
 *
 * Semantics follow the reference BLAS:
 *   - m == 0 or n == 0: nothing to do, BP_OK (leading dimensions are still
 *     checked, as BLAS does; A and B are not read and may be NULL).
 *   - beta == 0: C is written without being read, so NaN or garbage in an
 *     uninitialised C never leaks into the result.
 *   - alpha == 0 or k == 0: C = beta·C, A and B are not read (and may be NULL).
 *   - Otherwise a pointer may be NULL only when its matrix has no elements.
 *   - C must not overlap A or B.
 *
 * In a dense layer with batch X (n_samples × n_in) and weights W (n_in × n_out)
 * the three products of training are
 *     forward        Z       = X · W        bp_dgemm(NO_TRANS, NO_TRANS, ...)
 *     weight grad    dW      = Xᵀ · dZ      bp_dgemm(TRANS,    NO_TRANS, ...)
 *     input grad     dX      = dZ · Wᵀ      bp_dgemm(NO_TRANS, TRANS,    ...)
 * and none of them materialises a transpose.
 */
#ifndef BP_GEMM_H
#define BP_GEMM_H

#include <stddef.h>
#include "bp_status.h"
#include "bp_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Whether a matrix argument is used as stored or transposed. */
typedef enum bp_transpose { BP_NO_TRANS = 0, BP_TRANS = 1 } bp_transpose;

/**
 * C = alpha·op(A)·op(B) + beta·C, cache-blocked (BLIS-style packing of A and
 * B panels around a small register micro-kernel).
 *
 * May allocate packing buffers for large products; returns BP_ERR_NO_MEMORY
 * (leaving C unchanged) if that fails.
 */
bp_status bp_dgemm(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n, size_t k,
                   double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                   double beta, double *C, size_t ldc);

/**
 * The same contract as bp_dgemm, computed by the textbook triple loop
 * C[i][j] = beta·C[i][j] + alpha·Σ_p op(A)[i][p]·op(B)[p][j] (summed in
 * increasing p). Slow and obviously correct: the yardstick for tests.
 * Never allocates.
 */
bp_status bp_dgemm_reference(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n,
                             size_t k, double alpha, const double *A, size_t lda, const double *B,
                             size_t ldb, double beta, double *C, size_t ldc);

/**
 * bp_dgemm through an execution context (bp_exec.h): the same contract and
 * the same results, bit for bit, as bp_dgemm with the same kernels; large
 * products are split over the context's threads, and the context's
 * preallocated workspace is used, so the call allocates nothing.
 * exec == NULL is exactly bp_dgemm.
 */
bp_status bp_dgemm_exec(const bp_exec *exec, bp_transpose trans_a, bp_transpose trans_b, size_t m,
                        size_t n, size_t k, double alpha, const double *A, size_t lda,
                        const double *B, size_t ldb, double beta, double *C, size_t ldc);

/** Single precision: the contract of bp_dgemm on float (accumulation in
 *  float). */
bp_status bp_sgemm(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n, size_t k,
                   float alpha, const float *A, size_t lda, const float *B, size_t ldb, float beta,
                   float *C, size_t ldc);

/** bp_sgemm through an execution context (see bp_dgemm_exec). */
bp_status bp_sgemm_exec(const bp_exec *exec, bp_transpose trans_a, bp_transpose trans_b, size_t m,
                        size_t n, size_t k, float alpha, const float *A, size_t lda, const float *B,
                        size_t ldb, float beta, float *C, size_t ldc);

/** The triple loop of bp_dgemm_reference on float (sums in float, in
 *  increasing p). */
bp_status bp_sgemm_reference(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n,
                             size_t k, float alpha, const float *A, size_t lda, const float *B,
                             size_t ldb, float beta, float *C, size_t ldc);

#ifdef __cplusplus
}
#endif

#endif /* BP_GEMM_H */
