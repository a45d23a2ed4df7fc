/*
 * test_float.c — the single-precision kernels against their double
 * versions on the same (float-representable) data.
 *
 * Tolerances, with u = 2^-24 the unit roundoff of float:
 *   - ReLU, leaky ReLU, identity, their derivatives, and the bias add are
 *     a single correctly rounded operation on float operands (the product
 *     or sum of two floats is exact in double), so float and double-then-
 *     rounded agree exactly (data kept away from zero for the bias sum).
 *   - sigmoid, tanh: glibc's expf/tanhf are within 2 ulp, and the formula
 *     adds at most three roundings: |Δ| ≤ 8u·|a| (plus the smallest normal
 *     float, for results that underflow in float). Softmax adds the row
 *     sum of `cols` terms and the rounding of z − max in float (an error
 *     of u·|z − max| in the exponent): |Δ| ≤ (cols + 8 + |z − max|)·u·|a|.
 *   - Backward: dZ = dA·f'(Z) from the same float Z and A: 8u relative
 *     to |dA|·(1 + A²) (tanh's 1 − A² is formed in float), and for softmax
 *     (cols + 8)·u·|s|·(|da| + Σ|da·s|) (the row dot product).
 *   - Losses compute in double whatever the storage (bp_loss.h), so the
 *     value equals the double kernel's bit for bit and each gradient
 *     element is the double one rounded to float.
 *   - Bias gradient: a float sum of m terms, (m + 2)·u·Σ|dZ|.
 *   - SGD step: one rounding each for lr·g and the subtraction, 2u·(|w| +
 *     |lr·g|). Norm: GSL's snrm2 accumulates scaled squares in float,
 *     relative (n + 4)·u.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define U 0x1p-24

static float *fl_alloc(size_t n) {
    float *p = malloc((n ? n : 1) * sizeof *p);
    if (p == NULL) abort();
    return p;
}

/* n random values, the same in float (f) and double (d). */
static void fill_pair(h_rng *r, size_t n, double lo, double hi, int signed_mag, float *f,
                      double *d) {
    for (size_t i = 0; i < n; i++) {
        float v = (float)(signed_mag ? h_uniform_signed(r, lo, hi) : h_uniform(r, lo, hi));
        f[i] = v;
        d[i] = v;
    }
}

static const bp_activation ACTS[6] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_LEAKY_RELU,
                                       BP_ACT_SIGMOID,  BP_ACT_TANH, BP_ACT_SOFTMAX };

