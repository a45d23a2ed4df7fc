/*
 * test_update_stage.c — the parameter-update stage (ops/update_stage.h)
 * and its hook between gradient and update.
 *
 * The stage alone: its verdicts (a gradient that is not finite changes
 * nothing, an update that overflows is reported), its SGD step against the
 * vector pass applied by hand, the same bits on one thread and two, its
 * answer to "is this step p ← p + α·g" with and without a hook.
 *
 * Through the network engine: a hook sees every step's flat gradient (the
 * same bits as bp_mlp_gradient's) and the step applies what the hook
 * leaves (a gradient doubled by the hook at rate η gives exactly the step
 * of the unchanged gradient at rate 2η); a hook that fails the step or
 * plants a NaN leaves the parameters as they were. A hook makes the
 * engines that update inside their own loops — the fused GEMM update of
 * a network with a context, the narrow engine's one-sample paths — take
 * their general path: on a context that is bit for bit the context-free
 * path, and for online learning the same steps as the register path up to
 * rounding.
 */
#include "harness.h"
#include "mlp_support.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/dispatch.h"
#include "mlp/mlp_internal.h"

/* ---- the stage alone ----------------------------------------------------- */

static void test_stage_verdicts_d(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 9101);
    const size_t n = (size_t)BP_UPDATE_PARALLEL + 77; /* split on two threads */
    bp_update_stage s;
    bp_update_stage_init(&s, n, sizeof(double));
    H_EXPECT(s.state == NULL && s.state_slots == 0 && s.step == 0, "SGD keeps no state");
    size_t bytes = 1;
    H_OK(bp_update_state_bytes(&s.opt, n, sizeof(double), &bytes));
    H_EXPECT(bytes == 0, "SGD state bytes %zu", bytes);
    s.hp.learning_rate = 0.125;
    double alpha = 0.0;
    H_EXPECT(bp_update_stage_fusable(&s, &alpha) && alpha == -0.125,
             "plain SGD must be fusable with alpha = -eta (got %g)", alpha);

    double *p = h_alloc(n), *g = h_alloc(n);
    h_fill(&r, p, n, -2.0, 2.0);
    h_fill(&r, g, n, -5.0, 5.0);
    double *want = h_copy(p, n), *p0 = h_copy(p, n), *g0 = h_copy(g, n);
    H_EXPECT(bp_kernel_set_default()->vec_sgd_d(n, -0.125, g, want) == 1, "finite update");

    bp_exec *ex;
    H_OK(bp_exec_create(2, &ex));
    int diverged = -1;
    for (int threads = 1; threads <= 2; threads++) {
        memcpy(p, p0, n * sizeof *p);
        H_OK(bp_update_apply_d(&s, threads == 2 ? ex : NULL, p, g, &diverged));
        H_EXPECT(diverged == 0, "%d thread(s): verdict %d", threads, diverged);
        H_EXPECT(h_same_bits(p, want, n), "%d thread(s): not the SGD pass's bits", threads);
        H_EXPECT(h_same_bits(g, g0, n), "the gradient was written");
    }
    H_EXPECT(s.step == 2, "step %llu after two updates", (unsigned long long)s.step);

    /* a gradient that is not finite, wherever it is: nothing changes */
    const size_t at[] = { 0, n / 2, n - 1 };
    for (size_t i = 0; i < 3; i++) {
        memcpy(p, p0, n * sizeof *p);
        g[at[i]] = i == 1 ? INFINITY : h_nan();
        H_OK(bp_update_apply_d(&s, ex, p, g, &diverged));
        H_EXPECT(diverged == 1, "NaN/inf at %zu: verdict %d", at[i], diverged);
        H_EXPECT(h_same_bits(p, p0, n), "NaN/inf at %zu: parameters changed", at[i]);
        g[at[i]] = g0[at[i]];
    }
    H_EXPECT(s.step == 2, "a refused update was counted");

    /* an update that overflows: applied and reported */
    memcpy(p, p0, n * sizeof *p);
    p[n - 3] = DBL_MAX;
    g[n - 3] = -DBL_MAX;
    s.hp.learning_rate = 1.0;
    H_OK(bp_update_apply_d(&s, ex, p, g, &diverged));
    H_EXPECT(diverged == 2 && isinf(p[n - 3]), "overflow: verdict %d, p = %g", diverged, p[n - 3]);
    H_EXPECT(s.step == 3, "an applied update was not counted");

    bp_update_stage_free(&s);
    bp_exec_free(ex);
    free(p);
    free(g);
    free(want);
    free(p0);
    free(g0);
}

