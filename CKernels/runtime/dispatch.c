/*
 * dispatch.c — the dispatch table (dispatch.h): which build of each hot
 * loop the CPU runs, one kernel set (bp_kernel_set) per CPU level.
 *
 * This is the only global state of the library. It is filled exactly once,
 * under pthread_once, the first time a kernel (or bp_exec_create) needs it,
 * and is read-only afterwards, so any number of threads may use it. Every
 * slot is set by name: the portable and the AVX2+FMA sets are written out
 * whole below, the AVX-512 set is the AVX2+FMA one with named slots
 * replaced where the CPU has the features.
 *
 *   - On x86-64 CPUs with AVX2 and FMA (__builtin_cpu_supports), the
 *     AVX2+FMA kernels of gemm/kernels/avx2.c; if the CPU also has AVX-512F,
 *     the double-height AVX-512 kernels of gemm/kernels/avx512.c on top of
 *     them ("tiles": 12 × 16 doubles, 12 × 32 floats), the AVX-512 packer
 *     of float A, and the unpacked small-product kernel of
 *     gemm/kernels/small_avx512.c (the same results, bit for bit, in less
 *     time). Except the tiles on a CPU that executes a 512-bit multiply-add as
 *     two 256-bit halves (avx512_half_width below): there they do the
 *     AVX2 tiles' work per cycle with twice their footprint in L1, and
 *     the AVX2 tiles win.
 *   - The narrow-network engine (narrow_tmpl.h) and the parameter-vector
 *     passes (vector_tmpl.h) and the dense layers' passes
 *     (dense_passes_tmpl.h) built for the same level: narrow.c,
 *     narrow_avx2.c, or narrow_avx512.c when the CPU also has AVX-512 DQ
 *     and VL.
 *   - Everywhere else, the portable C kernels of gemm.c and the
 *     portable builds of the rest.
 *   - Environment variables, read once at initialisation (for testing and
 *     benchmarking): BP_GEMM_PORTABLE set to a non-empty value other than
 *     "0" forces the portable kernels; BP_GEMM_NO_AVX512 likewise keeps
 *     the AVX2+FMA kernels without AVX-512; BP_GEMM_AVX512_TILES set to
 *     "1" or "0" takes or leaves the AVX-512 tiles whatever the CPU's
 *     datapath width. A context created with BP_EXEC_PORTABLE,
 *     BP_EXEC_AVX2 or BP_EXEC_AVX512 picks its own set for the calls made
 *     through it, without touching the environment.
 */
#include <pthread.h>
#include <stdlib.h>
#if defined(__x86_64__)
#include <cpuid.h>
#endif
#include "runtime/dispatch.h"

/* The portable C build of every slot. */
static const bp_kernel_set portable_set = {
    .name = "portable",
    .gemm = {
        .dkernel = bp_dkernel_portable,
        .dpack_a = bp_dpack_a_portable,
        .dpack_b = bp_dpack_b_portable,
        .skernel = bp_skernel_portable,
        .spack_a = bp_spack_a_portable,
        .spack_b = bp_spack_b_portable,
        /* no double-height tiles (dkernel2, skernel2, dkernel22, skernel22)
         * and no unpacked small kernels (dsmall, ssmall): NULL */
        .bias_rows_d = bp_bias_rows_d_portable,
        .bias_rows_s = bp_bias_rows_s_portable,
        .relu_rows_d = bp_relu_rows_d_portable,
        .relu_rows_s = bp_relu_rows_s_portable,
    },
    .narrow_d = bp_narrow_d_portable,
    .narrow_s = bp_narrow_s_portable,
    .narrow_online_d = bp_narrow_online_d_portable,
    .narrow_online_s = bp_narrow_online_s_portable,
    .vec_nonfinite_d = bp_vec_nonfinite_d_portable,
    .vec_nonfinite_s = bp_vec_nonfinite_s_portable,
    .vec_sgd_d = bp_vec_sgd_d_portable,
    .vec_sgd_s = bp_vec_sgd_s_portable,
    .vec_step_d = bp_vec_step_d_portable,
    .vec_step_s = bp_vec_step_s_portable,
    .vec_maxabs_d = bp_vec_maxabs_d_portable,
    .vec_maxabs_s = bp_vec_maxabs_s_portable,
    .relu_backward_d = bp_relu_backward_d_portable,
    .relu_backward_s = bp_relu_backward_s_portable,
    .col_sums_d = bp_col_sums_d_portable,
    .col_sums_s = bp_col_sums_s_portable,
};

