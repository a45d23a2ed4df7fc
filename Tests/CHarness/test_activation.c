/*
 * test_activation.c — bp_activation_forward / bp_activation_backward
 * (bp_activation.h).
 *
 *  - forward against the plain formulas (computed in long double here);
 *  - backward against central finite differences of the forward kernel, for
 *    every activation, and against the closed-form derivatives;
 *  - the documented edge cases: f'(0) of ReLU / leaky ReLU, in-place
 *    operation, empty batches, and huge inputs (±1e308) for sigmoid, tanh
 *    and softmax, which must stay finite and exact.
 */
#include "harness.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define LEAKY_SLOPE 0.1

typedef struct act_info {
    bp_activation act;
    double param;
    const char *name;
} act_info;

static const act_info ACTS[] = {
    { BP_ACT_IDENTITY, 0.0, "identity" },
    { BP_ACT_RELU, 0.0, "relu" },
    { BP_ACT_LEAKY_RELU, LEAKY_SLOPE, "leaky_relu(0.1)" },
    { BP_ACT_SIGMOID, 0.0, "sigmoid" },
    { BP_ACT_TANH, 0.0, "tanh" },
    { BP_ACT_SOFTMAX, 0.0, "softmax" },
};
#define N_ACTS (sizeof ACTS / sizeof ACTS[0])

static const size_t SHAPES[][2] = {
    { 1, 1 }, { 1, 7 }, { 13, 1 }, { 7, 13 }, { 31, 67 }, { 300, 3 }
};
#define N_SHAPES (sizeof SHAPES / sizeof SHAPES[0])

/* ---- plain formulas ---------------------------------------------------------- */

static long double sigmoid_l(long double z) { return 1.0L / (1.0L + expl(-z)); }

/* A = f(Z) by the textbook formulas, in long double (so their own rounding
 * is far below the tolerances used). */
static void forward_formula(bp_activation act, double param, size_t rows, size_t cols,
                            const double *Z, double *A) {
    for (size_t i = 0; i < rows; i++) {
        const double *z = Z + i * cols;
        double *a = A + i * cols;
        if (act == BP_ACT_SOFTMAX) {
            long double mx = z[0], s = 0.0L;
            for (size_t j = 1; j < cols; j++)
                if (z[j] > mx) mx = z[j];
            for (size_t j = 0; j < cols; j++) s += expl((long double)z[j] - mx);
            for (size_t j = 0; j < cols; j++) a[j] = (double)(expl((long double)z[j] - mx) / s);
            continue;
        }
        for (size_t j = 0; j < cols; j++) {
            double v = z[j];
            switch (act) {
            case BP_ACT_IDENTITY: a[j] = v; break;
            case BP_ACT_RELU: a[j] = v > 0 ? v : 0.0; break;
            case BP_ACT_LEAKY_RELU: a[j] = v > 0 ? v : param * v; break;
            case BP_ACT_SIGMOID: a[j] = (double)sigmoid_l(v); break;
            case BP_ACT_TANH: a[j] = (double)tanhl(v); break;
            default: a[j] = h_nan();
            }
        }
    }
}

/* Random Z in [-4, 4], kept away from the ReLU kink: |z| > 1e-3. */
static void fill_z(h_rng *r, double *Z, size_t n) {
    for (size_t i = 0; i < n; i++) {
        double v;
        do v = h_uniform(r, -4.0, 4.0);
        while (fabs(v) <= 1e-3);
        Z[i] = v;
    }
}

/* ---- forward ----------------------------------------------------------------- */

/* Identity, ReLU and leaky ReLU are at most one multiplication: bit-exact.
 * Sigmoid, tanh and softmax are positive (or sign-preserving) without
 * cancellation, so an element-wise relative error of 1e-12 is meaningful
 * (a correct libm-based kernel is within a few ulps, ~1e-15). */
