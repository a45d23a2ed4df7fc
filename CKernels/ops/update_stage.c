/*
 * update_stage.c — the parameter-update stage (update_stage.h): the
 * optimisers' defaults and checks (bp_optimizer.h), setting a stage up,
 * a step's scalars, and its step in double and float, instantiated from
 * update_stage_tmpl.h.
 */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "ops/update_stage.h"
#include "runtime/internal.h"
#include "runtime/dispatch.h"

/* ---- optimisers (bp_optimizer.h) ------------------------------------------ */

bp_status bp_optimizer_default(bp_optimizer_rule rule, bp_optimizer *out) {
    if ((unsigned)rule > (unsigned)BP_OPTIMIZER_RPROP) return BP_ERR_BAD_ENUM;
    if (out == NULL) return BP_ERR_NULL_POINTER;
    bp_optimizer o;
    memset(&o, 0, sizeof o);
    o.rule = rule;
    switch (rule) {
    case BP_OPTIMIZER_SGD: break; /* torch.optim.SGD: μ = τ = λ = 0 */
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW:
        o.beta1 = 0.9;
        o.beta2 = 0.999;
        o.eps = 1e-8;
        o.weight_decay = rule == BP_OPTIMIZER_ADAMW ? 1e-2 : 0.0;
        break;
    case BP_OPTIMIZER_RMSPROP:
        o.alpha = 0.99;
        o.eps = 1e-8;
        break;
    case BP_OPTIMIZER_ADAGRAD: o.eps = 1e-10; break;
    case BP_OPTIMIZER_RPROP:
        o.eta_minus = 0.5;
        o.eta_plus = 1.2;
        o.step_min = 1e-6;
        o.step_max = 50.0;
        break;
    }
    *out = o;
    return BP_OK;
}

size_t bp_update_state_slots(const bp_optimizer *opt) {
    switch (opt->rule) {
    case BP_OPTIMIZER_SGD: return opt->momentum != 0.0; /* b */
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW: return 2 + (opt->amsgrad != 0); /* m, v, v̂ */
    case BP_OPTIMIZER_RMSPROP:                               /* s, a, b */
        return 1 + (opt->centered != 0) + (opt->momentum > 0.0);
    case BP_OPTIMIZER_ADAGRAD: return 1; /* s */
    case BP_OPTIMIZER_RPROP: return 2;   /* g′, Δ */
    }
    return 0;
}

int bp_update_slot_nonnegative(const bp_optimizer *opt, size_t slot) {
    switch (opt->rule) {
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW: return slot >= 1; /* v, v̂ */
    case BP_OPTIMIZER_RMSPROP:
    case BP_OPTIMIZER_ADAGRAD: return slot == 0; /* s */
    case BP_OPTIMIZER_RPROP: return slot == 1;   /* Δ */
    case BP_OPTIMIZER_SGD: return 0;
    }
    return 0;
}

bp_status bp_update_state_bytes(const bp_optimizer *opt, size_t n, size_t elem_size,
                                size_t *bytes) {
    size_t values;
    if (bp_mul_overflows(bp_update_state_slots(opt), n, &values) ||
        bp_mul_overflows(values, elem_size, bytes))
        return BP_ERR_SIZE_OVERFLOW;
    return BP_OK;
}

/* Finite, and in float's range for a float engine. */
static int finite_in(double x, size_t elem_size) {
    return isfinite(x) && (elem_size != sizeof(float) || fabs(x) <= FLT_MAX);
}

