/*
 * gemm/kernels/avx512.c — AVX-512F double-height micro-kernels and the
 * float Aᵀ packer (x86-64 only), used on CPUs with AVX-512F next to the
 * AVX2+FMA kernels and packers of gemm/kernels/avx2.c.
 *
 * The packing geometry stays that of the AVX2 kernels (6 × 8 double,
 * 6 × 16 float): a row of a tile is exactly one zmm register. A kernel call
 * covers two consecutive packed A slivers, 12 rows, so 12 zmm accumulators
 * keep both 512-bit FMA pipes busy (FMA latency 4 × 2 pipes = 8 chains
 * needed). Per k step: one aligned load of packed B and 12 FMAs whose A
 * operand is broadcast straight from memory ({1to8} / {1to16}).
 *
 * Every element of C sees exactly the operations of the AVX2 kernels —
 * acc = fma(a_ip, b_pj, acc) for p in increasing order, then alpha·acc
 * (+ beta·c, separately rounded) — so the AVX-512 and AVX2 paths give the
 * same bits, and which rows a 12-row call covers (it depends on the row
 * split between threads) cannot change a result.
 *
 * Compiled without -m flags: the functions carry
 * __attribute__((target("avx512f"))) and are reached only through the
 * dispatch table after __builtin_cpu_supports("avx512f").
 */
#if defined(__x86_64__)

#include <immintrin.h>
#include "gemm/gemm_internal.h"

#define BP_AVX512 __attribute__((target("avx512f")))

/* One k step: load B (64 bytes at b + BOFF) and 12 FMAs with broadcast A
 * operands from the two slivers (6 values each, ESZ bytes apart). */
#define K512_STEP(BOFF, AOFF, ESZ, BC)                                                             \
    "vmovaps " #BOFF "(%[b]), %[bv]\n\t"                                                           \
    "vfmadd231" BC " " #AOFF "+0*" #ESZ "(%[a0])" BCAST ", %[bv], %[c0]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+1*" #ESZ "(%[a0])" BCAST ", %[bv], %[c1]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+2*" #ESZ "(%[a0])" BCAST ", %[bv], %[c2]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+3*" #ESZ "(%[a0])" BCAST ", %[bv], %[c3]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+4*" #ESZ "(%[a0])" BCAST ", %[bv], %[c4]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+5*" #ESZ "(%[a0])" BCAST ", %[bv], %[c5]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+0*" #ESZ "(%[a1])" BCAST ", %[bv], %[c6]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+1*" #ESZ "(%[a1])" BCAST ", %[bv], %[c7]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+2*" #ESZ "(%[a1])" BCAST ", %[bv], %[c8]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+3*" #ESZ "(%[a1])" BCAST ", %[bv], %[c9]\n\t"                       \
    "vfmadd231" BC " " #AOFF "+4*" #ESZ "(%[a1])" BCAST ", %[bv], %[c10]\n\t"                      \
    "vfmadd231" BC " " #AOFF "+5*" #ESZ "(%[a1])" BCAST ", %[bv], %[c11]\n\t"

/* The k loop (unrolled by 4) shared by both precisions: ESZ is the element
 * size, BC the instruction suffix, BCAST the broadcast decoration. */
