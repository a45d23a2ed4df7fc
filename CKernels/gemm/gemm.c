/*
 * gemm.c — cache-blocked GEMM in the BLIS style, double and float.
 *
 * The blocked loops, packing and the portable micro-kernel are written once
 * in gemm_driver_tmpl.h and instantiated here for each precision; the
 * AVX2+FMA micro-kernels are in kernels/avx2.c, the AVX-512F
 * double-height ones in kernels/avx512.c, chosen at run time
 * (runtime/dispatch.c). Threads and preallocated workspaces come from an
 * optional execution context (exec.c).
 *
 * Block sizes (gemm_internal.h), for a core with a 32–48 KiB L1d, a
 * 512 KiB–1 MiB private L2 and a shared L3, from the usual BLIS reasoning:
 *   double  MR×NR = 6×8, KC = 256: a KC × NR sliver of packed B is 16 KiB
 *           and stays in L1 while 12 KiB A slivers stream past it;
 *           MC = 120: the MC × KC block of packed A is 240 KiB, half of a
 *           512 KiB L2, so it survives the B slivers passing through;
 *           NC = 2048: the KC × NC panel of packed B (4 MiB) is a share of
 *           L3 (and n ≤ 2048 needs a single panel).
 *   float   MR×NR = 6×16, KC = 512, MC = 120: the same bytes per block
 *           (a 32 KiB B sliver, a 240 KiB A block), NC = 2048.
 * Around these sizes the speed is a plateau (MC from 72 to 168 and KC of
 * 256 or 384 land within 2 % of each other), and the sizes above are its
 * middle and the safe choice for the smaller caches of older cores. MC is
 * an upper bound: the rows are cut into blocks of nearly equal height
 * (gemm_driver_tmpl.h), so that two threads get equal shares. The
 * measurements: Benchmarks/README.md, "Kernel design measurements".
 */
#define _POSIX_C_SOURCE 200112L
#include <stdlib.h>
#include "runtime/internal.h"
#include "gemm/gemm_internal.h"

/* ---- double ------------------------------------------------------------------ */
#define R double
#define P(name) name##_d
#define G_MR BP_D_MR
#define G_NR BP_D_NR
#define G_MC BP_D_MC
#define G_KC BP_D_KC
#define G_NC BP_D_NC
#define G_KERNEL dkernel
#define G_KERNEL_TYPE bp_dkernel_fn
#define G_KERNEL2 dkernel2
#define G_KERNEL22 dkernel22
#define G_KERNEL22_TYPE bp_dkernel22_fn
#define G_SMALL dsmall
#define G_BIAS_ROWS bias_rows_d
#define G_RELU_ROWS relu_rows_d
#define G_KERNEL2_TYPE bp_dkernel2_fn
#define G_PACK_A dpack_a
#define G_PACK_B dpack_b
#define G_PACK_TYPE bp_dpack_fn
#define G_PORTABLE bp_dkernel_portable
#define G_PACK_A_PORTABLE bp_dpack_a_portable
#define G_PACK_B_PORTABLE bp_dpack_b_portable
#define G_RUN bp_dgemm_run
#define G_EPI bp_epilogue_d
#define G_ACT_BLOCK bp_act_block_d
#define G_SOFTMAX bp_softmax_rows_d
#define G_REFERENCE bp_dgemm_reference
#define G_SCALE_C bp_gemm_scale_c
#include "gemm_driver_tmpl.h"
#undef R
#undef P
#undef G_MR
#undef G_NR
#undef G_MC
#undef G_KC
#undef G_NC
#undef G_KERNEL
#undef G_KERNEL_TYPE
#undef G_KERNEL2
#undef G_KERNEL22
#undef G_KERNEL22_TYPE
#undef G_SMALL
#undef G_BIAS_ROWS
#undef G_RELU_ROWS
#undef G_KERNEL2_TYPE
#undef G_PACK_A
#undef G_PACK_B
#undef G_PACK_TYPE
#undef G_PORTABLE
#undef G_PACK_A_PORTABLE
#undef G_PACK_B_PORTABLE
#undef G_RUN
#undef G_EPI
#undef G_ACT_BLOCK
#undef G_SOFTMAX
#undef G_REFERENCE
#undef G_SCALE_C

/* ---- float ------------------------------------------------------------------- */
#define R float
#define P(name) name##_s
#define G_MR BP_S_MR
#define G_NR BP_S_NR
#define G_MC BP_S_MC
#define G_KC BP_S_KC
#define G_NC BP_S_NC
#define G_KERNEL skernel
#define G_KERNEL_TYPE bp_skernel_fn
#define G_KERNEL2 skernel2
#define G_KERNEL22 skernel22
#define G_KERNEL22_TYPE bp_skernel22_fn
#define G_SMALL ssmall
#define G_BIAS_ROWS bias_rows_s
#define G_RELU_ROWS relu_rows_s
#define G_KERNEL2_TYPE bp_skernel2_fn
#define G_PACK_A spack_a
#define G_PACK_B spack_b
#define G_PACK_TYPE bp_spack_fn
#define G_PORTABLE bp_skernel_portable
#define G_PACK_A_PORTABLE bp_spack_a_portable
#define G_PACK_B_PORTABLE bp_spack_b_portable
#define G_RUN bp_sgemm_run
#define G_EPI bp_epilogue_s
#define G_ACT_BLOCK bp_act_block_s
#define G_SOFTMAX bp_softmax_rows_s
#define G_REFERENCE bp_sgemm_reference
#define G_SCALE_C bp_gemm_scale_c_f
#include "gemm_driver_tmpl.h"

size_t bp_gemm_workspace_bytes(void) {
    size_t d = workspace_bytes_d(BP_D_MC, BP_D_NC, BP_D_KC);
    size_t s = workspace_bytes_s(BP_S_MC, BP_S_NC, BP_S_KC);
    return d > s ? d : s;
}

/* ---- the public functions (bp_gemm.h) ------------------------------------------ */

bp_status bp_dgemm_exec(const bp_exec *exec, bp_transpose trans_a, bp_transpose trans_b, size_t m,
                        size_t n, size_t k, double alpha, const double *A, size_t lda,
                        const double *B, size_t ldb, double beta, double *C, size_t ldc) {
    return exec_d(exec, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bp_status bp_sgemm_exec(const bp_exec *exec, bp_transpose trans_a, bp_transpose trans_b, size_t m,
                        size_t n, size_t k, float alpha, const float *A, size_t lda, const float *B,
                        size_t ldb, float beta, float *C, size_t ldc) {
    return exec_s(exec, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bp_status bp_dgemm(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n, size_t k,
                   double alpha, const double *A, size_t lda, const double *B, size_t ldb,
                   double beta, double *C, size_t ldc) {
    return bp_dgemm_exec(NULL, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}

bp_status bp_sgemm(bp_transpose trans_a, bp_transpose trans_b, size_t m, size_t n, size_t k,
                   float alpha, const float *A, size_t lda, const float *B, size_t ldb, float beta,
                   float *C, size_t ldc) {
    return bp_sgemm_exec(NULL, trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
}
