/*
 * dispatch.h — the dispatch table (dispatch.c): one kernel set per CPU
 * level, each holding the build of every hot loop for that level — the
 * GEMM's slots, the narrow-network engine, the parameter-vector passes,
 * the dense layers' passes — and how a context reaches its set. Not part
 * of the API.
 */
#ifndef BP_RUNTIME_DISPATCH_H
#define BP_RUNTIME_DISPATCH_H

#include "bp_exec.h"
#include "runtime/exec.h"
#include "gemm/gemm_internal.h"
#include "mlp/mlp_internal.h"

/* One kernel set: the table holds the best, the AVX-512, the AVX2 and the
 * portable set, each filled by name in dispatch.c. */
typedef struct bp_kernel_set {
    const char *name;     /* bp_exec_kernel_name */
    bp_gemm_kernels gemm; /* the GEMM's slots (gemm/gemm_internal.h) */
    /* the narrow-network engine built for the same CPU level (mlp_internal.h) */
    bp_narrow_d_fn narrow_d;
    bp_narrow_s_fn narrow_s;
    bp_narrow_online_d_fn narrow_online_d;
    bp_narrow_online_s_fn narrow_online_s;
    /* the parameter-vector passes built for the same CPU level (mlp_internal.h) */
    bp_vec_nonfinite_d_fn vec_nonfinite_d;
    bp_vec_nonfinite_s_fn vec_nonfinite_s;
    bp_vec_sgd_d_fn vec_sgd_d;
    bp_vec_sgd_s_fn vec_sgd_s;
    bp_vec_step_d_fn vec_step_d;
    bp_vec_step_s_fn vec_step_s;
    bp_vec_maxabs_d_fn vec_maxabs_d;
    bp_vec_maxabs_s_fn vec_maxabs_s;
    /* the dense layers' backward passes, same CPU level (mlp_internal.h;
     * their forward passes are the GEMM epilogue's, in gemm) */
    bp_relu_backward_d_fn relu_backward_d;
    bp_relu_backward_s_fn relu_backward_s;
    bp_col_sums_d_fn col_sums_d;
    bp_col_sums_s_fn col_sums_s;
} bp_kernel_set;

/* The set every call without an explicit choice uses (checked once,
 * thread-safely; see dispatch.c): AVX2+FMA plus the AVX-512F kernels when
 * the CPU has AVX-512F (without the double-height tiles where its 512-bit
 * units are two 256-bit halves), AVX2+FMA alone, or portable C;
 * environment variables can force a lower level. */
const bp_kernel_set *bp_kernel_set_default(void);
/* The portable C set (always available). */
const bp_kernel_set *bp_kernel_set_portable(void);
/* The AVX2+FMA set without AVX-512 (the portable one where the CPU lacks
 * AVX2 or FMA). */
const bp_kernel_set *bp_kernel_set_avx2(void);
/* Every AVX-512 kernel the CPU can run, tiles included even where the
 * default leaves them out (the AVX2+FMA set where it lacks AVX-512F). */
const bp_kernel_set *bp_kernel_set_avx512(void);

/* The kernel set exec was created with (default, AVX-512, AVX2 or
 * portable); with NULL, the default set. */
static inline const bp_kernel_set *bp_exec_kernels(const bp_exec *exec) {
    return exec ? bp_exec_head_of(exec)->kernels : bp_kernel_set_default();
}

#endif /* BP_RUNTIME_DISPATCH_H */
