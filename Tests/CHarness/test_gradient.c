/*
 * test_gradient.c — bp_outer_accumulate, bp_weight_gradient and
 * bp_input_gradient (bp_gradient.h) against plain loops, and the identity
 * the header states: summing the per-sample outer products a_prev ⊗ dz over
 * the rows of a batch gives the batched gradient A_prevᵀ·dZ.
 *
 * Sums are compared norm-wise, as in test_gemm.c: the error is divided by
 * max_ij (|alpha|·Σ_s |A_si·dZ_sj| + |beta|·|dW0_ij|), because a sum of
 * mixed-sign products can cancel to ~0, where relative error means nothing.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

/* ---- outer product -------------------------------------------------------------- */

/* dW[i][j] += alpha·x[i]·y[j]: each element is one product and one addition,
 * so it is compared element by element against |alpha·x_i·y_j| + |dW0_ij|
 * (a few ulps of that are all a correct kernel can differ by). */
static void test_outer_accumulate_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 601);
    static const size_t shapes[][2] = { { 1, 1 },   { 1, 13 },    { 7, 1 },  { 13, 7 },
                                        { 67, 31 }, { 257, 300 }, { 300, 3 } };
    static const double alphas[] = { 1.0, -0.5, 2.0 };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t a = 0; a < 3; a++) {
            size_t m = shapes[s][0], n = shapes[s][1], ld = n + a * 2;
            double *x = h_alloc(m), *y = h_alloc(n);
            h_fill(&r, x, m, -1.0, 1.0);
            h_fill(&r, y, n, -1.0, 1.0);
            double *dW = h_matrix(&r, m, n, ld, -1.0, 1.0, H_OUT_PAD);
            double *dW0 = h_copy(dW, m * ld);
            H_OK(bp_outer_accumulate(m, n, alphas[a], x, y, dW, ld));
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    long double want = dW0[i * ld + j] + (long double)alphas[a] * x[i] * y[j];
                    long double sc =
                        fabs(dW0[i * ld + j]) + fabsl((long double)alphas[a] * x[i] * y[j]);
                    H_EXPECT(fabsl(dW[i * ld + j] - want) <= 1e-15L * sc,
                             "m=%zu n=%zu alpha=%g: dW[%zu][%zu] = %.17g, expected %.17Lg", m, n,
                             alphas[a], i, j, dW[i * ld + j], want);
                }
            H_EXPECT(h_padding_intact(dW, m, n, ld, H_OUT_PAD),
                     "m=%zu n=%zu: padding of dW written", m, n);
            free(x);
            free(y);
            free(dW);
            free(dW0);
        }
}

static void test_outer_accumulate_empty_is_noop(void **state) {
    (void)state;
    double x[2] = { 1, 2 }, y[2] = { 3, 4 }, dW[4] = { 5, 6, 7, 8 };
    H_OK(bp_outer_accumulate(0, 2, 1.0, x, y, dW, 2));
    H_OK(bp_outer_accumulate(2, 0, 1.0, x, y, dW, 2));
    H_OK(bp_outer_accumulate(0, 0, 1.0, NULL, NULL, NULL, 1));
    H_EXPECT(dW[0] == 5 && dW[1] == 6 && dW[2] == 7 && dW[3] == 8, "empty outer product wrote dW");
}

/* ---- batched weight gradient ---------------------------------------------------------- */

static void check_weight_gradient(h_rng *r, size_t ns, size_t nin, size_t nout, double alpha,
                                  double beta, size_t pad, int dw_nan) {
    size_t lda = nin + pad, lddz = nout + 2 * pad, lddw = nout + pad + 1;
    double *A = h_matrix(r, ns, nin, lda, -1.0, 1.0, h_nan());
    double *dZ = h_matrix(r, ns, nout, lddz, -1.0, 1.0, h_nan());
    double *dW0 = h_matrix(r, nin, nout, lddw, -1.0, 1.0, H_OUT_PAD);
    if (dw_nan)
        for (size_t i = 0; i < nin; i++)
            for (size_t j = 0; j < nout; j++) dW0[i * lddw + j] = h_nan();
    double *dW = h_copy(dW0, nin * lddw), *want = h_alloc(nin * nout);
    double scale = 0.0;
    for (size_t i = 0; i < nin; i++)
        for (size_t j = 0; j < nout; j++) {
            long double s = 0.0L, sa = 0.0L;
            for (size_t q = 0; q < ns; q++) {
                long double t = (long double)A[q * lda + i] * dZ[q * lddz + j];
                s += t;
                sa += fabsl(t);
            }
            long double w = alpha * s, sc = fabs(alpha) * sa;
            if (beta != 0.0) {
                w += (long double)beta * dW0[i * lddw + j];
                sc += fabs(beta) * fabs(dW0[i * lddw + j]);
            }
            want[i * nout + j] = (double)w;
            if ((double)sc > scale) scale = (double)sc;
        }
    H_OK(bp_weight_gradient(ns, nin, nout, alpha, A, lda, dZ, lddz, beta, dW, lddw));
    double err = h_normwise_err(nin, nout, dW, lddw, want, nout, scale);
    H_EXPECT(err <= 1e-12,
             "n_samples=%zu n_in=%zu n_out=%zu alpha=%g beta=%g%s: "
             "error %.3g",
             ns, nin, nout, alpha, beta, dw_nan ? " (dW NaN)" : "", err);
    H_EXPECT(h_padding_intact(dW, nin, nout, lddw, H_OUT_PAD),
             "n_samples=%zu n_in=%zu n_out=%zu: padding of dW written", ns, nin, nout);
    free(A);
    free(dZ);
    free(dW0);
    free(dW);
    free(want);
}

