/*
 * export_data.c — writes the data, the initial parameters and the sample
 * orders of workloads W1–W5 exactly as Benchmarks/Workloads/.../main.swift
 * (BackpropBench) makes them, so that every peer trains the SAME network
 * from the SAME start on the SAME data in the SAME order as Backprop does.
 *
 *   export_data OUTDIR        writes OUTDIR/W1 ... OUTDIR/W5
 *
 * It uses Backprop's own generator (bp_rng: GSL MT19937, linked from
 * libbackprop.a), mirroring, step by step:
 *   - Dataset.circles / Dataset.blobs / Dataset.halfAdder (Dataset+Synthetic.swift),
 *   - main.swift's synthetic() (SplitMix64) for W3 and W4,
 *   - Network(seed: 1) weight draws (Network.swift, Initializer.swift:
 *     He normal for ReLU layers, Xavier normal for sigmoid/softmax; biases 0),
 *   - Network.train's per-epoch in-place shuffle of one index array, drawn
 *     from the network's generator after the weights (Training.swift), for
 *     a workload that main.swift trains with shuffle: true and batches
 *     smaller than the data set. (Today main.swift passes shuffle: false
 *     everywhere, so every epoch visits 0..n-1 and no order.bin is written.)
 * If main.swift changes a workload, change the table in main() below too:
 * the "final loss" column of the peer table shows any disagreement.
 *
 * Per workload directory:
 *   meta.txt     key value lines (sizes, activations, loss, epochs, batch, lr)
 *   X.bin        n × inputs doubles, row-major
 *   Y.bin        n × outputs doubles (dense targets; one-hot for labels)
 *   labels.bin   n int64 class labels (categorical workloads only)
 *   params.bin   initial parameters, Backprop's layout [W0 | b0 | W1 | b1 ...],
 *                W row-major n_in × n_out
 *   order.bin    shuffled_epochs × n int64: the sample order of each epoch
 *                (absent when the order is 0..n-1 every epoch)
 */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "bp_random.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

enum act { RELU, SIGMOID, SOFTMAX };
enum loss { BCE, CCE, MSE };
static const char *act_name[] = {"relu", "sigmoid", "softmax"};
static const char *loss_name[] = {"bce", "cce", "mse"};

typedef struct {
    const char *name;
    int n_layers;
    int sizes[5];          /* inputs, then units of each layer */
    enum act acts[4];
    enum loss loss;
    int epochs;
    int batch;             /* 0: full batch */
    double lr;
    int shuffle;           /* main.swift's `shuffle:` argument to Network.train */
} spec;

static void die(const char *what) {
    fprintf(stderr, "export_data: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void check(int status, const char *what) {
    if (status != 0) { fprintf(stderr, "export_data: %s failed (%d)\n", what, status); exit(1); }
}

static void write_file(const char *dir, const char *name, const void *p, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) die(path);
    if (bytes && fwrite(p, 1, bytes, f) != bytes) die(path);
    if (fclose(f)) die(path);
}

