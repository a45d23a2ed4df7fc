/*
 * test_training.c — the training loop of bp_mlp.h (CKernels/mlp/):
 * bp_mlp_train_step, bp_mlp_train_epoch and bp_mlp_train_epochs, each held
 * to the calls it is defined by, down to bp_mlp_gradient, which test_mlp.c
 * holds to the individual kernels:
 *
 *  - bp_mlp_train_step against bp_mlp_gradient plus a plain-loop update,
 *    with and without an index permutation, with dense targets and labels;
 *    its divergence reports (a non-finite loss or gradient, an overflowing
 *    update, a NaN pre-activation, an overflow inside the blocked GEMM of a
 *    large layer), and training one sample at a time;
 *  - bp_mlp_train_epoch against the bp_mlp_train_step calls it stands for,
 *    bit for bit (double and float, every batch kind), and where it stops
 *    when a step diverges;
 *  - bp_mlp_train_epochs against the bp_mlp_train_epoch calls it stands
 *    for, bit for bit (rows in order and a new order every epoch), its
 *    snapshot, and where it stops when an epoch diverges;
 *  - the same with an execution context attached, with which a dense
 *    network's steps fuse the update into the weight-gradient products, and
 *    with parameters that do not start on a cache line;
 *  - every documented argument error of the three calls, with the outputs
 *    left untouched.
 *
 * The epoch tests train the narrow networks of test_narrow.c (the narrow
 * engine) as well as dense ones (the dense kernels).
 */
#include "mlp_support.h"

#include <float.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- bp_mlp_train_step ---------------------------------------------------------------------- */

/*
 * train_step = bp_mlp_gradient, then params −= lr·grad. The step's gradient
 * comes from the same code as bp_mlp_gradient's, and the update stage computes
 * p + (−lr)·g with at most one rounding more than the plain loop here (or one
 * fewer, with FMA): each parameter may differ by ~2u·(|p| + |lr·g|), well
 * inside 1e-14 of that scale.
 *
 * The gathered (indices) batch and a contiguous copy of the same rows run the
 * same arithmetic; only buffer addresses differ, so results are expected
 * bitwise, and are held to 1e-15 relative in case a GEMM kernel takes an
 * alignment-dependent path.
 */
#define STEP_TOL 1e-14
#define GATHER_TOL 1e-15

static void expect_update(const char *name, const double *got, const double *p0, const double *g,
                          double lr, size_t n) {
    double worst = 0.0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double want = p0[i] - lr * g[i];
        double e = fabs(got[i] - want) / (fabs(p0[i]) + fabs(lr * g[i]));
        if (!(e <= worst)) {
            worst = isnan(e) ? INFINITY : e;
            at = i;
        }
    }
    H_EXPECT(worst <= STEP_TOL,
             "%s: parameter %zu is %.17g after the step, expected "
             "%.17g − %g·%.17g (error %.3g)",
             name, at, got[at], p0[at], lr, g[at], worst);
}

static void expect_close(const char *name, const char *what, const double *x, const double *y,
                         size_t n) {
    double e = h_same_bits(x, y, n) ? 0.0 : rel_err(x, y, n);
    H_EXPECT(e <= GATHER_TOL, "%s: %s differ by %.3g", name, what, e);
}

/* One step on rows start .. start+rows of (X, ldx), against gradient+update. */
static void check_step_equals_gradient(const net_cfg *c, uint64_t seed) {
    h_rng r;
    h_seed(&r, seed);
    const size_t N = 10, start = 2, rows = 5, ni = n_in0(c);
    const double lr = 0.05;
    ref rf;
    ref_init(&rf, c, N);
    bp_mlp *m = create(c, 6);
    layout o = rf.lay;
    batch all;
    make_batch(&r, c, N, ni + 2, &all);
    double *p = h_alloc(o.total), *g = h_alloc(o.total);
    fill_params(&r, c, &o, p);
    double *p0 = h_copy(p, o.total);
    const double *Yb = c->labels ? NULL : all.Y + start * n_out_last(c);
    const size_t *lb = c->labels ? all.lab + start : NULL;
    double Lg = h_nan(), Ls = h_nan();
    H_OK(bp_mlp_gradient(m, p, rows, all.X + start * all.ldx, all.ldx, Yb, lb, &Lg, g, NULL));
    H_EXPECT(h_max_abs(g, o.total) > 1e-3, "%s: gradient (nearly) zero", c->name);
    int diverged = -1;
    H_OK(bp_mlp_train_step(m, p, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all), NULL,
                           start, rows, lr, &Ls, &diverged));
    H_EXPECT(diverged == 0, "%s: diverged = %d on a normal step", c->name, diverged);
    expect_update(c->name, p, p0, g, lr, o.total);
    /* the loss reported is the loss before the update ... */
    H_EXPECT(Ls == Lg || fabs(Ls - Lg) <= GATHER_TOL * fabs(Lg),
             "%s: step loss %.17g, loss of the batch before the step %.17g", c->name, Ls, Lg);
    /* ... which is not the loss after it (so the check above can tell) */
    double Lafter = h_nan();
    H_OK(
        bp_mlp_gradient(m, p, rows, all.X + start * all.ldx, all.ldx, Yb, lb, &Lafter, NULL, NULL));
    H_EXPECT(Lafter < Lg && fabs(Lafter - Lg) > 1e6 * GATHER_TOL * Lg,
             "%s: loss %.17g before the step, %.17g after: the step should lower it "
             "measurably",
             c->name, Lg, Lafter);
    free(p);
    free(p0);
    free(g);
    free_batch(&all);
    bp_mlp_free(m);
    ref_free(&rf);
}

static const net_cfg STEP_NETS[] = {
    { "step MSE 30-12-3",
      2,
      { L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY) },
      BP_LOSS_MSE,
      0 },
    { "step SOFTMAX_CCE labels 3-5-4",
      2,
      { LEAKY_(3, 5), L_(5, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_SOFTMAX_CCE,
      1 },
    { "step CCE labels 20-14-4",
      2,
      { L_(20, 14, BP_ACT_TANH), L_(14, 4, BP_ACT_SOFTMAX) },
      BP_LOSS_CCE,
      1 },
    { "step BCE_LOGITS 3-5-2",
      2,
      { L_(3, 5, BP_ACT_RELU), L_(5, 2, BP_ACT_SIGMOID) },
      BP_LOSS_BCE_LOGITS,
      0 },
};

static void test_train_step_equals_gradient_and_update(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check_step_equals_gradient(&STEP_NETS[t], 9301 + t);
}

/* With indices, the batch is rows indices[start .. start+rows): the same as
 * a step on those rows copied contiguously, and not the same as a step on
 * rows start .. start+rows themselves. */
static void check_step_with_indices(const net_cfg *c, uint64_t seed) {
    h_rng r;
    h_seed(&r, seed);
    const size_t N = 11, start = 3, rows = 5, ni = n_in0(c), k = n_out_last(c);
    const double lr = 0.1;
    bp_mlp *m = create(c, rows);
    layout o = make_layout(c);
    batch all;
    make_batch(&r, c, N, ni + 3, &all);
    /* a random permutation (Fisher–Yates with the harness generator) */
    size_t idx[11];
    for (size_t i = 0; i < N; i++) idx[i] = i;
    for (size_t i = N - 1; i > 0; i--) {
        size_t j = h_below(&r, i + 1), tmp = idx[i];
        idx[i] = idx[j];
        idx[j] = tmp;
    }
    /* the selected rows, copied contiguously by hand */
    double *Xc = h_alloc(rows * ni), *Yc = h_alloc(rows * k);
    size_t labc[5];
    for (size_t i = 0; i < rows; i++) {
        size_t src = idx[start + i];
        memcpy(Xc + i * ni, all.X + src * all.ldx, ni * sizeof(double));
        memcpy(Yc + i * k, all.Y + src * k, k * sizeof(double));
        labc[i] = all.lab[src];
    }
    /* at least one selected row lies outside start .. start+rows, so a step
     * that ignored indices could not match */
    int moved = 0;
    for (size_t i = 0; i < rows; i++)
        moved |= idx[start + i] < start || idx[start + i] >= start + rows;
    H_EXPECT(moved, "%s: the permutation selects rows %zu..%zu again; pick another seed", c->name,
             start, start + rows);

    double *p = h_alloc(o.total);
    fill_params(&r, c, &o, p);
    double *pa = h_copy(p, o.total), *pb = h_copy(p, o.total), *pc = h_copy(p, o.total);
    double La = h_nan(), Lb = h_nan(), Lc = h_nan();
    int da = -1, db = -1, dc = -1;
    H_OK(bp_mlp_train_step(m, pa, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all), idx,
                           start, rows, lr, &La, &da));
    H_OK(bp_mlp_train_step(m, pb, Xc, ni, c->labels ? NULL : Yc, c->labels ? labc : NULL, NULL, 0,
                           rows, lr, &Lb, &db));
    H_OK(bp_mlp_train_step(m, pc, all.X, all.ldx, targets_Y(c, &all), targets_lab(c, &all), NULL,
                           start, rows, lr, &Lc, &dc));
    H_EXPECT(da == 0 && db == 0 && dc == 0, "%s: diverged %d %d %d", c->name, da, db, dc);
    expect_close(c->name, "parameters after the gathered and the contiguous step", pa, pb, o.total);
    expect_close(c->name, "losses of the gathered and the contiguous step", &La, &Lb, 1);
    H_EXPECT(!h_same_bits(pa, pc, o.total) && La != Lc,
             "%s: the indexed step equals a step on rows %zu..%zu: indices were ignored", c->name,
             start, start + rows);
    free(Xc);
    free(Yc);
    free(p);
    free(pa);
    free(pb);
    free(pc);
    free_batch(&all);
    bp_mlp_free(m);
}

