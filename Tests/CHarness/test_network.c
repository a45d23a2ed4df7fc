/*
 * test_network.c — two-layer networks assembled from the kernels, the way
 * the Swift layer uses them, with every gradient checked against central
 * finite differences of the loss.
 *
 *   forward   Z1 = X·W1 + b1, A1 = f1(Z1), Z2 = A1·W2 + b2, A2 = f2(Z2), L
 *             (bp_dgemm, bp_bias_add, bp_activation_forward, bp_loss_compute)
 *   backward  dA2 from bp_loss_compute, dZ2 = bp_activation_backward,
 *             dW2 = A1ᵀ·dZ2 (bp_weight_gradient), db2 (bp_bias_gradient),
 *             dA1 = dZ2·W2ᵀ (bp_input_gradient), dZ1, dW1, db1, and
 *             dX = dZ1·W1ᵀ.
 *
 * Every entry of dW1, db1, dW2, db2 and dX is compared with
 * (L(θ + h) − L(θ − h)) / 2h, h = 1e-6, where L is the forward pass above.
 * Relative error must be below 1e-6, measured against max(|an|, |fd|, 1e-3):
 * the floor because the finite difference of an O(1) loss has an absolute
 * noise of ~ε·|L|/h ≈ 1e-10 (more after the rounding of a whole forward
 * pass), so entries below 1e-3 are checked to 1e-9 absolute instead. Each
 * gradient must also have an entry above 1e-3: all-zero gradients (a
 * backward that writes nothing, or a forward that ignores a parameter)
 * would otherwise pass vacuously.
 */
#include "harness.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct net {
    const char *name;
    size_t n, nin, nh, nout;
    bp_activation f1, f2;
    double p1, p2;
    bp_loss loss;
    int labels; /* use bp_loss_compute_labels */
    double *X, *Y, *W1, *b1, *W2, *b2;
    size_t *lab;
    double *Z1, *A1, *Z2, *A2; /* forward workspace */
} net;

static void net_init(net *t, h_rng *r) {
    size_t n = t->n, nin = t->nin, nh = t->nh, nout = t->nout;
    t->X = h_alloc(n * nin);
    h_fill(r, t->X, n * nin, -1.0, 1.0);
    t->W1 = h_alloc(nin * nh);
    h_fill(r, t->W1, nin * nh, -1.0, 1.0);
    t->b1 = h_alloc(nh);
    h_fill(r, t->b1, nh, -0.5, 0.5);
    t->W2 = h_alloc(nh * nout);
    h_fill(r, t->W2, nh * nout, -1.0, 1.0);
    t->b2 = h_alloc(nout);
    h_fill(r, t->b2, nout, -0.5, 0.5);
    t->Y = h_alloc_fill(n * nout, 0.0);
    t->lab = malloc(n * sizeof *t->lab);
    for (size_t i = 0; i < n; i++) {
        t->lab[i] = h_below(r, nout);
        for (size_t j = 0; j < nout; j++) {
            switch (t->loss) {
            case BP_LOSS_MSE: t->Y[i * nout + j] = h_uniform(r, -1.0, 1.0); break;
            case BP_LOSS_BCE:
            case BP_LOSS_BCE_LOGITS: t->Y[i * nout + j] = (double)(h_next(r) & 1); break;
            default: t->Y[i * nout + j] = (j == t->lab[i]) ? 1.0 : 0.0;
            }
        }
    }
    t->Z1 = h_alloc(n * nh);
    t->A1 = h_alloc(n * nh);
    t->Z2 = h_alloc(n * nout);
    t->A2 = h_alloc(n * nout);
}

static void net_free(net *t) {
    free(t->X);
    free(t->Y);
    free(t->W1);
    free(t->b1);
    free(t->W2);
    free(t->b2);
    free(t->lab);
    free(t->Z1);
    free(t->A1);
    free(t->Z2);
    free(t->A2);
}

/* The forward pass; returns the loss (NaN if a kernel failed). With dA2, the
 * loss gradient with respect to A2 is written there too. */
static double net_forward(net *t, double *dA2) {
    size_t n = t->n, nin = t->nin, nh = t->nh, nout = t->nout;
    double L = h_nan();
    if (bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, n, nh, nin, 1.0, t->X, nin, t->W1, nh, 0.0, t->Z1, nh) ||
        bp_bias_add(n, nh, t->b1, t->Z1, nh) ||
        bp_activation_forward(t->f1, t->p1, n, nh, t->Z1, t->A1) ||
        bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, n, nout, nh, 1.0, t->A1, nh, t->W2, nout, 0.0, t->Z2,
                 nout) ||
        bp_bias_add(n, nout, t->b2, t->Z2, nout) ||
        bp_activation_forward(t->f2, t->p2, n, nout, t->Z2, t->A2))
        return h_nan();
    bp_status s = t->labels ? bp_loss_compute_labels(t->loss, n, nout, t->A2, t->lab, &L, dA2)
                            : bp_loss_compute(t->loss, n, nout, t->A2, t->Y, &L, dA2);
    return s == BP_OK ? L : h_nan();
}

