/*
 * gemm_internal.h — what the GEMM driver and its micro-kernels share (not
 * part of the API): the tile geometry, the kernels' and packers' types, the
 * GEMM slots of a kernel set (bp_gemm_kernels; the whole per-ISA set,
 * with the network engines' slots, is runtime/dispatch.h's bp_kernel_set),
 * and the driver's entry points with their fused epilogue.
 *
 * Micro-tile geometry is fixed at compile time and identical for every
 * kernel of a precision (portable C and AVX2+FMA alike), so packing is
 * shared and only the micro-kernel changes with the CPU:
 *   double  MR × NR = 6 × 8   (12 ymm accumulators of 4 doubles)
 *   float   MR × NR = 6 × 16  (12 ymm accumulators of 8 floats)
 *
 * Block sizes (see gemm.c for how they were chosen and measured).
 */
#ifndef BP_GEMM_INTERNAL_H
#define BP_GEMM_INTERNAL_H

#include <stddef.h>
#include "bp_activation.h"
#include "bp_exec.h"
#include "bp_gemm.h"
#include "runtime/exec.h"

/* The cache blocks may be overridden at compile time (-DBP_D_MC_=...) for
 * tuning experiments; MC must stay a multiple of MR and NC of NR. */
#ifndef BP_D_MC_
#define BP_D_MC_ 120
#endif
#ifndef BP_D_KC_
#define BP_D_KC_ 256
#endif
#ifndef BP_S_MC_
#define BP_S_MC_ 120
#endif
#ifndef BP_S_KC_
#define BP_S_KC_ 512
#endif
#ifndef BP_D_NC_
#define BP_D_NC_ 2048
#endif
#ifndef BP_S_NC_
#define BP_S_NC_ 2048
#endif
enum {
    BP_D_MR = 6,
    BP_D_NR = 8,
    BP_D_MC = BP_D_MC_,
    BP_D_KC = BP_D_KC_,
    BP_D_NC = BP_D_NC_,
    BP_S_MR = 6,
    BP_S_NR = 16,
    BP_S_MC = BP_S_MC_,
    BP_S_KC = BP_S_KC_,
    BP_S_NC = BP_S_NC_
};

/* Packed buffers are aligned to a cache line. */
#define BP_GEMM_ALIGN 64

/*
 * A micro-kernel computes one MR × NR tile of C from a packed MR-row
 * sliver a (kc groups of MR values) and a packed NR-column sliver b (kc
 * groups of NR values):
 *     C[i][j] = alpha·Σ_p a[p][i]·b[p][j] + beta·C[i][j]
 * with the sum taken in increasing p, for i < mr ≤ MR and j < nr ≤ NR (the
 * rest of the tile is neither read nor written: edge tiles). beta == 0
 * stores without reading C. b is BP_GEMM_ALIGN-aligned; a and c need no
 * alignment.
 */
typedef void (*bp_dkernel_fn)(size_t kc, const double *a, const double *b, double *c, size_t ldc,
                              double alpha, double beta, size_t mr, size_t nr);
typedef void (*bp_skernel_fn)(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                              float alpha, float beta, size_t mr, size_t nr);

/*
 * A packer copies nsl consecutive full slivers: MR rows of op(A) each
 * (pack_a: dst[s·MR·kc + p·MR + i] = op(A)[s·MR + i][p]) or NR columns of
 * op(B) each (pack_b: dst[s·NR·kc + p·NR + j] = op(B)[p][s·NR + j]) over
 * kc values of p; src points at element (0, 0) as stored, trans says
 * whether the matrix is used transposed. Every packer of a precision
 * produces the same bytes.
 */
/* Where a packer's source rows are contiguous across slivers (rows of Aᵀ,
 * rows of B) the SIMD packers serve this many slivers per pass over p,
 * reading a run of each row at once rather than a sliver's few values
 * (see gemm/kernels/avx2.c); the A group is even (AVX-512 pairs slivers). */
enum { BP_PACK_A_GROUP = 8, BP_PACK_B_GROUP = 4 };

typedef void (*bp_dpack_fn)(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                            double *dst);
typedef void (*bp_spack_fn)(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                            float *dst);

/*
 * Optional double-height kernels: two consecutive full MR-row slivers
 * (a0: rows 0 … MR−1, a1: rows MR … 2·MR−1) against one NR-column sliver,
 * nr ≤ NR columns, with exactly the per-element operations of the
 * single-height kernel (so using them never changes a result).
 */
typedef void (*bp_dkernel2_fn)(size_t kc, const double *a0, const double *a1, const double *b,
                               double *c, size_t ldc, double alpha, double beta, size_t nr);
typedef void (*bp_skernel2_fn)(size_t kc, const float *a0, const float *a1, const float *b,
                               float *c, size_t ldc, float alpha, float beta, size_t nr);