/* ---- main.swift's SplitMix64 synthetic data ---- */
typedef struct { uint64_t state; } splitmix;
static uint64_t sm_next(splitmix *r) {
    r->state += 0x9E3779B97F4A7C15ull;
    uint64_t z = r->state;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
static double sm_uniform(splitmix *r) { return (double)(sm_next(r) >> 11) * 0x1p-53; }

static void synthetic(size_t n, size_t d, size_t classes, uint64_t seed, double *x, int64_t *labels) {
    splitmix r = {seed};
    for (size_t i = 0; i < n; i++) {
        labels[i] = (int64_t)(sm_next(&r) % classes);
        for (size_t j = 0; j < d; j++)
            x[i * d + j] = sm_uniform(&r) - 0.5 + ((int64_t)(j % classes) == labels[i] ? 0.5 : 0.0);
    }
}

/* ---- Dataset+Synthetic.swift: circles and blobs (points, then finish()) ---- */
typedef struct { double x, y; int64_t label; } point;

/* finish(): jitter N(0, noise²) per coordinate (when noise > 0), then a shuffle. */
static void finish(bp_rng *r, const point *pts, size_t n, double noise, double *x, int64_t *labels) {
    double *jitter = NULL;
    if (noise > 0) {
        jitter = malloc(2 * n * sizeof *jitter);
        if (!jitter) die("malloc");
        check(bp_rng_normal(r, 2 * n, 0.0, noise, jitter), "bp_rng_normal");
    }
    size_t *order = malloc(n * sizeof *order);
    if (!order) die("malloc");
    for (size_t i = 0; i < n; i++) order[i] = i;
    check(bp_rng_shuffle(r, n, order), "bp_rng_shuffle");
    for (size_t k = 0; k < n; k++) {
        size_t i = order[k];
        x[2 * k] = pts[i].x + (noise > 0 ? jitter[2 * i] : 0);
        x[2 * k + 1] = pts[i].y + (noise > 0 ? jitter[2 * i + 1] : 0);
        labels[k] = pts[i].label;
    }
    free(order);
    free(jitter);
}

static void circles(size_t n, double noise, double factor, uint64_t seed, double *x, int64_t *labels) {
    size_t outer = n / 2, inner = n - outer;
    point *pts = malloc(n * sizeof *pts);
    if (!pts) die("malloc");
    for (size_t i = 0; i < outer; i++) {
        double t = 2 * M_PI * (double)i / (double)outer;
        pts[i] = (point){cos(t), sin(t), 0};
    }
    for (size_t i = 0; i < inner; i++) {
        double t = 2 * M_PI * (double)i / (double)inner;
        pts[outer + i] = (point){factor * cos(t), factor * sin(t), 1};
    }
    bp_rng *r;
    check(bp_rng_create(seed, &r), "bp_rng_create");
    finish(r, pts, n, noise, x, labels);
    bp_rng_free(r);
    free(pts);
}

static void blobs(size_t per_class, uint64_t seed, double *x, int64_t *labels) {
    const double centers[3][2] = {{0, -2}, {2, 2}, {-2, 2}};
    size_t n = 3 * per_class;
    point *pts = malloc(n * sizeof *pts);
    double *off = malloc(2 * per_class * sizeof *off);
    if (!pts || !off) die("malloc");
    bp_rng *r;
    check(bp_rng_create(seed, &r), "bp_rng_create");
    for (size_t c = 0; c < 3; c++) {
        check(bp_rng_normal(r, 2 * per_class, 0.0, 1.0, off), "bp_rng_normal");
        for (size_t i = 0; i < per_class; i++)
            pts[c * per_class + i] = (point){centers[c][0] + off[2 * i], centers[c][1] + off[2 * i + 1], (int64_t)c};
    }
    finish(r, pts, n, 0.0, x, labels);
    bp_rng_free(r);
    free(off);
    free(pts);
}

static void export(const char *root, const spec *s) {
    if (strlen(root) > 2000) { fprintf(stderr, "export_data: path too long\n"); exit(1); }
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/%s", root, s->name);
    if (mkdir(dir, 0755) && errno != EEXIST) die(dir);

    size_t d = (size_t)s->sizes[0], k = (size_t)s->sizes[s->n_layers], n;
    if (!strcmp(s->name, "W1")) n = 1000;
    else if (!strcmp(s->name, "W2")) n = 1500;
    else if (!strcmp(s->name, "W3")) n = 60000;
    else if (!strcmp(s->name, "W4")) n = 8192;
    else n = 4;

    double *x = malloc(n * d * sizeof *x), *y = calloc(n * k, sizeof *y);
    int64_t *labels = malloc(n * sizeof *labels);
    if (!x || !y || !labels) die("malloc");
    if (!strcmp(s->name, "W1")) circles(n, 0.1, 0.5, 1, x, labels);
    else if (!strcmp(s->name, "W2")) blobs(500, 1, x, labels);
    else if (!strcmp(s->name, "W3")) synthetic(n, d, k, 3, x, labels);
    else if (!strcmp(s->name, "W4")) synthetic(n, d, k, 4, x, labels);
    else {
        /* Dataset.halfAdder(): (a, b) -> (a XOR b, a AND b). */
        const double in[4][2] = {{0, 0}, {0, 1}, {1, 0}, {1, 1}}, out[4][2] = {{0, 0}, {1, 0}, {1, 0}, {0, 1}};
        for (size_t i = 0; i < 4; i++)
            for (size_t j = 0; j < 2; j++) { x[i * 2 + j] = in[i][j]; y[i * 2 + j] = out[i][j]; }
    }
    int has_labels = s->loss == CCE;
    if (s->loss == BCE) for (size_t i = 0; i < n; i++) y[i] = (double)labels[i];   /* k == 1 */
    if (s->loss == CCE) for (size_t i = 0; i < n; i++) y[i * k + (size_t)labels[i]] = 1.0;

    /* Network(inputSize:layers:loss:seed: 1): one generator draws every W. */
    bp_rng *r;
    check(bp_rng_create(1, &r), "bp_rng_create");
    size_t n_params = 0;
    for (int l = 0; l < s->n_layers; l++) n_params += (size_t)s->sizes[l] * s->sizes[l + 1] + s->sizes[l + 1];
    double *p = calloc(n_params, sizeof *p);
    if (!p) die("calloc");
    size_t off = 0;
    for (int l = 0; l < s->n_layers; l++) {
        size_t nin = (size_t)s->sizes[l], nout = (size_t)s->sizes[l + 1];
        bp_init init = s->acts[l] == RELU ? BP_INIT_HE_NORMAL : BP_INIT_XAVIER_NORMAL;
        check(bp_rng_init_weights(r, init, nin, nout, p + off), "bp_rng_init_weights");
        off += nin * nout + nout;   /* bias stays 0 */
    }

    /* Network.train: order = 0..<n once, shuffled in place every epoch. */
    size_t batch = s->batch ? (size_t)s->batch : n;
    if (batch > n) batch = n;
    int shuffled = s->shuffle && batch < n;
    if (shuffled) {
        size_t *order = malloc(n * sizeof *order);
        int64_t *all = malloc((size_t)s->epochs * n * sizeof *all);
        if (!order || !all) die("malloc");
        for (size_t i = 0; i < n; i++) order[i] = i;
        for (int e = 0; e < s->epochs; e++) {
            check(bp_rng_shuffle(r, n, order), "bp_rng_shuffle");
            for (size_t i = 0; i < n; i++) all[(size_t)e * n + i] = (int64_t)order[i];
        }
        write_file(dir, "order.bin", all, (size_t)s->epochs * n * sizeof *all);
        free(all);
        free(order);
    } else {
        char path[4096];
        snprintf(path, sizeof path, "%s/order.bin", dir);
        remove(path);
    }
    bp_rng_free(r);

    write_file(dir, "X.bin", x, n * d * sizeof *x);
    write_file(dir, "Y.bin", y, n * k * sizeof *y);
    if (has_labels) write_file(dir, "labels.bin", labels, n * sizeof *labels);
    write_file(dir, "params.bin", p, n_params * sizeof *p);

    char path[4096];
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *f = fopen(path, "w");
    if (!f) die(path);
    fprintf(f, "name %s\nsamples %zu\nlayers %d\nsizes", s->name, n, s->n_layers);
    for (int l = 0; l <= s->n_layers; l++) fprintf(f, " %d", s->sizes[l]);
    fprintf(f, "\nacts");
    for (int l = 0; l < s->n_layers; l++) fprintf(f, " %s", act_name[s->acts[l]]);
    fprintf(f, "\nloss %s\nepochs %d\nbatch %zu\nlr %.17g\nshuffled %d\nlabels %d\nparams %zu\n",
            loss_name[s->loss], s->epochs, batch, s->lr, shuffled, has_labels, n_params);
    if (fclose(f)) die(path);
    free(p);
    free(labels);
    free(y);
    free(x);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: export_data OUTDIR\n"); return 2; }
    if (mkdir(argv[1], 0755) && errno != EEXIST) die(argv[1]);
    /* The workloads of main.swift (BackpropBench), not --quick: name, layers,
     * sizes, activations, loss, epochs, batch (0 = full), learning rate,
     * shuffle (main.swift: `shuffle: false` for all). */
    const spec specs[] = {
        {"W1", 3, {2, 4, 3, 1}, {RELU, RELU, SIGMOID}, BCE, 150, 0, 0.005, 0},
        {"W2", 2, {2, 3, 3}, {SIGMOID, SOFTMAX}, CCE, 10000, 0, 0.5, 0},
        {"W3", 2, {784, 128, 10}, {RELU, SOFTMAX}, CCE, 1, 128, 0.01, 0},
        {"W4", 3, {1024, 1024, 1024, 10}, {RELU, RELU, SOFTMAX}, CCE, 1, 256, 0.01, 0},
        {"W5", 3, {2, 2, 2, 2}, {SIGMOID, SIGMOID, SIGMOID}, MSE, 20000, 1, 0.5, 0},
    };
    for (size_t i = 0; i < sizeof specs / sizeof specs[0]; i++) export(argv[1], &specs[i]);
    return 0;
}
