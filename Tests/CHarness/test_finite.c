/*
 * test_finite.c — bp_find_nonfinite / bp_find_nonfinite_f32 against the
 * straightforward scan (the first i with !isfinite(x[i])).
 *
 * NaN, +inf and −inf at the edges of the scan's blocks (4096 values) and of
 * the vector lanes (first, last, 4095, 4096, 4097, …), two of them (the
 * first wins), and values that are finite however extreme they look: ±0,
 * subnormals, ±DBL_MAX / ±FLT_MAX. Then the argument errors, and the
 * largest-magnitude pass of the network engine's fused update
 * (vec_maxabs_d / _s of each kernel set) against a plain loop.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "runtime/dispatch.h"

static size_t first_nonfinite_d(size_t n, const double *x) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

static size_t first_nonfinite_f(size_t n, const float *x) {
    for (size_t i = 0; i < n; i++)
        if (!isfinite(x[i])) return i;
    return n;
}

enum { FN_N = 3 * 4096 + 7 };
static const size_t FN_AT[] = {
    0, 1, 7, 8, 15, 16, 4095, 4096, 4097, 8191, 8192, FN_N - 2, FN_N - 1
};

/* Finite values that look extreme, cycled through the array. */
static double fn_finite(size_t i) {
    static const double v[] = { 0.0,   -0.0, DBL_MIN / 4, -DBL_MIN / 8, DBL_MAX,     -DBL_MAX,
                                1e308, -1.5, FLT_MAX,     -FLT_MAX,     FLT_MIN / 4, 3.25 };
    return v[i % (sizeof v / sizeof v[0])];
}

static float fn_finite_f(size_t i) {
    static const float v[] = { 0.0f,     -0.0f, FLT_MIN / 4, -FLT_MIN / 8, FLT_MAX,
                               -FLT_MAX, 1e38f, -1.5f,       3.25f };
    return v[i % (sizeof v / sizeof v[0])];
}

static void test_find_nonfinite(void **state) {
    (void)state;
    const double bad[3] = { NAN, INFINITY, -INFINITY };
    double *x = malloc(FN_N * sizeof *x);
    float *f = malloc(FN_N * sizeof *f);
    H_EXPECT(x && f, "out of memory");
    for (size_t n = 0; n <= FN_N; n = n < 40 ? n + 1 : n * 2 + 1) {
        if (n > FN_N) n = FN_N;
        for (size_t i = 0; i < n; i++) {
            x[i] = fn_finite(i);
            f[i] = fn_finite_f(i);
        }
        size_t got = SIZE_MAX;
        H_OK(bp_find_nonfinite(n, x, &got));
        H_EXPECT(got == n && got == first_nonfinite_d(n, x), "all finite, n = %zu: index %zu", n,
                 got);
        got = SIZE_MAX;
        H_OK(bp_find_nonfinite_f32(n, f, &got));
        H_EXPECT(got == n && got == first_nonfinite_f(n, f),
                 "float, all finite, n = %zu: index %zu", n, got);
        if (n == FN_N) break;
    }
    for (size_t a = 0; a < sizeof FN_AT / sizeof FN_AT[0]; a++)
        for (int b = 0; b < 3; b++) {
            size_t at = FN_AT[a];
            for (size_t i = 0; i < FN_N; i++) {
                x[i] = fn_finite(i);
                f[i] = fn_finite_f(i);
            }
            x[at] = bad[b];
            f[at] = (float)bad[b];
            /* a second one later never wins */
            if (at + 5 < FN_N) {
                x[at + 5] = NAN;
                f[at + 5] = INFINITY;
            }
            size_t got = SIZE_MAX, gotf = SIZE_MAX;
            H_OK(bp_find_nonfinite(FN_N, x, &got));
            H_OK(bp_find_nonfinite_f32(FN_N, f, &gotf));
            H_EXPECT(got == at && got == first_nonfinite_d(FN_N, x), "%g at %zu: index %zu", bad[b],
                     at, got);
            H_EXPECT(gotf == at && gotf == first_nonfinite_f(FN_N, f), "float %g at %zu: index %zu",
                     bad[b], at, gotf);
            /* the part before it is all finite */
            H_OK(bp_find_nonfinite(at, x, &got));
            H_EXPECT(got == at, "prefix of %zu values: index %zu", at, got);
        }
    free(x);
    free(f);
}

static void test_find_nonfinite_errors(void **state) {
    (void)state;
    double x[2] = { 1.0, NAN };
    size_t index = 77;
    H_STATUS(BP_ERR_NULL_POINTER, bp_find_nonfinite(2, x, NULL));
    H_STATUS(BP_ERR_NULL_POINTER, bp_find_nonfinite(2, NULL, &index));
    H_STATUS(BP_ERR_NULL_POINTER, bp_find_nonfinite_f32(1, NULL, &index));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_find_nonfinite(SIZE_MAX / 4, x, &index));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_find_nonfinite_f32(SIZE_MAX / 2, (const float *)x, &index));
    H_EXPECT(index == 77, "index written on an error (%zu)", index);
    H_OK(bp_find_nonfinite(0, NULL, &index));
    H_EXPECT(index == 0, "n = 0: index %zu", index);
}

