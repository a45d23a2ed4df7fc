/*
 * test_reference.c — every fast path of the network engine checked against
 * the reference engine (reference/mlp_reference.c, selected by a context
 * created with BP_EXEC_REFERENCE), on randomised networks and data.
 *
 * Each path gets many random shapes, activations and losses (targets Y and
 * labels), and each shape runs on every kernel set — no context (the
 * default kernels, unfused updates), portable, AVX2 and AVX-512 contexts
 * (AVX-512 falls back to AVX2 where the CPU lacks it), 1 and 2 threads —
 * against one reference run. Compared: forward outputs, the loss, the
 * gradient (params layout) and dL/dX, the losses and parameters after
 * three train steps, after an epoch (bp_mlp_train_epoch) and after two
 * epochs (bp_mlp_train_epochs, with its snapshot).
 *
 * The paths, and what selects them (mlp_tmpl.h, dense.c, narrow_tmpl.h,
 * narrow_block_tmpl.h, narrow_online_tmpl.h):
 *   gemm          a layer wider than 8: the fused dense kernels over the
 *                 blocked GEMM; train steps with a context take the fused
 *                 update (W ← W − η·Aᵀ·dZ in the product), without one the
 *                 separate passes; in float, batches over 4096 rows leave
 *                 the fused update even with a context (gemm-4097)
 *   dense-direct  layers under 32 wide with tiny passes (n·n_in·n_out ≤ 200,
 *                 n_out = 1, or at most 16 weights): the direct loops
 *   narrow-chunk  every width ≤ 8, batches over 128 rows with a remainder
 *                 chunk, networks the register blocks do not take
 *   narrow-few    narrow batches of 2–16 rows (2–3: one sample at a time;
 *                 4–16: one short chunk, or register blocks), and forward /
 *                 gradient calls of ≤ 16 rows (plain loops over the workspace)
 *   narrow-block  ≤ 3 layers of ≤ 4 units, register-block activations and
 *                 losses, batches over one block of samples
 *   online        narrow networks trained one sample per step (batch 1),
 *                 outside the tiny register path
 *   online-tiny   batch 1 with every width ≤ 4, ≤ 3 layers, MSE or BCE on
 *                 logits, no tanh or softmax: the register path
 *
 * Tolerances. Both engines compute the same sums in other orders (blocked
 * GEMM tiles, SIMD lanes, chunked reductions), with or without FMA, and
 * the narrow engine's exp and log are within 2 ulp of the C library's.
 * Summed in two orders, K terms of mixed signs differ by about
 * u·√K·(their largest partial sums) — a random walk of roundings, u the
 * unit roundoff (2⁻⁵³ in double, 2⁻²⁴ in float) — which is of the order
 * of u·√K times the sum itself; and every layer of the forward or
 * backward pass adds its own difference to what it was given. So
 * differences are measured norm-wise — max |fast − ref| over an array (a
 * layer's block of the parameters) divided by the largest magnitude
 * there — and held to TOL_ULPS·u·(L + 1)·√K for an L-layer network, K the
 * longest sum of the computation (the rows of a batch, or the widest
 * layer): TOL_ULPS units of roundoff per layer and per √K. Training
 * compares the parameter updates p − p₀ (not p, whose magnitude would hide
 * them): each further step adds the previous steps' differences, so after
 * s steps the bound is s + 1 times that, plus the roundings of p itself
 * (update_ratio). A ReLU or leaky-ReLU
 * pre-activation within rounding of its kink may take the other branch in
 * one engine, an O(1) difference that no tolerance should absorb: such
 * cases (min |z| < KINK_ULPS·u·fan-in·max |Z| in the reference's batch)
 * skip the comparison they would spoil, and are counted.
 */
#include "harness.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every path draws its cases from SEED_BASE + its number; build with
 * -DSEED_BASE=... to draw others. */
#ifndef SEED_BASE
#define SEED_BASE 0x5EF0000
#endif
enum { TOL_ULPS = 32, KINK_ULPS = 16, CASES = 10, MAX_LAYERS = 5, STEPS = 3 };

/* The kernel sets every case runs on; threads 0: no context at all. */
static const struct {
    unsigned flags;
    size_t threads;
    const char *name;
} KSETS[] = {
    { 0, 0, "no context" },
    { BP_EXEC_PORTABLE, 1, "portable, 1 thread" },
    { BP_EXEC_PORTABLE, 2, "portable, 2 threads" },
    { BP_EXEC_AVX2, 1, "avx2, 1 thread" },
    { BP_EXEC_AVX2, 2, "avx2, 2 threads" },
    { BP_EXEC_AVX512, 1, "avx512, 1 thread" },
    { BP_EXEC_AVX512, 2, "avx512, 2 threads" },
};
enum { N_KSETS = sizeof KSETS / sizeof KSETS[0] };

/* ---- a network in either precision, with its data kept in double ----------- */

/* Float values round-trip through double exactly, so float runs keep their
 * parameters and data in double arrays and convert at each call. */
typedef struct tnet {
    int f32;
    bp_mlp *d;
    bp_mlp_f32 *s;
    size_t L, np, n_in, k;
    bp_layer_spec sp[MAX_LAYERS];
} tnet;

