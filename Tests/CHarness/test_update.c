/*
 * test_update.c — bp_sgd_update, bp_norm2, bp_scale, bp_clip_by_norm
 * (bp_update.h) against plain loops, including the no-overflow promise of
 * the norm (values of 1e200, whose squares overflow) and clipping.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static const size_t SIZES[] = { 1, 2, 7, 13, 67, 257, 300, 100003 };
#define N_SIZES (sizeof SIZES / sizeof SIZES[0])

/* w − lr·g is one product and one subtraction per element: a correct kernel
 * is within an ulp or two of |w| + |lr·g| (FMA or not). */
static void test_sgd_update_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 701);
    static const double rates[] = { 0.001, 0.5, -0.25, 0.0 };
    for (size_t s = 0; s < N_SIZES; s++)
        for (size_t k = 0; k < 4; k++) {
            size_t n = SIZES[s];
            double *w = h_alloc(n), *g = h_alloc(n);
            h_fill(&r, w, n, -3.0, 3.0);
            h_fill(&r, g, n, -10.0, 10.0);
            double *w0 = h_copy(w, n), *g0 = h_copy(g, n);
            H_OK(bp_sgd_update(n, rates[k], g, w));
            for (size_t i = 0; i < n; i++) {
                long double want = (long double)w0[i] - (long double)rates[k] * g[i];
                long double sc = fabs(w0[i]) + fabsl((long double)rates[k] * g[i]);
                H_EXPECT(fabsl(w[i] - want) <= 1e-15L * sc,
                         "n=%zu lr=%g: w[%zu] = %.17g, expected %.17Lg", n, rates[k], i, w[i],
                         want);
            }
            H_EXPECT(h_same_bits(g, g0, n), "g was modified");
            free(w);
            free(g);
            free(w0);
            free(g0);
        }
    double w = 1.0, g1 = 2.0;
    H_OK(bp_sgd_update(0, 0.1, NULL, NULL));
    H_OK(bp_sgd_update(0, 0.1, &g1, &w));
    H_EXPECT(w == 1.0, "n = 0 changed w");
}

/* A negative rate ascends: the sign is the caller's business. */
static void test_sgd_negative_rate_ascends(void **state) {
    (void)state;
    double w[2] = { 1.0, -1.0 };
    const double g[2] = { 2.0, 4.0 };
    H_OK(bp_sgd_update(2, -0.5, g, w));
    H_EXPECT(w[0] == 2.0 && w[1] == 1.0, "w = [%g %g], expected [2 1]", w[0], w[1]);
}

/* The error bound of a sum of n positive terms (Higham §4.2): relative
 * error ≤ γ_n ≈ n·u. A norm computed by any correct method (scaled as in
 * dnrm2 or not) is within that of the exact value; we allow (n + 2)·ε = 2γ. */
static double norm_tol(size_t n) { return (double)(n + 2) * DBL_EPSILON; }

/* sqrt(Σ x²) in long double (whose range holds the squares of doubles up to
 * 1e2400, so 1e200 does not overflow here). */
static long double norm_ref(const double *x, size_t n) {
    long double s = 0.0L;
    for (size_t i = 0; i < n; i++) s += (long double)x[i] * x[i];
    return sqrtl(s);
}

static void test_norm2_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 702);
    for (size_t s = 0; s < N_SIZES; s++) {
        size_t n = SIZES[s];
        double *x = h_alloc(n), nrm = h_nan();
        h_fill(&r, x, n, -2.0, 2.0);
        H_OK(bp_norm2(n, x, &nrm));
        long double want = norm_ref(x, n);
        H_EXPECT(fabsl(nrm - want) <= norm_tol(n) * want, "n=%zu: norm %.17g, expected %.17Lg", n,
                 nrm, want);
        free(x);
    }
    double nrm = -1.0;
    H_OK(bp_norm2(0, NULL, &nrm));
    H_EXPECT(nrm == 0.0, "n=0: norm %g, expected 0", nrm);
    const double x34[2] = { 3.0, -4.0 };
    H_OK(bp_norm2(2, x34, &nrm));
    H_EXPECT(fabs(nrm - 5.0) <= 4e-16 * 5.0, "‖(3,-4)‖ = %.17g, expected 5", nrm);
}

/* No overflow or underflow: 1e200² overflows a double, 1e-200² underflows.
 * The expected values are sqrt(n)·1e±200 (computed without squaring). */
static void test_norm2_huge_and_tiny(void **state) {
    (void)state;
    double x[5], nrm;
    for (int i = 0; i < 5; i++) x[i] = 1e200;
    H_OK(bp_norm2(5, x, &nrm));
    H_EXPECT(isfinite(nrm) && fabs(nrm - sqrt(5.0) * 1e200) <= 1e-14 * sqrt(5.0) * 1e200,
             "‖1e200·(1,1,1,1,1)‖ = %g, expected %g", nrm, sqrt(5.0) * 1e200);
    for (int i = 0; i < 5; i++) x[i] = (i % 2 ? -1e-200 : 1e-200);
    H_OK(bp_norm2(5, x, &nrm));
    H_EXPECT(fabs(nrm - sqrt(5.0) * 1e-200) <= 1e-14 * sqrt(5.0) * 1e-200,
             "‖1e-200·(±1,…)‖ = %g, expected %g", nrm, sqrt(5.0) * 1e-200);
    const double mix[3] = { 1e300, 1.0, -1e300 };
    H_OK(bp_norm2(3, mix, &nrm));
    H_EXPECT(isfinite(nrm) && fabs(nrm - sqrt(2.0) * 1e300) <= 1e-14 * sqrt(2.0) * 1e300,
             "‖(1e300, 1, -1e300)‖ = %g", nrm);
}

