/*
 * gemm_small_avx512.c — unpacked AVX-512 DGEMM for small products (x86-64
 * only; empty elsewhere).
 *
 * Why: for m, n, k ≤ 64 the blocked driver's fixed costs — packing A and B,
 * edge tiles, the call chain — are as large as the arithmetic (a 16³
 * product is 4096 multiply-adds, about 250 cycles of FMA). Here op(B) is
 * read straight from B, whose rows are contiguous when B is not transposed,
 * and op(A) is broadcast element by element from A (row i of A, or column
 * i of Aᵀ: either is one scalar load per row and k step). So NN and TN run
 * without copying anything; for NT and TT, Bᵀ (strided) is first transposed
 * into a buffer on the stack, 8 × 8 blocks at a time in registers.
 *
 * Tiles: 8 rows × 16 columns of C in 16 zmm accumulators (two vectors per
 * row), k innermost: per k step two loads of B, eight broadcasts of A and
 * 16 FMAs, enough independent chains to cover the FMA latency. Narrower
 * column tails use masked loads and stores; the last rows go in tiles of
 * 4, 2 and 1.
 *
 * Bit-identical to the packed kernels (gemm_kernel_avx2.c,
 * gemm_kernel_avx512.c): each element is accumulated from 0 by FMAs in
 * increasing p, then stored as alpha·acc, or round(alpha·acc) +
 * round(beta·C) when beta ≠ 0. So which path a product takes never changes
 * a result (the C harness checks this against the AVX2 kernels).
 *
 * Compiled without -m flags: the functions carry a target attribute and are
 * reached only through the dispatch table after __builtin_cpu_supports.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include "gemm_internal.h"

#define BP_AVX512 __attribute__((target("avx512f")))

/* Stores one row of a tile: alpha·acc, plus beta·C when beta ≠ 0, each
 * product rounded on its own (as the packed kernels do). */
static inline __attribute__((always_inline, target("avx512f")))
void small_store(double *c, __m512d v0, __m512d v1, __m512d va, __m512d vb, int scale,
                 int read_c, __mmask8 m0, __mmask8 m1) {
    if (scale) {   /* alpha ≠ 1 (1·acc is acc: skipping it changes no bit) */
        v0 = _mm512_mul_pd(va, v0);
        v1 = _mm512_mul_pd(va, v1);
    }
    if (read_c) {
        v0 = _mm512_add_pd(v0, _mm512_mul_pd(vb, _mm512_maskz_loadu_pd(m0, c)));
        v1 = _mm512_add_pd(v1, _mm512_mul_pd(vb, _mm512_maskz_loadu_pd(m1, c + 8)));
    }
    _mm512_mask_storeu_pd(c, m0, v0);
    _mm512_mask_storeu_pd(c + 8, m1, v1);
}

/* The accumulators are named variables, not an array: GCC keeps an array
 * of vectors in memory (a third of the speed). One tile function per row
 * count (8, 4, 2, 1) and per op(A) (A, or Aᵀ: OPA_N, OPA_T). */
