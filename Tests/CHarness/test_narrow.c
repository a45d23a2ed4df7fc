/*
 * test_narrow.c — the narrow-network engine (CKernels/narrow/), which
 * bp_mlp_train_step and the epoch calls hand the networks whose every width
 * is at most 8. It is a second implementation of the training step, with
 * arithmetic of its own (feature-major chunks, register blocks, vexp.h's
 * exp and log), so it is held to bp_mlp_gradient, which runs the dense
 * kernels (test_mlp.c holds those to the kernel composition):
 *
 *  - one step for every activation (softmax also as a hidden layer) and
 *    every loss, dense targets and labels, batch sizes from 1 to 150 (one-row
 *    batches run the engine's online path, tiny networks its register path),
 *    rows in order and permuted; and its portable, AVX2 and default
 *    (AVX-512 where present) builds against each other;
 *  - a softmax probability that underflows under its label: the loss by
 *    log-sum-exp, not −log 0;
 *  - its single-precision build against the double gradient;
 *  - 60 online steps in a row against 60 steps of bp_mlp_gradient, double
 *    and float.
 *
 * The networks (NARROW_NETS) are defined here; test_training.c trains them
 * too, through the epoch calls.
 */
#include "mlp_support.h"

#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/*
 * Networks whose widths are all ≤ 8 train through the narrow engine
 * (narrow_tmpl.h: chunks of 128 samples, feature-major, loops across
 * samples; batches under 4 rows one sample at a time), while
 * bp_mlp_gradient still runs the dense kernels (or, for ≤ 16 rows, the
 * direct loops): two independent computations of the same gradient. With
 * lr = 1 a step leaves p0 − g, so (p0 − p1) recovers the step's gradient to
 * within an ulp of |p0| (~2e−16 here).
 *
 * Tolerance 1e−12 of max|g| (norm-wise) for the gradient and 1e−13 for the
 * loss: the two differ in summation order (lanes of 8 and chunks of 128
 * against the GEMM's blocking), in exp and log (vexp.h is within 2 ulp of
 * libm) and in the sigmoid derivative (e/(1 + e)² against σ·(1 − σ), up to
 * ~60 ulp apart for z < 4), each a few 1e−15 of the gradient's scale at these
 * sizes. A wrong delta, a missing row or a mis-scaled loss is off by far more.
 *
 * Every activation (softmax also as a hidden layer) and every loss, dense
 * targets and labels, rows that exercise one-sample batches (1–3), partial
 * chunks (17, 64, 65, 129, 150) and an exact one (128), contiguous and
 * permuted rows;
 * and the portable, AVX2 and default (AVX-512 where present) builds of the
 * engine against each other, through bp_exec contexts.
 */
