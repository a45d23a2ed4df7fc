/*
 * fann_w5.c — W5 (seed 03's half adder, 2-2-2-2 sigmoid, MSE, online SGD)
 * trained by FANN 2.2 in double precision (doublefann).
 *
 *   fann_w5 DATADIR/W5 [--steepness S] [--order fixed|exported]
 *
 * Set-up: fann_create_standard(4, 2, 2, 2, 2); FANN_SIGMOID on hidden and
 * output layers; FANN_TRAIN_INCREMENTAL (one update per sample); learning
 * rate 0.5, momentum 0; error function FANN_ERRORFUNC_LINEAR (FANN's default
 * FANN_ERRORFUNC_TANH would distort the error).
 *
 * Steepness: FANN's sigmoid is 1/(1 + exp(−2·s·x)) (fann_activation.h:
 * fann_sigmoid_real(sum) = 1/(1 + exp(−2·sum)), applied to s·x), so the
 * logistic function σ(x) is steepness s = 0.5 — FANN's default — and its
 * derivative 2·s·y·(1 − y) = y·(1 − y). (s = 1 would be σ(2x).) The program
 * checks this: it compares FANN's first forward pass with σ computed here
 * from the same weights and reports the largest difference.
 *
 * Equal work: the weights start at Backprop's initial parameters (set with
 * fann_set_weight_array), the samples are visited in Backprop's order
 * (0,1,2,3 every epoch, as fann_train_epoch would, since BackpropBench trains
 * with shuffle: false; if it shuffled, order.bin would hold its per-epoch
 * orders and they would be followed unless --order fixed), and each update
 * is fann_train(input, target): forward, error, backpropagation, weight
 * update. FANN's error for the LINEAR error function is (y − ŷ)·σ',
 * the gradient of ½Σ(ŷ − y)², which equals Backprop's gradient of its MSE
 * (mean over the k = 2 outputs: 2/k · (ŷ − y) = ŷ − y) for batch size 1.
 * One difference remains: FANN clips the output to [0.01, 0.99] inside the
 * sigmoid derivative (fann_activation_derived), so once outputs saturate its
 * steps differ slightly from the exact gradient; the final loss therefore
 * agrees with Backprop's only approximately.
 *
 * Final loss: the mean over the last epoch of the pre-update squared errors
 * per output (FANN's own MSE accumulator, read back as Σ diff² / (n·k)).
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <doublefann.h>
#include "peer_common.h"

static double logistic(double x) { return 1.0 / (1.0 + exp(-x)); }

int main(int argc, char **argv) {
    if (argc < 2) { fprintf(stderr, "usage: fann_w5 DATADIR/W5 [--steepness S] [--order fixed|exported]\n"); return 2; }
    double steepness = 0.5;
    int fixed_order = 0;
    for (int i = 2; i < argc; i++) {
        if (!strcmp(argv[i], "--steepness") && i + 1 < argc) steepness = atof(argv[++i]);
        else if (!strcmp(argv[i], "--order") && i + 1 < argc) fixed_order = !strcmp(argv[++i], "fixed");
        else { fprintf(stderr, "unknown option %s\n", argv[i]); return 2; }
    }
    workload w;
    load_workload(argv[1], &w);
    if (w.n_layers != 3 || w.sizes[0] != 2 || w.sizes[1] != 2 || w.sizes[2] != 2 || w.sizes[3] != 2 ||
        strcmp(w.loss, "mse") || w.batch != 1)
        peer_die("fann_w5 runs W5 only (2-2-2-2 sigmoid, MSE, batch 1), not", w.name);

    struct fann *ann = fann_create_standard(4, 2, 2, 2, 2);
    if (!ann) peer_die("fann_create_standard failed", NULL);
    fann_set_activation_function_hidden(ann, FANN_SIGMOID);
    fann_set_activation_function_output(ann, FANN_SIGMOID);
    fann_set_activation_steepness_hidden(ann, steepness);
    fann_set_activation_steepness_output(ann, steepness);
    fann_set_training_algorithm(ann, FANN_TRAIN_INCREMENTAL);
    fann_set_learning_rate(ann, (float)w.lr);
    fann_set_learning_momentum(ann, 0.0f);
    fann_set_train_error_function(ann, FANN_ERRORFUNC_LINEAR);

    /* Backprop's initial parameters: layer l has W_l[k][j] (input k → unit j)
     * and b_l[j]. FANN numbers neurons layer by layer, each layer followed by
     * its bias neuron: layer l's inputs are neurons base_l .. base_l+1 and
     * its bias neuron base_l+2; its units base_l+3 .. base_l+4. */
    unsigned int n_conn = fann_get_total_connections(ann);
    struct fann_connection *conn = malloc(n_conn * sizeof *conn);
    if (!conn) peer_die("out of memory", NULL);
    fann_get_connection_array(ann, conn);
    size_t off = 0, woff[3], boff[3];
    for (size_t l = 0; l < 3; l++) { woff[l] = off; off += 4; boff[l] = off; off += 2; }
    for (unsigned int c = 0; c < n_conn; c++) {
        unsigned int from = conn[c].from_neuron, to = conn[c].to_neuron;
        size_t l = (to - 3) / 3, j = (to - 3) % 3, k = from - 3 * l;
        if (l > 2 || j > 1 || k > 2) peer_die("unexpected FANN topology", NULL);
        conn[c].weight = k == 2 ? w.params[boff[l] + j] : w.params[woff[l] + k * 2 + j];
    }
    fann_set_weight_array(ann, conn, n_conn);

    /* Check that FANN computes σ with these weights: forward of sample 1. */
    double a[2] = {w.X[2], w.X[3]}, z[2];
    for (size_t l = 0; l < 3; l++) {
        for (size_t j = 0; j < 2; j++)
            z[j] = w.params[boff[l] + j] + a[0] * w.params[woff[l] + j] + a[1] * w.params[woff[l] + 2 + j];
        a[0] = logistic(z[0]); a[1] = logistic(z[1]);
    }
    fann_type *out = fann_run(ann, (fann_type *)&w.X[2]);
    double forward_err = fmax(fabs(out[0] - a[0]), fabs(out[1] - a[1]));

    fann_type *in = malloc(w.n * 2 * sizeof *in), *tg = malloc(w.n * 2 * sizeof *tg);
    if (!in || !tg) peer_die("out of memory", NULL);
    for (size_t i = 0; i < w.n * 2; i++) { in[i] = w.X[i]; tg[i] = w.Y[i]; }
    const int64_t *order = fixed_order ? NULL : w.order;

    double t0 = now_seconds();
    for (size_t e = 0; e < w.epochs; e++) {
        if (e + 1 == w.epochs) fann_reset_MSE(ann);
        const int64_t *o = order ? order + e * w.n : NULL;
        for (size_t i = 0; i < w.n; i++) {
            size_t s = o ? (size_t)o[i] : i;
            fann_train(ann, in + 2 * s, tg + 2 * s);
        }
    }
    double seconds = now_seconds() - t0;
    double loss = (double)ann->MSE_value / (double)(w.n * 2);

    printf("{\"impl\": \"fann\", \"workload\": \"%s\", \"precision\": \"f64\", \"seconds\": %.9g, "
           "\"final_loss\": %.17g, \"threads\": 1, \"steepness\": %g, \"order\": \"%s\", "
           "\"forward_check_max_err\": %.3g, \"library\": \"FANN 2.2 (doublefann)\"}\n",
           w.name, seconds, loss, steepness, order ? "exported" : "in order", forward_err);
    fann_destroy(ann);
    return 0;
}
