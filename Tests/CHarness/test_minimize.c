/*
 * test_minimize.c — full-batch minimisation by GSL's minimisers
 * (bp_minimize.h).
 *
 * The problem: a 2-8-1 tanh network fitting y = 0.8·sin(2·x₁)·cos(x₂) on
 * 100 points of [−1, 1]² (mean squared error). Against a long full-batch
 * Adam run (bp_optimizer.h) from the same start, BFGS must reach Adam's
 * final loss within a tenth of its iterations. At the point BFGS returns,
 * the objective J = mean loss + (α/(2n))·Σ‖W‖² is recomputed here (the
 * penalty by a plain loop over the layout, recomputed from the layer
 * shapes) and its gradient taken by central differences: the reported
 * loss must be J there, and the gradient below the tolerance. Then the
 * chunked evaluation (max_rows < n) against one pass, conjugate gradients
 * and steepest descent decreasing the loss, the iteration limit, labels,
 * float networks, a network whose loss overflows (BP_ERR_NOT_FINITE), and
 * every argument error with nothing written.
 */
#include "harness.h"
#include "mlp_support.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { ROWS = 100 };

static const net_cfg REGRESSION = {
    "2-8-1 tanh, MSE", 2, { L_(2, 8, BP_ACT_TANH), L_(8, 1, BP_ACT_IDENTITY) }, BP_LOSS_MSE, 0
};

typedef struct data {
    double X[ROWS * 2], Y[ROWS];
} data;

static void make_data(data *d) {
    h_rng r;
    h_seed(&r, 2024);
    for (size_t i = 0; i < ROWS; i++) {
        double a = h_uniform(&r, -1, 1), b = h_uniform(&r, -1, 1);
        d->X[2 * i] = a;
        d->X[2 * i + 1] = b;
        d->Y[i] = 0.8 * sin(2 * a) * cos(b);
    }
}

static double *start_params(const net_cfg *c, uint64_t seed) {
    layout o = make_layout(c);
    double *p = h_alloc(o.total);
    h_rng r;
    h_seed(&r, seed);
    fill_params(&r, c, &o, p);
    return p;
}

static bp_minimize_options options(bp_minimize_method method, size_t iterations, double tol,
                                   double l2) {
    bp_minimize_options o;
    assert_int_equal(bp_minimize_options_default(method, &o), BP_OK);
    o.max_iterations = iterations;
    o.gradient_tolerance = tol;
    o.l2 = l2;
    return o;
}

/* J at p, recomputed: the engine's mean loss over all rows plus the L2
 * penalty over the weights by a plain loop. */
typedef struct objective_env {
    bp_mlp *m;
    const net_cfg *c;
    const data *d;
    double *p;
    double l2;
} objective_env;

static double plain_penalty(const net_cfg *c, const double *p, double l2, size_t n) {
    layout o = make_layout(c);
    double sum = 0;
    for (size_t l = 0; l < c->nl; l++)
        for (size_t i = 0; i < c->ls[l].n_in * c->ls[l].n_out; i++)
            sum += p[o.w[l] + i] * p[o.w[l] + i];
    return l2 / (2.0 * (double)n) * sum;
}

static double objective_at(void *ctx) {
    objective_env *e = ctx;
    double loss = NAN;
    H_OK(bp_mlp_gradient(e->m, e->p, ROWS, e->d->X, 2, e->d->Y, NULL, &loss, NULL, NULL));
    return loss + plain_penalty(e->c, e->p, e->l2, ROWS);
}

