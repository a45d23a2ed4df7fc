/*
 * test_optimizers.c — the optimisers of bp_optimizer.h.
 *
 * Against PyTorch: narrow.json and dense.json in Tests/Fixtures/optimizers
 * hold torch.optim's trajectories (generate.py) — a network, its initial parameters, its 32
 * rows, and for each case an optimiser, a learning rate and a batch size
 * with the parameters after every 10 of 60 steps. Each case is trained
 * here by bp_mlp_train_step on every engine: no context (the default
 * kernels), portable, AVX2 (two threads) and AVX-512 contexts, the
 * reference engine; and in one bp_mlp_train_epochs call where the steps
 * make whole epochs. Tests/Fixtures/regularization holds the same networks
 * trained with an L2 penalty and gradient clipping (bp_regularization.h),
 * each case's "regularization" set on the network before its steps, and is
 * checked the same way. The narrow fixture's network takes the narrow engine
 * (its chunk path, and one sample at a time for batch 1), the dense one
 * the GEMM engine. Double must agree with PyTorch's double to
 * TOL_DOUBLE, norm-wise over the parameter vector at every recorded step
 * (max |p − p_torch| / max |p_torch|); float, whose every operation
 * rounds to float, to TOL_FLOAT.
 *
 * Then what PyTorch cannot check: the vector passes of every kernel set
 * against the plain loop of the reference (the same rule definitions), one
 * thread and two the same bits; no allocation in any training call with
 * any optimiser; a gradient that is not finite leaving the parameters, the
 * state and the step count as they were; a state and step saved and
 * restored resuming training exactly; plain SGD keeping its fused paths;
 * every hyperparameter outside its domain refused, with the optimiser and
 * its state kept.
 */
#include "harness.h"
#include "json_reader.h"
#include "mlp_support.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/dispatch.h"
#include "mlp/mlp_internal.h"
#include "bp_regularization.h"

/* Norm-wise agreement with PyTorch (max |p − p_torch| / max |p_torch|)
 * at every recorded step. Double: 1e-12, the bound; the two
 * compute the gradient in other orders (a few units of roundoff), and 60
 * steps carry those differences forward without amplifying them much —
 * measured at most 7e-16 on every engine (Rprop exactly 0: its steps are
 * sums of step sizes). Float: every operation rounds to float
 * (2⁻²⁴ ≈ 6e-8), and the normalising rules (Adam, RMSprop, Adagrad) pass
 * a relative error of the gradient on to the step whole; measured at most
 * 1.2e-6 against PyTorch's double. */
#define TOL_DOUBLE 1e-12
#define TOL_FLOAT 1e-5

/* ---- the fixtures ------------------------------------------------------------ */

typedef struct fixture {
    j_value *doc;
    const char *name;
    size_t nl, rows, n_in, k, np, steps, every;
    bp_layer_spec ls[4];
    bp_loss loss;
    double *X, *Y;
    size_t *labels;
    double *initial;
} fixture;

/* Tests/Fixtures/<name> (<folder>/<file>), found from this file's path. */
static void fixture_path(const char *name, char *out, size_t size) {
    const char *here = __FILE__, *slash = strrchr(here, '/');
    int dir = slash ? (int)(slash - here) : 1;
    snprintf(out, size, "%.*s/../Fixtures/%s", dir, slash ? here : ".", name);
}

static bp_activation activation_named(const char *s) {
    static const struct {
        const char *name;
        bp_activation act;
    } acts[] = { { "identity", BP_ACT_IDENTITY },
                 { "relu", BP_ACT_RELU },
                 { "tanh", BP_ACT_TANH },
                 { "sigmoid", BP_ACT_SIGMOID },
                 { "softmax", BP_ACT_SOFTMAX } };
    for (size_t i = 0; i < sizeof acts / sizeof acts[0]; i++)
        if (strcmp(s, acts[i].name) == 0) return acts[i].act;
    return (bp_activation)-1;
}

/* Reads a fixture; fails the test when it is missing or malformed. */
static void load_fixture(const char *name, fixture *f) {
    char path[4096];
    fixture_path(name, path, sizeof path);
    memset(f, 0, sizeof *f);
    f->name = name;
    f->doc = j_read_file(path);
    H_EXPECT(f->doc != NULL, "fixture %s unreadable", path);
    const j_value *layers = j_get(f->doc, "layers"), *loss = j_get(f->doc, "loss");
    H_EXPECT(layers && layers->kind == J_ARRAY && layers->count >= 1 && layers->count <= 4 &&
                 loss && loss->kind == J_STRING,
             "%s: no layers or loss", name);
    f->nl = layers->count;
    for (size_t l = 0; l < f->nl; l++) {
        const j_value *ly = &layers->items[l];
        H_EXPECT(ly->kind == J_ARRAY && ly->count == 3 && ly->items[2].kind == J_STRING,
                 "%s: layer %zu", name, l);
        f->ls[l] = (bp_layer_spec){ (size_t)ly->items[0].number, (size_t)ly->items[1].number,
                                    activation_named(ly->items[2].string), 0.0 };
        H_EXPECT((int)f->ls[l].act >= 0, "%s: activation %s", name, ly->items[2].string);
    }
    f->loss = strcmp(loss->string, "softmax_cce") == 0 ? BP_LOSS_SOFTMAX_CCE : BP_LOSS_MSE;
    H_EXPECT(f->loss == BP_LOSS_SOFTMAX_CCE || strcmp(loss->string, "mse") == 0, "%s: loss %s",
             name, loss->string);
    f->n_in = f->ls[0].n_in;
    f->k = f->ls[f->nl - 1].n_out;
    f->rows = (size_t)j_number(f->doc, "rows", 0);
    f->steps = (size_t)j_number(f->doc, "steps", 0);
    f->every = (size_t)j_number(f->doc, "every", 0);
    size_t count = 0;
    f->X = j_numbers(f->doc, "inputs", &count);
    H_EXPECT(f->X && count == f->rows * f->n_in && f->rows > 0, "%s: inputs", name);
    if (f->loss == BP_LOSS_SOFTMAX_CCE) {
        double *lab = j_numbers(f->doc, "labels", &count);
        H_EXPECT(lab && count == f->rows, "%s: labels", name);
        f->labels = malloc(f->rows * sizeof *f->labels);
        for (size_t i = 0; i < f->rows; i++) f->labels[i] = (size_t)lab[i];
        free(lab);
    } else {
        f->Y = j_numbers(f->doc, "targets", &count);
        H_EXPECT(f->Y && count == f->rows * f->k, "%s: targets", name);
    }
    f->initial = j_numbers(f->doc, "initial", &f->np);
    size_t np = 0;
    for (size_t l = 0; l < f->nl; l++) np += f->ls[l].n_in * f->ls[l].n_out + f->ls[l].n_out;
    H_EXPECT(f->initial && f->np == np, "%s: %zu initial parameters for %zu", name, f->np, np);
    H_EXPECT(f->steps > 0 && f->every > 0 && f->steps % f->every == 0, "%s: steps", name);
}

static void free_fixture(fixture *f) {
    j_free(f->doc);
    free(f->X);
    free(f->Y);
    free(f->labels);
    free(f->initial);
}

