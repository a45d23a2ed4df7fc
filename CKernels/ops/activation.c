/*
 * activation.c — activation functions and their derivatives, double and
 * float. The loops are written once in activation_tmpl.h, the formulas and
 * their numerical guarantees in ops/formulas.h (and bp_activation.h); the
 * loops are instantiated here per precision, and the public functions of
 * bp_activation.h defined by name over them.
 */
#include <math.h>
#include "bp_activation.h"
#include "runtime/internal.h"
#include "dense/dense_internal.h"

static int valid_activation(bp_activation act) {
    return act >= BP_ACT_IDENTITY && act <= BP_ACT_SOFTMAX;
}

#define R double
#define P(name) name##_d
#define A_EXP exp
#define A_TANH tanh
#define A_SIGMOID bp_sigmoid
#include "activation_tmpl.h"
#undef R
#undef P
#undef A_EXP
#undef A_TANH
#undef A_SIGMOID

#define R float
#define P(name) name##_s
#define A_EXP expf
#define A_TANH tanhf
#define A_SIGMOID bp_sigmoidf
#include "activation_tmpl.h"
#undef R
#undef P
#undef A_EXP
#undef A_TANH
#undef A_SIGMOID

/* ---- the public functions (bp_activation.h) ----------------------------- */

bp_status bp_activation_forward(bp_activation act, double param, size_t rows, size_t cols,
                                const double *Z, double *A) {
    return forward_d(act, param, rows, cols, Z, A);
}

bp_status bp_activation_backward(bp_activation act, double param, size_t rows, size_t cols,
                                 const double *Z, const double *A, const double *dA, double *dZ) {
    return backward_d(act, param, rows, cols, Z, A, dA, dZ);
}

bp_status bp_activation_forward_f32(bp_activation act, float param, size_t rows, size_t cols,
                                    const float *Z, float *A) {
    return forward_s(act, param, rows, cols, Z, A);
}

bp_status bp_activation_backward_f32(bp_activation act, float param, size_t rows, size_t cols,
                                     const float *Z, const float *A, const float *dA, float *dZ) {
    return backward_s(act, param, rows, cols, Z, A, dA, dZ);
}
