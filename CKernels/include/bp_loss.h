/*
 * bp_loss.h — loss functions, their value and their gradient with respect
 * to the network's output.
 *
 * A batch of predictions P is n × k (n samples, k outputs), contiguous and
 * row-major; targets Y have the same shape (or are n integer labels). Every
 * loss is averaged over the batch, and the gradient is the gradient of that
 * average, so it already carries the 1/n (or 1/(n·k)) factor: summing
 * per-sample weight gradients (Aᵀ·dZ, column sums of dZ) then gives the
 * gradient of the mean loss without further scaling.
 *
 *   BP_LOSS_MSE            L = 1/(n·k) Σ (p − y)²                     (mean over all elements)
 *                          dL/dp = 2(p − y)/(n·k)
 *   BP_LOSS_BCE            L = −1/(n·k) Σ [y·log p + (1 − y)·log(1 − p)]
 *                          with p clamped to [BP_PROB_EPSILON, 1 − BP_PROB_EPSILON];
 *                          dL/dp = (p − y)/(p(1 − p)) / (n·k) at the clamped p
 *   BP_LOSS_BCE_LOGITS     the same loss on logits z, p = sigmoid(z), evaluated as
 *                          max(z, 0) − z·y + log(1 + e^(−|z|)) (never overflows);
 *                          dL/dz = (sigmoid(z) − y)/(n·k)
 *   BP_LOSS_CCE            L = −1/n Σ_i Σ_j y_ij·log p_ij, p clamped as above
 *                          (k classes, one-hot or soft targets in each row);
 *                          dL/dp = −y/p / n at the clamped p
 *   BP_LOSS_SOFTMAX_CCE    categorical cross-entropy on logits z, p = softmax(z),
 *                          evaluated with log-sum-exp; dL/dz = (softmax(z) − y)/n.
 *                          This is the fused gradient (seed 05): it skips the
 *                          softmax Jacobian and cannot overflow.
 *
 * Binary losses average over every element (multi-label outputs are
 * independent Bernoulli variables); categorical losses average over samples
 * (the k outputs of a row form one distribution).
 *
 * The kernels check pointers and sizes; they do not check that targets are
 * finite or lie in [0, 1]: the Swift layer validates data before it gets here.
 */
#ifndef BP_LOSS_H
#define BP_LOSS_H

#include <stddef.h>
#include "bp_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/** Probabilities are clamped to [BP_PROB_EPSILON, 1 − BP_PROB_EPSILON]
 *  before their logarithm, so a saturated prediction costs about
 *  −log(1e−12) ≈ 27.63 per element instead of infinity. (1 − 1e−12 rounds
 *  to 0.99999999999900002 in double, so p = 1 costs 27.631043.) */
#define BP_PROB_EPSILON 1e-12

/** The losses. See the table at the top of this header. */
typedef enum bp_loss {
    BP_LOSS_MSE = 0,
    BP_LOSS_BCE = 1,
    BP_LOSS_BCE_LOGITS = 2,
    BP_LOSS_CCE = 3,
    BP_LOSS_SOFTMAX_CCE = 4
} bp_loss;

/**
 * Loss value and/or gradient for n samples of k outputs with dense targets.
 *
 * pred and target are n × k, contiguous. `loss` (a scalar) and `grad`
 * (n × k) are outputs; either may be NULL to skip it (both NULL is a valid
 * no-op). grad may alias pred.
 * Requires n ≥ 1 and k ≥ 1 (BP_ERR_ZERO_SIZE otherwise: the mean of nothing
 * is undefined).
 */
bp_status bp_loss_compute(bp_loss kind, size_t n, size_t k, const double *pred,
                          const double *target, double *loss, double *grad);

/**
 * The categorical losses (BP_LOSS_CCE, BP_LOSS_SOFTMAX_CCE) with integer
 * class labels instead of one-hot rows: labels[i] < k is the class of
 * sample i, equivalent to a one-hot target row. Any other kind returns
 * BP_ERR_BAD_ENUM; a label ≥ k returns BP_ERR_LABEL_OUT_OF_RANGE (checked
 * before anything is written).
 */
bp_status bp_loss_compute_labels(bp_loss kind, size_t n, size_t k, const double *pred,
                                 const size_t *labels, double *loss, double *grad);

/**
 * Single precision bp_loss_compute: pred, target and grad are float; every
 * element is converted to double, all arithmetic (the loss accumulated over
 * the batch included) is done in double, and the loss is returned as a
 * double. Gradients are rounded to float once, when stored.
 */
bp_status bp_loss_compute_f32(bp_loss kind, size_t n, size_t k, const float *pred,
                              const float *target, double *loss, float *grad);

/** Single precision bp_loss_compute_labels (computed in double, as above). */
bp_status bp_loss_compute_labels_f32(bp_loss kind, size_t n, size_t k, const float *pred,
                                     const size_t *labels, double *loss, float *grad);

#ifdef __cplusplus
}
#endif

#endif /* BP_LOSS_H */
