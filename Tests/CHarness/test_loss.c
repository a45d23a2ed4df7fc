/*
 * test_loss.c — bp_loss_compute and bp_loss_compute_labels (bp_loss.h).
 *
 *  - loss values against the formulas of the header's table (long double),
 *    including its averaging convention: binary losses and MSE divide by
 *    n·k, categorical losses by n;
 *  - gradients against the closed forms of the table and against central
 *    finite differences of the loss value returned by the kernel itself;
 *  - the label variants against the one-hot variants;
 *  - stability: BCE on logits and softmax-CCE at ±1000 and ±1e308, and the
 *    probability clamp of BCE/CCE at p = 0 and p = 1.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static const char *LOSS_NAME[] = { "MSE", "BCE", "BCE_LOGITS", "CCE", "SOFTMAX_CCE" };

static int is_categorical(bp_loss kind) {
    return kind == BP_LOSS_CCE || kind == BP_LOSS_SOFTMAX_CCE;
}

/* ---- test data ------------------------------------------------------------------ */

/* Predictions and targets suitable for each loss:
 *   MSE          p, y ∈ [−2, 2)
 *   BCE          p ∈ (0.05, 0.95), y ∈ {0, 1} (or soft in [0, 1] if soft)
 *   BCE_LOGITS   z ∈ [−5, 5),      y as for BCE
 *   CCE          rows of p ∈ [0.05, 1) normalised to sum 1, y one-hot (or a
 *                soft distribution)
 *   SOFTMAX_CCE  z ∈ [−5, 5),      y as for CCE
 * labels[i] receives the hot class of each row (one-hot case). */
static void make_data(h_rng *r, bp_loss kind, size_t n, size_t k, int soft, double *P, double *Y,
                      size_t *labels) {
    for (size_t i = 0; i < n; i++) {
        double *p = P + i * k, *y = Y + i * k;
        size_t hot = h_below(r, k);
        if (labels) labels[i] = hot;
        switch (kind) {
        case BP_LOSS_MSE:
            h_fill(r, p, k, -2.0, 2.0);
            h_fill(r, y, k, -2.0, 2.0);
            break;
        case BP_LOSS_BCE:
        case BP_LOSS_BCE_LOGITS:
            if (kind == BP_LOSS_BCE) h_fill(r, p, k, 0.05, 0.95);
            else h_fill(r, p, k, -5.0, 5.0);
            for (size_t j = 0; j < k; j++)
                y[j] = soft ? h_uniform(r, 0.0, 1.0) : (double)(h_next(r) & 1);
            break;
        default: { /* categorical */
            if (kind == BP_LOSS_CCE) {
                double s = 0.0;
                h_fill(r, p, k, 0.05, 1.0);
                for (size_t j = 0; j < k; j++) s += p[j];
                for (size_t j = 0; j < k; j++) p[j] /= s;
            } else {
                h_fill(r, p, k, -5.0, 5.0);
            }
            double s = 0.0;
            for (size_t j = 0; j < k; j++) {
                y[j] = soft ? h_uniform(r, 0.1, 1.0) : (j == hot ? 1.0 : 0.0);
                s += y[j];
            }
            for (size_t j = 0; j < k; j++) y[j] /= s;
        }
        }
    }
}

/* ---- reference formulas (long double) ------------------------------------------- */

/* The clamp of the header, with its bounds as the doubles a C kernel has:
 * BP_PROB_EPSILON and 1.0 − BP_PROB_EPSILON evaluated in double. The latter
 * is not 1 − 1e-12 exactly (no double is) but 0.99999999999900002212, so
 * at the upper clamp 1 − p = 9.99978e-13: a saturated p = 1 costs
 * −log(9.99978e-13) = 27.631043, not −log(1e-12) = 27.631021. */
static long double clampl(long double p) {
    const double lo = BP_PROB_EPSILON, hi = 1.0 - BP_PROB_EPSILON;
    return p < lo ? lo : (p > hi ? hi : p);
}

/* The loss of the header's table. *scale receives the same expression with
 * every term replaced by its absolute value: the size of the rounding errors
 * a correct kernel can make (BCE on logits and softmax-CCE subtract terms). */