static const size_t GRAD_SHAPES[][3] = {
    { 1, 1, 1 },    { 1, 4, 3 },      { 5, 4, 3 },     { 7, 13, 31 },
    { 67, 31, 13 }, { 300, 257, 13 }, { 257, 3, 300 }, { 1000, 3, 2 },
};
#define N_GRAD_SHAPES (sizeof GRAD_SHAPES / sizeof GRAD_SHAPES[0])

static void test_weight_gradient_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 602);
    static const double ab[][2] = { { 1, 0 }, { 1, 1 }, { 0.2, -0.5 }, { -1, 2 } };
    for (size_t s = 0; s < N_GRAD_SHAPES; s++)
        for (size_t k = 0; k < 4; k++)
            check_weight_gradient(&r, GRAD_SHAPES[s][0], GRAD_SHAPES[s][1], GRAD_SHAPES[s][2],
                                  ab[k][0], ab[k][1], k % 3, 0);
}

/* beta == 0 writes dW without reading it. */
static void test_weight_gradient_beta_zero_ignores_nan(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 603);
    for (size_t s = 0; s < N_GRAD_SHAPES; s++)
        check_weight_gradient(&r, GRAD_SHAPES[s][0], GRAD_SHAPES[s][1], GRAD_SHAPES[s][2], 1.0, 0.0,
                              1, 1);
}

/* n_samples == 0 gives dW = beta·dW (A_prev and dZ are empty). */
static void test_weight_gradient_no_samples(void **state) {
    (void)state;
    double dW[6] = { 1, -2, 3, -4, 5, -6 }, dWn[6];
    for (int i = 0; i < 6; i++) dWn[i] = h_nan();
    H_OK(bp_weight_gradient(0, 2, 3, 1.0, NULL, 2, NULL, 3, 0.5, dW, 3));
    for (int i = 0; i < 6; i++)
        H_EXPECT(dW[i] == 0.5 * (i % 2 ? -(i + 1) : (i + 1)), "dW[%d] = %g, expected beta*dW", i,
                 dW[i]);
    H_OK(bp_weight_gradient(0, 2, 3, 1.0, NULL, 2, NULL, 3, 0.0, dWn, 3));
    for (int i = 0; i < 6; i++)
        H_EXPECT(dWn[i] == 0.0, "beta=0, no samples: dW[%d] = %g, expected 0", i, dWn[i]);
}

/* The header's identity: Σ_s a_s ⊗ dz_s (bp_outer_accumulate per row) equals
 * A_prevᵀ·dZ (bp_weight_gradient). And for one sample it is that outer
 * product exactly (seed 02's np.outer). */
static void test_outer_products_over_batch_equal_weight_gradient(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 604);
    static const size_t shapes[][3] = {
        { 1, 4, 3 }, { 5, 4, 3 }, { 67, 13, 31 }, { 300, 7, 5 }, { 13, 257, 2 }
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
        size_t ns = shapes[s][0], nin = shapes[s][1], nout = shapes[s][2];
        double *A = h_matrix(&r, ns, nin, nin, -1.0, 1.0, 0.0);
        double *dZ = h_matrix(&r, ns, nout, nout, -1.0, 1.0, 0.0);
        double *acc = h_alloc_fill(nin * nout, 0.0), *dW = h_alloc(nin * nout);
        for (size_t q = 0; q < ns; q++)
            H_OK(bp_outer_accumulate(nin, nout, 1.0, A + q * nin, dZ + q * nout, acc, nout));
        H_OK(bp_weight_gradient(ns, nin, nout, 1.0, A, nin, dZ, nout, 0.0, dW, nout));
        double scale = 0.0;
        for (size_t i = 0; i < nin; i++)
            for (size_t j = 0; j < nout; j++) {
                double sa = 0.0;
                for (size_t q = 0; q < ns; q++) sa += fabs(A[q * nin + i] * dZ[q * nout + j]);
                if (sa > scale) scale = sa;
            }
        double err = h_normwise_err(nin, nout, acc, nout, dW, nout, scale);
        H_EXPECT(err <= 1e-12,
                 "n_samples=%zu n_in=%zu n_out=%zu: Σ outer products "
                 "vs A_prevᵀ·dZ differ by %.3g",
                 ns, nin, nout, err);
        if (ns == 1)
            H_EXPECT(h_same_values(acc, dW, nin * nout),
                     "one sample: weight gradient is not exactly the outer product");
        free(A);
        free(dZ);
        free(acc);
        free(dW);
    }
}

