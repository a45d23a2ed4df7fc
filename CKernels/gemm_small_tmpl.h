/*
 * gemm_small_tmpl.h — the unpacked AVX-512 kernels for small products
 * (gemm_small_avx512.c), written once and included there once per
 * precision (no include guard on purpose). Before each inclusion the
 * including file defines:
 *
 *   R                  element type (double, float)
 *   S(name)            the precision's private names (name##_d, name##_s)
 *   S_VEC, S_MASK      the vector of R (__m512d, __m512) and its lane mask
 *   S_LANES            lanes per vector (8, 16): a tile is 2·S_LANES wide
 *   S_ZERO, S_SET1, S_FMA, S_MUL, S_ADD, S_LOAD (masked, zeroing),
 *   S_STORE (masked)   the intrinsics
 *   S_ENTRY            the entry point to define
 *   S_TRANSPOSE        optional: Bt ← Bᵀ into a k × n buffer, for op(B) = Bᵀ;
 *                      without it the entry takes op(B) = B only (the
 *                      driver sends the other case to the packed kernels)
 */

/* Stores one row of a tile: alpha·acc, plus beta·C when beta ≠ 0, each
 * product rounded on its own (as the packed kernels do). */
static inline __attribute__((always_inline, target("avx512f")))
void S(small_store)(R *c, S_VEC v0, S_VEC v1, S_VEC va, S_VEC vb, int scale, int read_c,
                    S_MASK m0, S_MASK m1) {
    if (scale) {   /* alpha ≠ 1 (1·acc is acc: skipping it changes no bit) */
        v0 = S_MUL(va, v0);
        v1 = S_MUL(va, v1);
    }
    if (read_c) {
        v0 = S_ADD(v0, S_MUL(vb, S_LOAD(m0, c)));
        v1 = S_ADD(v1, S_MUL(vb, S_LOAD(m1, c + S_LANES)));
    }
    S_STORE(c, m0, v0);
    S_STORE(c + S_LANES, m1, v1);
}

/* The accumulators are named variables, not an array: GCC keeps an array
 * of vectors in memory (a third of the speed). One tile function per row
 * count (8, 4, 2, 1) and per op(A) (A, or Aᵀ: OPA_N, OPA_T). */
#define OPA_N(i, p) A[(i) * lda + (p)]
#define OPA_T(i, p) A[(p) * lda + (i)]
#define ROW_DECL(r) S_VEC c##r##0 = S_ZERO(), c##r##1 = S_ZERO();
#define ROW_FMA(r, OPA)                                                        \
    { S_VEC a_ = S_SET1(OPA(i0 + r, p));                                        \
      c##r##0 = S_FMA(a_, b0, c##r##0);                                         \
      c##r##1 = S_FMA(a_, b1, c##r##1); }
#define ROW_STORE(r) S(small_store)(C + (i0 + r) * ldc + j0, c##r##0, c##r##1, va, vb, scale, \
                                    read_c, m0, m1);

/* GCC: unrolling k by 4 helps (+3 %); clang's own choice is better than
 * that (its 4-way unroll spilled accumulators: −30 %). */
#if defined(__clang__)
#define SMALL_UNROLL
#else
#define SMALL_UNROLL _Pragma("GCC unroll 4")
#endif

#define SMALL_TILE(NAME, OPA, ROWS_DECL, ROWS_FMA, ROWS_STORE)                 \
    static __attribute__((target("avx512f")))                                  \
    void NAME(size_t k, const R *A, size_t lda, const R *B, size_t ldb, R alpha,     \
              R beta, R *C, size_t ldc, size_t i0, size_t j0, S_MASK m0,       \
              S_MASK m1) {                                                     \
        ROWS_DECL                                                              \
        SMALL_UNROLL                                                           \
        for (size_t p = 0; p < k; p++) {                                       \
            const R *b = B + p * ldb + j0;                                     \
            S_VEC b0 = S_LOAD(m0, b);                                          \
            S_VEC b1 = S_LOAD(m1, b + S_LANES);                                \
            ROWS_FMA(OPA)                                                      \
        }                                                                      \
        S_VEC va = S_SET1(alpha), vb = S_SET1(beta);                           \
        int read_c = beta != (R)0, scale = alpha != (R)1;                      \
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

SMALL_TILE(S(tile8_n), OPA_N, D8, F8, S8)
SMALL_TILE(S(tile4_n), OPA_N, D4, F4, S4)
SMALL_TILE(S(tile2_n), OPA_N, D2, F2, S2)
SMALL_TILE(S(tile1_n), OPA_N, D1, F1, S1)
SMALL_TILE(S(tile8_t), OPA_T, D8, F8, S8)
SMALL_TILE(S(tile4_t), OPA_T, D4, F4, S4)
SMALL_TILE(S(tile2_t), OPA_T, D2, F2, S2)
SMALL_TILE(S(tile1_t), OPA_T, D1, F1, S1)

typedef void (*S(tile_fn))(size_t, const R *, size_t, const R *, size_t, R, R, R *, size_t,
                           size_t, size_t, S_MASK, S_MASK);

BP_AVX512 void S_ENTRY(int ta, int tb, size_t m, size_t n, size_t k, R alpha, const R *A,
                       size_t lda, const R *B, size_t ldb, R beta, R *C, size_t ldc) {
#if defined(S_TRANSPOSE)
    /* op(B) = Bᵀ: transposed once into L1 (at most 64 × 64 values, 32 KiB
     * of doubles), then the same tiles — the same operations on every
     * element, so still the packed kernels' bits. */
    _Alignas(64) R Bt[BP_GEMM_SMALL_MAX * BP_GEMM_SMALL_MAX];
    if (tb) {
        S_TRANSPOSE(n, k, B, ldb, Bt);
        B = Bt;
        ldb = n;
    }
#else
    (void)tb;   /* always 0 here (gemm_driver_tmpl.h) */
#endif
    /* rows in tiles of 8, the rest as 4 + 2 + 1; columns in tiles of
     * 2·S_LANES, the last one masked */
    const S(tile_fn) t8 = ta ? S(tile8_t) : S(tile8_n), t4 = ta ? S(tile4_t) : S(tile4_n),
                     t2 = ta ? S(tile2_t) : S(tile2_n), t1 = ta ? S(tile1_t) : S(tile1_n);
    const size_t lanes = S_LANES, full = ((size_t)1 << S_LANES) - 1;
    for (size_t j0 = 0; j0 < n; j0 += 2 * lanes) {
        size_t w = n - j0 < 2 * lanes ? n - j0 : 2 * lanes;
        S_MASK m0 = (S_MASK)(w >= lanes ? full : ((size_t)1 << w) - 1);
        S_MASK m1 = (S_MASK)(w <= lanes ? 0 : ((size_t)1 << (w - lanes)) - 1);
        size_t i0 = 0;
        for (; i0 + 8 <= m; i0 += 8) t8(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1);
        if (m - i0 >= 4) { t4(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1); i0 += 4; }
        if (m - i0 >= 2) { t2(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1); i0 += 2; }
        if (m - i0 >= 1) t1(k, A, lda, B, ldb, alpha, beta, C, ldc, i0, j0, m0, m1);
    }
}

#undef OPA_N
#undef OPA_T
#undef ROW_DECL
#undef ROW_FMA
#undef ROW_STORE
#undef SMALL_UNROLL
#undef SMALL_TILE
#undef D8
#undef F8
#undef S8
#undef D4
#undef F4
#undef S4
#undef D2
#undef F2
#undef S2
#undef D1
#undef F1
#undef S1