static long double loss_ref(bp_loss kind, size_t n, size_t k, const double *P, const double *Y,
                            long double *scale) {
    long double sum = 0.0L, abs_sum = 0.0L;
    for (size_t i = 0; i < n; i++) {
        const double *p = P + i * k, *y = Y + i * k;
        if (kind == BP_LOSS_SOFTMAX_CCE) {
            long double mx = p[0], s = 0.0L;
            for (size_t j = 1; j < k; j++)
                if (p[j] > mx) mx = p[j];
            for (size_t j = 0; j < k; j++) s += expl((long double)p[j] - mx);
            long double lse = mx + logl(s);
            for (size_t j = 0; j < k; j++) {
                sum += (long double)y[j] * (lse - p[j]);
                abs_sum += fabsl((long double)y[j]) * (fabsl(lse) + fabs(p[j]));
            }
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            long double pj = p[j], yj = y[j], t, a;
            switch (kind) {
            case BP_LOSS_MSE: t = a = (pj - yj) * (pj - yj); break;
            case BP_LOSS_BCE: {
                long double c = clampl(pj);
                t = a = -(yj * logl(c) + (1.0L - yj) * logl(1.0L - c));
                break;
            }
            case BP_LOSS_BCE_LOGITS: {
                long double l1p = log1pl(expl(-fabsl(pj)));
                t = (pj > 0 ? pj : 0.0L) - pj * yj + l1p;
                a = fabsl(pj) + fabsl(pj * yj) + l1p;
                break;
            }
            default: /* CCE */ t = a = -yj * logl(clampl(pj));
            }
            sum += t;
            abs_sum += a;
        }
    }
    long double denom = is_categorical(kind) ? (long double)n : (long double)n * k;
    if (scale) *scale = abs_sum / denom;
    return sum / denom;
}

/* The gradient of the header's table, element-wise, with the size of its
 * terms (for the same reason as above) in *scale. */
static long double grad_ref(bp_loss kind, size_t n, size_t k, const double *P, const double *Y,
                            size_t i, size_t j, long double *scale) {
    const double *p = P + i * k, *y = Y + i * k;
    long double pj = p[j], yj = y[j], nk = (long double)n * k, g, a;
    switch (kind) {
    case BP_LOSS_MSE:
        g = 2.0L * (pj - yj) / nk;
        a = 2.0L * (fabsl(pj) + fabsl(yj)) / nk;
        break;
    case BP_LOSS_BCE: {
        long double c = clampl(pj), d = c * (1.0L - c);
        g = (c - yj) / d / nk;
        a = (c + fabsl(yj)) / d / nk;
        break;
    }
    case BP_LOSS_BCE_LOGITS: {
        long double s = 1.0L / (1.0L + expl(-pj));
        g = (s - yj) / nk;
        a = (s + fabsl(yj)) / nk;
        break;
    }
    case BP_LOSS_CCE:
        g = -yj / clampl(pj) / n;
        a = fabsl(g);
        break;
    default: { /* SOFTMAX_CCE */
        long double mx = p[0], s = 0.0L;
        for (size_t q = 1; q < k; q++)
            if (p[q] > mx) mx = p[q];
        for (size_t q = 0; q < k; q++) s += expl((long double)p[q] - mx);
        long double sm = expl(pj - mx) / s;
        g = (sm - yj) / n;
        a = (sm + fabsl(yj)) / n;
    }
    }
    *scale = a;
    return g;
}

static const size_t SHAPES[][2] = {
    { 1, 1 }, { 1, 5 }, { 5, 4 }, { 7, 13 }, { 31, 3 }, { 300, 7 }
};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])

/* ---- values and closed-form gradients ------------------------------------------------ */

