/*
 * test_gemm.c — bp_dgemm and bp_dgemm_reference (bp_gemm.h).
 *
 * bp_dgemm_reference is first checked against a textbook triple loop written
 * here; bp_dgemm is then checked against bp_dgemm_reference on many shapes
 * (1, primes, sizes above 256 that cross any block size), all four
 * transpose combinations, padded leading dimensions, and the BLAS special
 * cases (beta = 0 with NaN in C, alpha = 0, k = 0, m or n = 0).
 *
 * How errors are measured. Per-element relative error |C − Cref|/|Cref| is
 * meaningless for a product: where the terms of a dot product cancel, Cref_ij
 * is tiny (or zero) and any correct summation order gives a large relative
 * error. What floating point guarantees is the norm-wise bound
 *     |fl(Σ_p a_p·b_p) − Σ_p a_p·b_p| ≤ γ_k · Σ_p |a_p·b_p|,  γ_k ≈ k·2^-53,
 * for any order of summation (Higham, Accuracy and Stability, §3.1). So we
 * divide the largest difference by
 *     scale = max_ij ( |alpha|·Σ_p |op(A)_ip·op(B)_pj| + |beta|·|C0_ij| ),
 * and require ≤ 1e-12. For k ≤ 1000 two correct results differ by at most
 * about 2·γ_k ≈ 2e-13 of that scale, so 1e-12 cannot fail a correct kernel;
 * a dropped, doubled or misplaced term moves the result by a sizeable
 * fraction of the scale and fails at once.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define GEMM_TOL 1e-12

typedef bp_status (*gemm_fn)(bp_transpose, bp_transpose, size_t, size_t, size_t, double,
                             const double *, size_t, const double *, size_t, double, double *,
                             size_t);

/* op(X)[i][p] where X is stored with leading dimension ld. */
static double op_at(const double *X, size_t ld, bp_transpose t, size_t i, size_t p) {
    return t == BP_NO_TRANS ? X[i * ld + p] : X[p * ld + i];
}

/* The textbook triple loop, written here independently of the library. */
static void naive_gemm(bp_transpose ta, bp_transpose tb, size_t m, size_t n, size_t k, double alpha,
                       const double *A, size_t lda, const double *B, size_t ldb, double beta,
                       double *C, size_t ldc) {
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++) s += op_at(A, lda, ta, i, p) * op_at(B, ldb, tb, p, j);
            double c = (beta == 0.0) ? 0.0 : beta * C[i * ldc + j];
            C[i * ldc + j] = c + alpha * s;
        }
}

/* The norm-wise scale described at the top of this file. With beta == 0,
 * C0 is not part of the result (it may hold NaN). */
static double gemm_scale(bp_transpose ta, bp_transpose tb, size_t m, size_t n, size_t k,
                         double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                         double beta, const double *C0, size_t ldc) {
    double scale = 0.0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double s = 0.0;
            for (size_t p = 0; p < k; p++)
                s += fabs(op_at(A, lda, ta, i, p) * op_at(B, ldb, tb, p, j));
            s *= fabs(alpha);
            if (beta != 0.0) s += fabs(beta) * fabs(C0[i * ldc + j]);
            if (s > scale) scale = s;
        }
    return scale;
}

static const char *tname(bp_transpose t) { return t == BP_NO_TRANS ? "N" : "T"; }

/* One product, checked against a yardstick. Matrices get `pad` extra columns
 * of leading dimension: NaN in A and B (a read would poison C), H_OUT_PAD in
 * C (a write would change its bits). With c_nan, C's elements start as NaN
 * (only meaningful with beta = 0). */
typedef struct gemm_case {
    bp_transpose ta, tb;
    size_t m, n, k;
    double alpha, beta;
    size_t pad_a, pad_b, pad_c;
    int c_nan;
} gemm_case;

