/* bias.c — bias add (forward) and bias gradient (column sums of dZ), one
 * definition instantiated for double and float. */
#include "bp_bias.h"
#include "runtime/internal.h"

#define BP_DEFINE_BIAS(ADD, GRADIENT, R)                                      \
    bp_status ADD(size_t m, size_t n, const R *b, R *Z, size_t ldz) {         \
        BP_TRY(bp_check_matrix_elem(m, n, Z, ldz, sizeof(R)));                \
        BP_TRY(bp_check_array(m > 0 ? n : 0, sizeof(R), b));                  \
        for (size_t i = 0; i < m; i++) {                                      \
            R *row = Z + i * ldz;                                             \
            for (size_t j = 0; j < n; j++) row[j] += b[j];                    \
        }                                                                     \
        return BP_OK;                                                         \
    }                                                                         \
                                                                              \
    bp_status GRADIENT(size_t m, size_t n, R alpha, const R *dZ, size_t lddz, \
                       R beta, R *db) {                                       \
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

BP_DEFINE_BIAS(bp_bias_add, bp_bias_gradient, double)
BP_DEFINE_BIAS(bp_bias_add_f32, bp_bias_gradient_f32, float)
