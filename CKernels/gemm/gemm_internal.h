/*
 * gemm_internal.h — what the GEMM driver, the micro-kernels, the dispatch
 * table and the execution context share (not part of the API).
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
    BP_D_MR = 6, BP_D_NR = 8, BP_D_MC = BP_D_MC_, BP_D_KC = BP_D_KC_, BP_D_NC = BP_D_NC_,
    BP_S_MR = 6, BP_S_NR = 16, BP_S_MC = BP_S_MC_, BP_S_KC = BP_S_KC_, BP_S_NC = BP_S_NC_
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
typedef void (*bp_dkernel_fn)(size_t kc, const double *a, const double *b,
                              double *c, size_t ldc, double alpha, double beta,
                              size_t mr, size_t nr);
typedef void (*bp_skernel_fn)(size_t kc, const float *a, const float *b,
                              float *c, size_t ldc, float alpha, float beta,
                              size_t mr, size_t nr);

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

typedef void (*bp_dpack_fn)(int trans, const double *src, size_t ld, size_t kc,
                            size_t nsl, double *dst);
typedef void (*bp_spack_fn)(int trans, const float *src, size_t ld, size_t kc,
                            size_t nsl, float *dst);

/*
 * Optional double-height kernels: two consecutive full MR-row slivers
 * (a0: rows 0 … MR−1, a1: rows MR … 2·MR−1) against one NR-column sliver,
 * nr ≤ NR columns, with exactly the per-element operations of the
 * single-height kernel (so using them never changes a result).
 */
typedef void (*bp_dkernel2_fn)(size_t kc, const double *a0, const double *a1,
                               const double *b, double *c, size_t ldc,
                               double alpha, double beta, size_t nr);
typedef void (*bp_skernel2_fn)(size_t kc, const float *a0, const float *a1,
                               const float *b, float *c, size_t ldc,
                               float alpha, float beta, size_t nr);

/*
 * Optional double-height, double-width kernels: two MR-row slivers
 * against two consecutive full NR-column slivers (b1 = b0 + NR·kc), the
 * first mr ≤ 2·MR rows × 2·NR columns of C, again with the single
 * kernel's per-element operations.
 */
typedef void (*bp_dkernel22_fn)(size_t kc, const double *a0, const double *a1,
                                const double *b0, const double *b1, double *c, size_t ldc,
                                double alpha, double beta, size_t mr);
typedef void (*bp_skernel22_fn)(size_t kc, const float *a0, const float *a1,
                                const float *b0, const float *b1, float *c, size_t ldc,
                                float alpha, float beta, size_t mr);

/* One set of kernels: the dispatch table holds the best, the AVX2 and the
 * portable set. kernel2 and kernel22 may be NULL. */
#include "mlp/mlp_internal.h"

/* C = alpha·op(A)·op(B) + beta·C without packing (op(X) = X, or Xᵀ when
 * tx), for m, n, k ≤ BP_GEMM_SMALL_MAX, and for any m with op(B) = B, n ≤
 * BP_GEMM_SMALL_MAX and k ≤ KC; bit-identical to the packed kernels. */
typedef void (*bp_dsmall_fn)(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                             const double *A, size_t lda, const double *B, size_t ldb,
                             double beta, double *C, size_t ldc);
typedef void (*bp_ssmall_fn)(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                             const float *A, size_t lda, const float *B, size_t ldb,
                             float beta, float *C, size_t ldc);
enum { BP_GEMM_SMALL_MAX = 64 };
/* Skinny products (n ≤ BP_GEMM_SMALL_MAX, k ≤ KC, op(B) = B, one thread)
 * also take the unpacked kernels, for op(A) = Aᵀ up to this many rows
 * (gemm_driver_tmpl.h, P(unpacked)). */
enum { BP_GEMM_SKINNY_TA_MAX = 256 };
void bp_dgemm_small_avx512(int ta, int tb, size_t m, size_t n, size_t k, double alpha,
                           const double *A, size_t lda, const double *B, size_t ldb,
                           double beta, double *C, size_t ldc);
void bp_sgemm_small_avx512(int ta, int tb, size_t m, size_t n, size_t k, float alpha,
                           const float *A, size_t lda, const float *B, size_t ldb,
                           float beta, float *C, size_t ldc);

typedef struct bp_gemm_kernels {
    const char *name;
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
    /* the narrow-network engine built for the same CPU level (mlp_internal.h) */
    bp_narrow_d_fn narrow_d;
    bp_narrow_s_fn narrow_s;
    bp_narrow_online_d_fn narrow_online_d;
    bp_narrow_online_s_fn narrow_online_s;
    /* 2·MR × 2·NR tiles (NULL: none) */
    bp_dkernel22_fn dkernel22;
    bp_skernel22_fn skernel22;
    /* the parameter-vector passes built for the same CPU level (mlp_internal.h) */
    bp_vec_nonfinite_d_fn vec_nonfinite_d;
    bp_vec_nonfinite_s_fn vec_nonfinite_s;
    bp_vec_sgd_d_fn vec_sgd_d;
    bp_vec_sgd_s_fn vec_sgd_s;
    bp_vec_maxabs_d_fn vec_maxabs_d;
    bp_vec_maxabs_s_fn vec_maxabs_s;
    /* the dense layers' element-wise passes, same CPU level (mlp_internal.h) */
    bp_bias_rows_d_fn bias_rows_d;
    bp_bias_rows_s_fn bias_rows_s;
    bp_relu_rows_d_fn relu_rows_d;
    bp_relu_rows_s_fn relu_rows_s;
    bp_relu_backward_d_fn relu_backward_d;
    bp_relu_backward_s_fn relu_backward_s;
    bp_col_sums_d_fn col_sums_d;
    bp_col_sums_s_fn col_sums_s;
} bp_gemm_kernels;

