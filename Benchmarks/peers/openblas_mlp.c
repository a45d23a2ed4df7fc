/*
 * openblas_mlp.c — "the OpenBLAS composition": the same MLP training loop as
 * Backprop's bp_mlp_train_step, composed from OpenBLAS calls (cblas_?gemm for
 * every matrix product, cblas_?axpy for the SGD update) plus plain C loops
 * for bias, activations and the loss. What a C programmer would write with a
 * BLAS in hand. Runs any workload directory written by export_data (W1–W5).
 *
 *   openblas_mlp DATADIR [--threads N] [--warmup STEPS]
 *
 * Compiled twice: as is (f64) and with -DPEER_F32 (f32: data and initial
 * parameters rounded to float). --threads N calls openblas_set_num_threads(N);
 * without it OpenBLAS keeps its default (OPENBLAS_NUM_THREADS or all cores).
 *
 * Per batch, as Backprop does: gather the batch rows when the order is
 * shuffled; Z = A·W (gemm) + b, A = f(Z); the batch loss (mean) and dL/dZ of
 * the output (fused: (σ(z) − y)/(n·k) for sigmoid + BCE, (softmax − onehot)/n
 * for softmax + CCE; MSE: 2(a − y)/(n·k) ⊙ σ'); backward dW = Aᵀ·dZ (gemm),
 * db = column sums, dA = dZ·Wᵀ (gemm; not for the first layer);
 * params −= lr·grad (axpy over the flat parameter vector).
 *
 * Prints one JSON line: seconds of the training loop, final-epoch mean loss
 * (the mean of the pre-update batch losses, as Backprop's TrainingReport),
 * OpenBLAS core name and configuration.
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <cblas.h>
#include "peer_common.h"

char *openblas_get_corename(void);
char *openblas_get_config(void);
int openblas_get_num_threads(void);
void openblas_set_num_threads(int);

#ifdef PEER_F32
typedef float real;
#define GEMM cblas_sgemm
#define AXPY cblas_saxpy
#define EXP expf
#define LOG1P log1pf
#define LOG logf
#define PRECISION "f32"
#else
typedef double real;
#define GEMM cblas_dgemm
#define AXPY cblas_daxpy
#define EXP exp
#define LOG1P log1p
#define LOG log
#define PRECISION "f64"
#endif

enum { RELU, SIGMOID, SOFTMAX };

typedef struct {
    size_t L, sizes[8], n_params, w_off[8], b_off[8], max_rows;
    int act[8], loss; /* loss: 0 bce, 1 cce, 2 mse */
    real *Z[8], *A[8], *dZ[8], *dA[8], *grad, *Xg, *Yg;
    int64_t *Lg;
} net;

static real sigmoid(real z) { return (real)1 / ((real)1 + EXP(-z)); }

static void *xalloc(size_t bytes) {
    void *p = aligned_alloc(64, (bytes + 63) / 64 * 64);
    if (!p) peer_die("out of memory", NULL);
    memset(p, 0, bytes);
    return p;
}

static void net_init(net *m, const workload *w, size_t max_rows) {
    memset(m, 0, sizeof *m);
    m->L = w->n_layers;
    m->max_rows = max_rows;
    size_t off = 0;
    for (size_t l = 0; l <= m->L; l++) m->sizes[l] = w->sizes[l];
    for (size_t l = 0; l < m->L; l++) {
        m->act[l] = !strcmp(w->acts[l], "relu") ? RELU : !strcmp(w->acts[l], "sigmoid") ? SIGMOID : SOFTMAX;
        m->w_off[l] = off; off += m->sizes[l] * m->sizes[l + 1];
        m->b_off[l] = off; off += m->sizes[l + 1];
        size_t act = max_rows * m->sizes[l + 1];
        m->Z[l] = xalloc(act * sizeof(real));
        m->A[l] = xalloc(act * sizeof(real));
        m->dZ[l] = xalloc(act * sizeof(real));
        m->dA[l] = xalloc(act * sizeof(real));
    }
    m->n_params = off;
    m->loss = !strcmp(w->loss, "bce") ? 0 : !strcmp(w->loss, "cce") ? 1 : 2;
    m->grad = xalloc(off * sizeof(real));
    m->Xg = xalloc(max_rows * m->sizes[0] * sizeof(real));
    m->Yg = xalloc(max_rows * m->sizes[m->L] * sizeof(real));
    m->Lg = xalloc(max_rows * sizeof(int64_t));
}