static void check_value_and_gradient(bp_loss kind, size_t n, size_t k, const double *P,
                                     const double *Y, const char *what) {
    double loss = h_nan(), *G = h_alloc_fill(n * k, h_nan());
    H_OK(bp_loss_compute(kind, n, k, P, Y, &loss, G));
    long double scale, want = loss_ref(kind, n, k, P, Y, &scale);
    H_EXPECT(fabsl(loss - want) <= 1e-12L * scale, "%s %s n=%zu k=%zu: loss %.17g, formula %.17Lg",
             LOSS_NAME[kind], what, n, k, loss, want);
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++) {
            long double gs, g = grad_ref(kind, n, k, P, Y, i, j, &gs);
            double got = G[i * k + j];
            H_EXPECT(fabsl(got - g) <= 1e-12L * gs,
                     "%s %s n=%zu k=%zu: grad[%zu][%zu] = %.17g, formula %.17Lg", LOSS_NAME[kind],
                     what, n, k, i, j, got, g);
        }
    /* loss only / gradient only give the same numbers */
    double loss2 = h_nan(), *G2 = h_alloc_fill(n * k, h_nan());
    H_OK(bp_loss_compute(kind, n, k, P, Y, &loss2, NULL));
    H_OK(bp_loss_compute(kind, n, k, P, Y, NULL, G2));
    H_EXPECT(loss2 == loss && h_same_bits(G, G2, n * k),
             "%s: loss-only / grad-only calls differ from the full call", LOSS_NAME[kind]);
    free(G);
    free(G2);
}

static void test_values_and_gradients_match_formulas(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 501);
    for (int kind = BP_LOSS_MSE; kind <= BP_LOSS_SOFTMAX_CCE; kind++)
        for (size_t s = 0; s < N_SHAPES; s++)
            for (int soft = 0; soft < 2; soft++) {
                size_t n = SHAPES[s][0], k = SHAPES[s][1];
                double *P = h_alloc(n * k), *Y = h_alloc(n * k);
                make_data(&r, (bp_loss)kind, n, k, soft, P, Y, NULL);
                double *P0 = h_copy(P, n * k), *Y0 = h_copy(Y, n * k);
                check_value_and_gradient((bp_loss)kind, n, k, P, Y,
                                         soft ? "soft targets" : "hard targets");
                H_EXPECT(h_same_bits(P, P0, n * k) && h_same_bits(Y, Y0, n * k),
                         "%s: inputs modified", LOSS_NAME[kind]);
                free(P);
                free(Y);
                free(P0);
                free(Y0);
            }
}

/* The averaging convention on numbers small enough to check by hand. */
static void test_averaging_convention(void **state) {
    (void)state;
    double loss;
    /* MSE averages over all n·k elements: (1 + 4 + 9 + 16)/4 */
    const double p[4] = { 1, 2, 3, 4 }, zero[4] = { 0, 0, 0, 0 };
    H_OK(bp_loss_compute(BP_LOSS_MSE, 2, 2, p, zero, &loss, NULL));
    H_EXPECT(loss == 7.5, "MSE [[1,2],[3,4]] vs 0: %.17g, expected 7.5", loss);
    /* BCE averages over elements: two elements each costing log 2 → log 2 */
    const double half[2] = { 0.5, 0.5 }, y10[2] = { 1, 0 };
    H_OK(bp_loss_compute(BP_LOSS_BCE, 1, 2, half, y10, &loss, NULL));
    H_EXPECT(fabs(loss - log(2.0)) <= 1e-15, "BCE: %.17g, expected log 2", loss);
    /* CCE averages over samples: (−log 0.5 − log 0.75)/2 */
    const double pc[4] = { 0.5, 0.5, 0.25, 0.75 }, yc[4] = { 1, 0, 0, 1 };
    const size_t lab[2] = { 0, 1 };
    double want = (-log(0.5) - log(0.75)) / 2.0;
    H_OK(bp_loss_compute(BP_LOSS_CCE, 2, 2, pc, yc, &loss, NULL));
    H_EXPECT(fabs(loss - want) <= 1e-15, "CCE: %.17g, expected %.17g", loss, want);
    H_OK(bp_loss_compute_labels(BP_LOSS_CCE, 2, 2, pc, lab, &loss, NULL));
    H_EXPECT(fabs(loss - want) <= 1e-15, "CCE labels: %.17g, expected %.17g", loss, want);
    /* A batch repeated twice has the same mean loss, and half the gradient
     * per element (the gradient is that of the mean). */
    h_rng r;
    h_seed(&r, 502);
    for (int kind = BP_LOSS_MSE; kind <= BP_LOSS_SOFTMAX_CCE; kind++) {
        double P[24], Y[24], G[24], L1, L2, G2[24];
        make_data(&r, (bp_loss)kind, 3, 4, 0, P, Y, NULL);
        memcpy(P + 12, P, 12 * sizeof *P);
        memcpy(Y + 12, Y, 12 * sizeof *Y);
        H_OK(bp_loss_compute((bp_loss)kind, 3, 4, P, Y, &L1, G));
        H_OK(bp_loss_compute((bp_loss)kind, 6, 4, P, Y, &L2, G2));
        long double sc;
        loss_ref((bp_loss)kind, 3, 4, P, Y, &sc);
        H_EXPECT(fabsl(L1 - L2) <= 1e-13L * sc, "%s: mean over a doubled batch %.17g vs %.17g",
                 LOSS_NAME[kind], L2, L1);
        for (int i = 0; i < 12; i++)
            H_EXPECT(fabs(G2[i] - G[i] / 2) <= 1e-15 * fabs(G[i]),
                     "%s: gradient of doubled batch not halved at %d", LOSS_NAME[kind], i);
    }
}