static void check_case(h_rng *r, const gemm_case *c, gemm_fn fn, gemm_fn yardstick_fn,
                       int use_naive) {
    size_t a_rows = c->ta == BP_NO_TRANS ? c->m : c->k;
    size_t a_cols = c->ta == BP_NO_TRANS ? c->k : c->m;
    size_t b_rows = c->tb == BP_NO_TRANS ? c->k : c->n;
    size_t b_cols = c->tb == BP_NO_TRANS ? c->n : c->k;
    size_t lda = a_cols + c->pad_a, ldb = b_cols + c->pad_b;
    size_t ldc = c->n + c->pad_c;
    if (lda == 0) lda = 1;
    if (ldb == 0) ldb = 1;
    if (ldc == 0) ldc = 1;

    double *A = h_matrix(r, a_rows, a_cols, lda, -1.0, 1.0, h_nan());
    double *B = h_matrix(r, b_rows, b_cols, ldb, -1.0, 1.0, h_nan());
    double *C0 = h_matrix(r, c->m, c->n, ldc, -1.0, 1.0, H_OUT_PAD);
    if (c->c_nan)
        for (size_t i = 0; i < c->m; i++)
            for (size_t j = 0; j < c->n; j++) C0[i * ldc + j] = h_nan();
    double *A0 = h_copy(A, a_rows * lda), *B0 = h_copy(B, b_rows * ldb);
    double *C = h_copy(C0, c->m * ldc), *Cref = h_copy(C0, c->m * ldc);

    H_OK(fn(c->ta, c->tb, c->m, c->n, c->k, c->alpha, A, lda, B, ldb, c->beta, C, ldc));
    if (use_naive)
        naive_gemm(c->ta, c->tb, c->m, c->n, c->k, c->alpha, A, lda, B, ldb, c->beta, Cref, ldc);
    else
        H_OK(yardstick_fn(c->ta, c->tb, c->m, c->n, c->k, c->alpha, A, lda, B, ldb, c->beta, Cref,
                          ldc));

    double scale =
        gemm_scale(c->ta, c->tb, c->m, c->n, c->k, c->alpha, A, lda, B, ldb, c->beta, C0, ldc);
    double err = h_normwise_err(c->m, c->n, C, ldc, Cref, ldc, scale);
    H_EXPECT(err <= GEMM_TOL,
             "op %s%s m=%zu n=%zu k=%zu alpha=%g beta=%g lda=%zu ldb=%zu "
             "ldc=%zu: norm-wise error %.3g",
             tname(c->ta), tname(c->tb), c->m, c->n, c->k, c->alpha, c->beta, lda, ldb, ldc, err);
    H_EXPECT(h_padding_intact(C, c->m, c->n, ldc, H_OUT_PAD),
             "op %s%s m=%zu n=%zu k=%zu: padding of C (ldc=%zu) was written", tname(c->ta),
             tname(c->tb), c->m, c->n, c->k, ldc);
    H_EXPECT(h_same_bits(A, A0, a_rows * lda) && h_same_bits(B, B0, b_rows * ldb),
             "op %s%s m=%zu n=%zu k=%zu: an input matrix was modified", tname(c->ta), tname(c->tb),
             c->m, c->n, c->k);
    free(A);
    free(B);
    free(C0);
    free(A0);
    free(B0);
    free(C);
    free(Cref);
}

static const bp_transpose TRANS[2] = { BP_NO_TRANS, BP_TRANS };

/* Some (alpha, beta) pairs: the common 1/0 and 1/1, negative, fractional. */
static const double ALPHA_BETA[][2] = {
    { 1.0, 0.0 }, { 1.0, 1.0 }, { -1.0, 0.5 }, { 0.5, -2.0 }, { 2.5, 0.0 }, { -0.75, 1.0 },
};
#define N_AB (sizeof ALPHA_BETA / sizeof ALPHA_BETA[0])

/* ---- the reference against the triple loop written here ---------------------- */

