/*
 * test_gemm_fast.c — the blocked GEMM's kernels and threads, both
 * precisions: bp_dgemm_exec / bp_sgemm_exec / bp_sgemm / bp_sgemm_reference.
 *
 * Every product runs through six paths — the default kernels (AVX2+FMA,
 * plus AVX-512F where the CPU has it), the AVX2+FMA kernels alone and the
 * portable C kernels, each with a 1-thread and a 2-thread context — and is
 * compared with the reference triple loop:
 *
 *   double: bp_dgemm_reference, norm-wise error ≤ 1e-12 (the argument of
 *           test_gemm.c: two correct summation orders differ by at most
 *           about 2·γ_k ≈ 2k·2^-53 of the norm-wise scale).
 *   float:  a double-precision reference on the same float-representable
 *           data, norm-wise error ≤ (k + 3·⌈k/KC⌉ + 4)·2^-24: γ_k ≈ k·u for
 *           the dot product in float in any order (FMA included), plus one
 *           rounding each for alpha·Σ, beta·C and their sum, per k-block of
 *           the blocked loops (KC = 512 for float). The float reference
 *           triple loop is held to the same bound.
 *
 * Shapes: every m ≤ 13, n ≤ 19 (all row/column edge variants of the 6 × 8
 * and 6 × 16 tiles), primes, sizes crossing KC, MC and NC; all four
 * transposes; leading dimensions with NaN padding in A and B (a stray read
 * would poison C) and H_OUT_PAD in C and in 16 rows after it (a stray
 * write changes its bits);
 * beta = 0 with NaN in C. Threads: 1 and 2 threads give bit-identical C
 * for products large enough to be split (by rows and by columns), the
 * default, the AVX2 and the all-AVX-512 kernels give the same bits, and a context with 1
 * thread gives the same bits as the plain bp_?gemm.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- contexts shared by the tests of this file --------------------------- */

typedef struct gf_ctx {
    bp_exec *fast1, *fast2, *port1, *port2, *avx2_1, *avx2_2, *avx512_1, *avx512_2;
} gf_ctx;

static int gf_setup(void **state) {
    gf_ctx *c = calloc(1, sizeof *c);
    if (c == NULL) return -1;
    if (bp_exec_create(1, &c->fast1) || bp_exec_create(2, &c->fast2) ||
        bp_exec_create_with(1, BP_EXEC_PORTABLE, &c->port1) ||
        bp_exec_create_with(2, BP_EXEC_PORTABLE, &c->port2) ||
        bp_exec_create_with(1, BP_EXEC_AVX2, &c->avx2_1) ||
        bp_exec_create_with(2, BP_EXEC_AVX2, &c->avx2_2) ||
        bp_exec_create_with(1, BP_EXEC_AVX512, &c->avx512_1) ||
        bp_exec_create_with(2, BP_EXEC_AVX512, &c->avx512_2))
        return -1;
    *state = c;
    return 0;
}

static int gf_teardown(void **state) {
    gf_ctx *c = *state;
    bp_exec_free(c->fast1);
    bp_exec_free(c->fast2);
    bp_exec_free(c->port1);
    bp_exec_free(c->port2);
    bp_exec_free(c->avx2_1);
    bp_exec_free(c->avx2_2);
    bp_exec_free(c->avx512_1);
    bp_exec_free(c->avx512_2);
    free(c);
    return 0;
}

/* ---- float helpers ---------------------------------------------------------------- */

/* Padding of float outputs: finite and unusual, like H_OUT_PAD (which
 * overflows float). */
#define F_OUT_PAD (-7.25e+33)

static float *to_float(const double *x, size_t n) {
    float *f = malloc((n ? n : 1) * sizeof *f);
    if (f == NULL) abort();
    for (size_t i = 0; i < n; i++) f[i] = (float)x[i];
    return f;
}

/* Rounds every element to float (so both precisions see the same data). */
static void round_to_float(double *x, size_t n) {
    for (size_t i = 0; i < n; i++) x[i] = (double)(float)x[i];
}