/* bp_optimizer's fields, as the fixtures name them. */
static const struct {
    const char *name;
    size_t offset;
    int flag; /* an int field */
} FIELDS[] = {
    { "momentum", offsetof(bp_optimizer, momentum), 0 },
    { "dampening", offsetof(bp_optimizer, dampening), 0 },
    { "nesterov", offsetof(bp_optimizer, nesterov), 1 },
    { "weight_decay", offsetof(bp_optimizer, weight_decay), 0 },
    { "beta1", offsetof(bp_optimizer, beta1), 0 },
    { "beta2", offsetof(bp_optimizer, beta2), 0 },
    { "eps", offsetof(bp_optimizer, eps), 0 },
    { "amsgrad", offsetof(bp_optimizer, amsgrad), 1 },
    { "alpha", offsetof(bp_optimizer, alpha), 0 },
    { "centered", offsetof(bp_optimizer, centered), 1 },
    { "lr_decay", offsetof(bp_optimizer, lr_decay), 0 },
    { "initial_accumulator_value", offsetof(bp_optimizer, initial_accumulator_value), 0 },
    { "eta_minus", offsetof(bp_optimizer, eta_minus), 0 },
    { "eta_plus", offsetof(bp_optimizer, eta_plus), 0 },
    { "step_min", offsetof(bp_optimizer, step_min), 0 },
    { "step_max", offsetof(bp_optimizer, step_max), 0 },
};

static const char *const RULE_NAMES[] = { "sgd", "adam", "adamw", "rmsprop", "adagrad", "rprop" };

/* A case's optimiser: the rule's defaults (PyTorch's), then its fields. */
static bp_optimizer optimizer_of(const j_value *spec, const char *name) {
    bp_optimizer o;
    const j_value *rule = j_get(spec, "rule");
    size_t r = 0;
    while (r < 6 && !(rule && rule->kind == J_STRING && strcmp(rule->string, RULE_NAMES[r]) == 0))
        r++;
    H_EXPECT(r < 6, "%s: unknown rule", name);
    H_OK(bp_optimizer_default((bp_optimizer_rule)r, &o));
    for (size_t m = 0; m < spec->count; m++) {
        if (strcmp(spec->keys[m], "rule") == 0) continue;
        size_t f = 0;
        while (f < sizeof FIELDS / sizeof FIELDS[0] && strcmp(FIELDS[f].name, spec->keys[m]) != 0)
            f++;
        H_EXPECT(f < sizeof FIELDS / sizeof FIELDS[0] && spec->items[m].kind == J_NUMBER,
                 "%s: field %s", name, spec->keys[m]);
        char *at = (char *)&o + FIELDS[f].offset;
        if (FIELDS[f].flag) *(int *)(void *)at = (int)spec->items[m].number;
        else *(double *)(void *)at = spec->items[m].number;
    }
    return o;
}

/* ---- training a case ---------------------------------------------------------- */

/* The engines every case trains on: threads 0 is no context at all. */
static const struct {
    const char *name;
    int f32;
    unsigned flags;
    size_t threads;
} ENGINES[] = {
    { "double, no context", 0, 0, 0 },
    { "double, portable", 0, BP_EXEC_PORTABLE, 1 },
    { "double, avx2, 2 threads", 0, BP_EXEC_AVX2, 2 },
    { "double, avx512", 0, BP_EXEC_AVX512, 1 },
    { "double, reference", 0, BP_EXEC_REFERENCE, 1 },
    { "float, no context", 1, 0, 0 },
    { "float, avx2, 2 threads", 1, BP_EXEC_AVX2, 2 },
    { "float, reference", 1, BP_EXEC_REFERENCE, 1 },
};
enum { N_ENGINES = sizeof ENGINES / sizeof ENGINES[0] };

/* How far a trajectory is from PyTorch's: the worst norm-wise error
 * (max |p − p_torch| / max |p_torch| over the vector) and, reported only,
 * the worst element-wise one (|p − p_torch| / |p_torch|, large where a
 * parameter passes near 0). */
typedef struct errs {
    double norm, elem;
} errs;

static void compare_merge(errs *into, const errs *e) {
    into->norm = e->norm > into->norm ? e->norm : into->norm;
    into->elem = e->elem > into->elem ? e->elem : into->elem;
}

static void compare(const double *x, const double *y, size_t n, errs *worst) {
    double diff = 0.0, scale = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = fabs(x[i] - y[i]);
        diff = d > diff || isnan(d) ? d : diff;
        scale = fabs(y[i]) > scale ? fabs(y[i]) : scale;
        if (d > 0.0 || isnan(d)) {
            const double r = isnan(d) ? INFINITY : d / fabs(y[i]);
            worst->elem = r > worst->elem ? r : worst->elem;
        }
    }
    const double norm = isnan(diff) ? INFINITY : diff / scale;
    worst->norm = norm > worst->norm ? norm : worst->norm;
}

/* A network of either precision with its context. */
typedef struct net {
    int f32;
    bp_mlp *d;
    bp_mlp_f32 *s;
    bp_exec *ex;
    size_t np;
    double *p; /* the parameters, in double (float networks convert) */
    float *pf;
} net;

static void net_open(net *t, const fixture *f, int f32, unsigned flags, size_t threads,
                     size_t max_rows, const bp_optimizer *o, const bp_regularization *reg) {
    memset(t, 0, sizeof *t);
    t->f32 = f32;
    if (threads > 0) H_OK(bp_exec_create_with(threads, flags, &t->ex));
    if (f32) {
        H_OK(bp_mlp_create_f32(f->nl, f->ls, f->loss, max_rows, &t->s));
        H_OK(bp_mlp_set_exec_f32(t->s, t->ex));
        H_OK(bp_mlp_set_optimizer_f32(t->s, o));
        H_OK(bp_mlp_set_regularization_f32(t->s, reg));
    } else {
        H_OK(bp_mlp_create(f->nl, f->ls, f->loss, max_rows, &t->d));
        H_OK(bp_mlp_set_exec(t->d, t->ex));
        H_OK(bp_mlp_set_optimizer(t->d, o));
        H_OK(bp_mlp_set_regularization(t->d, reg));
    }
    t->np = f->np;
    t->p = h_copy(f->initial, f->np);
    t->pf = malloc(f->np * sizeof *t->pf);
    for (size_t i = 0; i < f->np; i++) t->pf[i] = (float)f->initial[i];
}

static void net_close(net *t) {
    bp_mlp_free(t->d);
    bp_mlp_free_f32(t->s);
    bp_exec_free(t->ex);
    free(t->p);
    free(t->pf);
}

/* The parameters in double (a float network's converted). */
static const double *net_params(net *t) {
    if (t->f32)
        for (size_t i = 0; i < t->np; i++) t->p[i] = t->pf[i];
    return t->p;
}

/* bp_mlp_train_step(_f32) on rows start .. start + rows of the fixture. */
static bp_status net_step(net *t, const fixture *f, const float *Xf, const float *Yf, size_t start,
                          size_t rows, double lr, int *diverged) {
    double loss;
    if (t->f32)
        return bp_mlp_train_step_f32(t->s, t->pf, Xf, f->n_in, Yf, f->labels, NULL, start, rows, lr,
                                     &loss, diverged);
    return bp_mlp_train_step(t->d, t->p, f->X, f->n_in, f->Y, f->labels, NULL, start, rows, lr,
                             &loss, diverged);
}

/* Trains one case on one engine step by step; its errors against the
 * recorded steps into *worst. */
static void run_steps(const fixture *f, const bp_optimizer *o, const bp_regularization *reg,
                      double lr, size_t batch, const double *recorded, size_t e, const float *Xf,
                      const float *Yf, errs *worst) {
    net t;
    net_open(&t, f, ENGINES[e].f32, ENGINES[e].flags, ENGINES[e].threads, batch, o, reg);
    for (size_t s = 0; s < f->steps; s++) {
        int diverged = -1;
        H_OK(net_step(&t, f, Xf, Yf, (s * batch) % f->rows, batch, lr, &diverged));
        H_EXPECT(diverged == 0, "step %zu diverged (%d)", s, diverged);
        if ((s + 1) % f->every == 0)
            compare(net_params(&t), recorded + ((s + 1) / f->every - 1) * f->np, f->np, worst);
    }
    net_close(&t);
}