/*
 * Optional double-height, double-width kernels: two MR-row slivers
 * against two consecutive full NR-column slivers (b1 = b0 + NR·kc), the
 * first mr ≤ 2·MR rows × 2·NR columns of C, again with the single
 * kernel's per-element operations.
 */
typedef void (*bp_dkernel22_fn)(size_t kc, const double *a0, const double *a1, const double *b0,
                                const double *b1, double *c, size_t ldc, double alpha, double beta,
                                size_t mr);
typedef void (*bp_skernel22_fn)(size_t kc, const float *a0, const float *a1, const float *b0,
                                const float *b1, float *c, size_t ldc, float alpha, float beta,
                                size_t mr);

/* C = alpha·op(A)·op(B) + beta·C without packing (op(X) = X, or Xᵀ when
 * tx), for m, n, k ≤ BP_GEMM_SMALL_MAX, and for any m with op(B) = B, n ≤
 * BP_GEMM_SMALL_MAX and k ≤ KC; bit-identical to the packed kernels. */
typedef void (*bp_dsmall_fn)(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                             const double *A, size_t lda, const double *B, size_t ldb, double beta,
                             double *C, size_t ldc);
typedef void (*bp_ssmall_fn)(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                             const float *A, size_t lda, const float *B, size_t ldb, float beta,
                             float *C, size_t ldc);
enum { BP_GEMM_SMALL_MAX = 64 };
/* Skinny products (n ≤ BP_GEMM_SMALL_MAX, k ≤ KC, op(B) = B, one thread)
 * also take the unpacked kernels, for op(A) = Aᵀ up to this many rows
 * (gemm_driver_tmpl.h, P(unpacked)). */
enum { BP_GEMM_SKINNY_TA_MAX = 256 };
void bp_dgemm_small_avx512(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                           const double *A, size_t lda, const double *B, size_t ldb, double beta,
                           double *C, size_t ldc);
void bp_sgemm_small_avx512(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                           const float *A, size_t lda, const float *B, size_t ldb, float beta,
                           float *C, size_t ldc);

/* The epilogue's element-wise passes over a tile's rows (built per ISA
 * with the dense layers' passes, dense_passes_tmpl.h; declared in
 * mlp/mlp_internal.h): C += b row by row, A = ReLU(Z). */
typedef void (*bp_bias_rows_d_fn)(size_t, size_t, double *, size_t, const double *);
typedef void (*bp_bias_rows_s_fn)(size_t, size_t, float *, size_t, const float *);
typedef void (*bp_relu_rows_d_fn)(size_t, size_t, const double *, size_t, double *, size_t);
typedef void (*bp_relu_rows_s_fn)(size_t, size_t, const float *, size_t, float *, size_t);

/* The GEMM slots of one kernel set (runtime/dispatch.h, bp_kernel_set:
 * the best, the AVX-512, the AVX2 and the portable set): everything the
 * driver calls. kernel2, kernel22 and small may be NULL. */
typedef struct bp_gemm_kernels {
    bp_dkernel_fn dkernel;
    bp_dkernel2_fn dkernel2;
    bp_dpack_fn dpack_a, dpack_b;
    bp_skernel_fn skernel;
    bp_skernel2_fn skernel2;
    bp_spack_fn spack_a, spack_b;
    /* unpacked kernels for small products (NULL: none; see
     * gemm/kernels/small_avx512.c and BP_GEMM_SMALL_MAX) */
    bp_dsmall_fn dsmall;
    bp_ssmall_fn ssmall;
    /* 2·MR × 2·NR tiles (NULL: none) */
    bp_dkernel22_fn dkernel22;
    bp_skernel22_fn skernel22;
    /* the fused epilogue's passes (P(epilogue_rows)) */
    bp_bias_rows_d_fn bias_rows_d;
    bp_bias_rows_s_fn bias_rows_s;
    bp_relu_rows_d_fn relu_rows_d;
    bp_relu_rows_s_fn relu_rows_s;
} bp_gemm_kernels;

/* The GEMM slots of the default kernel set (runtime/dispatch.c,
 * bp_kernel_set_default: chosen once, thread-safely, from the CPU and the
 * environment). */
const bp_gemm_kernels *bp_gemm_default(void);

/* The GEMM slots of the kernel set exec was created with; with NULL, of
 * the default set. One load from the context: the driver reads it once
 * per call. */
static inline const bp_gemm_kernels *bp_exec_gemm(const bp_exec *exec) {
    return exec ? bp_exec_head_of(exec)->gemm : bp_gemm_default();
}

/* Portable kernels and packers (gemm.c) and the AVX2+FMA ones
 * (gemm/kernels/avx2.c, x86-64 only). */