/* One SGD step on `rows` contiguous rows X (and Y or labels); returns the batch loss. */
static double train_step(net *m, real *p, size_t rows, const real *X, const real *Y,
                         const int64_t *labels, real lr) {
    size_t L = m->L;
    /* forward */
    for (size_t l = 0; l < L; l++) {
        size_t nin = m->sizes[l], nout = m->sizes[l + 1];
        const real *in = l == 0 ? X : m->A[l - 1];
        const real *W = p + m->w_off[l], *b = p + m->b_off[l];
        real *Z = m->Z[l], *A = m->A[l];
        GEMM(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)rows, (int)nout, (int)nin,
             1, in, (int)nin, W, (int)nout, 0, Z, (int)nout);
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < nout; j++) Z[i * nout + j] += b[j];
        size_t count = rows * nout;
        if (m->act[l] == RELU) for (size_t i = 0; i < count; i++) A[i] = Z[i] > 0 ? Z[i] : 0;
        else if (m->act[l] == SIGMOID) for (size_t i = 0; i < count; i++) A[i] = sigmoid(Z[i]);
        /* softmax: computed with the loss below, from the logits */
    }
    /* loss and dL/dZ of the output layer */
    size_t k = m->sizes[L];
    const real *Z = m->Z[L - 1], *A = m->A[L - 1];
    real *dZ = m->dZ[L - 1];
    double total = 0;
    if (m->loss == 0) {          /* sigmoid + BCE, fused on the logits */
        real scale = (real)1 / (real)(rows * k);
        for (size_t i = 0; i < rows * k; i++) {
            real z = Z[i], y = Y[i];
            total += (double)((z > 0 ? z : 0) - z * y + LOG1P(EXP(-fabs(z))));
            dZ[i] = (A[i] - y) * scale;
        }
        total /= (double)(rows * k);
    } else if (m->loss == 1) {   /* softmax + CCE, fused on the logits */
        real scale = (real)1 / (real)rows;
        for (size_t r = 0; r < rows; r++) {
            const real *z = Z + r * k;
            real *g = dZ + r * k, max = z[0], sum = 0;
            for (size_t j = 1; j < k; j++) if (z[j] > max) max = z[j];
            for (size_t j = 0; j < k; j++) { g[j] = EXP(z[j] - max); sum += g[j]; }
            size_t c = (size_t)labels[r];
            total += (double)(max + LOG(sum) - z[c]);
            real inv = (real)1 / sum;
            for (size_t j = 0; j < k; j++) g[j] = (g[j] * inv - (j == c ? 1 : 0)) * scale;
        }
        total /= (double)rows;
    } else {                     /* MSE on the activations, then σ' */
        real scale = (real)2 / (real)(rows * k);
        for (size_t i = 0; i < rows * k; i++) {
            real d = A[i] - Y[i];
            total += (double)(d * d);
            real dA = d * scale;
            dZ[i] = m->act[L - 1] == SIGMOID ? dA * A[i] * (1 - A[i]) : m->act[L - 1] == RELU ? (Z[i] > 0 ? dA : 0) : dA;
        }
        total /= (double)(rows * k);
    }
    /* backward */
    for (size_t l = L; l-- > 0;) {
        size_t nin = m->sizes[l], nout = m->sizes[l + 1];
        const real *in = l == 0 ? X : m->A[l - 1];
        real *dW = m->grad + m->w_off[l], *db = m->grad + m->b_off[l];
        const real *dz = m->dZ[l];
        GEMM(CblasRowMajor, CblasTrans, CblasNoTrans, (int)nin, (int)nout, (int)rows,
             1, in, (int)nin, dz, (int)nout, 0, dW, (int)nout);
        for (size_t j = 0; j < nout; j++) db[j] = 0;
        for (size_t i = 0; i < rows; i++)
            for (size_t j = 0; j < nout; j++) db[j] += dz[i * nout + j];
        if (l > 0) {
            real *dA = m->dA[l - 1], *dZp = m->dZ[l - 1];
            const real *Zp = m->Z[l - 1], *Ap = m->A[l - 1];
            GEMM(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)nin, (int)nout,
                 1, dz, (int)nout, p + m->w_off[l], (int)nout, 0, dA, (int)nin);
            size_t count = rows * nin;
            if (m->act[l - 1] == RELU) for (size_t i = 0; i < count; i++) dZp[i] = Zp[i] > 0 ? dA[i] : 0;
            else for (size_t i = 0; i < count; i++) dZp[i] = dA[i] * Ap[i] * (1 - Ap[i]);
        }
    }
    AXPY((int)m->n_params, -lr, m->grad, 1, p, 1);
    return total;
}