static void test_train_step_with_indices(void **state) {
    (void)state;
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check_step_with_indices(&STEP_NETS[t], 9401 + t);
}

/* Divergence: a non-finite loss or gradient leaves the parameters alone
 * (*diverged = 1); an update that overflows reports *diverged = 2. */
/* A divergence case's set-up: the network (batches of up to `rows`), its
 * layout, a batch of `rows` rows (leading dimension ldx) and parameters,
 * drawn from r in that order. */
static bp_mlp *divergence_case(h_rng *r, const net_cfg *c, size_t rows, size_t ldx, layout *o,
                               batch *b, double **p) {
    bp_mlp *m = create(c, rows);
    *o = make_layout(c);
    make_batch(r, c, rows, ldx, b);
    *p = h_alloc(o->total);
    fill_params(r, c, o, *p);
    return m;
}

static void test_train_step_divergence(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 9501);
    /* every case below sets these up afresh (divergence_case) */
    layout o;
    batch b;
    double *p;
    /* 1. a NaN in the batch: loss NaN */
    {
        const net_cfg c = { "3-5-2 tanh/identity",
                            2,
                            { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_IDENTITY) },
                            BP_LOSS_MSE,
                            0 };
        bp_mlp *m = divergence_case(&r, &c, 4, 4, &o, &b, &p);
        double *p0 = h_copy(p, o.total);
        b.X[2 * b.ldx + 1] = h_nan();
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, 0.1, &L, &d));
        H_EXPECT(d == 1, "NaN input: diverged = %d, expected 1", d);
        H_EXPECT(!isfinite(L), "NaN input: loss %.17g", L);
        H_EXPECT(h_same_bits(p, p0, o.total), "NaN input: parameters changed");
        /* the same through indices */
        size_t idx[4] = { 3, 2, 1, 0 };
        d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, idx, 1, 3, 0.1, &L, &d));
        H_EXPECT(d == 1 && h_same_bits(p, p0, o.total),
                 "NaN input via indices: diverged = %d, or parameters changed", d);
        free(p);
        free(p0);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 2. a huge row through identity layers: the MSE loss overflows to +inf */
    {
        const net_cfg c = { "3-4-2 identity",
                            2,
                            { L_(3, 4, BP_ACT_IDENTITY), L_(4, 2, BP_ACT_IDENTITY) },
                            BP_LOSS_MSE,
                            0 };
        bp_mlp *m = divergence_case(&r, &c, 3, 3, &o, &b, &p);
        double *p0 = h_copy(p, o.total);
        for (size_t j = 0; j < 3; j++) b.X[1 * b.ldx + j] = 1e300;
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 3, 0.1, &L, &d));
        H_EXPECT(d == 1, "1e300 input: diverged = %d, expected 1 (loss %.3g)", d, L);
        H_EXPECT(h_same_bits(p, p0, o.total), "1e300 input: parameters changed");
        free(p);
        free(p0);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 3. a finite loss with an infinite gradient: 1-1-1, x = 1e300,
     * W1 = 1e-20, W2 = 1e10, sigmoid output on logits, y = 0. Then
     * z2 = 1e290, loss = z2 = 1e290 (finite), dz2 = σ(z2) − 0 = 1,
     * dz1 = W2·dz2 = 1e10 and dW1 = x·dz1 = 1e310 = +inf. */
    {
        const net_cfg c = { "1-1-1 identity/sigmoid",
                            2,
                            { L_(1, 1, BP_ACT_IDENTITY), L_(1, 1, BP_ACT_SIGMOID) },
                            BP_LOSS_BCE_LOGITS,
                            0 };
        bp_mlp *m = create(&c, 1);
        double p[4] = { 1e-20, 0.0, 1e10, 0.0 }; /* W1 b1 W2 b2 */
        double p0[4];
        memcpy(p0, p, sizeof p);
        double X[1] = { 1e300 }, Y[1] = { 0.0 };
        double L = 0.0;
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, X, 1, Y, NULL, NULL, 0, 1, 0.1, &L, &d));
        H_EXPECT(d == 1, "infinite gradient: diverged = %d, expected 1", d);
        H_EXPECT(L == 1e290 || fabs(L - 1e290) <= 1e-15 * 1e290,
                 "infinite gradient: loss %.17g, expected 1e290", L);
        H_EXPECT(h_same_bits(p, p0, 4), "infinite gradient: parameters changed");
        bp_mlp_free(m);
    }
    /* 4. a finite gradient, a learning rate of 1e308: the update overflows */
    {
        const net_cfg c = { "3-5-2 tanh/identity",
                            2,
                            { L_(3, 5, BP_ACT_TANH), L_(5, 2, BP_ACT_IDENTITY) },
                            BP_LOSS_MSE,
                            0 };
        bp_mlp *m = divergence_case(&r, &c, 4, 3, &o, &b, &p);
        for (size_t i = 0; i < 8; i++)
            b.Y[i] = 100.0; /* far targets: |dL/db_2| ≈ 2·100/2 per output */
        double *g = h_alloc(o.total);
        double Lg = 0.0, L = 0.0;
        H_OK(bp_mlp_gradient(m, p, 4, b.X, b.ldx, b.Y, NULL, &Lg, g, NULL));
        H_EXPECT(h_all_finite(g, o.total) && h_max_abs(g, o.total) > 2.0,
                 "setup: need a finite gradient above 2 (max %.3g)", h_max_abs(g, o.total));
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, 1e308, &L, &d));
        H_EXPECT(d == 2, "overflowing update: diverged = %d, expected 2", d);
        H_EXPECT(!h_all_finite(p, o.total), "overflowing update: parameters all finite");
        H_EXPECT(L == Lg || fabs(L - Lg) <= GATHER_TOL * Lg,
                 "overflowing update: loss %.17g, expected the pre-step %.17g", L, Lg);
        free(p);
        free(g);
        free_batch(&b);
        bp_mlp_free(m);
    }
    /* 5. a modest step that pushes a weight at the largest double over, on
     * a dense network: W_1[0][0] = +DBL_MAX and W_1[1][0] = −DBL_MAX, with
     * x_0 = x_1 a power of two on every row, cancel exactly in z_0 (the
     * products are exact and equal, and adjacent in every kernel's sum over
     * the inputs, FMA or not), so the
     * loss and the gradient are finite; both weights get the same
     * gradient, so one of them grows. The learning rate makes that growth
     * 1e295, far above the weight's last place (~2e292), while η·|g| stays
     * below 1e306 for every weight: what overflows is the weight, not the
     * step. (With a context, this is the case the fused update must not
     * take on the strength of η·g alone.) */
    {
        const net_cfg c = { "30-12-3 tanh/identity",
                            2,
                            { L_(30, 12, BP_ACT_TANH), L_(12, 3, BP_ACT_IDENTITY) },
                            BP_LOSS_MSE,
                            0 };
        bp_mlp *m = divergence_case(&r, &c, 4, 30, &o, &b, &p);
        for (size_t i = 0; i < 4; i++) b.X[i * b.ldx] = b.X[i * b.ldx + 1] = ldexp(1.0, -(int)i);
        double *g = h_alloc(o.total);
        p[o.w[0] + 0 * 12] = DBL_MAX;
        p[o.w[0] + 1 * 12] = -DBL_MAX;
        double Lg = 0.0, L = 0.0;
        H_OK(bp_mlp_gradient(m, p, 4, b.X, b.ldx, b.Y, NULL, &Lg, g, NULL));
        double g00 = fabs(g[o.w[0]]), lr = 1e295 / g00;
        H_EXPECT(isfinite(Lg) && h_all_finite(g, o.total) && g00 > 0 &&
                     lr * h_max_abs(g, o.total) < 1e306,
                 "setup: need a finite loss and gradient, dW_1[0][0] (%.3g) not far below the "
                 "largest (%.3g)",
                 g00, h_max_abs(g, o.total));
        int d = -1;
        H_OK(bp_mlp_train_step(m, p, b.X, b.ldx, b.Y, NULL, NULL, 0, 4, lr, &L, &d));
        H_EXPECT(d == 2 && !h_all_finite(p, o.total),
                 "weight at DBL_MAX pushed over: diverged = %d, parameters %s", d,
                 h_all_finite(p, o.total) ? "finite" : "not finite");
        free(p);
        free(g);
        free_batch(&b);
        bp_mlp_free(m);
    }
}

