/*
 * loss.c — loss values and gradients with respect to the network output.
 * Conventions (averaging, clamping) are documented in bp_loss.h.
 *
 * Each element's gradient is written after that element's prediction was
 * read, so grad may alias pred.
 */
#include <math.h>
#include "bp_loss.h"
#include "runtime/internal.h"

static int valid_loss(bp_loss kind) {
    return kind >= BP_LOSS_MSE && kind <= BP_LOSS_SOFTMAX_CCE;
}

#define R double
#define P(name) name##_d
#define L_COMPUTE bp_loss_compute
#define L_LABELS bp_loss_compute_labels
#include "loss_tmpl.h"
#undef R
#undef P
#undef L_COMPUTE
#undef L_LABELS

#define R float
#define P(name) name##_s
#define L_COMPUTE bp_loss_compute_f32
#define L_LABELS bp_loss_compute_labels_f32
#include "loss_tmpl.h"