/* The full-batch loss after `epochs` epochs of Adam (η = 0.01) from p. */
static double adam_loss(const data *d, const double *p0, size_t epochs) {
    bp_mlp *m = create(&REGRESSION, ROWS);
    layout o = make_layout(&REGRESSION);
    double *p = h_copy(p0, o.total), *losses = h_alloc(epochs), loss = NAN;
    bp_optimizer adam;
    H_OK(bp_optimizer_default(BP_OPTIMIZER_ADAM, &adam));
    H_OK(bp_mlp_set_optimizer(m, &adam));
    size_t completed = 0;
    int diverged = -1;
    H_OK(bp_mlp_train_epochs(m, p, d->X, 2, d->Y, NULL, NULL, ROWS, ROWS, epochs, 0.01, losses,
                             NULL, &completed, &diverged));
    H_EXPECT(completed == epochs && diverged == 0, "Adam stopped after %zu epochs", completed);
    H_OK(bp_mlp_gradient(m, p, ROWS, d->X, 2, d->Y, NULL, &loss, NULL, NULL));
    free(p);
    free(losses);
    bp_mlp_free(m);
    return loss;
}

/* ---- against Adam ------------------------------------------------------------- */

/* J after `budget` BFGS iterations from p0 (no L2; the tolerance too small
 * to stop it early). */
static double bfgs_loss(bp_mlp *m, const data *d, const double *p0, size_t budget, size_t *passes) {
    layout o = make_layout(&REGRESSION);
    double *p = h_copy(p0, o.total), loss = NAN;
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, budget, 1e-12, 0);
    H_OK(bp_mlp_minimize(m, p, d->X, 2, d->Y, NULL, ROWS, &opt, &rep));
    *passes = rep.loss_evaluations + rep.gradient_evaluations;
    H_OK(bp_mlp_gradient(m, p, ROWS, d->X, 2, d->Y, NULL, &loss, NULL, NULL));
    H_EXPECT(fabs(rep.loss - loss) <= 1e-12 * loss, "reported %.17g, recomputed %.17g", rep.loss,
             loss);
    free(p);
    return loss;
}

/* The fewest BFGS iterations after which J is at or below `target`
 * from p0, by bisection over [1, limit] (a descent method's loss never
 * rises from one iteration to the next, and each run is the same
 * deterministic trajectory cut short); limit + 1 when even `limit` is not
 * enough; *passes the passes over the data those iterations made. */
static size_t iterations_to_reach(bp_mlp *m, const data *d, const double *p0, double target,
                                  size_t limit, size_t *passes) {
    if (bfgs_loss(m, d, p0, limit, passes) > target) return limit + 1;
    size_t lo = 1, hi = limit;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (bfgs_loss(m, d, p0, mid, passes) <= target) hi = mid;
        else lo = mid + 1;
    }
    bfgs_loss(m, d, p0, lo, passes);
    return lo;
}

static int compare_sizes(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return (x > y) - (x < y);
}

/* From each of five starting points: Adam's full-batch loss after 5000
 * epochs, and the iterations BFGS needs to reach it. */
static void test_bfgs_reaches_adam_in_fewer_iterations(void **state) {
    (void)state;
    enum { ADAM_EPOCHS = 5000, STARTS = 5 };
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    size_t bfgs[STARTS], passes;
    for (size_t k = 0; k < STARTS; k++) {
        double *p0 = start_params(&REGRESSION, 100 + k), start = NAN;
        H_OK(bp_mlp_gradient(m, p0, ROWS, d.X, 2, d.Y, NULL, &start, NULL, NULL));
        double target = adam_loss(&d, p0, ADAM_EPOCHS);
        bfgs[k] = iterations_to_reach(m, &d, p0, target, ADAM_EPOCHS / 4, &passes);
        print_message("[ minimize ] start %zu: loss %.4g; Adam after %d epochs %.4g; reached by "
                      "BFGS in %zu iterations (%zu passes over the data)\n",
                      k, start, (int)ADAM_EPOCHS, target, bfgs[k], passes);
        free(p0);
    }
    qsort(bfgs, STARTS, sizeof *bfgs, compare_sizes);
    H_EXPECT(bfgs[STARTS / 2] <= ADAM_EPOCHS / 10, "median %zu BFGS iterations", bfgs[STARTS / 2]);
    H_EXPECT(bfgs[STARTS - 1] <= ADAM_EPOCHS / 4, "at most %zu BFGS iterations", bfgs[STARTS - 1]);
    bp_mlp_free(m);
}