static int float_bits_equal(const float *a, const float *b, size_t n) {
    return n == 0 || memcmp(a, b, n * sizeof *a) == 0;
}

static int float_padding_intact(const float *X, size_t rows, size_t cols, size_t ld, float pad) {
    for (size_t i = 0; i < rows; i++)
        for (size_t j = cols; j < ld; j++)
            if (memcmp(&X[i * ld + j], &pad, sizeof pad) != 0) return 0;
    return 1;
}

/* ---- one product through every path ------------------------------------------------ */

typedef struct shape {
    bp_transpose ta, tb;
    size_t m, n, k;
    double alpha, beta;
    size_t pad; /* extra leading-dimension columns of A, B, C */
    int c_nan;  /* C starts as NaN (with beta = 0) */
} shape;

static const char *tn(bp_transpose t) { return t == BP_TRANS ? "T" : "N"; }

/* Norm-wise scale max_ij |alpha|·Σ_p |op(A)_ip·op(B)_pj| + |beta|·|C0_ij|. */
static double scale_of(const shape *s, const double *A, size_t lda, const double *B, size_t ldb,
                       const double *C0, size_t ldc) {
    double scale = 0.0;
    for (size_t i = 0; i < s->m; i++)
        for (size_t j = 0; j < s->n; j++) {
            double t = 0.0;
            for (size_t p = 0; p < s->k; p++) {
                double a = s->ta == BP_TRANS ? A[p * lda + i] : A[i * lda + p];
                double b = s->tb == BP_TRANS ? B[j * ldb + p] : B[p * ldb + j];
                t += fabs(a * b);
            }
            t *= fabs(s->alpha);
            if (s->beta != 0.0) t += fabs(s->beta) * fabs(C0[i * ldc + j]);
            if (t > scale) scale = t;
        }
    return scale;
}

static double float_tol(size_t k) {
    size_t blocks = (k + 511) / 512;
    return (double)(k + 3 * blocks + 4) * 0x1p-24;
}

/* Runs shape s through the paths of ctx in precision `single` and checks
 * each against the reference; returns nothing, fails the test on error.
 * Also checks that the 2-thread result has the same bits as the 1-thread
 * one of the same kernels. */
