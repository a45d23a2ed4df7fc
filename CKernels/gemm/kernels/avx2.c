/*
 * gemm/kernels/avx2.c — AVX2+FMA micro-kernels and packing (x86-64 only).
 *
 * Compiled without any -m flag: each function carries
 * __attribute__((target("avx2,fma"))) and is only ever called through the
 * dispatch table (runtime/dispatch.c) after the CPU was checked for both
 * features. On other architectures this file is empty.
 *
 * Micro-kernels. double: a 6 × 8 tile of C lives in 12 ymm accumulators
 * (6 rows × 2 vectors of 4); per k step 2 aligned loads of packed B, 6
 * broadcasts of packed A and 12 FMAs use 15 of the 16 ymm registers.
 * float: the same shape with 8-wide vectors, a 6 × 16 tile. Twelve
 * independent FMA chains cover the FMA latency (4 cycles) times the two FMA
 * pipes. The k loop is unrolled by 4, packed A is prefetched a few steps
 * ahead (the B sliver is reused by every A sliver of a block and stays in
 * L1) and the C tile is prefetched before the loop.
 *
 * Edge tiles run the same code: tiles with fewer rows use a 4- or 2-row
 * variant (less wasted arithmetic: 16 = 6 + 6 + 4 rows, 32 = 5·6 + 2), tiles
 * with fewer columns a one-vector variant when half the width suffices,
 * and partial columns are written with masked stores — no temporary tile,
 * no scalar clean-up loop.
 *
 * Epilogue: C = alpha·acc (beta == 0, C not read) or
 * C = alpha·acc + beta·C computed as round(round(alpha·acc) + round(beta·C))
 * — the same roundings for every element, whichever variant computes it.
 *
 * Packing of full slivers (the layout is that of the portable packers in
 * gemm_driver_tmpl.h, so packed data are identical): 4 × 4 in-register
 * transposes for the strided cases (rows of A, columns of Bᵀ), plain
 * vector copies for the contiguous ones, sliver by sliver (walking p
 * across all slivers of a block, or a cache line of p at a time for the
 * transposes, are slower).
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include <stdint.h>
#include "gemm/gemm_internal.h"

#define BP_AVX2 __attribute__((target("avx2,fma")))
#define BP_INLINE static inline __attribute__((always_inline))

/* ---- double micro-kernel ------------------------------------------------------ */

/* Lane masks for the first n of 4 doubles (n = 0 … 4). */
BP_AVX2 BP_INLINE __m256i d_mask(size_t n) {
    const __m256i idx = _mm256_setr_epi64x(0, 1, 2, 3);
    return _mm256_cmpgt_epi64(_mm256_set1_epi64x((long long)n), idx);
}

BP_AVX2 BP_INLINE void d_store(double *c, __m256d acc, __m256d va, __m256d vb, int read_c, int full,
                               __m256i mask) {
    __m256d v = _mm256_mul_pd(va, acc);
    if (full) {
        if (read_c) v = _mm256_add_pd(v, _mm256_mul_pd(vb, _mm256_loadu_pd(c)));
        _mm256_storeu_pd(c, v);
    } else {
        if (read_c) v = _mm256_add_pd(v, _mm256_mul_pd(vb, _mm256_maskload_pd(c, mask)));
        _mm256_maskstore_pd(c, mask, v);
    }
}

/* The tile body for ROWS ∈ {2, 4, 6} rows and VECS ∈ {1, 2} vectors of B;
 * constant-folded by always_inline, so acc[][] lives in registers. */
BP_AVX2 BP_INLINE void d_tile(const int ROWS, const int VECS, size_t kc, const double *a,
                              const double *b, double *c, size_t ldc, double alpha, double beta,
                              size_t mr, size_t nr) {
    __m256d acc[6][2];
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        acc[i][0] = _mm256_setzero_pd();
        acc[i][1] = _mm256_setzero_pd();
    }
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 4 * VECS - 1), _MM_HINT_T0);
    }
#define D_STEP(off)                                                                                \
    do {                                                                                           \
        __m256d b0 = _mm256_load_pd(b + 8 * (off));                                                \
        __m256d b1 = VECS > 1 ? _mm256_load_pd(b + 8 * (off) + 4) : b0;                            \
        _Pragma("GCC unroll 6") for (int i = 0; i < ROWS; i++) {                                   \
            __m256d av = _mm256_broadcast_sd(a + 6 * (off) + i);                                   \
            acc[i][0] = _mm256_fmadd_pd(av, b0, acc[i][0]);                                        \
            if (VECS > 1) acc[i][1] = _mm256_fmadd_pd(av, b1, acc[i][1]);                          \
        }                                                                                          \
    } while (0)
    size_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(a + 96), _MM_HINT_T0);
        D_STEP(0);
        D_STEP(1);
        _mm_prefetch((const char *)(a + 104), _MM_HINT_T0);
        D_STEP(2);
        _mm_prefetch((const char *)(a + 112), _MM_HINT_T0);
        D_STEP(3);
        a += 24;
        b += 32;
    }
    for (; p < kc; p++) {
        D_STEP(0);
        a += 6;
        b += 8;
    }
#undef D_STEP
    __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
    int read_c = beta != 0.0;
    int full0 = nr >= 4, full1 = nr >= 8;
    __m256i m0 = d_mask(nr < 4 ? nr : 4), m1 = d_mask(nr > 4 ? nr - 4 : 0);
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        if ((size_t)i >= mr) break;
        d_store(c + i * ldc, acc[i][0], va, vb, read_c, full0, m0);
        if (VECS > 1) d_store(c + i * ldc + 4, acc[i][1], va, vb, read_c, full1, m1);
    }
}