#if defined(__x86_64__)
/* The AVX2+FMA build of every slot (CPUs with AVX2 and FMA only). */
static const bp_kernel_set avx2_set = {
    .name = "avx2+fma",
    .gemm = {
        .dkernel = bp_dkernel_avx2,
        .dpack_a = bp_dpack_a_avx2,
        .dpack_b = bp_dpack_b_avx2,
        .skernel = bp_skernel_avx2,
        .spack_a = bp_spack_a_avx2,
        .spack_b = bp_spack_b_avx2,
        /* the double-height tiles and the unpacked small kernels are
         * AVX-512's: NULL */
        .bias_rows_d = bp_bias_rows_d_avx2,
        .bias_rows_s = bp_bias_rows_s_avx2,
        .relu_rows_d = bp_relu_rows_d_avx2,
        .relu_rows_s = bp_relu_rows_s_avx2,
    },
    .narrow_d = bp_narrow_d_avx2,
    .narrow_s = bp_narrow_s_avx2,
    .narrow_online_d = bp_narrow_online_d_avx2,
    .narrow_online_s = bp_narrow_online_s_avx2,
    .vec_nonfinite_d = bp_vec_nonfinite_d_avx2,
    .vec_nonfinite_s = bp_vec_nonfinite_s_avx2,
    .vec_sgd_d = bp_vec_sgd_d_avx2,
    .vec_sgd_s = bp_vec_sgd_s_avx2,
    .vec_step_d = bp_vec_step_d_avx2,
    .vec_step_s = bp_vec_step_s_avx2,
    .vec_maxabs_d = bp_vec_maxabs_d_avx2,
    .vec_maxabs_s = bp_vec_maxabs_s_avx2,
    .relu_backward_d = bp_relu_backward_d_avx2,
    .relu_backward_s = bp_relu_backward_s_avx2,
    .col_sums_d = bp_col_sums_d_avx2,
    .col_sums_s = bp_col_sums_s_avx2,
};
#endif

static struct {
    pthread_once_t once;
    bp_kernel_set best;
    bp_kernel_set avx512;
    bp_kernel_set avx2;
    bp_kernel_set portable;
} bp_dispatch = { .once = PTHREAD_ONCE_INIT };

/* 1 if the variable is set to a non-empty value other than "0", 0 if it is
 * "0", `unset` if it is unset or empty. */
static int env_setting(const char *name, int unset) {
    const char *v = getenv(name);
    if (v == NULL || v[0] == '\0') return unset;
    return !(v[0] == '0' && v[1] == '\0');
}

static int env_flag(const char *name) { return env_setting(name, 0) == 1; }

#if defined(__x86_64__)
/* Whether the CPU splits every 512-bit multiply-add into two 256-bit
 * halves, as AMD's Zen 4 does (family 19h; its Zen 3 siblings have no
 * AVX-512). There the double-height AVX-512 tiles do the AVX2 tiles'
 * multiply-adds per cycle with twice their L1 footprint, and the AVX2
 * tiles are faster (Benchmarks/README.md, "Kernel design measurements").
 * Zen 5 (family 1Ah) has full-width units and keeps the AVX-512 tiles, as
 * do Intel's AVX-512 cores. */
static int avx512_half_width(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(0, &a, &b, &c, &d)) return 0;
    /* "AuthenticAMD" in ebx, edx, ecx */
    if (b != 0x68747541u || d != 0x69746e65u || c != 0x444d4163u) return 0;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    unsigned family = (a >> 8) & 0xfu;
    if (family == 0xfu) family += (a >> 20) & 0xffu;
    return family == 0x19u;
}
#endif