static void check_shape(h_rng *r, const gf_ctx *ctx, const shape *s, int single) {
    size_t a_rows = s->ta == BP_NO_TRANS ? s->m : s->k;
    size_t a_cols = s->ta == BP_NO_TRANS ? s->k : s->m;
    size_t b_rows = s->tb == BP_NO_TRANS ? s->k : s->n;
    size_t b_cols = s->tb == BP_NO_TRANS ? s->n : s->k;
    size_t lda = a_cols + s->pad, ldb = b_cols + s->pad, ldc = s->n + s->pad;
    if (lda == 0) lda = 1;
    if (ldb == 0) ldb = 1;
    if (ldc == 0) ldc = 1;
    /* C is followed by GUARD_ROWS rows of padding: a kernel that writes
     * the whole of a tile taller than the rows left would change them. */
    enum { GUARD_ROWS = 16 };
    size_t na = a_rows * lda, nb = b_rows * ldb, nc = (s->m + GUARD_ROWS) * ldc;

    double *A = h_matrix(r, a_rows, a_cols, lda, -1.0, 1.0, h_nan());
    double *B = h_matrix(r, b_rows, b_cols, ldb, -1.0, 1.0, h_nan());
    /* Output padding: H_OUT_PAD, or for float a value float can hold. */
    double cpad = single ? F_OUT_PAD : H_OUT_PAD;
    double *C0 = h_matrix(r, s->m + GUARD_ROWS, s->n, ldc, -1.0, 1.0, cpad);
    for (size_t q = s->m * ldc; q < nc; q++) C0[q] = cpad;
    if (s->c_nan)
        for (size_t i = 0; i < s->m; i++)
            for (size_t j = 0; j < s->n; j++) C0[i * ldc + j] = h_nan();
    if (single) {
        round_to_float(A, na);
        round_to_float(B, nb);
        round_to_float(C0, nc);
    }
    double alpha = single ? (double)(float)s->alpha : s->alpha;
    double beta = single ? (double)(float)s->beta : s->beta;

    /* Reference in double (for float: exact data, so only float's own
     * rounding separates the results). */
    double *Cref = h_copy(C0, nc);
    H_OK(
        bp_dgemm_reference(s->ta, s->tb, s->m, s->n, s->k, alpha, A, lda, B, ldb, beta, Cref, ldc));
    double scale = scale_of(s, A, lda, B, ldb, C0, ldc);
    double tol = single ? float_tol(s->k) : 1e-12;

    enum { NP = 8 };
    const bp_exec *paths[NP] = { ctx->fast1,  ctx->fast2,  ctx->port1,    ctx->port2,
                                 ctx->avx2_1, ctx->avx2_2, ctx->avx512_1, ctx->avx512_2 };
    static const char *names[NP] = { "default/1t", "default/2t", "portable/1t", "portable/2t",
                                     "avx2/1t",    "avx2/2t",    "avx512/1t",   "avx512/2t" };
    double *Cd[NP] = { 0 };
    float *Cf[NP] = { 0 };
    float *Af = single ? to_float(A, na) : NULL, *Bf = single ? to_float(B, nb) : NULL;
    float *Af0 = single ? to_float(A, na) : NULL, *Bf0 = single ? to_float(B, nb) : NULL;
    double *A0 = h_copy(A, na), *B0 = h_copy(B, nb);

    for (int pth = 0; pth < NP; pth++) {
        double *C = h_copy(C0, nc);
        if (single) {
            Cf[pth] = to_float(C0, nc);
            H_OK(bp_sgemm_exec(paths[pth], s->ta, s->tb, s->m, s->n, s->k, (float)alpha, Af, lda,
                               Bf, ldb, (float)beta, Cf[pth], ldc));
            for (size_t i = 0; i < nc; i++) C[i] = (double)Cf[pth][i];
            H_EXPECT(float_padding_intact(Cf[pth], s->m, s->n, ldc, (float)F_OUT_PAD) &&
                         float_padding_intact(Cf[pth] + s->m * ldc, GUARD_ROWS, 0, ldc,
                                              (float)F_OUT_PAD),
                     "%s sgemm %s%s %zux%zux%zu: padding of C written", names[pth], tn(s->ta),
                     tn(s->tb), s->m, s->n, s->k);
            H_EXPECT(float_bits_equal(Af, Af0, na) && float_bits_equal(Bf, Bf0, nb),
                     "%s sgemm: an input was modified", names[pth]);
        } else {
            H_OK(bp_dgemm_exec(paths[pth], s->ta, s->tb, s->m, s->n, s->k, alpha, A, lda, B, ldb,
                               beta, C, ldc));
            H_EXPECT(h_padding_intact(C, s->m, s->n, ldc, H_OUT_PAD) &&
                         h_padding_intact(C + s->m * ldc, GUARD_ROWS, 0, ldc, H_OUT_PAD),
                     "%s dgemm %s%s %zux%zux%zu: padding of C written", names[pth], tn(s->ta),
                     tn(s->tb), s->m, s->n, s->k);
            H_EXPECT(h_same_bits(A, A0, na) && h_same_bits(B, B0, nb),
                     "%s dgemm: an input was modified", names[pth]);
        }
        double err = h_normwise_err(s->m, s->n, C, ldc, Cref, ldc, scale);
        H_EXPECT(err <= tol,
                 "%s %cgemm %s%s m=%zu n=%zu k=%zu alpha=%g beta=%g pad=%zu: "
                 "norm-wise error %.3g > %.3g",
                 names[pth], single ? 's' : 'd', tn(s->ta), tn(s->tb), s->m, s->n, s->k, alpha,
                 beta, s->pad, err, tol);
        Cd[pth] = C;
    }
    /* 1 and 2 threads: the same bits, for every kernel set; and the AVX2
     * kernels the same bits as the default ones (which add AVX-512 where
     * the CPU has it, with the same per-element operations). */
    for (int pth = 0; pth < NP; pth += 2) {
        int same = single ? float_bits_equal(Cf[pth], Cf[pth + 1], nc)
                          : h_same_bits(Cd[pth], Cd[pth + 1], nc);
        H_EXPECT(same, "%s vs %s %cgemm %s%s %zux%zux%zu: results differ in bits", names[pth],
                 names[pth + 1], single ? 's' : 'd', tn(s->ta), tn(s->tb), s->m, s->n, s->k);
    }
    /* and every SIMD set (the default, AVX2 alone, all of AVX-512 with
     * its tiles) the same bits as the others */
    if (strcmp(bp_exec_kernel_name(ctx->avx2_1), "portable") != 0 &&
        strcmp(bp_exec_kernel_name(ctx->fast1), "portable") != 0) {
        for (int pth = 4; pth < NP; pth += 2) {
            int same =
                single ? float_bits_equal(Cf[0], Cf[pth], nc) : h_same_bits(Cd[0], Cd[pth], nc);
            H_EXPECT(same, "default (%s) vs %s %cgemm %s%s %zux%zux%zu: results differ in bits",
                     bp_exec_kernel_name(ctx->fast1), names[pth], single ? 's' : 'd', tn(s->ta),
                     tn(s->tb), s->m, s->n, s->k);
        }
    }
    for (int pth = 0; pth < NP; pth++) {
        free(Cd[pth]);
        free(Cf[pth]);
    }
    free(A);
    free(B);
    free(C0);
    free(Cref);
    free(A0);
    free(B0);
    free(Af);
    free(Bf);
    free(Af0);
    free(Bf0);
}