/* grad may alias pred. */
static void test_gradient_in_place(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 503);
    for (int kind = BP_LOSS_MSE; kind <= BP_LOSS_SOFTMAX_CCE; kind++) {
        double P[35], Y[35], G[35], L1, L2;
        make_data(&r, (bp_loss)kind, 5, 7, 0, P, Y, NULL);
        H_OK(bp_loss_compute((bp_loss)kind, 5, 7, P, Y, &L1, G));
        H_OK(bp_loss_compute((bp_loss)kind, 5, 7, P, Y, &L2, P));
        H_EXPECT(L1 == L2 && h_same_bits(G, P, 35), "%s: in-place gradient differs",
                 LOSS_NAME[kind]);
    }
}

/* ---- finite differences ---------------------------------------------------------------- */

typedef struct loss_ctx {
    bp_loss kind;
    size_t n, k;
    double *P;
    const double *Y;
    const size_t *labels; /* non-NULL: use the label variant */
} loss_ctx;

static double loss_objective(void *vctx) {
    loss_ctx *c = vctx;
    double L = h_nan();
    bp_status s = c->labels ? bp_loss_compute_labels(c->kind, c->n, c->k, c->P, c->labels, &L, NULL)
                            : bp_loss_compute(c->kind, c->n, c->k, c->P, c->Y, &L, NULL);
    return s == BP_OK ? L : h_nan();
}

/* Central differences of the loss value (step 1e-6) against the gradient.
 * The finite difference carries noise ≈ ε·|L|/h ≈ 1e-10 (|L| is O(1) here),
 * about 1e-9 of the largest gradient entry for these batch sizes; entries
 * below 1% of the largest are therefore compared against that 1% (floor in
 * h_grad_err), larger ones with relative error 1e-6. */
static void check_fd(bp_loss kind, size_t n, size_t k, double *P, const double *Y,
                     const size_t *labels, const char *what) {
    double *G = h_alloc(n * k), *fd = h_alloc(n * k);
    bp_status s = labels ? bp_loss_compute_labels(kind, n, k, P, labels, NULL, G)
                         : bp_loss_compute(kind, n, k, P, Y, NULL, G);
    H_STATUS(BP_OK, s);
    loss_ctx c = { kind, n, k, P, Y, labels };
    for (size_t i = 0; i < n * k; i++) fd[i] = h_central_diff(&P[i], 1e-6, loss_objective, &c);
    size_t w = 0;
    double gmax = h_max_abs(G, n * k);
    double err = h_grad_err(G, fd, n * k, 1e-2 * gmax, &w);
    H_EXPECT(gmax > 0.0 && err <= 1e-6,
             "%s %s n=%zu k=%zu: grad[%zu] = %.12g, finite difference %.12g "
             "(error %.3g, max |grad| %.3g)",
             LOSS_NAME[kind], what, n, k, w, G[w], fd[w], err, gmax);
    free(G);
    free(fd);
}