static void test_stage_verdicts_s(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 9102);
    const size_t n = 1001;
    bp_update_stage s;
    bp_update_stage_init(&s, n, sizeof(float));
    s.hp.learning_rate = 0.1; /* not a float: α is −(float)0.1 */
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g), *want = malloc(n * sizeof *want);
    H_EXPECT(p && g && want, "out of memory");
    for (size_t i = 0; i < n; i++) {
        p[i] = (float)h_uniform(&r, -2, 2);
        g[i] = (float)h_uniform(&r, -5, 5);
    }
    memcpy(want, p, n * sizeof *p);
    bp_kernel_set_default()->vec_sgd_s(n, -(float)0.1, g, want);
    int diverged = -1;
    H_OK(bp_update_apply_s(&s, NULL, p, g, &diverged));
    H_EXPECT(diverged == 0 && memcmp(p, want, n * sizeof *p) == 0, "float SGD step: verdict %d",
             diverged);
    g[5] = NAN;
    H_OK(bp_update_apply_s(&s, NULL, p, g, &diverged));
    H_EXPECT(diverged == 1 && memcmp(p, want, n * sizeof *p) == 0, "float NaN: verdict %d",
             diverged);
    bp_update_stage_free(&s);
    free(p);
    free(g);
    free(want);
}

/* ---- hooks --------------------------------------------------------------- */

/* What a hook saw, and what it does: multiply the gradient by `scale`
 * (1: leave it), plant a NaN at `nan_at` (SIZE_MAX: none), or fail. */
typedef struct hook_log {
    size_t calls, n, elem_size;
    double *copy; /* the last gradient seen (double networks) */
    double scale;
    size_t nan_at;
    bp_status fail;
} hook_log;

static bp_status record_hook(void *user, size_t n, void *grad, size_t elem_size) {
    hook_log *h = user;
    h->calls++;
    h->n = n;
    h->elem_size = elem_size;
    if (elem_size == sizeof(double)) {
        double *g = grad;
        if (h->copy) memcpy(h->copy, g, n * sizeof *g);
        if (h->scale != 1.0)
            for (size_t i = 0; i < n; i++) g[i] *= h->scale;
        if (h->nan_at < n) g[h->nan_at] = h_nan();
    } else {
        float *g = grad;
        if (h->scale != 1.0)
            for (size_t i = 0; i < n; i++) g[i] *= (float)h->scale;
        if (h->nan_at < n) g[h->nan_at] = NAN;
    }
    return h->fail;
}

static hook_log hook_of(double scale) {
    hook_log h = { 0, 0, 0, NULL, scale, SIZE_MAX, BP_OK };
    return h;
}

static double *initial_params(uint64_t seed, size_t np) {
    h_rng r;
    h_seed(&r, seed);
    double *p = h_alloc(np);
    h_fill(&r, p, np, -0.5, 0.5);
    return p;
}

static const bp_layer_spec DENSE[] = { { 12, 40, BP_ACT_RELU, 0 },
                                       { 40, 24, BP_ACT_TANH, 0 },
                                       { 24, 5, BP_ACT_SOFTMAX, 0 } };
static const bp_layer_spec NARROW[] = { { 3, 6, BP_ACT_SIGMOID, 0 },
                                        { 6, 4, BP_ACT_LEAKY_RELU, 0.05 },
                                        { 4, 2, BP_ACT_SIGMOID, 0 } };
static const bp_layer_spec TINY[] = { { 2, 2, BP_ACT_SIGMOID, 0 },
                                      { 2, 2, BP_ACT_SIGMOID, 0 },
                                      { 2, 2, BP_ACT_SIGMOID, 0 } };

/* The hook sees the gradient bp_mlp_gradient computes, bit for bit, and
 * the step applies it by the stage's SGD pass — on a network with a
 * context, whose steps would otherwise fuse the update into the GEMM. */
