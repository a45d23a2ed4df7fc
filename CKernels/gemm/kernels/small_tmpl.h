/*
 * gemm/kernels/small_tmpl.h — the unpacked AVX-512 kernels for small products
 * (gemm/kernels/small_avx512.c), written once and included there once per
 * precision (no include guard on purpose). Before each inclusion the
 * including file defines:
 *
 *   R                  element type (double, float)
 *   S(name)            the precision's private names (name##_d, name##_s)
 *   S_VEC, S_MASK      the vector of R (__m512d, __m512) and its lane mask
 *   S_LANES            lanes per vector (8, 16): a tile is 1–3 vectors wide
 *   S_ZERO, S_SET1, S_FMA, S_MUL, S_ADD, S_LOAD (masked, zeroing),
 *   S_STORE (masked), S_LOADU, S_STOREU (unmasked)   the intrinsics
 *   S_ENTRY            the entry point to define
 *   S_TRANSPOSE        Bt ← Bᵀ into a k × n buffer, for op(B) = Bᵀ
 */

/* Stores one vector of a tile row: alpha·acc, plus beta·C when beta ≠ 0,
 * each product rounded on its own (as the packed kernels do). Only the
 * last vector of a row that runs past column n is masked (masked is a
 * constant at every call: the test folds away). */
static inline __attribute__((always_inline, target("avx512f"))) void S(small_store)(
    R *c, S_VEC v, S_VEC va, S_VEC vb, int scale, int read_c, S_MASK m, int masked) {
    if (scale) v = S_MUL(va, v); /* alpha ≠ 1 (1·acc is acc: skipping it changes no bit) */
    if (read_c) v = S_ADD(v, S_MUL(vb, masked ? S_LOAD(m, c) : S_LOADU(c)));
    if (masked) S_STORE(c, m, v);
    else S_STOREU(c, v);
}

/* A tile is ROWS rows × V vectors of C (V = 1, 2, 3), in ROWS·V
 * accumulators. The accumulators are named variables, not an array: GCC
 * keeps an array of vectors in memory (a third of the speed). The macros
 * below spell a tile out row by row: ROWSn(X, OPA, MK) applies X to rows
 * 0 … n−1, and Vv_DECL / Vv_LOAD / Vv_FMA / Vv_STORE are one row's (or
 * one k step's) work for a tile v vectors wide. op(A) is A or Aᵀ (OPA_N,
 * OPA_T). MK is FULL or MASK: whether the tile's last vector is masked by
 * mlast (the other vectors never are; masked loads and stores cost ~5 %
 * at n = 16). */
#define OPA_N(r, p) A[(r) * lda + (p)]
#define OPA_T(r, p) A[(p) * lda + (r)]
#define ROWS8(X, OPA, MK)                                                                          \
    X(0, OPA, MK)                                                                                  \
    X(1, OPA, MK)                                                                                  \
    X(2, OPA, MK) X(3, OPA, MK) X(4, OPA, MK) X(5, OPA, MK) X(6, OPA, MK) X(7, OPA, MK)
#define ROWS4(X, OPA, MK) X(0, OPA, MK) X(1, OPA, MK) X(2, OPA, MK) X(3, OPA, MK)
#define ROWS2(X, OPA, MK) X(0, OPA, MK) X(1, OPA, MK)
#define ROWS1(X, OPA, MK) X(0, OPA, MK)

#define LD_FULL(p) S_LOADU(p)
#define LD_MASK(p) S_LOAD(mlast, p)
#define ST_FULL(c, v) S(small_store)(c, v, va, vb, scale, read_c, mlast, 0);
#define ST_MASK(c, v) S(small_store)(c, v, va, vb, scale, read_c, mlast, 1);
#define V1_DECL(r, OPA, MK) S_VEC c##r##0 = S_ZERO();
#define V2_DECL(r, OPA, MK) V1_DECL(r, OPA, MK) S_VEC c##r##1 = S_ZERO();
#define V3_DECL(r, OPA, MK) V2_DECL(r, OPA, MK) S_VEC c##r##2 = S_ZERO();
#define V1_LOAD(MK) S_VEC b0 = LD_##MK(b);
#define V2_LOAD(MK) S_VEC b0 = LD_FULL(b), b1 = LD_##MK(b + S_LANES);
#define V3_LOAD(MK) S_VEC b0 = LD_FULL(b), b1 = LD_FULL(b + S_LANES), b2 = LD_##MK(b + 2 * S_LANES);
#define V1_FMA(r, OPA, MK)                                                                         \
    S_VEC a##r = S_SET1(OPA(r, p));                                                                \
    c##r##0 = S_FMA(a##r, b0, c##r##0);
