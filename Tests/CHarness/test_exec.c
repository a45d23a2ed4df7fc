/*
 * test_exec.c — the execution context (bp_exec.h): creation and its
 * errors, the thread pool reused over many calls, several contexts side by
 * side, and the promise that a GEMM or a dense-layer pass through a
 * context allocates nothing.
 *
 * Allocation counting: the harness is linked with
 * -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=posix_memalign
 * (Makefile, HARNESS_WRAP), which routes every call that the library's
 * objects (and the harness's) make to those functions through the
 * counters below. GSL and libc internals are not affected.
 */
#include "harness.h"

#include <stdlib.h>
#include <string.h>

/* ---- allocation counters (see the Makefile's HARNESS_WRAP) ------------------ */

static unsigned long g_allocs;

void *__real_malloc(size_t size);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t size);
int __real_posix_memalign(void **p, size_t align, size_t size);

unsigned long h_allocations(void) { return g_allocs; }

void *__wrap_malloc(size_t size) {
    g_allocs++;
    return __real_malloc(size);
}
void *__wrap_calloc(size_t n, size_t size) {
    g_allocs++;
    return __real_calloc(n, size);
}
void *__wrap_realloc(void *p, size_t size) {
    g_allocs++;
    return __real_realloc(p, size);
}
int __wrap_posix_memalign(void **p, size_t align, size_t size) {
    g_allocs++;
    return __real_posix_memalign(p, align, size);
}

/* ---- creation ----------------------------------------------------------------- */

static void test_create_and_errors(void **state) {
    (void)state;
    bp_exec *ex = (bp_exec *)&ex; /* must be overwritten on success only */
    H_STATUS(BP_ERR_NULL_POINTER, bp_exec_create(1, NULL));
    H_STATUS(BP_ERR_BAD_VALUE, bp_exec_create(0, &ex));
    H_STATUS(BP_ERR_BAD_VALUE, bp_exec_create(BP_EXEC_MAX_THREADS + 1, &ex));
    H_STATUS(BP_ERR_BAD_ENUM, bp_exec_create_with(1, 16u, &ex));
    H_STATUS(BP_ERR_BAD_ENUM, bp_exec_create_with(1, 0x80000000u, &ex));
    H_EXPECT(ex == (bp_exec *)&ex, "out written by a failing create");

    for (size_t t = 1; t <= 3; t++) {
        H_OK(bp_exec_create(t, &ex));
        H_EXPECT(bp_exec_threads(ex) == t, "threads %zu, asked %zu", bp_exec_threads(ex), t);
        const char *name = bp_exec_kernel_name(ex);
        H_EXPECT(!strcmp(name, "avx512f+avx2+fma") || !strcmp(name, "avx2+fma") ||
                     !strcmp(name, "avx512f+avx2+fma, avx2 tiles") || !strcmp(name, "portable"),
                 "kernel name %s", name);
        H_EXPECT(!strcmp(name, bp_exec_kernel_name(NULL)), "default kernels differ from NULL's");
        bp_exec_free(ex);
    }
    H_OK(bp_exec_create_with(2, BP_EXEC_PORTABLE, &ex));
    H_EXPECT(!strcmp(bp_exec_kernel_name(ex), "portable"), "BP_EXEC_PORTABLE ignored");
    bp_exec_free(ex);
    H_OK(bp_exec_create_with(1, BP_EXEC_PORTABLE | BP_EXEC_AVX2, &ex));
    H_EXPECT(!strcmp(bp_exec_kernel_name(ex), "portable"), "BP_EXEC_PORTABLE must win");
    bp_exec_free(ex);
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX2, &ex));
    H_EXPECT(strstr(bp_exec_kernel_name(ex), "avx512") == NULL, "BP_EXEC_AVX2 ignored");
    bp_exec_free(ex);
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX2 | BP_EXEC_AVX512, &ex));
    H_EXPECT(strstr(bp_exec_kernel_name(ex), "avx512") == NULL, "BP_EXEC_AVX2 must win");
    bp_exec_free(ex);
    /* all of AVX-512, tiles included, where the CPU has it */
    H_OK(bp_exec_create_with(1, BP_EXEC_AVX512, &ex));
    {
        bp_exec *avx2 = NULL;
        H_OK(bp_exec_create_with(1, BP_EXEC_AVX2, &avx2));
        const char *want = bp_exec_kernel_name(avx2);
#if defined(__x86_64__)
        __builtin_cpu_init();
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx2") &&
            __builtin_cpu_supports("fma"))
            want = "avx512f+avx2+fma";
#endif
        H_EXPECT(!strcmp(bp_exec_kernel_name(ex), want), "BP_EXEC_AVX512: %s, expected %s",
                 bp_exec_kernel_name(ex), want);
        bp_exec_free(avx2);
    }
    bp_exec_free(ex);
    H_EXPECT(bp_exec_threads(NULL) == 1, "NULL context must count one thread");
    bp_exec_free(NULL);
}

/* ---- the pool over many calls ------------------------------------------------ */

/* Hundreds of split products through one context (the workers are woken
 * and put back to sleep each time) and through several contexts used in
 * turn: every result equals the 1-thread one bit for bit. */