static double net_objective(void *ctx) { return net_forward(ctx, NULL); }

typedef struct grads {
    double *dW1, *db1, *dW2, *db2, *dX;
} grads;

static void net_backward(net *t, grads *g) {
    size_t n = t->n, nin = t->nin, nh = t->nh, nout = t->nout;
    double *dA2 = h_alloc(n * nout), *dZ2 = h_alloc(n * nout);
    double *dA1 = h_alloc(n * nh), *dZ1 = h_alloc(n * nh);
    double L = net_forward(t, dA2);
    H_EXPECT(isfinite(L), "%s: forward failed", t->name);
    H_OK(bp_activation_backward(t->f2, t->p2, n, nout, t->Z2, t->A2, dA2, dZ2));
    H_OK(bp_weight_gradient(n, nh, nout, 1.0, t->A1, nh, dZ2, nout, 0.0, g->dW2, nout));
    H_OK(bp_bias_gradient(n, nout, 1.0, dZ2, nout, 0.0, g->db2));
    H_OK(bp_input_gradient(n, nh, nout, dZ2, nout, t->W2, nout, dA1, nh));
    H_OK(bp_activation_backward(t->f1, t->p1, n, nh, t->Z1, t->A1, dA1, dZ1));
    H_OK(bp_weight_gradient(n, nin, nh, 1.0, t->X, nin, dZ1, nh, 0.0, g->dW1, nh));
    H_OK(bp_bias_gradient(n, nh, 1.0, dZ1, nh, 0.0, g->db1));
    H_OK(bp_input_gradient(n, nin, nh, dZ1, nh, t->W1, nh, g->dX, nin));
    free(dA2);
    free(dZ2);
    free(dA1);
    free(dZ1);
}

/* Compares one gradient array with finite differences of the loss with
 * respect to the array `theta` it belongs to. */
static void check_block(net *t, const char *what, double *theta, const double *an, size_t count) {
    double *fd = h_alloc(count);
    for (size_t i = 0; i < count; i++) fd[i] = h_central_diff(&theta[i], 1e-6, net_objective, t);
    size_t w = 0;
    double err = h_grad_err(an, fd, count, 1e-3, &w);
    H_EXPECT(err < 1e-6, "%s: %s[%zu] = %.12g, finite difference %.12g (error %.3g)", t->name, what,
             w, an[w], fd[w], err);
    H_EXPECT(h_max_abs(an, count) > 1e-3 && h_max_abs(fd, count) > 1e-3,
             "%s: %s is (nearly) all zero: max |analytic| %.3g, max |fd| %.3g — "
             "the check would be vacuous",
             t->name, what, h_max_abs(an, count), h_max_abs(fd, count));
    free(fd);
}

static void run_network_check(net *t, uint64_t seed) {
    h_rng r;
    h_seed(&r, seed);
    net_init(t, &r);
    grads g = { h_alloc(t->nin * t->nh), h_alloc(t->nh), h_alloc(t->nh * t->nout), h_alloc(t->nout),
                h_alloc(t->n * t->nin) };
    net_backward(t, &g);
    /* ReLU-type hidden units must not sit within a step of their kink. */
    double zmin = INFINITY;
    for (size_t i = 0; i < t->n * t->nh; i++) zmin = fmin(zmin, fabs(t->Z1[i]));
    if (t->f1 == BP_ACT_RELU || t->f1 == BP_ACT_LEAKY_RELU)
        H_EXPECT(zmin > 1e-4,
                 "%s: a hidden pre-activation is %.3g from the kink; "
                 "choose another seed",
                 t->name, zmin);
    check_block(t, "dW1", t->W1, g.dW1, t->nin * t->nh);
    check_block(t, "db1", t->b1, g.db1, t->nh);
    check_block(t, "dW2", t->W2, g.dW2, t->nh * t->nout);
    check_block(t, "db2", t->b2, g.db2, t->nout);
    check_block(t, "dX", t->X, g.dX, t->n * t->nin);
    free(g.dW1);
    free(g.db1);
    free(g.dW2);
    free(g.db2);
    free(g.dX);
    net_free(t);
}

