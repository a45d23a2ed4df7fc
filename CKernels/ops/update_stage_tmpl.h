/*
 * update_stage_tmpl.h — one precision's step of the update stage
 * (update_stage.h), included twice by update_stage.c (no include guard on
 * purpose) after it defines:
 *
 *   R                        element type (double, float)
 *   U(name)                  names of this precision (name##_d, name##_s)
 *   VEC_NONFINITE, VEC_SGD   the dispatch table's members for the check and
 *                            the SGD rule's vector pass (vector_tmpl.h)
 *
 * A step is two passes over the vectors, each shared between the
 * context's threads for large networks (memory-bound passes: a second core
 * brings more bandwidth): phase 0 checks the gradient, so that nothing
 * changes when it is not finite; phase 1 applies the rule and checks the
 * new values as it writes them.
 */

/* One thread's share [lo, hi) of a phase. */
typedef struct U(update_job) {
    const bp_kernel_set *ks;
    const bp_update_stage *s;
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
    switch (u->s->rule) {
    case BP_UPDATE_SGD:
        u->bad[tid] =
            !u->ks->VEC_SGD(hi - lo, (R)-u->s->hp.learning_rate, u->grad + lo, u->params + lo);
        break;
    }
}

bp_status U(bp_update_apply)(bp_update_stage *s, const bp_exec *exec, R *params, R *grad,
                          int *diverged) {
    const size_t n = s->n;
    *diverged = 0;
    if (s->hook != NULL) BP_TRY(s->hook(s->hook_user, n, grad, sizeof(R)));
    size_t threads = bp_exec_threads(exec);
    size_t parts = n >= BP_UPDATE_PARALLEL && threads > 1 ? threads : 1;
    U(update_job) u;
    u.ks = bp_exec_kernels(exec);
    u.s = s;
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
