/*
 * mlp_reference_tmpl.h — the reference network engine, written once and
 * included by mlp_reference.c once per precision (no include guard on
 * purpose). Before each inclusion mlp_reference.c defines:
 *
 *   R          element type (double, float)
 *   P(name)    names: bp_mlp_ref_##name##_d / _s
 *   WORK       the workspace type (bp_mlp_ref_work_d / _s)
 *   SIGMOID    the overflow-free logistic function for R (bp_sigmoid, bp_sigmoidf)
 *   TANH, EXP, ABS   the C library's tanh, exp and fabs for R
 *   COEFFS, COEFFS_PREPARE, RULE_ONE   the update stage's step scalars, their
 *              preparation and its element rules for R (bp_update_coeffs_d,
 *              bp_update_coeffs_prepare_d, bp_update_rule_one_d; _s)
 *   PENALTY, CLIP   the stage's L2 penalty and clipping (bp_update_penalty_d,
 *              bp_update_clip_d; _s)
 *   DROP_DRAW, DROP_SCALE   dropout's masks and products (ops/dropout.h)
 *
 * Every element-wise formula is ops/formulas.h's, the one definition every
 * engine instantiates; this file adds only plain loops around them.
 *
 * A network of L layers, A_0 = X (one sample per row):
 *
 *   forward    Z_l = A_{l−1}·W_l + b_l,   A_l = f_l(Z_l)
 *   loss       L = mean loss of A_L (or of the logits Z_L) against the targets
 *   backward   dZ_l = dA_l ⊙ f'_l(Z_l)            (dA_L = dL/dA_L)
 *              dW_l = A_{l−1}ᵀ·dZ_l,  db_l = Σ_rows dZ_l
 *              dA_{l−1} = dZ_l·W_lᵀ
 *   update     p ← p − η·g over the whole parameter vector (plain SGD), or
 *              the network's optimiser (bp_optimizer.h)
 *
 * Values and sums are kept in R, as the fast engine keeps them; loss values
 * and their gradients are computed in double and rounded to R once, as
 * bp_loss.h's kernels do. Every sum runs in increasing index order.
 */

/* ---- activations, element by element ------------------------------------ */

/* f(z) of the element-wise activations (softmax is a row operation:
 * P(softmax_row)); each formula is ops/formulas.h's. */
static R P(activation)(bp_activation act, R param, R z) {
    switch (act) {
    case BP_ACT_RELU: return BP_RELU(BP_SEL, BP_K, z); /* max(0, z) */
    case BP_ACT_LEAKY_RELU: return BP_LEAKY_RELU(BP_SEL, BP_K, z, param);
    case BP_ACT_SIGMOID: return SIGMOID(z); /* 1 / (1 + e^(−z)) */
    case BP_ACT_TANH: return TANH(z);
    default: return z; /* identity */
    }
}

/* d·f'(z), the chain rule through an element-wise activation, from z,
 * a = f(z) and d = dL/da (ops/formulas.h); σ' = e/(1 + e)², e = e^(−|z|). */
static R P(derivative_product)(bp_activation act, R param, R z, R a, R d) {
    switch (act) {
    case BP_ACT_RELU: return BP_RELU_DERIV(BP_SEL, BP_K, z, d);
    case BP_ACT_LEAKY_RELU: return BP_LEAKY_RELU_DERIV(BP_SEL, BP_K, z, param, d);
    case BP_ACT_SIGMOID: {
        const R e = EXP(-ABS(z));
        return BP_SIGMOID_DERIV_E(BP_K, e, d);
    }
    case BP_ACT_TANH: return BP_TANH_DERIV(BP_K, a, d); /* d·(1 − tanh²(z)) */
    default: return d;
    }
}

/* s_j = e^(z_j − m) / Σ_i e^(z_i − m), m = max_i z_i: no exponent is
 * positive, so nothing overflows. */