/* 5 samples, 4 inputs, 6 tanh hidden units, 3 outputs: softmax + CCE fused
 * (the loss takes the logits Z2; the output activation is the identity). */
static void test_tanh_softmax_cce_network(void **state) {
    (void)state;
    net t = { .name = "tanh/softmax-CCE",
              .n = 5,
              .nin = 4,
              .nh = 6,
              .nout = 3,
              .f1 = BP_ACT_TANH,
              .f2 = BP_ACT_IDENTITY,
              .loss = BP_LOSS_SOFTMAX_CCE };
    run_network_check(&t, 801);
}

/* The same shape with sigmoid hidden units, identity output and MSE. */
static void test_sigmoid_mse_network(void **state) {
    (void)state;
    net t = { .name = "sigmoid/MSE",
              .n = 5,
              .nin = 4,
              .nh = 6,
              .nout = 3,
              .f1 = BP_ACT_SIGMOID,
              .f2 = BP_ACT_IDENTITY,
              .loss = BP_LOSS_MSE };
    run_network_check(&t, 802);
}

/* Unfused: leaky-ReLU hidden, a softmax activation and CCE on probabilities
 * with integer labels — exercises the softmax Jacobian-vector product. */
static void test_leaky_softmax_activation_cce_labels_network(void **state) {
    (void)state;
    net t = { .name = "leaky/softmax+CCE(labels)",
              .n = 5,
              .nin = 4,
              .nh = 6,
              .nout = 3,
              .f1 = BP_ACT_LEAKY_RELU,
              .p1 = 0.1,
              .f2 = BP_ACT_SOFTMAX,
              .loss = BP_LOSS_CCE,
              .labels = 1 };
    run_network_check(&t, 803);
}

/* ReLU hidden units, sigmoid probabilities and BCE (unfused), and the fused
 * BCE on logits. */
static void test_relu_bce_networks(void **state) {
    (void)state;
    net t = { .name = "relu/sigmoid+BCE",
              .n = 7,
              .nin = 4,
              .nh = 6,
              .nout = 2,
              .f1 = BP_ACT_RELU,
              .f2 = BP_ACT_SIGMOID,
              .loss = BP_LOSS_BCE };
    run_network_check(&t, 804);
    net u = { .name = "tanh/BCE-logits",
              .n = 7,
              .nin = 4,
              .nh = 6,
              .nout = 2,
              .f1 = BP_ACT_TANH,
              .f2 = BP_ACT_IDENTITY,
              .loss = BP_LOSS_BCE_LOGITS };
    run_network_check(&u, 805);
}

/* The gradients drive learning: 50 full-batch SGD steps (bp_sgd_update on
 * every parameter block) lower the loss of the tanh/softmax network. */
static void test_sgd_training_lowers_loss(void **state) {
    (void)state;
    h_rng r;
    h_seed(&r, 806);
    net t = { .name = "training",
              .n = 5,
              .nin = 4,
              .nh = 6,
              .nout = 3,
              .f1 = BP_ACT_TANH,
              .f2 = BP_ACT_IDENTITY,
              .loss = BP_LOSS_SOFTMAX_CCE };
    net_init(&t, &r);
    grads g = { h_alloc(4 * 6), h_alloc(6), h_alloc(6 * 3), h_alloc(3), h_alloc(5 * 4) };
    double first = net_forward(&t, NULL), prev = first, last = first;
    for (int step = 0; step < 50; step++) {
        net_backward(&t, &g);
        H_OK(bp_sgd_update(4 * 6, 0.5, g.dW1, t.W1));
        H_OK(bp_sgd_update(6, 0.5, g.db1, t.b1));
        H_OK(bp_sgd_update(6 * 3, 0.5, g.dW2, t.W2));
        H_OK(bp_sgd_update(3, 0.5, g.db2, t.b2));
        last = net_forward(&t, NULL);
        H_EXPECT(last < prev, "step %d: loss rose from %.17g to %.17g", step, prev, last);
        prev = last;
    }
    H_EXPECT(last < 0.5 * first, "50 steps: loss %.6g → %.6g, expected at least halved", first,
             last);
    free(g.dW1);
    free(g.db1);
    free(g.dW2);
    free(g.db2);
    free(g.dX);
    net_free(&t);
}

int run_network_tests(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tanh_softmax_cce_network),
        cmocka_unit_test(test_sigmoid_mse_network),
        cmocka_unit_test(test_leaky_softmax_activation_cce_labels_network),
        cmocka_unit_test(test_relu_bce_networks),
        cmocka_unit_test(test_sgd_training_lowers_loss),
    };
    return cmocka_run_group_tests_name("network", tests, NULL, NULL);
}
