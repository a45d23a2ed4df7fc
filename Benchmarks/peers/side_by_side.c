/*
 * side_by_side.c — W3/W4 in one process: where Backprop's step and the
 * OpenBLAS composition's differ (`Benchmarks/peers/run.py --side-by-side`).
 *
 *   side_by_side DATADIR [--threads N] [--rounds R]
 *
 * Three ways to train the same epoch, from the same initial parameters, run
 * one after the other in every round (so that all three see the same
 * machine state; separate processes, as in the peer table, differ by a few
 * per cent from run to run on this shared host):
 *   ob-comp   the composition (openblas_mlp.c, included here) as is;
 *   bp-comp   the same composition with Backprop's GEMM (bp_?gemm_exec)
 *             in place of cblas_?gemm;
 *   backprop  bp_mlp_train_epoch (fused dense kernels, checked update).
 * The composition's GEMMs are timed call by call, per position in the step
 * (the forward products, then dW and dX from the last layer down). So
 * ob-comp vs bp-comp is OpenBLAS's GEMM vs ours inside a training step,
 * and bp-comp vs backprop is everything else: the composition's loops and
 * axpy against our fused passes and checked update.
 *
 * Compiled like the composition, with -O3 -march=native (its plain loops
 * are the composition's code), twice: as is (f64) and with -DPEER_F32.
 * Prints a table of best-of-rounds times.
 */
#define _POSIX_C_SOURCE 200809L
#include <cblas.h>
#include <math.h>
#include "peer_common.h"
#include "CKernels.h"

/* The composition's precision, as openblas_mlp.c will define it. */
#ifdef PEER_F32
typedef float real;
#define CBLAS_GEMM cblas_sgemm
#else
typedef double real;
#define CBLAS_GEMM cblas_dgemm
#endif

enum { MAX_SITES = 32 };

/* Which GEMM the composition's calls go to, and their timings. */
static struct {
    int use_backprop;
    const bp_exec *exec;
    size_t sites, next;      /* GEMM calls per step; the next call's position */
    double seconds[MAX_SITES];
} g;

static void timed_gemm(CBLAS_ORDER order, CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, int m, int n,
                       int k, real alpha, const real *A, int lda, const real *B, int ldb,
                       real beta, real *C, int ldc) {
    double t0 = now_seconds();
    if (g.use_backprop) {
        bp_transpose a = ta == CblasTrans ? BP_TRANS : BP_NO_TRANS;
        bp_transpose b = tb == CblasTrans ? BP_TRANS : BP_NO_TRANS;
#ifdef PEER_F32
        bp_status s = bp_sgemm_exec(g.exec, a, b, (size_t)m, (size_t)n, (size_t)k, alpha, A,
                                    (size_t)lda, B, (size_t)ldb, beta, C, (size_t)ldc);
#else
        bp_status s = bp_dgemm_exec(g.exec, a, b, (size_t)m, (size_t)n, (size_t)k, alpha, A,
                                    (size_t)lda, B, (size_t)ldb, beta, C, (size_t)ldc);
#endif
        if (s != BP_OK) peer_die("bp_gemm_exec failed:", bp_status_string(s));
    } else {
        CBLAS_GEMM(order, ta, tb, m, n, k, alpha, A, lda, B, ldb, beta, C, ldc);
    }
    g.seconds[g.next] += now_seconds() - t0;
    g.next = (g.next + 1) % g.sites;
}

/* The composition itself, its GEMM calls routed through timed_gemm (its
 * own main renamed out of the way). */
#define cblas_sgemm timed_gemm
#define cblas_dgemm timed_gemm
#define main composition_main
#include "openblas_mlp.c"
#undef main

