/*
 * bench_gemm.c — Backprop's GEMM against OpenBLAS, side by side.
 *
 *   make bench-gemm            (builds, picks the OpenBLAS core type, runs)
 *   bench_gemm [--quick] [--probe] [--json FILE]
 *
 * For each precision, transpose variant (NN: X·W, TN: Xᵀ·dZ, NT: dZ·Wᵀ —
 * the three products of training) and size n (square, m = n = k), times:
 *   ours      bp_?gemm_exec through a 1-thread context with the default
 *             kernels (AVX2+FMA, plus AVX-512F where the CPU has it; no
 *             allocation per call)
 *   avx2      the same with the AVX2+FMA kernels only (BP_EXEC_AVX2)
 *   plain     bp_?gemm (no context: internal stack/heap buffers)
 *   portable  bp_?gemm_exec through a context created with BP_EXEC_PORTABLE
 *   openblas  cblas_?gemm, 1 thread
 *   ours-2t / openblas-2t   the same with 2 threads (n ≥ 128)
 * Repetitions are interleaved (every implementation once per round, rounds
 * repeated) so that the noise of a shared machine hits all of them alike;
 * the best round is reported, as GFLOP/s = 2·m·n·k / time, with ratios
 * ours / OpenBLAS computed from the same run. Each timed sample repeats the
 * call until it lasts ≥ 2 ms (small n) to get above timer resolution.
 *
 * --probe: only OpenBLAS dgemm NN n = 512, 1 thread; prints GFLOP/s (used
 * by run.sh to decide whether OPENBLAS_CORETYPE helps or hurts).
 *
 * The benchmark also checks the zero-allocation promise: the library is
 * linked with -Wl,--wrap for malloc & co. (only this program), and every
 * timed call through a context must allocate nothing.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <cblas.h>
#include "CKernels.h"

char *openblas_get_corename(void);
void openblas_set_num_threads(int);

/* ---- allocation counting (library objects are linked with --wrap) -------- */
static unsigned long n_allocs;
void *__real_malloc(size_t);
void *__real_calloc(size_t, size_t);
void *__real_realloc(void *, size_t);
int __real_posix_memalign(void **, size_t, size_t);
void *__wrap_malloc(size_t s) {
    n_allocs++;
    return __real_malloc(s);
}
void *__wrap_calloc(size_t a, size_t b) {
    n_allocs++;
    return __real_calloc(a, b);
}
void *__wrap_realloc(void *p, size_t s) {
    n_allocs++;
    return __real_realloc(p, s);
}
int __wrap_posix_memalign(void **p, size_t a, size_t s) {
    n_allocs++;
    return __real_posix_memalign(p, a, s);
}

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

enum impl { OURS, AVX2, PLAIN, PORTABLE, OPENBLAS, OURS2, OPENBLAS2, N_IMPL };
static const char *impl_name[N_IMPL] = { "ours",     "avx2",    "plain",      "portable",
                                         "openblas", "ours-2t", "openblas-2t" };

typedef struct variant {
    const char *name;
    bp_transpose ta, tb;
} variant;
static const variant variants[] = {
    { "NN", BP_NO_TRANS, BP_NO_TRANS },
    { "TN", BP_TRANS, BP_NO_TRANS },
    { "NT", BP_NO_TRANS, BP_TRANS },
};

typedef struct ctx {
    int single; /* float */
    bp_transpose ta, tb;
    size_t n;
    void *A, *B, *C;
    bp_exec *ex1, *ex2, *exp, *exa;
} ctx;

static int cur_ob_threads = -1;
static void ob_threads(int t) {
    if (t != cur_ob_threads) {
        openblas_set_num_threads(t);
        cur_ob_threads = t;
    }
}