/* ---- the point returned: J and its gradient ------------------------------------------ */

static void check_converged_point(bp_minimize_method method, double l2) {
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    layout o = make_layout(&REGRESSION);
    double *p = start_params(&REGRESSION, 11);
    const double tol = 1e-6;
    bp_minimize_report rep;
    bp_minimize_options opt = options(method, 20000, tol, l2);
    H_OK(bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &opt, &rep));
    H_EXPECT(rep.outcome == BP_MINIMIZE_CONVERGED, "method %d, α %g: outcome %d after %zu",
             (int)method, l2, (int)rep.outcome, rep.iterations);
    H_EXPECT(rep.gradient_norm < tol, "gradient norm %g", rep.gradient_norm);

    objective_env e = { m, &REGRESSION, &d, p, l2 };
    double J = objective_at(&e);
    H_EXPECT(fabs(rep.loss - J) <= 1e-12 * J, "reported J %.17g, recomputed %.17g", rep.loss, J);

    /* ∇J by central differences: its norm below the tolerance (plus the
     * differences' own error, ~1e-10 per component), and the analytic
     * ∇J (engine gradient + (α/n)·W by a plain loop) agreeing with it. */
    double *fd = h_alloc(o.total), *an = h_alloc(o.total), loss;
    for (size_t i = 0; i < o.total; i++) fd[i] = h_central_diff(&p[i], 1e-5, objective_at, &e);
    H_OK(bp_mlp_gradient(m, p, ROWS, d.X, 2, d.Y, NULL, &loss, an, NULL));
    for (size_t l = 0; l < REGRESSION.nl; l++)
        for (size_t i = 0; i < REGRESSION.ls[l].n_in * REGRESSION.ls[l].n_out; i++)
            an[o.w[l] + i] += l2 / ROWS * p[o.w[l] + i];
    double fd_norm = 0, an_norm = 0, diff = 0;
    for (size_t i = 0; i < o.total; i++) {
        fd_norm += fd[i] * fd[i];
        an_norm += an[i] * an[i];
        diff = fmax(diff, fabs(fd[i] - an[i]));
    }
    fd_norm = sqrt(fd_norm);
    an_norm = sqrt(an_norm);
    H_EXPECT(fd_norm < tol + 1e-8, "finite-difference gradient norm %g", fd_norm);
    H_EXPECT(fabs(an_norm - rep.gradient_norm) <= 1e-9, "analytic norm %g, reported %g", an_norm,
             rep.gradient_norm);
    H_EXPECT(diff < 1e-8, "analytic and finite-difference gradients differ by %g", diff);
    free(fd);
    free(an);
    free(p);
    bp_mlp_free(m);
}

static void test_converged_gradient_below_tolerance(void **state) {
    (void)state;
    check_converged_point(BP_MINIMIZE_BFGS2, 0);
    check_converged_point(BP_MINIMIZE_BFGS2, 0.5);
}

/* The L2 term moves the minimum: at the unpenalised minimum ∇J = (α/n)·W. */
static void test_l2_term_changes_the_minimum(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    layout o = make_layout(&REGRESSION);
    double *p = start_params(&REGRESSION, 11), *q = h_copy(p, o.total);
    bp_minimize_report a, b;
    bp_minimize_options plain = options(BP_MINIMIZE_BFGS2, 5000, 1e-6, 0);
    bp_minimize_options penalised = options(BP_MINIMIZE_BFGS2, 5000, 1e-6, 2.0);
    H_OK(bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &plain, &a));
    H_OK(bp_mlp_minimize(m, q, d.X, 2, d.Y, NULL, ROWS, &penalised, &b));
    double wp = 2 * ROWS * plain_penalty(&REGRESSION, p, 1, ROWS),
           wq = 2 * ROWS * plain_penalty(&REGRESSION, q, 1, ROWS);
    H_EXPECT(wq < wp, "Σ‖W‖² with α = 2: %g, without: %g", wq, wp);
    free(p);
    free(q);
    bp_mlp_free(m);
}