static float *to_f(const double *x, size_t n) {
    if (x == NULL) return NULL;
    float *f = malloc((n ? n : 1) * sizeof *f);
    assert_non_null(f);
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

static void from_f(const float *f, double *x, size_t n) {
    if (f != NULL && x != NULL)
        for (size_t i = 0; i < n; i++) x[i] = f[i];
}

static void tnet_make(tnet *t, int f32, size_t L, const bp_layer_spec *sp, bp_loss loss,
                      size_t max_rows, const bp_exec *ex) {
    memset(t, 0, sizeof *t);
    t->f32 = f32;
    t->L = L;
    memcpy(t->sp, sp, L * sizeof *sp);
    t->n_in = sp[0].n_in;
    t->k = sp[L - 1].n_out;
    if (f32) {
        H_OK(bp_mlp_create_f32(L, sp, loss, max_rows, &t->s));
        H_OK(bp_mlp_set_exec_f32(t->s, ex));
        H_OK(bp_mlp_parameter_count_f32(t->s, &t->np));
    } else {
        H_OK(bp_mlp_create(L, sp, loss, max_rows, &t->d));
        H_OK(bp_mlp_set_exec(t->d, ex));
        H_OK(bp_mlp_parameter_count(t->d, &t->np));
    }
}

static void tnet_free(tnet *t) {
    bp_mlp_free(t->d);
    bp_mlp_free_f32(t->s);
}

static bp_status t_forward(tnet *t, const double *p, size_t rows, const double *X, size_t ldx,
                           double *out) {
    if (!t->f32) return bp_mlp_forward(t->d, p, rows, X, ldx, out);
    float *pf = to_f(p, t->np), *Xf = to_f(X, rows * ldx), *of = to_f(out, rows * t->k);
    bp_status s = bp_mlp_forward_f32(t->s, pf, rows, Xf, ldx, of);
    from_f(of, out, rows * t->k);
    free(pf);
    free(Xf);
    free(of);
    return s;
}

static bp_status t_gradient(tnet *t, const double *p, size_t rows, const double *X, size_t ldx,
                            const double *Y, const size_t *lab, double *loss, double *grad,
                            double *dX) {
    if (!t->f32) return bp_mlp_gradient(t->d, p, rows, X, ldx, Y, lab, loss, grad, dX);
    float *pf = to_f(p, t->np), *Xf = to_f(X, rows * ldx), *Yf = to_f(Y, rows * t->k);
    float *gf = to_f(grad, t->np), *dXf = to_f(dX, rows * t->n_in);
    bp_status s = bp_mlp_gradient_f32(t->s, pf, rows, Xf, ldx, Yf, lab, loss, gf, dXf);
    from_f(gf, grad, t->np);
    from_f(dXf, dX, rows * t->n_in);
    free(pf);
    free(Xf);
    free(Yf);
    free(gf);
    free(dXf);
    return s;
}

/* X_all, Y_all: n rows. */
static bp_status t_step(tnet *t, double *p, size_t n, const double *X, size_t ldx, const double *Y,
                        const size_t *lab, const size_t *idx, size_t start, size_t rows, double lr,
                        double *loss, int *div) {
    if (!t->f32) return bp_mlp_train_step(t->d, p, X, ldx, Y, lab, idx, start, rows, lr, loss, div);
    float *pf = to_f(p, t->np), *Xf = to_f(X, n * ldx), *Yf = to_f(Y, n * t->k);
    bp_status s =
        bp_mlp_train_step_f32(t->s, pf, Xf, ldx, Yf, lab, idx, start, rows, lr, loss, div);
    from_f(pf, p, t->np);
    free(pf);
    free(Xf);
    free(Yf);
    return s;
}

static bp_status t_epoch(tnet *t, double *p, size_t n, const double *X, size_t ldx, const double *Y,
                         const size_t *lab, const size_t *idx, size_t batch, double lr,
                         double *loss, int *div) {
    if (!t->f32) return bp_mlp_train_epoch(t->d, p, X, ldx, Y, lab, idx, n, batch, lr, loss, div);
    float *pf = to_f(p, t->np), *Xf = to_f(X, n * ldx), *Yf = to_f(Y, n * t->k);
    bp_status s = bp_mlp_train_epoch_f32(t->s, pf, Xf, ldx, Yf, lab, idx, n, batch, lr, loss, div);
    from_f(pf, p, t->np);
    free(pf);
    free(Xf);
    free(Yf);
    return s;
}

static bp_status t_epochs(tnet *t, double *p, size_t n, const double *X, size_t ldx,
                          const double *Y, const size_t *lab, const size_t *orders, size_t batch,
                          size_t epochs, double lr, double *losses, double *snap, size_t *completed,
                          int *div) {
    if (!t->f32)
        return bp_mlp_train_epochs(t->d, p, X, ldx, Y, lab, orders, n, batch, epochs, lr, losses,
                                   snap, completed, div);
    float *pf = to_f(p, t->np), *Xf = to_f(X, n * ldx), *Yf = to_f(Y, n * t->k);
    float *sf = to_f(snap, t->np);
    bp_status s = bp_mlp_train_epochs_f32(t->s, pf, Xf, ldx, Yf, lab, orders, n, batch, epochs, lr,
                                          losses, sf, completed, div);
    from_f(pf, p, t->np);
    from_f(sf, snap, t->np);
    free(pf);
    free(Xf);
    free(Yf);
    free(sf);
    return s;
}

/* Whether the last forward pass (`rows` rows) kept every ReLU and leaky-ReLU
 * pre-activation clear of its kink: |z| ≥ KINK_ULPS·u·fan-in·max |Z_l|,
 * fan-in counting every input summed on the way up to layer l. */
static int t_clear_of_kinks(const tnet *t, size_t rows) {
    const double u = t->f32 ? 0x1p-24 : 0x1p-53;
    size_t fan_in = 0;
    for (size_t l = 0; l < t->L; l++) {
        const bp_layer_spec *s = &t->sp[l];
        fan_in += s->n_in + 1;
        if (s->act != BP_ACT_RELU && s->act != BP_ACT_LEAKY_RELU) continue;
        size_t count = rows * s->n_out;
        double most = 0.0, least = INFINITY;
        for (size_t i = 0; i < count; i++) {
            double z;
            if (t->f32) {
                const float *Z;
                H_OK(bp_mlp_preactivations_f32(t->s, l, &Z));
                z = fabs((double)Z[i]);
            } else {
                const double *Z;
                H_OK(bp_mlp_preactivations(t->d, l, &Z));
                z = fabs(Z[i]);
            }
            most = z > most ? z : most;
            least = z < least ? z : least;
        }
        if (least < KINK_ULPS * u * (double)fan_in * most) return 0;
    }
    return 1;
}

/* ---- comparisons ------------------------------------------------------------ */

/* max |x − y| / max(max |x|, max |y|): 0 when both are all zeros. */
static double rel_diff(const double *x, const double *y, size_t n) {
    double d = 0.0, m = 0.0;
    for (size_t i = 0; i < n; i++) {
        double e = fabs(x[i] - y[i]);
        d = e > d || isnan(e) ? e : d;
        m = fabs(x[i]) > m ? fabs(x[i]) : m;
        m = fabs(y[i]) > m ? fabs(y[i]) : m;
    }
    return d == 0.0 ? 0.0 : d / m;
}

/* rel_diff per layer block [W_l | b_l] of two parameter-layout vectors
 * (the largest); p0 not NULL: of the updates x − p0 and y − p0. */
static double rel_diff_layers(const tnet *t, const double *x, const double *y, const double *p0) {
    double worst = 0.0;
    size_t off = 0;
    for (size_t l = 0; l < t->L; l++) {
        size_t len = t->sp[l].n_in * t->sp[l].n_out + t->sp[l].n_out;
        double *dx = h_alloc(len), *dy = h_alloc(len);
        for (size_t i = 0; i < len; i++) {
            dx[i] = x[off + i] - (p0 ? p0[off + i] : 0.0);
            dy[i] = y[off + i] - (p0 ? p0[off + i] : 0.0);
        }
        double e = rel_diff(dx, dy, len);
        worst = e > worst || isnan(e) ? e : worst;
        free(dx);
        free(dy);
        off += len;
    }
    return worst;
}

/* How far apart two parameter updates x − p0 and y − p0 after `steps`
 * steps are, over what may separate them, the largest over the layer
 * blocks: (steps + 1)·tol·max |y − p0| — each step's gradients differ by
 * tol relative and add to what the previous steps left — plus the
 * roundings of the parameters themselves, steps·(2 + 2⌈batch/256⌉)·u·
 * max |y|: a step rounds each parameter once or twice (p − η·g with or
 * without FMA), and the fused update (bp_mlp.h) twice per k-block of the
 * product that forms it (256 rows in double, 512 in float), against
 * updates that can be a small fraction of the parameters. *raw receives
 * the plain norm-wise difference of the updates. */
static double update_ratio(const tnet *t, const double *x, const double *y, const double *p0,
                           double steps, double tol, size_t batch, double u, double *raw) {
    const double roundings = steps * (2.0 + 2.0 * (double)((batch + 255) / 256));
    double worst = 0.0;
    size_t off = 0;
    *raw = rel_diff_layers(t, x, y, p0);
    for (size_t l = 0; l < t->L; l++) {
        size_t len = t->sp[l].n_in * t->sp[l].n_out + t->sp[l].n_out;
        double d = 0.0, upd = 0.0, mag = 0.0;
        for (size_t i = off; i < off + len; i++) {
            double e = fabs(x[i] - y[i]);
            d = e > d || isnan(e) ? e : d;
            upd = fabs(y[i] - p0[i]) > upd ? fabs(y[i] - p0[i]) : upd;
            mag = fabs(y[i]) > mag ? fabs(y[i]) : mag;
        }
        double allowed = (steps + 1.0) * tol * upd + roundings * u * mag;
        double ratio = d == 0.0 ? 0.0 : d / allowed;
        worst = ratio > worst || isnan(ratio) ? ratio : worst;
        off += len;
    }
    return worst;
}

/* Largest discrepancies seen on one path and precision (relative, as
 * measured above), and the cases skipped at a kink. */
typedef struct path_stats {
    const char *name;
    double forward, loss, grad, train;
    double ratio; /* the largest difference over its tolerance */
    size_t cases, grad_skipped, train_skipped;
} path_stats;

static void note(double *worst, double e) {
    if (e > *worst || isnan(e)) *worst = e;
}

#define H_CLOSE(e, tol, what)                                                                      \
    note(&st->ratio, (e) / (tol));                                                                 \
    H_EXPECT((e) <= (tol), "%s %s: %s differs from the reference by %.3g (tolerance %.3g)",        \
             st->name, KSETS[ks].name, what, (e), (tol))

/* ---- the cases ---------------------------------------------------------------- */

typedef struct tcase {
    size_t L;
    bp_layer_spec sp[MAX_LAYERS];
    bp_loss loss;
    int labels;
    size_t n;         /* rows of data */
    size_t grad_rows; /* rows of the forward and gradient checks (≤ n) */
    size_t batch;     /* training batch (≤ n) */
} tcase;

static size_t between(h_rng *r, size_t lo, size_t hi) { return lo + h_below(r, hi - lo + 1); }

static const bp_activation ANY_ACT[] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_LEAKY_RELU,
                                         BP_ACT_SIGMOID,  BP_ACT_TANH, BP_ACT_SOFTMAX };