#define K512_LOOP(ESZ, BC)                                                                         \
    "vpxord %[c0], %[c0], %[c0]\n\t"                                                               \
    "vpxord %[c1], %[c1], %[c1]\n\t"                                                               \
    "vpxord %[c2], %[c2], %[c2]\n\t"                                                               \
    "vpxord %[c3], %[c3], %[c3]\n\t"                                                               \
    "vpxord %[c4], %[c4], %[c4]\n\t"                                                               \
    "vpxord %[c5], %[c5], %[c5]\n\t"                                                               \
    "vpxord %[c6], %[c6], %[c6]\n\t"                                                               \
    "vpxord %[c7], %[c7], %[c7]\n\t"                                                               \
    "vpxord %[c8], %[c8], %[c8]\n\t"                                                               \
    "vpxord %[c9], %[c9], %[c9]\n\t"                                                               \
    "vpxord %[c10], %[c10], %[c10]\n\t"                                                            \
    "vpxord %[c11], %[c11], %[c11]\n\t"                                                            \
    "test %[n4], %[n4]\n\t"                                                                        \
    "jz 2f\n\t"                                                                                    \
    "1:\n\t"                                                                                       \
    "prefetcht0 384(%[a0])\n\t"                                                                    \
    "prefetcht0 384(%[a1])\n\t" K512_STEP(0, 0, ESZ, BC) K512_STEP(64, 6 * ESZ, ESZ, BC)           \
        K512_STEP(128, 12 * ESZ, ESZ, BC) K512_STEP(                                               \
            192, 18 * ESZ, ESZ, BC) "add $24*" #ESZ ", %[a0]\n\t"                                  \
                                    "add $24*" #ESZ ", %[a1]\n\t"                                  \
                                    "add $256, %[b]\n\t"                                           \
                                    "dec %[n4]\n\t"                                                \
                                    "jnz 1b\n\t"                                                   \
                                    "2:\n\t"                                                       \
                                    "test %[n1], %[n1]\n\t"                                        \
                                    "jz 4f\n\t"                                                    \
                                    "3:\n\t" K512_STEP(0, 0, ESZ, BC) "add $6*" #ESZ ", %[a0]\n\t" \
                                                                      "add $6*" #ESZ ", %[a1]\n\t" \
                                                                      "add $64, %[b]\n\t"          \
                                                                      "dec %[n1]\n\t"              \
                                                                      "jnz 3b\n\t"                 \
                                                                      "4:\n\t"

#define K512_OPERANDS                                                                              \
    : [a0] "+r"(a0), [a1] "+r"(a1), [b] "+r"(b), [n4] "+r"(n4), [n1] "+r"(n1), \
      [c0] "=v"(c[0]), [c1] "=v"(c[1]), [c2] "=v"(c[2]), [c3] "=v"(c[3]),     \
      [c4] "=v"(c[4]), [c5] "=v"(c[5]), [c6] "=v"(c[6]), [c7] "=v"(c[7]),     \
      [c8] "=v"(c[8]), [c9] "=v"(c[9]), [c10] "=v"(c[10]), [c11] "=v"(c[11]), \
      [bv] "=v"(bv)                                                           \
    :                                                                         \
    : "cc", "memory"

/* 12 × 8 doubles: rows 0–5 from sliver a0, rows 6–11 from sliver a1. */
BP_AVX512 void bp_dkernel2_avx512(size_t kc, const double *a0, const double *a1, const double *b,
                                  double *C, size_t ldc, double alpha, double beta, size_t nr) {
    __m512d c[12], bv;
    size_t n4 = kc / 4, n1 = kc % 4;
#define BCAST "%{1to8%}"
    __asm__(K512_LOOP(8, "pd") K512_OPERANDS);
#undef BCAST
    (void)bv;
    __m512d va = _mm512_set1_pd(alpha), vb = _mm512_set1_pd(beta);
    __mmask8 mask = (__mmask8)((1u << nr) - 1u);
    int read_c = beta != 0.0;
    for (int i = 0; i < 12; i++) {
        double *row = C + (size_t)i * ldc;
        __m512d v = _mm512_mul_pd(va, c[i]);
        if (read_c) v = _mm512_add_pd(v, _mm512_mul_pd(vb, _mm512_maskz_loadu_pd(mask, row)));
        _mm512_mask_storeu_pd(row, mask, v);
    }
}