static const bp_transpose TR[2] = { BP_NO_TRANS, BP_TRANS };
static const double AB[][2] = { { 1.0, 0.0 }, { 1.0, 1.0 }, { -1.5, 0.5 }, { 0.5, -2.0 } };

/* Every m ≤ 13 × n ≤ 19 × a few k: all edge variants of the micro-tiles. */
static void test_edge_tiles(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7001);
    static const size_t ks[] = { 1, 3, 4, 9 };
    size_t t = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t m = 1; m <= 13; m++)
            for (size_t n = 1; n <= 19; n++, t++) {
                shape s = { TR[t % 2],    TR[(t / 2) % 2], m,     n, ks[t % 4],
                            AB[t % 4][0], AB[t % 4][1],    t % 3, 0 };
                check_shape(&r, ctx, &s, single);
            }
}

/* Primes, sizes around the tile and block sizes, all transposes. */
static void test_prime_and_block_crossing_shapes(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7002);
    static const size_t dims[][3] = {
        { 17, 23, 29 }, { 31, 37, 41 },   { 6, 8, 256 },  { 6, 16, 257 },
        { 121, 9, 5 },  { 127, 33, 513 }, { 241, 50, 7 }, { 5, 7, 600 },
        { 64, 64, 64 }, { 12, 2051, 3 },  { 2, 2049, 2 },
    };
    size_t t = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int a = 0; a < 2; a++)
                for (int b = 0; b < 2; b++, t++) {
                    shape s = { TR[a],        TR[b],        dims[d][0],  dims[d][1], dims[d][2],
                                AB[t % 4][0], AB[t % 4][1], (t % 2) * 3, 0 };
                    check_shape(&r, ctx, &s, single);
                }
}

/* Small products (m, n, k ≤ 64), which CPUs with AVX-512 run unpacked
 * (gemm/kernels/small_avx512.c): every row tail of its 8-row tiles (1–7 rows left),
 * column tails around its tiles of 8, 16 and 24 doubles (16, 32 and 48 floats; one, two or three vectors), k from 1, padded
 * leading dimensions, every alpha/beta case, double and float — correct,
 * and the same bits as the packed AVX2 kernels. */