static void test_hook_sees_the_gradient(void **state) {
    (void)state;
    problem q = make_problem(9201, 64, 12, 5);
    bp_mlp *m;
    bp_exec *ex;
    H_OK(bp_mlp_create(3, DENSE, BP_LOSS_SOFTMAX_CCE, 64, &m));
    H_OK(bp_exec_create(2, &ex));
    H_OK(bp_mlp_set_exec(m, ex));
    size_t np;
    H_OK(bp_mlp_parameter_count(m, &np));
    double *p = initial_params(9202, np), *grad = h_alloc(np), *want = h_alloc(np);
    hook_log h = hook_of(1.0);
    h.copy = h_alloc(np);
    bp_update_stage *s = bp_mlp_update_stage_d(m);
    H_EXPECT(s->opt.rule == BP_OPTIMIZER_SGD && s->hook == NULL && s->n == np,
             "a network's stage starts as SGD over its %zu parameters", np);
    bp_update_stage_set_hook(s, record_hook, &h);
    H_EXPECT(!bp_update_stage_fusable(s, NULL), "a stage with a hook must not be fusable");

    for (int step = 0; step < 5; step++) {
        double loss, step_loss;
        int diverged = -1;
        H_OK(bp_mlp_gradient(m, p, 32, q.X + 32 * 12 * (size_t)(step % 2), 12, NULL,
                             q.labels + 32 * (step % 2), &loss, grad, NULL));
        memcpy(want, p, np * sizeof *p);
        bp_kernel_set_default()->vec_sgd_d(np, -0.25, grad, want);
        H_OK(bp_mlp_train_step(m, p, q.X, 12, NULL, q.labels, NULL, 32 * (size_t)(step % 2), 32,
                               0.25, &step_loss, &diverged));
        H_EXPECT(diverged == 0, "step %d diverged (%d)", step, diverged);
        H_EXPECT(h.calls == (size_t)step + 1 && h.n == np && h.elem_size == sizeof(double),
                 "step %d: hook called %zu times with n = %zu, elem_size = %zu", step, h.calls, h.n,
                 h.elem_size);
        H_EXPECT(h_same_bits(h.copy, grad, np), "step %d: the hook saw another gradient", step);
        H_EXPECT(step_loss == loss, "step %d: loss %.17g vs %.17g", step, step_loss, loss);
        H_EXPECT(h_same_bits(p, want, np), "step %d: not p + (-eta)·g by the stage's pass", step);
    }
    H_EXPECT(s->step == 5, "the stage counted %llu steps", (unsigned long long)s->step);

    /* without the hook the step fuses again: the same step up to rounding */
    bp_update_stage_set_hook(s, NULL, NULL);
    H_EXPECT(bp_update_stage_fusable(s, NULL), "no hook: fusable again");
    double *fused = h_copy(p, np), *general = h_copy(p, np), loss;
    int diverged;
    H_OK(bp_mlp_train_step(m, fused, q.X, 12, NULL, q.labels, NULL, 0, 64, 0.25, &loss, &diverged));
    bp_update_stage_set_hook(s, record_hook, &h);
    H_OK(bp_mlp_train_step(m, general, q.X, 12, NULL, q.labels, NULL, 0, 64, 0.25, &loss,
                           &diverged));
    for (size_t i = 0; i < np; i++)
        H_EXPECT(fabs(fused[i] - general[i]) <= 1e-14 * (1.0 + fabs(p[i])),
                 "fused and general steps differ at %zu: %.17g vs %.17g", i, fused[i], general[i]);

    free(fused);
    free(general);
    free(p);
    free(grad);
    free(want);
    free(h.copy);
    bp_mlp_free(m);
    bp_exec_free(ex);
    free_problem(&q);
}

/* Runs `epochs` epochs of batch `batch` on a fresh copy of the initial
 * parameters, with the hook `h` (NULL: none) at rate lr; the parameters
 * into out. Returns the number of epochs completed. */
static size_t train_with_d(const bp_layer_spec *ls, size_t nl, bp_loss loss, const problem *q,
                           const bp_exec *ex, hook_log *h, double lr, size_t batch, size_t epochs,
                           double *out, size_t *np_out) {
    bp_mlp *m;
    H_OK(bp_mlp_create(nl, ls, loss, batch, &m));
    H_OK(bp_mlp_set_exec(m, ex));
    size_t np;
    H_OK(bp_mlp_parameter_count(m, &np));
    double *p = initial_params(9301, np), *losses = h_alloc(epochs);
    if (h) bp_update_stage_set_hook(bp_mlp_update_stage_d(m), record_hook, h);
    size_t completed = 0;
    int diverged = -1;
    int labels = loss == BP_LOSS_SOFTMAX_CCE;
    H_OK(bp_mlp_train_epochs(m, p, q->X, q->n_in, labels ? NULL : q->Y, labels ? q->labels : NULL,
                             NULL, q->n, batch, epochs, lr, losses, NULL, &completed, &diverged));
    memcpy(out, p, np * sizeof *p);
    *np_out = np;
    free(p);
    free(losses);
    bp_mlp_free(m);
    return completed;
}