static void P(softmax_row)(size_t k, const R *z, R *s) {
    R m = z[0], sum = (R)0;
    for (size_t j = 1; j < k; j++) m = BP_SOFTMAX_MAX(BP_SEL, z[j], m);
    for (size_t j = 0; j < k; j++) {
        s[j] = EXP(z[j] - m);
        sum += s[j];
    }
    for (size_t j = 0; j < k; j++) s[j] /= sum;
}

/* dz = J·da with the softmax Jacobian J = diag(s) − s·sᵀ:
 * dz_j = s_j·(da_j − Σ_i da_i·s_i). */
static void P(softmax_backward_row)(size_t k, const R *s, const R *da, R *dz) {
    R dot = (R)0;
    for (size_t i = 0; i < k; i++) dot += da[i] * s[i];
    for (size_t j = 0; j < k; j++) dz[j] = BP_SOFTMAX_JVP(s[j], da[j], dot);
}

/* ---- one layer ------------------------------------------------------------ */

/* Z = In·W + b (z_rj = Σ_i in_ri·w_ij + b_j) and A = f(Z), for n rows of
 * In (leading dimension ld); W is n_in × n_out, Z and A n × n_out. */
static void P(layer_forward)(const bp_layer_spec *s, size_t n, const R *In, size_t ld, const R *W,
                          const R *b, R *Z, R *A) {
    const size_t n_in = s->n_in, n_out = s->n_out;
    for (size_t r = 0; r < n; r++) {
        for (size_t j = 0; j < n_out; j++) {
            R sum = (R)0;
            for (size_t i = 0; i < n_in; i++) sum += In[r * ld + i] * W[i * n_out + j];
            Z[r * n_out + j] = sum + b[j];
        }
        if (s->act == BP_ACT_SOFTMAX) {
            P(softmax_row)(n_out, Z + r * n_out, A + r * n_out);
        } else {
            for (size_t j = 0; j < n_out; j++)
                A[r * n_out + j] = P(activation)(s->act, (R)s->param, Z[r * n_out + j]);
        }
    }
}

/* The chain rule through one layer:
 *   dZ = dA ⊙ f'(Z)     (softmax: each row's Jacobian-vector product;
 *                        dA NULL: dZ already holds dL/dZ, a fused loss)
 *   dW = Inᵀ·dZ         dw_ij = Σ_r in_ri·dz_rj
 *   db = Σ_rows dZ      db_j  = Σ_r dz_rj
 *   dIn = dZ·Wᵀ         din_ri = Σ_j dz_rj·w_ij   (skipped when dIn is NULL) */
static void P(layer_backward)(const bp_layer_spec *s, size_t n, const R *In, size_t ld, const R *W,
                           const R *Z, const R *A, const R *dA, R *dZ, R *dW, R *db, R *dIn) {
    const size_t n_in = s->n_in, n_out = s->n_out;
    if (dA != NULL) {
        for (size_t r = 0; r < n; r++) {
            const size_t o = r * n_out;
            if (s->act == BP_ACT_SOFTMAX) {
                P(softmax_backward_row)(n_out, A + o, dA + o, dZ + o);
            } else {
                for (size_t j = 0; j < n_out; j++)
                    dZ[o + j] =
                        P(derivative_product)(s->act, (R)s->param, Z[o + j], A[o + j], dA[o + j]);
            }
        }
    }
    for (size_t i = 0; i < n_in; i++)
        for (size_t j = 0; j < n_out; j++) {
            R sum = (R)0;
            for (size_t r = 0; r < n; r++) sum += In[r * ld + i] * dZ[r * n_out + j];
            dW[i * n_out + j] = sum;
        }
    for (size_t j = 0; j < n_out; j++) {
        R sum = (R)0;
        for (size_t r = 0; r < n; r++) sum += dZ[r * n_out + j];
        db[j] = sum;
    }
    if (dIn == NULL) return;
    for (size_t r = 0; r < n; r++)
        for (size_t i = 0; i < n_in; i++) {
            R sum = (R)0;
            for (size_t j = 0; j < n_out; j++) sum += dZ[r * n_out + j] * W[i * n_out + j];
            dIn[r * n_in + i] = sum;
        }
}

