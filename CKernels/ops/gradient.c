/* gradient.c — weight gradients (outer product and batched) and the input gradient. */
#include "bp_gradient.h"
#include "runtime/internal.h"

bp_status bp_outer_accumulate(size_t m, size_t n, double alpha, const double *x, const double *y,
                              double *dW, size_t lddw) {
    BP_TRY(bp_check_matrix(m, n, dW, lddw));
    size_t mx = n > 0 ? m : 0, ny = m > 0 ? n : 0; /* read only if dW is non-empty */
    BP_TRY(bp_check_array(mx, sizeof(double), x));
    BP_TRY(bp_check_array(ny, sizeof(double), y));
    for (size_t i = 0; i < m; i++) {
        double ax = alpha * x[i];
        double *row = dW + i * lddw;
        for (size_t j = 0; j < n; j++) row[j] += ax * y[j];
    }
    return BP_OK;
}

bp_status bp_weight_gradient(size_t n_samples, size_t n_in, size_t n_out, double alpha,
                             const double *A_prev, size_t lda, const double *dZ, size_t lddz,
                             double beta, double *dW, size_t lddw) {
    /* dW (n_in × n_out) = alpha · A_prevᵀ (n_in × n_samples) · dZ (n_samples × n_out) */
    return bp_dgemm(BP_TRANS, BP_NO_TRANS, n_in, n_out, n_samples, alpha, A_prev, lda, dZ, lddz,
                    beta, dW, lddw);
}

bp_status bp_input_gradient(size_t n_samples, size_t n_in, size_t n_out, const double *dZ,
                            size_t lddz, const double *W, size_t ldw, double *dA_prev,
                            size_t ldda) {
    /* dA_prev (n_samples × n_in) = dZ (n_samples × n_out) · Wᵀ (n_out × n_in) */
    return bp_dgemm(BP_NO_TRANS, BP_TRANS, n_samples, n_in, n_out, 1.0, dZ, lddz, W, ldw, 0.0,
                    dA_prev, ldda);
}