static void test_reference_vs_naive(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 101);
    static const size_t sizes[] = { 1, 2, 3, 5, 7, 13 };
    const size_t ns = sizeof sizes / sizeof sizes[0];
    size_t t = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (size_t im = 0; im < ns; im++)
                for (size_t in = 0; in < ns; in++)
                    for (size_t ik = 0; ik < ns; ik++, t++) {
                        gemm_case c = { TRANS[a],
                                        TRANS[b],
                                        sizes[im],
                                        sizes[in],
                                        sizes[ik],
                                        ALPHA_BETA[t % N_AB][0],
                                        ALPHA_BETA[t % N_AB][1],
                                        t % 3,
                                        (t / 3) % 3,
                                        (t / 9) % 3,
                                        0 };
                        check_case(&r, &c, bp_dgemm_reference, NULL, 1);
                    }
}

/* The reference sums in increasing p, exactly like the loop above, so on
 * integer data (where every partial sum is exact) the two agree bit for bit;
 * this pins down "C = beta·C + alpha·Σ" rather than some other formula. */
static void test_reference_exact_on_integers(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 102);
    const size_t m = 5, n = 4, k = 6;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++) {
            double A[30], B[24], C[20], Cn[20];
            for (size_t i = 0; i < 30; i++) A[i] = (double)((int)h_below(&r, 19) - 9);
            for (size_t i = 0; i < 24; i++) B[i] = (double)((int)h_below(&r, 19) - 9);
            for (size_t i = 0; i < 20; i++) C[i] = Cn[i] = (double)((int)h_below(&r, 19) - 9);
            size_t lda = TRANS[a] == BP_NO_TRANS ? k : m;
            size_t ldb = TRANS[b] == BP_NO_TRANS ? n : k;
            H_OK(bp_dgemm_reference(TRANS[a], TRANS[b], m, n, k, 3.0, A, lda, B, ldb, -2.0, C, n));
            naive_gemm(TRANS[a], TRANS[b], m, n, k, 3.0, A, lda, B, ldb, -2.0, Cn, n);
            H_EXPECT(h_same_bits(C, Cn, 20), "op %s%s: integer product differs", tname(TRANS[a]),
                     tname(TRANS[b]));
        }
}

/* ---- bp_dgemm against the reference ---------------------------------------------- */

/* Every combination of sizes 1, 2, primes, for all transposes, with a
 * rotating choice of alpha/beta and of padding. */
static void test_dgemm_small_and_prime_shapes(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 201);
    static const size_t sizes[] = { 1, 2, 7, 13, 31, 67 };
    const size_t ns = sizeof sizes / sizeof sizes[0];
    size_t t = 0;
    for (int a = 0; a < 2; a++)
        for (int b = 0; b < 2; b++)
            for (size_t im = 0; im < ns; im++)
                for (size_t in = 0; in < ns; in++)
                    for (size_t ik = 0; ik < ns; ik++, t++) {
                        gemm_case c = { TRANS[a],
                                        TRANS[b],
                                        sizes[im],
                                        sizes[in],
                                        sizes[ik],
                                        ALPHA_BETA[t % N_AB][0],
                                        ALPHA_BETA[t % N_AB][1],
                                        (t % 4 == 0) ? 3 : 0,
                                        (t % 5 == 0) ? 1 : 0,
                                        (t % 7 == 0) ? 2 : 0,
                                        0 };
                        check_case(&r, &c, bp_dgemm, bp_dgemm_reference, 0);
                    }
}

/* Sizes above 256 in each dimension, all transposes (crossing the blocking
 * boundaries a packed kernel is likely to have, including very wide
 * products), plus edge-of-block sizes. */