static void test_gradients_match_finite_differences(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 504);
    /* k ≥ 2 for the categorical losses: with k = 1 a normalised p is 1, on
     * the clamp, where the loss is not differentiable. */
    static const size_t shapes[][2] = { { 1, 2 }, { 5, 4 }, { 3, 7 }, { 2, 1 } };
    for (int kind = BP_LOSS_MSE; kind <= BP_LOSS_SOFTMAX_CCE; kind++)
        for (size_t s = 0; s < 4; s++)
            for (int soft = 0; soft < 2; soft++) {
                size_t n = shapes[s][0], k = shapes[s][1];
                if (k == 1 && is_categorical((bp_loss)kind)) continue;
                double *P = h_alloc(n * k), *Y = h_alloc(n * k);
                make_data(&r, (bp_loss)kind, n, k, soft, P, Y, NULL);
                check_fd((bp_loss)kind, n, k, P, Y, NULL, soft ? "soft targets" : "hard targets");
                free(P);
                free(Y);
            }
}

/* ---- the label variants ---------------------------------------------------------------- */

/* Integer labels are equivalent to one-hot rows: same loss and gradient
 * (up to a few ulps of summation order), and the same finite differences. */
static void test_labels_equal_one_hot(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 505);
    const bp_loss kinds[2] = { BP_LOSS_CCE, BP_LOSS_SOFTMAX_CCE };
    static const size_t shapes[][2] = { { 1, 2 }, { 1, 1 }, { 5, 4 }, { 7, 13 }, { 300, 7 } };
    for (int t = 0; t < 2; t++)
        for (size_t s = 0; s < 5; s++) {
            size_t n = shapes[s][0], k = shapes[s][1];
            double *P = h_alloc(n * k), *Y = h_alloc(n * k);
            size_t *lab = malloc(n * sizeof *lab);
            make_data(&r, kinds[t], n, k, 0, P, Y, lab);
            double L1, L2, *G1 = h_alloc(n * k), *G2 = h_alloc_fill(n * k, h_nan());
            H_OK(bp_loss_compute(kinds[t], n, k, P, Y, &L1, G1));
            H_OK(bp_loss_compute_labels(kinds[t], n, k, P, lab, &L2, G2));
            long double scale;
            loss_ref(kinds[t], n, k, P, Y, &scale);
            H_EXPECT(fabsl((long double)L1 - L2) <= 1e-13L * scale,
                     "%s n=%zu k=%zu: labels %.17g vs one-hot %.17g", LOSS_NAME[kinds[t]], n, k, L2,
                     L1);
            double e = h_normwise_err(n, k, G1, k, G2, k, h_max_abs(G1, n * k));
            H_EXPECT(e <= 1e-13, "%s n=%zu k=%zu: label gradient differs (%.3g)",
                     LOSS_NAME[kinds[t]], n, k, e);
            if (n * k <= 40 && k > 1) check_fd(kinds[t], n, k, P, NULL, lab, "labels");
            free(P);
            free(Y);
            free(lab);
            free(G1);
            free(G2);
        }
}

/* ---- stability and the clamp --------------------------------------------------------------- */