/* 12 × 16 floats, the same way. */
BP_AVX512 void bp_skernel2_avx512(size_t kc, const float *a0, const float *a1, const float *b,
                                  float *C, size_t ldc, float alpha, float beta, size_t nr) {
    __m512 c[12], bv;
    size_t n4 = kc / 4, n1 = kc % 4;
#define BCAST "%{1to16%}"
    __asm__(K512_LOOP(4, "ps") K512_OPERANDS);
#undef BCAST
    (void)bv;
    __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
    __mmask16 mask = (__mmask16)((1u << nr) - 1u);
    int read_c = beta != 0.0f;
    for (int i = 0; i < 12; i++) {
        float *row = C + (size_t)i * ldc;
        __m512 v = _mm512_mul_ps(va, c[i]);
        if (read_c) v = _mm512_add_ps(v, _mm512_mul_ps(vb, _mm512_maskz_loadu_ps(mask, row)));
        _mm512_mask_storeu_ps(row, mask, v);
    }
}


/* One k step of the 12 × 2-sliver kernel: both B slivers' rows (64 bytes
 * each at BOFF) into zmm29/zmm30, then each of the 12 A values broadcast
 * once into zmm31 and used for two FMAs, into zmm0–11 (first sliver) and
 * zmm12–23 (second). 14 loads per 24 FMAs, against 13 per 12 in the
 * one-sliver kernel, whose loads rather than its FMAs bound it on Zen 5. */
#define K22_STEP(BOFF, AOFF, ESZ, BC, BRD)                                                         \
    "vmovaps " #BOFF "(%[b0]), %%zmm29\n\t"                                                        \
    "vmovaps " #BOFF "(%[b1]), %%zmm30\n\t"                                                        \
    "vbroadcasts" BRD " " #AOFF "+0*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm0\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm12\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+1*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm1\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm13\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+2*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm2\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm14\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+3*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm3\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm15\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+4*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm4\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm16\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+5*" #ESZ "(%[a0]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm5\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm17\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+0*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm6\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm18\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+1*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm7\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm19\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+2*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm8\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm20\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+3*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm9\n\t"                                                 \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm21\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+4*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm10\n\t"                                                \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm22\n\t"                                                \
    "vbroadcasts" BRD " " #AOFF "+5*" #ESZ "(%[a1]), %%zmm31\n\t"                                  \
    "vfmadd231" BC " %%zmm31, %%zmm29, %%zmm11\n\t"                                                \
    "vfmadd231" BC " %%zmm31, %%zmm30, %%zmm23\n\t"

/* The k loop (unrolled by 4), counting kc down; the 24 accumulators are
 * stored to acc[] at the end (fixed registers, because GCC allows at most
 * 30 asm operands: one tile's 24 stores and loads against its 24·kc FMAs). */