static void call(const ctx *c, enum impl im) {
    size_t n = c->n;
    int ob = im == OPENBLAS || im == OPENBLAS2;
    if (ob) {
        ob_threads(im == OPENBLAS2 ? 2 : 1);
        enum CBLAS_TRANSPOSE ta = c->ta == BP_TRANS ? CblasTrans : CblasNoTrans;
        enum CBLAS_TRANSPOSE tb = c->tb == BP_TRANS ? CblasTrans : CblasNoTrans;
        if (c->single)
            cblas_sgemm(CblasRowMajor, ta, tb, n, n, n, 1.0f, c->A, n, c->B, n, 0.0f, c->C, n);
        else cblas_dgemm(CblasRowMajor, ta, tb, n, n, n, 1.0, c->A, n, c->B, n, 0.0, c->C, n);
        return;
    }
    const bp_exec *ex = im == OURS       ? c->ex1
                        : im == OURS2    ? c->ex2
                        : im == PORTABLE ? c->exp
                        : im == AVX2     ? c->exa
                                         : NULL;
    bp_status s;
    if (c->single)
        s = im == PLAIN
                ? bp_sgemm(c->ta, c->tb, n, n, n, 1.0f, c->A, n, c->B, n, 0.0f, c->C, n)
                : bp_sgemm_exec(ex, c->ta, c->tb, n, n, n, 1.0f, c->A, n, c->B, n, 0.0f, c->C, n);
    else
        s = im == PLAIN
                ? bp_dgemm(c->ta, c->tb, n, n, n, 1.0, c->A, n, c->B, n, 0.0, c->C, n)
                : bp_dgemm_exec(ex, c->ta, c->tb, n, n, n, 1.0, c->A, n, c->B, n, 0.0, c->C, n);
    if (s != BP_OK) {
        fprintf(stderr, "gemm failed: %s\n", bp_status_string(s));
        exit(1);
    }
}

/* Seconds per call over reps calls. Each sample starts after 1 ms of
 * sleep: both thread pools keep their workers polling for a while after a
 * call (ours up to 200 µs, OpenBLAS's up to ~2^20 cycles with
 * OPENBLAS_THREAD_TIMEOUT=20), and a pool still polling on the second core
 * would slow the next implementation's 2-thread sample. */
static double sample(const ctx *c, enum impl im, size_t reps) {
    struct timespec settle = { 0, 1000000 };
    nanosleep(&settle, NULL);
    double t0 = now();
    for (size_t r = 0; r < reps; r++) call(c, im);
    return (now() - t0) / (double)reps;
}

static void fill(void *p, size_t count, int single, unsigned seed) {
    srand(seed);
    for (size_t i = 0; i < count; i++) {
        double v = (double)rand() / RAND_MAX - 0.5;
        if (single) ((float *)p)[i] = (float)v;
        else ((double *)p)[i] = v;
    }
}