/* ---- input gradient ------------------------------------------------------------------------- */

/* dA_prev[s][i] = Σ_j dZ[s][j]·W[i][j]; dA_prev starts as NaN: it is
 * overwritten, never read. */
static void test_input_gradient_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 605);
    for (size_t s = 0; s < N_GRAD_SHAPES; s++)
        for (size_t pad = 0; pad < 3; pad++) {
            size_t ns = GRAD_SHAPES[s][0], nin = GRAD_SHAPES[s][1], nout = GRAD_SHAPES[s][2];
            size_t lddz = nout + pad, ldw = nout + 2 * pad, ldda = nin + pad + 1;
            double *dZ = h_matrix(&r, ns, nout, lddz, -1.0, 1.0, h_nan());
            double *W = h_matrix(&r, nin, nout, ldw, -1.0, 1.0, h_nan());
            double *dA = h_matrix(&r, ns, nin, ldda, 0.0, 0.0, H_OUT_PAD);
            for (size_t q = 0; q < ns; q++)
                for (size_t i = 0; i < nin; i++) dA[q * ldda + i] = h_nan();
            double *want = h_alloc(ns * nin), scale = 0.0;
            for (size_t q = 0; q < ns; q++)
                for (size_t i = 0; i < nin; i++) {
                    long double t = 0.0L, ta = 0.0L;
                    for (size_t j = 0; j < nout; j++) {
                        long double p = (long double)dZ[q * lddz + j] * W[i * ldw + j];
                        t += p;
                        ta += fabsl(p);
                    }
                    want[q * nin + i] = (double)t;
                    if ((double)ta > scale) scale = (double)ta;
                }
            H_OK(bp_input_gradient(ns, nin, nout, dZ, lddz, W, ldw, dA, ldda));
            double err = h_normwise_err(ns, nin, dA, ldda, want, nin, scale);
            H_EXPECT(err <= 1e-12, "n_samples=%zu n_in=%zu n_out=%zu pad=%zu: error %.3g", ns, nin,
                     nout, pad, err);
            H_EXPECT(h_padding_intact(dA, ns, nin, ldda, H_OUT_PAD),
                     "n_samples=%zu n_in=%zu n_out=%zu: padding of dA_prev written", ns, nin, nout);
            free(dZ);
            free(W);
            free(dA);
            free(want);
        }
}

/* n_samples == 0 writes nothing; n_out == 0 is an empty sum: dA_prev = 0. */
static void test_input_gradient_empty(void **state) {
    (void)state;
    double dZ[4] = { 1, 2, 3, 4 }, W[4] = { 1, 2, 3, 4 }, dA[6] = { 9, 9, 9, 9, 9, 9 };
    H_OK(bp_input_gradient(0, 3, 2, dZ, 2, W, 2, dA, 3));
    for (int i = 0; i < 6; i++) H_EXPECT(dA[i] == 9, "n_samples=0 wrote dA_prev[%d]", i);
    for (int i = 0; i < 6; i++) dA[i] = h_nan();
    H_OK(bp_input_gradient(2, 3, 0, dZ, 1, W, 1, dA, 3));
    for (int i = 0; i < 6; i++)
        H_EXPECT(dA[i] == 0.0, "n_out=0: dA_prev[%d] = %g, expected 0 (empty sum)", i, dA[i]);
}

int run_gradient_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_outer_accumulate_matches_loop),
        cmocka_unit_test(test_outer_accumulate_empty_is_noop),
        cmocka_unit_test(test_weight_gradient_matches_loop),
        cmocka_unit_test(test_weight_gradient_beta_zero_ignores_nan),
        cmocka_unit_test(test_weight_gradient_no_samples),
        cmocka_unit_test(test_outer_products_over_batch_equal_weight_gradient),
        cmocka_unit_test(test_input_gradient_matches_loop),
        cmocka_unit_test(test_input_gradient_empty),
    };
    return cmocka_run_group_tests_name("gradient", tests, NULL, NULL);
}