static size_t train_with_s(const bp_layer_spec *ls, size_t nl, bp_loss loss, const problem *q,
                           const bp_exec *ex, hook_log *h, double lr, size_t batch, size_t epochs,
                           float *out) {
    bp_mlp_f32 *m;
    H_OK(bp_mlp_create_f32(nl, ls, loss, batch, &m));
    H_OK(bp_mlp_set_exec_f32(m, ex));
    size_t np;
    H_OK(bp_mlp_parameter_count_f32(m, &np));
    double *pd = initial_params(9301, np), *losses = h_alloc(epochs);
    for (size_t i = 0; i < np; i++) out[i] = (float)pd[i];
    if (h) bp_update_stage_set_hook(bp_mlp_update_stage_s(m), record_hook, h);
    size_t completed = 0;
    int diverged = -1;
    int labels = loss == BP_LOSS_SOFTMAX_CCE;
    H_OK(bp_mlp_train_epochs_f32(m, out, q->Xf, q->n_in, labels ? NULL : q->Yf,
                                 labels ? q->labels : NULL, NULL, q->n, batch, epochs, lr, losses,
                                 NULL, &completed, &diverged));
    free(pd);
    free(losses);
    bp_mlp_free_f32(m);
    return completed;
}

/* A hook that doubles the gradient at rate η gives exactly the steps of an
 * identity hook at rate 2η (both products are −2η·g, exactly): every
 * engine applies what the hook leaves. Dense networks with and without a
 * context, narrow networks in chunks and one sample at a time (general
 * and tiny register networks), double and float; and the hook runs once
 * per step. */
static void test_hook_rewrites_the_gradient(void **state) {
    (void)state;
    struct {
        const char *name;
        const bp_layer_spec *ls;
        size_t nl;
        bp_loss loss;
        size_t n_in, k, n, batch, epochs;
        int exec;
    } cases[] = {
        { "dense, context", DENSE, 3, BP_LOSS_SOFTMAX_CCE, 12, 5, 96, 32, 3, 1 },
        { "dense, no context", DENSE, 3, BP_LOSS_SOFTMAX_CCE, 12, 5, 96, 32, 3, 0 },
        { "narrow chunks", NARROW, 3, BP_LOSS_MSE, 3, 2, 300, 150, 4, 1 },
        { "narrow online", NARROW, 3, BP_LOSS_MSE, 3, 2, 20, 1, 3, 0 },
        { "tiny online", TINY, 3, BP_LOSS_MSE, 2, 2, 4, 1, 25, 1 },
    };
    bp_exec *ex;
    H_OK(bp_exec_create(2, &ex));
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        problem q = make_problem(9400 + c, cases[c].n, cases[c].n_in, cases[c].k);
        const bp_exec *e = cases[c].exec ? ex : NULL;
        double *a = h_alloc(4096), *b = h_alloc(4096);
        float *af = malloc(4096 * sizeof(float)), *bf = malloc(4096 * sizeof(float));
        size_t np, steps = cases[c].epochs * ((cases[c].n + cases[c].batch - 1) / cases[c].batch);
        hook_log twice = hook_of(2.0), once = hook_of(1.0);
        size_t da = train_with_d(cases[c].ls, cases[c].nl, cases[c].loss, &q, e, &twice, 0.05,
                                 cases[c].batch, cases[c].epochs, a, &np);
        size_t db = train_with_d(cases[c].ls, cases[c].nl, cases[c].loss, &q, e, &once, 0.1,
                                 cases[c].batch, cases[c].epochs, b, &np);
        H_EXPECT(da == cases[c].epochs && db == cases[c].epochs, "%s: %zu and %zu epochs",
                 cases[c].name, da, db);
        H_EXPECT(twice.calls == steps && once.calls == steps,
                 "%s: %zu and %zu hook calls for %zu steps", cases[c].name, twice.calls, once.calls,
                 steps);
        H_EXPECT(h_same_bits(a, b, np), "%s: 2g at eta differs from g at 2 eta", cases[c].name);

        twice = hook_of(2.0);
        once = hook_of(1.0);
        train_with_s(cases[c].ls, cases[c].nl, cases[c].loss, &q, e, &twice, 0.05, cases[c].batch,
                     cases[c].epochs, af);
        train_with_s(cases[c].ls, cases[c].nl, cases[c].loss, &q, e, &once, 0.1, cases[c].batch,
                     cases[c].epochs, bf);
        H_EXPECT(twice.calls == steps && twice.elem_size == sizeof(float),
                 "%s f32: %zu hook calls for %zu steps, elem_size %zu", cases[c].name, twice.calls,
                 steps, twice.elem_size);
        H_EXPECT(memcmp(af, bf, np * sizeof(float)) == 0,
                 "%s f32: 2g at eta differs from g at 2 eta", cases[c].name);
        free(a);
        free(b);
        free(af);
        free(bf);
        free_problem(&q);
    }
    bp_exec_free(ex);
}