typedef struct result {
    const char *prec, *var;
    size_t n;
    double gflops[N_IMPL]; /* best round; 0 = not run */
    double median[N_IMPL];
} result;

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static result run_case(int single, const variant *v, size_t n, int quick, bp_exec *ex1,
                       bp_exec *ex2, bp_exec *exp, bp_exec *exa, unsigned long *allocs) {
    size_t es = single ? sizeof(float) : sizeof(double);
    ctx c = { single, v->ta, v->tb, n,  malloc(n * n * es), malloc(n * n * es), malloc(n * n * es),
              ex1,    ex2,   exp,   exa };
    fill(c.A, n * n, single, 1);
    fill(c.B, n * n, single, 2);
    double flops = 2.0 * (double)n * n * n;
    int run[N_IMPL] = { 1, 1, 1, 1, 1, n >= 128, n >= 128 };
    if (quick) run[PLAIN] = 0;
    /* calls per sample: about 5 ms of work at ~40 GFLOP/s, at least 1 */
    size_t reps = (size_t)(2e8 / flops);
    if (reps < 1) reps = 1;
    /* 2-thread samples: at least 1 GFLOP of calls (4 of n = 512). Every
     * sample starts with both pools' workers asleep (see sample()), and
     * waking one costs 5–40 µs on this KVM host: in a single call that is
     * up to a sixth of a 2-thread n = 256 product, and it made the scaling
     * read 1.4–1.7 where back-to-back calls — as training makes them —
     * measure 1.9. Both libraries get the same number of calls. */
    size_t reps2 = (size_t)(1e9 / flops);
    if (reps2 < reps) reps2 = reps;
    size_t rounds = n >= 1024 ? 5 : n >= 512 ? 9 : 15;
    if (quick) rounds = rounds / 2 + 1;
    double t[N_IMPL][32];
    for (int im = 0; im < N_IMPL; im++)
        if (run[im]) call(&c, (enum impl)im); /* warm up */
    for (size_t r = 0; r < rounds; r++)
        for (int im = 0; im < N_IMPL; im++) {
            if (!run[im]) continue;
            /* the portable kernels are slow: fewer calls, fewer rounds */
            if (im == PORTABLE && r >= 3) {
                t[im][r] = INFINITY;
                continue;
            }
            unsigned long before = n_allocs;
            t[im][r] = sample(&c, (enum impl)im, im == OURS2 || im == OPENBLAS2 ? reps2 : reps);
            if ((im == OURS || im == OURS2 || im == PORTABLE || im == AVX2) && n_allocs != before)
                *allocs += n_allocs - before;
        }
    result res = { single ? "f32" : "f64", v->name, n, { 0 }, { 0 } };
    for (int im = 0; im < N_IMPL; im++) {
        if (!run[im]) continue;
        size_t cnt = im == PORTABLE ? (rounds < 3 ? rounds : 3) : rounds;
        qsort(t[im], cnt, sizeof(double), cmp_double);
        res.gflops[im] = flops / t[im][0] * 1e-9;
        res.median[im] = flops / t[im][cnt / 2] * 1e-9;
    }
    free(c.A);
    free(c.B);
    free(c.C);
    return res;
}

