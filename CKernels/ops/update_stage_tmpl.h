/*
 * update_stage_tmpl.h — one precision's step of the update stage
 * (update_stage.h), included twice by update_stage.c (no include guard on
 * purpose) after it defines:
 *
 *   R                        element type (double, float)
 *   U(name)                  names of this precision (name##_d, name##_s)
 *   VEC_NONFINITE, VEC_SGD, VEC_STEP   the dispatch table's members for the
 *                            check, plain SGD's vector pass and every other
 *                            rule's (vector_tmpl.h)
 *   COEFFS                   the precision's bp_update_coeffs (update_rules.h)
 *
 * Before them: the L2 penalty (U(bp_update_penalty), from
 * U(bp_update_finish)), the hook and clipping (U(bp_update_clip)), each a
 * plain pass in one thread. A step is two passes over the vectors, each shared between the
 * context's threads for large networks (memory-bound passes: a second core
 * brings more bandwidth): phase 0 checks the gradient, so that nothing
 * changes when it is not finite; phase 1 applies the rule — the
 * parameters and the state — and checks the new values as it writes
 * them. The rule's scalars are prepared once, before the passes.
 */

/* One thread's share [lo, hi) of a phase. */
typedef struct U(update_job) {
    const bp_kernel_set *ks;
    const bp_update_stage *s;
    const COEFFS *k; /* the step's scalars (rules other than plain SGD) */
    R *params;
    const R *grad;
    size_t n;
    int phase;
    int bad[BP_EXEC_MAX_THREADS]; /* a non-finite value seen */
} U(update_job);

static void U(update_share)(void *arg, size_t tid, size_t nthreads) {
    U(update_job) *u = arg;
    size_t lo = u->n * tid / nthreads, hi = u->n * (tid + 1) / nthreads;
    if (u->phase == 0) {
        u->bad[tid] = u->ks->VEC_NONFINITE(hi - lo, u->grad + lo) != hi - lo;
        return;
    }
    if (u->k == NULL)
        u->bad[tid] =
            !u->ks->VEC_SGD(hi - lo, (R)-u->s->hp.learning_rate, u->grad + lo, u->params + lo);
    else u->bad[tid] = !u->ks->VEC_STEP(u->k, u->n, lo, hi, u->params, u->grad, (R *)u->s->state);
}

void U(bp_update_penalty)(const bp_update_stage *s, const R *params, R *grad, size_t rows,
                       double *loss) {
    const double alpha = s->reg.l2;
    if (alpha == 0.0) return;
    const R c = (R)(alpha / (double)rows); /* ∂/∂W of (α/(2r))·W² */
    double sum = 0.0;
    for (size_t b = 0; b < s->w_blocks; b++)
        for (size_t i = s->w_begin[b]; i < s->w_end[b]; i++) {
            sum += (double)params[i] * (double)params[i];
            if (grad != NULL) grad[i] += c * params[i];
        }
    *loss += alpha / (2.0 * (double)rows) * sum;
}

void U(bp_update_clip)(const bp_update_stage *s, R *grad) {
    const double c = s->reg.max_grad_norm;
    if (c == 0.0) return;
    const size_t n = s->n;
    double sum = 0.0;
    for (size_t i = 0; i < n; i++) sum += (double)grad[i] * (double)grad[i];
    double norm = sqrt(sum);
    if (!isfinite(norm)) {
        /* every value finite but the squares overflow: ‖g‖ = m·‖g/m‖ */
        double most = 0.0;
        for (size_t i = 0; i < n; i++) {
            const double a = fabs((double)grad[i]);
            most = a > most || isnan(a) ? a : most;
        }
        if (!isfinite(most)) return; /* the check refuses the gradient */
        sum = 0.0;
        for (size_t i = 0; i < n; i++) sum += ((double)grad[i] / most) * ((double)grad[i] / most);
        norm = most * sqrt(sum);
    }
    const double coef = c / (norm + CLIP_EPS);
    if (!(coef < 1.0)) return;
    const R k = (R)coef;
    for (size_t i = 0; i < n; i++) grad[i] *= k;
}

bp_status
U(bp_update_finish)(bp_update_stage *s, const bp_exec *exec, R *params, R *grad, size_t rows,
                           double *loss, int *diverged) {
    *diverged = 0;
    U(bp_update_penalty)(s, params, grad, rows, loss);
    if (!isfinite(*loss)) {
        *diverged = 1;
        return BP_OK;
    }
    return U(bp_update_apply)(s, exec, params, grad, diverged);
}

bp_status U(bp_update_apply)(bp_update_stage *s, const bp_exec *exec, R *params, R *grad,
                          int *diverged) {
    const size_t n = s->n;
    *diverged = 0;
    if (s->hook != NULL) BP_TRY(s->hook(s->hook_user, n, grad, sizeof(R)));
    U(bp_update_clip)(s, grad);
    size_t threads = bp_exec_threads(exec);
    size_t parts = n >= BP_UPDATE_PARALLEL && threads > 1 ? threads : 1;
    COEFFS k;
    U(update_job) u;
    u.ks = bp_exec_kernels(exec);
    u.s = s;
    u.k = NULL;
    if (!bp_update_plain_sgd(&s->opt)) {
        U(bp_update_coeffs_prepare)(s, &k);
        u.k = &k;
    }
    u.params = params;
    u.grad = grad;
    u.n = n;
    for (int phase = 0; phase < 2; phase++) {
        u.phase = phase;
        if (parts > 1) bp_exec_run(exec, parts, U(update_share), &u);
        else U(update_share)(&u, 0, 1);
        int bad = 0;
        for (size_t t = 0; t < parts; t++) bad |= u.bad[t];
        if (bad && phase == 0) {
            *diverged = 1;
            return BP_OK;
        }
        if (bad) *diverged = 2;
    }
    s->step++;
    return BP_OK;
}