/* ---- the loss ---------------------------------------------------------------- */

/* Softmax cross-entropy of one row of logits z against y (NULL: the
 * one-hot row of `label`): the row's loss Σ_j y_j·(lse − z_j), with
 * lse = log Σ_j e^(z_j) = m + log Σ_j e^(z_j − m), m = max_j z_j, and, when
 * g is not NULL, g_j = (s_j·Σ_i y_i − y_j)·scale, s_j = e^(z_j − lse)
 * (the fused gradient: s − y for a one-hot or probability row). */
static double
P(softmax_cce_row)(size_t k, const R *z, const R *y, size_t label, double scale, R *g) {
    double m = z[0], sum = 0.0, ysum = 0.0, loss = 0.0;
    for (size_t j = 1; j < k; j++) m = BP_SOFTMAX_MAX(BP_SEL, (double)z[j], m);
    for (size_t j = 0; j < k; j++) sum += exp((double)z[j] - m);
    const double lse = BP_LOG_SUM_EXP(log, m, sum);
    for (size_t j = 0; j < k; j++) ysum += y ? (double)y[j] : (j == label ? 1.0 : 0.0);
    for (size_t j = 0; j < k; j++) {
        double yj = y ? (double)y[j] : (j == label ? 1.0 : 0.0);
        /* skipped for y_j = 0: no 0·∞ */
        if (yj != 0.0) loss += BP_SOFTMAX_CCE_TERM_LSE(yj, lse, (double)z[j]);
        if (g) g[j] = (R)BP_SOFTMAX_CCE_GRAD(exp(z[j] - lse), ysum, yj, scale);
    }
    return loss;
}

/* The batch's mean loss (bp_loss.h: MSE and the binary losses average over
 * all n·k outputs, the categorical ones over the n rows) and, when G is not
 * NULL, its gradient: dL/dA_L for MSE, BCE and CCE (which read A_L),
 * dL/dZ_L for the fused BCE_LOGITS and SOFTMAX_CCE (which read the logits
 * Z_L). Targets are Y (n × k) or the class labels. */
static double P(output_loss)(bp_loss kind, size_t n, size_t k, const R *Z, const R *A, const R *Y,
                          const size_t *labels, R *G) {
    const int per_row = kind == BP_LOSS_CCE || kind == BP_LOSS_SOFTMAX_CCE;
    const double scale = 1.0 / (per_row ? (double)n : (double)n * (double)k);
    double total = 0.0;
    for (size_t r = 0; r < n; r++) {
        const size_t o = r * k;
        if (kind == BP_LOSS_SOFTMAX_CCE) {
            total += P(softmax_cce_row)(k, Z + o, Y ? Y + o : NULL, labels ? labels[r] : 0, scale,
                                     G ? G + o : NULL);
            continue;
        }
        for (size_t j = 0; j < k; j++) {
            const double p = kind == BP_LOSS_BCE_LOGITS ? Z[o + j] : A[o + j];
            const double y = Y ? (double)Y[o + j] : (j == labels[r] ? 1.0 : 0.0);
            total += loss_term(kind, p, y);
            if (G) G[o + j] = (R)loss_gradient(kind, p, y, scale);
        }
    }
    return total * scale;
}

/* ---- the network -------------------------------------------------------------- */

/* Whether layer l's outputs are dropped (w's masks, ops/dropout.h). */
static int P(drops)(const WORK *w, size_t l) { return w->mask != NULL && w->mask[l] != NULL; }

/* The input of layer l ≥ 1: D_{l−1} when layer l − 1 drops, else A_{l−1}. */
static const R *P(input)(const WORK *w, size_t l) {
    return P(drops)(w, l - 1) ? w->dropped[l - 1] : w->A[l - 1];
}

/* Z_l and A_l of every layer, A_0 = X; D_l = A_l ⊙ S_l for the layers that
 * drop. */