int main(int argc, char **argv) {
    int quick = 0, probe = 0;
    const char *json = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--quick")) quick = 1;
        else if (!strcmp(argv[i], "--probe")) probe = 1;
        else if (!strcmp(argv[i], "--json") && i + 1 < argc) json = argv[++i];
        else {
            fprintf(stderr, "usage: %s [--quick] [--probe] [--json FILE]\n", argv[0]);
            return 2;
        }
    }
    if (probe) {
        size_t n = 512;
        ctx c = { 0,
                  BP_NO_TRANS,
                  BP_NO_TRANS,
                  n,
                  malloc(n * n * 8),
                  malloc(n * n * 8),
                  malloc(n * n * 8),
                  NULL,
                  NULL,
                  NULL,
                  NULL };
        fill(c.A, n * n, 0, 1);
        fill(c.B, n * n, 0, 2);
        call(&c, OPENBLAS);
        double best = INFINITY;
        for (int r = 0; r < 7; r++) {
            double s = sample(&c, OPENBLAS, 3);
            if (s < best) best = s;
        }
        printf("%.2f %s\n", 2.0 * n * n * n / best * 1e-9, openblas_get_corename());
        free(c.A);
        free(c.B);
        free(c.C);
        return 0;
    }

    bp_exec *ex1, *ex2, *exp, *exa;
    if (bp_exec_create(1, &ex1) || bp_exec_create(2, &ex2) ||
        bp_exec_create_with(1, BP_EXEC_PORTABLE, &exp) ||
        bp_exec_create_with(1, BP_EXEC_AVX2, &exa)) {
        fprintf(stderr, "bp_exec_create failed\n");
        return 1;
    }
    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("# Backprop GEMM vs OpenBLAS %s (core: %s; OPENBLAS_CORETYPE=%s)\n", "0.3.21",
           openblas_get_corename(), ct ? ct : "(unset)");
    printf("# our kernels: %s; GFLOP/s = 2n^3/time, best of interleaved rounds;"
           " ratio = ours/openblas, r-avx2 = avx2/openblas, scale = ours-2t/ours\n",
           bp_exec_kernel_name(ex1));
    printf("%-4s %-3s %5s %8s %8s %8s %8s %8s %6s %6s | %8s %8s %6s %6s\n", "prec", "var", "n",
           "ours", "avx2", "plain", "portable", "openblas", "ratio", "r-avx2", "ours-2t", "ob-2t",
           "ratio", "scale");

    /* the sizes, plus 24 and 48: the small kernels' column tiles
     * are 8, 16 or 24 doubles wide, and a size between them must not fall
     * off a cliff */
    enum { N_SIZES = 9 };
    static const size_t sizes[N_SIZES] = { 16, 24, 32, 48, 64, 128, 256, 512, 1024 };
    const size_t nsizes = N_SIZES;
    result results[2 * 3 * N_SIZES];
    size_t nres = 0;
    unsigned long allocs = 0;
    for (int single = 0; single <= 1; single++)
        for (size_t vi = 0; vi < 3; vi++)
            for (size_t si = 0; si < nsizes; si++) {
                result r =
                    run_case(single, &variants[vi], sizes[si], quick, ex1, ex2, exp, exa, &allocs);
                results[nres++] = r;
                printf("%-4s %-3s %5zu %8.2f %8.2f %8.2f %8.2f %8.2f %6.3f %6.3f", r.prec, r.var,
                       r.n, r.gflops[OURS], r.gflops[AVX2], r.gflops[PLAIN], r.gflops[PORTABLE],
                       r.gflops[OPENBLAS], r.gflops[OURS] / r.gflops[OPENBLAS],
                       r.gflops[AVX2] / r.gflops[OPENBLAS]);
                if (r.gflops[OURS2] > 0)
                    printf(" | %8.2f %8.2f %6.3f %6.3f\n", r.gflops[OURS2], r.gflops[OPENBLAS2],
                           r.gflops[OURS2] / r.gflops[OPENBLAS2], r.gflops[OURS2] / r.gflops[OURS]);
                else printf(" |\n");
                fflush(stdout);
            }
    printf("# allocations during timed calls through a context: %lu\n", allocs);

    if (json) {
        FILE *f = fopen(json, "w");
        if (!f) {
            perror(json);
            return 1;
        }
        fprintf(
            f,
            "{\n  \"openblas_core\": \"%s\",\n  \"openblas_coretype_env\": \"%s\",\n"
            "  \"our_kernels\": \"%s\",\n  \"unit\": \"GFLOP/s (2n^3/time), best of interleaved rounds\",\n"
            "  \"allocations_through_context\": %lu,\n  \"results\": [\n",
            openblas_get_corename(), ct ? ct : "", bp_exec_kernel_name(ex1), allocs);
        for (size_t i = 0; i < nres; i++) {
            const result *r = &results[i];
            fprintf(f, "    {\"precision\": \"%s\", \"variant\": \"%s\", \"n\": %zu", r->prec,
                    r->var, r->n);
            for (int im = 0; im < N_IMPL; im++)
                if (r->gflops[im] > 0)
                    fprintf(f, ", \"%s\": %.3f, \"%s_median\": %.3f", impl_name[im], r->gflops[im],
                            impl_name[im], r->median[im]);
            fprintf(f, ", \"ratio_1t\": %.4f, \"ratio_avx2_1t\": %.4f",
                    r->gflops[OURS] / r->gflops[OPENBLAS], r->gflops[AVX2] / r->gflops[OPENBLAS]);
            if (r->gflops[OURS2] > 0)
                fprintf(f, ", \"ratio_2t\": %.4f, \"scaling_2t_over_1t\": %.4f",
                        r->gflops[OURS2] / r->gflops[OPENBLAS2],
                        r->gflops[OURS2] / r->gflops[OURS]);
            fprintf(f, "}%s\n", i + 1 < nres ? "," : "");
        }
        fprintf(f, "  ]\n}\n");
        fclose(f);
        printf("# wrote %s\n", json);
    }
    bp_exec_free(ex1);
    bp_exec_free(ex2);
    bp_exec_free(exp);
    bp_exec_free(exa);
    return allocs == 0 ? 0 : 1;
}