/* A ReLU pre-activation that overflows to NaN (x·w = +inf on one input,
 * −inf on the other) must reach the loss (ReLU once made it a silent 0): the step reports diverged = 1
 * and changes nothing, for a narrow network (the narrow engine, one row and
 * a chunk) and a wide one (the dense kernels). */
static void test_train_step_nan_preactivation(void **state) {
    (void)state;
    for (size_t width = 2; width <= 40; width += 38) {
        const net_cfg c = { "2-w-1 relu/identity",
                            2,
                            { L_(2, width, BP_ACT_RELU), L_(width, 1, BP_ACT_IDENTITY) },
                            BP_LOSS_MSE,
                            0 };
        bp_mlp *m = create(&c, 8);
        layout o = make_layout(&c);
        double *p = h_alloc(o.total);
        for (size_t i = 0; i < o.total; i++) p[i] = 0.5;
        for (size_t j = 0; j < width; j++) { /* W_0 row 0 = +1e10, row 1 = −1e10 */
            p[j] = 1e10;
            p[width + j] = -1e10;
        }
        double *p0 = h_copy(p, o.total);
        double X[16], Y[8];
        for (size_t r = 0; r < 8; r++) {
            X[2 * r] = X[2 * r + 1] = 1e300;
            Y[r] = 0.0;
        }
        for (size_t rows = 1; rows <= 8; rows += 7) {
            double L = 0.0;
            int d = -1;
            H_OK(bp_mlp_train_step(m, p, X, 2, Y, NULL, NULL, 0, rows, 0.1, &L, &d));
            /* (with FMA the sum is inf rather than NaN: fma(x, −w, +inf) is
             * +inf; either way the loss must not be finite) */
            H_EXPECT(d == 1 && !isfinite(L),
                     "width %zu, %zu rows: a NaN pre-activation gave "
                     "diverged = %d, loss %g",
                     width, rows, d, L);
            H_EXPECT(h_same_bits(p, p0, o.total), "width %zu, %zu rows: parameters changed", width,
                     rows);
        }
        free(p);
        free(p0);
        bp_mlp_free(m);
    }
}

/* One overflowing element in the gradient of a layer large enough for the
 * blocked GEMM (the divergence tests above use tiny networks): dW_1 —
 * in an interior strip, in the last rows and the partial last strip of
 * columns, and in between — from one sample in the last k-block of the
 * product (600 rows > KC), double and float, 1 and 2 threads (the product
 * is split by rows), each kernel set: the loss stays finite, the step
 * reports *diverged = 1 and the parameters keep their bits. Without the
 * huge input the same step applies an update.
 *
 * Network 160-75-3 identity/softmax, CCE on labels (never 0): W_1's row f
 * is tiny and x[r*][f] huge, so z_1 stays moderate but dW_1[f][j*] =
 * x[r*][f]·dZ_1[r*][j*] overflows, dZ_1[r*][j*] ≈ W_2[j*][0]/600 being
 * large through W_2[j*][0] = 1e12 alone (a row of equal values would
 * cancel: softmax − one-hot sums to 0). */
#define OVERFLOW_N_IN 160
#define OVERFLOW_HIDDEN 75
#define OVERFLOW_ROWS 600
#define OVERFLOW_CASE(NAME, T, MLP_T, CREATE, SET_EXEC, STEP, FREE, HUGE_X)                        \
    static void NAME(size_t f, size_t jstar, size_t threads, unsigned kernels, int huge) {         \
        const size_t n_in = OVERFLOW_N_IN, h = OVERFLOW_HIDDEN, k = 3, rows = OVERFLOW_ROWS;       \
        const size_t rstar = rows - 10;                                                            \
        bp_layer_spec L[2] = { { n_in, h, BP_ACT_IDENTITY, 0 }, { h, k, BP_ACT_SOFTMAX, 0 } };     \
        MLP_T *m = NULL;                                                                           \
        bp_exec *ex = NULL;                                                                        \
        H_OK(CREATE(2, L, BP_LOSS_SOFTMAX_CCE, rows, &m));                                         \
        H_OK(bp_exec_create_with(threads, kernels, &ex));                                          \
        H_OK(SET_EXEC(m, ex));                                                                     \
        size_t total = n_in * h + h + h * k + k;                                                   \
        T *p = malloc(total * sizeof *p), *p0 = malloc(total * sizeof *p0);                        \
        T *X = malloc(rows * n_in * sizeof *X);                                                    \
        size_t labels[OVERFLOW_ROWS];                                                              \
        h_rng r;                                                                                   \
        h_seed(&r, 9601 + f);                                                                      \
        for (size_t i = 0; i < total; i++) p[i] = (T)h_uniform_signed(&r, 0.01, 0.1);              \
        for (size_t j = 0; j < h; j++) p[f * h + j] = (T)(1 / HUGE_X); /* W_1 row f */             \
        T *W2 = p + n_in * h + h;                                                                  \
        for (size_t c = 0; c < k; c++) W2[jstar * k + c] = c == 0 ? (T)1e12 : (T)0;                \
        for (size_t i = 0; i < rows * n_in; i++) X[i] = (T)h_uniform_signed(&r, 0.1, 1.0);         \
        if (huge) X[rstar * n_in + f] = (T)HUGE_X;                                                 \
        for (size_t i = 0; i < rows; i++) labels[i] = 1 + h_below(&r, 2);                          \
        memcpy(p0, p, total * sizeof *p);                                                          \
        double loss = 0.0;                                                                         \
        int d = -1;                                                                                \
        H_OK(STEP(m, p, X, n_in, NULL, labels, NULL, 0, rows, 1e-3, &loss, &d));                   \
        H_EXPECT(isfinite(loss), #T " f=%zu j*=%zu: loss %g (the case needs a finite loss)", f,    \
                 jstar, loss);                                                                     \
        int same = memcmp(p, p0, total * sizeof *p) == 0;                                          \
        if (huge)                                                                                  \
            H_EXPECT(d == 1 && same,                                                               \
                     #T ", %zu thread(s), kernels %u, dW_1[%zu][%zu] "                             \
                        "overflowing: diverged = %d, parameters %s",                               \
                     threads, kernels, f, jstar, d, same ? "kept" : "changed");                    \
        else                                                                                       \
            H_EXPECT(d == 0 && !same,                                                              \
                     #T ", %zu thread(s), kernels %u, f=%zu j*=%zu, no "                           \
                        "huge input: diverged = %d, parameters %s",                                \
                     threads, kernels, f, jstar, d, same ? "unchanged" : "updated");               \
        free(p);                                                                                   \
        free(p0);                                                                                  \
        free(X);                                                                                   \
        FREE(m);                                                                                   \
        bp_exec_free(ex);                                                                          \
    }