/* The kernels every GEMM without an explicit choice uses (checked once,
 * thread-safely; see runtime/dispatch.c): AVX2+FMA plus the AVX-512F
 * kernels when the CPU has AVX-512F (without the double-height tiles
 * where its 512-bit units are two 256-bit halves), AVX2+FMA alone, or
 * portable C; environment variables can force a lower level. */
const bp_gemm_kernels *bp_gemm_kernels_default(void);
/* The portable C kernels (always available). */
const bp_gemm_kernels *bp_gemm_kernels_portable(void);
/* The AVX2+FMA kernels without AVX-512 (the portable ones where the CPU
 * lacks AVX2 or FMA). */
const bp_gemm_kernels *bp_gemm_kernels_avx2(void);
/* Every AVX-512 kernel the CPU can run, tiles included even where the
 * default leaves them out (the AVX2+FMA set where it lacks AVX-512F). */
const bp_gemm_kernels *bp_gemm_kernels_avx512(void);

/* Portable kernels and packers (gemm.c) and the AVX2+FMA ones
 * (gemm/kernels/avx2.c, x86-64 only). */
void bp_dkernel_portable(size_t kc, const double *a, const double *b, double *c,
                         size_t ldc, double alpha, double beta, size_t mr, size_t nr);
void bp_skernel_portable(size_t kc, const float *a, const float *b, float *c,
                         size_t ldc, float alpha, float beta, size_t mr, size_t nr);
void bp_dpack_a_portable(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                          double *dst);
void bp_dpack_b_portable(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                          double *dst);
void bp_spack_a_portable(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                          float *dst);
void bp_spack_b_portable(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                          float *dst);
#if defined(__x86_64__)
void bp_dkernel_avx2(size_t kc, const double *a, const double *b, double *c,
                     size_t ldc, double alpha, double beta, size_t mr, size_t nr);
void bp_skernel_avx2(size_t kc, const float *a, const float *b, float *c,
                     size_t ldc, float alpha, float beta, size_t mr, size_t nr);
void bp_dpack_a_avx2(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                          double *dst);
void bp_dpack_b_avx2(int trans, const double *src, size_t ld, size_t kc, size_t nsl,
                          double *dst);
void bp_spack_a_avx2(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                          float *dst);
void bp_spack_b_avx2(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                          float *dst);
void bp_spack_a_avx512(int trans, const float *src, size_t ld, size_t kc, size_t nsl,
                       float *dst);
void bp_dkernel2_avx512(size_t kc, const double *a0, const double *a1, const double *b,
                        double *c, size_t ldc, double alpha, double beta, size_t nr);
void bp_skernel2_avx512(size_t kc, const float *a0, const float *a1, const float *b,
                        float *c, size_t ldc, float alpha, float beta, size_t nr);
void bp_dkernel22_avx512(size_t kc, const double *a0, const double *a1, const double *b0,
                         const double *b1, double *c, size_t ldc, double alpha, double beta,
                         size_t mr);
void bp_skernel22_avx512(size_t kc, const float *a0, const float *a1, const float *b0,
                         const float *b1, float *c, size_t ldc, float alpha, float beta,
                         size_t mr);
#endif

/* ---- execution context (exec.c) ----------------------------------------- */

/* Bytes of packing workspace one thread needs for either precision: one
 * MC × KC block of A and one KC × NC panel of B, each rounded up to whole
 * micro-slivers and to BP_GEMM_ALIGN. */
size_t bp_gemm_workspace_bytes(void);

/* The part of struct bp_exec (exec.c) that the GEMM reads on every call,
 * as its first member: declared here so that bp_exec_kernels inlines. */
typedef struct bp_exec_head {
    const bp_gemm_kernels *kernels;   /* the kernel set the context was created with */
    int reference;                    /* BP_EXEC_REFERENCE: the reference code */
} bp_exec_head;

/* The kernel set an exec was created with (default, AVX2 or portable);
 * with NULL, the default set. (A pointer to a struct may be converted to a
 * pointer to its first member.) */
static inline const bp_gemm_kernels *bp_exec_kernels(const bp_exec *exec) {
    return exec ? ((const bp_exec_head *)(const void *)exec)->kernels : bp_gemm_kernels_default();
}
/* Whether exec was created with BP_EXEC_REFERENCE (0 for NULL): GEMMs
 * through it run bp_?gemm_reference, networks the reference engine. */
