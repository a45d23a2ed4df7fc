/*
 * update_stage.h — the parameter update: the one stage that turns a
 * gradient into new parameters, for every engine (not part of the API).
 *
 * A training step ends in the same three moves whatever computed its
 * gradient: hand the gradient to a hook, check it, apply the optimiser's
 * rule. They are written once, here and in update_stage.c /
 * update_stage_tmpl.h, and every engine (mlp_tmpl.h's general and fused
 * steps, the narrow engine's chunk, online and register paths) runs them
 * through a bp_update_stage that it owns:
 *
 *   inputs     the parameters p and the gradient g (n values each, the
 *              flat layout of bp_mlp.h), the rule's per-parameter state
 *              (state_slots · n values of the engine's precision,
 *              allocated once by bp_update_stage_configure, so that steps
 *              allocate nothing), the number of updates applied so far
 *              (step), the optimiser's hyperparameters (opt) and the
 *              step's learning rate (hp);
 *   output     the updated parameters (and state, step + 1) and a
 *              verdict, bp_mlp_train_step's divergence semantics:
 *              0 — applied, every new parameter finite;
 *              1 — g holds a NaN or an infinity: nothing is updated (not
 *                  the parameters, not the state, not step);
 *              2 — applied, but a new parameter is not finite (the caller
 *                  restores its copy).
 *
 * The hook sees the flat gradient after the engine formed it and before
 * the check: it may read it (record), rewrite it in place (scale, reduce
 * across processes) or fail the step (its status is returned, nothing is
 * updated). The stage's verdict is about the gradient the hook leaves.
 *
 * Rules. The optimisers of bp_optimizer.h: plain SGD, p ← p + α·g with
 * α = −η, and SGD with momentum or weight decay, Adam, AdamW, RMSprop,
 * Adagrad, Rprop. Their element rules are defined once, in update_rules.h
 * (bp_sgd_rule_d / _s, bp_adam_rule_d / _s, …), and instantiated by the
 * vector passes (vector_tmpl.h, built per ISA: the SGD pass and the pass
 * of every other rule), the register paths of the narrow engine (plain
 * SGD), the reference engine's plain loop (bp_update_rule_one_d / _s) and
 * the public bp_sgd_update. A step's scalars (the rates, the bias
 * corrections) are computed once per step, in double, by
 * bp_update_coeffs_prepare_d / _s.
 *
 * Fusion. Some engines apply the update inside their own loops rather
 * than after a gradient is formed: W ← W − η·Aᵀ·dZ as one GEMM
 * (mlp_tmpl.h's P(descend)), the narrow engine's one-sample steps with
 * the weights in registers. They may do so only when the stage says the
 * step is exactly p ← p + α·g element by element, reading and writing
 * nothing else (bp_update_stage_fusable): a rule with state (momentum,
 * Adam), or a hook, makes them take their general path — the gradient
 * formed, then bp_update_apply_d / _s — so a new rule runs correctly on
 * every engine by being written here.
 */
#ifndef BP_UPDATE_STAGE_H
#define BP_UPDATE_STAGE_H

#include <stddef.h>
#include <stdint.h>
#include "bp_status.h"
#include "bp_exec.h"
#include "bp_optimizer.h"
#include "bp_regularization.h"
#include "ops/update_rules.h"

/* The step's learning rate η, set by the engine before each training
 * call: finite, also in the engine's precision (the engines check it). */
typedef struct bp_update_params {
    double learning_rate; /* η */
} bp_update_params;

/* The hook between gradient and update: n values of elem_size bytes
 * (sizeof(double) or sizeof(float)) at grad, the engine's flat gradient,
 * which it may rewrite in place. Anything but BP_OK fails the step with
 * that status, nothing updated. */
typedef bp_status (*bp_gradient_hook)(void *user, size_t n, void *grad, size_t elem_size);

