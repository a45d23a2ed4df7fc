/*
 * gemm/kernels/small_avx512.c — unpacked AVX-512 GEMM for small products, double
 * and single precision (x86-64 only; empty elsewhere).
 *
 * Why: for m, n, k ≤ 64 the blocked driver's fixed costs — packing A and B,
 * edge tiles, the call chain — are as large as the arithmetic (a 16³
 * product is 4096 multiply-adds, about 250 cycles of FMA). Here op(B) is
 * read straight from B, whose rows are contiguous when B is not transposed,
 * and op(A) is broadcast element by element from A (row i of A, or column
 * i of Aᵀ: either is one scalar load per row and k step). So NN and TN run
 * without copying anything; for NT and TT, Bᵀ (strided) is first transposed
 * into a buffer on the stack, 8 × 8 doubles or 16 × 16 floats at a time in
 * registers. The same kernels take skinny products of any height (op(B) =
 * B, n ≤ 64, k within one k-block: a layer with few outputs on a batch),
 * where packing would copy all of A to feed a few columns of C; the rule
 * is P(unpacked) in gemm_driver_tmpl.h.
 *
 * Tiles: 8 rows × three vectors of C (24 doubles or 48 floats) in 24 zmm
 * accumulators, k innermost: per k step three loads of B, eight broadcasts
 * of A and 24 FMAs, enough independent chains to cover the FMA latency.
 * The columns left over go in tiles of one or two vectors (four vectors as
 * 2 + 2); only the very last vector is masked, and only when n is not a
 * whole number of vectors: masked loads and stores cost about 5 % at
 * n = 16, and a 16-wide last tile for n = 24 would waste a third of the
 * FMAs. The last rows go in tiles of 4, 2 and 1. The
 * tiles are inlined into the entry point (one switch case per tile kind;
 * each kind used once), and the tiles and the entry point are written once
 * (gemm/kernels/small_tmpl.h) for both precisions, each with its own transpose
 * of op(B) = Bᵀ into a buffer on the stack.
 *
 * Bit-identical to the packed kernels (gemm/kernels/avx2.c,
 * gemm/kernels/avx512.c): each element is accumulated from 0 by FMAs in
 * increasing p, then stored as alpha·acc, or round(alpha·acc) +
 * round(beta·C) when beta ≠ 0. So which path a product takes never changes
 * a result (the C harness checks this against the AVX2 kernels).
 *
 * Compiled without -m flags: the functions carry a target attribute and are
 * reached only through the dispatch table after __builtin_cpu_supports.
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include "gemm/gemm_internal.h"

#define BP_AVX512 __attribute__((target("avx512f")))

/* Bt (k × n, row stride n) = the transpose of B (n × k, row stride ldb):
 * 8 × 8 blocks through registers (three rounds of shuffles), the edges
 * element by element. */