/* The full-width 6-row tile, the one that does nearly all the work, with
 * named accumulators: GCC keeps them all in registers this way (the array
 * form of d_tile makes it spill two accumulators in the k loop). */
BP_AVX2 __attribute__((noinline)) static void d_tile_6x2(size_t kc, const double *a,
                                                         const double *b, double *c, size_t ldc,
                                                         const double *alpha_beta, size_t mr,
                                                         size_t nr) {
    __m256d c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    for (int i = 0; i < 6; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 7), _MM_HINT_T0);
    }
    /* The k loop in inline assembly: the register allocation is then the
     * same with every compiler (12 accumulators, zeroed here, 2 B vectors
     * and one broadcast: 15 of 16 ymm registers, nothing spilled).
     * Unrolled by 4, with the packed A sliver prefetched 16 steps ahead. */
    size_t n4 = kc / 4, n1 = kc % 4;
    __m256d t0, t1, t2;
    __asm__("vxorpd %[c00], %[c00], %[c00]\n\t"
            "vxorpd %[c01], %[c01], %[c01]\n\t"
            "vxorpd %[c10], %[c10], %[c10]\n\t"
            "vxorpd %[c11], %[c11], %[c11]\n\t"
            "vxorpd %[c20], %[c20], %[c20]\n\t"
            "vxorpd %[c21], %[c21], %[c21]\n\t"
            "vxorpd %[c30], %[c30], %[c30]\n\t"
            "vxorpd %[c31], %[c31], %[c31]\n\t"
            "vxorpd %[c40], %[c40], %[c40]\n\t"
            "vxorpd %[c41], %[c41], %[c41]\n\t"
            "vxorpd %[c50], %[c50], %[c50]\n\t"
            "vxorpd %[c51], %[c51], %[c51]\n\t"
            "test %[n4], %[n4]\n\t"
            "jz 2f\n\t"
            "1:\n\t"
            "prefetcht0 768(%[a])\n\t"
            "vmovapd 0(%[b]), %[b0]\n\t"
            "vmovapd 32(%[b]), %[b1]\n\t"
            "vbroadcastsd 0(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c00]\n\t"
            "vfmadd231pd %[b1], %[av], %[c01]\n\t"
            "vbroadcastsd 8(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c10]\n\t"
            "vfmadd231pd %[b1], %[av], %[c11]\n\t"
            "vbroadcastsd 16(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c20]\n\t"
            "vfmadd231pd %[b1], %[av], %[c21]\n\t"
            "vbroadcastsd 24(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c30]\n\t"
            "vfmadd231pd %[b1], %[av], %[c31]\n\t"
            "vbroadcastsd 32(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c40]\n\t"
            "vfmadd231pd %[b1], %[av], %[c41]\n\t"
            "vbroadcastsd 40(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c50]\n\t"
            "vfmadd231pd %[b1], %[av], %[c51]\n\t"
            "vmovapd 64(%[b]), %[b0]\n\t"
            "vmovapd 96(%[b]), %[b1]\n\t"
            "vbroadcastsd 48(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c00]\n\t"
            "vfmadd231pd %[b1], %[av], %[c01]\n\t"
            "vbroadcastsd 56(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c10]\n\t"
            "vfmadd231pd %[b1], %[av], %[c11]\n\t"
            "vbroadcastsd 64(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c20]\n\t"
            "vfmadd231pd %[b1], %[av], %[c21]\n\t"
            "vbroadcastsd 72(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c30]\n\t"
            "vfmadd231pd %[b1], %[av], %[c31]\n\t"
            "vbroadcastsd 80(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c40]\n\t"
            "vfmadd231pd %[b1], %[av], %[c41]\n\t"
            "vbroadcastsd 88(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c50]\n\t"
            "vfmadd231pd %[b1], %[av], %[c51]\n\t"
            "prefetcht0 832(%[a])\n\t"
            "vmovapd 128(%[b]), %[b0]\n\t"
            "vmovapd 160(%[b]), %[b1]\n\t"
            "vbroadcastsd 96(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c00]\n\t"
            "vfmadd231pd %[b1], %[av], %[c01]\n\t"
            "vbroadcastsd 104(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c10]\n\t"
            "vfmadd231pd %[b1], %[av], %[c11]\n\t"
            "vbroadcastsd 112(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c20]\n\t"
            "vfmadd231pd %[b1], %[av], %[c21]\n\t"
            "vbroadcastsd 120(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c30]\n\t"
            "vfmadd231pd %[b1], %[av], %[c31]\n\t"
            "vbroadcastsd 128(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c40]\n\t"
            "vfmadd231pd %[b1], %[av], %[c41]\n\t"
            "vbroadcastsd 136(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c50]\n\t"
            "vfmadd231pd %[b1], %[av], %[c51]\n\t"
            "prefetcht0 896(%[a])\n\t"
            "vmovapd 192(%[b]), %[b0]\n\t"
            "vmovapd 224(%[b]), %[b1]\n\t"
            "vbroadcastsd 144(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c00]\n\t"
            "vfmadd231pd %[b1], %[av], %[c01]\n\t"
            "vbroadcastsd 152(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c10]\n\t"
            "vfmadd231pd %[b1], %[av], %[c11]\n\t"
            "vbroadcastsd 160(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c20]\n\t"
            "vfmadd231pd %[b1], %[av], %[c21]\n\t"
            "vbroadcastsd 168(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c30]\n\t"
            "vfmadd231pd %[b1], %[av], %[c31]\n\t"
            "vbroadcastsd 176(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c40]\n\t"
            "vfmadd231pd %[b1], %[av], %[c41]\n\t"
            "vbroadcastsd 184(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c50]\n\t"
            "vfmadd231pd %[b1], %[av], %[c51]\n\t"
            "add $192, %[a]\n\t"
            "add $256, %[b]\n\t"
            "dec %[n4]\n\t"
            "jnz 1b\n\t"
            "2:\n\t"
            "test %[n1], %[n1]\n\t"
            "jz 4f\n\t"
            "3:\n\t"
            "vmovapd 0(%[b]), %[b0]\n\t"
            "vmovapd 32(%[b]), %[b1]\n\t"
            "vbroadcastsd 0(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c00]\n\t"
            "vfmadd231pd %[b1], %[av], %[c01]\n\t"
            "vbroadcastsd 8(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c10]\n\t"
            "vfmadd231pd %[b1], %[av], %[c11]\n\t"
            "vbroadcastsd 16(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c20]\n\t"
            "vfmadd231pd %[b1], %[av], %[c21]\n\t"
            "vbroadcastsd 24(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c30]\n\t"
            "vfmadd231pd %[b1], %[av], %[c31]\n\t"
            "vbroadcastsd 32(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c40]\n\t"
            "vfmadd231pd %[b1], %[av], %[c41]\n\t"
            "vbroadcastsd 40(%[a]), %[av]\n\t"
            "vfmadd231pd %[b0], %[av], %[c50]\n\t"
            "vfmadd231pd %[b1], %[av], %[c51]\n\t"
            "add $48, %[a]\n\t"
            "add $64, %[b]\n\t"
            "dec %[n1]\n\t"
            "jnz 3b\n\t"
            "4:\n\t"
            : [a] "+r"(a), [b] "+r"(b), [n4] "+r"(n4), [n1] "+r"(n1), [c00] "=x"(c00),
              [c01] "=x"(c01), [c10] "=x"(c10), [c11] "=x"(c11), [c20] "=x"(c20), [c21] "=x"(c21),
              [c30] "=x"(c30), [c31] "=x"(c31), [c40] "=x"(c40), [c41] "=x"(c41), [c50] "=x"(c50),
              [c51] "=x"(c51), [b0] "=x"(t0), [b1] "=x"(t1), [av] "=x"(t2)
            :
            : "cc", "memory");
    (void)t0;
    (void)t1;
    (void)t2;
    double alpha = alpha_beta[0], beta = alpha_beta[1];
    __m256d va = _mm256_set1_pd(alpha), vb = _mm256_set1_pd(beta);
    int read_c = beta != 0;
    if (mr == 6 && nr == 8) {
        const __m256i none = _mm256_setzero_si256();
        d_store(c + 0 * ldc, c00, va, vb, read_c, 1, none);
        d_store(c + 0 * ldc + 4, c01, va, vb, read_c, 1, none);
        d_store(c + 1 * ldc, c10, va, vb, read_c, 1, none);
        d_store(c + 1 * ldc + 4, c11, va, vb, read_c, 1, none);
        d_store(c + 2 * ldc, c20, va, vb, read_c, 1, none);
        d_store(c + 2 * ldc + 4, c21, va, vb, read_c, 1, none);
        d_store(c + 3 * ldc, c30, va, vb, read_c, 1, none);
        d_store(c + 3 * ldc + 4, c31, va, vb, read_c, 1, none);
        d_store(c + 4 * ldc, c40, va, vb, read_c, 1, none);
        d_store(c + 4 * ldc + 4, c41, va, vb, read_c, 1, none);
        d_store(c + 5 * ldc, c50, va, vb, read_c, 1, none);
        d_store(c + 5 * ldc + 4, c51, va, vb, read_c, 1, none);
        return;
    }
    /* Edge tile: masked columns, mr rows. */
    __m256d acc[6][2];
    acc[0][0] = c00;
    acc[0][1] = c01;
    acc[1][0] = c10;
    acc[1][1] = c11;
    acc[2][0] = c20;
    acc[2][1] = c21;
    acc[3][0] = c30;
    acc[3][1] = c31;
    acc[4][0] = c40;
    acc[4][1] = c41;
    acc[5][0] = c50;
    acc[5][1] = c51;
    int full0 = nr >= 4, full1 = nr >= 8;
    __m256i m0 = d_mask(nr < 4 ? nr : 4), m1 = d_mask(nr > 4 ? nr - 4 : 0);
    for (size_t i = 0; i < mr; i++) {
        d_store(c + i * ldc, acc[i][0], va, vb, read_c, full0, m0);
        d_store(c + i * ldc + 4, acc[i][1], va, vb, read_c, full1, m1);
    }
}