typedef struct bp_update_stage {
    bp_optimizer opt;      /* the rule and its hyperparameters (checked) */
    bp_update_params hp;   /* the learning rate */
    size_t n;              /* parameters updated */
    size_t elem_size;      /* sizeof the engine's element */
    size_t state_slots;    /* state values per parameter (0 for plain SGD) */
    void *state;           /* state_slots · n values, slot after slot, or NULL */
    uint64_t step;         /* updates applied (verdict 0 or 2) so far: t − 1 */
    bp_gradient_hook hook; /* NULL: none */
    void *hook_user;
    bp_regularization reg; /* the L2 penalty α and the clipping norm c (0: off) */
    /* The weights among the n parameters (the penalty's entries): blocks
     * [w_begin[b], w_end[b]) for b < w_blocks (none: the penalty is 0). */
    size_t w_blocks;
    const size_t *w_begin, *w_end;
} bp_update_stage;

/* Parameter vectors of at least this many values are updated (hook
 * aside) by the context's threads together: below it, waking a worker
 * costs more than the pass. At 2^15 the 784-128-10 network's 101 770
 * parameters are split, which pays off in its 2-thread steps
 * (Benchmarks/README.md, "Kernel design measurements"). */
enum { BP_UPDATE_PARALLEL = 1 << 15 };

/* State values per parameter that the optimiser keeps (bp_optimizer.h's
 * slots), and the bytes of state of a stage over n parameters of
 * elem_size bytes (BP_ERR_SIZE_OVERFLOW when they do not fit a size_t). */
size_t bp_update_state_slots(const bp_optimizer *opt);
bp_status bp_update_state_bytes(const bp_optimizer *opt, size_t n, size_t elem_size, size_t *bytes);

/* Whether slot `slot` of the optimiser holds values that must be ≥ 0
 * (second moments, accumulators, step sizes). */
int bp_update_slot_nonnegative(const bp_optimizer *opt, size_t slot);

/* BP_OK if the optimiser's rule is known (BP_ERR_BAD_ENUM otherwise) and
 * every hyperparameter it reads is finite — in float too when elem_size
 * is sizeof(float) — and in its domain (bp_optimizer.h; BP_ERR_BAD_VALUE
 * otherwise). */
bp_status bp_update_check_optimizer(const bp_optimizer *opt, size_t elem_size);

/* Sets up a stage of plain SGD over n parameters of elem_size bytes: no
 * state, step 0, no hook, learning rate 0 (the engine sets hp before its
 * steps). */
void bp_update_stage_init(bp_update_stage *s, size_t n, size_t elem_size);

/* Makes `opt` (checked by the caller) the stage's optimiser: its state
 * allocated and set to its starting values (bp_update_stage_reset) before
 * the old state is freed, so that BP_ERR_NO_MEMORY leaves the stage as it
 * was; the hook is kept. */
bp_status bp_update_stage_configure(bp_update_stage *s, const bp_optimizer *opt);

/* The state to its starting values (zeros; Adagrad's accumulator its
 * initial value) and step 0. */
void bp_update_stage_reset(bp_update_stage *s);

/* Frees the state; the stage must be initialised again before use. */
void bp_update_stage_free(bp_update_stage *s);

/* Installs (or, with hook NULL, removes) the gradient hook. */
void bp_update_stage_set_hook(bp_update_stage *s, bp_gradient_hook hook, void *user);

/*
 * Regularisation (bp_regularization.h). The stage knows which of its
 * parameters are weights from bp_update_stage_set_weights (the network's
 * layout: W_l = [w_begin[l], w_end[l]), borrowed, not copied). A step of
 * r rows then runs
 *
 *   bp_update_finish_d / _s   L = ℓ + (α/(2r))·Σ W², g_W += (α/r)·W
 *                             (bp_update_penalty_d / _s); L not finite:
 *                             verdict 1, nothing updated; else
 *   bp_update_apply_d / _s    the hook, clipping (bp_update_clip_d / _s:
 *                             κ = c/(‖g‖₂ + 10⁻⁶), g ← κ·g if κ < 1), the
 *                             check, the rule.
 *
 * The reference engine runs the same penalty and clipping before its plain
 * loop of the rule. The sums of squares accumulate in double in both
 * precisions, one thread, in index order; α/r and κ are computed in double
 * and rounded once to the engine's precision. Neither allocates.
 */
void bp_update_stage_set_weights(bp_update_stage *s, size_t blocks, const size_t *begin,
                                 const size_t *end);