OVERFLOW_CASE(overflow_case_d, double, bp_mlp, bp_mlp_create, bp_mlp_set_exec, bp_mlp_train_step,
              bp_mlp_free, 1e300)
OVERFLOW_CASE(overflow_case_s, float, bp_mlp_f32, bp_mlp_create_f32, bp_mlp_set_exec_f32,
              bp_mlp_train_step_f32, bp_mlp_free_f32, 1e31f)

static void test_train_step_gradient_overflow_in_gemm(void **state) {
    (void)state;
    static const size_t at[][2] = { { 5, 10 },
                                    { OVERFLOW_N_IN - 1, OVERFLOW_HIDDEN - 1 },
                                    { 90, 40 } };
    /* the default kernels (AVX-512 where the CPU has it) on 1 and 2
     * threads, the AVX2, all-AVX-512 (tiles included) and portable ones
     * (their own tile checks) on 1 */
    static const struct {
        size_t threads;
        unsigned kernels;
    } ctx[] = { { 1, BP_EXEC_DEFAULT },
                { 2, BP_EXEC_DEFAULT },
                { 1, BP_EXEC_AVX2 },
                { 1, BP_EXEC_AVX512 },
                { 1, BP_EXEC_PORTABLE } };
    for (size_t c = 0; c < sizeof at / sizeof at[0]; c++)
        for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++)
            for (int huge = 1; huge >= 0; huge--) {
                overflow_case_d(at[c][0], at[c][1], ctx[x].threads, ctx[x].kernels, huge);
                overflow_case_s(at[c][0], at[c][1], ctx[x].threads, ctx[x].kernels, huge);
            }
}

/* Training one sample at a time (max_rows = 1), the case the direct path is
 * for: 200 steps on a 2-2-2-2 network bring the loss of a fixed set down. */
static void test_train_step_one_sample_at_a_time(void **state) {
    (void)state;
    const net_cfg c = { "2-2-2-2 tanh/tanh/sigmoid",
                        3,
                        { L_(2, 2, BP_ACT_TANH), L_(2, 2, BP_ACT_TANH), L_(2, 2, BP_ACT_SIGMOID) },
                        BP_LOSS_BCE,
                        0 };
    h_rng r;
    h_seed(&r, 9601);
    bp_mlp *one = create(&c, 1), *full = create(&c, 4);
    layout o = make_layout(&c);
    double *p = h_alloc(o.total);
    fill_params(&r, &c, &o, p);
    /* the half adder: inputs a, b; outputs sum, carry */
    const double X[8] = { 0, 0, 0, 1, 1, 0, 1, 1 };
    const double Y[8] = { 0, 0, 1, 0, 1, 0, 0, 1 };
    double L0 = 0.0, L1 = 0.0, L = 0.0;
    H_OK(bp_mlp_gradient(full, p, 4, X, 2, Y, NULL, &L0, NULL, NULL));
    for (int epoch = 0; epoch < 200; epoch++)
        for (size_t i = 0; i < 4; i++) {
            int d = -1;
            H_OK(bp_mlp_train_step(one, p, X, 2, Y, NULL, NULL, i, 1, 0.5, &L, &d));
            H_EXPECT(d == 0, "epoch %d, sample %zu: diverged %d", epoch, i, d);
        }
    H_OK(bp_mlp_gradient(full, p, 4, X, 2, Y, NULL, &L1, NULL, NULL));
    H_EXPECT(L1 < 0.75 * L0, "800 single-sample steps: loss %.6g → %.6g", L0, L1);
    H_STATUS(BP_ERR_BAD_VALUE,
             bp_mlp_train_step(one, p, X, 2, Y, NULL, NULL, 0, 2, 0.5, &L, &(int){ 0 }));
    free(p);
    bp_mlp_free(one);
    bp_mlp_free(full);
}

static void test_train_step_errors(void **state) {
    (void)state;
    err_env env, *e = &env;
    env_open(e, 4);
    bp_mlp *m = e->m;
    double *P = e->params;
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab, *idx = e->idx;
    double *L = &e->loss;
    int *D = &e->diverged;

    /* the valid calls succeed */
    env_reset(e);
    H_OK(bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    H_OK(bp_mlp_train_step(m, P, X, 4, NULL, lab, idx, 0, 4, 0.1, L, D));
    H_OK(bp_mlp_train_step(m, P, X, 3, Y, NULL, NULL, 1, 3, 0.1, L, D));

    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(NULL, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, NULL, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, NULL, 4, Y, NULL, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, 0.1, L, NULL));
    /* both targets, or neither */
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, Y, lab, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_step(m, P, X, 4, NULL, NULL, NULL, 0, 4, 0.1, L, D));
    /* labels with a non-categorical loss */
    ENV_ERR(BP_ERR_BAD_ENUM, bp_mlp_train_step(e->mse, P, X, 4, NULL, lab, NULL, 0, 4, 0.1, L, D));
    /* non-finite or negative learning rates */
    const double bad_lr[5] = { NAN, INFINITY, -INFINITY, -0.1, -DBL_MIN };
    for (int i = 0; i < 5; i++)
        ENV_ERR(BP_ERR_BAD_VALUE,
                bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 4, bad_lr[i], L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_step(m, P, X, 4, Y, NULL, NULL, 0, 0, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_train_step(m, P, X, 3, Y, NULL, NULL, 0, 5, 0.1, L, D));
    ENV_ERR(BP_ERR_LEADING_DIMENSION,
            bp_mlp_train_step(m, P, X, 2, Y, NULL, NULL, 0, 4, 0.1, L, D));
    /* a label ≥ k, directly and through indices (idx[3] = 0 selects row 0) */
    size_t bad_last[4] = { 0, 1, 0, 2 }, bad_first[4] = { 2, 1, 0, 1 };
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_step(m, P, X, 4, NULL, bad_last, NULL, 0, 4, 0.1, L, D));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_step(m, P, X, 4, NULL, bad_first, idx, 3, 1, 0.1, L, D));
    /* ... and rows that avoid the bad label are fine */
    env_reset(e);
    H_OK(bp_mlp_train_step(m, P, X, 4, NULL, bad_first, idx, 0, 3, 0.1, L, D));

    env_close(e);
}