BP_AVX2 void bp_dkernel_avx2(size_t kc, const double *a, const double *b, double *c, size_t ldc,
                             double alpha, double beta, size_t mr, size_t nr) {
    if (nr > 4) {
        if (mr > 4) {
            /* alpha and beta through memory: passed in registers they would
             * stay live across the k loop and push an accumulator out. */
            double alpha_beta[2] = { alpha, beta };
            d_tile_6x2(kc, a, b, c, ldc, alpha_beta, mr, nr);
        } else if (mr > 2) d_tile(4, 2, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else d_tile(2, 2, kc, a, b, c, ldc, alpha, beta, mr, nr);
    } else {
        if (mr > 4) d_tile(6, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else if (mr > 2) d_tile(4, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else d_tile(2, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
    }
}

/* ---- float micro-kernel ------------------------------------------------------- */

/* Lane masks for the first n of 8 floats (n = 0 … 8). */
BP_AVX2 BP_INLINE __m256i s_mask(size_t n) {
    const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), idx);
}

BP_AVX2 BP_INLINE void s_store(float *c, __m256 acc, __m256 va, __m256 vb, int read_c, int full,
                               __m256i mask) {
    __m256 v = _mm256_mul_ps(va, acc);
    if (full) {
        if (read_c) v = _mm256_add_ps(v, _mm256_mul_ps(vb, _mm256_loadu_ps(c)));
        _mm256_storeu_ps(c, v);
    } else {
        if (read_c) v = _mm256_add_ps(v, _mm256_mul_ps(vb, _mm256_maskload_ps(c, mask)));
        _mm256_maskstore_ps(c, mask, v);
    }
}

BP_AVX2 BP_INLINE void s_tile(const int ROWS, const int VECS, size_t kc, const float *a,
                              const float *b, float *c, size_t ldc, float alpha, float beta,
                              size_t mr, size_t nr) {
    __m256 acc[6][2];
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        acc[i][0] = _mm256_setzero_ps();
        acc[i][1] = _mm256_setzero_ps();
    }
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 8 * VECS - 1), _MM_HINT_T0);
    }