static void dispatch_init(void) {
    bp_dispatch.portable = portable_set;
    bp_dispatch.avx512 = portable_set;
    bp_dispatch.avx2 = portable_set;
    bp_dispatch.best = portable_set;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        bp_dispatch.avx2 = avx2_set;
        bp_dispatch.avx512 = avx2_set;
        if (__builtin_cpu_supports("avx512f")) {
            bp_kernel_set *w = &bp_dispatch.avx512;
            w->name = "avx512f+avx2+fma";
            w->gemm.dkernel2 = bp_dkernel2_avx512;
            w->gemm.skernel2 = bp_skernel2_avx512;
            w->gemm.dkernel22 = bp_dkernel22_avx512;
            w->gemm.skernel22 = bp_skernel22_avx512;
            w->gemm.dsmall = bp_dgemm_small_avx512;
            w->gemm.ssmall = bp_sgemm_small_avx512;
            w->gemm.spack_a = bp_spack_a_avx512;
            /* the narrow engine's AVX-512 build, and the passes built with
             * it, also want DQ and VL */
            if (__builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
                w->gemm.bias_rows_d = bp_bias_rows_d_avx512;
                w->gemm.bias_rows_s = bp_bias_rows_s_avx512;
                w->gemm.relu_rows_d = bp_relu_rows_d_avx512;
                w->gemm.relu_rows_s = bp_relu_rows_s_avx512;
                w->narrow_d = bp_narrow_d_avx512;
                w->narrow_s = bp_narrow_s_avx512;
                w->narrow_online_d = bp_narrow_online_d_avx512;
                w->narrow_online_s = bp_narrow_online_s_avx512;
                w->vec_nonfinite_d = bp_vec_nonfinite_d_avx512;
                w->vec_nonfinite_s = bp_vec_nonfinite_s_avx512;
                w->vec_sgd_d = bp_vec_sgd_d_avx512;
                w->vec_sgd_s = bp_vec_sgd_s_avx512;
                w->vec_step_d = bp_vec_step_d_avx512;
                w->vec_step_s = bp_vec_step_s_avx512;
                w->vec_maxabs_d = bp_vec_maxabs_d_avx512;
                w->vec_maxabs_s = bp_vec_maxabs_s_avx512;
                w->relu_backward_d = bp_relu_backward_d_avx512;
                w->relu_backward_s = bp_relu_backward_s_avx512;
                w->col_sums_d = bp_col_sums_d_avx512;
                w->col_sums_s = bp_col_sums_s_avx512;
            }
        }
        if (!env_flag("BP_GEMM_PORTABLE")) {
            bp_dispatch.best = env_flag("BP_GEMM_NO_AVX512") ? avx2_set : bp_dispatch.avx512;
            if (bp_dispatch.best.gemm.dkernel22 != NULL &&
                !env_setting("BP_GEMM_AVX512_TILES", !avx512_half_width())) {
                /* the same products in the AVX2 tiles (bit for bit) */
                bp_dispatch.best.name = "avx512f+avx2+fma, avx2 tiles";
                bp_dispatch.best.gemm.dkernel2 = NULL;
                bp_dispatch.best.gemm.skernel2 = NULL;
                bp_dispatch.best.gemm.dkernel22 = NULL;
                bp_dispatch.best.gemm.skernel22 = NULL;
            }
        }
    }
#else
    (void)env_flag;
#endif
}

const bp_kernel_set *bp_kernel_set_default(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.best;
}

const bp_kernel_set *bp_kernel_set_portable(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.portable;
}

const bp_kernel_set *bp_kernel_set_avx512(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.avx512;
}

const bp_kernel_set *bp_kernel_set_avx2(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.avx2;
}

const bp_gemm_kernels *bp_gemm_default(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.best.gemm;
}