void P(forward)(const mlp_layout *y, const WORK *w, const R *params, size_t rows, const R *X,
             size_t ldx) {
    for (size_t l = 0; l < y->n_layers; l++) {
        P(layer_forward)(&y->layers[l], rows, l == 0 ? X : P(input)(w, l),
                      l == 0 ? ldx : y->layers[l].n_in, params + y->w_off[l], params + y->b_off[l],
                      w->Z[l], w->A[l]);
        if (P(drops)(w, l)) DROP_SCALE(rows * y->layers[l].n_out, w->mask[l], w->A[l], w->dropped[l]);
    }
}

/* Every layer's backward pass, top down, after P(forward): dA_top is
 * dL/dA_L (NULL: dZ_L already holds dL/dZ_L). The gradient goes to grad
 * (the params layout), dL/dX to dX (rows × n_in) unless it is NULL. */
static void P(backward_pass)(const mlp_layout *y, const WORK *w, const R *params, size_t rows,
                          const R *X, size_t ldx, const R *dA_top, R *grad, R *dX) {
    const size_t L = y->n_layers;
    for (size_t l = L; l-- > 0;) {
        const bp_layer_spec *s = &y->layers[l];
        if (l + 1 < L && P(drops)(w, l)) /* dL/dA_l = dL/dD_l ⊙ S_l */
            DROP_SCALE(rows * s->n_out, w->mask[l], w->dA[l], w->dA[l]);
        P(layer_backward)(s, rows, l == 0 ? X : P(input)(w, l), l == 0 ? ldx : s->n_in,
                       params + y->w_off[l], w->Z[l], w->A[l], l == L - 1 ? dA_top : w->dA[l],
                       w->dZ[l], grad + y->w_off[l], grad + y->b_off[l],
                       l == 0 ? dX : w->dA[l - 1]);
    }
}

/* The mean loss of a batch; with grad or dX, dL/dparams and dL/dX. */
void P(gradient)(const mlp_layout *y, const WORK *w, const R *params, size_t rows, const R *X,
              size_t ldx, const R *Y, const size_t *labels, double *loss, R *grad, R *dX) {
    const size_t L = y->n_layers - 1, k = y->layers[L].n_out;
    const int backward = grad != NULL || dX != NULL;
    R *start = backward ? (y->on_logits ? w->dZ[L] : w->dA[L]) : NULL;
    P(forward)(y, w, params, rows, X, ldx);
    *loss = P(output_loss)(y->loss, rows, k, w->Z[L], w->A[L], Y, labels, start);
    if (backward)
        P(backward_pass)(y, w, params, rows, X, ldx, y->on_logits ? NULL : start,
                      grad ? grad : w->grad, dX);
}

/* A caller's dL/dA_L backpropagated: dL/dparams into grad, dL/dX into dX. */
void P(backward)(const mlp_layout *y, const WORK *w, const R *params, size_t rows, const R *X,
              size_t ldx, const R *dA_out, R *grad, R *dX) {
    P(forward)(y, w, params, rows, X, ldx);
    P(backward_pass)(y, w, params, rows, X, ldx, dA_out, grad, dX);
}

/* The update stage's step (ops/update_stage.h) in plain loops: the hook,
 * the stage's clipping, the check of the gradient, then every parameter by the stage's rule
 * (ops/update_rules.h, the definitions the vector passes instantiate),
 * one element at a time. A gradient that is not finite changes nothing
 * (*diverged = 1); a parameter made non-finite is reported (*diverged =
 * 2). */
static bp_status P(update)(bp_update_stage *s, R *params, R *grad, int *diverged) {
    const size_t n = s->n;
    *diverged = 0;
    if (s->hook != NULL) BP_TRY(s->hook(s->hook_user, n, grad, sizeof(R)));
    CLIP(s, grad);
    for (size_t p = 0; p < n; p++)
        if (!isfinite(grad[p])) {
            *diverged = 1;
            return BP_OK;
        }
    COEFFS k;
    COEFFS_PREPARE(s, &k);
    int bad = 0;
    for (size_t p = 0; p < n; p++) {
        params[p] = RULE_ONE(&k, params[p], grad[p], (R *)s->state, n, p);
        bad |= !isfinite(params[p]);
    }
    s->step++;
    *diverged = bad ? 2 : 0;
    return BP_OK;
}