static void test_small_products(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7004);
    static const size_t ms[] = { 1, 3, 7, 8, 9, 13, 16, 23, 64 };
    static const size_t ns[] = { 1, 5, 8, 9, 15, 16, 17, 24, 31, 33, 40, 47, 48, 56, 64 };
    static const size_t ks[] = { 1, 2, 16, 63 };
    size_t t = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
            for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
                for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++, t++) {
                    shape s = { t % 2 ? BP_TRANS : BP_NO_TRANS,
                                t % 3 == 2 ? BP_TRANS : BP_NO_TRANS,
                                ms[i],
                                ns[j],
                                ks[q],
                                AB[t % 4][0],
                                AB[t % 4][1],
                                (t / 2) % 3,
                                0 };
                    check_shape(&r, ctx, &s, single);
                }
}

/* Skinny products taller than 64 rows (the output layer's: n ≤ 64, k up
 * to one k-block and just past it): the unpacked kernels on one thread,
 * the packed ones split over two, the same bits either way and as the AVX2
 * kernels'. */
static void test_skinny_products(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7005);
    static const size_t ms[] = { 65, 128, 257, 300 };
    static const size_t ns[] = { 1, 10, 17, 64, 65 };
    static const size_t ks[] = { 65, 256, 257, 512, 513 };
    size_t t = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t i = 0; i < sizeof ms / sizeof ms[0]; i++)
            for (size_t j = 0; j < sizeof ns / sizeof ns[0]; j++)
                for (size_t q = 0; q < sizeof ks / sizeof ks[0]; q++, t++) {
                    /* NN and TN alternate along every axis */
                    shape s = { (i + j + q) % 2 ? BP_TRANS : BP_NO_TRANS,
                                BP_NO_TRANS,
                                ms[i],
                                ns[j],
                                ks[q],
                                AB[t % 4][0],
                                AB[t % 4][1],
                                (t / 2) % 3,
                                0 };
                    check_shape(&r, ctx, &s, single);
                }
}

/* Products big enough to be split over two threads, by rows (m ≥ 3n) and
 * by columns (the others): bit-identical to one thread, and correct. */
static void test_threads_bit_identical(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7003);
    static const size_t dims[][3] = {
        { 401, 97, 230 },
        { 301, 97, 230 },
        { 97, 301, 230 },
        { 257, 263, 269 },
    };
    size_t t = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
            for (int v = 0; v < 3; v++, t++) {
                /* NN, TN, NT: the three products of training */
                bp_transpose ta = v == 1 ? BP_TRANS : BP_NO_TRANS;
                bp_transpose tb = v == 2 ? BP_TRANS : BP_NO_TRANS;
                shape s = { ta,           tb,           dims[d][0], dims[d][1], dims[d][2],
                            AB[t % 4][0], AB[t % 4][1], t % 2,      0 };
                check_shape(&r, ctx, &s, single);
            }
}

/* beta = 0 never reads C: NaN in C does not leak, in any path. */
static void test_beta_zero_nan_c(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7004);
    static const size_t dims[][3] = { { 5, 7, 3 }, { 13, 17, 300 }, { 150, 140, 120 } };
    for (int single = 0; single <= 1; single++)
        for (size_t d = 0; d < 3; d++)
            for (int a = 0; a < 2; a++) {
                shape s = { TR[a], TR[1 - a], dims[d][0], dims[d][1], dims[d][2], 0.75, 0.0, 2, 1 };
                check_shape(&r, ctx, &s, single);
            }
}

/* The plain entry points are the context-free path: same bits as a
 * 1-thread context with the default kernels. */