/* With a hook the engines that update inside their own loops take their
 * general path: for a dense network on a context, exactly the steps
 * without a context (the GEMMs give the same bits on any number of
 * threads, and the update is the stage's pass either way); for online
 * learning, the steps of the one-sample register paths up to rounding. */
static void test_hook_takes_the_general_path(void **state) {
    (void)state;
    bp_exec *ex;
    H_OK(bp_exec_create(2, &ex));
    size_t np;
    double *a = h_alloc(4096), *b = h_alloc(4096);

    problem q = make_problem(9501, 128, 12, 5);
    hook_log h = hook_of(1.0);
    train_with_d(DENSE, 3, BP_LOSS_SOFTMAX_CCE, &q, ex, &h, 0.1, 32, 4, a, &np);
    train_with_d(DENSE, 3, BP_LOSS_SOFTMAX_CCE, &q, NULL, NULL, 0.1, 32, 4, b, &np);
    H_EXPECT(h_same_bits(a, b, np), "dense: a hooked step on a context is not the general step");
    free_problem(&q);

    struct {
        const char *name;
        const bp_layer_spec *ls;
        size_t n_in, k, n, epochs;
    } online[] = { { "tiny", TINY, 2, 2, 4, 30 }, { "narrow", NARROW, 3, 2, 16, 5 } };
    for (size_t c = 0; c < 2; c++) {
        q = make_problem(9502 + c, online[c].n, online[c].n_in, online[c].k);
        h = hook_of(1.0);
        train_with_d(online[c].ls, 3, BP_LOSS_MSE, &q, NULL, &h, 0.5, 1, online[c].epochs, a, &np);
        train_with_d(online[c].ls, 3, BP_LOSS_MSE, &q, NULL, NULL, 0.5, 1, online[c].epochs, b,
                     &np);
        H_EXPECT(h.calls == online[c].n * online[c].epochs, "%s online: %zu hook calls",
                 online[c].name, h.calls);
        for (size_t i = 0; i < np; i++)
            H_EXPECT(fabs(a[i] - b[i]) <= 1e-12 * (1.0 + fabs(b[i])),
                     "%s online: parameter %zu %.17g (general) vs %.17g (register path)",
                     online[c].name, i, a[i], b[i]);
        free_problem(&q);
    }
    free(a);
    free(b);
    bp_exec_free(ex);
}

/* A hook that fails the step, or leaves a gradient that is not finite:
 * nothing of that step is applied (its status returned, or *diverged = 1),
 * and an epoch stops there. */