/* The same steps in one bp_mlp_train_epochs call (when they make whole
 * epochs): the errors at the last recorded step into *worst. */
static void run_epochs(const fixture *f, const bp_optimizer *o, const bp_regularization *reg,
                       double lr, size_t batch, const double *last, size_t e, const float *Xf,
                       const float *Yf, errs *worst) {
    net t;
    net_open(&t, f, ENGINES[e].f32, ENGINES[e].flags, ENGINES[e].threads, batch, o, reg);
    const size_t epochs = f->steps * batch / f->rows;
    double *losses = h_alloc(epochs);
    size_t completed = 0;
    int diverged = -1;
    if (t.f32)
        H_OK(bp_mlp_train_epochs_f32(t.s, t.pf, Xf, f->n_in, Yf, f->labels, NULL, f->rows, batch,
                                     epochs, lr, losses, NULL, &completed, &diverged));
    else
        H_OK(bp_mlp_train_epochs(t.d, t.p, f->X, f->n_in, f->Y, f->labels, NULL, f->rows, batch,
                                 epochs, lr, losses, NULL, &completed, &diverged));
    H_EXPECT(completed == epochs && diverged == 0, "epochs: %zu of %zu, diverged %d", completed,
             epochs, diverged);
    compare(net_params(&t), last, f->np, worst);
    free(losses);
    net_close(&t);
}

static void check_fixture(const char *name) {
    fixture f;
    load_fixture(name, &f);
    float *Xf = to_float(f.X, f.rows * f.n_in);
    float *Yf = f.Y ? to_float(f.Y, f.rows * f.k) : NULL;
    const j_value *cases = j_get(f.doc, "cases");
    H_EXPECT(cases && cases->kind == J_ARRAY && cases->count > 0, "%s: no cases", name);
    for (size_t c = 0; c < cases->count; c++) {
        const j_value *cs = &cases->items[c], *cname = j_get(cs, "name");
        const char *label = cname && cname->kind == J_STRING ? cname->string : "?";
        const bp_optimizer o = optimizer_of(j_get(cs, "optimizer"), label);
        /* the regularisation fixtures' penalty and clipping (0: none) */
        const j_value *rs = j_get(cs, "regularization");
        const bp_regularization reg = { rs ? j_number(rs, "l2", 0.0) : 0.0,
                                        rs ? j_number(rs, "max_grad_norm", 0.0) : 0.0 };
        const double lr = j_number(cs, "learning_rate", NAN);
        const size_t batch = (size_t)j_number(cs, "batch", 0);
        H_EXPECT(isfinite(lr) && batch > 0 && f.rows % batch == 0, "%s: rate or batch", label);
        const j_value *params = j_get(cs, "params");
        const size_t snaps = f.steps / f.every;
        H_EXPECT(params && params->kind == J_ARRAY && params->count == snaps, "%s: params", label);
        double *recorded = h_alloc(snaps * f.np);
        for (size_t s = 0; s < snaps; s++) {
            size_t count = 0;
            double *row = j_numbers(&params->items[s], NULL, &count);
            H_EXPECT(row && count == f.np, "%s: recorded step %zu", label, s);
            memcpy(recorded + s * f.np, row, f.np * sizeof *row);
            free(row);
        }
        errs worst[2] = { { 0, 0 }, { 0, 0 } };
        for (size_t e = 0; e < N_ENGINES; e++) {
            const double tol = ENGINES[e].f32 ? TOL_FLOAT : TOL_DOUBLE;
            errs err = { 0, 0 };
            run_steps(&f, &o, &reg, lr, batch, recorded, e, Xf, Yf, &err);
            H_EXPECT(err.norm <= tol, "%s %s, %s: %.3g from PyTorch", name, label, ENGINES[e].name,
                     err.norm);
            if (f.steps * batch % f.rows == 0) {
                errs ee = { 0, 0 };
                run_epochs(&f, &o, &reg, lr, batch, recorded + (snaps - 1) * f.np, e, Xf, Yf, &ee);
                H_EXPECT(ee.norm <= tol, "%s %s, %s, train_epochs: %.3g from PyTorch", name, label,
                         ENGINES[e].name, ee.norm);
                compare_merge(&err, &ee);
            }
            compare_merge(&worst[ENGINES[e].f32], &err);
        }
        print_message("  %-12s %-28s from PyTorch: double %.0e (element-wise %.0e), "
                      "float %.0e (%.0e)\n",
                      name, label, worst[0].norm, worst[0].elem, worst[1].norm, worst[1].elem);
        free(recorded);
    }
    free(Xf);
    free(Yf);
    free_fixture(&f);
}

static void test_against_pytorch_narrow(void **state) {
    (void)state;
    check_fixture("optimizers/narrow.json");
}

static void test_against_pytorch_dense(void **state) {
    (void)state;
    check_fixture("optimizers/dense.json");
}

/* The L2 penalty and clipping (bp_regularization.h) against PyTorch's
 * autograd of the penalised loss and clip_grad_norm_, with SGD, momentum
 * and Adam, on the same engines (Tests/Fixtures/regularization). */
static void test_regularization_against_pytorch_narrow(void **state) {
    (void)state;
    check_fixture("regularization/narrow.json");
}

static void test_regularization_against_pytorch_dense(void **state) {
    (void)state;
    check_fixture("regularization/dense.json");
}

/* ---- every variant of every rule ------------------------------------------------- */

/* One optimiser per loop of the vector passes (vector_tmpl.h): every rule,
 * with and without the slots its options add, both forms of the lerp. */
static bp_optimizer variant(size_t v) {
    bp_optimizer o;
    static const bp_optimizer_rule rules[] = {
        BP_OPTIMIZER_SGD,     BP_OPTIMIZER_SGD,     BP_OPTIMIZER_SGD,     BP_OPTIMIZER_ADAM,
        BP_OPTIMIZER_ADAM,    BP_OPTIMIZER_ADAMW,   BP_OPTIMIZER_ADAMW,   BP_OPTIMIZER_RMSPROP,
        BP_OPTIMIZER_RMSPROP, BP_OPTIMIZER_RMSPROP, BP_OPTIMIZER_RMSPROP, BP_OPTIMIZER_ADAGRAD,
        BP_OPTIMIZER_ADAGRAD, BP_OPTIMIZER_RPROP,   BP_OPTIMIZER_RPROP,
    };
    H_OK(bp_optimizer_default(rules[v], &o));
    switch (v) {
    case 0: o.weight_decay = 0.01; break;
    case 1:
        o.momentum = 0.9;
        o.dampening = 0.25;
        break;
    case 2:
        o.momentum = 0.8;
        o.nesterov = 1;
        o.weight_decay = 1e-3;
        break;
    case 4:
        o.amsgrad = 1;
        o.weight_decay = 0.01;
        break;
    case 6:
        o.amsgrad = 1;
        o.beta1 = 0.3; /* the lerp's other form */
        break;
    case 8: o.centered = 1; break;
    case 9: o.momentum = 0.5; break;
    case 10:
        o.centered = 1;
        o.momentum = 0.9;
        o.alpha = 0.4; /* the lerp's other form */
        o.weight_decay = 1e-3;
        break;
    case 12:
        o.lr_decay = 0.05;
        o.initial_accumulator_value = 0.1;
        o.weight_decay = 1e-3;
        break;
    case 14:
        o.eta_minus = 0.3;
        o.eta_plus = 1.5;
        o.step_min = 1e-3;
        o.step_max = 0.2;
        break;
    default: break;
    }
    return o;
}
enum { N_VARIANTS = 15 };