static const bp_activation SMOOTH_ACT[] = { BP_ACT_IDENTITY, BP_ACT_SIGMOID, BP_ACT_TANH,
                                            BP_ACT_SOFTMAX };
static const bp_activation BLOCK_ACT[] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_LEAKY_RELU,
                                           BP_ACT_SIGMOID };

/* Layers of widths in [lo, hi] (inputs in [in_lo, in_hi]), hidden
 * activations from `acts`, then the loss and the output activation it
 * needs (MSE: one of `acts`); categorical losses get at least 2 outputs. */
static void random_net(h_rng *r, tcase *c, size_t L, size_t in_lo, size_t in_hi, size_t lo,
                       size_t hi, const bp_activation *acts, size_t n_acts, const bp_loss *losses,
                       size_t n_losses) {
    c->L = L;
    c->loss = losses[h_below(r, n_losses)];
    for (size_t l = 0; l < L; l++) {
        c->sp[l].n_in = l == 0 ? between(r, in_lo, in_hi) : c->sp[l - 1].n_out;
        c->sp[l].n_out = between(r, lo, hi);
        c->sp[l].act = acts[h_below(r, n_acts)];
        c->sp[l].param = h_uniform(r, 0.01, 0.3);
    }
    bp_layer_spec *out = &c->sp[L - 1];
    int categorical = c->loss == BP_LOSS_CCE || c->loss == BP_LOSS_SOFTMAX_CCE;
    if (categorical && out->n_out < 2) out->n_out = 2;
    if (c->loss != BP_LOSS_MSE) out->act = categorical ? BP_ACT_SOFTMAX : BP_ACT_SIGMOID;
    c->labels = categorical && (h_next(r) & 1);
}

static const bp_loss ANY_LOSS[] = { BP_LOSS_MSE, BP_LOSS_BCE, BP_LOSS_BCE_LOGITS, BP_LOSS_CCE,
                                    BP_LOSS_SOFTMAX_CCE };
static const bp_loss BLOCK_LOSS[] = { BP_LOSS_MSE, BP_LOSS_BCE_LOGITS, BP_LOSS_SOFTMAX_CCE };
static const bp_loss TINY_LOSS[] = { BP_LOSS_MSE, BP_LOSS_BCE_LOGITS };
#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

enum path {
    GEMM,
    GEMM_4097,
    DENSE_DIRECT,
    NARROW_CHUNK,
    NARROW_FEW,
    NARROW_BLOCK,
    ONLINE,
    ONLINE_TINY,
    N_PATHS
};
static const char *const PATH_NAMES[N_PATHS] = { "gemm",         "gemm-4097",  "dense-direct",
                                                 "narrow-chunk", "narrow-few", "narrow-block",
                                                 "online",       "online-tiny" };

static int is_tiny(const tcase *c) {
    if (c->L > 3 || (c->loss != BP_LOSS_MSE && c->loss != BP_LOSS_BCE_LOGITS)) return 0;
    for (size_t l = 0; l < c->L; l++)
        if (c->sp[l].n_in > 4 || c->sp[l].n_out > 4 || c->sp[l].act == BP_ACT_SOFTMAX ||
            c->sp[l].act == BP_ACT_TANH)
            return 0;
    return 1;
}