void bp_dkernel_portable(size_t kc, const double *a, const double *b, double *c, size_t ldc,
                         double alpha, double beta, size_t mr, size_t nr);
void bp_skernel_portable(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                         float alpha, float beta, size_t mr, size_t nr);
void bp_dpack_a_portable(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                         double *dst);
void bp_dpack_b_portable(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                         double *dst);
void bp_spack_a_portable(int trans, const float *src, size_t ld, size_t kc, size_t nsl, float *dst);
void bp_spack_b_portable(int trans, const float *src, size_t ld, size_t kc, size_t nsl, float *dst);
#if defined(__x86_64__)
void bp_dkernel_avx2(size_t kc, const double *a, const double *b, double *c, size_t ldc,
                     double alpha, double beta, size_t mr, size_t nr);
void bp_skernel_avx2(size_t kc, const float *a, const float *b, float *c, size_t ldc, float alpha,
                     float beta, size_t mr, size_t nr);
void bp_dpack_a_avx2(int trans, const double *src, size_t ld, size_t kc, size_t nsl, double *dst);
void bp_dpack_b_avx2(int trans, const double *src, size_t ld, size_t kc, size_t nsl, double *dst);
void bp_spack_a_avx2(int trans, const float *src, size_t ld, size_t kc, size_t nsl, float *dst);
void bp_spack_b_avx2(int trans, const float *src, size_t ld, size_t kc, size_t nsl, float *dst);
void bp_spack_a_avx512(int trans, const float *src, size_t ld, size_t kc, size_t nsl, float *dst);
void bp_dkernel2_avx512(size_t kc, const double *a0, const double *a1, const double *b, double *c,
                        size_t ldc, double alpha, double beta, size_t nr);
void bp_skernel2_avx512(size_t kc, const float *a0, const float *a1, const float *b, float *c,
                        size_t ldc, float alpha, float beta, size_t nr);
void bp_dkernel22_avx512(size_t kc, const double *a0, const double *a1, const double *b0,
                         const double *b1, double *c, size_t ldc, double alpha, double beta,
                         size_t mr);
void bp_skernel22_avx512(size_t kc, const float *a0, const float *a1, const float *b0,
                         const float *b1, float *c, size_t ldc, float alpha, float beta, size_t mr);
#endif

/* ---- the execution context's workspace (gemm.c; the context: runtime/exec.h) */

/* Bytes of packing workspace one thread needs for either precision: one
 * MC × KC block of A and one KC × NC panel of B, each rounded up to whole
 * micro-slivers and to BP_GEMM_ALIGN. */
size_t bp_gemm_workspace_bytes(void);

/* ---- activation blocks of the fused epilogue (activation.c) ------------- */

/* A = f(Z) over a rows × cols block with leading dimensions ldz and lda,
 * element-wise activations only (not softmax). A may equal Z. */
void bp_act_block_d(bp_activation act, double param, size_t rows, size_t cols, const double *Z,
                    size_t ldz, double *A, size_t lda);
void bp_act_block_s(bp_activation act, float param, size_t rows, size_t cols, const float *Z,
                    size_t ldz, float *A, size_t lda);
/* Row-wise softmax of a rows × cols block (leading dimensions ldz, lda);
 * A may equal Z. */
void bp_softmax_rows_d(size_t rows, size_t cols, const double *Z, size_t ldz, double *A,
                       size_t lda);
void bp_softmax_rows_s(size_t rows, size_t cols, const float *Z, size_t ldz, float *A, size_t lda);

/* ---- the blocked driver with an optional fused epilogue (gemm.c) -------- */

/* After the last k-block of each tile: Z = C + bias (bias indexed by column,
 * may be NULL), written back to C, and A = f(Z) with leading dimension lda
 * (A may be NULL: no activation). Softmax is applied row-wise after the
 * whole product. */
typedef struct bp_epilogue_d {
    const double *bias;
    double *A;
    size_t lda;
    bp_activation act;
    double param;
} bp_epilogue_d;
typedef struct bp_epilogue_s {
    const float *bias;
    float *A;
    size_t lda;
    bp_activation act;
    float param;
} bp_epilogue_s;

/* GEMM after validation and the special cases (m, n, k ≥ 1, alpha ≠ 0),
 * through exec (NULL: one thread, internal buffers), with an optional
 * epilogue. Returns BP_ERR_NO_MEMORY only when exec is NULL and a heap
 * workspace could not be allocated. */
bp_status bp_dgemm_run(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                       double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                       double beta, double *C, size_t ldc, const bp_epilogue_d *ep);
bp_status bp_sgemm_run(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                       float alpha, const float *A, size_t lda, const float *B, size_t ldb,
                       float beta, float *C, size_t ldc, const bp_epilogue_s *ep);

#endif /* BP_GEMM_INTERNAL_H */
