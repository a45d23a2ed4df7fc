/*
 * single_neuron.c — seed 02's single ReLU neuron, trained through the C kernels.
 *
 * One neuron with 3 inputs: z = x·w + b, a = relu(z), loss = (a − target)².
 * That loss is BP_LOSS_MSE with one sample and one output. Each step runs
 * the forward pass, the loss gradient, the ReLU backward pass, the weight
 * and bias gradients, and an SGD update: backpropagation in miniature.
 *
 * Build: make demo   (or, by hand, after `make lib`:
 *   cc -std=c11 Examples/c/single_neuron.c -I.build-c/include -L.build-c -lbackprop \
 *      $(pkg-config --libs gsl) -lm)
 */
#include <stdio.h>
#include <stdlib.h>
#include "CKernels.h"

#define CHECK(call)                                                                                \
    do {                                                                                           \
        bp_status s_ = (call);                                                                     \
        if (s_ != BP_OK) {                                                                         \
            fprintf(stderr, "%s failed: %s\n", #call, bp_status_string(s_));                       \
            return EXIT_FAILURE;                                                                   \
        }                                                                                          \
    } while (0)

int main(void) {
    double x[3] = { 1.0, -2.0, 3.0 };  /* one sample, 1 × 3 */
    double w[3] = { -3.0, -1.0, 2.0 }; /* W is n_in × n_out = 3 × 1 */
    double b[1] = { 1.0 };
    double target[1] = { 0.0 };
    const double learning_rate = 0.001;

    double z, a, loss, da, dz, dw[3], db;
    printf("Seed 02: one ReLU neuron, loss (relu(x·w + b) − 0)², lr %.3g\n", learning_rate);
    for (int step = 1; step <= 200; step++) {
        /* forward: z = x·W + b, a = relu(z) */
        CHECK(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, 1, 1, 3, 1.0, x, 3, w, 1, 0.0, &z, 1));
        CHECK(bp_bias_add(1, 1, b, &z, 1));
        CHECK(bp_activation_forward(BP_ACT_RELU, 0.0, 1, 1, &z, &a));
        /* loss and dL/da = 2(a − target) */
        CHECK(bp_loss_compute(BP_LOSS_MSE, 1, 1, &a, target, &loss, &da));
        /* backward: dz = da·relu'(z), dW = xᵀ·dz, db = dz */
        CHECK(bp_activation_backward(BP_ACT_RELU, 0.0, 1, 1, &z, &a, &da, &dz));
        CHECK(bp_weight_gradient(1, 3, 1, 1.0, x, 3, &dz, 1, 0.0, dw, 1));
        CHECK(bp_bias_gradient(1, 1, 1.0, &dz, 1, 0.0, &db));
        /* gradient descent */
        CHECK(bp_sgd_update(3, learning_rate, dw, w));
        CHECK(bp_sgd_update(1, learning_rate, &db, b));
        if (step == 1 || step % 20 == 0) printf("  step %3d  loss %.12g\n", step, loss);
    }
    printf("Final weights: [%.8f, %.8f, %.8f]\n", w[0], w[1], w[2]);
    printf("Final bias:    %.10f\n", b[0]);
    printf("(the notebook printed [-3.3990955 -0.20180899 0.80271349] and 0.6009044964517248)\n");
    return EXIT_SUCCESS;
}