static void make_case(h_rng *r, enum path path, tcase *c) {
    memset(c, 0, sizeof *c);
    switch (path) {
    case GEMM:
        random_net(r, c, between(r, 2, 4), 1, 20, 9, 48, ANY_ACT, N_OF(ANY_ACT), ANY_LOSS,
                   N_OF(ANY_LOSS));
        c->sp[c->L - 1].n_out =
            c->sp[c->L - 1].n_out > 12 ? between(r, 2, 12) : c->sp[c->L - 1].n_out;
        c->sp[c->L - 1].n_in = c->sp[c->L - 2].n_out;
        c->n = between(r, 40, 300);
        c->grad_rows = c->n;
        c->batch = between(r, 16, c->n < 64 ? c->n : 64);
        break;
    case GEMM_4097:
        /* no kinks: among 4097 rows some pre-activation would sit on one */
        random_net(r, c, 2, 1, 4, 9, 16, SMOOTH_ACT, N_OF(SMOOTH_ACT), ANY_LOSS, N_OF(ANY_LOSS));
        c->n = between(r, 4097, 4200);
        c->grad_rows = 300;
        c->batch = c->n - h_below(r, 4);
        break;
    case DENSE_DIRECT:
        random_net(r, c, between(r, 2, 3), 1, 6, 9, 20, ANY_ACT, N_OF(ANY_ACT), ANY_LOSS,
                   N_OF(ANY_LOSS));
        if (c->loss == BP_LOSS_MSE || c->loss == BP_LOSS_BCE || c->loss == BP_LOSS_BCE_LOGITS)
            c->sp[c->L - 1].n_out = between(r, 1, 2); /* n_out = 1: a direct forward pass */
        c->n = 64;
        c->grad_rows = between(r, 1, 8);
        c->batch = between(r, 1, 8);
        break;
    case NARROW_CHUNK:
        random_net(r, c, between(r, 2, 4), 1, 8, 1, 8, ANY_ACT, N_OF(ANY_ACT), ANY_LOSS,
                   N_OF(ANY_LOSS));
        c->sp[0].n_out = between(r, 5, 8); /* too wide for the register blocks */
        c->sp[1].n_in = c->sp[0].n_out;
        c->n = between(r, 260, 420);
        c->grad_rows = between(r, 17, 200);
        c->batch = between(r, 129, 255); /* a full chunk and a remainder */
        break;
    case NARROW_FEW:
        random_net(r, c, between(r, 1, 4), 1, 8, 1, 8, ANY_ACT, N_OF(ANY_ACT), ANY_LOSS,
                   N_OF(ANY_LOSS));
        c->n = 48;
        c->grad_rows = between(r, 1, 16);
        c->batch = between(r, 2, 16);
        break;
    case NARROW_BLOCK:
        random_net(r, c, between(r, 1, 3), 1, 4, 1, 4, BLOCK_ACT, N_OF(BLOCK_ACT), BLOCK_LOSS,
                   N_OF(BLOCK_LOSS));
        if (c->sp[c->L - 1].n_out > 4) c->sp[c->L - 1].n_out = 4;
        c->n = 320;
        c->grad_rows = between(r, 17, 64);
        c->batch = between(r, 17, 300); /* over one block in either precision */
        break;
    case ONLINE:
        do {
            random_net(r, c, between(r, 1, 4), 1, 8, 1, 8, ANY_ACT, N_OF(ANY_ACT), ANY_LOSS,
                       N_OF(ANY_LOSS));
        } while (is_tiny(c));
        c->n = between(r, 20, 60);
        c->grad_rows = between(r, 1, 20);
        c->batch = 1;
        break;
    case ONLINE_TINY:
        random_net(r, c, between(r, 1, 3), 1, 4, 1, 4, BLOCK_ACT, N_OF(BLOCK_ACT), TINY_LOSS,
                   N_OF(TINY_LOSS));
        c->n = between(r, 20, 60);
        c->grad_rows = between(r, 1, 20);
        c->batch = 1;
        break;
    default: break;
    }
}

/* A random order of 0 .. n into idx. */
static void shuffle(h_rng *r, size_t *idx, size_t n) {
    for (size_t i = 0; i < n; i++) idx[i] = i;
    for (size_t i = n; i > 1; i--) {
        size_t j = h_below(r, i), t = idx[i - 1];
        idx[i - 1] = idx[j];
        idx[j] = t;
    }
}

/* Everything one case computes: forward, gradient, three steps, an epoch,
 * two epochs. `ref` marks the reference run, whose training goes step by
 * step so that every step's pre-activations can be checked for kinks
 * (test_reference_training shows the reference's epochs are exactly its
 * steps). */
typedef struct results {
    double *out, loss, *grad, *dX;
    double step_loss[STEPS], *p_steps;
    double epoch_loss, *p_epoch;
    double epochs_loss[2], *p_epochs, *snapshot;
    int grad_clear, train_clear;
} results;

typedef struct data {
    size_t n, ldx;
    double *X, *Y, *p0;
    size_t *lab, *order, *orders;
    double lr;
} data;

static void results_alloc(results *res, const tnet *t, const tcase *c) {
    res->out = h_alloc(c->grad_rows * t->k);
    res->grad = h_alloc(t->np);
    res->dX = h_alloc(c->grad_rows * t->n_in);
    res->p_steps = h_alloc(t->np);
    res->p_epoch = h_alloc(t->np);
    res->p_epochs = h_alloc(t->np);
    res->snapshot = h_alloc(t->np);
}

static void results_free(results *res) {
    free(res->out);
    free(res->grad);
    free(res->dX);
    free(res->p_steps);
    free(res->p_epoch);
    free(res->p_epochs);
    free(res->snapshot);
}

/* The steps of one epoch over `order` (n rows, batches of `batch`) one
 * call at a time on the reference, checking kinks; its mean loss. */
static double ref_epoch_by_steps(tnet *t, double *p, const data *d, const tcase *c,
                                 const size_t *order, int *clear) {
    double total = 0.0;
    for (size_t start = 0; start < d->n; start += c->batch) {
        size_t rows = d->n - start < c->batch ? d->n - start : c->batch;
        double loss;
        int div = -1;
        H_OK(t_step(t, p, d->n, d->X, d->ldx, d->lab ? NULL : d->Y, d->lab, order, start, rows,
                    d->lr, &loss, &div));
        H_EXPECT(div == 0, "reference step diverged (%d)", div);
        *clear &= t_clear_of_kinks(t, rows);
        total += loss * (double)rows;
    }
    return total / (double)d->n;
}