static void test_activation_f32(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7401);
    const size_t rows = 37, cols = 11, n = rows * cols;
    float *Zf = fl_alloc(n), *Af = fl_alloc(n), *dAf = fl_alloc(n), *dZf = fl_alloc(n);
    double *Zd = h_alloc(n), *Ad = h_alloc(n), *dAd = h_alloc(n), *dZd = h_alloc(n);
    for (size_t a = 0; a < 6; a++) {
        bp_activation act = ACTS[a];
        fill_pair(&r, n, -12, 12, 0, Zf, Zd);
        fill_pair(&r, n, -1, 1, 0, dAf, dAd);
        Zf[0] = 0.0f;
        Zd[0] = 0.0; /* f'(0) conventions */
        Zf[1] = 80.0f;
        Zd[1] = 80.0; /* saturation */
        Zf[2] = -80.0f;
        Zd[2] = -80.0;
        H_OK(bp_activation_forward_f32(act, 0.125f, rows, cols, Zf, Af));
        H_OK(bp_activation_forward(act, 0.125, rows, cols, Zd, Ad));
        for (size_t i = 0; i < n; i++) {
            /* softmax: z − max is rounded in float, an absolute error of
             * u·|z − max| in the exponent, i.e. that much relative error */
            double zmax = Zd[i - i % cols];
            for (size_t j = i - i % cols; j < i - i % cols + cols; j++) zmax = fmax(zmax, Zd[j]);
            double tol = act <= BP_ACT_LEAKY_RELU ? 0.0
                         : act == BP_ACT_SOFTMAX
                             ? ((double)(cols + 8) + (zmax - Zd[i])) * U * fabs(Ad[i]) + FLT_MIN
                             : 8 * U * fabs(Ad[i]) + FLT_MIN;
            double want = act <= BP_ACT_LEAKY_RELU ? (double)(float)Ad[i] : Ad[i];
            H_EXPECT(isfinite(Af[i]) && fabs((double)Af[i] - want) <= tol,
                     "forward act=%d z=%g: float %.9g, double %.17g", (int)act, Zd[i], Af[i],
                     Ad[i]);
            if (!(fabs((double)Af[i] - want) <= tol)) break;
        }
        /* Backward from the same float Z and A. */
        for (size_t i = 0; i < n; i++) Ad[i] = Af[i];
        H_OK(bp_activation_backward_f32(act, 0.125f, rows, cols, Zf, Af, dAf, dZf));
        H_OK(bp_activation_backward(act, 0.125, rows, cols, Zd, Ad, dAd, dZd));
        for (size_t i = 0; i < n; i++) {
            double tol;
            if (act <= BP_ACT_LEAKY_RELU) {
                tol = 0.0;
            } else if (act == BP_ACT_SOFTMAX) {
                size_t row = i / cols;
                double dot = 0.0;
                for (size_t j = 0; j < cols; j++)
                    dot += fabs(dAd[row * cols + j] * Ad[row * cols + j]);
                tol = (double)(cols + 8) * U * fabs(Ad[i]) * (fabs(dAd[i]) + dot) + FLT_MIN;
            } else {
                tol = 8 * U * fabs(dAd[i]) * (1.0 + Ad[i] * Ad[i]) + FLT_MIN;
            }
            double want = act <= BP_ACT_LEAKY_RELU ? (double)(float)dZd[i] : dZd[i];
            H_EXPECT(fabs((double)dZf[i] - want) <= tol,
                     "backward act=%d z=%g: float %.9g, double %.17g", (int)act, Zd[i], dZf[i],
                     dZd[i]);
            if (!(fabs((double)dZf[i] - want) <= tol)) break;
        }
    }
    /* In place, and the errors. */
    H_OK(bp_activation_forward_f32(BP_ACT_TANH, 0, rows, cols, Zf, Zf));
    H_STATUS(BP_ERR_BAD_ENUM, bp_activation_forward_f32((bp_activation)6, 0, 1, 1, Zf, Af));
    H_STATUS(BP_ERR_BAD_VALUE, bp_activation_forward_f32(BP_ACT_LEAKY_RELU, NAN, 1, 1, Zf, Af));
    H_STATUS(BP_ERR_NULL_POINTER, bp_activation_forward_f32(BP_ACT_RELU, 0, 1, 1, NULL, Af));
    H_STATUS(BP_ERR_SIZE_OVERFLOW,
             bp_activation_forward_f32(BP_ACT_RELU, 0, (size_t)1 << 40, (size_t)1 << 40, Zf, Af));
    H_STATUS(BP_ERR_BAD_ENUM,
             bp_activation_backward_f32((bp_activation)-1, 0, 1, 1, Zf, Af, dAf, dZf));
    H_STATUS(BP_ERR_BAD_VALUE,
             bp_activation_backward_f32(BP_ACT_LEAKY_RELU, INFINITY, 1, 1, Zf, Af, dAf, dZf));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_activation_backward_f32(BP_ACT_TANH, 0, 1, 1, Zf, Af, NULL, dZf));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_activation_backward_f32(BP_ACT_TANH, 0, 1, 1, Zf, Af, dAf, NULL));
    H_OK(bp_activation_backward_f32(BP_ACT_TANH, 0, 0, 5, NULL, NULL, NULL, NULL));
    free(Zf);
    free(Af);
    free(dAf);
    free(dZf);
    free(Zd);
    free(Ad);
    free(dAd);
    free(dZd);
}