/* BP_OK if α and c are finite (in float too when elem_size is
 * sizeof(float)) and ≥ 0; BP_ERR_BAD_VALUE otherwise. */
bp_status bp_update_check_regularization(const bp_regularization *reg, size_t elem_size);

/* The L2 penalty of a batch of `rows` rows: (α/(2·rows))·Σ W² added to
 * *loss and (α/rows)·W to grad's weight entries (grad NULL: the loss
 * only). Nothing when α = 0. */
void bp_update_penalty_d(const bp_update_stage *s, const double *params, double *grad, size_t rows,
                         double *loss);
void bp_update_penalty_s(const bp_update_stage *s, const float *params, float *grad, size_t rows,
                         double *loss);

/* Clipping of the whole gradient to norm c (nothing when c = 0). When
 * ‖g‖₂ is not finite (a value not finite) g is left for the check to
 * refuse; a norm that overflows the sum of squares though every value is
 * finite is taken by scaling with max |g| first. */
void bp_update_clip_d(const bp_update_stage *s, double *grad);
void bp_update_clip_s(const bp_update_stage *s, float *grad);

/* The end of a training step whose gradient of the mean loss is in grad
 * and whose mean loss is in *loss (rows rows): the penalty (into *loss and
 * grad), then a loss that is not finite diverges (*diverged = 1, nothing
 * updated), else bp_update_apply_d / _s. */
bp_status bp_update_finish_d(bp_update_stage *s, const bp_exec *exec, double *params, double *grad,
                             size_t rows, double *loss, int *diverged);
bp_status bp_update_finish_s(bp_update_stage *s, const bp_exec *exec, float *params, float *grad,
                             size_t rows, double *loss, int *diverged);

/* Whether the optimiser is plain SGD, p ← p − η·g with no state: SGD
 * without momentum or weight decay (dampening and Nesterov then play no
 * part). */
static inline int bp_update_plain_sgd(const bp_optimizer *opt) {
    return opt->rule == BP_OPTIMIZER_SGD && opt->momentum == 0.0 && opt->weight_decay == 0.0;
}

/* 1 if a step of the stage is exactly p ← p + α·g element by element
 * (bp_sgd_rule_d / _s), with nothing else read or written — plain SGD, no
 * hook, no penalty, no clipping — with α = −η into *alpha (when not NULL); 0 otherwise:
 * the engine must form the gradient and call bp_update_apply_d / _s. An
 * engine that fuses a step counts it with bp_update_stage_applied. */
static inline int bp_update_stage_fusable(const bp_update_stage *s, double *alpha) {
    if (!bp_update_plain_sgd(&s->opt) || s->hook != NULL || s->reg.l2 != 0.0 ||
        s->reg.max_grad_norm != 0.0)
        return 0;
    if (alpha != NULL) *alpha = -s->hp.learning_rate;
    return 1;
}

/* Counts `steps` updates an engine applied itself (fused). */
static inline void bp_update_stage_applied(bp_update_stage *s, uint64_t steps) { s->step += steps; }

/* One update of s->n parameters from grad (the contract above): the hook,
 * clipping (bp_update_clip_d / _s), the check of the gradient, the rule — the passes over the vectors split
 * between exec's threads from BP_UPDATE_PARALLEL parameters on, through
 * the vector passes built for exec's kernel set. *diverged receives the
 * verdict; the status is the hook's, or BP_OK. grad is written only by
 * the hook and the clipping. Unchecked: the engine owns the buffers. */
bp_status bp_update_apply_d(bp_update_stage *s, const bp_exec *exec, double *params, double *grad,
                            int *diverged);
bp_status bp_update_apply_s(bp_update_stage *s, const bp_exec *exec, float *params, float *grad,
                            int *diverged);

/* The scalars of the stage's next step (t = step + 1) in the engine's
 * precision: computed in double, rounded once (update_rules.h). */
void bp_update_coeffs_prepare_d(const bp_update_stage *s, bp_update_coeffs_d *k);
void bp_update_coeffs_prepare_s(const bp_update_stage *s, bp_update_coeffs_s *k);

#endif /* BP_UPDATE_STAGE_H */