BP_AVX512 static void small_transpose_d(size_t n, size_t k, const double *B, size_t ldb,
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
            __m512d u0 = _mm512_shuffle_f64x2(t0, t2, 0x88),
                    u1 = _mm512_shuffle_f64x2(t1, t3, 0x88),
                    u2 = _mm512_shuffle_f64x2(t0, t2, 0xDD),
                    u3 = _mm512_shuffle_f64x2(t1, t3, 0xDD),
                    u4 = _mm512_shuffle_f64x2(t4, t6, 0x88),
                    u5 = _mm512_shuffle_f64x2(t5, t7, 0x88),
                    u6 = _mm512_shuffle_f64x2(t4, t6, 0xDD),
                    u7 = _mm512_shuffle_f64x2(t5, t7, 0xDD);
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

/* GCC keeps arrays of vectors in registers only when the loops over them
 * are unrolled (else in memory, markedly slower); clang unrolls them by
 * itself. */
#define BP_UNROLL _Pragma("GCC unroll 16")

/* The same in single precision, 16 × 16 blocks: rows past n load as
 * zeros and columns past k are masked off on the way in; on the way out,
 * rows past k are not stored and columns past n are masked — so every
 * size, edges included, goes through the registers (for n = k = 24 a
 * scalar edge would cost more than the product). Four rounds of shuffles:
 * pairs of rows interleaved, then quadruples (u[4q + j], lane L, holds
 * column 4L + j of rows 4q … 4q + 3), then the 128-bit lanes gathered
 * across quadruples. */
BP_AVX512 static void small_transpose_s(size_t n, size_t k, const float *B, size_t ldb, float *Bt) {
    for (size_t j0 = 0; j0 < n; j0 += 16) {
        size_t rows = n - j0 < 16 ? n - j0 : 16;
        __mmask16 out_cols = (__mmask16)((1u << rows) - 1u);
        for (size_t p0 = 0; p0 < k; p0 += 16) {
            size_t cols = k - p0 < 16 ? k - p0 : 16;
            __mmask16 in_cols = (__mmask16)((1u << cols) - 1u);
            __m512 r[16], t[16], u[16];
            BP_UNROLL
            for (size_t i = 0; i < 16; i++)
                r[i] = i < rows ? _mm512_maskz_loadu_ps(in_cols, B + (j0 + i) * ldb + p0)
                                : _mm512_setzero_ps();
            BP_UNROLL
            for (int i = 0; i < 16; i += 2) {
                t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
                t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
            }
            BP_UNROLL
            for (int q = 0; q < 16; q += 4) {
                u[q] = _mm512_shuffle_ps(t[q], t[q + 2], 0x44);
                u[q + 1] = _mm512_shuffle_ps(t[q], t[q + 2], 0xEE);
                u[q + 2] = _mm512_shuffle_ps(t[q + 1], t[q + 3], 0x44);
                u[q + 3] = _mm512_shuffle_ps(t[q + 1], t[q + 3], 0xEE);
            }
            BP_UNROLL
            for (int j = 0; j < 4; j++) {
                __m512 v0 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0x88),
                       v1 = _mm512_shuffle_f32x4(u[j], u[4 + j], 0xDD),
                       w0 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0x88),
                       w1 = _mm512_shuffle_f32x4(u[8 + j], u[12 + j], 0xDD);
                /* columns j, 4 + j, 8 + j, 12 + j of the block */
                const __m512 col[4] = { _mm512_shuffle_f32x4(v0, w0, 0x88),
                                        _mm512_shuffle_f32x4(v1, w1, 0x88),
                                        _mm512_shuffle_f32x4(v0, w0, 0xDD),
                                        _mm512_shuffle_f32x4(v1, w1, 0xDD) };
                BP_UNROLL
                for (size_t L = 0; L < 4; L++) {
                    size_t c = 4 * L + (size_t)j;
                    if (c < cols) _mm512_mask_storeu_ps(Bt + (p0 + c) * n + j0, out_cols, col[L]);
                }
            }
        }
    }
}

#undef BP_UNROLL

#define R double
#define S(name) name##_d
#define S_VEC __m512d
#define S_MASK __mmask8
#define S_LANES 8
#define S_ZERO _mm512_setzero_pd
#define S_SET1 _mm512_set1_pd
#define S_FMA _mm512_fmadd_pd
#define S_MUL _mm512_mul_pd
#define S_ADD _mm512_add_pd
#define S_LOAD _mm512_maskz_loadu_pd
#define S_STORE _mm512_mask_storeu_pd
#define S_LOADU _mm512_loadu_pd
#define S_STOREU _mm512_storeu_pd
#define S_ENTRY bp_dgemm_small_avx512
#define S_TRANSPOSE small_transpose_d
#include "small_tmpl.h"
#undef R
#undef S
#undef S_VEC
#undef S_MASK
#undef S_LANES
#undef S_ZERO
#undef S_SET1
#undef S_FMA
#undef S_MUL
#undef S_ADD
#undef S_LOAD
#undef S_STORE
#undef S_LOADU
#undef S_STOREU
#undef S_ENTRY
#undef S_TRANSPOSE

#define R float
#define S(name) name##_s
#define S_VEC __m512
#define S_MASK __mmask16
#define S_LANES 16
#define S_ZERO _mm512_setzero_ps
#define S_SET1 _mm512_set1_ps
#define S_FMA _mm512_fmadd_ps
#define S_MUL _mm512_mul_ps
#define S_ADD _mm512_add_ps
#define S_LOAD _mm512_maskz_loadu_ps
#define S_STORE _mm512_mask_storeu_ps
#define S_LOADU _mm512_loadu_ps
#define S_STOREU _mm512_storeu_ps
#define S_ENTRY bp_sgemm_small_avx512
#define S_TRANSPOSE small_transpose_s
#include "small_tmpl.h"

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_gemm_small_avx512_unused;
#endif