static void test_loss_f32(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7402);
    const size_t n = 23, k = 7, c = n * k;
    float *Pf = fl_alloc(c), *Yf = fl_alloc(c), *Gf = fl_alloc(c);
    double *Pd = h_alloc(c), *Yd = h_alloc(c), *Gd = h_alloc(c);
    size_t labels[23];
    for (size_t i = 0; i < n; i++) labels[i] = h_below(&r, k);
    static const bp_loss kinds[5] = { BP_LOSS_MSE, BP_LOSS_BCE, BP_LOSS_BCE_LOGITS, BP_LOSS_CCE,
                                      BP_LOSS_SOFTMAX_CCE };
    for (int t = 0; t < 5; t++) {
        int logits = kinds[t] == BP_LOSS_BCE_LOGITS || kinds[t] == BP_LOSS_SOFTMAX_CCE;
        fill_pair(&r, c, logits ? -6 : 0.001, logits ? 6 : 0.999, 0, Pf, Pd);
        fill_pair(&r, c, 0, 1, 0, Yf, Yd);
        double lf, ld;
        H_OK(bp_loss_compute_f32(kinds[t], n, k, Pf, Yf, &lf, Gf));
        H_OK(bp_loss_compute(kinds[t], n, k, Pd, Yd, &ld, Gd));
        H_EXPECT(memcmp(&lf, &ld, sizeof lf) == 0, "loss %d: float-storage %.17g, double %.17g", t,
                 lf, ld);
        for (size_t i = 0; i < c; i++)
            H_EXPECT(Gf[i] == (float)Gd[i], "loss %d grad[%zu]: %.9g vs %.17g", t, i, Gf[i], Gd[i]);
        if (kinds[t] == BP_LOSS_CCE || kinds[t] == BP_LOSS_SOFTMAX_CCE) {
            H_OK(bp_loss_compute_labels_f32(kinds[t], n, k, Pf, labels, &lf, Gf));
            H_OK(bp_loss_compute_labels(kinds[t], n, k, Pd, labels, &ld, Gd));
            H_EXPECT(memcmp(&lf, &ld, sizeof lf) == 0, "labels loss %d differs", t);
            for (size_t i = 0; i < c; i++)
                H_EXPECT(Gf[i] == (float)Gd[i], "labels loss %d grad[%zu] differs", t, i);
        }
    }
    /* grad may alias pred; loss or grad may be NULL. */
    H_OK(bp_loss_compute_f32(BP_LOSS_MSE, n, k, Pf, Yf, NULL, Pf));
    H_OK(bp_loss_compute_f32(BP_LOSS_MSE, n, k, Pf, Yf, NULL, NULL));
    H_STATUS(BP_ERR_BAD_ENUM, bp_loss_compute_f32((bp_loss)9, n, k, Pf, Yf, NULL, Gf));
    H_STATUS(BP_ERR_ZERO_SIZE, bp_loss_compute_f32(BP_LOSS_MSE, 0, k, Pf, Yf, NULL, Gf));
    H_STATUS(BP_ERR_NULL_POINTER, bp_loss_compute_f32(BP_LOSS_MSE, n, k, NULL, Yf, NULL, Gf));
    H_STATUS(BP_ERR_NULL_POINTER, bp_loss_compute_f32(BP_LOSS_MSE, n, k, Pf, NULL, NULL, Gf));
    H_STATUS(BP_ERR_SIZE_OVERFLOW,
             bp_loss_compute_f32(BP_LOSS_MSE, (size_t)1 << 40, (size_t)1 << 40, Pf, Yf, NULL, Gf));
    H_STATUS(BP_ERR_BAD_ENUM, bp_loss_compute_labels_f32(BP_LOSS_MSE, n, k, Pf, labels, NULL, Gf));
    H_STATUS(BP_ERR_ZERO_SIZE, bp_loss_compute_labels_f32(BP_LOSS_CCE, n, 0, Pf, labels, NULL, Gf));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_loss_compute_labels_f32(BP_LOSS_CCE, n, k, Pf, NULL, NULL, Gf));
    labels[3] = k;
    for (size_t i = 0; i < c; i++) Gf[i] = 3.0f;
    H_STATUS(BP_ERR_LABEL_OUT_OF_RANGE,
             bp_loss_compute_labels_f32(BP_LOSS_SOFTMAX_CCE, n, k, Pf, labels, NULL, Gf));
    for (size_t i = 0; i < c; i++) H_EXPECT(Gf[i] == 3.0f, "grad written before the label check");
    free(Pf);
    free(Yf);
    free(Gf);
    free(Pd);
    free(Yd);
    free(Gd);
}

static void test_bias_f32(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7403);
    const size_t m = 45, n = 13, ld = 16;
    float *Zf = fl_alloc(m * ld), *bf = fl_alloc(n), *dbf = fl_alloc(n);
    double *Zd = h_alloc(m * ld), *bd = h_alloc(n), *dbd = h_alloc(n);
    fill_pair(&r, m * ld, 0.1, 1, 1, Zf, Zd);
    fill_pair(&r, n, 0.1, 1, 1, bf, bd);
    H_OK(bp_bias_add_f32(m, n, bf, Zf, ld));
    H_OK(bp_bias_add(m, n, bd, Zd, ld));
    for (size_t i = 0; i < m * ld; i++)
        H_EXPECT(Zf[i] == (float)Zd[i], "bias add element %zu: %.9g vs %.17g", i, Zf[i], Zd[i]);
    for (size_t i = 0; i < m * ld; i++) Zd[i] = Zf[i];
    for (size_t i = 0; i < n; i++) {
        dbf[i] = 0.5f;
        dbd[i] = 0.5;
    }
    H_OK(bp_bias_gradient_f32(m, n, 0.25f, Zf, ld, -1.0f, dbf));
    H_OK(bp_bias_gradient(m, n, 0.25, Zd, ld, -1.0, dbd));
    for (size_t j = 0; j < n; j++) {
        double mag = 0.5;
        for (size_t i = 0; i < m; i++) mag += 0.25 * fabs(Zd[i * ld + j]);
        H_EXPECT(fabs((double)dbf[j] - dbd[j]) <= (double)(m + 2) * U * mag,
                 "bias gradient[%zu]: %.9g vs %.17g", j, dbf[j], dbd[j]);
    }
    H_STATUS(BP_ERR_LEADING_DIMENSION, bp_bias_add_f32(m, n, bf, Zf, n - 1));
    H_STATUS(BP_ERR_NULL_POINTER, bp_bias_add_f32(m, n, NULL, Zf, ld));
    H_STATUS(BP_ERR_NULL_POINTER, bp_bias_gradient_f32(m, n, 1, Zf, ld, 0, NULL));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_bias_gradient_f32((size_t)1 << 62, n, 1, Zf, ld, 0, dbf));
    free(Zf);
    free(bf);
    free(dbf);
    free(Zd);
    free(bd);
    free(dbd);
}

