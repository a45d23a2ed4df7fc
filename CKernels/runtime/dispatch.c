/*
 * gemm_dispatch.c — the dispatch table: which micro-kernels GEMM runs.
 *
 * This is the only global state of the library. It is filled exactly once,
 * under pthread_once, the first time a GEMM (or bp_exec_create) needs it,
 * and is read-only afterwards, so any number of threads may use it.
 *
 *   - On x86-64 CPUs with AVX2 and FMA (__builtin_cpu_supports), the
 *     AVX2+FMA kernels of gemm_kernel_avx2.c; if the CPU also has AVX-512F,
 *     the double-height AVX-512 kernels of gemm_kernel_avx512.c on top of
 *     them ("tiles": 12 × 16 doubles, 12 × 32 floats), the AVX-512 packer
 *     of float A, and the unpacked small-product kernel of
 *     gemm_small_avx512.c (the same results, bit for bit, in less time).
 *     Except the tiles on a CPU that executes a 512-bit multiply-add as
 *     two 256-bit halves (avx512_half_width below): there they do the
 *     AVX2 tiles' work per cycle with twice their footprint in L1, and
 *     the AVX2 tiles win.
 *   - The narrow-network engine (narrow_tmpl.h) and the parameter-vector
 *     passes (vector_tmpl.h) built for the same level: narrow.c,
 *     narrow_avx2.c, or narrow_avx512.c when the CPU also has AVX-512 DQ
 *     and VL.
 *   - Everywhere else, the portable C kernels of gemm.c.
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
#include "gemm/gemm_internal.h"

static struct {
    pthread_once_t once;
    bp_gemm_kernels best;
    bp_gemm_kernels avx512;
    bp_gemm_kernels avx2;
    bp_gemm_kernels portable;
} bp_dispatch = { PTHREAD_ONCE_INIT, { .name = "portable" }, { .name = "portable" },
                  { .name = "portable" }, { .name = "portable" } };

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

/* The passes of one ISA build into a table (the tables below list them as
 * NULL, then fill them in here): the parameter-vector passes
 * (vector_tmpl.h) and the dense layers' element-wise passes
 * (dense_passes_tmpl.h). */
#define ISA_PASSES(table, ISA)                                                 \
    do {                                                                       \
        (table).vec_nonfinite_d = bp_vec_nonfinite_d_##ISA;                    \
        (table).vec_nonfinite_s = bp_vec_nonfinite_s_##ISA;                    \
        (table).vec_sgd_d = bp_vec_sgd_d_##ISA;                                \
        (table).vec_sgd_s = bp_vec_sgd_s_##ISA;                                \
        (table).vec_maxabs_d = bp_vec_maxabs_d_##ISA;                          \
        (table).vec_maxabs_s = bp_vec_maxabs_s_##ISA;                          \
        (table).bias_rows_d = bp_bias_rows_d_##ISA;                            \
        (table).bias_rows_s = bp_bias_rows_s_##ISA;                            \
        (table).relu_rows_d = bp_relu_rows_d_##ISA;                            \
        (table).relu_rows_s = bp_relu_rows_s_##ISA;                            \
        (table).relu_backward_d = bp_relu_backward_d_##ISA;                    \
        (table).relu_backward_s = bp_relu_backward_s_##ISA;                    \
        (table).col_sums_d = bp_col_sums_d_##ISA;                              \
        (table).col_sums_s = bp_col_sums_s_##ISA;                              \
    } while (0)

static void dispatch_init(void) {
    bp_gemm_kernels portable = {
        "portable",
        bp_dkernel_portable, NULL, bp_dpack_a_portable, bp_dpack_b_portable,
        bp_skernel_portable, NULL, bp_spack_a_portable, bp_spack_b_portable,
        NULL, NULL, bp_narrow_d_portable, bp_narrow_s_portable,
        bp_narrow_online_d_portable, bp_narrow_online_s_portable, NULL, NULL,
        /* the passes, filled in by ISA_PASSES */
        NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
    };
    ISA_PASSES(portable, portable);
    bp_dispatch.portable = portable;
    bp_dispatch.avx2 = portable;
    bp_dispatch.best = portable;
#if defined(__x86_64__)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        bp_gemm_kernels avx2 = {
            "avx2+fma",
            bp_dkernel_avx2, NULL, bp_dpack_a_avx2, bp_dpack_b_avx2,
            bp_skernel_avx2, NULL, bp_spack_a_avx2, bp_spack_b_avx2,
            NULL, NULL, bp_narrow_d_avx2, bp_narrow_s_avx2,
            bp_narrow_online_d_avx2, bp_narrow_online_s_avx2, NULL, NULL,
            /* the passes, filled in by ISA_PASSES */
            NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL
        };
        ISA_PASSES(avx2, avx2);
        bp_dispatch.avx2 = avx2;
        bp_dispatch.avx512 = avx2;
        if (__builtin_cpu_supports("avx512f")) {
            bp_gemm_kernels *w = &bp_dispatch.avx512;
            w->name = "avx512f+avx2+fma";
            w->dkernel2 = bp_dkernel2_avx512;
            w->skernel2 = bp_skernel2_avx512;
            w->dkernel22 = bp_dkernel22_avx512;
            w->skernel22 = bp_skernel22_avx512;
            w->dsmall = bp_dgemm_small_avx512;
            w->ssmall = bp_sgemm_small_avx512;
            w->spack_a = bp_spack_a_avx512;
            /* the narrow engine's AVX-512 build also wants DQ and VL */
            if (__builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl")) {
                w->narrow_d = bp_narrow_d_avx512;
                w->narrow_s = bp_narrow_s_avx512;
                w->narrow_online_d = bp_narrow_online_d_avx512;
                w->narrow_online_s = bp_narrow_online_s_avx512;
                ISA_PASSES(*w, avx512);
            }
        }
        if (!env_flag("BP_GEMM_PORTABLE")) {
            bp_dispatch.best = env_flag("BP_GEMM_NO_AVX512") ? avx2 : bp_dispatch.avx512;
            if (bp_dispatch.best.dkernel22 != NULL &&
                !env_setting("BP_GEMM_AVX512_TILES", !avx512_half_width())) {
                /* the same products in the AVX2 tiles (bit for bit) */
                bp_dispatch.best.name = "avx512f+avx2+fma, avx2 tiles";
                bp_dispatch.best.dkernel2 = NULL;
                bp_dispatch.best.skernel2 = NULL;
                bp_dispatch.best.dkernel22 = NULL;
                bp_dispatch.best.skernel22 = NULL;
            }
        }
    }
#else
    (void)env_flag;
#endif
}

const bp_gemm_kernels *bp_gemm_kernels_default(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.best;
}

const bp_gemm_kernels *bp_gemm_kernels_portable(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.portable;
}

const bp_gemm_kernels *bp_gemm_kernels_avx512(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.avx512;
}

const bp_gemm_kernels *bp_gemm_kernels_avx2(void) {
    pthread_once(&bp_dispatch.once, dispatch_init);
    return &bp_dispatch.avx2;
}