static size_t slots_of(const bp_optimizer *o) {
    const size_t want[] = { 0, 1, 1, 2, 3, 2, 3, 1, 2, 2, 3, 1, 1, 2, 2 };
    for (size_t v = 0; v < N_VARIANTS; v++) {
        bp_optimizer w = variant(v);
        if (memcmp(&w, o, sizeof w) == 0) return want[v];
    }
    return (size_t)-1;
}

/* The stage's step on every kernel set, one thread and two, against the
 * plain loop of the reference engine over the same rule definitions
 * (bp_update_rule_one_d / _s): portable the same bits (both plain C for
 * the baseline ISA), AVX2 and AVX-512 to rounding (their builds may
 * contract a product and a sum into one FMA); the parameters and every
 * slot of state, over steps whose gradients change sign. */
static void test_vector_passes_against_plain_loop(void **state) {
    (void)state;
    const size_t n = (size_t)BP_UPDATE_PARALLEL + 77, steps = 6;
    static const unsigned SETS[] = { BP_EXEC_PORTABLE, BP_EXEC_AVX2, BP_EXEC_AVX512 };
    bp_exec *ex[3][2];
    for (size_t k = 0; k < 3; k++)
        for (size_t t = 0; t < 2; t++) H_OK(bp_exec_create_with(t + 1, SETS[k], &ex[k][t]));
    double *p0 = h_alloc(n), *g = h_alloc(steps * n), *want = h_alloc(n), *got = h_alloc(n);
    float *pf = malloc(n * sizeof *pf), *wantf = malloc(n * sizeof *wantf),
          *gf = malloc(steps * n * sizeof *gf);
    h_rng r;
    h_seed(&r, 20001);
    h_fill(&r, p0, n, -1.0, 1.0);
    h_fill(&r, g, steps * n, -2.0, 2.0);
    for (size_t i = 0; i < steps * n; i++) gf[i] = (float)g[i];
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const bp_optimizer o = variant(v);
        bp_update_stage plain, fast;
        bp_update_stage_init(&plain, n, sizeof(double));
        H_OK(bp_update_stage_configure(&plain, &o));
        H_EXPECT(plain.state_slots == slots_of(&o), "variant %zu: %zu slots", v, plain.state_slots);
        memcpy(want, p0, n * sizeof *want);
        /* the plain loop: every step by bp_update_rule_one_d */
        for (size_t s = 0; s < steps; s++) {
            plain.hp.learning_rate = 0.01 * (double)(s + 1);
            bp_update_coeffs_d k;
            bp_update_coeffs_prepare_d(&plain, &k);
            for (size_t i = 0; i < n; i++)
                want[i] = bp_update_rule_one_d(&k, want[i], g[s * n + i], plain.state, n, i);
            plain.step++;
        }
        for (size_t k = 0; k < 3; k++)
            for (size_t t = 0; t < 2; t++) {
                bp_update_stage_init(&fast, n, sizeof(double));
                H_OK(bp_update_stage_configure(&fast, &o));
                memcpy(got, p0, n * sizeof *got);
                for (size_t s = 0; s < steps; s++) {
                    int diverged = -1;
                    fast.hp.learning_rate = 0.01 * (double)(s + 1);
                    double *gs = h_copy(g + s * n, n);
                    H_OK(bp_update_apply_d(&fast, ex[k][t], got, gs, &diverged));
                    H_EXPECT(diverged == 0, "variant %zu: verdict %d", v, diverged);
                    free(gs);
                }
                const size_t values = plain.state_slots * n;
                if (k == 0) {
                    H_EXPECT(h_same_bits(got, want, n),
                             "variant %zu, portable, %zu thread(s): "
                             "not the plain loop's bits",
                             v, t + 1);
                    H_EXPECT(values == 0 || h_same_bits(fast.state, plain.state, values),
                             "variant %zu, portable: state differs", v);
                } else {
                    double e = rel_err(got, want, n);
                    double es = values ? rel_err(fast.state, plain.state, values) : 0.0;
                    H_EXPECT(e <= 1e-14 && es <= 1e-14, "variant %zu, %s: %.3g, state %.3g", v,
                             bp_exec_kernel_name(ex[k][t]), e, es);
                }
                H_EXPECT(fast.step == steps, "variant %zu: %llu steps counted", v,
                         (unsigned long long)fast.step);
                bp_update_stage_free(&fast);
            }

        /* float: the same, portable against the plain loop in float */
        bp_update_stage pf_plain, pf_fast;
        bp_update_stage_init(&pf_plain, n, sizeof(float));
        bp_update_stage_init(&pf_fast, n, sizeof(float));
        H_OK(bp_update_stage_configure(&pf_plain, &o));
        H_OK(bp_update_stage_configure(&pf_fast, &o));
        for (size_t i = 0; i < n; i++) wantf[i] = pf[i] = (float)p0[i];
        for (size_t s = 0; s < steps; s++) {
            pf_plain.hp.learning_rate = pf_fast.hp.learning_rate = 0.01 * (double)(s + 1);
            bp_update_coeffs_s k;
            bp_update_coeffs_prepare_s(&pf_plain, &k);
            for (size_t i = 0; i < n; i++)
                wantf[i] = bp_update_rule_one_s(&k, wantf[i], gf[s * n + i], pf_plain.state, n, i);
            pf_plain.step++;
            float *gs = malloc(n * sizeof *gs);
            memcpy(gs, gf + s * n, n * sizeof *gs);
            int diverged = -1;
            H_OK(bp_update_apply_s(&pf_fast, ex[0][1], pf, gs, &diverged));
            free(gs);
        }
        H_EXPECT(memcmp(pf, wantf, n * sizeof *pf) == 0, "variant %zu float: not the plain bits",
                 v);
        bp_update_stage_free(&pf_plain);
        bp_update_stage_free(&pf_fast);
        bp_update_stage_free(&plain);
    }
    for (size_t k = 0; k < 3; k++)
        for (size_t t = 0; t < 2; t++) bp_exec_free(ex[k][t]);
    free(p0);
    free(g);
    free(want);
    free(got);
    free(pf);
    free(wantf);
    free(gf);
}

/* ---- networks for the remaining tests ------------------------------------------------ */

/* The networks: a dense one (the GEMM engine), a narrow one (the narrow
 * engine's chunks), the large one of the allocation test (its update
 * split between two threads). */
static const bp_layer_spec DENSE[] = { { 6, 16, BP_ACT_TANH, 0 }, { 16, 3, BP_ACT_SOFTMAX, 0 } };
static const bp_layer_spec NARROW[] = { { 3, 5, BP_ACT_TANH, 0 },
                                        { 5, 4, BP_ACT_RELU, 0 },
                                        { 4, 2, BP_ACT_SOFTMAX, 0 } };
static const bp_layer_spec LARGE[] = { { 300, 120, BP_ACT_RELU, 0 },
                                       { 120, 10, BP_ACT_SOFTMAX, 0 } };

typedef struct shape {
    const char *name;
    const bp_layer_spec *ls;
    size_t nl;
} shape;
static const shape SHAPES[] = { { "dense", DENSE, 2 }, { "narrow", NARROW, 3 } };