/* One training step on batch rows indices[start ..] (or start ..
 * themselves): with dropout the step's masks drawn, g = dL/dparams, the
 * stage's L2 penalty, then the stage's update (P(update)) and, when it is
 * applied, the mask counter advanced. A loss that is not finite changes
 * nothing (*diverged = 1). */
bp_status P(train_step)(const mlp_layout *y, const WORK *w, bp_update_stage *stage, R *params,
                     const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,
                     const size_t *indices, size_t start, size_t rows, double *loss,
                     int *diverged) {
    const size_t n_in = y->layers[0].n_in, k = y->layers[y->n_layers - 1].n_out;
    for (size_t i = 0; i < rows; i++) { /* the batch's rows, gathered */
        const size_t r = indices ? indices[start + i] : start + i;
        memcpy(w->Xg + i * n_in, X_all + r * ldx, n_in * sizeof(R));
        if (Y_all) memcpy(w->Yg + i * k, Y_all + r * k, k * sizeof(R));
        else w->Lg[i] = labels_all[r];
    }
    if (w->drop != NULL) {
        DROP_DRAW(w->drop, y->n_layers, y->layers, rows, w->mask);
        w->drop->rows = rows;
    }
    P(gradient)(y, w, params, rows, w->Xg, n_in, Y_all ? w->Yg : NULL, labels_all ? w->Lg : NULL, loss,
             w->grad, NULL);
    PENALTY(stage, params, w->grad, rows, loss);
    if (!isfinite(*loss)) {
        *diverged = 1;
        return BP_OK;
    }
    BP_TRY(P(update)(stage, params, w->grad, diverged));
    if (w->drop != NULL && *diverged != 1) w->drop->step++;
    return BP_OK;
}

/* One epoch: P(train_step) on consecutive batches of `batch` rows (the
 * last may be smaller) over positions 0 .. n of the order; the mean loss
 * Σ_b loss_b·rows_b / n. Stops at the first step that diverges. */
bp_status
P(train_epoch)(const mlp_layout *y, const WORK *w, bp_update_stage *stage, R *params,
                      const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,
                      const size_t *indices, size_t n, size_t batch, double *loss, int *diverged) {
    double total = 0.0;
    *diverged = 0;
    for (size_t start = 0; start < n && *diverged == 0; start += batch) {
        const size_t rows = n - start < batch ? n - start : batch;
        double step_loss;
        BP_TRY(
            P(train_step)(y, w, stage, params, X_all, ldx, Y_all, labels_all, indices, start, rows,
                          &step_loss, diverged));
        total += step_loss * (double)rows;
    }
    *loss = total / (double)n;
    return BP_OK;
}

/* `epochs` epochs, epoch e over orders[e·n ..] (NULL: rows 0 .. n); the
 * parameters copied to snapshot (unless NULL) as each epoch starts. Stops
 * at the first epoch that diverges (its loss not written); *completed
 * counts the epochs finished. */
bp_status
P(train_epochs)(const mlp_layout *y, const WORK *w, bp_update_stage *stage, R *params,
                       const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,
                       const size_t *orders, size_t n, size_t batch, size_t epochs, double *losses,
                       R *snapshot, size_t *completed, int *diverged) {
    *completed = 0;
    *diverged = 0;
    for (size_t e = 0; e < epochs; e++) {
        if (snapshot) memcpy(snapshot, params, y->n_params * sizeof(R));
        double loss;
        BP_TRY(P(train_epoch)(y, w, stage, params, X_all, ldx, Y_all, labels_all,
                           orders ? orders + e * n : NULL, n, batch, &loss, diverged));
        if (*diverged) return BP_OK;
        losses[e] = loss;
        *completed = e + 1;
    }
    return BP_OK;
}