int main(int argc, char **argv) {
    if (argc < 2) {
        fprintf(stderr, "usage: side_by_side DATADIR [--threads N] [--rounds R]\n");
        return 2;
    }
    size_t threads = 1, rounds = 5;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = (size_t)atol(argv[++i]);
        else if (!strcmp(argv[i], "--rounds") && i + 1 < argc) rounds = (size_t)atol(argv[++i]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (threads == 0 || rounds == 0) { fprintf(stderr, "--threads and --rounds must be ≥ 1\n"); return 2; }
    workload w;
    load_workload(argv[1], &w);
    if (w.n_layers < 2 || 3 * w.n_layers - 1 > MAX_SITES || w.order != NULL || !w.has_labels ||
        strcmp(w.loss, "cce") != 0)
        peer_die("side_by_side runs workloads with labels, CCE and no shuffling (W3, W4):", argv[1]);
    openblas_set_num_threads((int)threads);
    bp_exec *exec;
    if (bp_exec_create(threads, &exec) != BP_OK) peer_die("bp_exec_create failed", NULL);
    g.exec = exec;
    g.sites = 3 * w.n_layers - 1;   /* forward L, dW L, dX L − 1 */

    size_t d = w.sizes[0], k = w.sizes[w.n_layers];
    real *X = to_real(w.X, w.n * d), *Y = to_real(w.Y, w.n * k), *p0 = to_real(w.params, w.n_params);
    real *p = xalloc(w.n_params * sizeof(real));
    net m;
    net_init(&m, &w, w.batch);
    bp_layer_spec specs[8];
    for (size_t l = 0; l < w.n_layers; l++) {
        specs[l].n_in = w.sizes[l];
        specs[l].n_out = w.sizes[l + 1];
        specs[l].act = m.act[l] == RELU ? BP_ACT_RELU : m.act[l] == SIGMOID ? BP_ACT_SIGMOID
                                                                            : BP_ACT_SOFTMAX;
        specs[l].param = 0.0;
    }
    size_t *labels = malloc(w.n * sizeof *labels);
    if (labels == NULL) peer_die("out of memory", NULL);
    for (size_t i = 0; i < w.n; i++) labels[i] = (size_t)w.labels[i];
#ifdef PEER_F32
    bp_mlp_f32 *bm;
    if (bp_mlp_create_f32(w.n_layers, specs, BP_LOSS_SOFTMAX_CCE, w.batch, &bm) != BP_OK ||
        bp_mlp_set_exec_f32(bm, exec) != BP_OK)
        peer_die("bp_mlp_create_f32 failed", NULL);
#else
    bp_mlp *bm;
    if (bp_mlp_create(w.n_layers, specs, BP_LOSS_SOFTMAX_CCE, w.batch, &bm) != BP_OK ||
        bp_mlp_set_exec(bm, exec) != BP_OK)
        peer_die("bp_mlp_create failed", NULL);
#endif

    static const char *names[3] = { "ob-comp", "bp-comp", "backprop" };
    double best[3] = { INFINITY, INFINITY, INFINITY }, best_sites[2][MAX_SITES], loss[3];
    for (size_t r = 0; r <= rounds; r++)          /* round 0: warm-up, not counted */
        for (int v = 0; v < 3; v++) {
            memcpy(p, p0, w.n_params * sizeof(real));
            memset(g.seconds, 0, sizeof g.seconds);
            g.use_backprop = v == 1;
            g.next = 0;
            int diverged = 0;
            double t0 = now_seconds();
            if (v < 2) {
                loss[v] = run_epoch(&m, p, &w, X, Y, NULL, (size_t)-1);
            } else {
#ifdef PEER_F32
                bp_status s = bp_mlp_train_epoch_f32(bm, p, X, d, NULL, labels, NULL, w.n,
                                                     w.batch, w.lr, &loss[2], &diverged);
#else
                bp_status s = bp_mlp_train_epoch(bm, p, X, d, NULL, labels, NULL, w.n,
                                                 w.batch, w.lr, &loss[2], &diverged);
#endif
                if (s != BP_OK || diverged) peer_die("bp_mlp_train_epoch failed", NULL);
            }
            double t = now_seconds() - t0;
            if (r > 0 && t < best[v]) {
                best[v] = t;
                if (v < 2) memcpy(best_sites[v], g.seconds, sizeof g.seconds);
            }
        }

    printf("%s %s, %zu thread(s), best of %zu rounds (ms per epoch)\n", w.name, PRECISION,
           threads, rounds);
    printf("  GEMM call   %10s %10s   ob/bp\n", names[0], names[1]);
    double sum[2] = { 0, 0 };
    for (size_t s = 0; s < g.sites; s++) {
        const char *kind = s < w.n_layers ? "forward" : (s - w.n_layers) % 2 == 0 ? "dW" : "dX";
        printf("  %2zu %-8s %10.2f %10.2f   %.3f\n", s, kind, 1e3 * best_sites[0][s],
               1e3 * best_sites[1][s], best_sites[0][s] / best_sites[1][s]);
        sum[0] += best_sites[0][s];
        sum[1] += best_sites[1][s];
    }
    printf("  GEMMs      %10.2f %10.2f   %.3f\n", 1e3 * sum[0], 1e3 * sum[1], sum[0] / sum[1]);
    printf("  the rest   %10.2f %10.2f\n", 1e3 * (best[0] - sum[0]), 1e3 * (best[1] - sum[1]));
    printf("  epoch      %10.2f %10.2f %10.2f (%s)\n", 1e3 * best[0], 1e3 * best[1],
           1e3 * best[2], names[2]);
    printf("  ob-comp / backprop %.3f, bp-comp / backprop %.3f; losses %.9g %.9g %.9g\n",
           best[0] / best[2], best[1] / best[2], loss[0], loss[1], loss[2]);
    return 0;
}
