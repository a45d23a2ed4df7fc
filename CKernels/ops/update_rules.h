/*
 * update_rules.h — the optimisers' element rules (bp_optimizer.h), each
 * defined once: what one parameter, its gradient and its state become in
 * one step of SGD with momentum or weight decay, Adam and AdamW, RMSprop,
 * Adagrad and Rprop. Not part of the API.
 *
 * The update stage (update_stage.h) instantiates them twice: in the
 * vector passes (vector_tmpl.h, built per ISA, one loop per rule and
 * variant, vectorised by the compilers) and in the plain loop of the
 * reference engine (reference/mlp_reference_tmpl.h, through
 * bp_update_rule_one_d / _s below, one element at a time). Plain SGD,
 * p + α·g, is bp_sgd_rule_d / _s, the first rule below, which the narrow
 * engine's register paths and bp_sgd_update instantiate too.
 *
 * A step's scalars — the rule's hyperparameters in the engine's precision,
 * and what depends on the step count (bias corrections, Adagrad's decayed
 * rate, whether this is the first step) — are computed once per step in
 * double and rounded once into a bp_update_coeffs_d / _s
 * (bp_update_coeffs_prepare_d / _s, update_stage.c); the rules read them
 * from there. Every rule takes the same operations in the same order as
 * torch.optim's single-tensor step (the `torch:` lines below), so that
 * the trajectories agree to rounding: a product then a sum, as written
 * (builds that contract a·b + c into a fused multiply-add, as PyTorch's
 * vectorised kernels do, round once instead of twice).
 *
 * State: slot j of parameter i at state[j·n + i]; the rules take pointers
 * to their own slots' elements. Which slots a rule keeps is in
 * bp_optimizer.h; the variants that keep a slot more (momentum buffer,
 * AMSGrad's maximum, RMSprop's centred average) are separate loops, the
 * cheap choices (Nesterov, the first step, the lerp's form) selects.
 */
#ifndef BP_UPDATE_RULES_H
#define BP_UPDATE_RULES_H

#include <stddef.h>
#include "bp_optimizer.h"

/* √x without errno, so that a loop around it vectorises: clang's
 * element-wise builtin; elsewhere the C library's, which GCC inlines (and
 * vectorises) under -fno-math-errno, as the Makefile builds. For x ≥ 0 or
 * NaN, as the rules take it, the two are the same correctly rounded root. */
#if defined(__has_builtin)
#if __has_builtin(__builtin_elementwise_sqrt)
#define BP_SQRT(x) __builtin_elementwise_sqrt(x)
#endif
#endif
#ifndef BP_SQRT
#define BP_SQRT(x) _Generic((x), float: __builtin_sqrtf, default: __builtin_sqrt)(x)
#endif

/*
 * One step's scalars in the engine's precision R (which fields a rule
 * reads: the rules below).
 */
#define BP_UPDATE_COEFFS(R, S)                                                                     \
    typedef struct bp_update_coeffs_##S {                                                          \
        bp_optimizer_rule rule;                                                                    \
        int plain;    /* plain SGD: p + (−η)·g, no state */                                        \
        int buffer;   /* a momentum buffer (SGD μ ≠ 0, RMSprop μ > 0) */                           \
        int amsgrad;  /* Adam(W): the slot of v̂ */                                                 \
        int centered; /* RMSprop: the slot of a */                                                 \
        int nesterov; /* SGD */                                                                    \
        int first;    /* the first step (t = 1) */                                                 \
        int small;    /* the lerp's weight w < 1/2 (its form) */                                   \
        R neg_rate;   /* the step's −rate: −η; Adam −η/(1 − β1^t); Adagrad −η/(1 + (t−1)·d) */     \
        R decay;      /* coupled weight decay λ (0 for AdamW) */                                   \
        R shrink;     /* AdamW's 1 − η·λ (1 for every other rule) */                               \
        R momentum;   /* μ */                                                                      \
        R damp1;      /* 1 − τ */                                                                  \
        R w, one_w;   /* the lerp's weight w (Adam 1 − β1, RMSprop 1 − α) and 1 − w */             \
        R keep, add;  /* the second moment's β2, 1 − β2 (RMSprop α, 1 − α) */                      \
        R root_bc2;   /* Adam √(1 − β2^t) */                                                       \
        R eps;        /* ε */                                                                      \
        R eta_minus, eta_plus, step_min, step_max;                                                 \
        R step0; /* Rprop's first step size, η */                                                  \
    } bp_update_coeffs_##S;
BP_UPDATE_COEFFS(double, d)
BP_UPDATE_COEFFS(float, s)
#undef BP_UPDATE_COEFFS

#define R double
#define UR(name) name##_d
#define UK bp_update_coeffs_d
#include "update_rules_tmpl.h"
#undef R
#undef UR
#undef UK

#define R float
#define UR(name) name##_s
#define UK bp_update_coeffs_s
#include "update_rules_tmpl.h"
#undef R
#undef UR
#undef UK

#endif /* BP_UPDATE_RULES_H */