/* A network of `sh` with its parameters (seeded), the optimiser set. */
static void open_net(net *t, const shape *sh, int f32, unsigned flags, size_t threads,
                     size_t max_rows, const bp_optimizer *o, uint64_t seed) {
    memset(t, 0, sizeof *t);
    t->f32 = f32;
    if (threads > 0) H_OK(bp_exec_create_with(threads, flags, &t->ex));
    if (f32) {
        H_OK(bp_mlp_create_f32(sh->nl, sh->ls, BP_LOSS_SOFTMAX_CCE, max_rows, &t->s));
        H_OK(bp_mlp_set_exec_f32(t->s, t->ex));
        H_OK(bp_mlp_parameter_count_f32(t->s, &t->np));
        if (o) H_OK(bp_mlp_set_optimizer_f32(t->s, o));
    } else {
        H_OK(bp_mlp_create(sh->nl, sh->ls, BP_LOSS_SOFTMAX_CCE, max_rows, &t->d));
        H_OK(bp_mlp_set_exec(t->d, t->ex));
        H_OK(bp_mlp_parameter_count(t->d, &t->np));
        if (o) H_OK(bp_mlp_set_optimizer(t->d, o));
    }
    h_rng r;
    h_seed(&r, seed);
    t->p = h_alloc(t->np);
    h_fill(&r, t->p, t->np, -0.5, 0.5);
    t->pf = to_float(t->p, t->np);
}

/* One training step of t on rows start .. start + rows of q (its labels). */
static int train(net *t, const problem *q, size_t start, size_t rows, double lr) {
    double loss;
    int diverged = -1;
    if (t->f32)
        H_OK(bp_mlp_train_step_f32(t->s, t->pf, q->Xf, q->n_in, NULL, q->labels, NULL, start, rows,
                                   lr, &loss, &diverged));
    else
        H_OK(bp_mlp_train_step(t->d, t->p, q->X, q->n_in, NULL, q->labels, NULL, start, rows, lr,
                               &loss, &diverged));
    return diverged;
}

/* The network's optimiser state (malloc'd, *count values) and step. */
static void *get_state(const net *t, size_t *count, uint64_t *step) {
    if (t->f32) {
        H_OK(bp_mlp_optimizer_state_size_f32(t->s, count));
        float *x = malloc((*count ? *count : 1) * sizeof *x);
        H_OK(bp_mlp_get_optimizer_state_f32(t->s, x, *count, step));
        return x;
    }
    H_OK(bp_mlp_optimizer_state_size(t->d, count));
    double *x = h_alloc(*count ? *count : 1);
    H_OK(bp_mlp_get_optimizer_state(t->d, x, *count, step));
    return x;
}

static size_t elem(const net *t) { return t->f32 ? sizeof(float) : sizeof(double); }
static void *params_of(net *t) { return t->f32 ? (void *)t->pf : (void *)t->p; }

/* ---- no allocation ---------------------------------------------------------------- */

/* With every optimiser set, no training call allocates: steps, an epoch and
 * epochs, on the large network through a two-thread context (its update
 * split between the threads), on the narrow one, in both precisions. The
 * optimiser's state is allocated by bp_mlp_set_optimizer, once. */
static void test_no_allocation_per_step(void **state) {
    (void)state;
    const shape large = { "large", LARGE, 2 };
    problem ql = make_problem(20101, 64, 300, 10), qn = make_problem(20102, 64, 3, 2);
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const bp_optimizer o = variant(v);
        for (int f32 = 0; f32 <= 1; f32++)
            for (size_t which = 0; which < 2; which++) {
                const shape *sh = which == 0 ? &large : &SHAPES[1];
                const problem *q = which == 0 ? &ql : &qn;
                net t;
                unsigned long before = h_allocations();
                open_net(&t, sh, f32, BP_EXEC_DEFAULT, 2, 16, &o, 20103);
                H_EXPECT(h_allocations() > before, "the allocation counter counts nothing");
                if (which == 0 && !f32) H_EXPECT(t.np >= BP_UPDATE_PARALLEL, "too small to split");
                double losses[2], loss;
                size_t completed;
                int diverged;
                before = h_allocations();
                H_EXPECT(train(&t, q, 0, 16, 0.01) == 0, "diverged");
                H_EXPECT(train(&t, q, 16, 1, 0.01) == 0, "diverged");
                if (f32) {
                    H_OK(bp_mlp_train_epoch_f32(t.s, t.pf, q->Xf, q->n_in, NULL, q->labels, NULL,
                                                64, 16, 0.01, &loss, &diverged));
                    H_OK(bp_mlp_train_epochs_f32(t.s, t.pf, q->Xf, q->n_in, NULL, q->labels, NULL,
                                                 64, 16, 2, 0.01, losses, NULL, &completed,
                                                 &diverged));
                } else {
                    H_OK(bp_mlp_train_epoch(t.d, t.p, q->X, q->n_in, NULL, q->labels, NULL, 64, 16,
                                            0.01, &loss, &diverged));
                    H_OK(bp_mlp_train_epochs(t.d, t.p, q->X, q->n_in, NULL, q->labels, NULL, 64, 16,
                                             2, 0.01, losses, NULL, &completed, &diverged));
                }
                unsigned long used = h_allocations() - before;
                H_EXPECT(used == 0, "variant %zu, %s, %s: %lu allocations while training", v,
                         sh->name, f32 ? "float" : "double", used);
                net_close(&t);
            }
    }
    free_problem(&ql);
    free_problem(&qn);
}

/* ---- divergence ------------------------------------------------------------------- */

typedef struct nan_hook {
    size_t at, calls;
} nan_hook;

/* Plants a NaN in the gradient (the hook between gradient and update). */
static bp_status plant_nan(void *user, size_t n, void *grad, size_t elem_size) {
    nan_hook *h = user;
    h->calls++;
    if (h->at >= n) return BP_OK;
    if (elem_size == sizeof(double)) ((double *)grad)[h->at] = h_nan();
    else ((float *)grad)[h->at] = NAN;
    return BP_OK;
}

/* A step whose gradient or loss is not finite changes nothing: not the
 * parameters, not the optimiser's state, not its step count — for every
 * optimiser, on the GEMM and narrow engines and the reference, in both
 * precisions, after steps that filled the state. A finite step then
 * changes all three (the check could fail). */
