/* bias.c — bias add (forward) and bias gradient (column sums of dZ). */
#include "bp_bias.h"
#include "internal.h"

bp_status bp_bias_add(size_t m, size_t n, const double *b, double *Z, size_t ldz) {
    BP_TRY(bp_check_matrix(m, n, Z, ldz));
    BP_TRY(bp_check_array(m > 0 ? n : 0, sizeof(double), b));
    for (size_t i = 0; i < m; i++) {
        double *row = Z + i * ldz;
        for (size_t j = 0; j < n; j++) row[j] += b[j];
    }
    return BP_OK;
}

bp_status bp_bias_gradient(size_t m, size_t n, double alpha,
                           const double *dZ, size_t lddz,
                           double beta, double *db) {
    BP_TRY(bp_check_matrix(m, n, dZ, lddz));
    BP_TRY(bp_check_array(n, sizeof(double), db));
    if (n == 0) return BP_OK;
    /* Scale first (beta == 0 never reads db), then accumulate row by row so
     * the inner loop runs along contiguous memory. */
    for (size_t j = 0; j < n; j++) db[j] = beta == 0.0 ? 0.0 : beta * db[j];
    for (size_t i = 0; i < m; i++) {
        const double *row = dZ + i * lddz;
        for (size_t j = 0; j < n; j++) db[j] += alpha * row[j];
    }
    return BP_OK;
}
