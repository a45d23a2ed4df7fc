/*
 * mlp_reference.c — the reference network engine (mlp_reference.h): a
 * whole multilayer perceptron in plain loops, one operation of the
 * textbook equations at a time, with no blocking, no SIMD, no fused
 * passes and no threads. It is the yardstick the fast engine (mlp/) is
 * tested against, and what a bp_mlp runs on through a context created with
 * BP_EXEC_REFERENCE. Read it to learn backpropagation; the loops are in
 * mlp_reference_tmpl.h, instantiated below for double and float.
 *
 * The element-wise formulas — activations, their derivatives, every loss
 * and its slope — are small static functions, one per formula, in the
 * numerically safe forms the library uses (bp_activation.h, bp_loss.h):
 * the logistic function never exponentiates a positive number, softmax
 * subtracts its row maximum, probabilities are clamped to
 * [BP_PROB_EPSILON, 1 − BP_PROB_EPSILON] before their logarithm.
 */
#include <math.h>
#include <string.h>
#include "runtime/internal.h"
#include "ops/formulas.h"
#include "ops/update_stage.h"
#include "reference/mlp_reference.h"

/* One rounding per operation, as written (no fused multiply-adds), so the
 * reference rounds the same way on every machine. GCC contracts nothing in
 * ISO C mode (-std=c11) and does not know the pragma. */
#if defined(__clang__)
#pragma STDC FP_CONTRACT OFF
#endif

/* ---- losses, element by element, in double (bp_loss.h) -------------------- */

/* The loss of one output p (a probability, or a logit z for BCE_LOGITS)
 * against its target y, before averaging (ops/formulas.h):
 *   MSE         (p − y)²
 *   BCE         −[y·log p + (1 − y)·log(1 − p)], p clamped
 *   BCE_LOGITS  max(z, 0) − z·y + log(1 + e^(−|z|))   (never overflows)
 *   CCE         −y·log p, p clamped (0 where y = 0, even for p = 0)
 * SOFTMAX_CCE is a row operation (softmax_cce_row in the template). */
static double loss_term(bp_loss kind, double p, double y) {
    switch (kind) {
    case BP_LOSS_MSE: return BP_MSE_TERM(p - y);
    case BP_LOSS_BCE: return BP_BCE_TERM(log, log1p, y, bp_clamp_prob(p));
    case BP_LOSS_BCE_LOGITS: return BP_BCE_LOGITS_TERM(BP_SEL, BP_K, log1p, p, y, exp(-fabs(p)));
    case BP_LOSS_CCE: return y != 0.0 ? BP_CCE_TERM_NONZERO(log, y, bp_clamp_prob(p)) : 0.0;
    default: return 0.0;
    }
}

/* d(loss_term)/dp times the average's scale (ops/formulas.h):
 *   MSE         2(p − y)·scale
 *   BCE         (p − y) / (p(1 − p))·scale, at the clamped p
 *   BCE_LOGITS  (σ(z) − y)·scale   (the fused gradient, with respect to the logit)
 *   CCE         −y / p·scale, at the clamped p */
static double loss_gradient(bp_loss kind, double p, double y, double scale) {
    switch (kind) {
    case BP_LOSS_MSE: return BP_MSE_GRAD(p - y, scale);
    case BP_LOSS_BCE: return BP_BCE_GRAD(y, bp_clamp_prob(p), scale);
    case BP_LOSS_BCE_LOGITS: return BP_BCE_LOGITS_GRAD(bp_sigmoid(p), y, scale);
    case BP_LOSS_CCE: return BP_CCE_GRAD(y, bp_clamp_prob(p), scale);
    default: return 0.0;
    }
}

#define R double
#define P(name) bp_mlp_ref_##name##_d
#define WORK bp_mlp_ref_work_d
#define SIGMOID bp_sigmoid
#define TANH tanh
#define EXP exp
#define ABS fabs
#define COEFFS bp_update_coeffs_d
#define COEFFS_PREPARE bp_update_coeffs_prepare_d
#define RULE_ONE bp_update_rule_one_d
#define PENALTY bp_update_penalty_d
#define CLIP bp_update_clip_d
#define DROP_DRAW bp_dropout_draw_d
#define DROP_SCALE bp_dropout_scale_d
#include "mlp_reference_tmpl.h"
#undef R
#undef P
#undef WORK
#undef SIGMOID
#undef TANH
#undef EXP
#undef ABS
#undef COEFFS
#undef COEFFS_PREPARE
#undef RULE_ONE
#undef PENALTY
#undef CLIP
#undef DROP_DRAW
#undef DROP_SCALE

#define R float
#define P(name) bp_mlp_ref_##name##_s
#define WORK bp_mlp_ref_work_s
#define SIGMOID bp_sigmoidf
#define TANH tanhf
#define EXP expf
#define ABS fabsf
#define COEFFS bp_update_coeffs_s
#define COEFFS_PREPARE bp_update_coeffs_prepare_s
#define RULE_ONE bp_update_rule_one_s
#define PENALTY bp_update_penalty_s
#define CLIP bp_update_clip_s
#define DROP_DRAW bp_dropout_draw_s
#define DROP_SCALE bp_dropout_scale_s
#include "mlp_reference_tmpl.h"
#undef R
#undef P
#undef WORK
#undef SIGMOID
#undef TANH
#undef EXP
#undef ABS
#undef COEFFS
#undef COEFFS_PREPARE
#undef RULE_ONE
#undef PENALTY
#undef CLIP
#undef DROP_DRAW
#undef DROP_SCALE