static void test_hook_stops_the_step(void **state) {
    (void)state;
    problem q = make_problem(9601, 40, 3, 2);
    const struct {
        const bp_layer_spec *ls;
        size_t nl;
        bp_loss loss;
        size_t batch;
    } nets[] = { { NARROW, 3, BP_LOSS_MSE, 8 },
                 { NARROW, 3, BP_LOSS_MSE, 1 },
                 { TINY, 3, BP_LOSS_MSE, 1 },
                 { DENSE, 3, BP_LOSS_SOFTMAX_CCE, 8 } };
    problem qd = make_problem(9602, 40, 12, 5);
    bp_exec *ex;
    H_OK(bp_exec_create(2, &ex));
    for (size_t c = 0; c < 4; c++) {
        const problem *pq = nets[c].loss == BP_LOSS_SOFTMAX_CCE ? &qd : &q;
        bp_mlp *m;
        H_OK(bp_mlp_create(nets[c].nl, nets[c].ls, nets[c].loss, 8, &m));
        H_OK(bp_mlp_set_exec(m, ex));
        size_t np;
        H_OK(bp_mlp_parameter_count(m, &np));
        double *p = initial_params(9603, np), *p0 = h_copy(p, np), loss;
        const double *Y = nets[c].loss == BP_LOSS_SOFTMAX_CCE ? NULL : pq->Y;
        const size_t *labels = Y ? NULL : pq->labels;
        hook_log h = hook_of(1.0);
        h.fail = BP_ERR_BAD_VALUE;
        bp_update_stage_set_hook(bp_mlp_update_stage_d(m), record_hook, &h);
        int diverged = -1;
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_train_step(m, p, pq->X, pq->n_in, Y, labels, NULL, 0,
                                                     nets[c].batch, 0.1, &loss, &diverged));
        H_EXPECT(h.calls == 1 && h_same_bits(p, p0, np), "net %zu: a failed hook changed p", c);

        /* a NaN planted by the hook: the step is not applied, and an epoch
         * stops at its first step */
        h = hook_of(1.0);
        h.nan_at = np - 1;
        double *one = h_copy(p0, np);
        H_OK(bp_mlp_train_step(m, one, pq->X, pq->n_in, Y, labels, NULL, 0, nets[c].batch, 0.1,
                               &loss, &diverged));
        H_EXPECT(diverged == 1 && h_same_bits(one, p0, np), "net %zu: NaN gradient: %d", c,
                 diverged);
        H_OK(bp_mlp_train_epoch(m, p, pq->X, pq->n_in, Y, labels, NULL, 40, nets[c].batch, 0.1,
                                &loss, &diverged));
        H_EXPECT(diverged == 1 && h.calls == 2 && h_same_bits(p, p0, np),
                 "net %zu: epoch with a NaN gradient: diverged %d after %zu steps", c, diverged,
                 h.calls);
        free(p);
        free(p0);
        free(one);
        bp_mlp_free(m);
    }
    bp_exec_free(ex);
    free_problem(&q);
    free_problem(&qd);
}

/* The stage counts the updates of the fused paths too: steps of a dense
 * network on a context (the GEMM update) and the one-sample register path. */
static void test_stage_counts_fused_steps(void **state) {
    (void)state;
    bp_exec *ex;
    H_OK(bp_exec_create(1, &ex));
    problem q = make_problem(9701, 64, 12, 5);
    bp_mlp *m;
    H_OK(bp_mlp_create(3, DENSE, BP_LOSS_SOFTMAX_CCE, 16, &m));
    H_OK(bp_mlp_set_exec(m, ex));
    size_t np;
    H_OK(bp_mlp_parameter_count(m, &np));
    double *p = initial_params(9702, np), loss;
    int diverged;
    H_OK(bp_mlp_train_epoch(m, p, q.X, 12, NULL, q.labels, NULL, 64, 16, 0.1, &loss, &diverged));
    H_EXPECT(diverged == 0 && bp_mlp_update_stage_d(m)->step == 4, "dense: %llu steps counted",
             (unsigned long long)bp_mlp_update_stage_d(m)->step);
    H_EXPECT(bp_mlp_update_stage_d(m)->hp.learning_rate == 0.1, "the stage holds the rate");
    free(p);
    bp_mlp_free(m);
    free_problem(&q);

    q = make_problem(9703, 4, 2, 2);
    H_OK(bp_mlp_create(3, TINY, BP_LOSS_MSE, 1, &m));
    H_OK(bp_mlp_parameter_count(m, &np));
    p = initial_params(9704, np);
    double losses[7];
    size_t completed;
    H_OK(bp_mlp_train_epochs(m, p, q.X, 2, q.Y, NULL, NULL, 4, 1, 7, 0.5, losses, NULL, &completed,
                             &diverged));
    H_EXPECT(completed == 7 && bp_mlp_update_stage_d(m)->step == 28,
             "tiny online: %llu steps counted", (unsigned long long)bp_mlp_update_stage_d(m)->step);
    free(p);
    bp_mlp_free(m);
    free_problem(&q);
    bp_exec_free(ex);
}

int run_update_stage_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stage_verdicts_d),
        cmocka_unit_test(test_stage_verdicts_s),
        cmocka_unit_test(test_hook_sees_the_gradient),
        cmocka_unit_test(test_hook_rewrites_the_gradient),
        cmocka_unit_test(test_hook_takes_the_general_path),
        cmocka_unit_test(test_hook_stops_the_step),
        cmocka_unit_test(test_stage_counts_fused_steps),
    };
    return cmocka_run_group_tests_name("update stage", tests, NULL, NULL);
}