static void test_update_f32(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7404);
    const size_t n = 1001;
    float *wf = fl_alloc(n), *gf = fl_alloc(n);
    double *wd = h_alloc(n), *gd = h_alloc(n);
    fill_pair(&r, n, -2, 2, 0, wf, wd);
    fill_pair(&r, n, -1, 1, 0, gf, gd);
    const float lr = 0.05f;
    H_OK(bp_sgd_update_f32(n, lr, gf, wf));
    for (size_t i = 0; i < n; i++) {
        double want = wd[i] - (double)lr * gd[i];
        double tol = 2 * U * (fabs(wd[i]) + fabs((double)lr * gd[i]));
        H_EXPECT(fabs((double)wf[i] - want) <= tol, "sgd[%zu]: %.9g vs %.17g", i, wf[i], want);
    }
    double nf, nd;
    H_OK(bp_norm2_f32(n, gf, &nf));
    H_OK(bp_norm2(n, gd, &nd));
    H_EXPECT(fabs(nf - nd) <= (double)(n + 4) * U * nd, "norm %.9g vs %.17g", nf, nd);
    H_OK(bp_norm2_f32(0, NULL, &nf));
    H_EXPECT(nf == 0.0, "empty norm must be 0");
    /* huge values whose squares overflow float: snrm2 scales as it goes */
    float big[3] = { 1e38f, 1e38f, 1.0f };
    H_OK(bp_norm2_f32(3, big, &nf));
    H_EXPECT(isfinite(nf) && fabs(nf - (double)1e38f * sqrt(2.0)) <= 8 * U * nf,
             "norm of huge floats %.9g", nf);
    /* a norm above FLT_MAX is still finite (it is returned as a double) */
    float over[3] = { 3e38f, 3e38f, 3e38f };
    H_OK(bp_norm2_f32(3, over, &nf));
    H_EXPECT(isfinite(nf) && fabs(nf - (double)3e38f * sqrt(3.0)) <= 8 * U * nf,
             "norm above FLT_MAX: %.9g, expected %.9g", nf, (double)3e38f * sqrt(3.0));
    /* scale and clip */
    H_OK(bp_scale_f32(n, 2.0f, gf));
    double before;
    H_OK(bp_clip_by_norm_f32(n, 1.0f, gf, &before));
    H_EXPECT(fabs(before - 2 * nd) <= (double)(n + 8) * U * nd, "norm before clipping %.9g",
             before);
    H_OK(bp_norm2_f32(n, gf, &nf));
    H_EXPECT(fabs(nf - 1.0) <= (double)(n + 8) * U, "clipped norm %.9g", nf);
    H_STATUS(BP_ERR_BAD_VALUE, bp_sgd_update_f32(n, INFINITY, gf, wf));
    H_STATUS(BP_ERR_BAD_VALUE, bp_sgd_update_f32(n, NAN, gf, wf));
    H_STATUS(BP_ERR_NULL_POINTER, bp_sgd_update_f32(n, lr, NULL, wf));
    H_STATUS(BP_ERR_NULL_POINTER, bp_sgd_update_f32(n, lr, gf, NULL));
    H_STATUS(BP_ERR_NULL_POINTER, bp_norm2_f32(n, gf, NULL));
    H_STATUS(BP_ERR_NULL_POINTER, bp_norm2_f32(n, NULL, &nf));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_norm2_f32(SIZE_MAX / 2, gf, &nf));
    H_STATUS(BP_ERR_NULL_POINTER, bp_scale_f32(n, 1.0f, NULL));
    H_STATUS(BP_ERR_BAD_VALUE, bp_clip_by_norm_f32(n, 0.0f, gf, NULL));
    H_STATUS(BP_ERR_BAD_VALUE, bp_clip_by_norm_f32(n, -1.0f, gf, NULL));
    H_STATUS(BP_ERR_BAD_VALUE, bp_clip_by_norm_f32(n, INFINITY, gf, NULL));
    free(wf);
    free(gf);
    free(wd);
    free(gd);
}

int run_float_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_activation_f32),
        cmocka_unit_test(test_loss_f32),
        cmocka_unit_test(test_bias_f32),
        cmocka_unit_test(test_update_f32),
    };
    return cmocka_run_group_tests_name("float", tests, NULL, NULL);
}