static void test_dgemm_large_shapes(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 202);
    static const size_t shapes[][3] = {
        { 257, 300, 67 },  { 300, 67, 257 }, { 67, 257, 300 }, { 256, 256, 256 },
        { 255, 129, 258 }, { 1, 300, 257 },  { 257, 1, 300 },  { 300, 257, 1 },
        { 5, 4103, 3 },    { 3, 8209, 259 }, /* very wide: n above 4096 and 8192 */
    };
    size_t t = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++, t++) {
                /* The biggest cubes only in two transpose modes: time. */
                if (s == 3 && a != b) continue;
                gemm_case c = { TRANS[a],
                                TRANS[b],
                                shapes[s][0],
                                shapes[s][1],
                                shapes[s][2],
                                ALPHA_BETA[t % N_AB][0],
                                ALPHA_BETA[t % N_AB][1],
                                t % 2,
                                (t / 2) % 2 * 5,
                                3,
                                0 };
                check_case(&r, &c, bp_dgemm, bp_dgemm_reference, 0);
            }
}

/* Leading dimensions larger than the rows, NaN in the padding of A and B and
 * a sentinel in the padding of C, for all transposes and several sizes. */
static void test_dgemm_padded_leading_dimensions(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 203);
    static const size_t shapes[][3] = {
        { 1, 1, 1 }, { 7, 13, 31 }, { 31, 7, 13 }, { 67, 31, 259 }, { 260, 9, 17 }
    };
    static const size_t pads[][3] = { { 1, 2, 3 }, { 8, 1, 5 }, { 17, 33, 1 } };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (size_t p = 0; p < sizeof pads / sizeof pads[0]; p++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++) {
                    gemm_case c = { TRANS[a], TRANS[b], shapes[s][0], shapes[s][1], shapes[s][2],
                                    1.5,      -0.5,     pads[p][0],   pads[p][1],   pads[p][2],
                                    0 };
                    check_case(&r, &c, bp_dgemm, bp_dgemm_reference, 0);
                }
}

/* beta = 0: C must be written without being read, so NaN in C never leaks.
 * Both functions are checked against the loop written here. */
static void test_beta_zero_ignores_nan_in_c(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 204);
    static const size_t shapes[][3] = {
        { 1, 1, 1 }, { 7, 13, 31 }, { 67, 3, 2 }, { 257, 31, 13 }, { 13, 260, 300 }
    };
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                gemm_case c = {
                    TRANS[a], TRANS[b], shapes[s][0], shapes[s][1], shapes[s][2], -1.25, 0.0, 2, 1,
                    3,        1
                };
                check_case(&r, &c, bp_dgemm, NULL, 1);
                check_case(&r, &c, bp_dgemm_reference, NULL, 1);
            }
}

/* alpha = 0 or k = 0: C = beta·C, and A, B are not read. A and B are full of
 * NaN (a read would poison C), then NULL (documented as allowed). */
static void check_beta_only(gemm_fn fn, const char *name, size_t m, size_t n, size_t k,
                            double alpha, double beta, int null_ab) {
    h_rng r;
    h_seed(&r, 205 + m + n + k);
    const size_t ldc = n + 2;
    size_t lda = k > 0 ? k : 1, ldb = n;
    double *A = null_ab ? NULL : h_alloc_fill(m * lda, h_nan());
    double *B = null_ab ? NULL : h_alloc_fill(k * ldb, h_nan());
    double *C0 = h_matrix(&r, m, n, ldc, -1.0, 1.0, H_OUT_PAD);
    double *C = h_copy(C0, m * ldc);
    H_OK(fn(BP_NO_TRANS, BP_NO_TRANS, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc));
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            double want = beta * C0[i * ldc + j];
            double got = C[i * ldc + j];
            H_EXPECT(got == want,
                     "%s m=%zu n=%zu k=%zu alpha=%g beta=%g: "
                     "C[%zu][%zu] = %.17g, expected beta*C0 = %.17g",
                     name, m, n, k, alpha, beta, i, j, got, want);
        }
    H_EXPECT(h_padding_intact(C, m, n, ldc, H_OUT_PAD), "%s: padding of C written", name);
    free(A);
    free(B);
    free(C0);
    free(C);
}