bp_status bp_update_check_optimizer(const bp_optimizer *o, size_t elem_size) {
    if ((unsigned)o->rule > (unsigned)BP_OPTIMIZER_RPROP) return BP_ERR_BAD_ENUM;
    int ok = 0;
    switch (o->rule) {
    case BP_OPTIMIZER_SGD:
        ok = finite_in(o->momentum, elem_size) && finite_in(o->dampening, elem_size) &&
             finite_in(o->weight_decay, elem_size) && o->momentum >= 0.0 && o->dampening >= 0.0 &&
             o->dampening <= 1.0 && o->weight_decay >= 0.0 &&
             (!o->nesterov || (o->momentum > 0.0 && o->dampening == 0.0));
        break;
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW:
        ok = finite_in(o->beta1, elem_size) && finite_in(o->beta2, elem_size) &&
             finite_in(o->eps, elem_size) && finite_in(o->weight_decay, elem_size) &&
             o->beta1 >= 0.0 && o->beta1 < 1.0 && o->beta2 >= 0.0 && o->beta2 < 1.0 &&
             o->eps >= 0.0 && o->weight_decay >= 0.0;
        break;
    case BP_OPTIMIZER_RMSPROP:
        ok = finite_in(o->alpha, elem_size) && finite_in(o->eps, elem_size) &&
             finite_in(o->weight_decay, elem_size) && finite_in(o->momentum, elem_size) &&
             o->alpha >= 0.0 && o->alpha <= 1.0 && o->eps >= 0.0 && o->weight_decay >= 0.0 &&
             o->momentum >= 0.0;
        break;
    case BP_OPTIMIZER_ADAGRAD:
        ok = finite_in(o->lr_decay, elem_size) && finite_in(o->weight_decay, elem_size) &&
             finite_in(o->initial_accumulator_value, elem_size) && finite_in(o->eps, elem_size) &&
             o->lr_decay >= 0.0 && o->weight_decay >= 0.0 && o->initial_accumulator_value >= 0.0 &&
             o->eps >= 0.0;
        break;
    case BP_OPTIMIZER_RPROP:
        ok = finite_in(o->eta_minus, elem_size) && finite_in(o->eta_plus, elem_size) &&
             finite_in(o->step_min, elem_size) && finite_in(o->step_max, elem_size) &&
             o->eta_minus > 0.0 && o->eta_minus < 1.0 && o->eta_plus > 1.0 && o->step_min >= 0.0 &&
             o->step_min <= o->step_max;
        break;
    }
    return ok ? BP_OK : BP_ERR_BAD_VALUE;
}

/* ---- the stage ------------------------------------------------------------- */

void bp_update_stage_init(bp_update_stage *s, size_t n, size_t elem_size) {
    *s = (bp_update_stage){ .n = n, .elem_size = elem_size };
    /* plain SGD: every other field 0 */
    bp_optimizer_default(BP_OPTIMIZER_SGD, &s->opt);
}

bp_status bp_update_stage_configure(bp_update_stage *s, const bp_optimizer *opt) {
    size_t bytes;
    BP_TRY(bp_update_state_bytes(opt, s->n, s->elem_size, &bytes));
    void *state = NULL;
    if (bytes > 0) {
        state = malloc(bytes);
        if (state == NULL) return BP_ERR_NO_MEMORY;
    }
    free(s->state);
    s->state = state;
    s->opt = *opt;
    s->state_slots = bp_update_state_slots(opt);
    bp_update_stage_reset(s);
    return BP_OK;
}

void bp_update_stage_reset(bp_update_stage *s) {
    s->step = 0;
    if (s->state == NULL) return;
    /* every slot starts at 0 (all-zero bits in both precisions), but
     * Adagrad's accumulator */
    memset(s->state, 0, s->state_slots * s->n * s->elem_size);
    if (s->opt.rule != BP_OPTIMIZER_ADAGRAD) return;
    const double s0 = s->opt.initial_accumulator_value;
    if (s->elem_size == sizeof(double))
        for (size_t i = 0; i < s->n; i++) ((double *)s->state)[i] = s0;
    else
        for (size_t i = 0; i < s->n; i++) ((float *)s->state)[i] = (float)s0;
}

void bp_update_stage_free(bp_update_stage *s) {
    free(s->state);
    s->state = NULL;
}

void bp_update_stage_set_hook(bp_update_stage *s, bp_gradient_hook hook, void *user) {
    s->hook = hook;
    s->hook_user = hook ? user : NULL;
}

/* ---- regularisation (bp_regularization.h) ---------------------------------- */

void bp_update_stage_set_weights(bp_update_stage *s, size_t blocks, const size_t *begin,
                                 const size_t *end) {
    s->w_blocks = blocks;
    s->w_begin = begin;
    s->w_end = end;
}

bp_status bp_update_check_regularization(const bp_regularization *reg, size_t elem_size) {
    return finite_in(reg->l2, elem_size) && finite_in(reg->max_grad_norm, elem_size) &&
                   reg->l2 >= 0.0 && reg->max_grad_norm >= 0.0
               ? BP_OK
               : BP_ERR_BAD_VALUE;
}

/* PyTorch's clip_grad_norm_ adds this to the norm before dividing. */
#define CLIP_EPS 1e-6

/* ---- a step's scalars (update_rules.h) ------------------------------------ */