static void compute(tnet *t, const tcase *c, const data *d, int ref, results *res) {
    const size_t np = t->np, gr = c->grad_rows;
    const double *Y = d->lab ? NULL : d->Y;
    /* the first grad_rows rows, through the order: gathered, ld kept */
    double *Xg = h_alloc(gr * d->ldx), *Yg = h_alloc(gr * t->k);
    size_t *Lg = malloc(gr * sizeof *Lg);
    assert_non_null(Lg);
    for (size_t i = 0; i < gr; i++) {
        size_t row = d->order[i];
        memcpy(Xg + i * d->ldx, d->X + row * d->ldx, d->ldx * sizeof *Xg);
        if (Y) memcpy(Yg + i * t->k, Y + row * t->k, t->k * sizeof *Yg);
        if (d->lab) Lg[i] = d->lab[row];
    }
    H_OK(t_forward(t, d->p0, gr, Xg, d->ldx, res->out));
    H_OK(t_gradient(t, d->p0, gr, Xg, d->ldx, Y ? Yg : NULL, d->lab ? Lg : NULL, &res->loss,
                    res->grad, res->dX));
    res->grad_clear = t_clear_of_kinks(t, gr);
    free(Xg);
    free(Yg);
    free(Lg);

    /* three steps on batches of the order, the last ones overlapping the first */
    res->train_clear = 1;
    memcpy(res->p_steps, d->p0, np * sizeof(double));
    for (size_t s = 0; s < STEPS; s++) {
        size_t start = s * c->batch % (d->n - c->batch + 1);
        int div = -1;
        H_OK(t_step(t, res->p_steps, d->n, d->X, d->ldx, Y, d->lab, d->order, start, c->batch,
                    d->lr, &res->step_loss[s], &div));
        H_EXPECT(div == 0, "step %zu diverged (%d)", s, div);
        if (ref) res->train_clear &= t_clear_of_kinks(t, c->batch);
    }

    memcpy(res->p_epoch, d->p0, np * sizeof(double));
    memcpy(res->p_epochs, d->p0, np * sizeof(double));
    if (ref) {
        res->epoch_loss = ref_epoch_by_steps(t, res->p_epoch, d, c, d->order, &res->train_clear);
        for (size_t e = 0; e < 2; e++) {
            if (e == 1) memcpy(res->snapshot, res->p_epochs, np * sizeof(double));
            res->epochs_loss[e] =
                ref_epoch_by_steps(t, res->p_epochs, d, c, d->orders + e * d->n, &res->train_clear);
        }
        return;
    }
    int div = -1;
    H_OK(t_epoch(t, res->p_epoch, d->n, d->X, d->ldx, Y, d->lab, d->order, c->batch, d->lr,
                 &res->epoch_loss, &div));
    H_EXPECT(div == 0, "epoch diverged (%d)", div);
    size_t completed = 0;
    div = -1;
    H_OK(t_epochs(t, res->p_epochs, d->n, d->X, d->ldx, Y, d->lab, d->orders, c->batch, 2, d->lr,
                  res->epochs_loss, res->snapshot, &completed, &div));
    H_EXPECT(div == 0 && completed == 2, "epochs: diverged %d, completed %zu", div, completed);
}

static double rel_scalar(double x, double y) {
    double m = fabs(x) > fabs(y) ? fabs(x) : fabs(y);
    return x == y ? 0.0 : fabs(x - y) / m;
}

/* One random case of a path, in one precision, on every kernel set. */
static void run_case(h_rng *r, path_stats *st, enum path path, int f32, bp_exec *const *execs,
                     const bp_exec *ref_exec) {
    tcase c;
    make_case(r, path, &c);
    data d;
    d.n = c.n;
    d.ldx = c.sp[0].n_in + h_below(r, 3);
    d.lr = h_uniform(r, 0.02, 0.1);
    const size_t k = c.sp[c.L - 1].n_out, max_rows = c.batch > c.grad_rows ? c.batch : c.grad_rows;
    /* padding NaN: an engine that reads it poisons its results */
    d.X = h_matrix(r, d.n, c.sp[0].n_in, d.ldx, -1.0, 1.0, h_nan());
    d.Y = h_alloc(d.n * k);
    d.lab = NULL;
    d.order = malloc(d.n * sizeof(size_t));
    d.orders = malloc(2 * d.n * sizeof(size_t));
    assert_non_null(d.order);
    assert_non_null(d.orders);
    shuffle(r, d.order, d.n);
    shuffle(r, d.orders, d.n);
    shuffle(r, d.orders + d.n, d.n);
    if (c.labels) {
        d.lab = malloc(d.n * sizeof(size_t));
        assert_non_null(d.lab);
        for (size_t i = 0; i < d.n; i++) d.lab[i] = h_below(r, k);
    } else if (c.loss == BP_LOSS_CCE || c.loss == BP_LOSS_SOFTMAX_CCE) {
        /* one-hot rows, or soft ones whose totals range over [0.5, 1]
         * (bp_loss.h's gradient s·Σy − y covers those) */
        int soft = h_next(r) & 1;
        for (size_t i = 0; i < d.n; i++) {
            double sum = 0.0, total = h_uniform(r, 0.5, 1.0);
            for (size_t j = 0; j < k; j++)
                sum += d.Y[i * k + j] = soft ? h_uniform(r, 0.0, 1.0) : 0.0;
            if (soft)
                for (size_t j = 0; j < k; j++) d.Y[i * k + j] *= total / sum;
            else d.Y[i * k + h_below(r, k)] = 1.0;
        }
    } else {
        double lo = c.loss == BP_LOSS_MSE ? -1.0 : 0.0;
        h_fill(r, d.Y, d.n * k, lo, 1.0);
    }
    tnet ref;
    tnet_make(&ref, f32, c.L, c.sp, c.loss, max_rows, ref_exec);
    d.p0 = h_alloc(ref.np);
    for (size_t l = 0, off = 0; l < c.L; l++) {
        size_t w = c.sp[l].n_in * c.sp[l].n_out;
        h_fill(r, d.p0 + off, w, -1.5 / sqrt((double)c.sp[l].n_in),
               1.5 / sqrt((double)c.sp[l].n_in));
        h_fill(r, d.p0 + off + w, c.sp[l].n_out, -0.5, 0.5);
        off += w + c.sp[l].n_out;
    }
    if (f32)
        for (size_t i = 0; i < ref.np; i++) d.p0[i] = (float)d.p0[i];
    if (f32)
        for (size_t i = 0; i < d.n * k; i++) d.Y[i] = (float)d.Y[i];

    results want;
    results_alloc(&want, &ref, &c);
    compute(&ref, &c, &d, 1, &want);

    const double u = f32 ? 0x1p-24 : 0x1p-53;
    /* the longest sums: over the rows of a batch, or the widest layer */
    size_t widest = 1;
    for (size_t l = 0; l < c.L; l++) {
        widest = c.sp[l].n_in > widest ? c.sp[l].n_in : widest;
        widest = c.sp[l].n_out > widest ? c.sp[l].n_out : widest;
    }
    const double base = TOL_ULPS * u * (double)(c.L + 1);
    const double tol = base * sqrt((double)(c.grad_rows > widest ? c.grad_rows : widest));
    const double tol_train = base * sqrt((double)(c.batch > widest ? c.batch : widest));
    st->cases++;
    st->grad_skipped += !want.grad_clear;
    st->train_skipped += !want.train_clear;
    for (size_t ks = 0; ks < N_KSETS; ks++) {
        tnet t;
        tnet_make(&t, f32, c.L, c.sp, c.loss, max_rows, execs[ks]);
        results got;
        results_alloc(&got, &t, &c);
        compute(&t, &c, &d, 0, &got);
        double e = rel_diff(got.out, want.out, c.grad_rows * k);
        note(&st->forward, e);
        H_CLOSE(e, tol, "forward");
        e = rel_scalar(got.loss, want.loss);
        note(&st->loss, e);
        H_CLOSE(e, tol, "loss");
        if (want.grad_clear) {
            e = rel_diff_layers(&t, got.grad, want.grad, NULL);
            note(&st->grad, e);
            H_CLOSE(e, tol, "gradient");
            e = rel_diff(got.dX, want.dX, c.grad_rows * c.sp[0].n_in);
            note(&st->grad, e);
            H_CLOSE(e, tol, "dL/dX");
        }
        if (want.train_clear) {
            for (size_t s = 0; s < STEPS; s++) {
                e = rel_scalar(got.step_loss[s], want.step_loss[s]);
                note(&st->loss, e);
                H_CLOSE(e, (double)(s + 1) * tol_train, "a step's loss");
            }
            const double s1 = (double)((d.n + c.batch - 1) / c.batch); /* steps per epoch */
            double raw;
            e = update_ratio(&t, got.p_steps, want.p_steps, d.p0, STEPS, tol_train, c.batch, u,
                             &raw);
            note(&st->train, raw / (STEPS + 1));
            H_CLOSE(e, 1.0, "the update of three steps (over its tolerance)");
            e = update_ratio(&t, got.p_epoch, want.p_epoch, d.p0, s1, tol_train, c.batch, u, &raw);
            note(&st->train, raw / (s1 + 1));
            H_CLOSE(e, 1.0, "the update of an epoch (over its tolerance)");
            e = update_ratio(&t, got.snapshot, want.snapshot, d.p0, s1, tol_train, c.batch, u,
                             &raw);
            H_CLOSE(e, 1.0, "the snapshot of the second epoch (over its tolerance)");
            e = update_ratio(&t, got.p_epochs, want.p_epochs, d.p0, 2 * s1, tol_train, c.batch, u,
                             &raw);
            note(&st->train, raw / (2 * s1 + 1));
            H_CLOSE(e, 1.0, "the update of two epochs (over its tolerance)");
            e = rel_scalar(got.epoch_loss, want.epoch_loss);
            note(&st->loss, e / s1);
            H_CLOSE(e, s1 * tol_train, "an epoch's loss");
            e = rel_scalar(got.epochs_loss[1], want.epochs_loss[1]);
            note(&st->loss, e / (2 * s1));
            H_CLOSE(e, 2 * s1 * tol_train, "the second epoch's loss");
        }
        results_free(&got);
        tnet_free(&t);
    }
    results_free(&want);
    tnet_free(&ref);
    free(d.X);
    free(d.Y);
    free(d.p0);
    free(d.lab);
    free(d.order);
    free(d.orders);
}