static void test_alpha_zero_and_k_zero(void **state) {
    (void)state;
    const gemm_fn fns[2] = { bp_dgemm, bp_dgemm_reference };
    const char *names[2] = { "bp_dgemm", "bp_dgemm_reference" };
    static const double betas[] = { 0.0, 1.0, -0.5, 3.0 };
    for (int f = 0; f < 2; f++)
        for (size_t b = 0; b < 4; b++)
            for (int null_ab = 0; null_ab < 2; null_ab++) {
                check_beta_only(fns[f], names[f], 7, 13, 5, 0.0, betas[b], null_ab);
                check_beta_only(fns[f], names[f], 260, 3, 300, 0.0, betas[b], null_ab);
                check_beta_only(fns[f], names[f], 7, 13, 0, 1.0, betas[b], null_ab);
                check_beta_only(fns[f], names[f], 1, 1, 0, -2.0, betas[b], null_ab);
            }
}

/* beta = 0 with alpha = 0 (or k = 0) and NaN in C gives exact zeros. */
static void test_alpha_zero_beta_zero_clears_nan(void **state) {
    (void)state;
    const gemm_fn fns[2] = { bp_dgemm, bp_dgemm_reference };
    for (int f = 0; f < 2; f++)
        for (size_t k = 0; k <= 3; k += 3) {
            double C[6 * 4];
            for (size_t i = 0; i < 24; i++) C[i] = h_nan();
            double A[18], B[12];
            for (size_t i = 0; i < 18; i++) A[i] = 1.0;
            for (size_t i = 0; i < 12; i++) B[i] = 1.0;
            double alpha = (k == 0) ? 1.0 : 0.0;
            H_OK(fns[f](BP_NO_TRANS, BP_NO_TRANS, 6, 4, k, alpha, A, k ? k : 1, B, 4, 0.0, C, 4));
            for (size_t i = 0; i < 24; i++)
                H_EXPECT(C[i] == 0.0, "fn %d k=%zu: C[%zu] = %g, expected 0", f, k, i, C[i]);
        }
}

/* m == 0 or n == 0: nothing to do; C (if any) is not touched. */
static void test_empty_result_is_noop(void **state) {
    (void)state;
    const gemm_fn fns[2] = { bp_dgemm, bp_dgemm_reference };
    double A[12], B[12], C[12];
    for (size_t i = 0; i < 12; i++) {
        A[i] = 1.0;
        B[i] = 1.0;
        C[i] = H_OUT_PAD;
    }
    for (int f = 0; f < 2; f++) {
        /* m = 0: A (0×3) and C (0×4) are empty and may be NULL; B is 3×4. */
        H_OK(fns[f](BP_NO_TRANS, BP_NO_TRANS, 0, 4, 3, 1.0, NULL, 3, B, 4, 0.0, NULL, 4));
        H_OK(fns[f](BP_NO_TRANS, BP_NO_TRANS, 0, 4, 3, 1.0, A, 3, B, 4, 0.0, C, 4));
        /* n = 0: B (3×0) and C (2×0) are empty; A is 2×3. */
        H_OK(fns[f](BP_NO_TRANS, BP_NO_TRANS, 2, 0, 3, 1.0, A, 3, NULL, 1, 0.0, NULL, 1));
        H_OK(fns[f](BP_TRANS, BP_TRANS, 2, 0, 3, 1.0, A, 2, B, 3, 0.0, C, 1));
        /* all zero */
        H_OK(fns[f](BP_NO_TRANS, BP_NO_TRANS, 0, 0, 0, 1.0, NULL, 1, NULL, 1, 0.0, NULL, 1));
        for (size_t i = 0; i < 12; i++)
            H_EXPECT(C[i] == H_OUT_PAD, "fn %d: C[%zu] written by an empty product", f, i);
    }
}