static void test_divergence_changes_nothing(void **state) {
    (void)state;
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const bp_optimizer o = variant(v);
        for (size_t sh = 0; sh < 2; sh++)
            for (int f32 = 0; f32 <= 1; f32++)
                for (int reference = 0; reference <= 1; reference++) {
                    const shape *shp = &SHAPES[sh];
                    problem q =
                        make_problem(20201, 24, shp->ls[0].n_in, shp->ls[shp->nl - 1].n_out);
                    net t;
                    open_net(&t, shp, f32, reference ? BP_EXEC_REFERENCE : BP_EXEC_DEFAULT, 1, 8,
                             &o, 20202);
                    for (size_t s = 0; s < 3; s++)
                        H_EXPECT(train(&t, &q, 8 * s, 8, 0.05) == 0, "a step diverged");
                    size_t count, count2;
                    uint64_t step, step2;
                    void *state0 = get_state(&t, &count, &step);
                    void *p0 = malloc(t.np * elem(&t));
                    memcpy(p0, params_of(&t), t.np * elem(&t));
                    H_EXPECT(step == 3, "variant %zu: step %llu", v, (unsigned long long)step);

                    /* a NaN in the gradient, at the first and the last parameter */
                    nan_hook h = { 0, 0 };
                    bp_update_stage *stage =
                        f32 ? bp_mlp_update_stage_s(t.s) : bp_mlp_update_stage_d(t.d);
                    bp_update_stage_set_hook(stage, plant_nan, &h);
                    for (size_t at = 0; at < 2; at++) {
                        h.at = at ? t.np - 1 : 0;
                        H_EXPECT(train(&t, &q, 0, 8, 0.05) == 1, "variant %zu: not diverged", v);
                    }
                    H_EXPECT(h.calls == 2, "variant %zu: hook called %zu times", v, h.calls);
                    bp_update_stage_set_hook(stage, NULL, NULL);
                    /* a loss that is not finite */
                    problem bad =
                        make_problem(20203, 8, shp->ls[0].n_in, shp->ls[shp->nl - 1].n_out);
                    bad.X[3] = h_nan();
                    bad.Xf[3] = NAN;
                    H_EXPECT(train(&t, &bad, 0, 8, 0.05) == 1, "variant %zu: NaN loss", v);
                    free_problem(&bad);

                    void *state1 = get_state(&t, &count2, &step2);
                    const char *where = reference ? "reference" : shp->name;
                    H_EXPECT(memcmp(p0, params_of(&t), t.np * elem(&t)) == 0,
                             "variant %zu, %s, %s: parameters changed", v, where,
                             f32 ? "float" : "double");
                    H_EXPECT(count2 == count && step2 == step &&
                                 memcmp(state0, state1, count * elem(&t)) == 0,
                             "variant %zu, %s, %s: state or step changed", v, where,
                             f32 ? "float" : "double");
                    free(state1);

                    /* a finite step changes the parameters, the step and the state */
                    H_EXPECT(train(&t, &q, 0, 8, 0.05) == 0, "variant %zu: diverged", v);
                    state1 = get_state(&t, &count2, &step2);
                    H_EXPECT(step2 == step + 1 && memcmp(p0, params_of(&t), t.np * elem(&t)) != 0 &&
                                 (count == 0 || memcmp(state0, state1, count * elem(&t)) != 0),
                             "variant %zu, %s: a finite step changed nothing", v, where);
                    free(state0);
                    free(state1);
                    free(p0);
                    net_close(&t);
                    free_problem(&q);
                }
    }
}

/* An update that makes a parameter non-finite is applied and reported
 * (verdict 2) and counted, for every optimiser: the stage alone, at a
 * rate of 1e308 with one parameter at −DBL_MAX (which every rule's
 * downhill step, or its weight decay, takes past the largest double). */
static void test_overflow_is_reported(void **state) {
    (void)state;
    const size_t n = 64;
    for (size_t v = 0; v < N_VARIANTS; v++) {
        bp_optimizer o = variant(v);
        if (o.rule == BP_OPTIMIZER_RPROP) o.step_max = DBL_MAX; /* steps up to 1e308 */
        bp_update_stage s;
        bp_update_stage_init(&s, n, sizeof(double));
        H_OK(bp_update_stage_configure(&s, &o));
        double *p = h_alloc_fill(n, 0.5), *g = h_alloc_fill(n, 1.0);
        p[7] = -DBL_MAX;
        s.hp.learning_rate = 1e308;
        int diverged = -1;
        H_OK(bp_update_apply_d(&s, NULL, p, g, &diverged));
        H_EXPECT(diverged == 2 && !h_all_finite(p, n), "variant %zu: verdict %d", v, diverged);
        H_EXPECT(s.step == 1, "variant %zu: the applied step was not counted", v);
        bp_update_stage_free(&s);
        free(p);
        free(g);
    }
}

/* ---- state: checkpoints ----------------------------------------------------------- */

/* 2N steps in one run equal N steps, the state and step saved, a new
 * network given the same optimiser, that state and step and the
 * parameters, then N more steps — bit for bit, every optimiser, both
 * engines, both precisions. */
static void test_saved_state_resumes_exactly(void **state) {
    (void)state;
    const size_t N = 5;
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const bp_optimizer o = variant(v);
        for (size_t sh = 0; sh < 2; sh++)
            for (int f32 = 0; f32 <= 1; f32++) {
                const shape *shp = &SHAPES[sh];
                problem q = make_problem(20301, 40, shp->ls[0].n_in, shp->ls[shp->nl - 1].n_out);
                net whole, first, second;
                open_net(&whole, shp, f32, BP_EXEC_DEFAULT, 1, 8, &o, 20302);
                open_net(&first, shp, f32, BP_EXEC_DEFAULT, 1, 8, &o, 20302);
                open_net(&second, shp, f32, BP_EXEC_DEFAULT, 1, 8, &o, 20399);
                for (size_t s = 0; s < 2 * N; s++) train(&whole, &q, (8 * s) % 40, 8, 0.03);
                for (size_t s = 0; s < N; s++) train(&first, &q, (8 * s) % 40, 8, 0.03);
                size_t count;
                uint64_t step;
                void *saved = get_state(&first, &count, &step);
                H_EXPECT(step == N && count == slots_of(&o) * first.np,
                         "variant %zu: %zu values, step %llu", v, count, (unsigned long long)step);
                if (f32) H_OK(bp_mlp_set_optimizer_state_f32(second.s, saved, count, step));
                else H_OK(bp_mlp_set_optimizer_state(second.d, saved, count, step));
                memcpy(params_of(&second), params_of(&first), first.np * elem(&first));
                for (size_t s = N; s < 2 * N; s++) train(&second, &q, (8 * s) % 40, 8, 0.03);
                H_EXPECT(memcmp(params_of(&whole), params_of(&second), whole.np * elem(&whole)) ==
                             0,
                         "variant %zu, %s, %s: resumed training differs", v, shp->name,
                         f32 ? "float" : "double");
                size_t c1, c2;
                uint64_t s1, s2;
                void *a = get_state(&whole, &c1, &s1), *b = get_state(&second, &c2, &s2);
                H_EXPECT(c1 == c2 && s1 == s2 && memcmp(a, b, c1 * elem(&whole)) == 0,
                         "variant %zu: resumed state differs", v);
                free(a);
                free(b);
                free(saved);
                net_close(&whole);
                net_close(&first);
                net_close(&second);
                free_problem(&q);
            }
    }
}

/* ---- plain SGD ---------------------------------------------------------------------- */

/* Setting plain SGD — the default, or with a dampening or Nesterov flag
 * that plays no part without momentum — keeps the fused paths (the stage
 * says so) and trains exactly as a network never given an optimiser;
 * momentum or weight decay leaves them. Setting an optimiser again
 * restarts it: state back to its start, step 0. */
static void test_plain_sgd_and_restart(void **state) {
    (void)state;
    problem q = make_problem(20401, 32, 6, 3);
    bp_optimizer plain;
    H_OK(bp_optimizer_default(BP_OPTIMIZER_SGD, &plain));
    net never, set;
    open_net(&never, &SHAPES[0], 0, BP_EXEC_DEFAULT, 2, 8, NULL, 20402);
    open_net(&set, &SHAPES[0], 0, BP_EXEC_DEFAULT, 2, 8, &plain, 20402);
    H_EXPECT(bp_update_stage_fusable(bp_mlp_update_stage_d(set.d), NULL), "plain SGD not fusable");
    plain.dampening = 0.5;
    H_OK(bp_mlp_set_optimizer(set.d, &plain));
    H_EXPECT(bp_update_stage_fusable(bp_mlp_update_stage_d(set.d), NULL),
             "SGD with dampening but no momentum not fusable");
    for (size_t s = 0; s < 8; s++) {
        train(&never, &q, (8 * s) % 32, 8, 0.1);
        train(&set, &q, (8 * s) % 32, 8, 0.1);
    }
    H_EXPECT(h_same_bits(never.p, set.p, never.np), "plain SGD set: not the default's bits");
    size_t count;
    H_OK(bp_mlp_optimizer_state_size(set.d, &count));
    H_EXPECT(count == 0, "plain SGD keeps %zu state values", count);
    for (size_t v = 0; v < N_VARIANTS; v++) {
        const bp_optimizer o = variant(v);
        H_OK(bp_mlp_set_optimizer(set.d, &o));
        H_EXPECT(!bp_update_stage_fusable(bp_mlp_update_stage_d(set.d), NULL),
                 "variant %zu fusable", v);
        bp_optimizer back;
        H_OK(bp_mlp_get_optimizer(set.d, &back));
        H_EXPECT(memcmp(&back, &o, sizeof o) == 0, "variant %zu: another optimiser read back", v);
        for (size_t s = 0; s < 3; s++) train(&set, &q, 8 * s, 8, 0.05);
        H_OK(bp_mlp_set_optimizer(set.d, &o));
        uint64_t step;
        double *st = get_state(&set, &count, &step);
        int start = step == 0;
        for (size_t i = 0; i < count; i++)
            start &= st[i] == (o.rule == BP_OPTIMIZER_ADAGRAD ? o.initial_accumulator_value : 0.0);
        H_EXPECT(start, "variant %zu: set again, the optimiser did not restart", v);
        free(st);
    }
    net_close(&never);
    net_close(&set);
    free_problem(&q);
}

