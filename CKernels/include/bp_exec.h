/*
 * bp_exec.h — an explicit execution context for the heavy kernels.
 *
 * The library keeps no hidden state (the one exception is the read-only
 * table of CPU-specific GEMM kernels, filled once). What a fast GEMM needs
 * between calls — worker threads and packing buffers — lives in a bp_exec
 * that the caller creates, passes to bp_dgemm_exec / bp_sgemm_exec /
 * bp_dense_* and frees:
 *
 *     bp_exec *ex;
 *     if (bp_exec_create(2, &ex) != BP_OK) ...;
 *     bp_dgemm_exec(ex, BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0, A, lda, B, ldb, 0.0, C, ldc);
 *     bp_exec_free(ex);
 *
 *   - A context with `threads` threads owns threads − 1 persistent worker
 *     pthreads (sleeping on a condition variable between calls) and one
 *     packing workspace per thread, all allocated by bp_exec_create. A GEMM
 *     through it allocates nothing and creates no thread.
 *   - Work is split over the rows or the columns of C in whole micro-tiles,
 *     never over k, so every element of C is computed by the same sequence
 *     of operations whatever the thread count: results are bit-identical
 *     for 1, 2, ... threads.
 *   - A product uses more than one thread only when it is large enough for
 *     that to pay off (m·n·k ≥ BP_EXEC_PARALLEL_MIN_FLOPS/2 multiply-adds);
 *     smaller ones run on the calling thread alone.
 *   - A bp_exec may be used by one thread at a time: calls through the same
 *     context must not overlap (create one per calling thread if needed;
 *     creating several is fine). Passing NULL where a context is expected
 *     means one thread and internal buffers (stack for small products,
 *     heap for large ones).
 */
#ifndef BP_EXEC_H
#define BP_EXEC_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct bp_exec bp_exec;

/*
 * Kernels. GEMM picks its micro-kernels once per process, the first time
 * it runs: on x86-64 CPUs with AVX2 and FMA the AVX2+FMA kernels, helped
 * by AVX-512F ones where the CPU has AVX-512F (bit-identical results; the
 * large products keep their AVX2 tiles on CPUs that run 512-bit
 * arithmetic as two 256-bit halves, AMD Zen 4, where those are faster);
 * portable C everywhere else. Setting the environment variable
 * BP_GEMM_PORTABLE (or BP_GEMM_NO_AVX512) to a non-empty value other than
 * "0" before that first call forces the portable kernels (or AVX2 without
 * AVX-512) for the whole process, and BP_GEMM_AVX512_TILES set to "1" or
 * "0" takes or leaves the AVX-512 tiles; a context created with
 * BP_EXEC_PORTABLE, BP_EXEC_AVX2 or BP_EXEC_AVX512 picks its set for the
 * calls made through it only. Portable
 * and SIMD kernels round differently (no FMA in portable C), within the
 * same error bounds. The same choice picks the build of the narrow-network
 * engine (bp_mlp.h) that a bp_mlp with this context trains through.
 */

/** Options of bp_exec_create_with (bit flags). */
typedef enum bp_exec_flags {
    BP_EXEC_DEFAULT = 0,
    /** Run the portable C micro-kernels even when the CPU has faster ones
     *  (for testing and benchmarking the portable path). */
    BP_EXEC_PORTABLE = 1,
    /** Run the AVX2+FMA kernels without the AVX-512 ones (portable where
     *  the CPU lacks AVX2 or FMA). Same results, bit for bit, as the
     *  default kernels on a CPU with AVX-512; for testing and
     *  benchmarking. BP_EXEC_PORTABLE wins if both are given. */
    BP_EXEC_AVX2 = 2,
    /** Run every AVX-512 kernel the CPU can, including the double-height
     *  tiles that the default leaves out where they are slower (the
     *  AVX2+FMA kernels where the CPU lacks AVX-512F). Same results, bit
     *  for bit; for testing and benchmarking. BP_EXEC_PORTABLE and then
     *  BP_EXEC_AVX2 win over it. */
    BP_EXEC_AVX512 = 4,
    /** Run everything through the reference code instead of the fast
     *  kernels, for checking a result a kernel is suspected of: a bp_mlp
     *  or bp_mlp_f32 with this context (bp_mlp_set_exec) runs every call
     *  — forward, gradient, backward, train_step, train_epoch,
     *  train_epochs, and so preactivations — on the reference network
     *  engine, plain loops over the textbook equations in the same
     *  precision (arguments are checked as before, with the same
     *  statuses); bp_dgemm_exec, bp_sgemm_exec and the dense layers
     *  (bp_dense.h) through it multiply with bp_dgemm_reference /
     *  bp_sgemm_reference. Results agree with the fast kernels' to
     *  rounding (other summation orders, no FMA); much slower, and one
     *  thread whatever the context's count. Wins over every other flag. */
    BP_EXEC_REFERENCE = 8
} bp_exec_flags;

/** The smallest double-precision product, in floating-point operations
 *  (2·m·n·k), that is split across threads; float products need twice as
 *  many (they run twice as fast). Below it, waking the second thread
 *  costs as much as the product (a square product of about n = 144;
 *  Benchmarks/README.md, "Kernel design measurements"). May be redefined
 *  when building the library. */
#ifndef BP_EXEC_PARALLEL_MIN_FLOPS
#define BP_EXEC_PARALLEL_MIN_FLOPS (2.0 * 144 * 144 * 144)
#endif

/** Most threads a context may have. */
#define BP_EXEC_MAX_THREADS 256

/**
 * Creates a context with `threads` threads in total (the caller counts as
 * one), 1 ≤ threads ≤ BP_EXEC_MAX_THREADS (BP_ERR_BAD_VALUE otherwise).
 * *out receives the context (BP_ERR_NULL_POINTER if out is NULL);
 * BP_ERR_NO_MEMORY if memory or a thread could not be had (nothing leaks).
 */
bp_status bp_exec_create(size_t threads, bp_exec **out);

/** bp_exec_create with options: flags is a combination of bp_exec_flags
 *  (BP_ERR_BAD_ENUM for unknown bits). */
bp_status bp_exec_create_with(size_t threads, unsigned flags, bp_exec **out);

/** Stops the workers and frees everything. NULL is a no-op. */
void bp_exec_free(bp_exec *exec);

/** The number of threads of a context (1 for NULL). */
size_t bp_exec_threads(const bp_exec *exec);

/** The name of the micro-kernels GEMM uses through exec (NULL: the default
 *  ones): "avx512f+avx2+fma", "avx512f+avx2+fma, avx2 tiles", "avx2+fma",
 *  "portable", or "reference" for a context created with
 *  BP_EXEC_REFERENCE. */
const char *bp_exec_kernel_name(const bp_exec *exec);

#ifdef __cplusplus
}
#endif

#endif /* BP_EXEC_H */
