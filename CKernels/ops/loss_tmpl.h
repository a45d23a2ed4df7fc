/*
 * loss_tmpl.h — loss values and gradients, written once and included by
 * loss.c once per storage precision (no include guard on purpose). Before
 * each inclusion loss.c defines:
 *
 *   R                    element type of predictions, targets and gradients
 *   P(name)              name##_d / name##_s
 *
 * It defines P(compute) and P(compute_labels), the bodies of the public
 * bp_loss_compute(_labels)(_f32), which loss.c defines by name.
 *
 * Whatever R is, every element is converted to double and all arithmetic,
 * the accumulated loss included, is done in double; gradients are rounded
 * to R once, when stored. So the float kernels agree with the double ones
 * on the same (float-representable) inputs to within one rounding of each
 * gradient element, and the loss value is the double one. Each element's
 * term and gradient is ops/formulas.h's (scalar lanes, libm's exp and log).
 */

static double P(row_max)(const R *z, size_t k) {
    double m = z[0];
    for (size_t j = 1; j < k; j++)
        if (z[j] > m) m = z[j];
    return m;
}

/* log Σ_j e^(z_j), stable: the largest term is factored out
 * (BP_LOG_SUM_EXP). */
static double P(log_sum_exp)(const R *z, size_t k, double max) {
    double sum = 0.0;
    for (size_t j = 0; j < k; j++) sum += exp(z[j] - max);
    return BP_LOG_SUM_EXP(log, max, sum);
}

static bp_status P(compute)(bp_loss kind, size_t n, size_t k, const R *pred, const R *target,
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
            double d = (double)p[i] - y[i]; /* in double, whatever R is */
            total += BP_MSE_TERM(d);
            if (grad) grad[i] = (R)BP_MSE_GRAD(d, scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE:
        for (size_t i = 0; i < count; i++) {
            double pc = bp_clamp_prob(p[i]), yi = y[i];
            total += BP_BCE_TERM(log, log1p, yi, pc);
            if (grad) grad[i] = (R)BP_BCE_GRAD(yi, pc, scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_BCE_LOGITS:
        for (size_t i = 0; i < count; i++) {
            double z = p[i], yi = y[i];
            total += BP_BCE_LOGITS_TERM(BP_SEL, BP_K, log1p, z, yi, exp(-fabs(z)));
            if (grad) grad[i] = (R)BP_BCE_LOGITS_GRAD(bp_sigmoid(z), yi, scale_elem);
        }
        total *= scale_elem;
        break;
    case BP_LOSS_CCE:
        for (size_t i = 0; i < count; i++) {
            double pc = bp_clamp_prob(p[i]), yi = y[i];
            if (yi != 0.0) total += BP_CCE_TERM_NONZERO(log, yi, pc);
            if (grad) grad[i] = (R)BP_CCE_GRAD(yi, pc, scale_row);
        }
        total *= scale_row;
        break;
    case BP_LOSS_SOFTMAX_CCE:
        for (size_t r = 0; r < n; r++) {
            const R *z = p + r * k, *yr = y + r * k;
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max), ysum = 0.0;
            for (size_t j = 0; j < k; j++) ysum += yr[j];
            for (size_t j = 0; j < k; j++) {
                /* the term from the logits, s = e^(z_j − lse) */
                double zj = z[j], yj = yr[j], s = exp(zj - lse);
                if (yj != 0.0) total += BP_SOFTMAX_CCE_TERM_LSE(yj, lse, zj);
                if (grad) grad[r * k + j] = (R)BP_SOFTMAX_CCE_GRAD(s, ysum, yj, scale_row);
            }
        }
        total *= scale_row;
        break;
    }
    if (loss) *loss = total;
    return BP_OK;
}

static bp_status P(compute_labels)(bp_loss kind, size_t n, size_t k, const R *pred,
                                const size_t *labels, double *loss, R *grad) {
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
        /* the one-hot target: y = 1 at the label, 0 elsewhere (no term) */
        if (kind == BP_LOSS_CCE) {
            double pc = bp_clamp_prob(z[c]);
            total += BP_CCE_TERM_NONZERO(log, 1.0, pc);
            if (grad) {
                for (size_t j = 0; j < k; j++) grad[r * k + j] = (R)0;
                grad[r * k + c] = (R)BP_CCE_GRAD(1.0, pc, scale);
            }
        } else {
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max);
            total += BP_SOFTMAX_CCE_TERM_LSE(1.0, lse, (double)z[c]);
            if (grad) {
                for (size_t j = 0; j < k; j++) {
                    double s = exp(z[j] - lse);
                    grad[r * k + j] = (R)BP_SOFTMAX_CCE_GRAD(s, 1.0, j == c ? 1.0 : 0.0, scale);
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
 * engine calls it on validated buffers). The gradients are formulas.h's
 * with σ(z) and the softmax s taken from A instead of a second round of
 * exponentials. The softmax loss is its term from the probabilities,
 * −Σ y_j·log A_j; a probability that underflowed to 0 under a nonzero
 * target falls back to the term from the logits (log-sum-exp) for its row.
 * Labels (labels != NULL) replace Y.
 */
void P(bp_loss_fused_outputs)(bp_loss kind, size_t n, size_t k, const R *Z, const R *A, const R *Y,
                           const size_t *labels, double *loss, R *grad) {
    double total = 0.0;
    if (kind == BP_LOSS_BCE_LOGITS) {
        size_t count = n * k;
        double scale = 1.0 / (double)count;
        for (size_t i = 0; i < count; i++) {
            double z = Z[i], y = Y[i];
            total += BP_BCE_LOGITS_TERM(BP_SEL, BP_K, log1p, z, y, exp(-fabs(z)));
            if (grad) grad[i] = (R)BP_BCE_LOGITS_GRAD((double)A[i], y, scale);
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
                if (a[j] > (R)0) row += BP_CCE_TERM_NONZERO(log, y, (double)a[j]);
                else underflow = 1;
            }
        }
        if (underflow) {
            double max = P(row_max)(z, k), lse = P(log_sum_exp)(z, k, max);
            row = 0.0;
            for (size_t j = 0; j < k; j++) {
                double y = yr ? (double)yr[j] : (j == labels[r] ? 1.0 : 0.0);
                if (y != 0.0) row += BP_SOFTMAX_CCE_TERM_LSE(y, lse, (double)z[j]);
            }
        }
        total += row;
        if (grad)
            for (size_t j = 0; j < k; j++) {
                double y = yr ? (double)yr[j] : (j == labels[r] ? 1.0 : 0.0);
                grad[r * k + j] = (R)BP_SOFTMAX_CCE_GRAD((double)a[j], ysum, y, scale);
            }
    }
    *loss = total * scale;
}