/* alpha·x is one multiplication: bit-exact. */
static void test_scale_matches_loop(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 703);
    static const double alphas[] = { 2.0, -0.3, 1e-3, 1.0 };
    for (size_t s = 0; s < N_SIZES; s++)
        for (size_t k = 0; k < 4; k++) {
            size_t n = SIZES[s];
            double *x = h_alloc(n), *want = h_alloc(n);
            h_fill(&r, x, n, -5.0, 5.0);
            for (size_t i = 0; i < n; i++) want[i] = alphas[k] * x[i];
            H_OK(bp_scale(n, alphas[k], x));
            H_EXPECT(h_same_values(x, want, n), "n=%zu alpha=%g: not alpha*x", n, alphas[k]);
            free(x);
            free(want);
        }
    double one = 1.0;
    H_OK(bp_scale(0, 3.0, NULL));
    H_OK(bp_scale(0, 3.0, &one));
    H_EXPECT(one == 1.0, "n = 0 changed x");
}

/* Above max_norm: g is scaled to norm max_norm (same direction). At or below:
 * unchanged, bit for bit. norm_before receives the norm before clipping. */
static void test_clip_by_norm(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 704);
    for (size_t s = 0; s < N_SIZES; s++) {
        size_t n = SIZES[s];
        double *g = h_alloc(n);
        h_fill(&r, g, n, -1.0, 1.0);
        double *g0 = h_copy(g, n);
        long double nrm = norm_ref(g, n);
        double before = h_nan();

        /* clipped to half its norm */
        double max_norm = (double)(nrm / 2);
        H_OK(bp_clip_by_norm(n, max_norm, g, &before));
        const double tol = norm_tol(n);
        H_EXPECT(fabsl(before - nrm) <= tol * nrm,
                 "n=%zu: norm_before %.17g, "
                 "expected %.17Lg",
                 n, before, nrm);
        long double after = norm_ref(g, n);
        H_EXPECT(fabsl(after - max_norm) <= 2 * tol * max_norm,
                 "n=%zu: clipped norm %.17Lg, expected %.17g", n, after, max_norm);
        for (size_t i = 0; i < n; i++) {
            long double want = g0[i] * (max_norm / nrm);
            H_EXPECT(fabsl(g[i] - want) <= tol * max_norm,
                     "n=%zu: g[%zu] = %.17g, expected %.17Lg (direction changed?)", n, i, g[i],
                     want);
        }

        /* not clipped: norm below the limit, and norm_before may be NULL */
        memcpy(g, g0, n * sizeof *g);
        H_OK(bp_clip_by_norm(n, (double)(nrm * 2), g, NULL));
        H_EXPECT(h_same_bits(g, g0, n), "n=%zu: g changed although below max_norm", n);
        free(g);
        free(g0);
    }

    /* exactly at the limit is not above it: ‖(0, 0, 5)‖ = 5 exactly */
    double g5[3] = { 0.0, 0.0, 5.0 }, before;
    H_OK(bp_clip_by_norm(3, 5.0, g5, &before));
    H_EXPECT(g5[0] == 0.0 && g5[1] == 0.0 && g5[2] == 5.0 && before == 5.0,
             "‖g‖ == max_norm: g = [%g %g %g], norm_before %g", g5[0], g5[1], g5[2], before);

    /* just below the limit: untouched (a kernel clipping a little early
     * would rescale by 1 + 1e-9) */
    H_OK(bp_clip_by_norm(3, 5.0 * (1.0 + 1e-9), g5, NULL));
    H_EXPECT(g5[0] == 0.0 && g5[1] == 0.0 && g5[2] == 5.0,
             "‖g‖ just below max_norm: g = [%g %g %.17g], expected [0 0 5]", g5[0], g5[1], g5[2]);

    /* huge gradient: its norm does not overflow, and it clips to 1 */
    double gh[4] = { 1e200, -1e200, 1e200, -1e200 };
    H_OK(bp_clip_by_norm(4, 1.0, gh, &before));
    H_EXPECT(fabs(before - 2e200) <= 1e-14 * 2e200, "huge: norm_before %g, expected 2e200", before);
    for (int i = 0; i < 4; i++)
        H_EXPECT(fabs(fabs(gh[i]) - 0.5) <= 1e-15 && (gh[i] > 0) == (i % 2 == 0),
                 "huge: g[%d] = %.17g, expected ±0.5", i, gh[i]);

    /* n == 0: nothing to clip, the norm is 0 */
    before = -1.0;
    H_OK(bp_clip_by_norm(0, 1.0, NULL, &before));
    H_EXPECT(before == 0.0, "n=0: norm_before %g, expected 0", before);
}

int run_update_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sgd_update_matches_loop),
        cmocka_unit_test(test_sgd_negative_rate_ascends),
        cmocka_unit_test(test_norm2_matches_loop),
        cmocka_unit_test(test_norm2_huge_and_tiny),
        cmocka_unit_test(test_scale_matches_loop),
        cmocka_unit_test(test_clip_by_norm),
    };
    return cmocka_run_group_tests_name("update", tests, NULL, NULL);
}