/* The contexts of KSETS (NULL for "no context") and the reference's. */
static void make_execs(bp_exec **execs, bp_exec **ref_exec) {
    for (size_t i = 0; i < N_KSETS; i++) {
        execs[i] = NULL;
        if (KSETS[i].threads > 0)
            H_OK(bp_exec_create_with(KSETS[i].threads, KSETS[i].flags, &execs[i]));
    }
    H_OK(bp_exec_create_with(1, BP_EXEC_REFERENCE, ref_exec));
}

static void free_execs(bp_exec **execs, bp_exec *ref_exec) {
    for (size_t i = 0; i < N_KSETS; i++) bp_exec_free(execs[i]);
    bp_exec_free(ref_exec);
}

static void run_path(enum path path, uint64_t seed) {
    bp_exec *execs[N_KSETS], *ref_exec;
    make_execs(execs, &ref_exec);
    h_rng r;
    h_seed(&r, seed);
    for (int f32 = 0; f32 <= 1; f32++) {
        path_stats st = { PATH_NAMES[path], 0, 0, 0, 0, 0, 0, 0, 0 };
        size_t cases = path == GEMM_4097 ? 3 : CASES;
        for (size_t i = 0; i < cases; i++) run_case(&r, &st, path, f32, execs, ref_exec);
        print_message("reference %-12s %s: %zu cases × %d kernel sets; largest differences "
                      "forward %.2g, loss %.2g, gradient %.2g, training %.2g per step, "
                      "%.2g of the tolerance (skipped at a kink: %zu gradient, %zu training)\n",
                      st.name, f32 ? "float " : "double", st.cases, (int)N_KSETS, st.forward,
                      st.loss, st.grad, st.train, st.ratio, st.grad_skipped, st.train_skipped);
        /* a kink skip is rare; most cases must be compared in full */
        H_EXPECT(2 * st.train_skipped <= st.cases, "%zu of %zu cases skipped", st.train_skipped,
                 st.cases);
    }
    free_execs(execs, ref_exec);
}

static void test_path_gemm(void **state) {
    (void)state;
    run_path(GEMM, SEED_BASE + 0x1);
}
static void test_path_gemm_4097(void **state) {
    (void)state;
    run_path(GEMM_4097, SEED_BASE + 0x2);
}
static void test_path_dense_direct(void **state) {
    (void)state;
    run_path(DENSE_DIRECT, SEED_BASE + 0x3);
}
static void test_path_narrow_chunk(void **state) {
    (void)state;
    run_path(NARROW_CHUNK, SEED_BASE + 0x4);
}
static void test_path_narrow_few(void **state) {
    (void)state;
    run_path(NARROW_FEW, SEED_BASE + 0x5);
}
static void test_path_narrow_block(void **state) {
    (void)state;
    run_path(NARROW_BLOCK, SEED_BASE + 0x6);
}
static void test_path_online(void **state) {
    (void)state;
    run_path(ONLINE, SEED_BASE + 0x7);
}
static void test_path_online_tiny(void **state) {
    (void)state;
    run_path(ONLINE_TINY, SEED_BASE + 0x8);
}

/* ---- the reference engine itself -------------------------------------------- */

/* The context: its name, its GEMM (bp_dgemm_reference's bits, also through
 * the dense layers' path) and its thread count changing nothing. */