static void test_bce_logits_stable_at_large_logits(void **state) {
    (void)state;
    double L, G[6];
    /* one element: z = 1000, y = 0 costs exactly 1000; z = −1000, y = 1 too */
    double z = 1000.0, y = 0.0;
    H_OK(bp_loss_compute(BP_LOSS_BCE_LOGITS, 1, 1, &z, &y, &L, G));
    H_EXPECT(L == 1000.0 && G[0] == 1.0,
             "z=1000,y=0: loss %.17g grad %.17g, "
             "expected 1000 and 1",
             L, G[0]);
    z = -1000.0;
    y = 1.0;
    H_OK(bp_loss_compute(BP_LOSS_BCE_LOGITS, 1, 1, &z, &y, &L, G));
    H_EXPECT(L == 1000.0 && G[0] == -1.0,
             "z=-1000,y=1: loss %.17g grad %.17g, "
             "expected 1000 and -1",
             L, G[0]);

    /* n·k = 6, one element at z = 1000 with y = 0, the others at z = −1000
     * with y = 0 (cost log1p(e^-1000) = 0): the mean is exactly 1000/6 */
    const double Z1[6] = { -1000, -1000, -1000, 1000, -1000, -1000 };
    const double Y0[6] = { 0, 0, 0, 0, 0, 0 };
    H_OK(bp_loss_compute(BP_LOSS_BCE_LOGITS, 2, 3, Z1, Y0, &L, G));
    H_EXPECT(L == 1000.0 / 6.0,
             "z=1000,y=0 among zeros: loss %.17g, expected "
             "1000/(n·k) = %.17g",
             L, 1000.0 / 6.0);
    for (int i = 0; i < 6; i++)
        H_EXPECT(G[i] == (i == 3 ? 1.0 / 6.0 : 0.0), "grad[%d] = %.17g", i, G[i]);

    /* n·k = 6: one element costs 1000, the others 0, log 2, log1p(e^-20) */
    const double Z[6] = { 1000, -1000, 1000, -1000, 0, 20 };
    const double Y[6] = { 0, 0, 1, 0, 1, 1 };
    H_OK(bp_loss_compute(BP_LOSS_BCE_LOGITS, 2, 3, Z, Y, &L, G));
    long double want = (1000.0L + logl(2.0L) + log1pl(expl(-20.0L))) / 6.0L;
    H_EXPECT(isfinite(L) && fabsl(L - want) <= 1e-15L * want,
             "mixed ±1000 batch: loss %.17g, expected %.17Lg (1000/6 + ...)", L, want);
    const double gw[6] = {
        1.0 / 6, 0, 0, 0, -0.5 / 6, (double)(-expl(-20.0L) / (1.0L + expl(-20.0L)) / 6.0L)
    };
    for (int i = 0; i < 6; i++)
        H_EXPECT(fabs(G[i] - gw[i]) <= 1e-15,
                 "mixed batch grad[%d] = %.17g, "
                 "expected %.17g",
                 i, G[i], gw[i]);

    /* ±1e308: finite; the wrong side costs |z| exactly */
    const double Zh[3] = { 1e308, 1e308, -1e308 }, Yh[3] = { 0, 1, 0 };
    H_OK(bp_loss_compute(BP_LOSS_BCE_LOGITS, 1, 3, Zh, Yh, &L, G));
    H_EXPECT(isfinite(L) && fabs(L - 1e308 / 3) <= 1e-15 * (1e308 / 3),
             "±1e308: loss %.17g, expected 1e308/3", L);
    H_EXPECT(h_all_finite(G, 3) && fabs(G[0] - 1.0 / 3) <= 1e-16 && G[1] == 0.0 && G[2] == 0.0,
             "±1e308: grad [%g %g %g], expected [1/3 0 0]", G[0], G[1], G[2]);
}

static void test_softmax_cce_stable_at_large_logits(void **state) {
    (void)state;
    double L, G[3], Ll, Gl[3];
    const double Z[3] = { 1000, 0, -1000 }, Y[3] = { 0, 1, 0 };
    const size_t lab = 1;
    H_OK(bp_loss_compute(BP_LOSS_SOFTMAX_CCE, 1, 3, Z, Y, &L, G));
    H_OK(bp_loss_compute_labels(BP_LOSS_SOFTMAX_CCE, 1, 3, Z, &lab, &Ll, Gl));
    H_EXPECT(L == 1000.0 && Ll == 1000.0,
             "z=[1000,0,-1000], class 1: loss %.17g "
             "(labels %.17g), expected 1000",
             L, Ll);
    H_EXPECT(G[0] == 1.0 && G[1] == -1.0 && G[2] == 0.0 && h_same_values(G, Gl, 3),
             "grad [%g %g %g], expected [1 -1 0]", G[0], G[1], G[2]);

    const double Zh[3] = { 1e308, -1e308, 0 }, Yh0[3] = { 1, 0, 0 }, Yh2[3] = { 0, 0, 1 };
    H_OK(bp_loss_compute(BP_LOSS_SOFTMAX_CCE, 1, 3, Zh, Yh0, &L, G));
    H_EXPECT(L == 0.0 && G[0] == 0.0 && G[1] == 0.0 && G[2] == 0.0,
             "z=[1e308,-1e308,0], class 0: loss %g grad [%g %g %g], expected 0", L, G[0], G[1],
             G[2]);
    H_OK(bp_loss_compute(BP_LOSS_SOFTMAX_CCE, 1, 3, Zh, Yh2, &L, G));
    H_EXPECT(L == 1e308 && G[0] == 1.0 && G[1] == 0.0 && G[2] == -1.0,
             "z=[1e308,-1e308,0], class 2: loss %g grad [%g %g %g], expected "
             "1e308, [1 0 -1]",
             L, G[0], G[1], G[2]);
}

