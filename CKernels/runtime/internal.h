/*
 * internal.h — argument checks shared by the kernels (not part of the API),
 * and through ops/formulas.h the element-wise formulas they all use.
 *
 * Every public function validates before it reads or writes, in this order:
 * enum values, leading dimensions, size overflow, null pointers. The helpers
 * here keep that order the same everywhere.
 */
#ifndef BP_INTERNAL_H
#define BP_INTERNAL_H

#include <stddef.h>
#include <stdint.h>
#include "bp_status.h"

/* a·b without wrap-around; returns nonzero on overflow. */
static inline int bp_mul_overflows(size_t a, size_t b, size_t *out) {
    return __builtin_mul_overflow(a, b, out);
}

/*
 * Checks a rows × cols matrix stored row-major with leading dimension ld:
 * ld ≥ max(1, cols) (as BLAS requires), the highest element offset
 * (rows−1)·ld + cols and its size in bytes fit in size_t, and p is not NULL
 * unless the matrix is empty.
 */
static inline bp_status bp_check_matrix_elem(size_t rows, size_t cols, const void *p, size_t ld,
                                             size_t elem_size) {
    if (ld < cols || ld == 0) return BP_ERR_LEADING_DIMENSION;
    if (rows == 0 || cols == 0) return BP_OK;
    size_t span, bytes;
    /* Common case first, without multiplying: rows, ld (and so cols) below
     * 2^24 keep (rows−1)·ld + cols below 2^48 and its bytes below 2^52 for
     * any element size up to 16 (this check is on every GEMM call). */
    if (((rows | ld) >> 24) == 0 && elem_size <= 16) {
        if (p == NULL) return BP_ERR_NULL_POINTER;
        return BP_OK;
    }
    if (bp_mul_overflows(rows - 1, ld, &span)) return BP_ERR_SIZE_OVERFLOW;
    if (__builtin_add_overflow(span, cols, &span)) return BP_ERR_SIZE_OVERFLOW;
    if (bp_mul_overflows(span, elem_size, &bytes)) return BP_ERR_SIZE_OVERFLOW;
    if (p == NULL) return BP_ERR_NULL_POINTER;
    return BP_OK;
}

/* bp_check_matrix_elem for doubles. */
static inline bp_status bp_check_matrix(size_t rows, size_t cols, const void *p, size_t ld) {
    return bp_check_matrix_elem(rows, cols, p, ld, sizeof(double));
}

/* Checks a contiguous array of count elements of elem_size bytes. */
static inline bp_status bp_check_array(size_t count, size_t elem_size, const void *p) {
    size_t bytes;
    if (bp_mul_overflows(count, elem_size, &bytes)) return BP_ERR_SIZE_OVERFLOW;
    if (count > 0 && p == NULL) return BP_ERR_NULL_POINTER;
    return BP_OK;
}

/* Checks a contiguous rows × cols array of elem_size-byte elements and
 * returns rows·cols. */
static inline bp_status bp_check_dense_elem(size_t rows, size_t cols, const void *p, size_t *count,
                                            size_t elem_size) {
    size_t c;
    if (bp_mul_overflows(rows, cols, &c)) return BP_ERR_SIZE_OVERFLOW;
    bp_status s = bp_check_array(c, elem_size, p);
    if (s == BP_OK && count) *count = c;
    return s;
}

/* Checks a contiguous rows × cols array of doubles and returns rows·cols. */
static inline bp_status bp_check_dense(size_t rows, size_t cols, const void *p, size_t *count) {
    return bp_check_dense_elem(rows, cols, p, count, sizeof(double));
}

#define BP_TRY(expr)                                                                               \
    do {                                                                                           \
        bp_status bp_try_status_ = (expr);                                                         \
        if (bp_try_status_ != BP_OK) return bp_try_status_;                                        \
    } while (0)

#include "bp_gemm.h"

/* The same checks for any element type: alpha_nonzero says whether A and B
 * are read (alpha ≠ 0), elem_size is sizeof the element. Inline: a 16 × 16
 * product takes about 80 ns, and a call into another file for its checks
 * was a tenth of that. */
static inline bp_status bp_gemm_check_elem(bp_transpose trans_a, bp_transpose trans_b, size_t m,
                                           size_t n, size_t k, int alpha_nonzero, const void *A,
                                           size_t lda, const void *B, size_t ldb, const void *C,
                                           size_t ldc, size_t elem_size) {
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
    return bp_check_matrix_elem(reads_ab ? b_rows : 0, b_cols, B, ldb, elem_size);
}

/* bp_gemm_scale_c on float. */
void bp_gemm_scale_c_f(size_t m, size_t n, float beta, float *C, size_t ldc);

/* C ← beta·C for an m × n block; beta == 0 stores zeros without reading C
 * (so NaN in an uninitialised C cannot leak), beta == 1 does nothing. */
void bp_gemm_scale_c(size_t m, size_t n, double beta, double *C, size_t ldc);

/* Switches GSL's abort-on-error handler off, once per process (gsl_setup.c). */
void bp_gsl_prepare(void);


/* bp_sigmoid, bp_sigmoidf, bp_clamp_prob and every element-wise formula */
#include "ops/formulas.h"

/* The fused output losses computed from the activations the forward pass
 * already has (loss_tmpl.h); unchecked, for the network engine. */
void bp_loss_fused_outputs_d(bp_loss kind, size_t n, size_t k, const double *Z, const double *A,
                             const double *Y, const size_t *labels, double *loss, double *grad);
void bp_loss_fused_outputs_s(bp_loss kind, size_t n, size_t k, const float *Z, const float *A,
                             const float *Y, const size_t *labels, double *loss, float *grad);

#endif /* BP_INTERNAL_H */
