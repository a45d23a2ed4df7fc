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
 *              allocated once by bp_update_stage_init, so that steps
 *              allocate nothing), the number of updates applied so far
 *              (step) and the hyperparameters (hp);
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
 * Rules. SGD, p ← p + α·g with α = −η, is the first and so far only one;
 * its element rule is bp_sgd_rule_d / _s below, the one definition that
 * the vector pass (vector_tmpl.h, built per ISA), the register paths of
 * the narrow engine and the public bp_sgd_update all instantiate.
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

/* The update rules (optimisers). */
typedef enum bp_update_rule {
    BP_UPDATE_SGD = 0 /* p ← p − η·g; no state */
} bp_update_rule;

/* Hyperparameters of the rules (each reads those it needs). The learning
 * rate is finite, also in the engine's precision (the engines check it). */
typedef struct bp_update_params {
    double learning_rate; /* η */
} bp_update_params;

/* The hook between gradient and update: n values of elem_size bytes
 * (sizeof(double) or sizeof(float)) at grad, the engine's flat gradient,
 * which it may rewrite in place. Anything but BP_OK fails the step with
 * that status, nothing updated. */
typedef bp_status (*bp_gradient_hook)(void *user, size_t n, void *grad, size_t elem_size);

typedef struct bp_update_stage {
    bp_update_rule rule;
    bp_update_params hp;
    size_t n;              /* parameters updated */
    size_t elem_size;      /* sizeof the engine's element */
    size_t state_slots;    /* state values per parameter (0 for SGD) */
    void *state;           /* state_slots · n values, or NULL */
    uint64_t step;         /* updates applied (verdict 0 or 2) so far */
    bp_gradient_hook hook; /* NULL: none */
    void *hook_user;
} bp_update_stage;

/* The SGD element rule, p + α·g with α = −η: a product, then a sum. The
 * builds that allow contraction (FMA) round it once, the others twice; an
 * engine's paths that must agree bit for bit are compiled alike. Defined
 * once for both precisions. */
#define BP_SGD_RULE(R, S)                                                                          \
    static inline R bp_sgd_rule_##S(R p, R alpha, R g) { return p + alpha * g; }
BP_SGD_RULE(double, d)
BP_SGD_RULE(float, s)
#undef BP_SGD_RULE

/* Parameter vectors of at least this many values are updated (hook
 * aside) by the context's threads together: below it, waking a worker
 * costs more than the pass. At 2^15 the 784-128-10 network's 101 770
 * parameters are split, which pays off in its 2-thread steps
 * (Benchmarks/README.md, "Kernel design measurements"). */
enum { BP_UPDATE_PARALLEL = 1 << 15 };

/* State values per parameter that `rule` keeps (0 for SGD), and the bytes
 * of state of a stage over n parameters of elem_size bytes
 * (BP_ERR_SIZE_OVERFLOW when they do not fit a size_t). */
size_t bp_update_state_slots(bp_update_rule rule);
bp_status bp_update_state_bytes(bp_update_rule rule, size_t n, size_t elem_size, size_t *bytes);

/* Sets up a stage of `rule` over n parameters of elem_size bytes: state
 * allocated (zeroed) once here, step 0, no hook, learning rate 0 (the
 * engine sets hp before its steps). BP_ERR_NO_MEMORY leaves *s with no
 * state to free. */
bp_status bp_update_stage_init(bp_update_stage *s, bp_update_rule rule, size_t n, size_t elem_size);

/* Frees the state; the stage must be initialised again before use. */
void bp_update_stage_free(bp_update_stage *s);

/* Installs (or, with hook NULL, removes) the gradient hook. */
void bp_update_stage_set_hook(bp_update_stage *s, bp_gradient_hook hook, void *user);

/* 1 if a step of the stage is exactly p ← p + α·g element by element
 * (bp_sgd_rule_d / _s), with nothing else read or written — stateless
 * SGD, no hook — with α = −η into *alpha (when not NULL); 0 otherwise:
 * the engine must form the gradient and call bp_update_apply_d / _s. An
 * engine that fuses a step counts it with bp_update_stage_applied. */
static inline int bp_update_stage_fusable(const bp_update_stage *s, double *alpha) {
    if (s->rule != BP_UPDATE_SGD || s->hook != NULL) return 0;
    if (alpha != NULL) *alpha = -s->hp.learning_rate;
    return 1;
}

/* Counts `steps` updates an engine applied itself (fused). */
static inline void bp_update_stage_applied(bp_update_stage *s, uint64_t steps) { s->step += steps; }

/* One update of s->n parameters from grad (the contract above): the hook,
 * the check of the gradient, the rule — the passes over the vectors split
 * between exec's threads from BP_UPDATE_PARALLEL parameters on, through
 * the vector passes built for exec's kernel set. *diverged receives the
 * verdict; the status is the hook's, or BP_OK. grad is written only by
 * the hook. Unchecked: the engine owns the buffers. */
bp_status bp_update_apply_d(bp_update_stage *s, const bp_exec *exec, double *params, double *grad,
                            int *diverged);
bp_status bp_update_apply_s(bp_update_stage *s, const bp_exec *exec, float *params, float *grad,
                            int *diverged);

#endif /* BP_UPDATE_STAGE_H */