void bp_update_coeffs_prepare_d(const bp_update_stage *s, bp_update_coeffs_d *k) {
    const bp_optimizer *o = &s->opt;
    const double eta = s->hp.learning_rate, t = (double)s->step + 1.0;
    memset(k, 0, sizeof *k);
    k->rule = o->rule;
    k->plain = bp_update_plain_sgd(o);
    k->first = s->step == 0;
    k->neg_rate = -eta;
    k->shrink = 1.0;
    switch (o->rule) {
    case BP_OPTIMIZER_SGD:
        k->buffer = o->momentum != 0.0;
        k->nesterov = o->nesterov != 0;
        k->decay = o->weight_decay;
        k->momentum = o->momentum;
        k->damp1 = 1.0 - o->dampening;
        break;
    case BP_OPTIMIZER_ADAM:
    case BP_OPTIMIZER_ADAMW: {
        /* torch: bias_correction1 = 1 − β1**step, step_size = lr / bc1,
         * bias_correction2_sqrt = bc2**0.5 (Python's ** is C's pow) */
        const double bc1 = 1.0 - pow(o->beta1, t), bc2 = 1.0 - pow(o->beta2, t);
        k->amsgrad = o->amsgrad != 0;
        k->neg_rate = -(eta / bc1);
        k->root_bc2 = pow(bc2, 0.5);
        if (o->rule == BP_OPTIMIZER_ADAMW) k->shrink = 1.0 - eta * o->weight_decay;
        else k->decay = o->weight_decay;
        k->w = 1.0 - o->beta1;
        k->keep = o->beta2;
        k->add = 1.0 - o->beta2;
        k->eps = o->eps;
        break;
    }
    case BP_OPTIMIZER_RMSPROP:
        k->buffer = o->momentum > 0.0;
        k->centered = o->centered != 0;
        k->decay = o->weight_decay;
        k->momentum = o->momentum;
        k->w = 1.0 - o->alpha;
        k->keep = o->alpha;
        k->add = 1.0 - o->alpha;
        k->eps = o->eps;
        break;
    case BP_OPTIMIZER_ADAGRAD:
        /* torch: clr = lr / (1 + (step − 1)·lr_decay) */
        k->neg_rate = -(eta / (1.0 + (t - 1.0) * o->lr_decay));
        k->decay = o->weight_decay;
        k->eps = o->eps;
        break;
    case BP_OPTIMIZER_RPROP:
        k->eta_minus = o->eta_minus;
        k->eta_plus = o->eta_plus;
        k->step_min = o->step_min;
        k->step_max = o->step_max;
        k->step0 = eta;
        break;
    }
    /* torch's lerp weight test and its 1 − w, in the engine's precision */
    k->small = fabs(k->w) < 0.5;
    k->one_w = 1.0 - k->w;
}

void bp_update_coeffs_prepare_s(const bp_update_stage *s, bp_update_coeffs_s *k) {
    bp_update_coeffs_d d;
    bp_update_coeffs_prepare_d(s, &d);
    *k = (bp_update_coeffs_s){
        .rule = d.rule,
        .plain = d.plain,
        .buffer = d.buffer,
        .amsgrad = d.amsgrad,
        .centered = d.centered,
        .nesterov = d.nesterov,
        .first = d.first,
        .neg_rate = (float)d.neg_rate,
        .decay = (float)d.decay,
        .shrink = (float)d.shrink,
        .momentum = (float)d.momentum,
        .damp1 = (float)d.damp1,
        .w = (float)d.w,
        .keep = (float)d.keep,
        .add = (float)d.add,
        .root_bc2 = (float)d.root_bc2,
        .eps = (float)d.eps,
        .eta_minus = (float)d.eta_minus,
        .eta_plus = (float)d.eta_plus,
        .step_min = (float)d.step_min,
        .step_max = (float)d.step_max,
        .step0 = (float)d.step0,
    };
    k->small = fabsf(k->w) < 0.5f;
    k->one_w = 1.0f - k->w;
}

#define R double
#define U(name) name##_d
#define VEC_NONFINITE vec_nonfinite_d
#define VEC_SGD vec_sgd_d
#define VEC_STEP vec_step_d
#define COEFFS bp_update_coeffs_d
#include "update_stage_tmpl.h"
#undef R
#undef U
#undef VEC_NONFINITE
#undef VEC_SGD
#undef VEC_STEP
#undef COEFFS

#define R float
#define U(name) name##_s
#define VEC_NONFINITE vec_nonfinite_s
#define VEC_SGD vec_sgd_s
#define VEC_STEP vec_step_s
#define COEFFS bp_update_coeffs_s
#include "update_stage_tmpl.h"