#define OPA_N(i, p) A[(i) * lda + (p)]
#define OPA_T(i, p) A[(p) * lda + (i)]
#define ROW_DECL(r) __m512d c##r##0 = _mm512_setzero_pd(), c##r##1 = _mm512_setzero_pd();
#define ROW_FMA(r, OPA)                                                        \
    { __m512d a_ = _mm512_set1_pd(OPA(i0 + r, p));                              \
      c##r##0 = _mm512_fmadd_pd(a_, b0, c##r##0);                               \
      c##r##1 = _mm512_fmadd_pd(a_, b1, c##r##1); }
#define ROW_STORE(r) small_store(C + (i0 + r) * ldc + j0, c##r##0, c##r##1, va, vb, scale, read_c, m0, m1);

/* GCC: unrolling k by 4 helps (+3 %); clang's own choice is better than
 * that (its 4-way unroll spilled accumulators: −30 %). */
#if defined(__clang__)
#define SMALL_UNROLL
#else
#define SMALL_UNROLL _Pragma("GCC unroll 4")
#endif

#define SMALL_TILE(NAME, OPA, ROWS_DECL, ROWS_FMA, ROWS_STORE)                 \
    static __attribute__((target("avx512f")))                                  \
    void NAME(size_t k, const double *A, size_t lda, const double *B, size_t ldb, \
              double alpha, double beta, double *C, size_t ldc, size_t i0,     \
              size_t j0, __mmask8 m0, __mmask8 m1) {                           \
        ROWS_DECL                                                              \
        SMALL_UNROLL                                                           \
        for (size_t p = 0; p < k; p++) {                                       \
            const double *b = B + p * ldb + j0;                                \
            __m512d b0 = _mm512_maskz_loadu_pd(m0, b);                         \
            __m512d b1 = _mm512_maskz_loadu_pd(m1, b + 8);                     \
            ROWS_FMA(OPA)                                                      \
        }                                                                      \
        __m512d va = _mm512_set1_pd(alpha), vb = _mm512_set1_pd(beta);         \
        int read_c = beta != 0.0, scale = alpha != 1.0;                        \
        ROWS_STORE                                                             \
    }

#define D8 ROW_DECL(0) ROW_DECL(1) ROW_DECL(2) ROW_DECL(3) ROW_DECL(4) ROW_DECL(5) ROW_DECL(6) ROW_DECL(7)
#define F8(OPA) ROW_FMA(0, OPA) ROW_FMA(1, OPA) ROW_FMA(2, OPA) ROW_FMA(3, OPA) \
                ROW_FMA(4, OPA) ROW_FMA(5, OPA) ROW_FMA(6, OPA) ROW_FMA(7, OPA)
#define S8 ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3) ROW_STORE(4) ROW_STORE(5) ROW_STORE(6) ROW_STORE(7)
#define D4 ROW_DECL(0) ROW_DECL(1) ROW_DECL(2) ROW_DECL(3)
#define F4(OPA) ROW_FMA(0, OPA) ROW_FMA(1, OPA) ROW_FMA(2, OPA) ROW_FMA(3, OPA)
#define S4 ROW_STORE(0) ROW_STORE(1) ROW_STORE(2) ROW_STORE(3)
#define D2 ROW_DECL(0) ROW_DECL(1)
#define F2(OPA) ROW_FMA(0, OPA) ROW_FMA(1, OPA)
#define S2 ROW_STORE(0) ROW_STORE(1)
#define D1 ROW_DECL(0)
#define F1(OPA) ROW_FMA(0, OPA)
#define S1 ROW_STORE(0)

SMALL_TILE(tile8_n, OPA_N, D8, F8, S8)
SMALL_TILE(tile4_n, OPA_N, D4, F4, S4)
SMALL_TILE(tile2_n, OPA_N, D2, F2, S2)
SMALL_TILE(tile1_n, OPA_N, D1, F1, S1)
SMALL_TILE(tile8_t, OPA_T, D8, F8, S8)
SMALL_TILE(tile4_t, OPA_T, D4, F4, S4)
SMALL_TILE(tile2_t, OPA_T, D2, F2, S2)
SMALL_TILE(tile1_t, OPA_T, D1, F1, S1)

typedef void (*small_tile_fn)(size_t, const double *, size_t, const double *, size_t, double,
                              double, double *, size_t, size_t, size_t, __mmask8, __mmask8);

/* Bt (k × n, row stride n) = the transpose of B (n × k, row stride ldb):
 * 8 × 8 blocks through registers (three rounds of shuffles), the edges
 * element by element. */
BP_AVX512 static void small_transpose(size_t n, size_t k, const double *B, size_t ldb,
                                      double *Bt) {
    size_t j0 = 0;
    for (; j0 + 8 <= n; j0 += 8) {
        size_t p0 = 0;
        for (; p0 + 8 <= k; p0 += 8) {
            const double *b = B + j0 * ldb + p0;
            __m512d r0 = _mm512_loadu_pd(b), r1 = _mm512_loadu_pd(b + ldb),
                    r2 = _mm512_loadu_pd(b + 2 * ldb), r3 = _mm512_loadu_pd(b + 3 * ldb),
                    r4 = _mm512_loadu_pd(b + 4 * ldb), r5 = _mm512_loadu_pd(b + 5 * ldb),
                    r6 = _mm512_loadu_pd(b + 6 * ldb), r7 = _mm512_loadu_pd(b + 7 * ldb);
            __m512d t0 = _mm512_unpacklo_pd(r0, r1), t1 = _mm512_unpackhi_pd(r0, r1),
                    t2 = _mm512_unpacklo_pd(r2, r3), t3 = _mm512_unpackhi_pd(r2, r3),
                    t4 = _mm512_unpacklo_pd(r4, r5), t5 = _mm512_unpackhi_pd(r4, r5),
                    t6 = _mm512_unpacklo_pd(r6, r7), t7 = _mm512_unpackhi_pd(r6, r7);
            __m512d u0 = _mm512_shuffle_f64x2(t0, t2, 0x88), u1 = _mm512_shuffle_f64x2(t1, t3, 0x88),
                    u2 = _mm512_shuffle_f64x2(t0, t2, 0xDD), u3 = _mm512_shuffle_f64x2(t1, t3, 0xDD),
                    u4 = _mm512_shuffle_f64x2(t4, t6, 0x88), u5 = _mm512_shuffle_f64x2(t5, t7, 0x88),
                    u6 = _mm512_shuffle_f64x2(t4, t6, 0xDD), u7 = _mm512_shuffle_f64x2(t5, t7, 0xDD);
            double *o = Bt + p0 * n + j0;
            _mm512_storeu_pd(o, _mm512_shuffle_f64x2(u0, u4, 0x88));
            _mm512_storeu_pd(o + n, _mm512_shuffle_f64x2(u1, u5, 0x88));
            _mm512_storeu_pd(o + 2 * n, _mm512_shuffle_f64x2(u2, u6, 0x88));
            _mm512_storeu_pd(o + 3 * n, _mm512_shuffle_f64x2(u3, u7, 0x88));
            _mm512_storeu_pd(o + 4 * n, _mm512_shuffle_f64x2(u0, u4, 0xDD));
            _mm512_storeu_pd(o + 5 * n, _mm512_shuffle_f64x2(u1, u5, 0xDD));
            _mm512_storeu_pd(o + 6 * n, _mm512_shuffle_f64x2(u2, u6, 0xDD));
            _mm512_storeu_pd(o + 7 * n, _mm512_shuffle_f64x2(u3, u7, 0xDD));
        }
        for (size_t p = p0; p < k; p++)
            for (size_t j = j0; j < j0 + 8; j++) Bt[p * n + j] = B[j * ldb + p];
    }
    for (size_t p = 0; p < k; p++)
        for (size_t j = j0; j < n; j++) Bt[p * n + j] = B[j * ldb + p];
}

BP_AVX512 void bp_dgemm_small_avx512(int ta, int tb, size_t m, size_t n, size_t k,
                                     double alpha, const double *A, size_t lda, const double *B,
                                     size_t ldb, double beta, double *C, size_t ldc) {
    /* op(B) = Bᵀ: transposed once into L1 (at most 64 × 64 doubles, 32 KiB),
     * then the same tiles — the same operations on every element, so still
     * the packed kernels' bits. */
    _Alignas(64) double Bt[BP_GEMM_SMALL_MAX * BP_GEMM_SMALL_MAX];
    if (tb) {
        small_transpose(n, k, B, ldb, Bt);
        B = Bt;
        ldb = n;
    }
    /* rows in tiles of 8, the rest as 4 + 2 + 1 */
    const small_tile_fn t8 = ta ? tile8_t : tile8_n, t4 = ta ? tile4_t : tile4_n,
                        t2 = ta ? tile2_t : tile2_n, t1 = ta ? tile1_t : tile1_n;
    for (size_t j0 = 0; j0 < n; j0 += 16) {
        size_t w = n - j0 < 16 ? n - j0 : 16;
        __mmask8 m0 = (__mmask8)(w >= 8 ? 0xFF : (1u << w) - 1u);
        __mmask8 m1 = (__mmask8)(w <= 8 ? 0 : (1u << (w - 8)) - 1u);
        size_t i0 = 0;
        for (; i0 + 8 <= m; i0 += 8) t8(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1);
        if (m - i0 >= 4) { t4(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1); i0 += 4; }
        if (m - i0 >= 2) { t2(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1); i0 += 2; }
        if (m - i0 >= 1) t1(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1);
    }
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_gemm_small_avx512_unused;
#endif
