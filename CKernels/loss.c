/*
 * loss.c — loss values and gradients with respect to the network output.
 * Conventions (averaging, clamping) are documented in bp_loss.h.
 *
 * Each element's gradient is written after that element's prediction was
 * read, so grad may alias pred.
 */
#include <math.h>
#include "bp_loss.h"
#include "internal.h"

static double clamp_prob(double p) {
    if (p < BP_PROB_EPSILON) return BP_PROB_EPSILON;
    if (p > 1.0 - BP_PROB_EPSILON) return 1.0 - BP_PROB_EPSILON;
    return p;
}

static double row_max(const double *z, size_t k) {
    double m = z[0];
    for (size_t j = 1; j < k; j++) if (z[j] > m) m = z[j];
    return m;
}

/* log Σ_j e^(z_j), stable: the largest term is factored out. */
static double log_sum_exp(const double *z, size_t k, double max) {
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) sum += exp(z[j] - max);
    return max + log(sum);
}

static int valid_loss(bp_loss kind) {
    return kind >= BP_LOSS_MSE && kind <= BP_LOSS_SOFTMAX_CCE;
}

bp_status bp_loss_compute(bp_loss kind, size_t n, size_t k,
                          const double *pred, const double *target,
                          double *loss, double *grad) {
    if (!valid_loss(kind)) return BP_ERR_BAD_ENUM;
    if (n == 0 || k == 0) return BP_ERR_ZERO_SIZE;
    size_t count;
    BP_TRY(bp_check_dense(n, k, pred, &count));
    BP_TRY(bp_check_dense(n, k, target, NULL));
    const double *p = pred, *y = target;
    double total = 0.0;
    /* Binary losses and MSE average over all n·k elements, categorical
     * losses over the n samples (bp_loss.h). */
    double scale_elem = 1.0 / (double)count, scale_row = 1.0 / (double)n;

    switch (kind) {
    case BP_LOSS_MSE:
        for (size_t i = 0; i < count; i++) {
            double d = p[i] - y[i];
            total += d * d;
            if (grad) grad[i] = 2.0 * d * scale_elem;
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE:
        for (size_t i = 0; i < count; i++) {
            double pc = clamp_prob(p[i]);
            total -= y[i] * log(pc) + (1.0 - y[i]) * log1p(-pc);
            if (grad) grad[i] = (pc - y[i]) / (pc * (1.0 - pc)) * scale_elem;
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE_LOGITS:
        for (size_t i = 0; i < count; i++) {
            double z = p[i];
            /* −y·log σ(z) − (1−y)·log(1−σ(z)) rewritten so no exp overflows. */
            total += (z > 0.0 ? z : 0.0) - z * y[i] + log1p(exp(-fabs(z)));
            if (grad) grad[i] = (bp_sigmoid(z) - y[i]) * scale_elem;
        }
        total *= scale_elem;
        break;
    case BP_LOSS_CCE:
        for (size_t i = 0; i < count; i++) {
            double pc = clamp_prob(p[i]);
            if (y[i] != 0.0) total -= y[i] * log(pc);
            if (grad) grad[i] = -y[i] / pc * scale_row;
        }
        total *= scale_row;
        break;
    case BP_LOSS_SOFTMAX_CCE:
        for (size_t r = 0; r < n; r++) {
            const double *z = p + r * k, *yr = y + r * k;
            double max = row_max(z, k), lse = log_sum_exp(z, k, max), ysum = 0.0;
            for (size_t j = 0; j < k; j++) ysum += yr[j];
            for (size_t j = 0; j < k; j++) {
                /* −y_j·log s_j = y_j·(lse − z_j); skipped for y_j = 0 so a
                 * hugely negative z_j cannot turn 0·∞ into NaN. */
                double zj = z[j], s = exp(zj - lse);
                if (yr[j] != 0.0) total += yr[j] * (lse - zj);
                /* d/dz_j of Σ_i y_i·(lse − z_i) = s_j·Σy − y_j; that is
                 * s − y for a one-hot or probability row (seed 05). */
                if (grad) grad[r * k + j] = (s * ysum - yr[j]) * scale_row;
            }
        }
        total *= scale_row;
        break;
    }
    if (loss) *loss = total;
    return BP_OK;
}

bp_status bp_loss_compute_labels(bp_loss kind, size_t n, size_t k,
                                 const double *pred, const size_t *labels,
                                 double *loss, double *grad) {
    if (kind != BP_LOSS_CCE && kind != BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    if (n == 0 || k == 0) return BP_ERR_ZERO_SIZE;
    BP_TRY(bp_check_dense(n, k, pred, NULL));
    BP_TRY(bp_check_array(n, sizeof(size_t), labels));
    /* Every label is checked before anything is written. */
    for (size_t r = 0; r < n; r++)
        if (labels[r] >= k) return BP_ERR_LABEL_OUT_OF_RANGE;

    double total = 0.0, scale = 1.0 / (double)n;
    for (size_t r = 0; r < n; r++) {
        const double *z = pred + r * k;
        size_t c = labels[r];
        if (kind == BP_LOSS_CCE) {
            double pc = clamp_prob(z[c]);
            total -= log(pc);
            if (grad) {
                for (size_t j = 0; j < k; j++) grad[r * k + j] = 0.0;
                grad[r * k + c] = -scale / pc;
            }
        } else {
            double max = row_max(z, k), lse = log_sum_exp(z, k, max);
            total += lse - z[c];
            if (grad) {
                for (size_t j = 0; j < k; j++) {
                    double s = exp(z[j] - lse);
                    grad[r * k + j] = (s - (j == c ? 1.0 : 0.0)) * scale;
                }
            }
        }
    }
    if (loss) *loss = total * scale;
    return BP_OK;
}