/* ---- bp_mlp_train_epoch ---------------------------------------------------------------------- */

/*
 * An epoch is defined as the bp_mlp_train_step calls on its consecutive
 * batches, so the two must agree bit for bit: same parameters, and the loss
 * Σ loss_b·rows_b / n computed in the same order. Narrow and dense
 * networks, one-row batches (the narrow engine's online path), batches of a
 * few rows, batches of max_rows with a partial last one, n > max_rows,
 * natural and permuted order, double and float.
 */
static const size_t EPOCH_BATCHES[] = { 1, 2, 5, 8 };
enum { EPOCH_N = 23, EPOCH_MAX_ROWS = 8 };

/* train_step over the epoch's batches, as bp_mlp_train_epoch defines it;
 * stops at the first divergence (its code into *d). Returns the mean loss. */
static double steps_d(bp_mlp *m, double *p, const batch *all, const net_cfg *c, const size_t *perm,
                      size_t batch_rows, double lr, int *d) {
    double total = 0.0;
    *d = 0;
    for (size_t start = 0; start < EPOCH_N && *d == 0; start += batch_rows) {
        size_t rows = EPOCH_N - start < batch_rows ? EPOCH_N - start : batch_rows;
        double L = h_nan();
        H_OK(bp_mlp_train_step(m, p, all->X, all->ldx, targets_Y(c, all), targets_lab(c, all), perm,
                               start, rows, lr, &L, d));
        total += L * (double)rows;
    }
    return total / (double)EPOCH_N;
}

static double steps_s(bp_mlp_f32 *m, float *p, const float *X, size_t ldx, const float *Y,
                      const size_t *lab, const size_t *perm, size_t batch_rows, double lr) {
    double total = 0.0;
    for (size_t start = 0; start < EPOCH_N; start += batch_rows) {
        size_t rows = EPOCH_N - start < batch_rows ? EPOCH_N - start : batch_rows;
        double L = h_nan();
        int d = -1;
        H_OK(bp_mlp_train_step_f32(m, p, X, ldx, Y, lab, perm, start, rows, lr, &L, &d));
        H_EXPECT(d == 0, "float step at row %zu diverged (%d)", start, d);
        total += L * (double)rows;
    }
    return total / (double)EPOCH_N;
}

/* The set-up of the epoch tests: a batch of EPOCH_N rows (leading
 * dimension ldx), parameters p0 and a network of EPOCH_MAX_ROWS rows, all
 * drawn from `seed`. */
typedef struct epoch_env {
    layout o;
    batch all;
    double *p0;
    bp_mlp *m;
} epoch_env;

static void epoch_env_open(epoch_env *v, const net_cfg *c, uint64_t seed, size_t ldx) {
    h_rng r;
    h_seed(&r, seed);
    v->o = make_layout(c);
    make_batch(&r, c, EPOCH_N, ldx, &v->all);
    v->p0 = h_alloc(v->o.total);
    fill_params(&r, c, &v->o, v->p0);
    v->m = create(c, EPOCH_MAX_ROWS);
}

static void epoch_env_close(epoch_env *v) {
    bp_mlp_free(v->m);
    free(v->p0);
    free_batch(&v->all);
}

/* check(c, seed) on every narrow and every dense training network, seeds
 * counting up from narrow_seed and step_seed. */
static void for_each_training_net(void (*check)(const net_cfg *, uint64_t), uint64_t narrow_seed,
                                  uint64_t step_seed) {
    for (size_t t = 0; t < N_NARROW_NETS; t++) check(&NARROW_NETS[t], narrow_seed + t);
    for (size_t t = 0; t < sizeof STEP_NETS / sizeof STEP_NETS[0]; t++)
        check(&STEP_NETS[t], step_seed + t);
}

static void check_epoch_equals_steps(const net_cfg *c, uint64_t seed) {
    const size_t k = n_out_last(c);
    const double lr = 0.1;
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c) + 1);
    size_t perm[EPOCH_N];
    for (size_t i = 0; i < EPOCH_N; i++) perm[i] = (i * 7 + 3) % EPOCH_N;
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, EPOCH_MAX_ROWS, &mf));
    H_OK(bp_mlp_set_exec_f32(mf, g_context));
    float *Xf = to_float(v.all.X, EPOCH_N * v.all.ldx), *Yf = to_float(v.all.Y, EPOCH_N * k);
    float *pf0 = to_float(v.p0, v.o.total);
    float *pfa = malloc(v.o.total * sizeof *pfa), *pfb = malloc(v.o.total * sizeof *pfb);
    for (size_t b = 0; b < sizeof EPOCH_BATCHES / sizeof EPOCH_BATCHES[0]; b++)
        for (int permuted = 0; permuted < 2; permuted++) {
            const size_t bs = EPOCH_BATCHES[b], *ord = permuted ? perm : NULL;
            double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total);
            int da = -1, db = -1;
            double La = steps_d(v.m, pa, &v.all, c, ord, bs, lr, &da), Lb = h_nan();
            H_OK(bp_mlp_train_epoch(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                    targets_lab(c, &v.all), ord, EPOCH_N, bs, lr, &Lb, &db));
            H_EXPECT(da == 0 && db == 0, "%s, batch %zu: diverged %d (steps), %d (epoch)", c->name,
                     bs, da, db);
            H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(&La, &Lb, 1),
                     "%s, batch %zu%s: the epoch differs from its steps (loss %.17g vs %.17g, "
                     "parameters %.3g apart)",
                     c->name, bs, permuted ? " (permuted)" : "", Lb, La,
                     rel_err(pb, pa, v.o.total));
            H_EXPECT(!h_same_bits(pb, v.p0, v.o.total), "%s, batch %zu: the epoch changed nothing",
                     c->name, bs);
            /* the same in single precision */
            memcpy(pfa, pf0, v.o.total * sizeof *pfa);
            memcpy(pfb, pf0, v.o.total * sizeof *pfb);
            const float *Yt = c->labels ? NULL : Yf;
            const size_t *lt = targets_lab(c, &v.all);
            double Lfa = steps_s(mf, pfa, Xf, v.all.ldx, Yt, lt, ord, bs, lr), Lfb = h_nan();
            int df = -1;
            H_OK(bp_mlp_train_epoch_f32(mf, pfb, Xf, v.all.ldx, Yt, lt, ord, EPOCH_N, bs, lr, &Lfb,
                                        &df));
            H_EXPECT(df == 0 && memcmp(pfa, pfb, v.o.total * sizeof *pfa) == 0 && Lfa == Lfb,
                     "%s, batch %zu%s (float): the epoch differs from its steps (diverged %d, "
                     "loss %.9g vs %.9g)",
                     c->name, bs, permuted ? " (permuted)" : "", df, Lfb, Lfa);
            free(pa);
            free(pb);
        }
    free(Xf);
    free(Yf);
    free(pf0);
    free(pfa);
    free(pfb);
    bp_mlp_free_f32(mf);
    epoch_env_close(&v);
}

static void test_train_epoch_equals_steps(void **state) {
    (void)state;
    for_each_training_net(check_epoch_equals_steps, 9801, 9851);
}

/* An epoch stops at its first diverging step, as its steps would: a NaN in
 * row 9 (1: nothing of that step applied) and a learning rate that
 * overflows the first update (2). */
