/*
 * bp_optimizer.h — the optimiser a network's training steps update its
 * parameters by: plain gradient descent (the default), SGD with momentum,
 * Adam, AdamW, RMSprop, Adagrad and Rprop, with the definitions and
 * defaults of PyTorch's torch.optim, so that published recipes carry over.
 *
 * Every training call of bp_mlp.h (bp_mlp_train_step, _epoch, _epochs)
 * forms the gradient g of the batch's mean loss and hands it to the
 * network's optimiser, which updates every parameter p (the flat layout
 * [W_0 | b_0 | W_1 | …] of bp_mlp.h) element by element. The learning
 * rate η is the training call's `learning_rate` argument, so that a
 * schedule may change it from one call to the next; everything else is
 * set here once. t counts the updates applied since the optimiser was set
 * (1 at the first update). The rules, each element independently:
 *
 *   SGD       g ← g + λ·p                       (weight_decay λ ≠ 0)
 *             b ← g at t = 1, else b ← μ·b + (1 − τ)·g     (momentum μ ≠ 0)
 *             d ← g + μ·b (Nesterov), b (momentum), g (neither)
 *             p ← p − η·d
 *   Adam      g ← g + λ·p                       (coupled weight decay)
 *             m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *             v̂ ← max(v̂, v) with AMSGrad, else v̂ = v
 *             p ← p − (η / (1 − β1^t))·m / (√v̂ / √(1 − β2^t) + ε)
 *   AdamW     p ← p·(1 − η·λ)                   (decoupled weight decay, first)
 *             then Adam's step without the coupled term
 *   RMSprop   g ← g + λ·p
 *             s ← α·s + (1 − α)·g²
 *             a ← α·a + (1 − α)·g,  r ← √(s − a²) + ε   (centred)
 *             r ← √s + ε                                (otherwise)
 *             b ← μ·b + g/r, p ← p − η·b    (momentum μ > 0)
 *             p ← p − η·g/r                 (otherwise)
 *   Adagrad   g ← g + λ·p
 *             s ← s + g²                   (s starts at initial_accumulator_value)
 *             p ← p − (η / (1 + (t − 1)·lr_decay))·g / (√s + ε)
 *   Rprop     (iRprop−, for full-batch training; every parameter has its own
 *             step size Δ, η at t = 1, and remembers its previous gradient g′)
 *             c ← g·g′ (sign of the product):  Δ ← clamp(η₊·Δ) if c > 0,
 *             clamp(η₋·Δ) if c < 0, clamp(Δ) otherwise, clamp to
 *             [step_min, step_max]; on a sign change (c < 0) g ← 0
 *             p ← p − sign(g)·Δ,  g′ ← g
 *             (η is read at the first update only, as PyTorch's `lr`.)
 *
 * The arithmetic follows PyTorch's (torch.optim's single-tensor
 * implementations) operation by operation: the moving averages as
 * m + (1 − β1)·(g − m), the bias corrections applied as above, ε added
 * after the square root. In double, a network trained by these rules
 * agrees with torch.optim on the same network, initial parameters and
 * batches to rounding: within 1e-15 of the largest parameter, and 1e-12
 * of each, after 60 steps (Tests/Fixtures/optimizers). Float networks
 * compute the per-step coefficients (η/(1 − β1^t), √(1 − β2^t), …) in
 * double and round them to float once per step; every element's
 * arithmetic is in float.
 *
 * State. Each rule keeps per-parameter values, allocated once when the
 * optimiser is set (training then allocates nothing), in slots of
 * n_params values, slot after slot (value i of slot j at j·n_params + i):
 *
 *   SGD       momentum buffer b (only when μ ≠ 0; plain SGD keeps none)
 *   Adam(W)   m, v, then v̂ (AMSGrad only)
 *   RMSprop   s, then a (centred only), then b (μ > 0 only)
 *   Adagrad   s
 *   Rprop     g′, Δ
 *
 * and the step count t. bp_mlp_get_optimizer_state / _set_ read and write
 * both (checkpoints: setting the same optimiser, then its saved state and
 * step, resumes training exactly).
 *
 * Divergence (bp_mlp.h): a step whose loss or gradient is not finite
 * changes nothing — not the parameters, not the state, not t
 * (*diverged = 1). A step that makes a parameter non-finite is applied,
 * state and t included (*diverged = 2; the caller restores its copy of the
 * parameters, and of the state when it keeps one).
 *
 * Plain SGD (momentum 0, weight decay 0) is exactly the update of
 * bp_mlp.h's training calls, with its fused fast paths; every other
 * setting forms the gradient and updates the parameters in one more pass.
 */
#ifndef BP_OPTIMIZER_H
#define BP_OPTIMIZER_H

#include <stddef.h>
#include <stdint.h>
#include "bp_status.h"
#include "bp_mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The update rules (torch.optim's class of the same name). */
typedef enum bp_optimizer_rule {
    BP_OPTIMIZER_SGD = 0,     /**< SGD: momentum, dampening, Nesterov, weight decay */
    BP_OPTIMIZER_ADAM = 1,    /**< Adam (coupled weight decay, optional AMSGrad) */
    BP_OPTIMIZER_ADAMW = 2,   /**< AdamW (decoupled weight decay) */
    BP_OPTIMIZER_RMSPROP = 3, /**< RMSprop (α, ε, momentum, centred) */
    BP_OPTIMIZER_ADAGRAD = 4, /**< Adagrad (lr_decay, initial accumulator, ε) */
    BP_OPTIMIZER_RPROP = 5    /**< Rprop, iRprop− (etas, step sizes) */
} bp_optimizer_rule;