/* ---- hyperparameters and state refused ---------------------------------------------- */

/* PyTorch's defaults, as torch.optim documents them. */
static void test_defaults(void **state) {
    (void)state;
    bp_optimizer o;
    H_OK(bp_optimizer_default(BP_OPTIMIZER_SGD, &o));
    H_EXPECT(o.momentum == 0 && o.dampening == 0 && o.weight_decay == 0 && !o.nesterov, "SGD");
    H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAM, &o));
    H_EXPECT(o.beta1 == 0.9 && o.beta2 == 0.999 && o.eps == 1e-8 && o.weight_decay == 0 &&
                 !o.amsgrad,
             "Adam");
    H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAMW, &o));
    H_EXPECT(o.beta1 == 0.9 && o.beta2 == 0.999 && o.eps == 1e-8 && o.weight_decay == 1e-2,
             "AdamW");
    H_OK(bp_optimizer_default(BP_OPTIMIZER_RMSPROP, &o));
    H_EXPECT(o.alpha == 0.99 && o.eps == 1e-8 && o.momentum == 0 && !o.centered, "RMSprop");
    H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAGRAD, &o));
    H_EXPECT(o.eps == 1e-10 && o.lr_decay == 0 && o.initial_accumulator_value == 0, "Adagrad");
    H_OK(bp_optimizer_default(BP_OPTIMIZER_RPROP, &o));
    H_EXPECT(o.eta_minus == 0.5 && o.eta_plus == 1.2 && o.step_min == 1e-6 && o.step_max == 50,
             "Rprop");
    H_STATUS(BP_ERR_BAD_ENUM, bp_optimizer_default((bp_optimizer_rule)6, &o));
    H_STATUS(BP_ERR_BAD_ENUM, bp_optimizer_default((bp_optimizer_rule)-1, &o));
    H_STATUS(BP_ERR_NULL_POINTER, bp_optimizer_default(BP_OPTIMIZER_ADAM, NULL));
}

/* A field of bp_optimizer set to a value outside its domain. */
typedef struct bad_value {
    bp_optimizer_rule rule;
    const char *field;
    double value;
    int also; /* 1: momentum 0.9 too (Nesterov with dampening); 2: Nesterov on */
} bad_value;

static void set_field(bp_optimizer *o, const char *field, double value) {
    for (size_t f = 0; f < sizeof FIELDS / sizeof FIELDS[0]; f++)
        if (strcmp(FIELDS[f].name, field) == 0) {
            char *at = (char *)o + FIELDS[f].offset;
            if (FIELDS[f].flag) *(int *)(void *)at = (int)value;
            else *(double *)(void *)at = value;
            return;
        }
    H_EXPECT(0, "no field %s", field);
}

/* Every hyperparameter outside its domain — negative rates and decays, β
 * outside [0, 1), α outside [0, 1], non-finite values, Nesterov without
 * momentum or with dampening, Rprop's etas on the wrong side of 1, step
 * bounds reversed — is refused with BP_ERR_BAD_VALUE by both precisions
 * (a value finite in double but not in float by the float network only),
 * an unknown rule with BP_ERR_BAD_ENUM; and the network keeps its
 * optimiser, its state and its step. */