static inline int bp_exec_reference(const bp_exec *exec) {
    return exec != NULL && ((const bp_exec_head *)(const void *)exec)->reference;
}
/* Packing workspace of thread tid (bp_gemm_workspace_bytes() bytes,
 * BP_GEMM_ALIGN-aligned). */
void *bp_exec_workspace(const bp_exec *exec, size_t tid);

/* Runs job(arg, tid, nthreads) on threads tid = 0 .. nthreads−1 of the pool
 * (the caller is thread 0) and returns when all have finished.
 * nthreads ≤ bp_exec_threads(exec). */
typedef void (*bp_exec_job)(void *arg, size_t tid, size_t nthreads);
void bp_exec_run(const bp_exec *exec, size_t nthreads, bp_exec_job job, void *arg);
/* Inside a job: waits until all nthreads threads of the job have arrived. */
void bp_exec_barrier(const bp_exec *exec, size_t nthreads);

/* ---- activation blocks shared with the fused dense epilogue (activation.c) */

/* A = f(Z) over a rows × cols block with leading dimensions ldz and lda,
 * element-wise activations only (not softmax). A may equal Z. */
void bp_act_block_d(bp_activation act, double param, size_t rows, size_t cols,
                    const double *Z, size_t ldz, double *A, size_t lda);
void bp_act_block_s(bp_activation act, float param, size_t rows, size_t cols,
                    const float *Z, size_t ldz, float *A, size_t lda);
/* Row-wise softmax of a rows × cols block (leading dimensions ldz, lda);
 * A may equal Z. */
void bp_softmax_rows_d(size_t rows, size_t cols, const double *Z, size_t ldz,
                       double *A, size_t lda);
void bp_softmax_rows_s(size_t rows, size_t cols, const float *Z, size_t ldz,
                       float *A, size_t lda);
/* dZ = dA ⊙ f'(Z) over count contiguous elements (rows × cols for softmax);
 * dZ may alias dA. */
void bp_act_backward_d(bp_activation act, double param, size_t rows, size_t cols,
                       const double *Z, const double *A, const double *dA, double *dZ);
void bp_act_backward_s(bp_activation act, float param, size_t rows, size_t cols,
                       const float *Z, const float *A, const float *dA, float *dZ);

/* ---- the blocked driver with an optional fused epilogue (gemm.c) -------- */

/* After the last k-block of each tile: Z = C + bias (bias indexed by column,
 * may be NULL), written back to C, and A = f(Z) with leading dimension lda
 * (A may be NULL: no activation). Softmax is applied row-wise after the
 * whole product. */
typedef struct bp_epilogue_d {
    const double *bias; double *A; size_t lda; bp_activation act; double param;
} bp_epilogue_d;
typedef struct bp_epilogue_s {
    const float *bias; float *A; size_t lda; bp_activation act; float param;
} bp_epilogue_s;

/* GEMM after validation and the special cases (m, n, k ≥ 1, alpha ≠ 0),
 * through exec (NULL: one thread, internal buffers), with an optional
 * epilogue. Returns BP_ERR_NO_MEMORY only when exec is NULL and a heap
 * workspace could not be allocated. */
bp_status bp_dgemm_run(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                       double alpha, const double *A, size_t lda,
                       const double *B, size_t ldb, double beta, double *C, size_t ldc,
                       const bp_epilogue_d *ep);
bp_status bp_sgemm_run(const bp_exec *exec, int ta, int tb, size_t m, size_t n, size_t k,
                       float alpha, const float *A, size_t lda,
                       const float *B, size_t ldb, float beta, float *C, size_t ldc,
                       const bp_epilogue_s *ep);


/* ---- the dense kernels' direct path for tiny layers (dense_tmpl.h) -------
 * Unchecked: the caller has validated every argument (bp_dense_forward /
 * bp_dense_backward, or the network engine). Same contracts otherwise. */
void bp_dense_forward_direct_d(bp_activation act, double param, size_t n, size_t n_in, size_t n_out,
                               const double *X, size_t ldx, const double *W, size_t ldw,
                               const double *b, double *Z, double *A);
void bp_dense_forward_direct_s(bp_activation act, float param, size_t n, size_t n_in, size_t n_out,
                               const float *X, size_t ldx, const float *W, size_t ldw,
                               const float *b, float *Z, float *A);
void bp_dense_backward_direct_d(bp_activation act, double param, size_t n, size_t n_in, size_t n_out,
                                const double *X, size_t ldx, const double *W, size_t ldw,
                                const double *Z, const double *A, const double *dA,
                                double *dZ, double *dW, double *db, double *dX);
void bp_dense_backward_direct_s(bp_activation act, float param, size_t n, size_t n_in, size_t n_out,
                                const float *X, size_t ldx, const float *W, size_t ldw,
                                const float *Z, const float *A, const float *dA,
                                float *dZ, float *dW, float *db, float *dX);

#endif /* BP_GEMM_INTERNAL_H */