static void test_forward_matches_formulas(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 401);
    for (size_t a = 0; a < N_ACTS; a++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            size_t rows = SHAPES[s][0], cols = SHAPES[s][1], n = rows * cols;
            double *Z = h_alloc(n), *A = h_alloc_fill(n, h_nan()), *W = h_alloc(n);
            h_fill(&r, Z, n, -6.0, 6.0);
            double *Z0 = h_copy(Z, n);
            H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A));
            forward_formula(ACTS[a].act, ACTS[a].param, rows, cols, Z, W);
            H_EXPECT(h_same_bits(Z, Z0, n), "%s: Z modified", ACTS[a].name);
            if (a <= 2) {
                H_EXPECT(h_same_bits(A, W, n), "%s %zux%zu: not bit-exact", ACTS[a].name, rows,
                         cols);
            } else {
                for (size_t i = 0; i < n; i++) {
                    double e = fabs(A[i] - W[i]) / fabs(W[i]);
                    H_EXPECT(e <= 1e-12,
                             "%s %zux%zu: f(%.17g) = %.17g, formula "
                             "%.17g (rel %.3g)",
                             ACTS[a].name, rows, cols, Z[i], A[i], W[i], e);
                }
            }
            free(Z);
            free(A);
            free(W);
            free(Z0);
        }
}

/* Softmax rows sum to 1 and are invariant under adding a constant to a row. */
static void test_softmax_rows_and_shift_invariance(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 402);
    const size_t rows = 9, cols = 11, n = rows * cols;
    double Z[99], Zs[99], S[99], Ss[99];
    h_fill(&r, Z, n, -5.0, 5.0);
    for (size_t i = 0; i < rows; i++)
        for (size_t j = 0; j < cols; j++) Zs[i * cols + j] = Z[i * cols + j] + 1000.0 * (double)i;
    H_OK(bp_activation_forward(BP_ACT_SOFTMAX, 0.0, rows, cols, Z, S));
    H_OK(bp_activation_forward(BP_ACT_SOFTMAX, 0.0, rows, cols, Zs, Ss));
    for (size_t i = 0; i < rows; i++) {
        long double sum = 0.0L;
        for (size_t j = 0; j < cols; j++) sum += S[i * cols + j];
        H_EXPECT(fabsl(sum - 1.0L) <= 1e-14L, "row %zu sums to %.17Lg", i, sum);
        for (size_t j = 0; j < cols; j++) {
            /* Z + 1000·i rounds Z to ulp(1000·i) ≈ 1e-13·i: that, not the
             * kernel, bounds the difference. */
            double e = fabs(S[i * cols + j] - Ss[i * cols + j]) / S[i * cols + j];
            H_EXPECT(e <= 1e-11, "row %zu col %zu: shifted softmax differs by %.3g", i, j, e);
        }
    }
}

/* A may alias Z. */
static void test_forward_in_place(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 403);
    for (size_t a = 0; a < N_ACTS; a++) {
        const size_t rows = 7, cols = 13, n = rows * cols;
        double Z[91], A[91], B[91];
        h_fill(&r, Z, n, -3.0, 3.0);
        memcpy(B, Z, sizeof Z);
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A));
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, B, B));
        H_EXPECT(h_same_bits(A, B, n), "%s: in-place forward differs", ACTS[a].name);
    }
}

static void test_empty_batches_are_noops(void **state) {
    (void)state;
    double Z[3] = { 1, 2, 3 }, A[3] = { 7, 7, 7 };
    for (size_t a = 0; a < N_ACTS; a++) {
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, 0, 3, Z, A));
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, 3, 0, Z, A));
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, 0, 0, NULL, NULL));
        H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, 0, 3, Z, Z, Z, A));
        H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, 0, 0, NULL, NULL, NULL, NULL));
        H_EXPECT(A[0] == 7 && A[1] == 7 && A[2] == 7, "%s: empty batch wrote", ACTS[a].name);
    }
}

/* ---- backward ----------------------------------------------------------------- */

/* The objective J(Z) = Σ dA ⊙ f(Z) has gradient dZ = dA ⊙ f'(Z) (for softmax
 * the Jacobian-vector product), which is what backward returns. Perturbing
 * Z_ij changes only row i of f(Z), so the central difference is
 *   Σ_j' dA_ij' (f(Z + h e_ij) − f(Z − h e_ij))_ij' / (2h),
 * differencing the outputs before summing (no cancellation between large
 * totals). Its error is ~h²|f'''| + ε|f|/h ≈ 1e-10; we require relative
 * error ≤ 1e-6 against max(|an|, |fd|, 1e-3) — the floor because a
 * derivative near 0 cannot be resolved better than that absolute noise. */