static void check_epoch_divergence(const net_cfg *c, uint64_t seed) {
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    v.all.X[9 * v.all.ldx] = h_nan();
    for (size_t b = 0; b < sizeof EPOCH_BATCHES / sizeof EPOCH_BATCHES[0]; b++) {
        const size_t bs = EPOCH_BATCHES[b];
        double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total), L = 0.0;
        int da = -1, db = -1;
        steps_d(v.m, pa, &v.all, c, NULL, bs, 0.1, &da);
        H_OK(bp_mlp_train_epoch(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                targets_lab(c, &v.all), NULL, EPOCH_N, bs, 0.1, &L, &db));
        H_EXPECT(da == 1 && db == 1,
                 "%s, batch %zu, NaN in row 9: diverged %d (steps), %d "
                 "(epoch), expected 1",
                 c->name, bs, da, db);
        H_EXPECT(h_same_bits(pa, pb, v.o.total),
                 "%s, batch %zu, NaN in row 9: the epoch did not "
                 "stop where its steps did",
                 c->name, bs);
        /* the steps before row 9's batch were applied, that one was not */
        H_EXPECT(!h_same_bits(pb, v.p0, v.o.total), "%s, batch %zu: nothing before row 9 applied",
                 c->name, bs);
        free(pa);
        free(pb);
    }
    /* far targets: every output's gradient is well above 1, so
     * 1e308·g overflows */
    v.all.X[9 * v.all.ldx] = 0.5;
    for (size_t i = 0; i < EPOCH_N * n_out_last(c); i++) v.all.Y[i] = 100.0;
    double *p = h_copy(v.p0, v.o.total), L = 0.0;
    int d = -1;
    H_OK(bp_mlp_train_epoch(v.m, p, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                            targets_lab(c, &v.all), NULL, EPOCH_N, 1, 1e308, &L, &d));
    H_EXPECT(d == 2 && !h_all_finite(p, v.o.total),
             "%s, learning rate 1e308: diverged %d, parameters %s", c->name, d,
             h_all_finite(p, v.o.total) ? "finite" : "not finite");
    free(p);
    epoch_env_close(&v);
}

static void test_train_epoch_divergence(void **state) {
    (void)state;
    check_epoch_divergence(&NARROW_NETS[2], 9901); /* 2-2-2-2 sigmoid MSE (online path) */
    check_epoch_divergence(&NARROW_NETS[4], 9902); /* 4-6-3 leaky/identity MSE */
    check_epoch_divergence(&STEP_NETS[0], 9903);   /* 30-12-3, dense kernels */
}

/* The training tests again with a context attached (create() and the
 * float networks of the epoch tests): a dense network's steps then fuse
 * the SGD update into the weight-gradient products, after proving from
 * magnitudes that nothing overflows (mlp_tmpl.h, P(descend)); a narrow
 * network's are unchanged. Steps against the gradient and update, epochs
 * against their steps bit for bit, and every divergence case (where the
 * proof fails, the separate passes must give their verdict): the default
 * kernels on 1 and 2 threads, the AVX2, all-AVX-512 and portable ones on 1. */
static void test_train_epochs_equal_epoch_calls(void **state);
static void test_train_epochs_divergence(void **state);

static void test_fused_steps(void **state) {
    (void)state;
    static const struct {
        size_t threads;
        unsigned kernels;
    } ctx[] = { { 1, BP_EXEC_DEFAULT },
                { 2, BP_EXEC_DEFAULT },
                { 1, BP_EXEC_AVX2 },
                { 1, BP_EXEC_AVX512 },
                { 1, BP_EXEC_PORTABLE } };
    for (size_t x = 0; x < sizeof ctx / sizeof ctx[0]; x++) {
        bp_exec *ex = NULL;
        H_OK(bp_exec_create_with(ctx[x].threads, ctx[x].kernels, &ex));
        g_context = ex;
        test_train_step_equals_gradient_and_update(NULL);
        test_train_step_with_indices(NULL);
        test_train_step_divergence(NULL);
        test_train_step_nan_preactivation(NULL);
        test_train_epoch_equals_steps(NULL);
        test_train_epoch_divergence(NULL);
        test_train_epochs_equal_epoch_calls(NULL);
        test_train_epochs_divergence(NULL);
        g_context = NULL;
        bp_exec_free(ex);
    }
}

/* Parameters that do not start on a cache line: an epoch call of several
 * steps on a dense network of ≥ 2^15 parameters trains on the network's
 * aligned copy and writes the result back (mlp_tmpl.h, P(work_params)).
 * The results must be those of the same calls on aligned parameters, bit
 * for bit: train_epoch, train_epochs with its snapshot, and a diverging
 * run (a huge learning rate: the updates until the divergence written
 * back, the same ones). Double and
 * float, 1 and 2 threads. */