/* 1×1, row and column vectors, outer and inner products, tall-skinny. */
static void test_vector_and_skinny_shapes(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 206);
    static const size_t shapes[][3] = {
        { 1, 1, 1 },    /* scalar                                   */
        { 1, 1, 300 },  /* dot product                              */
        { 1, 13, 7 },   /* row vector · matrix                      */
        { 13, 1, 7 },   /* matrix · column vector                   */
        { 67, 31, 1 },  /* outer product (k = 1)                    */
        { 1000, 2, 3 }, /* tall-skinny: 1000×3 · 3×2 (a forward)    */
        { 3, 2, 1000 }, /* 3×1000 · 1000×2 (a weight gradient)      */
        { 1000, 3, 2 }, /* 1000×2 · 2×3 (an input gradient)         */
        { 2, 1000, 3 }, /* short-wide                               */
    };
    size_t t = 0;
    for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++, t++) {
                gemm_case c = { TRANS[a],
                                TRANS[b],
                                shapes[s][0],
                                shapes[s][1],
                                shapes[s][2],
                                ALPHA_BETA[t % N_AB][0],
                                ALPHA_BETA[t % N_AB][1],
                                0,
                                1,
                                0,
                                0 };
                check_case(&r, &c, bp_dgemm, bp_dgemm_reference, 0);
                check_case(&r, &c, bp_dgemm_reference, NULL, 1);
            }
}

/* The scalar case by hand, so the formula itself is pinned down:
 * C = alpha·a·b + beta·c with exactly representable values. */
static void test_scalar_formula(void **state) {
    (void)state;
    const gemm_fn fns[2] = { bp_dgemm, bp_dgemm_reference };
    for (int f = 0; f < 2; f++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                double A = 3.0, B = -0.5, C = 10.0;
                H_OK(fns[f](TRANS[a], TRANS[b], 1, 1, 1, 2.0, &A, 1, &B, 1, 0.25, &C, 1));
                /* 2·3·(−0.5) + 0.25·10 = −3 + 2.5 = −0.5 */
                H_EXPECT(C == -0.5, "fn %d op %s%s: got %.17g", f, tname(TRANS[a]), tname(TRANS[b]),
                         C);
            }
}

/* Alpha/beta variants on one mid-sized shape, all transposes. */
static void test_alpha_beta_variants(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 207);
    static const double ab[][2] = { { 1, 0 },      { 1, 1 },       { -1, 1 }, { 0.5, 0.5 },
                                    { 1e3, 1e-3 }, { 1e-3, -1e3 }, { -2, 0 }, { 0, 2 } };
    for (size_t i = 0; i < sizeof ab / sizeof ab[0]; i++)
        for (int a = 0; a < 2; a++)
            for (int b = 0; b < 2; b++) {
                gemm_case c = { TRANS[a], TRANS[b], 31, 67, 13, ab[i][0], ab[i][1], 1, 2, 3, 0 };
                check_case(&r, &c, bp_dgemm, bp_dgemm_reference, 0);
            }
}

int run_gemm_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reference_vs_naive),
        cmocka_unit_test(test_reference_exact_on_integers),
        cmocka_unit_test(test_scalar_formula),
        cmocka_unit_test(test_dgemm_small_and_prime_shapes),
        cmocka_unit_test(test_dgemm_large_shapes),
        cmocka_unit_test(test_dgemm_padded_leading_dimensions),
        cmocka_unit_test(test_beta_zero_ignores_nan_in_c),
        cmocka_unit_test(test_alpha_zero_and_k_zero),
        cmocka_unit_test(test_alpha_zero_beta_zero_clears_nan),
        cmocka_unit_test(test_empty_result_is_noop),
        cmocka_unit_test(test_vector_and_skinny_shapes),
        cmocka_unit_test(test_alpha_beta_variants),
    };
    return cmocka_run_group_tests_name("gemm", tests, NULL, NULL);
}