static void test_backward_matches_finite_differences(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 404);
    static const size_t shapes[][2] = { { 1, 1 }, { 1, 5 }, { 5, 7 }, { 3, 13 } };
    const double h = 1e-6;
    for (size_t a = 0; a < N_ACTS; a++)
        for (size_t s = 0; s < 4; s++) {
            size_t rows = shapes[s][0], cols = shapes[s][1], n = rows * cols;
            double *Z = h_alloc(n), *A = h_alloc(n), *dA = h_alloc(n);
            double *dZ = h_alloc(n), *Ap = h_alloc(n), *Am = h_alloc(n), *fd = h_alloc(n);
            fill_z(&r, Z, n);
            h_fill(&r, dA, n, -1.0, 1.0);
            H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A));
            H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A, dA, dZ));
            for (size_t i = 0; i < rows; i++)
                for (size_t j = 0; j < cols; j++) {
                    double z0 = Z[i * cols + j];
                    volatile double zp = z0 + h, zm = z0 - h;
                    Z[i * cols + j] = zp;
                    H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, Ap));
                    Z[i * cols + j] = zm;
                    H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, Am));
                    Z[i * cols + j] = z0;
                    double d = 0.0;
                    for (size_t q = 0; q < cols; q++)
                        d += dA[i * cols + q] * (Ap[i * cols + q] - Am[i * cols + q]);
                    fd[i * cols + j] = d / (zp - zm);
                }
            size_t w = 0;
            double err = h_grad_err(dZ, fd, n, 1e-3, &w);
            H_EXPECT(err <= 1e-6,
                     "%s %zux%zu: dZ[%zu] = %.12g, finite difference "
                     "%.12g (z = %.6g): error %.3g",
                     ACTS[a].name, rows, cols, w, dZ[w], fd[w], Z[w], err);
            /* and it is not vacuous: some derivative is sizeable */
            int any_positive = 0;
            for (size_t i = 0; i < n; i++) any_positive |= Z[i] > 0;
            /* (a single element can legitimately have a tiny derivative) */
            int can_be_zero = n == 1 || (ACTS[a].act == BP_ACT_SOFTMAX && cols == 1) ||
                              (ACTS[a].act == BP_ACT_RELU && !any_positive);
            H_EXPECT(can_be_zero || h_max_abs(dZ, n) > 1e-3, "%s %zux%zu: all derivatives ~0",
                     ACTS[a].name, rows, cols);
            free(Z);
            free(A);
            free(dA);
            free(dZ);
            free(Ap);
            free(Am);
            free(fd);
        }
}

/* Closed forms, in long double. Errors are measured against |dA_ij| (and
 * for softmax against S_j·(|dA_j| + Σ|dA ⊙ S|)): 1 − tanh² computed from a
 * rounded tanh loses relative precision as tanh → ±1, but never more than
 * ε·|dA| in absolute terms. */
