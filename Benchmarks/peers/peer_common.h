/*
 * peer_common.h — shared by the C peers (openblas_mlp.c, fann_w5.c): reads a
 * workload directory written by export_data, times with a monotonic clock,
 * prints the one-line JSON result the driver (run.py) parses.
 */
#ifndef PEER_COMMON_H
#define PEER_COMMON_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

typedef struct {
    char name[16];
    size_t n, n_layers, sizes[8], epochs, batch, n_params;
    char acts[8][16];
    char loss[16];
    double lr;
    int shuffled, has_labels;
    double *X, *Y, *params;   /* as exported (f64) */
    int64_t *labels, *order;  /* order: epochs × n, or NULL */
} workload;

static void peer_die(const char *msg, const char *arg) {
    fprintf(stderr, "peer: %s %s\n", msg, arg ? arg : "");
    exit(1);
}

static void *peer_read(const char *dir, const char *file, size_t bytes) {
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f) peer_die("cannot open", path);
    void *p = malloc(bytes ? bytes : 1);
    if (!p) peer_die("out of memory for", path);
    if (bytes && fread(p, 1, bytes, f) != bytes) peer_die("short file", path);
    fclose(f);
    return p;
}

static void load_workload(const char *dir, workload *w) {
    memset(w, 0, sizeof *w);
    char path[4096], key[64];
    snprintf(path, sizeof path, "%s/meta.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) peer_die("cannot open", path);
    while (fscanf(f, "%63s", key) == 1) {
        if (!strcmp(key, "name")) { if (fscanf(f, "%15s", w->name) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "samples")) { if (fscanf(f, "%zu", &w->n) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "layers")) { if (fscanf(f, "%zu", &w->n_layers) != 1 || w->n_layers > 7) peer_die("bad meta", key); }
        else if (!strcmp(key, "sizes")) { for (size_t l = 0; l <= w->n_layers; l++) if (fscanf(f, "%zu", &w->sizes[l]) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "acts")) { for (size_t l = 0; l < w->n_layers; l++) if (fscanf(f, "%15s", w->acts[l]) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "loss")) { if (fscanf(f, "%15s", w->loss) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "epochs")) { if (fscanf(f, "%zu", &w->epochs) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "batch")) { if (fscanf(f, "%zu", &w->batch) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "lr")) { if (fscanf(f, "%lf", &w->lr) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "shuffled")) { if (fscanf(f, "%d", &w->shuffled) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "labels")) { if (fscanf(f, "%d", &w->has_labels) != 1) peer_die("bad meta", key); }
        else if (!strcmp(key, "params")) { if (fscanf(f, "%zu", &w->n_params) != 1) peer_die("bad meta", key); }
        else peer_die("unknown meta key", key);
    }
    fclose(f);
    size_t d = w->sizes[0], k = w->sizes[w->n_layers];
    w->X = peer_read(dir, "X.bin", w->n * d * sizeof(double));
    w->Y = peer_read(dir, "Y.bin", w->n * k * sizeof(double));
    w->params = peer_read(dir, "params.bin", w->n_params * sizeof(double));
    w->labels = w->has_labels ? peer_read(dir, "labels.bin", w->n * sizeof(int64_t)) : NULL;
    w->order = w->shuffled ? peer_read(dir, "order.bin", w->epochs * w->n * sizeof(int64_t)) : NULL;
}

static double now_seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