/* ---- chunks, other methods, limits ---------------------------------------------------- */

/* max_rows 16 < n = 100: seven chunks, the last of 4 rows. The same J,
 * ∇J and so the same first iterations as one pass, up to rounding. */
static void test_chunked_evaluation_matches_one_pass(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *whole = create(&REGRESSION, ROWS), *chunked = create(&REGRESSION, 16);
    layout o = make_layout(&REGRESSION);
    double *p = start_params(&REGRESSION, 3), *q = h_copy(p, o.total);
    bp_minimize_report a, b;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 5, 1e-12, 0.3);
    H_OK(bp_mlp_minimize(whole, p, d.X, 2, d.Y, NULL, ROWS, &opt, &a));
    H_OK(bp_mlp_minimize(chunked, q, d.X, 2, d.Y, NULL, ROWS, &opt, &b));
    H_EXPECT(a.iterations == 5 && b.iterations == 5, "%zu and %zu iterations", a.iterations,
             b.iterations);
    H_EXPECT(fabs(a.loss - b.loss) <= 1e-12 * a.loss, "J %.17g and %.17g", a.loss, b.loss);
    H_EXPECT(rel_err(q, p, o.total) < 1e-10, "parameters differ by %g", rel_err(q, p, o.total));
    free(p);
    free(q);
    bp_mlp_free(whole);
    bp_mlp_free(chunked);
}

static void test_other_methods_decrease_the_loss(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    layout o = make_layout(&REGRESSION);
    double *p0 = start_params(&REGRESSION, 5), start;
    H_OK(bp_mlp_gradient(m, p0, ROWS, d.X, 2, d.Y, NULL, &start, NULL, NULL));
    const bp_minimize_method methods[] = { BP_MINIMIZE_CONJUGATE_FR, BP_MINIMIZE_CONJUGATE_PR,
                                           BP_MINIMIZE_STEEPEST_DESCENT };
    for (size_t k = 0; k < 3; k++) {
        double *p = h_copy(p0, o.total), end;
        bp_minimize_report rep;
        bp_minimize_options opt = options(methods[k], 100, 1e-9, 0);
        H_OK(bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &opt, &rep));
        H_OK(bp_mlp_gradient(m, p, ROWS, d.X, 2, d.Y, NULL, &end, NULL, NULL));
        H_EXPECT(end < 0.5 * start, "method %d: loss %g from %g", (int)methods[k], end, start);
        H_EXPECT(fabs(rep.loss - end) <= 1e-12 * end, "method %d: reported %.17g, recomputed %.17g",
                 (int)methods[k], rep.loss, end);
        H_EXPECT(rep.iterations >= 1 && rep.gradient_evaluations >= rep.iterations,
                 "method %d: %zu iterations, %zu gradient evaluations", (int)methods[k],
                 rep.iterations, rep.gradient_evaluations);
        free(p);
    }
    free(p0);
    bp_mlp_free(m);
}

static void test_iteration_limit_reported(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    double *p = start_params(&REGRESSION, 5);
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 3, 1e-9, 0);
    H_OK(bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &opt, &rep));
    H_EXPECT(rep.outcome == BP_MINIMIZE_ITERATION_LIMIT && rep.iterations == 3,
             "outcome %d after %zu iterations", (int)rep.outcome, rep.iterations);
    H_EXPECT(rep.gradient_norm >= 1e-9, "gradient norm %g", rep.gradient_norm);
    free(p);
    bp_mlp_free(m);
}