static void test_reference_context(void **state) {
    (void)state;
    bp_exec *ex, *ex2;
    H_OK(bp_exec_create_with(1, BP_EXEC_REFERENCE, &ex));
    H_OK(bp_exec_create_with(2, BP_EXEC_REFERENCE | BP_EXEC_AVX512, &ex2));
    H_EXPECT(!strcmp(bp_exec_kernel_name(ex), "reference"), "name %s", bp_exec_kernel_name(ex));
    H_EXPECT(!strcmp(bp_exec_kernel_name(ex2), "reference"), "BP_EXEC_REFERENCE must win");
    h_rng r;
    h_seed(&r, 0x5EF0100);
    const size_t m = 37, n = 29, kk = 300; /* more than one k-block of the blocked GEMM */
    double *A = h_matrix(&r, kk, m, m, -1, 1, 0), *B = h_matrix(&r, kk, n, n, -1, 1, 0);
    double *C = h_matrix(&r, m, n, n, -1, 1, 0), *C2 = h_copy(C, m * n), *C3 = h_copy(C, m * n);
    H_OK(bp_dgemm_exec(ex, BP_TRANS, BP_NO_TRANS, m, n, kk, 0.5, A, m, B, n, 0.25, C, n));
    H_OK(bp_dgemm_exec(ex2, BP_TRANS, BP_NO_TRANS, m, n, kk, 0.5, A, m, B, n, 0.25, C2, n));
    H_OK(bp_dgemm_reference(BP_TRANS, BP_NO_TRANS, m, n, kk, 0.5, A, m, B, n, 0.25, C3, n));
    H_EXPECT(h_same_bits(C, C3, m * n) && h_same_bits(C2, C3, m * n),
             "a reference context's GEMM is not bp_dgemm_reference");
    float *Af = to_f(A, kk * m), *Bf = to_f(B, kk * n), *Cf = to_f(C3, m * n),
          *Cf2 = to_f(C3, m * n);
    H_OK(bp_sgemm_exec(ex2, BP_TRANS, BP_NO_TRANS, m, n, kk, 0.5f, Af, m, Bf, n, 0.25f, Cf, n));
    H_OK(bp_sgemm_reference(BP_TRANS, BP_NO_TRANS, m, n, kk, 0.5f, Af, m, Bf, n, 0.25f, Cf2, n));
    H_EXPECT(memcmp(Cf, Cf2, m * n * sizeof(float)) == 0, "float GEMM is not bp_sgemm_reference");

    /* a dense layer through the context: the reference product plus the epilogue */
    double *W = h_matrix(&r, kk, n, n, -0.1, 0.1, 0), *b = h_matrix(&r, 1, n, n, -1, 1, 0);
    double *Z = h_alloc(m * n), *Act = h_alloc(m * n), *Zr = h_alloc(m * n);
    double *X = h_matrix(&r, m, kk, kk, -1, 1, 0);
    H_OK(bp_dense_forward(ex2, BP_ACT_TANH, 0.0, m, kk, n, X, kk, W, n, b, Z, Act));
    H_OK(bp_dgemm_reference(BP_NO_TRANS, BP_NO_TRANS, m, n, kk, 1.0, X, kk, W, n, 0.0, Zr, n));
    int same = 1;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) same &= Z[i * n + j] == Zr[i * n + j] + b[j];
    H_EXPECT(same, "a dense layer through a reference context");

    /* 1 and 2 threads: the same bits (the reference runs on one) */
    bp_layer_spec sp[2] = { { 5, 40, BP_ACT_RELU, 0 }, { 40, 3, BP_ACT_SOFTMAX, 0 } };
    tnet t1, t2;
    tnet_make(&t1, 0, 2, sp, BP_LOSS_SOFTMAX_CCE, 200, ex);
    tnet_make(&t2, 0, 2, sp, BP_LOSS_SOFTMAX_CCE, 200, ex2);
    double *p = h_matrix(&r, 1, t1.np, t1.np, -0.3, 0.3, 0), *p2 = h_copy(p, t1.np);
    double *Xd = h_matrix(&r, 200, 5, 5, -1, 1, 0);
    size_t lab[200];
    for (size_t i = 0; i < 200; i++) lab[i] = h_below(&r, 3);
    double l1, l2;
    int d1, d2;
    H_OK(t_epoch(&t1, p, 200, Xd, 5, NULL, lab, NULL, 50, 0.1, &l1, &d1));
    H_OK(t_epoch(&t2, p2, 200, Xd, 5, NULL, lab, NULL, 50, 0.1, &l2, &d2));
    H_EXPECT(h_same_bits(p, p2, t1.np) && l1 == l2 && d1 == 0 && d2 == 0,
             "1 and 2 threads differ on the reference");
    tnet_free(&t1);
    tnet_free(&t2);
    free(A);
    free(B);
    free(C);
    free(C2);
    free(C3);
    free(Af);
    free(Bf);
    free(Cf);
    free(Cf2);
    free(W);
    free(b);
    free(Z);
    free(Act);
    free(Zr);
    free(X);
    free(p);
    free(p2);
    free(Xd);
    bp_exec_free(ex);
    bp_exec_free(ex2);
}

/* The reference's training calls: an epoch is exactly its steps, two epochs
 * exactly two epochs (snapshot included), and divergence is reported as
 * bp_mlp_train_step reports it, with the same statuses for bad arguments. */