static void test_bad_hyperparameters_refused(void **state) {
    (void)state;
    const double inf = INFINITY, nan = h_nan();
    const bad_value bad[] = {
        { BP_OPTIMIZER_SGD, "momentum", -0.1, 0 },
        { BP_OPTIMIZER_SGD, "momentum", nan, 0 },
        { BP_OPTIMIZER_SGD, "momentum", inf, 0 },
        { BP_OPTIMIZER_SGD, "dampening", -0.1, 0 },
        { BP_OPTIMIZER_SGD, "dampening", 1.5, 0 },
        { BP_OPTIMIZER_SGD, "dampening", nan, 0 },
        { BP_OPTIMIZER_SGD, "weight_decay", -1e-4, 0 },
        { BP_OPTIMIZER_SGD, "weight_decay", inf, 0 },
        { BP_OPTIMIZER_SGD, "nesterov", 1, 0 },    /* without momentum */
        { BP_OPTIMIZER_SGD, "dampening", 0.1, 2 }, /* Nesterov with dampening */
        { BP_OPTIMIZER_ADAM, "beta1", -0.1, 0 },
        { BP_OPTIMIZER_ADAM, "beta1", 1.0, 0 },
        { BP_OPTIMIZER_ADAM, "beta1", nan, 0 },
        { BP_OPTIMIZER_ADAM, "beta2", 1.0, 0 },
        { BP_OPTIMIZER_ADAM, "beta2", -1e-9, 0 },
        { BP_OPTIMIZER_ADAM, "eps", -1e-8, 0 },
        { BP_OPTIMIZER_ADAM, "eps", inf, 0 },
        { BP_OPTIMIZER_ADAM, "weight_decay", -0.01, 0 },
        { BP_OPTIMIZER_ADAMW, "weight_decay", -0.01, 0 },
        { BP_OPTIMIZER_ADAMW, "beta2", 1.5, 0 },
        { BP_OPTIMIZER_ADAMW, "eps", nan, 0 },
        { BP_OPTIMIZER_RMSPROP, "alpha", -0.1, 0 },
        { BP_OPTIMIZER_RMSPROP, "alpha", 1.1, 0 },
        { BP_OPTIMIZER_RMSPROP, "alpha", nan, 0 },
        { BP_OPTIMIZER_RMSPROP, "eps", -1.0, 0 },
        { BP_OPTIMIZER_RMSPROP, "momentum", -0.5, 0 },
        { BP_OPTIMIZER_RMSPROP, "momentum", inf, 0 },
        { BP_OPTIMIZER_RMSPROP, "weight_decay", -1.0, 0 },
        { BP_OPTIMIZER_ADAGRAD, "lr_decay", -1.0, 0 },
        { BP_OPTIMIZER_ADAGRAD, "initial_accumulator_value", -0.1, 0 },
        { BP_OPTIMIZER_ADAGRAD, "initial_accumulator_value", inf, 0 },
        { BP_OPTIMIZER_ADAGRAD, "eps", -1e-10, 0 },
        { BP_OPTIMIZER_ADAGRAD, "weight_decay", nan, 0 },
        { BP_OPTIMIZER_RPROP, "eta_minus", 0.0, 0 },
        { BP_OPTIMIZER_RPROP, "eta_minus", 1.0, 0 },
        { BP_OPTIMIZER_RPROP, "eta_minus", nan, 0 },
        { BP_OPTIMIZER_RPROP, "eta_plus", 1.0, 0 },
        { BP_OPTIMIZER_RPROP, "eta_plus", 0.9, 0 },
        { BP_OPTIMIZER_RPROP, "eta_plus", inf, 0 },
        { BP_OPTIMIZER_RPROP, "step_min", -1e-6, 0 },
        { BP_OPTIMIZER_RPROP, "step_max", 1e-7, 0 }, /* below step_min */
        { BP_OPTIMIZER_RPROP, "step_max", inf, 0 },
    };
    problem q = make_problem(20501, 16, 6, 3);
    for (int f32 = 0; f32 <= 1; f32++) {
        net t;
        const bp_optimizer kept = variant(10); /* RMSprop, centred, momentum */
        open_net(&t, &SHAPES[0], f32, BP_EXEC_DEFAULT, 1, 8, &kept, 20502);
        for (size_t s = 0; s < 2; s++) train(&t, &q, 8 * s, 8, 0.01);
        size_t count, count2;
        uint64_t step, step2;
        void *state0 = get_state(&t, &count, &step);
        for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
            bp_optimizer o;
            H_OK(bp_optimizer_default(bad[b].rule, &o));
            if (bad[b].also == 2) {
                o.momentum = 0.9;
                o.nesterov = 1;
            }
            set_field(&o, bad[b].field, bad[b].value);
            H_STATUS(BP_ERR_BAD_VALUE,
                     f32 ? bp_mlp_set_optimizer_f32(t.s, &o) : bp_mlp_set_optimizer(t.d, &o));
        }
        /* finite in double, not in float: the float network refuses it */
        bp_optimizer big;
        H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAM, &big));
        big.weight_decay = 1e39;
        H_STATUS(f32 ? BP_ERR_BAD_VALUE : BP_OK, bp_update_check_optimizer(&big, elem(&t)));
        if (f32) H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_f32(t.s, &big));
        bp_optimizer unknown = kept;
        unknown.rule = (bp_optimizer_rule)6;
        H_STATUS(BP_ERR_BAD_ENUM, f32 ? bp_mlp_set_optimizer_f32(t.s, &unknown)
                                      : bp_mlp_set_optimizer(t.d, &unknown));
        H_STATUS(BP_ERR_NULL_POINTER,
                 f32 ? bp_mlp_set_optimizer_f32(t.s, NULL) : bp_mlp_set_optimizer(t.d, NULL));
        H_STATUS(BP_ERR_NULL_POINTER,
                 f32 ? bp_mlp_set_optimizer_f32(NULL, &kept) : bp_mlp_set_optimizer(NULL, &kept));

        bp_optimizer now;
        if (f32) H_OK(bp_mlp_get_optimizer_f32(t.s, &now));
        else H_OK(bp_mlp_get_optimizer(t.d, &now));
        H_EXPECT(memcmp(&now, &kept, sizeof now) == 0,
                 "a refused optimiser replaced the network's");
        void *state1 = get_state(&t, &count2, &step2);
        H_EXPECT(count2 == count && step2 == step && memcmp(state0, state1, count * elem(&t)) == 0,
                 "a refused optimiser changed the state");
        free(state0);
        free(state1);
        net_close(&t);
    }
    free_problem(&q);
}

/* bp_mlp_set_optimizer_state refuses a wrong count, a missing array, a
 * value that is not finite, a negative square or step size (and accepts a
 * negative momentum or average, which are signed), changing nothing;
 * bp_mlp_get_optimizer_state refuses a wrong count. */
static void test_bad_state_refused(void **state) {
    (void)state;
    problem q = make_problem(20601, 16, 6, 3);
    /* RMSprop centred with momentum: s ≥ 0, a and b signed; Adam(AMSGrad):
     * m signed, v and v̂ ≥ 0; Rprop: g′ signed, Δ ≥ 0 */
    const size_t vs[] = { 10, 4, 13 };
    for (size_t vi = 0; vi < 3; vi++) {
        const bp_optimizer o = variant(vs[vi]);
        net t;
        open_net(&t, &SHAPES[0], 0, BP_EXEC_DEFAULT, 1, 8, &o, 20602);
        for (size_t s = 0; s < 2; s++) train(&t, &q, 8 * s, 8, 0.01);
        size_t count;
        uint64_t step;
        double *saved = get_state(&t, &count, &step), *x = h_copy(saved, count);
        const size_t np = t.np, slots = count / np;
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state(t.d, x, count - 1, 7));
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state(t.d, x, count + np, 7));
        H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_optimizer_state(t.d, NULL, count, 7));
        H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_set_optimizer_state(NULL, x, count, 7));
        H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_get_optimizer_state(t.d, x, count + 1, &step));
        for (size_t j = 0; j < slots; j++) {
            const int nonnegative = bp_update_slot_nonnegative(&o, j);
            x[j * np + np / 2] = h_nan();
            H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state(t.d, x, count, 7));
            x[j * np + np / 2] = INFINITY;
            H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state(t.d, x, count, 7));
            x[j * np + np / 2] = -0.25;
            H_STATUS(nonnegative ? BP_ERR_BAD_VALUE : BP_OK,
                     bp_mlp_set_optimizer_state(t.d, x, count, 7));
            if (!nonnegative) H_OK(bp_mlp_set_optimizer_state(t.d, saved, count, step));
            x[j * np + np / 2] = saved[j * np + np / 2];
        }
        uint64_t step2;
        size_t count2;
        double *now = get_state(&t, &count2, &step2);
        H_EXPECT(step2 == step && h_same_bits(now, saved, count), "variant %zu: state changed",
                 vs[vi]);
        free(now);
        free(saved);
        free(x);
        net_close(&t);
    }
    /* the float network's values are checked in float */
    bp_optimizer adam;
    H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAM, &adam));
    net t;
    open_net(&t, &SHAPES[0], 1, BP_EXEC_DEFAULT, 1, 8, &adam, 20603);
    size_t count;
    H_OK(bp_mlp_optimizer_state_size_f32(t.s, &count));
    float *x = calloc(count, sizeof *x);
    x[count - 1] = -1.0f; /* v < 0 */
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state_f32(t.s, x, count, 3));
    x[count - 1] = INFINITY;
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_set_optimizer_state_f32(t.s, x, count, 3));
    x[count - 1] = 2.0f;
    H_OK(bp_mlp_set_optimizer_state_f32(t.s, x, count, 3));
    uint64_t step;
    float *back = get_state(&t, &count, &step);
    H_EXPECT(step == 3 && memcmp(back, x, count * sizeof *x) == 0, "float state not set");
    free(back);
    free(x);
    net_close(&t);
    free_problem(&q);
}

int run_optimizers_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_against_pytorch_narrow),
        cmocka_unit_test(test_against_pytorch_dense),
        cmocka_unit_test(test_regularization_against_pytorch_narrow),
        cmocka_unit_test(test_regularization_against_pytorch_dense),
        cmocka_unit_test(test_vector_passes_against_plain_loop),
        cmocka_unit_test(test_no_allocation_per_step),
        cmocka_unit_test(test_divergence_changes_nothing),
        cmocka_unit_test(test_overflow_is_reported),
        cmocka_unit_test(test_saved_state_resumes_exactly),
        cmocka_unit_test(test_plain_sgd_and_restart),
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_bad_hyperparameters_refused),
        cmocka_unit_test(test_bad_state_refused),
    };
    return cmocka_run_group_tests_name("optimizers", tests, NULL, NULL);
}