#define S_STEP(off)                                                                                \
    do {                                                                                           \
        __m256 b0 = _mm256_load_ps(b + 16 * (off));                                                \
        __m256 b1 = VECS > 1 ? _mm256_load_ps(b + 16 * (off) + 8) : b0;                            \
        _Pragma("GCC unroll 6") for (int i = 0; i < ROWS; i++) {                                   \
            __m256 av = _mm256_broadcast_ss(a + 6 * (off) + i);                                    \
            acc[i][0] = _mm256_fmadd_ps(av, b0, acc[i][0]);                                        \
            if (VECS > 1) acc[i][1] = _mm256_fmadd_ps(av, b1, acc[i][1]);                          \
        }                                                                                          \
    } while (0)
    size_t p = 0;
    for (; p + 4 <= kc; p += 4) {
        _mm_prefetch((const char *)(a + 96), _MM_HINT_T0);
        S_STEP(0);
        S_STEP(1);
        _mm_prefetch((const char *)(a + 112), _MM_HINT_T0);
        S_STEP(2);
        S_STEP(3);
        a += 24;
        b += 64;
    }
    for (; p < kc; p++) {
        S_STEP(0);
        a += 6;
        b += 16;
    }
#undef S_STEP
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int read_c = beta != 0.0f;
    int full0 = nr >= 8, full1 = nr >= 16;
    __m256i m0 = s_mask(nr < 8 ? nr : 8), m1 = s_mask(nr > 8 ? nr - 8 : 0);
#pragma GCC unroll 6
    for (int i = 0; i < ROWS; i++) {
        if ((size_t)i >= mr) break;
        s_store(c + i * ldc, acc[i][0], va, vb, read_c, full0, m0);
        if (VECS > 1) s_store(c + i * ldc + 8, acc[i][1], va, vb, read_c, full1, m1);
    }
}

