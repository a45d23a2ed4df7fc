/*
 * CKernels.h — the hot loops of Backprop, as a C API.
 *
 * Row-major throughout; every function returns a bp_status. Double
 * precision, with float variants (suffix _f32, bp_sgemm) of what training
 * in single precision needs.
 * A batch is n_samples × n_features; a dense layer's W is n_in × n_out;
 * its forward pass is Z = X·W + b, A = f(Z).
 *
 *   bp_status.h      status codes and their descriptions
 *   bp_gemm.h        C = alpha·op(A)·op(B) + beta·C (blocked, plus a reference)
 *   bp_exec.h        execution context: thread pool and GEMM workspaces
 *   bp_dense.h       fused dense-layer forward and backward passes
 *   bp_bias.h        bias add and bias gradient
 *   bp_activation.h  activations forward and backward
 *   bp_loss.h        losses and their gradients (fused softmax/sigmoid + CE)
 *   bp_gradient.h    outer-product and batched weight gradients, input gradient
 *   bp_update.h      SGD step, norms, scaling, clipping (GSL BLAS)
 *   bp_finite.h      the first NaN or infinity in an array
 *   bp_random.h      seeded initialization and shuffling (GSL rng)
 *   bp_mlp.h         a whole network: forward, backpropagation, SGD step
 *   bp_optimizer.h   a network's optimiser: SGD with momentum, Adam, AdamW,
 *                    RMSprop, Adagrad, Rprop
 *   bp_minimize.h    full-batch training by GSL's minimisers (BFGS, conjugate
 *                    gradients)
 */
#ifndef CKERNELS_H
#define CKERNELS_H

#include "bp_status.h"
#include "bp_exec.h"
#include "bp_gemm.h"
#include "bp_dense.h"
#include "bp_bias.h"
#include "bp_activation.h"
#include "bp_loss.h"
#include "bp_gradient.h"
#include "bp_update.h"
#include "bp_finite.h"
#include "bp_random.h"
#include "bp_mlp.h"
#include "bp_optimizer.h"
#include "bp_minimize.h"
#include "bp_regularization.h"

#endif /* CKERNELS_H */