static void test_backward_matches_closed_forms(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 405);
    for (size_t a = 0; a < N_ACTS; a++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            size_t rows = SHAPES[s][0], cols = SHAPES[s][1], n = rows * cols;
            double *Z = h_alloc(n), *A = h_alloc(n), *dA = h_alloc(n), *dZ = h_alloc(n);
            fill_z(&r, Z, n);
            h_fill(&r, dA, n, -1.0, 1.0);
            double *dA0 = h_copy(dA, n);
            H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A));
            double *A0 = h_copy(A, n), *Zc = h_copy(Z, n);
            H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A, dA, dZ));
            H_EXPECT(h_same_bits(Z, Zc, n) && h_same_bits(A, A0, n) && h_same_bits(dA, dA0, n),
                     "%s: an input was modified", ACTS[a].name);
            for (size_t i = 0; i < rows; i++) {
                long double dot = 0.0L, adot = 0.0L;
                if (ACTS[a].act == BP_ACT_SOFTMAX) {
                    long double mx = Z[i * cols], sum = 0.0L;
                    for (size_t j = 1; j < cols; j++)
                        if (Z[i * cols + j] > mx) mx = Z[i * cols + j];
                    for (size_t j = 0; j < cols; j++) sum += expl(Z[i * cols + j] - mx);
                    for (size_t j = 0; j < cols; j++) {
                        long double sj = expl(Z[i * cols + j] - mx) / sum;
                        dot += dA[i * cols + j] * sj;
                        adot += fabsl(dA[i * cols + j] * sj);
                    }
                }
                for (size_t j = 0; j < cols; j++) {
                    size_t x = i * cols + j;
                    long double z = Z[x], want, scale = fabs(dA[x]);
                    switch (ACTS[a].act) {
                    case BP_ACT_IDENTITY: want = dA[x]; break;
                    case BP_ACT_RELU: want = z > 0 ? dA[x] : 0.0L; break;
                    case BP_ACT_LEAKY_RELU: want = z > 0 ? dA[x] : LEAKY_SLOPE * dA[x]; break;
                    case BP_ACT_SIGMOID: {
                        long double sg = sigmoid_l(z);
                        want = dA[x] * sg * (1.0L - sg);
                        break;
                    }
                    case BP_ACT_TANH: {
                        long double t = tanhl(z);
                        want = dA[x] * (1.0L - t * t);
                        break;
                    }
                    default: { /* softmax */
                        long double mx = Z[i * cols], sum = 0.0L;
                        for (size_t q = 1; q < cols; q++)
                            if (Z[i * cols + q] > mx) mx = Z[i * cols + q];
                        for (size_t q = 0; q < cols; q++) sum += expl(Z[i * cols + q] - mx);
                        long double sj = expl(z - mx) / sum;
                        want = sj * (dA[x] - dot);
                        scale = (double)(sj * (fabsl(dA[x]) + adot));
                    }
                    }
                    double e = fabs(dZ[x] - (double)want) / scale;
                    if (scale == 0.0) e = (dZ[x] == 0.0) ? 0.0 : INFINITY;
                    H_EXPECT(e <= 1e-12,
                             "%s %zux%zu: dZ at z=%.17g, dA=%.17g: %.17g "
                             "vs %.17Lg (error %.3g)",
                             ACTS[a].name, rows, cols, Z[x], dA[x], dZ[x], want, e);
                }
            }
            free(Z);
            free(A);
            free(dA);
            free(dZ);
            free(dA0);
            free(A0);
            free(Zc);
        }
}

/* dZ may alias dA. */
static void test_backward_in_place(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 406);
    for (size_t a = 0; a < N_ACTS; a++) {
        const size_t rows = 5, cols = 7, n = rows * cols;
        double Z[35], A[35], dA[35], dZ[35];
        fill_z(&r, Z, n);
        h_fill(&r, dA, n, -1.0, 1.0);
        H_OK(bp_activation_forward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A));
        H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A, dA, dZ));
        H_OK(bp_activation_backward(ACTS[a].act, ACTS[a].param, rows, cols, Z, A, dA, dA));
        H_EXPECT(h_same_bits(dA, dZ, n), "%s: in-place backward differs", ACTS[a].name);
    }
}

/* The documented values at the kink: f'(0) = 0 for ReLU, = param for leaky. */
static void test_relu_derivative_at_zero(void **state) {
    (void)state;
    double Z[2] = { 0.0, -0.0 }, A[2], dA[2] = { 3.0, -5.0 }, dZ[2];
    H_OK(bp_activation_forward(BP_ACT_RELU, 0.0, 1, 2, Z, A));
    H_EXPECT(A[0] == 0.0 && A[1] == 0.0, "relu(0) = %g, relu(-0) = %g", A[0], A[1]);
    H_OK(bp_activation_backward(BP_ACT_RELU, 0.0, 1, 2, Z, A, dA, dZ));
    H_EXPECT(dZ[0] == 0.0 && dZ[1] == 0.0, "relu'(0): dZ = [%g %g], expected 0", dZ[0], dZ[1]);
    H_OK(bp_activation_forward(BP_ACT_LEAKY_RELU, 0.25, 1, 2, Z, A));
    H_OK(bp_activation_backward(BP_ACT_LEAKY_RELU, 0.25, 1, 2, Z, A, dA, dZ));
    H_EXPECT(dZ[0] == 0.75 && dZ[1] == -1.25,
             "leaky'(0) = param: dZ = [%g %g], expected [0.75 -1.25]", dZ[0], dZ[1]);
}