/* p is clamped to [1e-12, 1 − 1e-12] before the logarithm; the gradient is
 * taken at the clamped p. Saturated predictions cost −log(1e-12) ≈ 27.6
 * (27.631043 at p = 1: see clampl above for the double value of the upper
 * bound, which these expected values use). */
static void test_probability_clamp(void **state) {
    (void)state;
    const long double eps = BP_PROB_EPSILON, big = -logl(eps);
    const long double c0 = clampl(0.0), c1 = clampl(1.0);
    double L, G[4];
    /* BCE: p = 0, y = 1 and p = 1, y = 0 are both saturated-wrong */
    const double P[2] = { 0.0, 1.0 }, Y[2] = { 1.0, 0.0 };
    H_OK(bp_loss_compute(BP_LOSS_BCE, 1, 2, P, Y, &L, G));
    long double want2 = (-logl(c0) - logl(1.0L - c1)) / 2.0L;
    H_EXPECT(fabsl(L - want2) <= 1e-12L * want2,
             "BCE saturated: loss %.17g, expected "
             "%.17Lg",
             L, want2);
    long double g0 = (c0 - 1.0L) / (c0 * (1.0L - c0)) / 2.0L;
    long double g1 = (c1 - 0.0L) / (c1 * (1.0L - c1)) / 2.0L;
    H_EXPECT(h_all_finite(G, 2) && fabsl(G[0] - g0) <= 1e-12L * fabsl(g0) &&
                 fabsl(G[1] - g1) <= 1e-12L * fabsl(g1),
             "BCE saturated grad [%.17g %.17g], expected [%.17Lg %.17Lg]", G[0], G[1], g0, g1);
    /* p = 0, y = 0 and p = 1, y = 1 are saturated-right: cost ≈ 1e-12 */
    const double Yr[2] = { 0.0, 1.0 };
    H_OK(bp_loss_compute(BP_LOSS_BCE, 1, 2, P, Yr, &L, NULL));
    H_EXPECT(L >= 0.0 && L <= 2e-12, "BCE saturated-right: loss %g, expected ~1e-12", L);
    /* CCE: p = 0 at the true class */
    const double Pc[4] = { 0.0, 1.0, 0.5, 0.5 }, Yc[4] = { 1, 0, 0, 1 };
    const size_t lab[2] = { 0, 1 };
    long double want = (big - logl(0.5L)) / 2.0L;
    H_OK(bp_loss_compute(BP_LOSS_CCE, 2, 2, Pc, Yc, &L, G));
    H_EXPECT(fabsl(L - want) <= 1e-12L * want,
             "CCE saturated: loss %.17g, expected "
             "%.17Lg",
             L, want);
    long double gc = -1.0L / eps / 2.0L;
    H_EXPECT(h_all_finite(G, 4) && fabsl(G[0] - gc) <= 1e-12L * fabsl(gc) && G[1] == 0.0 &&
                 G[2] == 0.0 && G[3] == -1.0,
             "CCE saturated grad [%g %g %g %g], expected [-5e11 0 0 -1]", G[0], G[1], G[2], G[3]);
    double Ll, Gl[4];
    H_OK(bp_loss_compute_labels(BP_LOSS_CCE, 2, 2, Pc, lab, &Ll, Gl));
    H_EXPECT(Ll == L && h_same_values(G, Gl, 4), "CCE labels saturated differs");
}

int run_loss_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values_and_gradients_match_formulas),
        cmocka_unit_test(test_averaging_convention),
        cmocka_unit_test(test_gradient_in_place),
        cmocka_unit_test(test_gradients_match_finite_differences),
        cmocka_unit_test(test_labels_equal_one_hot),
        cmocka_unit_test(test_bce_logits_stable_at_large_logits),
        cmocka_unit_test(test_softmax_cce_stable_at_large_logits),
        cmocka_unit_test(test_probability_clamp),
    };
    return cmocka_run_group_tests_name("loss", tests, NULL, NULL);
}