#define V2_FMA(r, OPA, MK) V1_FMA(r, OPA, MK) c##r##1 = S_FMA(a##r, b1, c##r##1);
#define V3_FMA(r, OPA, MK) V2_FMA(r, OPA, MK) c##r##2 = S_FMA(a##r, b2, c##r##2);
#define CROW(r) (C + (r) * ldc)
#define V1_STORE(r, OPA, MK) ST_##MK(CROW(r), c##r##0)
#define V2_STORE(r, OPA, MK) ST_FULL(CROW(r), c##r##0) ST_##MK(CROW(r) + S_LANES, c##r##1)
#define V3_STORE(r, OPA, MK)                                                                       \
    ST_FULL(CROW(r), c##r##0)                                                                      \
    ST_FULL(CROW(r) + S_LANES, c##r##1) ST_##MK(CROW(r) + 2 * S_LANES, c##r##2)

/* Unrolling the k loop, per op(A) (UNROLL_OPA_N, UNROLL_OPA_T). GCC: by 4
 * helps (+3 %). clang: its own choice is better for op(A) = A (unrolled
 * by 2 or 4 it spills accumulators of the 3-vector tiles: −20 to −30 %);
 * for Aᵀ, whose row of op(A) is one contiguous run, by 2 (+2 % at n = 16). */
#if defined(__clang__)
#define UNROLL_OPA_N
#define UNROLL_OPA_T _Pragma("clang loop unroll_count(2)")
#else
#define UNROLL_OPA_N _Pragma("GCC unroll 4")
#define UNROLL_OPA_T _Pragma("GCC unroll 4")
#endif

#define SMALL_TILE(NAME, OPA, ROWS, V, MK)                                                         \
    static inline __attribute__((always_inline, target("avx512f"))) void NAME(                     \
        size_t k, const R *A, size_t lda, const R *B, size_t ldb, R alpha, R beta, R *C,           \
        size_t ldc, S_MASK mlast) {                                                                \
        (void)mlast;                                                                               \
        ROWS(V##_DECL, OPA, MK)                                                                    \
        UNROLL_##OPA for (size_t p = 0; p < k; p++) {                                              \
            const R *b = B + p * ldb;                                                              \
            V##_LOAD(MK) ROWS(V##_FMA, OPA, MK)                                                    \
        }                                                                                          \
        S_VEC va = S_SET1(alpha), vb = S_SET1(beta);                                               \
        int read_c = beta != (R)0, scale = alpha != (R)1;                                          \
        if (read_c || scale) {                                                                     \
            ROWS(V##_STORE, OPA, MK)                                                               \
        } else {                                                                                   \
            /* C = op(A)·op(B), the common case: the same stores with the     \
             * tests folded away (constants shadow the flags) */                   \
            enum { read_c = 0, scale = 0 };                                                        \
            ROWS(V##_STORE, OPA, MK)                                                               \
        }                                                                                          \
    }

/* one tile per (op(A), last vector masked or not, vectors, rows 8/4/2/1) */
#define SMALL_TILES(OPA, T, MK, V)                                                                 \
    SMALL_TILE(S(tile8_##T##MK##V), OPA, ROWS8, V, MK)                                             \
    SMALL_TILE(S(tile4_##T##MK##V), OPA, ROWS4, V, MK)                                             \
    SMALL_TILE(S(tile2_##T##MK##V), OPA, ROWS2, V, MK)                                             \
    SMALL_TILE(S(tile1_##T##MK##V), OPA, ROWS1, V, MK)
#define SMALL_TILES_V(OPA, T, MK)                                                                  \
    SMALL_TILES(OPA, T, MK, V1) SMALL_TILES(OPA, T, MK, V2) SMALL_TILES(OPA, T, MK, V3)
SMALL_TILES_V(OPA_N, n, FULL)
SMALL_TILES_V(OPA_N, n, MASK)
SMALL_TILES_V(OPA_T, t, FULL)
SMALL_TILES_V(OPA_T, t, MASK)

/* The tiles of one column block, rows in tiles of 8, the rest as 4 + 2 + 1;
 * each tile gets its first row of op(A) (row i0 of A, or column i0), its
 * columns of B and its corner of C. */
#define SMALL_ROW_TILES(T, MK, V)                                                                  \
    {                                                                                              \
        size_t i0 = 0;                                                                             \
        for (; i0 + 8 <= m; i0 += 8)                                                               \
            S(tile8_##T##MK##V)(k, A + i0 * a_step, lda, b, ldb, alpha, beta, C + i0 * ldc + j0,   \
                                ldc, last);                                                        \
        if (m - i0 >= 4) {                                                                         \
            S(tile4_##T##MK##V)(k, A + i0 * a_step, lda, b, ldb, alpha, beta, C + i0 * ldc + j0,   \
                                ldc, last);                                                        \
            i0 += 4;                                                                               \
        }                                                                                          \
        if (m - i0 >= 2) {                                                                         \
            S(tile2_##T##MK##V)(k, A + i0 * a_step, lda, b, ldb, alpha, beta, C + i0 * ldc + j0,   \
                                ldc, last);                                                        \
            i0 += 2;                                                                               \
        }                                                                                          \
        if (m - i0 >= 1)                                                                           \
            S(tile1_##T##MK##V)(k, A + i0 * a_step, lda, b, ldb, alpha, beta, C + i0 * ldc + j0,   \
                                ldc, last);                                                        \
    }                                                                                              \
    break;

BP_AVX512 void S_ENTRY(int ta, int tb, size_t m, size_t n, size_t k, R alpha, const R *A,
                       size_t lda, const R *B, size_t ldb, R beta, R *C, size_t ldc) {
    /* op(B) = Bᵀ: transposed once into L1 (at most 64 × 64 values, 32 KiB
     * of doubles), then the same tiles — the same operations on every
     * element, so still the packed kernels' bits. */
    _Alignas(64) R Bt[BP_GEMM_SMALL_MAX * BP_GEMM_SMALL_MAX];
    if (tb) {
        S_TRANSPOSE(n, k, B, ldb, Bt);
        B = Bt;
        ldb = n;
    }
    /* Columns in tiles of three vectors (24 accumulators of the 32
     * registers: the most multiply-adds per load of B), and a last tile of
     * one or two vectors — four vectors left go as 2 + 2, not 3 + 1, since
     * a one-vector tile does one broadcast of A per multiply-add. Only the
     * last vector of all is masked. Rows in tiles of 8, the rest as
     * 4 + 2 + 1. */
    const size_t lanes = S_LANES;
    const size_t nv = (n + lanes - 1) / lanes, tail = n - (nv - 1) * lanes;
    const S_MASK last = (S_MASK)(((size_t)1 << tail) - 1);
    for (size_t jv = 0; jv < nv;) {
        size_t left = nv - jv, v = left == 4 ? 2 : left >= 3 ? 3 : left;
        int masked = jv + v == nv && tail < lanes;
        const size_t j0 = jv * lanes, a_step = ta ? 1 : lda;
        const R *b = B + j0;
        /* the tiles are inlined here, one switch case per kind (each tile
         * function is used once: no copies), so no call passes arguments */
        switch ((ta ? 6 : 0) + (masked ? 3 : 0) + (int)v - 1) {
        case 0: SMALL_ROW_TILES(n, FULL, V1)
        case 1: SMALL_ROW_TILES(n, FULL, V2)
        case 2: SMALL_ROW_TILES(n, FULL, V3)
        case 3: SMALL_ROW_TILES(n, MASK, V1)
        case 4: SMALL_ROW_TILES(n, MASK, V2)
        case 5: SMALL_ROW_TILES(n, MASK, V3)
        case 6: SMALL_ROW_TILES(t, FULL, V1)
        case 7: SMALL_ROW_TILES(t, FULL, V2)
        case 8: SMALL_ROW_TILES(t, FULL, V3)
        case 9: SMALL_ROW_TILES(t, MASK, V1)
        case 10: SMALL_ROW_TILES(t, MASK, V2)
        default: SMALL_ROW_TILES(t, MASK, V3)
        }
        jv += v;
    }
}

#undef OPA_N
#undef OPA_T
#undef ROWS8
#undef ROWS4
#undef ROWS2
#undef ROWS1
#undef LD_FULL
#undef LD_MASK
#undef ST_FULL
#undef ST_MASK
#undef CROW
#undef SMALL_ROW_TILES
#undef SMALL_TILES_V
#undef V1_DECL
#undef V2_DECL
#undef V3_DECL
#undef V1_LOAD
#undef V2_LOAD
#undef V3_LOAD
#undef V1_FMA
#undef V2_FMA
#undef V3_FMA
#undef V1_STORE
#undef V2_STORE
#undef V3_STORE
#undef UNROLL_OPA_N
#undef UNROLL_OPA_T
#undef SMALL_TILE
#undef SMALL_TILES