/* max |x| over x[0 .. n), or +inf if a value is not finite: the plain loop
 * (both precisions from one definition). */
#define MAXABS_REF(NAME, T, ABS)                                                                   \
    static T NAME(size_t n, const T *x) {                                                          \
        T m = 0;                                                                                   \
        for (size_t i = 0; i < n; i++) {                                                           \
            if (!isfinite(x[i])) return INFINITY;                                                  \
            if (ABS(x[i]) > m) m = ABS(x[i]);                                                      \
        }                                                                                          \
        return m;                                                                                  \
    }
MAXABS_REF(maxabs_ref_d, double, fabs)
MAXABS_REF(maxabs_ref_f, float, fabsf)

/* vec_maxabs of every kernel set (portable, AVX2, the default) against the
 * plain loop, bit for bit: random magnitudes over the whole exponent range
 * with the extreme finite values mixed in (their largest at every position
 * of a vector and of a run), a NaN or infinity at the block and lane
 * edges, and n from 0 up. */
static void test_vec_maxabs(void **state) {
    (void)state;
    const unsigned sets[] = { BP_EXEC_PORTABLE, BP_EXEC_AVX2, BP_EXEC_DEFAULT };
    const double bad[3] = { NAN, INFINITY, -INFINITY };
    double *x = malloc(FN_N * sizeof *x);
    float *f = malloc(FN_N * sizeof *f);
    H_EXPECT(x && f, "out of memory");
    h_rng r;
    h_seed(&r, 611);
    for (size_t s = 0; s < sizeof sets / sizeof sets[0]; s++) {
        bp_exec *ex = NULL;
        H_OK(bp_exec_create_with(1, sets[s], &ex));
        const bp_kernel_set *ks = bp_exec_kernels(ex);
        for (size_t n = 0; n <= FN_N; n = n < 40 ? n + 1 : n * 2 + 1) {
            if (n > FN_N) n = FN_N;
            for (int round = 0; round < 3; round++) {
                for (size_t i = 0; i < n; i++) {
                    double v = ldexp(h_uniform_signed(&r, 0.5, 1.0), (int)h_below(&r, 200) - 100);
                    x[i] = i % 5 == 4 ? fn_finite(h_below(&r, 12)) / 4 : v;
                    f[i] = i % 5 == 4 ? fn_finite_f(h_below(&r, 9)) / 4 : (float)v;
                }
                if (n > 0 && round > 0) { /* one largest value, anywhere */
                    size_t at = h_below(&r, n);
                    x[at] = round == 1 ? -DBL_MAX : DBL_MIN / 8;
                    f[at] = round == 1 ? FLT_MAX : -FLT_MIN / 8;
                    if (round == 2) { /* all subnormal or zero but that one */
                        for (size_t i = 0; i < n; i++) {
                            x[i] = x[i] * 0.0;
                            f[i] = -0.0f;
                        }
                        x[at] = DBL_MIN / 8;
                        f[at] = -FLT_MIN / 8;
                    }
                }
                double gd = ks->vec_maxabs_d(n, x), wd = maxabs_ref_d(n, x);
                float gf = ks->vec_maxabs_s(n, f), wf = maxabs_ref_f(n, f);
                H_EXPECT(memcmp(&gd, &wd, sizeof gd) == 0 && memcmp(&gf, &wf, sizeof gf) == 0,
                         "%s, n = %zu: max |x| %.17g (want %.17g), float %.9g (want %.9g)",
                         bp_exec_kernel_name(ex), n, gd, wd, (double)gf, (double)wf);
            }
            if (n == FN_N) break;
        }
        for (size_t a = 0; a < sizeof FN_AT / sizeof FN_AT[0]; a++)
            for (int b = 0; b < 3; b++) {
                for (size_t i = 0; i < FN_N; i++) {
                    x[i] = fn_finite(i);
                    f[i] = fn_finite_f(i);
                }
                x[FN_AT[a]] = bad[b];
                f[FN_AT[a]] = (float)bad[b];
                double gd = ks->vec_maxabs_d(FN_N, x);
                float gf = ks->vec_maxabs_s(FN_N, f);
                H_EXPECT(gd == INFINITY && gf == INFINITY,
                         "%s: %g at %zu gave max |x| %g, float %g", bp_exec_kernel_name(ex), bad[b],
                         FN_AT[a], gd, (double)gf);
            }
        bp_exec_free(ex);
    }
    free(x);
    free(f);
}

int run_finite_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_find_nonfinite),
        cmocka_unit_test(test_find_nonfinite_errors),
        cmocka_unit_test(test_vec_maxabs),
    };
    return cmocka_run_group_tests_name("finite", tests, NULL, NULL);
}
