/*
 * registry.h — the groups of the C harness, one line each, in the order
 * main.c runs them. A group is a test file's set of cmocka tests, run by
 * its function
 *
 *     int run_<name>_tests(void)   returning the number of failed tests,
 *
 * and named <name> on the command line (`charness --list`). This list is
 * the only place groups are named: harness.h declares the functions from
 * it, main.c builds its table of groups from it.
 *
 * To add a group: write test_<name>.c (the Makefile compiles every .c file
 * of this folder) ending in run_<name>_tests, and add HARNESS_GROUP(<name>)
 * below; e.g. HARNESS_GROUP(reference) for test_reference.c's
 * run_reference_tests.
 *
 * Included with HARNESS_GROUP(name) defined by the includer, once per use;
 * hence no include guard.
 */
#ifndef HARNESS_GROUP
#error "define HARNESS_GROUP(name) before including registry.h"
#endif

HARNESS_GROUP(errors)       /* argument errors of the kernels (bp_status.h) */
HARNESS_GROUP(gemm)         /* bp_dgemm, bp_dgemm_reference */
HARNESS_GROUP(bias)         /* bias add and gradient */
HARNESS_GROUP(activation)   /* activations, forward and backward */
HARNESS_GROUP(loss)         /* losses and their gradients */
HARNESS_GROUP(gradient)     /* weight and input gradients */
HARNESS_GROUP(update)       /* SGD step, norm, scale, clipping */
HARNESS_GROUP(update_stage) /* the parameter-update stage and its gradient hook */
HARNESS_GROUP(random)       /* generators, initialisation, shuffling */
HARNESS_GROUP(network)      /* two-layer networks assembled from the kernels */
HARNESS_GROUP(seeds)        /* seed 02's neuron and layer through the kernels */
HARNESS_GROUP(mlp)          /* the network engine: create, forward, gradient, backward */
HARNESS_GROUP(narrow)       /* the narrow-network engine (widths ≤ 8) */
HARNESS_GROUP(training)     /* train_step, train_epoch, train_epochs */
HARNESS_GROUP(gemm_fast)    /* the blocked GEMM's kernels and threads, both precisions */
HARNESS_GROUP(exec)         /* execution contexts */
HARNESS_GROUP(dense)        /* fused dense-layer passes */
HARNESS_GROUP(float)        /* single-precision kernels against double */
HARNESS_GROUP(vexp)         /* the narrow engine's exp and log */
HARNESS_GROUP(finite)       /* non-finite scans, largest magnitudes */
HARNESS_GROUP(reference)    /* every fast path of the network engine against the reference engine */
HARNESS_GROUP(trace)        /* Z, A and dL/dZ of every layer through the accessors, every path */
HARNESS_GROUP(optimizers)   /* the optimisers (bp_optimizer.h) against PyTorch, every engine */
HARNESS_GROUP(minimize)     /* full-batch minimisation by GSL's minimisers (bp_minimize.h) */
HARNESS_GROUP(regularization) /* dropout, the training objective, penalty and clipping settings */