#define K22_LOOP(ESZ, BC, BRD)                                                                     \
    "vpxord %%zmm0, %%zmm0, %%zmm0\n\t"                                                            \
    "vpxord %%zmm1, %%zmm1, %%zmm1\n\t"                                                            \
    "vpxord %%zmm2, %%zmm2, %%zmm2\n\t"                                                            \
    "vpxord %%zmm3, %%zmm3, %%zmm3\n\t"                                                            \
    "vpxord %%zmm4, %%zmm4, %%zmm4\n\t"                                                            \
    "vpxord %%zmm5, %%zmm5, %%zmm5\n\t"                                                            \
    "vpxord %%zmm6, %%zmm6, %%zmm6\n\t"                                                            \
    "vpxord %%zmm7, %%zmm7, %%zmm7\n\t"                                                            \
    "vpxord %%zmm8, %%zmm8, %%zmm8\n\t"                                                            \
    "vpxord %%zmm9, %%zmm9, %%zmm9\n\t"                                                            \
    "vpxord %%zmm10, %%zmm10, %%zmm10\n\t"                                                         \
    "vpxord %%zmm11, %%zmm11, %%zmm11\n\t"                                                         \
    "vpxord %%zmm12, %%zmm12, %%zmm12\n\t"                                                         \
    "vpxord %%zmm13, %%zmm13, %%zmm13\n\t"                                                         \
    "vpxord %%zmm14, %%zmm14, %%zmm14\n\t"                                                         \
    "vpxord %%zmm15, %%zmm15, %%zmm15\n\t"                                                         \
    "vpxord %%zmm16, %%zmm16, %%zmm16\n\t"                                                         \
    "vpxord %%zmm17, %%zmm17, %%zmm17\n\t"                                                         \
    "vpxord %%zmm18, %%zmm18, %%zmm18\n\t"                                                         \
    "vpxord %%zmm19, %%zmm19, %%zmm19\n\t"                                                         \
    "vpxord %%zmm20, %%zmm20, %%zmm20\n\t"                                                         \
    "vpxord %%zmm21, %%zmm21, %%zmm21\n\t"                                                         \
    "vpxord %%zmm22, %%zmm22, %%zmm22\n\t"                                                         \
    "vpxord %%zmm23, %%zmm23, %%zmm23\n\t"                                                         \
    "cmp $4, %[kc]\n\t"                                                                            \
    "jb 2f\n\t"                                                                                    \
    "1:\n\t"                                                                                       \
    "prefetcht0 384(%[a0])\n\t"                                                                    \
    "prefetcht0 384(%[a1])\n\t" K22_STEP(0, 0, ESZ, BC, BRD) K22_STEP(64, 6 * ESZ, ESZ, BC, BRD)   \
        K22_STEP(128, 12 * ESZ, ESZ, BC, BRD) K22_STEP(                                            \
            192, 18 * ESZ, ESZ, BC,                                                                \
            BRD) "add $24*" #ESZ ", %[a0]\n\t"                                                     \
                 "add $24*" #ESZ ", %[a1]\n\t"                                                     \
                 "add $256, %[b0]\n\t"                                                             \
                 "add $256, %[b1]\n\t"                                                             \
                 "sub $4, %[kc]\n\t"                                                               \
                 "cmp $4, %[kc]\n\t"                                                               \
                 "jae 1b\n\t"                                                                      \
                 "2:\n\t"                                                                          \
                 "test %[kc], %[kc]\n\t"                                                           \
                 "jz 4f\n\t"                                                                       \
                 "3:\n\t" K22_STEP(0, 0, ESZ, BC, BRD) "add $6*" #ESZ ", %[a0]\n\t"                \
                                                       "add $6*" #ESZ ", %[a1]\n\t"                \
                                                       "add $64, %[b0]\n\t"                        \
                                                       "add $64, %[b1]\n\t"                        \
                                                       "dec %[kc]\n\t"                             \
                                                       "jnz 3b\n\t"                                \
                                                       "4:\n\t"                                    \
                                                       "vmovups %%zmm0, 0(%[acc])\n\t"             \
                                                       "vmovups %%zmm1, 64(%[acc])\n\t"            \
                                                       "vmovups %%zmm2, 128(%[acc])\n\t"           \
                                                       "vmovups %%zmm3, 192(%[acc])\n\t"           \
                                                       "vmovups %%zmm4, 256(%[acc])\n\t"           \
                                                       "vmovups %%zmm5, 320(%[acc])\n\t"           \
                                                       "vmovups %%zmm6, 384(%[acc])\n\t"           \
                                                       "vmovups %%zmm7, 448(%[acc])\n\t"           \
                                                       "vmovups %%zmm8, 512(%[acc])\n\t"           \
                                                       "vmovups %%zmm9, 576(%[acc])\n\t"           \
                                                       "vmovups %%zmm10, 640(%[acc])\n\t"          \
                                                       "vmovups %%zmm11, 704(%[acc])\n\t"          \
                                                       "vmovups %%zmm12, 768(%[acc])\n\t"          \
                                                       "vmovups %%zmm13, 832(%[acc])\n\t"          \
                                                       "vmovups %%zmm14, 896(%[acc])\n\t"          \
                                                       "vmovups %%zmm15, 960(%[acc])\n\t"          \
                                                       "vmovups %%zmm16, 1024(%[acc])\n\t"         \
                                                       "vmovups %%zmm17, 1088(%[acc])\n\t"         \
                                                       "vmovups %%zmm18, 1152(%[acc])\n\t"         \
                                                       "vmovups %%zmm19, 1216(%[acc])\n\t"         \
                                                       "vmovups %%zmm20, 1280(%[acc])\n\t"         \
                                                       "vmovups %%zmm21, 1344(%[acc])\n\t"         \
                                                       "vmovups %%zmm22, 1408(%[acc])\n\t"         \
                                                       "vmovups %%zmm23, 1472(%[acc])\n\t"