#define MISALIGNED_CASE(NAME, T, MLP_T, CREATE, SET_EXEC, EPOCH, EPOCHS, FREE, HUGE_LR)            \
    static void NAME(size_t threads) {                                                             \
        const size_t n_in = 200, h = 160, k = 10, rows = 64, batch = 8, epochs = 3;                \
        bp_layer_spec L[2] = { { n_in, h, BP_ACT_RELU, 0 }, { h, k, BP_ACT_SOFTMAX, 0 } };         \
        const size_t total = n_in * h + h + h * k + k; /* 33 770 ≥ 2^15 */                         \
        MLP_T *m = NULL;                                                                           \
        bp_exec *ex = NULL;                                                                        \
        H_OK(CREATE(2, L, BP_LOSS_SOFTMAX_CCE, batch, &m));                                        \
        H_OK(bp_exec_create(threads, &ex));                                                        \
        H_OK(SET_EXEC(m, ex));                                                                     \
        T *base[2], *snap[2], *p0 = malloc(total * sizeof(T)),                                     \
                              *X = malloc(rows * n_in * sizeof(T));                                \
        size_t labels[64];                                                                         \
        h_rng r;                                                                                   \
        h_seed(&r, 9701);                                                                          \
        for (size_t i = 0; i < total; i++) p0[i] = (T)h_uniform_signed(&r, 0.01, 0.1);             \
        for (size_t i = 0; i < rows * n_in; i++) X[i] = (T)h_uniform(&r, 0.0, 1.0);                \
        for (size_t i = 0; i < rows; i++) labels[i] = h_below(&r, k);                              \
        for (int v = 0; v < 2; v++) {                                                              \
            base[v] = aligned_alloc(64, ((total + 64) * sizeof(T) + 63) / 64 * 64);                \
            snap[v] = malloc(total * sizeof(T));                                                   \
        }                                                                                          \
        T *aligned = base[0], *off = base[1] + 1; /* one element past a line */                    \
        for (int run = 0; run < 3; run++) {                                                        \
            double lr = run == 2 ? HUGE_LR : 0.05, loss[2][3] = { { 0 } };                         \
            int d[2] = { -1, -1 };                                                                 \
            size_t done[2] = { 0, 0 };                                                             \
            for (int v = 0; v < 2; v++) {                                                          \
                T *p = v ? off : aligned;                                                          \
                memcpy(p, p0, total * sizeof(T));                                                  \
                if (run == 0)                                                                      \
                    H_OK(EPOCH(m, p, X, n_in, NULL, labels, NULL, rows, batch, lr, &loss[v][0],    \
                               &d[v]));                                                            \
                else                                                                               \
                    H_OK(EPOCHS(m, p, X, n_in, NULL, labels, NULL, rows, batch, epochs, lr,        \
                                loss[v], snap[v], &done[v], &d[v]));                               \
            }                                                                                      \
            H_EXPECT(memcmp(aligned, off, total * sizeof(T)) == 0 && d[0] == d[1] &&               \
                         done[0] == done[1] && memcmp(loss[0], loss[1], sizeof loss[0]) == 0,      \
                     #T ", %zu thread(s), run %d: parameters one element off a line trained "      \
                        "differently (diverged %d / %d, epochs %zu / %zu)",                        \
                     threads, run, d[0], d[1], done[0], done[1]);                                  \
            H_EXPECT(memcmp(aligned, p0, total * sizeof(T)) != 0 && (run < 2) == (d[0] == 0),      \
                     #T ", run %d: the set-up (parameters changed, diverged %d)", run, d[0]);      \
            if (run > 0)                                                                           \
                H_EXPECT(memcmp(snap[0], snap[1], total * sizeof(T)) == 0,                         \
                         #T ", %zu thread(s), run %d: the snapshots differ", threads, run);        \
        }                                                                                          \
        for (int v = 0; v < 2; v++) {                                                              \
            free(base[v]);                                                                         \
            free(snap[v]);                                                                         \
        }                                                                                          \
        free(p0);                                                                                  \
        free(X);                                                                                   \
        FREE(m);                                                                                   \
        bp_exec_free(ex);                                                                          \
    }
MISALIGNED_CASE(misaligned_case_d, double, bp_mlp, bp_mlp_create, bp_mlp_set_exec,
                bp_mlp_train_epoch, bp_mlp_train_epochs, bp_mlp_free, 1e300)
MISALIGNED_CASE(misaligned_case_s, float, bp_mlp_f32, bp_mlp_create_f32, bp_mlp_set_exec_f32,
                bp_mlp_train_epoch_f32, bp_mlp_train_epochs_f32, bp_mlp_free_f32, 1e37)

static void test_misaligned_parameters(void **state) {
    (void)state;
    for (size_t threads = 1; threads <= 2; threads++) {
        misaligned_case_d(threads);
        misaligned_case_s(threads);
    }
}

static void test_train_epoch_errors(void **state) {
    (void)state;
    err_env env, *e = &env;
    env_open(e, 2);
    bp_mlp *m = e->m;
    double *P = e->params;
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab, *idx = e->idx;
    double *L = &e->loss;
    int *D = &e->diverged;

    /* the valid calls succeed: n may exceed max_rows (2), batch may not */
    env_reset(e);
    H_OK(bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    H_OK(bp_mlp_train_epoch(m, P, X, 4, NULL, lab, idx, 4, 2, 0.1, L, D));
    H_OK(bp_mlp_train_epoch(m, P, X, 3, Y, NULL, NULL, 5, 2, 0.1, L, D));
    H_EXPECT(*D == 0 && isfinite(*L), "valid epoch: diverged %d, loss %g", *D, *L);

    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(NULL, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, NULL, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, NULL, 4, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, 0.1, L, NULL));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, Y, lab, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_NULL_POINTER, bp_mlp_train_epoch(m, P, X, 4, NULL, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_ENUM, bp_mlp_train_epoch(e->mse, P, X, 4, NULL, lab, NULL, 4, 1, 0.1, L, D));
    const double bad_lr[5] = { NAN, INFINITY, -INFINITY, -0.1, -DBL_MIN };
    for (int i = 0; i < 5; i++)
        ENV_ERR(BP_ERR_BAD_VALUE,
                bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 1, bad_lr[i], L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 0, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_ZERO_SIZE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 0, 0.1, L, D));
    ENV_ERR(BP_ERR_BAD_VALUE, bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, 4, 3, 0.1, L, D));
    ENV_ERR(BP_ERR_LEADING_DIMENSION,
            bp_mlp_train_epoch(m, P, X, 2, Y, NULL, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epoch(m, P, X, 4, Y, NULL, NULL, SIZE_MAX / 2, 1, 0.1, L, D));
    /* a bad label or row index in the last row is found before the first step */
    size_t bad_last[4] = { 0, 1, 0, 2 };
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epoch(m, P, X, 4, NULL, bad_last, NULL, 4, 1, 0.1, L, D));
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epoch(m, P, X, 4, NULL, bad_last, idx, 4, 2, 0.1, L, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epoch(m, P, X, 4, Y, NULL, (const size_t[]){ 0, 1, 2, SIZE_MAX }, 4, 1,
                               0.1, L, D));
    env_close(e);
}

/* ---- bp_mlp_train_epochs --------------------------------------------------------------------- */

/*
 * bp_mlp_train_epochs is defined as its epochs' bp_mlp_train_epoch calls:
 * the same parameters and per-epoch losses bit for bit, with rows in order
 * and with a different order every epoch, double and float; the snapshot
 * holds the parameters the last epoch started from.
 */
enum { MULTI_EPOCHS = 3 };

/* epoch e's order: a different permutation of the EPOCH_N rows each epoch */
static void multi_orders(size_t *orders) {
    for (size_t e = 0; e < MULTI_EPOCHS; e++)
        for (size_t i = 0; i < EPOCH_N; i++)
            orders[e * EPOCH_N + i] = (i * (5 + 2 * e) + 3 * e + 1) % EPOCH_N;
}

static void check_epochs_equal_epoch_calls(const net_cfg *c, uint64_t seed) {
    const size_t k = n_out_last(c);
    const double lr = 0.1;
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    size_t orders[MULTI_EPOCHS * EPOCH_N];
    multi_orders(orders);
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(c->nl, c->ls, c->loss, EPOCH_MAX_ROWS, &mf));
    H_OK(bp_mlp_set_exec_f32(mf, g_context));
    float *Xf = to_float(v.all.X, EPOCH_N * v.all.ldx), *Yf = to_float(v.all.Y, EPOCH_N * k);
    const float *Yt = c->labels ? NULL : Yf;
    const size_t batches[2] = { 1, 5 };
    for (size_t b = 0; b < 2; b++)
        for (int ordered = 0; ordered < 2; ordered++) {
            const size_t bs = batches[b], *ord = ordered ? orders : NULL;
            double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total);
            double *before_last = h_alloc(v.o.total), *snap = h_alloc(v.o.total);
            double La[MULTI_EPOCHS], Lb[MULTI_EPOCHS];
            int da = -1, db = -1;
            for (size_t e = 0; e < MULTI_EPOCHS; e++) {
                if (e == MULTI_EPOCHS - 1) memcpy(before_last, pa, v.o.total * sizeof *pa);
                H_OK(bp_mlp_train_epoch(v.m, pa, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                        targets_lab(c, &v.all), ord ? ord + e * EPOCH_N : NULL,
                                        EPOCH_N, bs, lr, &La[e], &da));
                H_EXPECT(da == 0, "%s, batch %zu: epoch %zu diverged", c->name, bs, e);
            }
            size_t done = 0;
            H_OK(bp_mlp_train_epochs(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                     targets_lab(c, &v.all), ord, EPOCH_N, bs, MULTI_EPOCHS, lr, Lb,
                                     snap, &done, &db));
            H_EXPECT(db == 0 && done == MULTI_EPOCHS,
                     "%s, batch %zu: diverged %d after %zu "
                     "epochs",
                     c->name, bs, db, done);
            H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(La, Lb, MULTI_EPOCHS),
                     "%s, batch %zu%s: %d epochs in one call differ from %d calls (last loss "
                     "%.17g vs %.17g)",
                     c->name, bs, ordered ? " (orders)" : "", MULTI_EPOCHS, MULTI_EPOCHS,
                     Lb[MULTI_EPOCHS - 1], La[MULTI_EPOCHS - 1]);
            H_EXPECT(h_same_bits(snap, before_last, v.o.total),
                     "%s, batch %zu: the snapshot is not the last epoch's start", c->name, bs);
            /* single precision */
            float *pfa = to_float(v.p0, v.o.total), *pfb = to_float(v.p0, v.o.total);
            double Lfa[MULTI_EPOCHS], Lfb[MULTI_EPOCHS];
            for (size_t e = 0; e < MULTI_EPOCHS; e++)
                H_OK(bp_mlp_train_epoch_f32(mf, pfa, Xf, v.all.ldx, Yt, targets_lab(c, &v.all),
                                            ord ? ord + e * EPOCH_N : NULL, EPOCH_N, bs, lr,
                                            &Lfa[e], &da));
            H_OK(bp_mlp_train_epochs_f32(mf, pfb, Xf, v.all.ldx, Yt, targets_lab(c, &v.all), ord,
                                         EPOCH_N, bs, MULTI_EPOCHS, lr, Lfb, NULL, &done, &db));
            H_EXPECT(db == 0 && done == MULTI_EPOCHS &&
                         memcmp(pfa, pfb, v.o.total * sizeof *pfa) == 0 &&
                         h_same_bits(Lfa, Lfb, MULTI_EPOCHS),
                     "%s, batch %zu%s (float): epochs in one call differ from the calls", c->name,
                     bs, ordered ? " (orders)" : "");
            free(pfa);
            free(pfb);
            free(pa);
            free(pb);
            free(before_last);
            free(snap);
        }
    free(Xf);
    free(Yf);
    bp_mlp_free_f32(mf);
    epoch_env_close(&v);
}