/**
 * An optimiser: its rule and hyperparameters. Each rule reads only the
 * fields listed for it; the others are ignored. Start from
 * bp_optimizer_default(rule), which fills PyTorch's defaults, and change
 * what the recipe changes. Flags (nesterov, amsgrad, centered) are true
 * when nonzero.
 */
typedef struct bp_optimizer {
    bp_optimizer_rule rule;
    /** μ, SGD and RMSprop: ≥ 0 (default 0). */
    double momentum;
    /** τ, SGD: in [0, 1] (default 0). */
    double dampening;
    /** SGD: Nesterov momentum; needs momentum > 0 and dampening 0 (default 0). */
    int nesterov;
    /** λ, every rule but Rprop: ≥ 0 (default 0, AdamW 1e-2). Coupled
     *  (g ← g + λ·p) except for AdamW (p ← p·(1 − η·λ)). */
    double weight_decay;
    /** β1, β2, Adam and AdamW: each in [0, 1) (defaults 0.9, 0.999). */
    double beta1, beta2;
    /** ε, Adam, AdamW, RMSprop, Adagrad: ≥ 0 (defaults 1e-8; Adagrad 1e-10). */
    double eps;
    /** Adam and AdamW: AMSGrad's running maximum of v (default 0). */
    int amsgrad;
    /** α, RMSprop's smoothing constant: in [0, 1] (default 0.99). */
    double alpha;
    /** RMSprop: normalise by the centred second moment s − a² (default 0). */
    int centered;
    /** Adagrad: the rate's decay per step, ≥ 0 (default 0). */
    double lr_decay;
    /** Adagrad: the accumulator's starting value, ≥ 0 (default 0). */
    double initial_accumulator_value;
    /** η₋, η₊, Rprop: 0 < η₋ < 1 < η₊ (defaults 0.5, 1.2). */
    double eta_minus, eta_plus;
    /** Rprop's step-size bounds: 0 ≤ step_min ≤ step_max (defaults 1e-6, 50). */
    double step_min, step_max;
} bp_optimizer;

/**
 * PyTorch's defaults for `rule` into *out: every field set (those the rule
 * does not read to 0). BP_ERR_BAD_ENUM for an unknown rule,
 * BP_ERR_NULL_POINTER for out == NULL.
 */
bp_status bp_optimizer_default(bp_optimizer_rule rule, bp_optimizer *out);

/**
 * Makes `optimizer` (copied) the network's update rule from the next
 * training step on: its state allocated here (the only allocation; the
 * previous state freed), set to its starting values (zeros; Adagrad's
 * accumulator to initial_accumulator_value), and t = 0. Setting the same
 * optimiser again restarts it. A network starts with plain SGD
 * (bp_optimizer_default(BP_OPTIMIZER_SGD)).
 *
 * BP_ERR_BAD_ENUM for an unknown rule; BP_ERR_BAD_VALUE for a
 * hyperparameter the rule reads that is not finite (in float for the
 * _f32 network) or outside its domain (the field's comment above: e.g. a
 * negative weight decay, β outside [0, 1), Nesterov without momentum or
 * with dampening, η₋ ≥ 1, step_min > step_max); BP_ERR_NULL_POINTER;
 * BP_ERR_NO_MEMORY. On any error the network keeps its optimiser and state.
 */
bp_status bp_mlp_set_optimizer(bp_mlp *mlp, const bp_optimizer *optimizer);

/** The network's optimiser into *optimizer. */
bp_status bp_mlp_get_optimizer(const bp_mlp *mlp, bp_optimizer *optimizer);

/** The number of state values of the network's optimiser into *count:
 *  slots × parameters (the layout above; 0 for plain SGD). */
bp_status bp_mlp_optimizer_state_size(const bp_mlp *mlp, size_t *count);

/**
 * Copies the optimiser's state (count values, the layout above) into
 * `state` and its step count t into *step. count must be
 * bp_mlp_optimizer_state_size's (BP_ERR_BAD_VALUE otherwise); state may be
 * NULL when count is 0.
 */
bp_status bp_mlp_get_optimizer_state(const bp_mlp *mlp, double *state, size_t count,
                                     uint64_t *step);

/**
 * Replaces the optimiser's state and step count (a checkpoint's, taken
 * with the same optimiser). count must be bp_mlp_optimizer_state_size's;
 * every value must be finite, and the slots that hold squares or step
 * sizes (Adam's v and v̂, RMSprop's s, Adagrad's s, Rprop's Δ) ≥ 0:
 * BP_ERR_BAD_VALUE otherwise, with nothing changed.
 */
bp_status bp_mlp_set_optimizer_state(bp_mlp *mlp, const double *state, size_t count, uint64_t step);

/* Single precision: the same for a bp_mlp_f32, whose state is float
 * (hyperparameters stay double, and must be finite in float). */
bp_status bp_mlp_set_optimizer_f32(bp_mlp_f32 *mlp, const bp_optimizer *optimizer);
bp_status bp_mlp_get_optimizer_f32(const bp_mlp_f32 *mlp, bp_optimizer *optimizer);
bp_status bp_mlp_optimizer_state_size_f32(const bp_mlp_f32 *mlp, size_t *count);
bp_status bp_mlp_get_optimizer_state_f32(const bp_mlp_f32 *mlp, float *state, size_t count,
                                         uint64_t *step);
bp_status bp_mlp_set_optimizer_state_f32(bp_mlp_f32 *mlp, const float *state, size_t count,
                                         uint64_t step);

#ifdef __cplusplus
}
#endif

#endif /* BP_OPTIMIZER_H */
