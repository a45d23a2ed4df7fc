/*
 * loss_tmpl.h — loss values and gradients, written once and included by
 * loss.c once per storage precision (no include guard on purpose). Before
 * each inclusion loss.c defines:
 *
 *   R                    element type of predictions, targets and gradients
 *   P(name)              name##_d / name##_s
 *   L_COMPUTE, L_LABELS  names of the public functions to define
 *
 * Whatever R is, every element is converted to double and all arithmetic,
 * the accumulated loss included, is done in double; gradients are rounded
 * to R once, when stored. So the float kernels agree with the double ones
 * on the same (float-representable) inputs to within one rounding of each
 * gradient element, and the loss value is the double one.
 */

static double P(row_max)(const R *z, size_t k) {
    double m = z[0];
    for (size_t j = 1; j < k; j++) if (z[j] > m) m = z[j];
    return m;
}

/* log Σ_j e^(z_j), stable: the largest term is factored out. */
static double P(log_sum_exp)(const R *z, size_t k, double max) {
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) sum += exp(z[j] - max);
    return max + log(sum);
}

bp_status L_COMPUTE(bp_loss kind, size_t n, size_t k,
                    const R *pred, const R *target,
                    double *loss, R *grad) {
    if (!valid_loss(kind)) return BP_ERR_BAD_ENUM;
    if (n == 0 || k == 0) return BP_ERR_ZERO_SIZE;
    size_t count;
    BP_TRY(bp_check_dense_elem(n, k, pred, &count, sizeof(R)));
    BP_TRY(bp_check_dense_elem(n, k, target, NULL, sizeof(R)));
    const R *p = pred, *y = target;
    double total = 0.0;
    /* Binary losses and MSE average over all n·k elements, categorical
     * losses over the n samples (bp_loss.h). */
    double scale_elem = 1.0 / (double)count, scale_row = 1.0 / (double)n;

    switch (kind) {
    case BP_LOSS_MSE:
        for (size_t i = 0; i < count; i++) {
            double d = (double)p[i] - y[i];   /* in double, whatever R is */
            total += d * d;
            if (grad) grad[i] = (R)(2.0 * d * scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE:
        for (size_t i = 0; i < count; i++) {
            double pc = bp_clamp_prob(p[i]);
            total -= y[i] * log(pc) + (1.0 - y[i]) * log1p(-pc);
            if (grad) grad[i] = (R)((pc - y[i]) / (pc * (1.0 - pc)) * scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE_LOGITS:
        for (size_t i = 0; i < count; i++) {
            double z = p[i];
            /* −y·log σ(z) − (1−y)·log(1−σ(z)) rewritten so no exp overflows. */
            total += (z > 0.0 ? z : 0.0) - z * y[i] + log1p(exp(-fabs(z)));
            if (grad) grad[i] = (R)((bp_sigmoid(z) - y[i]) * scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_CCE:
        for (size_t i = 0; i < count; i++) {
            double pc = bp_clamp_prob(p[i]);
            if (y[i] != 0.0) total -= y[i] * log(pc);
            if (grad) grad[i] = (R)(-y[i] / pc * scale_row);
        }
        total *= scale_row;
        break;
    case BP_LOSS_SOFTMAX_CCE:
        for (size_t r = 0; r < n; r++) {
            const R *z = p + r * k, *yr = y + r * k;
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max), ysum = 0.0;
            for (size_t j = 0; j < k; j++) ysum += yr[j];
            for (size_t j = 0; j < k; j++) {
                /* −y_j·log s_j = y_j·(lse − z_j); skipped for y_j = 0 so a
                 * hugely negative z_j cannot turn 0·∞ into NaN. */
                double zj = z[j], s = exp(zj - lse);
                if (yr[j] != 0.0) total += yr[j] * (lse - zj);
                /* d/dz_j of Σ_i y_i·(lse − z_i) = s_j·Σy − y_j; that is
                 * s − y for a one-hot or probability row (seed 05). */
                if (grad) grad[r * k + j] = (R)((s * ysum - yr[j]) * scale_row);
            }
        }
        total *= scale_row;
        break;
    }
    if (loss) *loss = total;
    return BP_OK;
}

bp_status L_LABELS(bp_loss kind, size_t n, size_t k,
                   const R *pred, const size_t *labels,
                   double *loss, R *grad) {
    if (kind != BP_LOSS_CCE && kind != BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    if (n == 0 || k == 0) return BP_ERR_ZERO_SIZE;
    BP_TRY(bp_check_dense_elem(n, k, pred, NULL, sizeof(R)));
    BP_TRY(bp_check_array(n, sizeof(size_t), labels));
    /* Every label is checked before anything is written. */
    for (size_t r = 0; r < n; r++)
        if (labels[r] >= k) return BP_ERR_LABEL_OUT_OF_RANGE;

    double total = 0.0, scale = 1.0 / (double)n;
    for (size_t r = 0; r < n; r++) {
        const R *z = pred + r * k;
        size_t c = labels[r];
        if (kind == BP_LOSS_CCE) {
            double pc = bp_clamp_prob(z[c]);
            total -= log(pc);
            if (grad) {
                for (size_t j = 0; j < k; j++) grad[r * k + j] = (R)0;
                grad[r * k + c] = (R)(-scale / pc);
            }
        } else {
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max);
            total += lse - z[c];
            if (grad) {
                for (size_t j = 0; j < k; j++) {
                    double s = exp(z[j] - lse);
                    grad[r * k + j] = (R)((s - (j == c ? 1.0 : 0.0)) * scale);
                }
            }
        }
    }
    if (loss) *loss = total * scale;
    return BP_OK;
}

/*
 * The fused losses of a network's output layer when the forward pass has
 * already computed A = σ(Z) or softmax(Z) (no argument checks: the network
 * engine calls it on validated buffers). The gradient is (A − Y)/n — the
 * same fused (ŷ − y)/n as above, from the activations instead of a second
 * round of exponentials. The softmax loss is −Σ y_j·log A_j, where A_j is
 * accurate to a unit of roundoff so its logarithm is accurate to one unit
 * absolute; a probability that underflowed to 0 falls back to the
 * log-sum-exp form of the row. Labels (labels != NULL) replace Y.
 */
void P(bp_loss_fused_outputs)(bp_loss kind, size_t n, size_t k, const R *Z, const R *A,
                              const R *Y, const size_t *labels, double *loss, R *grad) {
    double total = 0.0;
    if (kind == BP_LOSS_BCE_LOGITS) {
        size_t count = n * k;
        double scale = 1.0 / (double)count;
        for (size_t i = 0; i < count; i++) {
            double z = Z[i], y = Y[i];
            total += (z > 0.0 ? z : 0.0) - z * y + log1p(exp(-fabs(z)));
            if (grad) grad[i] = (R)(((double)A[i] - y) * scale);
        }
        *loss = total * scale;
        return;
    }
    double scale = 1.0 / (double)n;
    for (size_t r = 0; r < n; r++) {
        const R *z = Z + r * k, *a = A + r * k;
        const R *yr = Y ? Y + r * k : NULL;
        double ysum = yr ? 0.0 : 1.0, row = 0.0;
        int underflow = 0;
        for (size_t j = 0; j < k; j++) {
            double y = yr ? (double)yr[j] : (j == labels[r] ? 1.0 : 0.0);
            if (yr) ysum += y;
            if (y != 0.0) {
                if (a[j] > (R)0) row -= y * log((double)a[j]);
                else underflow = 1;
            }
        }
        if (underflow) {
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max);
            row = 0.0;
            for (size_t j = 0; j < k; j++) {
                double y = yr ? (double)yr[j] : (j == labels[r] ? 1.0 : 0.0);
                if (y != 0.0) row += y * (lse - (double)z[j]);
            }
        }
        total += row;
        if (grad)
            for (size_t j = 0; j < k; j++) {
                double y = yr ? (double)yr[j] : (j == labels[r] ? 1.0 : 0.0);
                grad[r * k + j] = (R)(((double)a[j] * ysum - y) * scale);
            }
    }
    *loss = total * scale;
}