/* The full-width 6-row float tile, named accumulators (see d_tile_6x2). */
BP_AVX2 __attribute__((noinline)) static void s_tile_6x2(size_t kc, const float *a, const float *b,
                                                         float *c, size_t ldc,
                                                         const float *alpha_beta, size_t mr,
                                                         size_t nr) {
    __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
    for (int i = 0; i < 6; i++) {
        _mm_prefetch((const char *)(c + i * ldc), _MM_HINT_T0);
        _mm_prefetch((const char *)(c + i * ldc + 15), _MM_HINT_T0);
    }
    /* The k loop in inline assembly: the register allocation is then the
     * same with every compiler (12 accumulators, zeroed here, 2 B vectors
     * and one broadcast: 15 of 16 ymm registers, nothing spilled).
     * Unrolled by 4, with the packed A sliver prefetched 16 steps ahead. */
    size_t n4 = kc / 4, n1 = kc % 4;
    __m256 t0, t1, t2;
    __asm__("vxorps %[c00], %[c00], %[c00]\n\t"
            "vxorps %[c01], %[c01], %[c01]\n\t"
            "vxorps %[c10], %[c10], %[c10]\n\t"
            "vxorps %[c11], %[c11], %[c11]\n\t"
            "vxorps %[c20], %[c20], %[c20]\n\t"
            "vxorps %[c21], %[c21], %[c21]\n\t"
            "vxorps %[c30], %[c30], %[c30]\n\t"
            "vxorps %[c31], %[c31], %[c31]\n\t"
            "vxorps %[c40], %[c40], %[c40]\n\t"
            "vxorps %[c41], %[c41], %[c41]\n\t"
            "vxorps %[c50], %[c50], %[c50]\n\t"
            "vxorps %[c51], %[c51], %[c51]\n\t"
            "test %[n4], %[n4]\n\t"
            "jz 2f\n\t"
            "1:\n\t"
            "prefetcht0 384(%[a])\n\t"
            "vmovaps 0(%[b]), %[b0]\n\t"
            "vmovaps 32(%[b]), %[b1]\n\t"
            "vbroadcastss 0(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c00]\n\t"
            "vfmadd231ps %[b1], %[av], %[c01]\n\t"
            "vbroadcastss 4(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c10]\n\t"
            "vfmadd231ps %[b1], %[av], %[c11]\n\t"
            "vbroadcastss 8(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c20]\n\t"
            "vfmadd231ps %[b1], %[av], %[c21]\n\t"
            "vbroadcastss 12(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c30]\n\t"
            "vfmadd231ps %[b1], %[av], %[c31]\n\t"
            "vbroadcastss 16(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c40]\n\t"
            "vfmadd231ps %[b1], %[av], %[c41]\n\t"
            "vbroadcastss 20(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c50]\n\t"
            "vfmadd231ps %[b1], %[av], %[c51]\n\t"
            "vmovaps 64(%[b]), %[b0]\n\t"
            "vmovaps 96(%[b]), %[b1]\n\t"
            "vbroadcastss 24(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c00]\n\t"
            "vfmadd231ps %[b1], %[av], %[c01]\n\t"
            "vbroadcastss 28(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c10]\n\t"
            "vfmadd231ps %[b1], %[av], %[c11]\n\t"
            "vbroadcastss 32(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c20]\n\t"
            "vfmadd231ps %[b1], %[av], %[c21]\n\t"
            "vbroadcastss 36(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c30]\n\t"
            "vfmadd231ps %[b1], %[av], %[c31]\n\t"
            "vbroadcastss 40(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c40]\n\t"
            "vfmadd231ps %[b1], %[av], %[c41]\n\t"
            "vbroadcastss 44(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c50]\n\t"
            "vfmadd231ps %[b1], %[av], %[c51]\n\t"
            "prefetcht0 448(%[a])\n\t"
            "vmovaps 128(%[b]), %[b0]\n\t"
            "vmovaps 160(%[b]), %[b1]\n\t"
            "vbroadcastss 48(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c00]\n\t"
            "vfmadd231ps %[b1], %[av], %[c01]\n\t"
            "vbroadcastss 52(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c10]\n\t"
            "vfmadd231ps %[b1], %[av], %[c11]\n\t"
            "vbroadcastss 56(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c20]\n\t"
            "vfmadd231ps %[b1], %[av], %[c21]\n\t"
            "vbroadcastss 60(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c30]\n\t"
            "vfmadd231ps %[b1], %[av], %[c31]\n\t"
            "vbroadcastss 64(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c40]\n\t"
            "vfmadd231ps %[b1], %[av], %[c41]\n\t"
            "vbroadcastss 68(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c50]\n\t"
            "vfmadd231ps %[b1], %[av], %[c51]\n\t"
            "vmovaps 192(%[b]), %[b0]\n\t"
            "vmovaps 224(%[b]), %[b1]\n\t"
            "vbroadcastss 72(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c00]\n\t"
            "vfmadd231ps %[b1], %[av], %[c01]\n\t"
            "vbroadcastss 76(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c10]\n\t"
            "vfmadd231ps %[b1], %[av], %[c11]\n\t"
            "vbroadcastss 80(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c20]\n\t"
            "vfmadd231ps %[b1], %[av], %[c21]\n\t"
            "vbroadcastss 84(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c30]\n\t"
            "vfmadd231ps %[b1], %[av], %[c31]\n\t"
            "vbroadcastss 88(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c40]\n\t"
            "vfmadd231ps %[b1], %[av], %[c41]\n\t"
            "vbroadcastss 92(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c50]\n\t"
            "vfmadd231ps %[b1], %[av], %[c51]\n\t"
            "add $96, %[a]\n\t"
            "add $256, %[b]\n\t"
            "dec %[n4]\n\t"
            "jnz 1b\n\t"
            "2:\n\t"
            "test %[n1], %[n1]\n\t"
            "jz 4f\n\t"
            "3:\n\t"
            "vmovaps 0(%[b]), %[b0]\n\t"
            "vmovaps 32(%[b]), %[b1]\n\t"
            "vbroadcastss 0(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c00]\n\t"
            "vfmadd231ps %[b1], %[av], %[c01]\n\t"
            "vbroadcastss 4(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c10]\n\t"
            "vfmadd231ps %[b1], %[av], %[c11]\n\t"
            "vbroadcastss 8(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c20]\n\t"
            "vfmadd231ps %[b1], %[av], %[c21]\n\t"
            "vbroadcastss 12(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c30]\n\t"
            "vfmadd231ps %[b1], %[av], %[c31]\n\t"
            "vbroadcastss 16(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c40]\n\t"
            "vfmadd231ps %[b1], %[av], %[c41]\n\t"
            "vbroadcastss 20(%[a]), %[av]\n\t"
            "vfmadd231ps %[b0], %[av], %[c50]\n\t"
            "vfmadd231ps %[b1], %[av], %[c51]\n\t"
            "add $24, %[a]\n\t"
            "add $64, %[b]\n\t"
            "dec %[n1]\n\t"
            "jnz 3b\n\t"
            "4:\n\t"
            : [a] "+r"(a), [b] "+r"(b), [n4] "+r"(n4), [n1] "+r"(n1), [c00] "=x"(c00),
              [c01] "=x"(c01), [c10] "=x"(c10), [c11] "=x"(c11), [c20] "=x"(c20), [c21] "=x"(c21),
              [c30] "=x"(c30), [c31] "=x"(c31), [c40] "=x"(c40), [c41] "=x"(c41), [c50] "=x"(c50),
              [c51] "=x"(c51), [b0] "=x"(t0), [b1] "=x"(t1), [av] "=x"(t2)
            :
            : "cc", "memory");
    (void)t0;
    (void)t1;
    (void)t2;
    float alpha = alpha_beta[0], beta = alpha_beta[1];
    __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
    int read_c = beta != 0;
    if (mr == 6 && nr == 16) {
        const __m256i none = _mm256_setzero_si256();
        s_store(c + 0 * ldc, c00, va, vb, read_c, 1, none);
        s_store(c + 0 * ldc + 8, c01, va, vb, read_c, 1, none);
        s_store(c + 1 * ldc, c10, va, vb, read_c, 1, none);
        s_store(c + 1 * ldc + 8, c11, va, vb, read_c, 1, none);
        s_store(c + 2 * ldc, c20, va, vb, read_c, 1, none);
        s_store(c + 2 * ldc + 8, c21, va, vb, read_c, 1, none);
        s_store(c + 3 * ldc, c30, va, vb, read_c, 1, none);
        s_store(c + 3 * ldc + 8, c31, va, vb, read_c, 1, none);
        s_store(c + 4 * ldc, c40, va, vb, read_c, 1, none);
        s_store(c + 4 * ldc + 8, c41, va, vb, read_c, 1, none);
        s_store(c + 5 * ldc, c50, va, vb, read_c, 1, none);
        s_store(c + 5 * ldc + 8, c51, va, vb, read_c, 1, none);
        return;
    }
    /* Edge tile: masked columns, mr rows. */
    __m256 acc[6][2];
    acc[0][0] = c00;
    acc[0][1] = c01;
    acc[1][0] = c10;
    acc[1][1] = c11;
    acc[2][0] = c20;
    acc[2][1] = c21;
    acc[3][0] = c30;
    acc[3][1] = c31;
    acc[4][0] = c40;
    acc[4][1] = c41;
    acc[5][0] = c50;
    acc[5][1] = c51;
    int full0 = nr >= 8, full1 = nr >= 16;
    __m256i m0 = s_mask(nr < 8 ? nr : 8), m1 = s_mask(nr > 8 ? nr - 8 : 0);
    for (size_t i = 0; i < mr; i++) {
        s_store(c + i * ldc, acc[i][0], va, vb, read_c, full0, m0);
        s_store(c + i * ldc + 8, acc[i][1], va, vb, read_c, full1, m1);
    }
}