/* A NaN pre-activation (a sum that overflowed, +inf + −inf) must stay NaN
 * through every activation, float too, so that it reaches the loss; ReLU
 * once turned it into a silent 0. */
static void test_nan_propagates(void **state) {
    (void)state;
    static const bp_activation ACTS[] = { BP_ACT_IDENTITY, BP_ACT_RELU, BP_ACT_LEAKY_RELU,
                                          BP_ACT_SIGMOID,  BP_ACT_TANH, BP_ACT_SOFTMAX };
    for (size_t t = 0; t < sizeof ACTS / sizeof ACTS[0]; t++) {
        double Z[3] = { 1.0, h_nan(), -2.0 }, A[3];
        float Zf[3] = { 1.0f, (float)h_nan(), -2.0f }, Af[3];
        H_OK(bp_activation_forward(ACTS[t], 0.1, 1, 3, Z, A));
        H_OK(bp_activation_forward_f32(ACTS[t], 0.1f, 1, 3, Zf, Af));
        H_EXPECT(isnan(A[1]) && isnan(Af[1]), "activation %d: f(NaN) = %g (float %g)", (int)ACTS[t],
                 A[1], (double)Af[1]);
    }
}

/* ---- huge inputs ------------------------------------------------------------------ */

/* Sigmoid and tanh at ±1e308 and other large values: exact limits, finite
 * derivatives, and for sigmoid the promised precision of f' = f(z)·f(−z)
 * where 1 − f(z) would round to 0 (z = 40: f' ≈ 4.2e-18). */
static void test_sigmoid_tanh_huge_inputs(void **state) {
    (void)state;
    static const double zs[] = { 1e308, -1e308, DBL_MAX, -DBL_MAX, 1000, -1000, 710,
                                 -710,  700,    -700,    40,       -40,  30,    -30 };
    const size_t n = sizeof zs / sizeof zs[0];
    double A[14], dA[14], dZ[14];
    for (size_t i = 0; i < n; i++) dA[i] = 1.0;

    H_OK(bp_activation_forward(BP_ACT_SIGMOID, 0.0, 1, n, zs, A));
    H_OK(bp_activation_backward(BP_ACT_SIGMOID, 0.0, 1, n, zs, A, dA, dZ));
    H_EXPECT(h_all_finite(A, n) && h_all_finite(dZ, n), "sigmoid: non-finite output");
    H_EXPECT(A[0] == 1.0 && A[1] == 0.0 && A[2] == 1.0 && A[3] == 0.0,
             "sigmoid(±1e308, ±DBL_MAX) = %g %g %g %g, expected 1 0 1 0", A[0], A[1], A[2], A[3]);
    H_EXPECT(dZ[0] == 0.0 && dZ[1] == 0.0, "sigmoid'(±1e308) = %g %g, expected 0", dZ[0], dZ[1]);
    for (size_t i = 4; i < n; i++) {
        long double z = zs[i], e = expl(-fabsl(z));
        long double f = sigmoid_l(z), d = e / ((1.0L + e) * (1.0L + e));
        H_EXPECT(A[i] >= 0.0 && A[i] <= 1.0, "sigmoid(%g) = %g", zs[i], A[i]);
        if (fabs(zs[i]) <= 700) {
            /* no underflow below 700: both values are normal doubles */
            H_EXPECT(fabsl(A[i] - f) <= 1e-12L * f, "sigmoid(%g) = %.17g, expected %.17Lg", zs[i],
                     A[i], f);
            H_EXPECT(fabsl(dZ[i] - d) <= 1e-12L * d,
                     "sigmoid'(%g) = %.17g, expected "
                     "%.17Lg (precision lost?)",
                     zs[i], dZ[i], d);
        } else {
            H_EXPECT(dZ[i] >= 0.0 && dZ[i] <= 1e-300, "sigmoid'(%g) = %g", zs[i], dZ[i]);
        }
    }

    H_OK(bp_activation_forward(BP_ACT_TANH, 0.0, 1, n, zs, A));
    H_OK(bp_activation_backward(BP_ACT_TANH, 0.0, 1, n, zs, A, dA, dZ));
    H_EXPECT(h_all_finite(A, n) && h_all_finite(dZ, n), "tanh: non-finite output");
    H_EXPECT(A[0] == 1.0 && A[1] == -1.0 && A[2] == 1.0 && A[3] == -1.0, "tanh(±1e308) = %g %g",
             A[0], A[1]);
    for (size_t i = 0; i < 10; i++)
        H_EXPECT(dZ[i] == 0.0, "tanh'(%g) = %g, expected 0", zs[i], dZ[i]);
}