#define K22_OPERANDS                                                                               \
    : [a0] "+r"(a0), [a1] "+r"(a1), [b0] "+r"(b0), [b1] "+r"(b1), [kc] "+r"(kc) \
    : [acc] "r"(acc)                                                          \
    : "cc", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6",   \
      "xmm7", "xmm8", "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14",     \
      "xmm15", "xmm16", "xmm17", "xmm18", "xmm19", "xmm20", "xmm21", "xmm22",  \
      "xmm23", "xmm29", "xmm30", "xmm31"

/* The unrolled loop is one asm string of about 9000 characters, past the
 * 4095 that ISO C requires compilers to accept; GCC and clang take it. */
#if defined(__clang__)
#pragma clang diagnostic push
#pragma clang diagnostic ignored "-Woverlength-strings"
#endif

/* 12 rows × two full NR-column slivers (b0, then b1, the next sliver):
 * C[:, 0:NR] from the first 12 accumulators, C[:, NR:2NR] from the other
 * 12, with the one-sliver kernels' per-element operations (same bits).
 * Only the first mr ≤ 12 rows are stored: the last rows of a block come
 * through here too, at AVX-512 width, with a1 pointing at any readable
 * sliver when there is no second one. */
/* Both precisions from one definition: R the element type, V its zmm
 * type, X the intrinsics' suffix (pd, ps), ESZ/BC/BRD as in K22_LOOP, NR
 * the sliver width. */
#define K22_KERNEL(NAME, R, V, X, ESZ, BC, BRD, NR)                                                \
    BP_AVX512 void NAME(size_t kc, const R *a0, const R *a1, const R *b0, const R *b1, R *C,       \
                        size_t ldc, R alpha, R beta, size_t mr) {                                  \
        V acc[24];                                                                                 \
        __asm__ volatile(K22_LOOP(ESZ, BC, BRD) K22_OPERANDS);                                     \
        V va = _mm512_set1_##X(alpha), vb = _mm512_set1_##X(beta);                                 \
        int read_c = beta != (R)0;                                                                 \
        for (size_t i = 0; i < mr; i++) {                                                          \
            R *row = C + i * ldc;                                                                  \
            V v = _mm512_mul_##X(va, acc[i]), w = _mm512_mul_##X(va, acc[12 + i]);                 \
            if (read_c) {                                                                          \
                v = _mm512_add_##X(v, _mm512_mul_##X(vb, _mm512_loadu_##X(row)));                  \
                w = _mm512_add_##X(w, _mm512_mul_##X(vb, _mm512_loadu_##X(row + NR)));             \
            }                                                                                      \
            _mm512_storeu_##X(row, v);                                                             \
            _mm512_storeu_##X(row + NR, w);                                                        \
        }                                                                                          \
    }

K22_KERNEL(bp_dkernel22_avx512, double, __m512d, pd, 8, "pd", "d", 8)
K22_KERNEL(bp_skernel22_avx512, float, __m512, ps, 4, "ps", "s", 16)

#if defined(__clang__)
#pragma clang diagnostic pop
#endif

/* ---- packing of op(A) = Aᵀ, floats -------------------------------------------
 *
 * The rows of Aᵀ are columns of A, so a sliver takes six contiguous values
 * from each row p of A, and like the AVX2 packer each pass over p serves up
 * to eight slivers (see gemm/kernels/avx2.c). Where that packer copies four
 * values and then two per row, masks here make rows p and p + 1 of two
 * slivers two 12-value stores, a quarter to a third less time per block.
 * (Doubles gain nothing this way: six doubles are already one 4-wide and
 * one 2-wide copy.) The product's rows of A
 * (op(A) = A) keep the AVX2 packers. */