/* A start that already passes the gradient test: no iteration, converged. */
static void test_converged_start_takes_no_iteration(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    layout o = make_layout(&REGRESSION);
    double *p = start_params(&REGRESSION, 5);
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 10, 1e6, 0);
    double *saved = h_copy(p, o.total);
    H_OK(bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &opt, &rep));
    H_EXPECT(rep.outcome == BP_MINIMIZE_CONVERGED && rep.iterations == 0,
             "outcome %d after %zu iterations", (int)rep.outcome, rep.iterations);
    H_EXPECT(h_same_bits(p, saved, o.total), "the parameters moved");
    free(saved);
    free(p);
    bp_mlp_free(m);
}

/* ---- labels, float ---------------------------------------------------------------- */

static void test_labels_and_softmax(void **state) {
    (void)state;
    static const net_cfg three = { "2-6-3 softmax CCE",
                                   2,
                                   { L_(2, 6, BP_ACT_TANH), L_(6, 3, BP_ACT_SOFTMAX) },
                                   BP_LOSS_SOFTMAX_CCE,
                                   1 };
    data d;
    make_data(&d);
    size_t labels[ROWS];
    /* three classes by the sign of x₁ and of x₂ (the second quadrant and
     * the third share class 2) */
    for (size_t i = 0; i < ROWS; i++) labels[i] = d.X[2 * i] > 0 ? (d.X[2 * i + 1] > 0 ? 0 : 1) : 2;
    bp_mlp *m = create(&three, 32);
    layout o = make_layout(&three);
    double *p = start_params(&three, 9), start, end;
    H_OK(bp_mlp_gradient(m, p, 32, d.X, 2, NULL, labels, &start, NULL, NULL));
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 200, 1e-6, 1e-3);
    H_OK(bp_mlp_minimize(m, p, d.X, 2, NULL, labels, ROWS, &opt, &rep));
    /* the mean over every row, in chunks of 32 (the network's max_rows) */
    double total = 0;
    for (size_t s = 0; s < ROWS; s += 32) {
        size_t rows = ROWS - s < 32 ? ROWS - s : 32;
        H_OK(bp_mlp_gradient(m, p, rows, d.X + 2 * s, 2, NULL, labels + s, &end, NULL, NULL));
        total += end * (double)rows;
    }
    end = total / ROWS + plain_penalty(&three, p, 1e-3, ROWS);
    H_EXPECT(fabs(rep.loss - end) <= 1e-12 * end, "reported %.17g, recomputed %.17g", rep.loss,
             end);
    H_EXPECT(end < 0.2, "cross-entropy %g (from %g on the first 32 rows)", end, start);
    (void)o;
    free(p);
    bp_mlp_free(m);
}

static void test_float_network(void **state) {
    (void)state;
    data d;
    make_data(&d);
    layout o = make_layout(&REGRESSION);
    double *p0 = start_params(&REGRESSION, 7);
    float *X = to_float(d.X, 2 * ROWS), *Y = to_float(d.Y, ROWS), *p = to_float(p0, o.total);
    bp_mlp_f32 *m = NULL;
    H_OK(bp_mlp_create_f32(REGRESSION.nl, REGRESSION.ls, REGRESSION.loss, ROWS, &m));
    double start, end;
    H_OK(bp_mlp_gradient_f32(m, p, ROWS, X, 2, Y, NULL, &start, NULL, NULL));
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 300, 1e-4, 0);
    H_OK(bp_mlp_minimize_f32(m, p, X, 2, Y, NULL, ROWS, &opt, &rep));
    H_OK(bp_mlp_gradient_f32(m, p, ROWS, X, 2, Y, NULL, &end, NULL, NULL));
    /* the reported J is the float network's at the float parameters returned */
    H_EXPECT(rep.loss == end, "reported %.17g, float network %.17g", rep.loss, end);
    /* and as low as double's BFGS after as many iterations, to float's resolution */
    bp_mlp *md = create(&REGRESSION, ROWS);
    double ref;
    bp_minimize_report drep;
    bp_minimize_options dopt = options(BP_MINIMIZE_BFGS2, rep.iterations, 1e-4, 0);
    H_OK(bp_mlp_minimize(md, p0, d.X, 2, d.Y, NULL, ROWS, &dopt, &drep));
    ref = drep.loss;
    H_EXPECT(end < 0.05 * start, "float: %g from %g", end, start);
    H_EXPECT(end <= 1.05 * ref + 1e-6, "float: %g, double after %zu iterations: %g", end,
             rep.iterations, ref);
    free(X);
    free(Y);
    free(p);
    free(p0);
    bp_mlp_free_f32(m);
    bp_mlp_free(md);
}

