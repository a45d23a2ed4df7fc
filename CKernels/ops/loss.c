/*
 * loss.c — loss values and gradients with respect to the network output.
 * Conventions (averaging, clamping) are documented in bp_loss.h.
 *
 * Each element's gradient is written after that element's prediction was
 * read, so grad may alias pred.
 *
 * The loops are written once in loss_tmpl.h and instantiated here per
 * precision; the public functions of bp_loss.h are defined by name over
 * them.
 */
#include <math.h>
#include "bp_loss.h"
#include "runtime/internal.h"

static int valid_loss(bp_loss kind) { return kind >= BP_LOSS_MSE && kind <= BP_LOSS_SOFTMAX_CCE; }

#define R double
#define P(name) name##_d
#include "loss_tmpl.h"
#undef R
#undef P

#define R float
#define P(name) name##_s
#include "loss_tmpl.h"
#undef R
#undef P

/* ---- the public functions (bp_loss.h) ----------------------------------- */

bp_status bp_loss_compute(bp_loss kind, size_t n, size_t k, const double *pred,
                          const double *target, double *loss, double *grad) {
    return compute_d(kind, n, k, pred, target, loss, grad);
}

bp_status bp_loss_compute_labels(bp_loss kind, size_t n, size_t k, const double *pred,
                                 const size_t *labels, double *loss, double *grad) {
    return compute_labels_d(kind, n, k, pred, labels, loss, grad);
}

bp_status bp_loss_compute_f32(bp_loss kind, size_t n, size_t k, const float *pred,
                              const float *target, double *loss, float *grad) {
    return compute_s(kind, n, k, pred, target, loss, grad);
}

bp_status bp_loss_compute_labels_f32(bp_loss kind, size_t n, size_t k, const float *pred,
                                     const size_t *labels, double *loss, float *grad) {
    return compute_labels_s(kind, n, k, pred, labels, loss, grad);
}