/* Floats: rows p and p + 1 of `pairs` pairs of neighbouring slivers (12
 * values each), regrouped by two permutes into one 12-value run per
 * sliver. Always inlined with a constant `pairs`: clang compiles a loop
 * over a variable count into much slower code. */
static inline __attribute__((always_inline, target("avx512f"))) void spack_at_pairs(
    const float *A, size_t lda, size_t kc, size_t pairs, float *dst) {
    const __m512i first = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 16, 17, 18, 19, 20, 21, 0, 0, 0, 0);
    const __m512i second =
        _mm512_setr_epi32(6, 7, 8, 9, 10, 11, 22, 23, 24, 25, 26, 27, 0, 0, 0, 0);
    const __mmask16 six = 0x003f, twelve = 0x0fff, upper_six = 0x0fc0;
    size_t p = 0;
    for (; p + 2 <= kc; p += 2)
        for (size_t g = 0; g < pairs; g++) {
            __m512 v0 = _mm512_maskz_loadu_ps(twelve, A + p * lda + 12 * g);
            __m512 v1 = _mm512_maskz_loadu_ps(twelve, A + (p + 1) * lda + 12 * g);
            float *d = dst + 12 * g * kc + 6 * p;
            _mm512_mask_storeu_ps(d, twelve, _mm512_permutex2var_ps(v0, first, v1));
            _mm512_mask_storeu_ps(d + 6 * kc, twelve, _mm512_permutex2var_ps(v0, second, v1));
        }
    if (p < kc)
        for (size_t g = 0; g < pairs; g++) {
            __m512 v = _mm512_maskz_loadu_ps(twelve, A + p * lda + 12 * g);
            float *d = dst + 12 * g * kc + 6 * p;
            _mm512_mask_storeu_ps(d, six, v);
            /* values 6–11 land at the second sliver's 6p: the mask skips 0–5 */
            _mm512_mask_storeu_ps(d + 6 * kc - 6, upper_six, v);
        }
}

BP_AVX512 void bp_spack_a_avx512(int trans, const float *A, size_t lda, size_t kc, size_t nsl,
                                 float *dst) {
    if (!trans) {
        bp_spack_a_avx2(0, A, lda, kc, nsl, dst);
        return;
    }
    const __mmask16 six = 0x003f, twelve = 0x0fff, upper_six = 0x0fc0;
    size_t sl = 0;
    /* whole groups, then the pairs left in groups of 2 and 1 */
    for (; sl + BP_PACK_A_GROUP <= nsl;
         sl += BP_PACK_A_GROUP, A += 6 * BP_PACK_A_GROUP, dst += 6 * BP_PACK_A_GROUP * kc)
        spack_at_pairs(A, lda, kc, BP_PACK_A_GROUP / 2, dst);
    for (; sl + 4 <= nsl; sl += 4, A += 24, dst += 24 * kc) spack_at_pairs(A, lda, kc, 2, dst);
    for (; sl + 2 <= nsl; sl += 2, A += 12, dst += 12 * kc) spack_at_pairs(A, lda, kc, 1, dst);
    if (sl < nsl) {
        /* a last single sliver: row p + 1 loaded into lanes 6–11 directly */
        size_t p = 0;
        for (; p + 2 <= kc; p += 2) {
            __m512 v = _mm512_maskz_loadu_ps(six, A + p * lda);
            v = _mm512_mask_loadu_ps(v, upper_six, A + (p + 1) * lda - 6);
            _mm512_mask_storeu_ps(dst + 6 * p, twelve, v);
        }
        if (p < kc)
            _mm512_mask_storeu_ps(dst + 6 * p, six, _mm512_maskz_loadu_ps(six, A + p * lda));
    }
}

#else
/* ISO C wants at least one declaration in a translation unit. */
typedef int bp_gemm_kernel_avx512_unused;
#endif