const net_cfg NARROW_NETS[] = {
    { "narrow 2-4-3-1 relu/relu/sigmoid BCE_LOGITS",
      3,
      { L_(2, 4, BP_ACT_RELU), L_(4, 3, BP_ACT_RELU), L_(3, 1, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
    { "narrow 2-3-3 sigmoid/softmax SOFTMAX_CCE labels",
      2,
      { L_(2, 3, BP_ACT_SIGMOID), L_(3, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      1 },
    { "narrow 2-2-2-2 sigmoid MSE",
      3,
      { L_(2, 2, BP_ACT_SIGMOID), L_(2, 2, BP_ACT_SIGMOID), L_(2, 2, BP_ACT_SIGMOID) },
      BP_LOSS_MSE,
      0 },
    { "narrow 3-5-4 tanh/softmax SOFTMAX_CCE dense",
      2,
      { L_(3, 5, BP_ACT_TANH), L_(5, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      0 },
    { "narrow 4-6-3 leaky/identity MSE",
      2,
      { LEAKY_(4, 6), L_(6, 3, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "narrow 3-8-5 sigmoid/sigmoid BCE",
      2,
      { L_(3, 8, BP_ACT_SIGMOID), L_(8, 5, BP_ACT_SIGMOID) },
      BP_LOSS_BCE,
      0 },
    { "narrow 5-7-4 relu/softmax CCE labels",
      2,
      { L_(5, 7, BP_ACT_RELU), L_(7, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_CCE,
      1 },
    { "narrow 4-5-3 tanh/softmax CCE dense",
      2,
      { L_(4, 5, BP_ACT_TANH), L_(5, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_CCE,
      0 },
    { "narrow 3-4-2 softmax/sigmoid BCE_LOGITS",
      2,
      { L_(3, 4, BP_ACT_SOFTMAX), L_(4, 2, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
    { "narrow 8-8-8-8 tanh/leaky/identity MSE",
      3,
      { L_(8, 8, BP_ACT_TANH), LEAKY_(8, 8), L_(8, 8, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    /* online steps of these take the register path (narrow_online_tiny_tmpl.h),
     * padded to widths 4, 2, 4, 2 and 4: padded sigmoid units too */
    { "narrow 3-1-4 sigmoid/relu MSE",
      2,
      { L_(3, 1, BP_ACT_SIGMOID), L_(1, 4, BP_ACT_RELU) },
      BP_LOSS_MSE,
      0 },
    { "narrow 2-1-1 sigmoid/sigmoid MSE",
      2,
      { L_(2, 1, BP_ACT_SIGMOID), L_(1, 1, BP_ACT_SIGMOID) },
      BP_LOSS_MSE,
      0 },
    { "narrow 1-3-2-1 leaky/sigmoid/identity MSE",
      3,
      { LEAKY_(1, 3), L_(3, 2, BP_ACT_SIGMOID), L_(2, 1, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "narrow 2-2-1 sigmoid/sigmoid BCE_LOGITS",
      2,
      { L_(2, 2, BP_ACT_SIGMOID), L_(2, 1, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
    { "narrow 3-4-2 relu/sigmoid BCE_LOGITS",
      2,
      { L_(3, 4, BP_ACT_RELU), L_(4, 2, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
    /* batches of more than one block of every network above at most four
     * wide (2-4-3-1, 2-3-3, 2-2-2-2, 3-1-4, 2-1-1, 1-3-2-1, 2-2-1, 3-4-2)
     * and of these take the register blocks (narrow_block_tmpl.h): padded
     * to widths 2, 3 and 4 — padded softmax, identity and sigmoid outputs —
     * one to three layers */
    { "narrow 2-4-4 relu/softmax SOFTMAX_CCE dense",
      2,
      { L_(2, 4, BP_ACT_RELU), L_(4, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      0 },
    { "narrow 3-2 softmax SOFTMAX_CCE labels",
      1,
      { L_(3, 2, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      1 },
    { "narrow 4-4-4-3 sigmoid/sigmoid/softmax SOFTMAX_CCE labels",
      3,
      { L_(4, 4, BP_ACT_SIGMOID), L_(4, 4, BP_ACT_SIGMOID), L_(4, 3, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      1 },
    { "narrow 2-4-2 leaky/identity MSE",
      2,
      { LEAKY_(2, 4), L_(4, 2, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "narrow 3-3-2 sigmoid/sigmoid MSE",
      2,
      { L_(3, 3, BP_ACT_SIGMOID), L_(3, 2, BP_ACT_SIGMOID) },
      BP_LOSS_MSE,
      0 },
};
const size_t N_NARROW_NETS = sizeof NARROW_NETS / sizeof NARROW_NETS[0];

#define NARROW_GRAD_TOL 1e-12
#define NARROW_LOSS_TOL 1e-13

/* One lr = 1 step through `ex` on rows[start .. start+rows) (through a
 * permutation when perm != NULL); the new parameters into p1, the loss out. */
static void narrow_step(const net_cfg *c, bp_mlp *m, const bp_exec *ex, const batch *all,
                        const size_t *perm, size_t start, size_t rows, const double *p0, double *p1,
                        size_t n, double *loss) {
    memcpy(p1, p0, n * sizeof *p1);
    int d = -1;
    H_OK(bp_mlp_set_exec(m, ex));
    H_OK(bp_mlp_train_step(m, p1, all->X, all->ldx, targets_Y(c, all), targets_lab(c, all), perm,
                           start, rows, 1.0, loss, &d));
    H_EXPECT(d == 0, "%s, %zu rows: diverged = %d", c->name, rows, d);
}

static void check_narrow(const net_cfg *c, uint64_t seed) {
    static const size_t ROWS[] = { 1, 2, 3, 4, 17, 64, 65, 128, 129, 150 };
    const size_t N = 160, ni = n_in0(c), k = n_out_last(c);
    h_rng r;
    h_seed(&r, seed);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni + 1, &all);
    double *p0 = h_alloc(o.total), *p1 = h_alloc(o.total), *q = h_alloc(o.total);
    double *g = h_alloc(o.total), *step = h_alloc(o.total);
    double *Xc = h_alloc(N * ni), *Yc = h_alloc(N * k);
    size_t *labc = malloc(N * sizeof *labc), perm[160];
    for (size_t i = 0; i < N; i++) perm[i] = (i * 97 + 13) % N; /* a fixed permutation */
    /* the same batch with X dense (leading dimension n_in): rows in order
     * then take the engines' strided gathers instead of the row-by-row one */
    batch dense = all;
    dense.ldx = ni;
    dense.X = h_alloc(N * ni);
    for (size_t i = 0; i < N; i++)
        memcpy(dense.X + i * ni, all.X + i * all.ldx, ni * sizeof *dense.X);
    fill_params(&r, c, &o, p0);
    bp_mlp *m = create(c, N);
    bp_exec *portable = NULL, *avx2 = NULL;
    H_OK(bp_exec_create_with(1, BP_EXEC_PORTABLE, &portable));
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX2, &avx2));
    for (size_t t = 0; t < sizeof ROWS / sizeof ROWS[0]; t++)
        for (int permuted = 0; permuted < 2; permuted++) {
            size_t rows = ROWS[t], start = permuted ? 5 : N - rows;
            /* the reference: bp_mlp_gradient on the same rows, copied */
            for (size_t i = 0; i < rows; i++) {
                size_t src = permuted ? perm[start + i] : start + i;
                memcpy(Xc + i * ni, all.X + src * all.ldx, ni * sizeof *Xc);
                memcpy(Yc + i * k, all.Y + src * k, k * sizeof *Yc);
                labc[i] = all.lab[src];
            }
            double Lg = h_nan(), Ls = h_nan();
            H_OK(bp_mlp_set_exec(m, NULL));
            H_OK(bp_mlp_gradient(m, p0, rows, Xc, ni, c->labels ? NULL : Yc,
                                 c->labels ? labc : NULL, &Lg, g, NULL));
            narrow_step(c, m, NULL, &all, permuted ? perm : NULL, start, rows, p0, p1, o.total,
                        &Ls);
            for (size_t i = 0; i < o.total; i++) step[i] = p0[i] - p1[i];
            double scale = h_max_abs(g, o.total);
            H_EXPECT(scale > 1e-6, "%s, %zu rows: gradient (nearly) zero", c->name, rows);
            double e = rel_err(step, g, o.total);
            H_EXPECT(e <= NARROW_GRAD_TOL,
                     "%s, %zu rows%s: step gradient differs from "
                     "bp_mlp_gradient by %.3g of max|g| = %.3g",
                     c->name, rows, permuted ? " (permuted)" : "", e, scale);
            H_EXPECT(fabs(Ls - Lg) <= NARROW_LOSS_TOL * fabs(Lg),
                     "%s, %zu rows: step loss "
                     "%.17g, bp_mlp_gradient's %.17g",
                     c->name, rows, Ls, Lg);
            /* the other builds of the engine agree with the default one */
            const bp_exec *others[2] = { portable, avx2 };
            for (int x = 0; x < 2; x++) {
                double Lx = h_nan();
                narrow_step(c, m, others[x], &all, permuted ? perm : NULL, start, rows, p0, q,
                            o.total, &Lx);
                for (size_t i = 0; i < o.total; i++) q[i] = p0[i] - q[i];
                double ex = rel_err(q, step, o.total);
                H_EXPECT(ex <= NARROW_GRAD_TOL && fabs(Lx - Ls) <= NARROW_LOSS_TOL * fabs(Ls),
                         "%s, %zu rows: the %s build differs from the default one by %.3g "
                         "(gradient), losses %.17g and %.17g",
                         c->name, rows, x == 0 ? "portable" : "AVX2", ex, Lx, Ls);
            }
            if (!permuted) { /* the gather changes no bit */
                double Ld = h_nan();
                narrow_step(c, m, NULL, &dense, NULL, start, rows, p0, q, o.total, &Ld);
                for (size_t i = 0; i < o.total; i++) q[i] = p0[i] - q[i];
                H_EXPECT(memcmp(q, step, o.total * sizeof *q) == 0 && Ld == Ls,
                         "%s, %zu rows: a dense X changed the step (%.3g) or the loss "
                         "(%.17g, %.17g)",
                         c->name, rows, rel_err(q, step, o.total), Ld, Ls);
            }
        }
    bp_exec_free(portable);
    bp_exec_free(avx2);
    bp_mlp_free(m);
    free(p0);
    free(p1);
    free(q);
    free(g);
    free(step);
    free(Xc);
    free(Yc);
    free(labc);
    free(dense.X);
    free_batch(&all);
}

static void test_narrow_engine_matches_gradient(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        check_narrow(&NARROW_NETS[t], 9701 + t);
}

/*
 * A softmax probability that underflows to 0 under its label: the narrow
 * engine (register blocks and chunks) must take that sample's loss term
 * by log-sum-exp, −z_y + log Σ e^z, not −log 0 = +inf. Seed 05's 2-3-3
 * network with output weights of ±1000 (logits ~1000 apart) on 40 rows,
 * two thirds of them labelled with a losing class: the loss against a plain
 * log-sum-exp written here, the gradient against bp_mlp_gradient.
 * Tolerance: 1e−12 relative (a loss ~500 summed from 40 terms).
 */
static void test_narrow_softmax_underflow(void **state) {
    (void)state;
    const net_cfg c = { "narrow 2-3-3 sigmoid/softmax, saturated",
                        2,
                        { L_(2, 3, BP_ACT_SIGMOID), L_(3, 3, BP_ACT_SOFTMAX) },
                        BP_LOSS_SOFTMAX_CCE,
                        1 };
    enum { N = 40 };
    const layout o = make_layout(&c);
    double p[21], X[2 * N], p1[21], g[21];
    size_t lab[N];
    h_rng r;
    h_seed(&r, 7707);
    h_fill(&r, p, o.total, -1.0, 1.0);
    for (size_t i = 0; i < 3; i++) { /* z = (1000, −1000, 0)·Σh + b */
        p[o.w[1] + i * 3] = 1000.0;
        p[o.w[1] + i * 3 + 1] = -1000.0;
        p[o.w[1] + i * 3 + 2] = 0.0;
    }
    h_fill(&r, X, 2 * N, -2.0, 2.0);
    for (size_t s = 0; s < N; s++) lab[s] = (s * 7) % 3;
    /* the expected loss, sample by sample */
    double want = 0.0;
    size_t under = 0;
    for (size_t s = 0; s < N; s++) {
        double h[3], z[3], mx = -INFINITY, sum = 0.0;
        for (size_t j = 0; j < 3; j++) {
            double a = p[o.b[0] + j] + X[2 * s] * p[o.w[0] + j] + X[2 * s + 1] * p[o.w[0] + 3 + j];
            h[j] = 1.0 / (1.0 + exp(-a));
        }
        for (size_t j = 0; j < 3; j++) {
            z[j] = p[o.b[1] + j];
            for (size_t i = 0; i < 3; i++) z[j] += h[i] * p[o.w[1] + i * 3 + j];
            mx = fmax(mx, z[j]);
        }
        for (size_t j = 0; j < 3; j++) sum += exp(z[j] - mx);
        const double term = mx + log(sum) - z[lab[s]];
        under += exp(-term) == 0.0;
        want += term;
    }
    want /= N;
    H_EXPECT(under >= 5, "only %zu of %d probabilities underflow: the test lost its point", under,
             N);
    bp_mlp *m = create(&c, N);
    double Lg = h_nan(), Ls = h_nan();
    H_OK(bp_mlp_gradient(m, p, N, X, 2, NULL, lab, &Lg, g, NULL));
    memcpy(p1, p, sizeof p1);
    int d = -1;
    H_OK(bp_mlp_train_step(m, p1, X, 2, NULL, lab, NULL, 0, N, 1.0, &Ls, &d));
    H_EXPECT(d == 0, "the step diverged (%d)", d);
    H_EXPECT(fabs(Ls - want) <= 1e-12 * want && fabs(Lg - want) <= 1e-12 * want,
             "losses %.17g (step) and %.17g (bp_mlp_gradient), log-sum-exp %.17g", Ls, Lg, want);
    for (size_t i = 0; i < o.total; i++) p1[i] = p[i] - p1[i];
    H_EXPECT(rel_err(p1, g, o.total) <= NARROW_GRAD_TOL,
             "the step's gradient differs from "
             "bp_mlp_gradient's by %.3g",
             rel_err(p1, g, o.total));
    bp_mlp_free(m);
}

/*
 * The narrow engine in single precision (its float register blocks and
 * chunks) against bp_mlp_gradient in double on the same float-representable
 * parameters and data: one lr = 1 step of bp_mlp_train_step_f32 per batch
 * size (rows in order and shuffled), every narrow network.
 * Tolerance: 1e−5 of max|g|, normwise (3.7e−6 the largest seen, 2-2-1 on
 * 64 shuffled rows), and 1e−5 relative for the loss (computed in double
 * from float activations): float rounding (6e−8) through at most three
 * layers, exp and the sums over up to 150 samples, with their
 * cancellation.
 */
#define NARROW_F32_TOL 1e-5

static void check_narrow_f32(const net_cfg *c, uint64_t seed) {
    static const size_t ROWS[] = { 5, 17, 64, 150 };
    const size_t N = 160, ni = n_in0(c), k = n_out_last(c);
    h_rng r;
    h_seed(&r, seed);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni, &all);
    double *p0 = h_alloc(o.total), *g = h_alloc(o.total), *step = h_alloc(o.total);
    double *Xc = h_alloc(N * ni), *Yc = h_alloc(N * k);
    size_t *labc = malloc(N * sizeof *labc), perm[160];
    for (size_t i = 0; i < N; i++) perm[i] = (i * 89 + 7) % N;
    fill_params(&r, c, &o, p0);
    for (size_t i = 0; i < o.total; i++) p0[i] = (float)p0[i];
    for (size_t i = 0; i < N * ni; i++) all.X[i] = (float)all.X[i];
    float *pf = to_float(p0, o.total), *qf = malloc(o.total * sizeof *qf);
    float *Xf = to_float(all.X, N * ni), *Yf = to_float(all.Y, N * k);
    bp_mlp *m = create(c, N);
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, N, &mf));
    for (size_t t = 0; t < sizeof ROWS / sizeof ROWS[0]; t++)
        for (int permuted = 0; permuted < 2; permuted++) {
            const size_t rows = ROWS[t], start = permuted ? 3 : N - rows;
            for (size_t i = 0; i < rows; i++) {
                size_t src = permuted ? perm[start + i] : start + i;
                memcpy(Xc + i * ni, all.X + src * ni, ni * sizeof *Xc);
                memcpy(Yc + i * k, all.Y + src * k, k * sizeof *Yc);
                labc[i] = all.lab[src];
            }
            double Lg = h_nan(), Lf = h_nan();
            H_OK(bp_mlp_gradient(m, p0, rows, Xc, ni, c->labels ? NULL : Yc,
                                 c->labels ? labc : NULL, &Lg, g, NULL));
            memcpy(qf, pf, o.total * sizeof *qf);
            int d = -1;
            H_OK(bp_mlp_train_step_f32(mf, qf, Xf, ni, c->labels ? NULL : Yf,
                                       c->labels ? all.lab : NULL, permuted ? perm : NULL, start,
                                       rows, 1.0f, &Lf, &d));
            H_EXPECT(d == 0, "%s, %zu rows (float): diverged = %d", c->name, rows, d);
            for (size_t i = 0; i < o.total; i++) step[i] = (double)pf[i] - (double)qf[i];
            const double e = rel_err(step, g, o.total);
            H_EXPECT(e <= NARROW_F32_TOL && fabs(Lf - Lg) <= 1e-5 * fabs(Lg),
                     "%s, %zu rows%s: the float step differs from the double gradient by %.3g "
                     "of max|g|, losses %.9g and %.9g",
                     c->name, rows, permuted ? " (permuted)" : "", e, Lf, Lg);
        }
    bp_mlp_free(m);
    bp_mlp_free_f32(mf);
    free(p0);
    free(g);
    free(step);
    free(Xc);
    free(Yc);
    free(labc);
    free(pf);
    free(qf);
    free(Xf);
    free(Yf);
    free_batch(&all);
}

static void test_narrow_engine_float(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        check_narrow_f32(&NARROW_NETS[t], 9801 + t);
}

/*
 * Many online steps in a row: each step's parameters feed the next, so a
 * wrong value that one step leaves behind — e.g. a padded weight of the
 * register path (narrow_online_tiny_tmpl.h) that stopped being zero — shows
 * in the steps after it. An epoch of 60 one-row steps against 60 steps of
 * bp_mlp_gradient on one row and p ← p − lr·g; every narrow network with
 * dense targets (the register path's and the general online path's),
 * double and float.
 * Tolerance: 1e−11 (double) and 2e−4 (float, against the double reference)
 * of max|p|, normwise; the per-step differences of check_narrow, carried
 * through 60 steps.
 */
enum { CHAIN_STEPS = 60 };

static void check_online_chain(const net_cfg *c, uint64_t seed) {
    h_rng r;
    h_seed(&r, seed);
    const double lr = 0.2;
    const size_t ni = n_in0(c), k = n_out_last(c);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, CHAIN_STEPS, ni, &all);
    double *p0 = h_alloc(o.total), *g = h_alloc(o.total);
    fill_params(&r, c, &o, p0);
    double *ref = h_copy(p0, o.total), *p = h_copy(p0, o.total);
    bp_mlp *one = create(c, 1);
    for (size_t s = 0; s < CHAIN_STEPS; s++) {
        double L = h_nan();
        H_OK(bp_mlp_gradient(one, ref, 1, all.X + s * ni, ni, all.Y + s * k, NULL, &L, g, NULL));
        for (size_t i = 0; i < o.total; i++) ref[i] -= lr * g[i];
    }
    double L = h_nan();
    int d = -1;
    H_OK(bp_mlp_train_epoch(one, p, all.X, ni, all.Y, NULL, NULL, CHAIN_STEPS, 1, lr, &L, &d));
    double e = rel_err(p, ref, o.total), moved = rel_err(p0, ref, o.total);
    H_EXPECT(d == 0 && e <= 1e-11,
             "%s: %d online steps differ from gradient steps by %.3g of "
             "max|p| (diverged %d)",
             c->name, CHAIN_STEPS, e, d);
    H_EXPECT(moved > 1e-3, "%s: %d steps moved the parameters by only %.3g", c->name, CHAIN_STEPS,
             moved);
    bp_mlp_f32 *onef = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, 1, &onef));
    float *pf = to_float(p0, o.total), *Xf = to_float(all.X, CHAIN_STEPS * ni);
    float *Yf = to_float(all.Y, CHAIN_STEPS * k);
    H_OK(bp_mlp_train_epoch_f32(onef, pf, Xf, ni, Yf, NULL, NULL, CHAIN_STEPS, 1, lr, &L, &d));
    for (size_t i = 0; i < o.total; i++) p[i] = pf[i];
    e = rel_err(p, ref, o.total);
    H_EXPECT(d == 0 && e <= 2e-4,
             "%s (float): %d online steps differ from gradient steps by "
             "%.3g of max|p|",
             c->name, CHAIN_STEPS, e);
    free(pf);
    free(Xf);
    free(Yf);
    bp_mlp_free_f32(onef);
    bp_mlp_free(one);
    free(p0);
    free(g);
    free(ref);
    free(p);
    free_batch(&all);
}

static void test_online_steps_follow_gradient_steps(void **state) {
    (void)state;
    size_t checked = 0;
    for (size_t t = 0; t < sizeof NARROW_NETS / sizeof NARROW_NETS[0]; t++)
        if (!NARROW_NETS[t].labels) {
            check_online_chain(&NARROW_NETS[t], 9761 + t);
            checked++;
        }
    H_EXPECT(checked >= 10, "only %zu networks checked", checked);
}

int run_narrow_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_narrow_engine_matches_gradient),
        cmocka_unit_test(test_narrow_softmax_underflow),
        cmocka_unit_test(test_narrow_engine_float),
        cmocka_unit_test(test_online_steps_follow_gradient_steps),
    };
    return cmocka_run_group_tests_name("narrow", tests, NULL, NULL);
}