static void test_reference_training(void **state) {
    (void)state;
    bp_exec *ex;
    H_OK(bp_exec_create_with(1, BP_EXEC_REFERENCE, &ex));
    h_rng r;
    h_seed(&r, 0x5EF0200);
    for (int f32 = 0; f32 <= 1; f32++) {
        bp_layer_spec sp[3] = { { 3, 12, BP_ACT_TANH, 0 },
                                { 12, 6, BP_ACT_LEAKY_RELU, 0.1 },
                                { 6, 2, BP_ACT_SIGMOID, 0 } };
        tnet t, fast;
        tnet_make(&t, f32, 3, sp, BP_LOSS_BCE_LOGITS, 32, ex);
        tnet_make(&fast, f32, 3, sp, BP_LOSS_BCE_LOGITS, 32, NULL);
        const size_t n = 70, batch = 32, np = t.np;
        double *X = h_matrix(&r, n, 3, 3, -1, 1, 0), *Y = h_alloc(n * 2);
        h_fill(&r, Y, n * 2, 0, 1);
        double *p0 = h_alloc(np);
        h_fill(&r, p0, np, -0.5, 0.5);
        if (f32)
            for (size_t i = 0; i < np; i++) p0[i] = (float)p0[i];
        size_t orders[2 * 70];
        shuffle(&r, orders, n);
        shuffle(&r, orders + n, n);

        double *a = h_copy(p0, np), *b = h_copy(p0, np), *snap = h_alloc(np);
        double total = 0.0, loss, losses[2];
        int div;
        for (size_t s = 0; s < n; s += batch) {
            size_t rows = n - s < batch ? n - s : batch;
            H_OK(t_step(&t, a, n, X, 3, Y, NULL, orders, s, rows, 0.5, &loss, &div));
            total += loss * (double)rows;
        }
        H_OK(t_epoch(&t, b, n, X, 3, Y, NULL, orders, batch, 0.5, &loss, &div));
        H_EXPECT(h_same_bits(a, b, np) && loss == total / (double)n && div == 0,
                 "an epoch is not its steps");
        double first = loss;
        H_OK(t_epoch(&t, a, n, X, 3, Y, NULL, orders + n, batch, 0.5, &loss, &div));
        memcpy(b, p0, np * sizeof(double));
        size_t completed = 0;
        H_OK(t_epochs(&t, b, n, X, 3, Y, NULL, orders, batch, 2, 0.5, losses, snap, &completed,
                      &div));
        H_EXPECT(h_same_bits(a, b, np) && completed == 2 && div == 0 && losses[0] == first &&
                     losses[1] == loss,
                 "two epochs are not two epochs");

        /* a loss that is not finite (a NaN target): nothing changes, diverged 1 */
        double *Ybad = h_copy(Y, n * 2);
        Ybad[2 * 5] = h_nan();
        memcpy(a, p0, np * sizeof(double));
        memcpy(b, p0, np * sizeof(double));
        int fdiv;
        H_OK(t_step(&t, a, n, X, 3, Ybad, NULL, NULL, 0, 20, 0.5, &loss, &div));
        H_OK(t_step(&fast, b, n, X, 3, Ybad, NULL, NULL, 0, 20, 0.5, &loss, &fdiv));
        H_EXPECT(div == 1 && fdiv == 1, "non-finite loss: diverged %d, fast %d", div, fdiv);
        H_EXPECT(h_same_bits(a, p0, np), "a diverged step changed the parameters");
        /* an update that overflows: diverged 2, the step applied (MSE on
         * inputs of 1e3 against zero targets: gradients near 1e4) */
        {
            bp_layer_spec one[1] = { { 3, 2, BP_ACT_IDENTITY, 0 } };
            tnet o, ofast;
            tnet_make(&o, f32, 1, one, BP_LOSS_MSE, 32, ex);
            tnet_make(&ofast, f32, 1, one, BP_LOSS_MSE, 32, NULL);
            double *Xo = h_matrix(&r, n, 3, 3, 500, 1000, 0), *Yo = h_alloc_fill(n * 2, 0.0);
            double po[8], pf[8], ps[8];
            for (size_t i = 0; i < 8; i++) po[i] = pf[i] = 0.5;
            const double huge = f32 ? 1e36 : 1e306;
            H_OK(t_step(&o, po, n, Xo, 3, Yo, NULL, NULL, 0, 20, huge, &loss, &div));
            H_OK(t_step(&ofast, pf, n, Xo, 3, Yo, NULL, NULL, 0, 20, huge, &loss, &fdiv));
            H_EXPECT(div == 2 && fdiv == 2, "overflowing update: diverged %d, fast %d", div, fdiv);
            /* epochs stop at the diverging epoch, its loss not written */
            for (size_t i = 0; i < 8; i++) po[i] = 0.5;
            losses[0] = losses[1] = -1.0;
            H_OK(t_epochs(&o, po, n, Xo, 3, Yo, NULL, NULL, batch, 2, huge, losses, ps, &completed,
                          &div));
            H_EXPECT(div == 2 && completed == 0 && losses[0] == -1.0 && ps[0] == 0.5,
                     "diverging epochs: diverged %d, completed %zu", div, completed);
            tnet_free(&o);
            tnet_free(&ofast);
            free(Xo);
            free(Yo);
        }

        /* bad arguments: the same statuses as the fast engine */
        size_t bad_lab[1] = { 7 };
        const double *pp = p0;
        H_STATUS(BP_ERR_BAD_VALUE, t_step(&t, a, n, X, 3, Y, NULL, NULL, 0, 33, 0.1, &loss, &div));
        H_STATUS(BP_ERR_BAD_VALUE, t_step(&t, a, n, X, 3, Y, NULL, NULL, 0, 3, NAN, &loss, &div));
        H_STATUS(BP_ERR_BAD_ENUM, t_gradient(&t, pp, 1, X, 3, NULL, bad_lab, &loss, NULL, NULL));
        H_STATUS(BP_ERR_LEADING_DIMENSION, t_forward(&t, pp, 2, X, 2, NULL));
        H_STATUS(BP_ERR_ZERO_SIZE, t_forward(&t, pp, 0, X, 3, NULL));
        H_STATUS(BP_ERR_NULL_POINTER, t_gradient(&t, pp, 2, X, 3, Y, NULL, NULL, NULL, NULL));
        if (!f32) {
            H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_backward(t.d, pp, 2, X, 3, NULL, a, NULL));
            H_STATUS(BP_ERR_ZERO_SIZE, bp_mlp_train_epochs(t.d, a, X, 3, Y, NULL, NULL, n, batch, 0,
                                                           0.1, losses, NULL, &completed, &div));
        }
        tnet_free(&t);
        tnet_free(&fast);
        free(X);
        free(Y);
        free(p0);
        free(a);
        free(b);
        free(snap);
        free(Ybad);
    }
    bp_exec_free(ex);
}

/* backward with a caller's dL/dA, and the pre-activations it leaves: both
 * engines, on a network of every activation. */
static void test_reference_backward(void **state) {
    (void)state;
    bp_exec *ex;
    H_OK(bp_exec_create_with(1, BP_EXEC_REFERENCE, &ex));
    h_rng r;
    h_seed(&r, 0x5EF0300);
    bp_layer_spec sp[5] = { { 4, 20, BP_ACT_SIGMOID, 0 },
                            { 20, 11, BP_ACT_TANH, 0 },
                            { 11, 9, BP_ACT_SOFTMAX, 0 },
                            { 9, 10, BP_ACT_LEAKY_RELU, 0.2 },
                            { 10, 3, BP_ACT_IDENTITY, 0 } };
    bp_mlp *ref, *fast;
    H_OK(bp_mlp_create(5, sp, BP_LOSS_MSE, 50, &ref));
    H_OK(bp_mlp_create(5, sp, BP_LOSS_MSE, 50, &fast));
    H_OK(bp_mlp_set_exec(ref, ex));
    size_t np;
    H_OK(bp_mlp_parameter_count(ref, &np));
    double *p = h_alloc(np), *X = h_matrix(&r, 50, 4, 4, -1, 1, 0), *dA = h_alloc(150);
    h_fill(&r, p, np, -0.4, 0.4);
    h_fill(&r, dA, 150, -1, 1);
    double *g1 = h_alloc(np), *g2 = h_alloc(np), *dx1 = h_alloc(200), *dx2 = h_alloc(200);
    H_OK(bp_mlp_backward(ref, p, 50, X, 4, dA, g1, dx1));
    H_OK(bp_mlp_backward(fast, p, 50, X, 4, dA, g2, dx2));
    const double tol = TOL_ULPS * 0x1p-53 * 6;
    tnet t = { 0, ref, NULL, 5, np, 4, 3, { sp[0], sp[1], sp[2], sp[3], sp[4] } };
    double e = rel_diff_layers(&t, g1, g2, NULL);
    H_EXPECT(e <= tol, "backward: gradient differs by %.3g", e);
    e = rel_diff(dx1, dx2, 200);
    H_EXPECT(e <= tol, "backward: dX differs by %.3g", e);
    for (size_t l = 0; l < 5; l++) {
        const double *z1, *z2;
        H_OK(bp_mlp_preactivations(ref, l, &z1));
        H_OK(bp_mlp_preactivations(fast, l, &z2));
        e = rel_diff(z1, z2, 50 * sp[l].n_out);
        H_EXPECT(e <= tol, "pre-activations of layer %zu differ by %.3g", l, e);
    }
    bp_mlp_free(ref);
    bp_mlp_free(fast);
    free(p);
    free(X);
    free(dA);
    free(g1);
    free(g2);
    free(dx1);
    free(dx2);
    bp_exec_free(ex);
}

int run_reference_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_context),  cmocka_unit_test(test_reference_training),
        cmocka_unit_test(test_reference_backward), cmocka_unit_test(test_path_gemm),
        cmocka_unit_test(test_path_gemm_4097),     cmocka_unit_test(test_path_dense_direct),
        cmocka_unit_test(test_path_narrow_chunk),  cmocka_unit_test(test_path_narrow_few),
        cmocka_unit_test(test_path_narrow_block),  cmocka_unit_test(test_path_online),
        cmocka_unit_test(test_path_online_tiny),
    };
    return cmocka_run_group_tests_name("reference", tests, NULL, NULL);
}