/* One epoch (or `max_steps` steps of it); returns the mean of the batch losses. */
static double run_epoch(net *m, real *p, const workload *w, const real *X, const real *Y,
                        const int64_t *order, size_t max_steps) {
    size_t n = w->n, d = w->sizes[0], k = w->sizes[w->n_layers], steps = 0;
    double total = 0;
    for (size_t start = 0; start < n && steps < max_steps; start += w->batch, steps++) {
        size_t rows = n - start < w->batch ? n - start : w->batch;
        const real *xb = X + start * d, *yb = Y + start * k;
        const int64_t *lb = w->labels ? w->labels + start : NULL;
        if (order) {
            for (size_t i = 0; i < rows; i++) {
                size_t r = (size_t)order[start + i];
                memcpy(m->Xg + i * d, X + r * d, d * sizeof(real));
                if (m->loss == 1) m->Lg[i] = w->labels[r];
                else memcpy(m->Yg + i * k, Y + r * k, k * sizeof(real));
            }
            xb = m->Xg; yb = m->Yg; lb = m->Lg;
        }
        total += train_step(m, p, rows, xb, yb, lb, (real)w->lr) * (double)rows;
    }
    return total / (double)n;
}

static real *to_real(const double *src, size_t count) {
    real *dst = xalloc(count * sizeof(real));
    for (size_t i = 0; i < count; i++) dst[i] = (real)src[i];
    return dst;
}

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: openblas_mlp DATADIR [--threads N] [--warmup STEPS]\n"); return 2; }
    int threads = 0;
    size_t warmup = 2;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--warmup") && i + 1 < argc) warmup = (size_t)atol(argv[++i]);
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    if (threads > 0) openblas_set_num_threads(threads);
    workload w;
    load_workload(argv[1], &w);
    size_t d = w.sizes[0], k = w.sizes[w.n_layers];
    real *X = to_real(w.X, w.n * d), *Y = to_real(w.Y, w.n * k), *p0 = to_real(w.params, w.n_params);
    real *p = xalloc(w.n_params * sizeof(real));
    net m;
    net_init(&m, &w, w.batch);

    /* Warm-up (untimed, on a throwaway copy): OpenBLAS thread start-up, page faults. */
    if (warmup) {
        memcpy(p, p0, w.n_params * sizeof(real));
        run_epoch(&m, p, &w, X, Y, w.order, warmup);
    }
    memcpy(p, p0, w.n_params * sizeof(real));
    double loss = NAN, t0 = now_seconds();
    for (size_t e = 0; e < w.epochs; e++)
        loss = run_epoch(&m, p, &w, X, Y, w.order ? w.order + e * w.n : NULL, (size_t)-1);
    double seconds = now_seconds() - t0;

    const char *ct = getenv("OPENBLAS_CORETYPE");
    printf("{\"impl\": \"openblas\", \"workload\": \"%s\", \"precision\": \"%s\", \"seconds\": %.9g, "
           "\"final_loss\": %.17g, \"threads\": %d, \"kernel\": \"%s\", \"library\": \"%s\", "
           "\"OPENBLAS_CORETYPE\": \"%s\"}\n",
           w.name, PRECISION, seconds, loss, openblas_get_num_threads(), openblas_get_corename(),
           openblas_get_config(), ct ? ct : "");
    return 0;
}