static void test_plain_equals_exec(void **state) {
    const gf_ctx *ctx = *state;
    h_rng r;
    h_seed(&r, 7005);
    const size_t m = 70, n = 90, k = 300;
    double *A = h_matrix(&r, m, k, k, -1, 1, 0), *B = h_matrix(&r, k, n, n, -1, 1, 0);
    double *C1 = h_alloc(m * n), *C2 = h_alloc(m * n);
    H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0, A, k, B, n, 0.0, C1, n));
    H_OK(bp_dgemm_exec(ctx->fast1, BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0, A, k, B, n, 0.0, C2, n));
    H_EXPECT(h_same_bits(C1, C2, m * n), "bp_dgemm and bp_dgemm_exec differ");
    float *Af = to_float(A, m * k), *Bf = to_float(B, k * n);
    float *F1 = to_float(C1, m * n), *F2 = to_float(C1, m * n);
    H_OK(bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0f, Af, k, Bf, n, 0.0f, F1, n));
    H_OK(bp_sgemm_exec(ctx->fast1, BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0f, Af, k, Bf, n, 0.0f, F2,
                       n));
    H_EXPECT(float_bits_equal(F1, F2, m * n), "bp_sgemm and bp_sgemm_exec differ");
    free(A);
    free(B);
    free(C1);
    free(C2);
    free(Af);
    free(Bf);
    free(F1);
    free(F2);
}

/* bp_sgemm_reference against the double reference on float data, and its
 * BLAS special cases. */
static void test_sgemm_reference(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7006);
    for (size_t t = 0; t < 40; t++) {
        size_t m = 1 + h_below(&r, 9), n = 1 + h_below(&r, 9), k = 1 + h_below(&r, 40);
        bp_transpose ta = TR[t % 2], tb = TR[(t / 2) % 2];
        size_t lda = ta == BP_TRANS ? m : k, ldb = tb == BP_TRANS ? k : n;
        size_t na = (ta == BP_TRANS ? k : m) * lda, nb = (tb == BP_TRANS ? n : k) * ldb;
        double *A = h_alloc(na), *B = h_alloc(nb), *C = h_alloc(m * n);
        h_fill(&r, A, na, -1, 1);
        h_fill(&r, B, nb, -1, 1);
        h_fill(&r, C, m * n, -1, 1);
        round_to_float(A, na);
        round_to_float(B, nb);
        round_to_float(C, m * n);
        double alpha = AB[t % 4][0], beta = AB[t % 4][1];
        float *Af = to_float(A, na), *Bf = to_float(B, nb), *Cf = to_float(C, m * n);
        double *C0 = h_copy(C, m * n);
        H_OK(bp_dgemm_reference(ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, n));
        H_OK(bp_sgemm_reference(ta, tb, m, n, k, (float)alpha, Af, lda, Bf, ldb, (float)beta, Cf,
                                n));
        shape s = { ta, tb, m, n, k, alpha, beta, 0, 0 };
        double scale = scale_of(&s, A, lda, B, ldb, C0, n);
        double *Cfd = h_alloc(m * n);
        for (size_t i = 0; i < m * n; i++) Cfd[i] = Cf[i];
        double err = h_normwise_err(m, n, Cfd, n, C, n, scale);
        H_EXPECT(err <= float_tol(k), "sgemm_reference %zux%zux%zu: error %.3g", m, n, k, err);
        free(A);
        free(B);
        free(C);
        free(C0);
        free(Af);
        free(Bf);
        free(Cf);
        free(Cfd);
    }
    /* alpha = 0 and k = 0: C = beta·C without reading A, B (NULL allowed);
     * beta = 0 clears NaN. */
    float C[6] = { 1, 2, 3, 4, 5, 6 }, Cn[4];
    for (int i = 0; i < 4; i++) Cn[i] = (float)h_nan();
    H_OK(bp_sgemm_reference(BP_NO_TRANS, BP_NO_TRANS, 2, 3, 4, 0.0f, NULL, 4, NULL, 3, 2.0f, C, 3));
    H_EXPECT(C[0] == 2 && C[5] == 12, "alpha = 0 must scale C by beta");
    H_OK(bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 3, 0, 1.0f, NULL, 1, NULL, 3, -1.0f, C, 3));
    H_EXPECT(C[0] == -2 && C[5] == -12, "k = 0 must scale C by beta");
    H_OK(bp_sgemm(BP_TRANS, BP_NO_TRANS, 2, 2, 0, 1.0f, NULL, 2, NULL, 2, 0.0f, Cn, 2));
    H_EXPECT(Cn[0] == 0 && Cn[3] == 0, "beta = 0 must clear NaN");
    H_OK(bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, 0, 3, 4, 1.0f, NULL, 4, NULL, 3, 0.0f, NULL, 3));
}