/* Softmax of rows with huge entries: no overflow, exact limits. */
static void test_softmax_huge_inputs(void **state) {
    (void)state;
    const double third = 1.0 / 3.0;
    /* 5 rows of 3 */
    const double Z[15] = {
        1e308,   -1e308,   0.0,     /* → [1, 0, 0]               */
        1e308,   1e308,    1e308,   /* equal huge → uniform      */
        -1e308,  -1e308,   -1e308,  /* equal hugely negative     */
        DBL_MAX, -DBL_MAX, DBL_MAX, /* → [1/2, 0, 1/2]           */
        709.0,   710.0,    711.0,   /* = softmax([-2, -1, 0])    */
    };
    double S[15], dA[15], dZ[15];
    H_OK(bp_activation_forward(BP_ACT_SOFTMAX, 0.0, 5, 3, Z, S));
    H_EXPECT(h_all_finite(S, 15), "softmax: non-finite output");
    H_EXPECT(S[0] == 1.0 && S[1] == 0.0 && S[2] == 0.0, "softmax[1e308,-1e308,0] = [%g %g %g]",
             S[0], S[1], S[2]);
    for (int j = 3; j < 9; j++)
        H_EXPECT(fabs(S[j] - third) <= 1e-15, "uniform row: S[%d] = %.17g", j, S[j]);
    H_EXPECT(S[9] == 0.5 && S[10] == 0.0 && S[11] == 0.5, "softmax[MAX,-MAX,MAX] = [%g %g %g]",
             S[9], S[10], S[11]);
    long double den = expl(-2.0L) + expl(-1.0L) + 1.0L;
    for (int j = 0; j < 3; j++) {
        long double want = expl((long double)(j - 2)) / den;
        H_EXPECT(fabsl(S[12 + j] - want) <= 1e-12L * want,
                 "softmax[709,710,711][%d] = %.17g, expected %.17Lg", j, S[12 + j], want);
    }

    h_rng r;
    h_seed(&r, 407);
    h_fill(&r, dA, 15, -1.0, 1.0);
    H_OK(bp_activation_backward(BP_ACT_SOFTMAX, 0.0, 5, 3, Z, S, dA, dZ));
    H_EXPECT(h_all_finite(dZ, 15), "softmax backward: non-finite");
    /* S = [1,0,0]: dZ = S ⊙ (dA − dA_0) = 0 */
    H_EXPECT(dZ[0] == 0.0 && dZ[1] == 0.0 && dZ[2] == 0.0,
             "row [1,0,0]: dZ = [%g %g %g], expected 0", dZ[0], dZ[1], dZ[2]);
    /* uniform rows: dZ_j = (dA_j − mean dA)/3 */
    for (int row = 1; row <= 2; row++) {
        double mean = (dA[3 * row] + dA[3 * row + 1] + dA[3 * row + 2]) / 3.0;
        for (int j = 0; j < 3; j++) {
            double want = (dA[3 * row + j] - mean) / 3.0;
            H_EXPECT(fabs(dZ[3 * row + j] - want) <= 1e-15,
                     "uniform row %d: dZ[%d] = %.17g, expected %.17g", row, j, dZ[3 * row + j],
                     want);
        }
    }
}

int run_activation_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_forward_matches_formulas),
        cmocka_unit_test(test_softmax_rows_and_shift_invariance),
        cmocka_unit_test(test_forward_in_place),
        cmocka_unit_test(test_empty_batches_are_noops),
        cmocka_unit_test(test_backward_matches_finite_differences),
        cmocka_unit_test(test_backward_matches_closed_forms),
        cmocka_unit_test(test_backward_in_place),
        cmocka_unit_test(test_relu_derivative_at_zero),
        cmocka_unit_test(test_nan_propagates),
        cmocka_unit_test(test_sigmoid_tanh_huge_inputs),
        cmocka_unit_test(test_softmax_huge_inputs),
    };
    return cmocka_run_group_tests_name("activation", tests, NULL, NULL);
}
