/* bias.c — bias add (forward) and bias gradient (column sums of dZ): one
 * body per operation (bias_tmpl.h) instantiated for double and float, and
 * the public functions of bp_bias.h defined by name over them. */
#include "bp_bias.h"
#include "runtime/internal.h"

#define R double
#define P(name) name##_d
#include "bias_tmpl.h"
#undef R
#undef P

#define R float
#define P(name) name##_s
#include "bias_tmpl.h"
#undef R
#undef P

/* ---- the public functions (bp_bias.h) ----------------------------------- */

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