BP_AVX2 void bp_skernel_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                             float alpha, float beta, size_t mr, size_t nr) {
    if (nr > 8) {
        if (mr > 4) {
            /* alpha and beta through memory: passed in registers they would
             * stay live across the k loop and push an accumulator out. */
            float alpha_beta[2] = { alpha, beta };
            s_tile_6x2(kc, a, b, c, ldc, alpha_beta, mr, nr);
        } else if (mr > 2) s_tile(4, 2, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else s_tile(2, 2, kc, a, b, c, ldc, alpha, beta, mr, nr);
    } else {
        if (mr > 4) s_tile(6, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else if (mr > 2) s_tile(4, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
        else s_tile(2, 1, kc, a, b, c, ldc, alpha, beta, mr, nr);
    }
}

/* ---- packing of full slivers: double ----------------------------------------- */

/* Rows of A (op(A) = A) are packed six row streams at a time, and the
 * first block of a batch usually comes from memory (a data set's rows):
 * the hardware prefetcher, ramping up on each short stream, leaves the
 * packer stalled much of the time (Benchmarks/README.md, "Kernel design
 * measurements"). So while a
 * sliver is packed, the same columns of the sliver after next (12 rows
 * down) are prefetched, a cache line of each of its rows at a time. The
 * address is formed as an integer: it may lie past the end of the matrix,
 * and a prefetch does not fault. */
#define PACK_PREFETCH_ROWS(src, ld, p)                                                             \
    do {                                                                                           \
        uintptr_t next_ = (uintptr_t)((src) + (p)) + 12 * (ld) * sizeof *(src);                    \
        for (int i_ = 0; i_ < 6; i_++)                                                             \
            _mm_prefetch((const char *)(next_ + (uintptr_t)i_ * (ld) * sizeof *(src)),             \
                         _MM_HINT_T0);                                                             \
    } while (0)

/* 4 × 4 transpose: rows r0..r3 → columns c0..c3. */
#define D_TRANSPOSE4(r0, r1, r2, r3, c0, c1, c2, c3)                                               \
    do {                                                                                           \
        __m256d t0 = _mm256_unpacklo_pd(r0, r1), t1 = _mm256_unpackhi_pd(r0, r1);                  \
        __m256d t2 = _mm256_unpacklo_pd(r2, r3), t3 = _mm256_unpackhi_pd(r2, r3);                  \
        c0 = _mm256_permute2f128_pd(t0, t2, 0x20);                                                 \
        c1 = _mm256_permute2f128_pd(t1, t3, 0x20);                                                 \
        c2 = _mm256_permute2f128_pd(t0, t2, 0x31);                                                 \
        c3 = _mm256_permute2f128_pd(t1, t3, 0x31);                                                 \
    } while (0)

/* Rows of Aᵀ (op(A) = Aᵀ) are columns of A: a sliver takes six
 * contiguous values of each of kc rows of A, often kilobytes apart. A
 * sliver at a time would read 48 bytes per row and fetch each line again
 * for the next sliver; BP_PACK_A_GROUP = 8 slivers per pass over p read
 * 384 contiguous bytes per row, several times faster on wide blocks.
 *
 * nsl 6-row slivers of op(A) over kc: dst[s·6·kc + p·6 + i]. */
BP_AVX2 void bp_dpack_a_avx2(int trans, const double *A, size_t lda, size_t kc, size_t nsl,
                             double *dst) {
    if (trans) {
        /* op(A)[i][p] = A[p·lda + i]: six contiguous values per p, for
         * BP_PACK_A_GROUP slivers per pass over p (see above). */
        for (size_t sl = 0; sl < nsl;) {
            size_t group = nsl - sl < BP_PACK_A_GROUP ? nsl - sl : BP_PACK_A_GROUP;
            for (size_t p = 0; p < kc; p++) {
                const double *s = A + p * lda;
                for (size_t g = 0; g < group; g++) {
                    double *d = dst + 6 * g * kc + 6 * p;
                    _mm256_storeu_pd(d, _mm256_loadu_pd(s + 6 * g));
                    _mm_storeu_pd(d + 4, _mm_loadu_pd(s + 6 * g + 4));
                }
            }
            sl += group;
            A += 6 * group;
            dst += 6 * group * kc;
        }
        return;
    }
    for (size_t sl = 0; sl < nsl; sl++, A += 6 * lda, dst += 6 * kc) {
        const double *r0 = A, *r1 = A + lda, *r2 = A + 2 * lda, *r3 = A + 3 * lda,
                     *r4 = A + 4 * lda, *r5 = A + 5 * lda;
        size_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            if ((p & 7) == 0) PACK_PREFETCH_ROWS(A, lda, p);
            __m256d y0 = _mm256_loadu_pd(r0 + p), y1 = _mm256_loadu_pd(r1 + p);
            __m256d y2 = _mm256_loadu_pd(r2 + p), y3 = _mm256_loadu_pd(r3 + p);
            __m256d y4 = _mm256_loadu_pd(r4 + p), y5 = _mm256_loadu_pd(r5 + p);
            __m256d c0, c1, c2, c3;
            D_TRANSPOSE4(y0, y1, y2, y3, c0, c1, c2, c3);
            __m256d u0 = _mm256_unpacklo_pd(y4, y5), u1 = _mm256_unpackhi_pd(y4, y5);
            double *d = dst + 6 * p;
            _mm256_storeu_pd(d + 0, c0);
            _mm_storeu_pd(d + 4, _mm256_castpd256_pd128(u0));
            _mm256_storeu_pd(d + 6, c1);
            _mm_storeu_pd(d + 10, _mm256_castpd256_pd128(u1));
            _mm256_storeu_pd(d + 12, c2);
            _mm_storeu_pd(d + 16, _mm256_extractf128_pd(u0, 1));
            _mm256_storeu_pd(d + 18, c3);
            _mm_storeu_pd(d + 22, _mm256_extractf128_pd(u1, 1));
        }
        for (; p < kc; p++) {
            double *d = dst + 6 * p;
            d[0] = r0[p];
            d[1] = r1[p];
            d[2] = r2[p];
            d[3] = r3[p];
            d[4] = r4[p];
            d[5] = r5[p];
        }
    }
}

/* Rows of B (op(B) = B) are contiguous across slivers. One sliver at a
 * time reads 64 bytes of each of kc rows, 4 KB apart for a 1024-wide
 * matrix — two cache lines each when B is not 64-byte aligned (a parameter
 * vector's weights seldom are), more lines than L1 holds, so the next
 * sliver fetched them again; all slivers at once scatter the stores over
 * the whole panel. BP_PACK_B_GROUP = 4 slivers per pass over p read 256
 * contiguous bytes per row, about three times faster on a 1024-wide panel.
 *
 * A sliver row is 64 bytes in both precisions (8 doubles, 16 floats), so
 * one byte-copying packer serves both: `groups` slivers per pass, `ldb`
 * and the rows in bytes. */
static inline __attribute__((always_inline, target("avx2"))) void pack_b_group(
    const char *B, size_t ldb, size_t kc, size_t groups, char *dst) {
    for (size_t p = 0; p < kc; p++) {
        const char *s = B + p * ldb;
        char *d = dst + 64 * p;
        for (size_t g = 0; g < groups; g++) {
            const __m256i *from = (const __m256i *)(const void *)(s + 64 * g);
            __m256i *to = (__m256i *)(void *)(d + 64 * g * kc);
            _mm256_store_si256(to, _mm256_loadu_si256(from));
            _mm256_store_si256(to + 1, _mm256_loadu_si256(from + 1));
        }
    }
}

/* nsl slivers of op(B) = B (64 bytes of each of kc rows, ldb bytes apart)
 * into dst, sliver after sliver: whole groups, then the rest one by one
 * (a constant group size in each call: see gemm/kernels/avx512.c on clang
 * and variable counts). */
BP_AVX2 static void pack_b_rows(const void *B, size_t ldb, size_t kc, size_t nsl, void *dst) {
    const char *b = B;
    char *d = dst;
    size_t sl = 0;
    for (; sl + BP_PACK_B_GROUP <= nsl;
         sl += BP_PACK_B_GROUP, b += 64 * BP_PACK_B_GROUP, d += 64 * BP_PACK_B_GROUP * kc)
        pack_b_group(b, ldb, kc, BP_PACK_B_GROUP, d);
    for (; sl < nsl; sl++, b += 64, d += 64 * kc) pack_b_group(b, ldb, kc, 1, d);
}

/* nsl 8-column slivers of op(B) over kc: dst[s·8·kc + p·8 + j]. */
BP_AVX2 void bp_dpack_b_avx2(int trans, const double *B, size_t ldb, size_t kc, size_t nsl,
                             double *dst) {
    if (!trans) {
        pack_b_rows(B, ldb * sizeof *B, kc, nsl, dst);
        return;
    }
    /* op(B)[p][j] = B[j·ldb + p]: eight row streams of B per sliver. */
    for (size_t sl = 0; sl < nsl; sl++, B += 8 * ldb, dst += 8 * kc) {
        const double *r[8];
        for (int j = 0; j < 8; j++) r[j] = B + (size_t)j * ldb;
        size_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            __m256d a0, a1, a2, a3, b0, b1, b2, b3;
            __m256d y0 = _mm256_loadu_pd(r[0] + p), y1 = _mm256_loadu_pd(r[1] + p);
            __m256d y2 = _mm256_loadu_pd(r[2] + p), y3 = _mm256_loadu_pd(r[3] + p);
            __m256d y4 = _mm256_loadu_pd(r[4] + p), y5 = _mm256_loadu_pd(r[5] + p);
            __m256d y6 = _mm256_loadu_pd(r[6] + p), y7 = _mm256_loadu_pd(r[7] + p);
            D_TRANSPOSE4(y0, y1, y2, y3, a0, a1, a2, a3);
            D_TRANSPOSE4(y4, y5, y6, y7, b0, b1, b2, b3);
            double *d = dst + 8 * p;
            _mm256_store_pd(d + 0, a0);
            _mm256_store_pd(d + 4, b0);
            _mm256_store_pd(d + 8, a1);
            _mm256_store_pd(d + 12, b1);
            _mm256_store_pd(d + 16, a2);
            _mm256_store_pd(d + 20, b2);
            _mm256_store_pd(d + 24, a3);
            _mm256_store_pd(d + 28, b3);
        }
        for (; p < kc; p++)
            for (int j = 0; j < 8; j++) dst[8 * p + j] = r[j][p];
    }
}

/* ---- packing of full slivers: float ------------------------------------------ */

BP_AVX2 void bp_spack_a_avx2(int trans, const float *A, size_t lda, size_t kc, size_t nsl,
                             float *dst) {
    if (trans) {
        for (size_t sl = 0; sl < nsl;) {
            size_t group = nsl - sl < BP_PACK_A_GROUP ? nsl - sl : BP_PACK_A_GROUP;
            for (size_t p = 0; p < kc; p++) {
                const float *s = A + p * lda;
                for (size_t g = 0; g < group; g++, s += 6) {
                    float *d = dst + 6 * g * kc + 6 * p;
                    _mm_storeu_ps(d, _mm_loadu_ps(s));
                    /* values 4 and 5 as one 8-byte move (movq: no alignment
                     * required, unlike a double's load) */
                    _mm_storel_epi64((__m128i *)(void *)(d + 4),
                                     _mm_loadl_epi64((const __m128i *)(const void *)(s + 4)));
                }
            }
            sl += group;
            A += 6 * group;
            dst += 6 * group * kc;
        }
        return;
    }
    for (size_t sl = 0; sl < nsl; sl++, A += 6 * lda, dst += 6 * kc) {
        const float *r0 = A, *r1 = A + lda, *r2 = A + 2 * lda, *r3 = A + 3 * lda, *r4 = A + 4 * lda,
                    *r5 = A + 5 * lda;
        size_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            if ((p & 15) == 0) PACK_PREFETCH_ROWS(A, lda, p);
            __m128 x0 = _mm_loadu_ps(r0 + p), x1 = _mm_loadu_ps(r1 + p);
            __m128 x2 = _mm_loadu_ps(r2 + p), x3 = _mm_loadu_ps(r3 + p);
            __m128 x4 = _mm_loadu_ps(r4 + p), x5 = _mm_loadu_ps(r5 + p);
            _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
            __m128 u0 = _mm_unpacklo_ps(x4, x5), u1 = _mm_unpackhi_ps(x4, x5);
            float *d = dst + 6 * p;
            _mm_storeu_ps(d + 0, x0);
            _mm_storel_pi((__m64 *)(void *)(d + 4), u0);
            _mm_storeu_ps(d + 6, x1);
            _mm_storeh_pi((__m64 *)(void *)(d + 10), u0);
            _mm_storeu_ps(d + 12, x2);
            _mm_storel_pi((__m64 *)(void *)(d + 16), u1);
            _mm_storeu_ps(d + 18, x3);
            _mm_storeh_pi((__m64 *)(void *)(d + 22), u1);
        }
        for (; p < kc; p++) {
            float *d = dst + 6 * p;
            d[0] = r0[p];
            d[1] = r1[p];
            d[2] = r2[p];
            d[3] = r3[p];
            d[4] = r4[p];
            d[5] = r5[p];
        }
    }
}