/* ---- failures ----------------------------------------------------------------------- */

/* 1 → 1 → 1 identity, both weights 1e80: the output 1e160 at x = 1, whose
 * squared error overflows. */
static void test_overflow_is_not_finite(void **state) {
    (void)state;
    static const net_cfg tiny = { "1-1-1 identity",
                                  2,
                                  { L_(1, 1, BP_ACT_IDENTITY), L_(1, 1, BP_ACT_IDENTITY) },
                                  BP_LOSS_MSE,
                                  0 };
    bp_mlp *m = create(&tiny, 4);
    double p[4] = { 1e80, 0, 1e80, 0 }, saved[4];
    memcpy(saved, p, sizeof p);
    double X[2] = { 1, 0 }, Y[2] = { 0, 0 };
    bp_minimize_report rep;
    memset(&rep, 0, sizeof rep);
    bp_minimize_options opt = options(BP_MINIMIZE_BFGS2, 10, 1e-6, 0);
    H_STATUS(BP_ERR_NOT_FINITE, bp_mlp_minimize(m, p, X, 1, Y, NULL, 2, &opt, &rep));
    H_EXPECT(h_same_bits(p, saved, 4), "the parameters changed");
    H_EXPECT(rep.outcome == BP_MINIMIZE_FAILED && rep.iterations == 0 &&
                 rep.gradient_evaluations == 1 && isnan(rep.loss),
             "outcome %d, %zu iterations, %zu evaluations, loss %g", (int)rep.outcome,
             rep.iterations, rep.gradient_evaluations, rep.loss);
    bp_mlp_free(m);
}

/* A finite start whose first trial step (steepest descent, a step of
 * 1e300) lands where the loss overflows: BP_ERR_NOT_FINITE after the start
 * and the probe, the parameters as they were. */
static void test_overflow_on_the_way(void **state) {
    (void)state;
    static const net_cfg single = {
        "1-1 identity", 1, { L_(1, 1, BP_ACT_IDENTITY) }, BP_LOSS_MSE, 0
    };
    bp_mlp *m = create(&single, 4);
    double p[2] = { 0.5, 0 }, X[1] = { 1 }, Y[1] = { 0 };
    bp_minimize_report rep;
    bp_minimize_options opt = options(BP_MINIMIZE_STEEPEST_DESCENT, 10, 1e-6, 0);
    opt.initial_step_size = 1e300;
    H_STATUS(BP_ERR_NOT_FINITE, bp_mlp_minimize(m, p, X, 1, Y, NULL, 1, &opt, &rep));
    H_EXPECT(p[0] == 0.5 && p[1] == 0, "the parameters changed: %g %g", p[0], p[1]);
    H_EXPECT(rep.outcome == BP_MINIMIZE_FAILED && rep.iterations == 0 &&
                 rep.gradient_evaluations + rep.loss_evaluations == 2,
             "outcome %d, %zu iterations, %zu + %zu evaluations", (int)rep.outcome, rep.iterations,
             rep.loss_evaluations, rep.gradient_evaluations);
    bp_mlp_free(m);
}

