/*
 * activation.c — activation functions and their derivatives, double and
 * float. The loops are written once in activation_tmpl.h, the formulas and
 * their numerical guarantees in ops/formulas.h (and bp_activation.h); the
 * loops are instantiated here per precision.
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
#define A_FORWARD bp_activation_forward
#define A_BACKWARD bp_activation_backward
#include "activation_tmpl.h"
#undef R
#undef P
#undef A_EXP
#undef A_TANH
#undef A_SIGMOID
#undef A_FORWARD
#undef A_BACKWARD

#define R float
#define P(name) name##_s
#define A_EXP expf
#define A_TANH tanhf
#define A_SIGMOID bp_sigmoidf
#define A_FORWARD bp_activation_forward_f32
#define A_BACKWARD bp_activation_backward_f32
#include "activation_tmpl.h"
