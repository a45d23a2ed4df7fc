/* bias.c — bias add (forward) and bias gradient (column sums of dZ): one
 * body per operation instantiated for double and float (BP_DEFINE_BIAS),
 * and the public functions of bp_bias.h defined by name over them. */
#include "bp_bias.h"
#include "runtime/internal.h"

#define BP_DEFINE_BIAS(S, R)                                                  \
    static bp_status bias_add_##S(size_t m, size_t n, const R *b, R *Z, size_t ldz) { \
        BP_TRY(bp_check_matrix_elem(m, n, Z, ldz, sizeof(R)));                \
        BP_TRY(bp_check_array(m > 0 ? n : 0, sizeof(R), b));                  \
        for (size_t i = 0; i < m; i++) {                                      \
            R *row = Z + i * ldz;                                             \
            for (size_t j = 0; j < n; j++) row[j] += b[j];                    \
        }                                                                     \
        return BP_OK;                                                         \
    }                                                                         \
                                                                              \
    static bp_status bias_gradient_##S(size_t m, size_t n, R alpha, const R *dZ, \
                                       size_t lddz, R beta, R *db) {          \
        BP_TRY(bp_check_matrix_elem(m, n, dZ, lddz, sizeof(R)));              \
        BP_TRY(bp_check_array(n, sizeof(R), db));                             \
        if (n == 0) return BP_OK;                                             \
        /* Scale first (beta == 0 never reads db), then accumulate row by     \
         * row so the inner loop runs along contiguous memory. */             \
        for (size_t j = 0; j < n; j++) db[j] = beta == (R)0 ? (R)0 : beta * db[j]; \
        for (size_t i = 0; i < m; i++) {                                      \
            const R *row = dZ + i * lddz;                                     \
            for (size_t j = 0; j < n; j++) db[j] += alpha * row[j];           \
        }                                                                     \
        return BP_OK;                                                         \
    }

BP_DEFINE_BIAS(d, double)
BP_DEFINE_BIAS(s, float)

bp_status bp_bias_add(size_t m, size_t n, const double *b, double *Z, size_t ldz) {
    return bias_add_d(m, n, b, Z, ldz);
}

bp_status bp_bias_add_f32(size_t m, size_t n, const float *b, float *Z, size_t ldz) {
    return bias_add_s(m, n, b, Z, ldz);
}

bp_status bp_bias_gradient(size_t m, size_t n, double alpha, const double *dZ, size_t lddz,
                           double beta, double *db) {
    return bias_gradient_d(m, n, alpha, dZ, lddz, beta, db);
}

bp_status bp_bias_gradient_f32(size_t m, size_t n, float alpha, const float *dZ, size_t lddz,
                               float beta, float *db) {
    return bias_gradient_s(m, n, alpha, dZ, lddz, beta, db);
}