/* Every argument error: the status, and params and the report as they were. */
static void test_argument_errors(void **state) {
    (void)state;
    data d;
    make_data(&d);
    bp_mlp *m = create(&REGRESSION, ROWS);
    static const net_cfg cls = {
        "2-3 softmax", 1, { L_(2, 3, BP_ACT_SOFTMAX) }, BP_LOSS_SOFTMAX_CCE, 1
    };
    bp_mlp *mc = create(&cls, 8);
    layout o = make_layout(&REGRESSION);
    double *p = start_params(&REGRESSION, 1), *saved = h_copy(p, o.total);
    double pc[9] = { 0 };
    size_t labels[4] = { 0, 1, 2, 1 }, bad_labels[4] = { 0, 1, 3, 1 };
    bp_minimize_report rep, blank;
    memset(&blank, 0x5A, sizeof blank);
    const bp_minimize_options good = options(BP_MINIMIZE_BFGS2, 10, 1e-5, 0);
    bp_minimize_options o2;

#define MIN_ERR(status, opts, call)                                                                \
    do {                                                                                           \
        o2 = (opts);                                                                               \
        memcpy(&rep, &blank, sizeof rep);                                                          \
        H_STATUS(status, call);                                                                    \
        H_EXPECT(h_same_bits(p, saved, o.total), "%s changed the parameters", #call);              \
        H_EXPECT(memcmp(&rep, &blank, sizeof rep) == 0, "%s wrote the report", #call);             \
    } while (0)
#define RUN bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &o2, &rep)

    MIN_ERR(BP_ERR_NULL_POINTER, good,
            bp_mlp_minimize(NULL, p, d.X, 2, d.Y, NULL, ROWS, &o2, &rep));
    MIN_ERR(BP_ERR_NULL_POINTER, good, bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, NULL, &rep));
    bp_minimize_options bad = good;
    bad.method = (bp_minimize_method)4;
    MIN_ERR(BP_ERR_BAD_ENUM, bad, RUN);
    bad.method = (bp_minimize_method)-1;
    MIN_ERR(BP_ERR_BAD_ENUM, bad, RUN);
    MIN_ERR(BP_ERR_BAD_ENUM, good, bp_mlp_minimize(m, p, d.X, 2, NULL, labels, 4, &o2, &rep));
    MIN_ERR(BP_ERR_ZERO_SIZE, good, bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, 0, &o2, &rep));
    const double not_positive[] = { 0, -1, NAN, INFINITY };
    for (size_t i = 0; i < 4; i++) {
        bad = good;
        bad.gradient_tolerance = not_positive[i];
        MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
        bad = good;
        bad.initial_step_size = not_positive[i];
        MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
        bad = good;
        bad.line_search_tolerance = not_positive[i];
        MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
    }
    bad = good;
    bad.line_search_tolerance = 1;
    MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
    bad = good;
    bad.max_iterations = 0;
    MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
    const double bad_l2[] = { -1e-3, NAN, INFINITY };
    for (size_t i = 0; i < 3; i++) {
        bad = good;
        bad.l2 = bad_l2[i];
        MIN_ERR(BP_ERR_BAD_VALUE, bad, RUN);
    }
    MIN_ERR(BP_ERR_LEADING_DIMENSION, good,
            bp_mlp_minimize(m, p, d.X, 1, d.Y, NULL, ROWS, &o2, &rep));
    MIN_ERR(BP_ERR_SIZE_OVERFLOW, good,
            bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, SIZE_MAX / 2, &o2, &rep));
    MIN_ERR(BP_ERR_NULL_POINTER, good, bp_mlp_minimize(m, p, NULL, 2, d.Y, NULL, ROWS, &o2, &rep));
    MIN_ERR(BP_ERR_NULL_POINTER, good, bp_mlp_minimize(m, p, d.X, 2, NULL, NULL, ROWS, &o2, &rep));
    MIN_ERR(BP_ERR_NULL_POINTER, good,
            bp_mlp_minimize(m, NULL, d.X, 2, d.Y, NULL, ROWS, &o2, &rep));
    MIN_ERR(BP_ERR_NULL_POINTER, good, bp_mlp_minimize(m, p, d.X, 2, d.Y, NULL, ROWS, &o2, NULL));

    /* the classifier: both targets, a label out of range */
    double saved_c[9];
    memcpy(saved_c, pc, sizeof pc);
    memcpy(&rep, &blank, sizeof rep);
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_minimize(mc, pc, d.X, 2, d.Y, labels, 4, &good, &rep));
    H_STATUS(BP_ERR_LABEL_OUT_OF_RANGE,
             bp_mlp_minimize(mc, pc, d.X, 2, NULL, bad_labels, 4, &good, &rep));
    H_EXPECT(h_same_bits(pc, saved_c, 9) && memcmp(&rep, &blank, sizeof rep) == 0,
             "an error wrote the classifier's parameters or report");

    /* float: the same checks reach the float entry point */
    float pf[33];
    for (size_t i = 0; i < o.total; i++) pf[i] = (float)p[i];
    float Xf[2] = { 0, 0 }, Yf[1] = { 0 };
    bp_mlp_f32 *mf = NULL;
    H_OK(bp_mlp_create_f32(REGRESSION.nl, REGRESSION.ls, REGRESSION.loss, 4, &mf));
    bad = good;
    bad.l2 = -1;
    H_STATUS(BP_ERR_BAD_VALUE, bp_mlp_minimize_f32(mf, pf, Xf, 2, Yf, NULL, 1, &bad, &rep));
    H_STATUS(BP_ERR_NULL_POINTER, bp_mlp_minimize_f32(NULL, pf, Xf, 2, Yf, NULL, 1, &good, &rep));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_mlp_minimize_f32(mf, pf, Xf, 1, Yf, NULL, 1, &good, &rep));

    /* the defaults */
    bp_minimize_options def;
    memset(&def, 0x5A, sizeof def);
    bp_minimize_options untouched = def;
    H_STATUS(BP_ERR_BAD_ENUM, bp_minimize_options_default((bp_minimize_method)9, &def));
    H_EXPECT(memcmp(&def, &untouched, sizeof def) == 0, "a bad method wrote the options");
    H_STATUS(BP_ERR_NULL_POINTER, bp_minimize_options_default(BP_MINIMIZE_BFGS2, NULL));
    H_OK(bp_minimize_options_default(BP_MINIMIZE_CONJUGATE_PR, &def));
    H_EXPECT(def.method == BP_MINIMIZE_CONJUGATE_PR && def.max_iterations == 200 &&
                 def.gradient_tolerance == 1e-5 && def.initial_step_size == 0.01 &&
                 def.line_search_tolerance == 0.1 && def.l2 == 0,
             "defaults");
#undef RUN
#undef MIN_ERR
    bp_mlp_free_f32(mf);
    free(p);
    free(saved);
    bp_mlp_free(m);
    bp_mlp_free(mc);
}

int run_minimize_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bfgs_reaches_adam_in_fewer_iterations),
        cmocka_unit_test(test_converged_gradient_below_tolerance),
        cmocka_unit_test(test_l2_term_changes_the_minimum),
        cmocka_unit_test(test_chunked_evaluation_matches_one_pass),
        cmocka_unit_test(test_other_methods_decrease_the_loss),
        cmocka_unit_test(test_iteration_limit_reported),
        cmocka_unit_test(test_converged_start_takes_no_iteration),
        cmocka_unit_test(test_labels_and_softmax),
        cmocka_unit_test(test_float_network),
        cmocka_unit_test(test_overflow_is_not_finite),
        cmocka_unit_test(test_overflow_on_the_way),
        cmocka_unit_test(test_argument_errors),
    };
    return cmocka_run_group_tests_name("minimize", tests, NULL, NULL);
}