BP_AVX2 void bp_spack_b_avx2(int trans, const float *B, size_t ldb, size_t kc, size_t nsl,
                             float *dst) {
    if (!trans) {
        pack_b_rows(B, ldb * sizeof *B, kc, nsl, dst);
        return;
    }
    /* Sixteen row streams per sliver, four 4 × 4 transposes per 4 p. */
    for (size_t sl = 0; sl < nsl; sl++, B += 16 * ldb, dst += 16 * kc) {
        size_t p = 0;
        for (; p + 4 <= kc; p += 4) {
            for (int g = 0; g < 4; g++) {
                const float *s = B + (size_t)(4 * g) * ldb + p;
                __m128 x0 = _mm_loadu_ps(s), x1 = _mm_loadu_ps(s + ldb);
                __m128 x2 = _mm_loadu_ps(s + 2 * ldb), x3 = _mm_loadu_ps(s + 3 * ldb);
                _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
                float *d = dst + 16 * p + 4 * g;
                _mm_store_ps(d, x0);
                _mm_store_ps(d + 16, x1);
                _mm_store_ps(d + 32, x2);
                _mm_store_ps(d + 48, x3);
            }
        }
        for (; p < kc; p++)
            for (int j = 0; j < 16; j++) dst[16 * p + j] = B[(size_t)j * ldb + p];
    }
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_gemm_kernel_avx2_unused;
#endif