static void test_train_epochs_equal_epoch_calls(void **state) {
    (void)state;
    for_each_training_net(check_epochs_equal_epoch_calls, 9951, 9971);
}

/* Divergence: a NaN in row 9, which only the third epoch's order visits,
 * stops training there (diverged 1) with two epochs completed, their losses
 * written, the third's not, and the parameters of the equivalent calls; an
 * update that overflows in the first epoch (diverged 2) leaves the
 * snapshot at the starting parameters. */
static void check_epochs_divergence(const net_cfg *c, uint64_t seed) {
    epoch_env v;
    epoch_env_open(&v, c, seed, n_in0(c));
    v.all.X[9 * v.all.ldx] = h_nan();
    size_t orders[MULTI_EPOCHS * EPOCH_N];
    for (size_t e = 0; e < MULTI_EPOCHS; e++)
        for (size_t i = 0; i < EPOCH_N; i++) orders[e * EPOCH_N + i] = e < 2 && i == 9 ? 10 : i;
    const size_t batches[2] = { 1, 5 };
    for (size_t b = 0; b < 2; b++) {
        const size_t bs = batches[b];
        double *pa = h_copy(v.p0, v.o.total), *pb = h_copy(v.p0, v.o.total),
               *snap = h_alloc(v.o.total);
        double La[MULTI_EPOCHS], Lb[MULTI_EPOCHS] = { 0.5, 0.5, 0.5 };
        int da = -1, db = -1;
        for (size_t e = 0; e < MULTI_EPOCHS; e++)
            H_OK(bp_mlp_train_epoch(v.m, pa, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                    targets_lab(c, &v.all), orders + e * EPOCH_N, EPOCH_N, bs, 0.1,
                                    &La[e], &da));
        size_t done = 99;
        H_OK(bp_mlp_train_epochs(v.m, pb, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                                 targets_lab(c, &v.all), orders, EPOCH_N, bs, MULTI_EPOCHS, 0.1, Lb,
                                 snap, &done, &db));
        H_EXPECT(da == 1 && db == 1 && done == 2,
                 "%s, batch %zu: diverged %d (calls), %d after "
                 "%zu epochs (one call), expected 1 after 2",
                 c->name, bs, da, db, done);
        H_EXPECT(h_same_bits(pa, pb, v.o.total) && h_same_bits(La, Lb, 2) && Lb[2] == 0.5,
                 "%s, batch %zu: the call did not stop where the epoch calls did", c->name, bs);
        free(pa);
        free(pb);
        free(snap);
    }
    v.all.X[9 * v.all.ldx] = 0.5;
    for (size_t i = 0; i < EPOCH_N * n_out_last(c); i++) v.all.Y[i] = 100.0;
    double *p = h_copy(v.p0, v.o.total), *snap = h_alloc(v.o.total), L[MULTI_EPOCHS];
    size_t done = 99;
    int d = -1;
    H_OK(bp_mlp_train_epochs(v.m, p, v.all.X, v.all.ldx, targets_Y(c, &v.all),
                             targets_lab(c, &v.all), NULL, EPOCH_N, 1, MULTI_EPOCHS, 1e308, L, snap,
                             &done, &d));
    H_EXPECT(d == 2 && done == 0 && !h_all_finite(p, v.o.total) &&
                 h_same_bits(snap, v.p0, v.o.total),
             "%s, learning rate 1e308: diverged %d after %zu epochs, snapshot %s", c->name, d, done,
             h_same_bits(snap, v.p0, v.o.total) ? "the start" : "not the start");
    free(p);
    free(snap);
    epoch_env_close(&v);
}

static void test_train_epochs_divergence(void **state) {
    (void)state;
    check_epochs_divergence(&NARROW_NETS[2], 9991); /* 2-2-2-2 sigmoid MSE (online path) */
    check_epochs_divergence(&STEP_NETS[0], 9992);   /* 30-12-3, dense kernels */
}

static void test_train_epochs_errors(void **state) {
    (void)state;
    err_env env, *e = &env;
    env_open(e, 2);
    bp_mlp *m = e->m;
    double *P = e->params, Ls[3], snap[32];
    const double *X = e->X, *Y = e->Y;
    const size_t *lab = e->lab;
    size_t done = 0, *C = &done;
    int *D = &e->diverged;
    /* three epochs' orders; the last epoch's holds a bad row index or label */
    size_t ord[12] = { 0, 1, 2, 3, 3, 2, 1, 0, 1, 0, 3, 2 };

    env_reset(e);
    H_OK(bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    H_EXPECT(*D == 0 && done == 3 && isfinite(Ls[2]), "valid epochs: diverged %d, %zu done", *D,
             done);
    H_OK(bp_mlp_train_epochs(m, P, X, 4, NULL, lab, NULL, 4, 2, 3, 0.1, Ls, NULL, C, D));

    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(NULL, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, NULL, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, NULL, snap, C, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, NULL, D));
    ENV_ERR(BP_ERR_NULL_POINTER,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, 0.1, Ls, snap, C, NULL));
    ENV_ERR(BP_ERR_ZERO_SIZE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 0, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_ZERO_SIZE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 0, 1, 3, 0.1, Ls, snap, C, D));
    ENV_ERR(BP_ERR_BAD_VALUE,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, NULL, 4, 1, 3, NAN, Ls, snap, C, D));
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, SIZE_MAX / 2, 1, 3, 0.1, Ls, snap, C, D));
    /* a bad row index or label in the last epoch is found before the first step */
    ord[11] = SIZE_MAX;
    ENV_ERR(BP_ERR_SIZE_OVERFLOW,
            bp_mlp_train_epochs(m, P, X, 4, Y, NULL, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    ord[11] = 2;
    size_t bad_lab[4] = { 0, 1, 0, 2 };
    ENV_ERR(BP_ERR_LABEL_OUT_OF_RANGE,
            bp_mlp_train_epochs(m, P, X, 4, NULL, bad_lab, ord, 4, 1, 3, 0.1, Ls, snap, C, D));
    env_close(e);
}

int run_training_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_train_step_equals_gradient_and_update),
        cmocka_unit_test(test_train_step_with_indices),
        cmocka_unit_test(test_train_step_divergence),
        cmocka_unit_test(test_train_step_nan_preactivation),
        cmocka_unit_test(test_train_step_gradient_overflow_in_gemm),
        cmocka_unit_test(test_train_step_one_sample_at_a_time),
        cmocka_unit_test(test_train_epoch_equals_steps),
        cmocka_unit_test(test_train_epoch_divergence),
        cmocka_unit_test(test_train_step_errors),
        cmocka_unit_test(test_train_epoch_errors),
        cmocka_unit_test(test_train_epochs_equal_epoch_calls),
        cmocka_unit_test(test_train_epochs_divergence),
        cmocka_unit_test(test_train_epochs_errors),
        cmocka_unit_test(test_fused_steps),
        cmocka_unit_test(test_misaligned_parameters),
    };
    return cmocka_run_group_tests_name("training", tests, NULL, NULL);
}