static void test_pool_reuse_and_several_contexts(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7101);
    const size_t m = 200, n = 190, k = 180; /* 2mnk above the split threshold */
    double *A = h_matrix(&r, m, k, k, -1, 1, 0), *B = h_matrix(&r, k, n, n, -1, 1, 0);
    double *C1 = h_alloc(m * n), *C = h_alloc(m * n);
    bp_exec *one, *two, *three;
    H_OK(bp_exec_create(1, &one));
    H_OK(bp_exec_create(2, &two));
    H_OK(bp_exec_create(3, &three));
    H_OK(bp_dgemm_exec(one, BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0, A, k, B, n, 0.0, C1, n));
    for (int it = 0; it < 300; it++) {
        bp_exec *ex = it % 3 == 0 ? two : it % 3 == 1 ? three : one;
        memset(C, 0, m * n * sizeof *C);
        H_OK(bp_dgemm_exec(ex, BP_NO_TRANS, BP_NO_TRANS, m, n, k, 1.0, A, k, B, n, 0.0, C, n));
        H_EXPECT(h_same_bits(C, C1, m * n), "call %d through %zu threads differs", it,
                 bp_exec_threads(ex));
        if (!h_same_bits(C, C1, m * n)) break;
    }
    bp_exec_free(one);
    bp_exec_free(two);
    bp_exec_free(three);
    free(A);
    free(B);
    free(C1);
    free(C);
}

/* ---- zero allocations per call ------------------------------------------------- */

static void test_no_allocation_through_context(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 7102);
    bp_exec *ex;
    H_OK(bp_exec_create(2, &ex));
    const size_t n = 300, nin = 260, nout = 270;
    double *X = h_matrix(&r, n, nin, nin, -1, 1, 0), *W = h_matrix(&r, nin, nout, nout, -1, 1, 0);
    double *b = h_alloc_fill(nout, 0.1), *Z = h_alloc(n * nout), *A = h_alloc(n * nout);
    double *dA = h_matrix(&r, n, nout, nout, -1, 1, 0), *dZ = h_alloc(n * nout);
    double *dW = h_alloc(nin * nout), *db = h_alloc(nout), *dX = h_alloc(n * nin);
    float *Xf = malloc(n * nin * sizeof *Xf), *Wf = malloc(nin * nout * sizeof *Wf);
    float *Cf = malloc(n * nout * sizeof *Cf);
    for (size_t i = 0; i < n * nin; i++) Xf[i] = (float)X[i];
    for (size_t i = 0; i < nin * nout; i++) Wf[i] = (float)W[i];

    unsigned long before = g_allocs;
    /* the three products of training: X·W, Xᵀ·dZ, dZ·Wᵀ */
    H_OK(bp_dgemm_exec(ex, BP_NO_TRANS, BP_NO_TRANS, n, nout, nin, 1.0, X, nin, W, nout, 0.0, Z,
                       nout));
    H_OK(bp_dgemm_exec(ex, BP_TRANS, BP_NO_TRANS, nin, nout, n, 1.0, X, nin, dA, nout, 0.0, dW,
                       nout));
    H_OK(bp_dgemm_exec(ex, BP_NO_TRANS, BP_TRANS, n, nin, nout, 1.0, dA, nout, W, nout, 0.0, dX,
                       nin));
    H_OK(bp_sgemm_exec(ex, BP_NO_TRANS, BP_NO_TRANS, n, nout, nin, 1.0f, Xf, nin, Wf, nout, 0.0f,
                       Cf, nout));
    H_OK(bp_dense_forward(ex, BP_ACT_TANH, 0, n, nin, nout, X, nin, W, nout, b, Z, A));
    H_OK(bp_dense_forward(ex, BP_ACT_SOFTMAX, 0, n, nin, nout, X, nin, W, nout, b, Z, A));
    H_OK(bp_dense_backward(ex, BP_ACT_TANH, 0, n, nin, nout, X, nin, W, nout, Z, A, dA, dZ, dW, db,
                           dX));
    /* small layers take the direct path, which never allocates either */
    H_OK(bp_dense_forward(ex, BP_ACT_RELU, 0, n, 3, 4, X, nin, W, nout, b, Z, A));
    H_OK(bp_dense_backward(ex, BP_ACT_RELU, 0, n, 3, 4, X, nin, W, nout, Z, A, dA, dZ, dW, db, dX));
    unsigned long used = g_allocs - before;
    H_EXPECT(used == 0, "%lu allocations during calls through a context", used);

    /* Sanity of the counter itself: the context-free path of a large
     * product allocates its workspace. */
    before = g_allocs;
    H_OK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, n, nout, nin, 1.0, X, nin, W, nout, 0.0, Z, nout));
    H_EXPECT(g_allocs > before, "the allocation counter does not count (link flags?)");

    bp_exec_free(ex);
    free(X);
    free(W);
    free(b);
    free(Z);
    free(A);
    free(dA);
    free(dZ);
    free(dW);
    free(db);
    free(dX);
    free(Xf);
    free(Wf);
    free(Cf);
}

int run_exec_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_create_and_errors),
        cmocka_unit_test(test_pool_reuse_and_several_contexts),
        cmocka_unit_test(test_no_allocation_through_context),
    };
    return cmocka_run_group_tests_name("exec", tests, NULL, NULL);
}
