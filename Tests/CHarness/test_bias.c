/*
 * test_bias.c — bp_bias_add and bp_bias_gradient (bp_bias.h) against plain
 * loops, with padded leading dimensions (NaN in input padding, a sentinel in
 * output padding) and the documented special cases.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>

static const size_t SHAPES[][2] = {
    { 1, 1 }, { 1, 13 }, { 13, 1 }, { 7, 13 }, { 31, 67 }, { 67, 7 }, { 300, 257 }, { 257, 3 },
};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])

/* Z[i][j] += b[j] is one addition per element, so the result must equal the
 * plain loop bit for bit; the padding of Z must be untouched. */
static void test_bias_add_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 301);
    static const size_t pads[] = { 0, 1, 5 };
    for (size_t s = 0; s < N_SHAPES; s++)
        for (size_t p = 0; p < 3; p++) {
            size_t m = SHAPES[s][0], n = SHAPES[s][1], ldz = n + pads[p];
            double *Z = h_matrix(&r, m, n, ldz, -2.0, 2.0, H_OUT_PAD);
            double *b = h_alloc(n);
            h_fill(&r, b, n, -1.0, 1.0);
            double *b0 = h_copy(b, n);
            double *want = h_copy(Z, m * ldz);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) want[i * ldz + j] += b[j];
            H_OK(bp_bias_add(m, n, b, Z, ldz));
            H_EXPECT(h_same_bits(Z, want, m * ldz),
                     "m=%zu n=%zu ldz=%zu: Z differs from the loop (or padding written)", m, n,
                     ldz);
            H_EXPECT(h_same_bits(b, b0, n), "b was modified");
            free(Z);
            free(b);
            free(b0);
            free(want);
        }
}

static void test_bias_add_empty_is_noop(void **state) {
    (void)state;
    double Z[6] = { 1, 2, 3, 4, 5, 6 }, b[3] = { 7, 8, 9 };
    H_OK(bp_bias_add(0, 3, b, Z, 3));
    H_OK(bp_bias_add(2, 0, b, Z, 3));
    H_OK(bp_bias_add(0, 0, NULL, NULL, 1));
    for (int i = 0; i < 6; i++) H_EXPECT(Z[i] == i + 1, "Z[%d] changed by an empty bias add", i);
}

/* Reference column sums in long double. The error is measured norm-wise
 * (see test_gemm.c): a column sum of mixed signs may cancel, so we divide by
 * max_j (|alpha|·Σ_i |dZ_ij| + |beta|·|db0_j|). */
static void check_bias_gradient(h_rng *r, size_t m, size_t n, size_t ldz, double alpha, double beta,
                                int db_nan) {
    double *dZ = h_matrix(r, m, n, ldz, -1.0, 1.0, h_nan());
    double *db0 = h_alloc(n);
    h_fill(r, db0, n, -1.0, 1.0);
    if (db_nan)
        for (size_t j = 0; j < n; j++) db0[j] = h_nan();
    double *db = h_copy(db0, n), *want = h_alloc(n);
    double scale = 0.0;
    for (size_t j = 0; j < n; j++) {
        long double s = 0.0L, sa = 0.0L;
        for (size_t i = 0; i < m; i++) {
            s += dZ[i * ldz + j];
            sa += fabs(dZ[i * ldz + j]);
        }
        long double w = (long double)alpha * s;
        long double sc = fabsl((long double)alpha) * sa;
        if (beta != 0.0) {
            w += (long double)beta * db0[j];
            sc += fabs(beta) * fabs(db0[j]);
        }
        want[j] = (double)w;
        if ((double)sc > scale) scale = (double)sc;
    }
    H_OK(bp_bias_gradient(m, n, alpha, dZ, ldz, beta, db));
    double err = h_normwise_err(1, n, db, n, want, n, scale);
    H_EXPECT(err <= 1e-12, "m=%zu n=%zu ldz=%zu alpha=%g beta=%g%s: error %.3g", m, n, ldz, alpha,
             beta, db_nan ? " (db NaN)" : "", err);
    free(dZ);
    free(db0);
    free(db);
    free(want);
}

static void test_bias_gradient_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 302);
    static const double ab[][2] = { { 1, 0 }, { 1, 1 }, { -0.5, 0.25 }, { 2, -1 } };
    for (size_t s = 0; s < N_SHAPES; s++)
        for (size_t k = 0; k < 4; k++) {
            size_t m = SHAPES[s][0], n = SHAPES[s][1];
            check_bias_gradient(&r, m, n, n + (k % 3) * 2, ab[k][0], ab[k][1], 0);
            /* alpha = 1/m: the batch mean */
            check_bias_gradient(&r, m, n, n, 1.0 / (double)m, 0.0, 0);
        }
}

/* beta == 0 writes db without reading it: NaN in db must not leak. */
static void test_bias_gradient_beta_zero_ignores_nan(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 303);
    for (size_t s = 0; s < N_SHAPES; s++)
        check_bias_gradient(&r, SHAPES[s][0], SHAPES[s][1], SHAPES[s][1] + 1, 0.75, 0.0, 1);
}

/* m == 0 gives db = beta·db (dZ is empty and may be NULL); n == 0 is a no-op. */
static void test_bias_gradient_empty(void **state) {
    (void)state;
    double db[3] = { 1.5, -2.0, 4.0 };
    H_OK(bp_bias_gradient(0, 3, 1.0, NULL, 3, 0.5, db));
    H_EXPECT(db[0] == 0.75 && db[1] == -1.0 && db[2] == 2.0,
             "m=0, beta=0.5: db = [%g %g %g], expected [0.75 -1 2]", db[0], db[1], db[2]);
    double dbn[2] = { h_nan(), h_nan() };
    H_OK(bp_bias_gradient(0, 2, 1.0, NULL, 2, 0.0, dbn));
    H_EXPECT(dbn[0] == 0.0 && dbn[1] == 0.0, "m=0, beta=0: db = [%g %g], expected zeros", dbn[0],
             dbn[1]);
    double dZ[4] = { 1, 2, 3, 4 }, keep[2] = { 5, 6 };
    H_OK(bp_bias_gradient(2, 0, 1.0, dZ, 2, 0.0, keep));
    H_OK(bp_bias_gradient(0, 0, 1.0, NULL, 1, 0.0, NULL));
    H_EXPECT(keep[0] == 5 && keep[1] == 6, "n=0 wrote db");
}

int run_bias_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bias_add_matches_loop),
        cmocka_unit_test(test_bias_add_empty_is_noop),
        cmocka_unit_test(test_bias_gradient_matches_loop),
        cmocka_unit_test(test_bias_gradient_beta_zero_ignores_nan),
        cmocka_unit_test(test_bias_gradient_empty),
    };
    return cmocka_run_group_tests_name("bias", tests, NULL, NULL);
}