/* Every bad argument of the float and context entry points returns its
 * status and leaves C untouched. */
static void test_sgemm_and_exec_errors(void **state) {
    const gf_ctx *ctx = *state;
    float A[12] = { 0 }, B[12] = { 0 }, C[12];
    for (int i = 0; i < 12; i++) C[i] = 42.0f;
    bp_transpose bad = (bp_transpose)7;
    H_STATUS(BP_ERR_BAD_ENUM, bp_sgemm(bad, BP_NO_TRANS, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_BAD_ENUM,
             bp_sgemm_exec(ctx->fast2, BP_NO_TRANS, bad, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_BAD_ENUM,
             bp_sgemm_reference(bad, BP_NO_TRANS, 2, 2, 2, 1, A, 2, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 3, 4, 1, A, 3, B, 3, 0, C, 3));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_sgemm(BP_TRANS, BP_NO_TRANS, 2, 3, 4, 1, A, 1, B, 3, 0, C, 3));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_sgemm(BP_NO_TRANS, BP_TRANS, 2, 3, 4, 1, A, 4, B, 3, 0, C, 3));
    H_STATUS(BP_ERR_LEADING_DIMENSION,
             bp_sgemm_exec(ctx->fast1, BP_NO_TRANS, BP_NO_TRANS, 2, 3, 1, 1, A, 1, B, 3, 0, C, 2));
    H_STATUS(BP_ERR_LEADING_DIMENSION, bp_dgemm_exec(ctx->port1, BP_NO_TRANS, BP_NO_TRANS, 0, 0, 0,
                                                     1, NULL, 0, NULL, 1, 0, NULL, 1));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 2, 2, 1, NULL, 2, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_NULL_POINTER, bp_sgemm_exec(ctx->fast2, BP_NO_TRANS, BP_NO_TRANS, 2, 2, 2, 1, A,
                                                2, NULL, 2, 0, C, 2));
    H_STATUS(BP_ERR_NULL_POINTER,
             bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, 2, 2, 2, 1, A, 2, B, 2, 0, NULL, 2));
    H_STATUS(BP_ERR_NULL_POINTER, bp_dgemm_exec(ctx->fast2, BP_NO_TRANS, BP_NO_TRANS, 2, 2, 2, 1,
                                                NULL, 2, NULL, 2, 0, NULL, 2));
    size_t huge = (size_t)1 << 62;
    H_STATUS(BP_ERR_SIZE_OVERFLOW,
             bp_sgemm(BP_NO_TRANS, BP_NO_TRANS, huge, 2, 2, 1, A, 2, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_sgemm_exec(ctx->fast1, BP_NO_TRANS, BP_NO_TRANS, 2, 2, huge,
                                                 1, A, huge, B, 2, 0, C, 2));
    H_STATUS(BP_ERR_SIZE_OVERFLOW, bp_sgemm_reference(BP_NO_TRANS, BP_NO_TRANS, 2, huge, 2, 1, A, 2,
                                                      B, huge, 0, C, huge));
    for (int i = 0; i < 12; i++) H_EXPECT(C[i] == 42.0f, "C written by a failing call");
}

int run_gemm_fast_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edge_tiles),
        cmocka_unit_test(test_prime_and_block_crossing_shapes),
        cmocka_unit_test(test_small_products),
        cmocka_unit_test(test_skinny_products),
        cmocka_unit_test(test_threads_bit_identical),
        cmocka_unit_test(test_beta_zero_nan_c),
        cmocka_unit_test(test_plain_equals_exec),
        cmocka_unit_test(test_sgemm_reference),
        cmocka_unit_test(test_sgemm_and_exec_errors),
    };
    return cmocka_run_group_tests_name("gemm_fast", tests, gf_setup, gf_teardown);
}
