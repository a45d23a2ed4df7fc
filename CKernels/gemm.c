/*
 * gemm.c — cache-blocked GEMM in the BLIS style (portable C).
 *
 * The five loops around a register micro-kernel:
 *
 *   for jc in steps of NC over n          B panel of NC columns  (L3)
 *     for pc in steps of KC over k        pack B[pc.., jc..] → Bp (KC × NC)
 *       for ic in steps of MC over m      pack A[ic.., pc..] → Ap (MC × KC, L2)
 *         for jr in steps of NR           one NR-wide sliver of Bp (L1)
 *           for ir in steps of MR         micro-kernel: MR × NR block of C
 *
 * Packing copies each block into the exact order the micro-kernel reads it
 * (MR-row slivers of A, NR-column slivers of B, each k-contiguous, zero
 * padded at the edges). That makes every transpose variant run the same
 * inner loop: op(A) and op(B) are resolved while packing, never
 * materialised as whole transposes. Edge tiles go through the same kernel
 * and a bounds-checked write-back, so odd sizes cost little extra.
 *
 * C is first scaled by beta (beta == 0 stores zeros, never reading C), then
 * the kernel accumulates alpha·op(A)·op(B) into it.
 *
 * Block sizes: an Ap block of MC×KC doubles (96·256·8 = 192 KiB) stays in a
 * 512 KiB L2; a KC×NR sliver of Bp (16 KiB) stays in a 32 KiB L1 next to an
 * MR×KC sliver of Ap (8 KiB); NC bounds the packed B panel (KC×NC·8 = 8 MiB
 * at most) to a share of L3.
 */
#include <stdlib.h>
#include <string.h>
#include "internal.h"

enum { MR = 4, NR = 8, MC = 96, KC = 256, NC = 4096 };

/* Small problems pack into stack buffers instead of the heap. */
enum { STACK_DOUBLES = 4096 };

static size_t round_up(size_t x, size_t to) { return (x + to - 1) / to * to; }

/* op(A)[i][p] for the packing loops. */
static inline double elem_a(const double *A, size_t lda, int trans, size_t i, size_t p) {
    return trans ? A[p * lda + i] : A[i * lda + p];
}

/* op(B)[p][j] for the packing loops. */
static inline double elem_b(const double *B, size_t ldb, int trans, size_t p, size_t j) {
    return trans ? B[j * ldb + p] : B[p * ldb + j];
}

/* Packs the mc × kc block of op(A) at (ic, pc) into MR-row slivers:
 * sliver s holds rows ic+s·MR .. +MR, stored p-major (MR values per p). */
static void pack_a(const double *A, size_t lda, int trans, size_t ic, size_t pc,
                   size_t mc, size_t kc, double *restrict Ap) {
    for (size_t ir = 0; ir < mc; ir += MR) {
        size_t mr = mc - ir < MR ? mc - ir : MR;
        for (size_t p = 0; p < kc; p++) {
            for (size_t i = 0; i < mr; i++)
                Ap[p * MR + i] = elem_a(A, lda, trans, ic + ir + i, pc + p);
            for (size_t i = mr; i < MR; i++) Ap[p * MR + i] = 0.0;
        }
        Ap += MR * kc;
    }
}

/* Packs the kc × nc block of op(B) at (pc, jc) into NR-column slivers. */
static void pack_b(const double *B, size_t ldb, int trans, size_t pc, size_t jc,
                   size_t kc, size_t nc, double *restrict Bp) {
    for (size_t jr = 0; jr < nc; jr += NR) {
        size_t nr = nc - jr < NR ? nc - jr : NR;
        for (size_t p = 0; p < kc; p++) {
            for (size_t j = 0; j < nr; j++)
                Bp[p * NR + j] = elem_b(B, ldb, trans, pc + p, jc + jr + j);
            for (size_t j = nr; j < NR; j++) Bp[p * NR + j] = 0.0;
        }
        Bp += NR * kc;
    }
}

/* The register micro-kernel: C[0..mr, 0..nr) += alpha · Ap_sliver · Bp_sliver.
 * The MR × NR accumulator is small enough to live in vector registers; the
 * fixed-size inner loops let the compiler vectorise over NR. */
static void micro_kernel(size_t kc, double alpha, const double *restrict a,
                         const double *restrict b, double *C, size_t ldc,
                         size_t mr, size_t nr) {
    double acc[MR][NR];
    memset(acc, 0, sizeof acc);
    for (size_t p = 0; p < kc; p++) {
        for (size_t i = 0; i < MR; i++) {
            double ai = a[p * MR + i];
            for (size_t j = 0; j < NR; j++) acc[i][j] += ai * b[p * NR + j];
        }
    }
    for (size_t i = 0; i < mr; i++)
        for (size_t j = 0; j < nr; j++) C[i * ldc + j] += alpha * acc[i][j];
}

bp_status bp_dgemm(bp_transpose trans_a, bp_transpose trans_b,
                   size_t m, size_t n, size_t k,
                   double alpha, const double *A, size_t lda,
                   const double *B, size_t ldb,
                   double beta, double *C, size_t ldc) {
    BP_TRY(bp_gemm_check(trans_a, trans_b, m, n, k, alpha, A, lda, B, ldb, C, ldc));
    if (m == 0 || n == 0) return BP_OK;
    if (alpha == 0.0 || k == 0) {
        bp_gemm_scale_c(m, n, beta, C, ldc);
        return BP_OK;
    }

    /* Workspace: one A block and one B panel, no larger than the problem. */
    size_t kc_max = k < KC ? k : KC;
    size_t a_len = round_up(m < MC ? m : MC, MR) * kc_max;
    size_t b_len = round_up(n < NC ? n : NC, NR) * kc_max;
    double stack_buf[STACK_DOUBLES];
    double *heap_buf = NULL, *Ap, *Bp;
    if (a_len + b_len <= STACK_DOUBLES) {
        Ap = stack_buf;
    } else {
        heap_buf = malloc((a_len + b_len) * sizeof(double));
        if (heap_buf == NULL) return BP_ERR_NO_MEMORY;
        Ap = heap_buf;
    }
    Bp = Ap + a_len;

    bp_gemm_scale_c(m, n, beta, C, ldc);
    int ta = trans_a == BP_TRANS, tb = trans_b == BP_TRANS;
    for (size_t jc = 0; jc < n; jc += NC) {
        size_t nc = n - jc < NC ? n - jc : NC;
        for (size_t pc = 0; pc < k; pc += KC) {
            size_t kc = k - pc < KC ? k - pc : KC;
            pack_b(B, ldb, tb, pc, jc, kc, nc, Bp);
            for (size_t ic = 0; ic < m; ic += MC) {
                size_t mc = m - ic < MC ? m - ic : MC;
                pack_a(A, lda, ta, ic, pc, mc, kc, Ap);
                for (size_t jr = 0; jr < nc; jr += NR) {
                    size_t nr = nc - jr < NR ? nc - jr : NR;
                    for (size_t ir = 0; ir < mc; ir += MR) {
                        size_t mr = mc - ir < MR ? mc - ir : MR;
                        micro_kernel(kc, alpha, Ap + ir * kc, Bp + jr * kc,
                                     C + (ic + ir) * ldc + jc + jr, ldc, mr, nr);
                    }
                }
            }
        }
    }
    free(heap_buf);
    return BP_OK;
}
