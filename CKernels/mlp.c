/*
 * mlp.c — forward pass, backpropagation and SGD steps of a whole
 * multilayer perceptron (bp_mlp.h), built from the other kernels.
 *
 * Arguments are validated once per call at the API boundary; inside, the
 * layers are driven through the validated kernels (whose checks cost a few
 * nanoseconds) except for tiny layers, which take a direct path: for a
 * 2-2-2-2 network trained one sample at a time, packing matrices for a
 * blocked GEMM would cost far more than the arithmetic.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "bp_mlp.h"
#include "bp_bias.h"
#include "bp_gemm.h"
#include "bp_update.h"
#include "internal.h"

struct bp_mlp {
    size_t n_layers;
    bp_layer_spec *layers;
    bp_loss loss;
    int on_logits;          /* loss reads Z_L (fused) rather than A_L */
    size_t max_rows;
    size_t n_params;
    size_t *w_off, *b_off;  /* offsets of W_l and b_l in the parameter vector */
    double **Z, **A, **dZ, **dA;
    double *Xg, *Yg;        /* gathered batch inputs and targets */
    size_t *Lg;             /* gathered labels */
    double *grad;           /* gradient buffer for bp_mlp_train_step */
    void *block;            /* the single allocation behind all buffers */
};

/* Layers with at most this many weights take the direct path. */
enum { SMALL_WEIGHTS = 256 };

static int is_small(const bp_layer_spec *s) { return s->n_in * s->n_out <= SMALL_WEIGHTS; }

bp_status bp_mlp_create(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                        size_t max_rows, bp_mlp **out) {
    /* Checks in the order bp_status.h promises: enums, sizes and values,
     * overflow (below, while sizing), null pointers last. */
    if (loss < BP_LOSS_MSE || loss > BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    if (layers != NULL)
        for (size_t l = 0; l < n_layers; l++)
            if (layers[l].act < BP_ACT_IDENTITY || layers[l].act > BP_ACT_SOFTMAX) return BP_ERR_BAD_ENUM;
    if (n_layers == 0 || max_rows == 0) return BP_ERR_ZERO_SIZE;
    if (layers == NULL) return BP_ERR_NULL_POINTER;
    for (size_t l = 0; l < n_layers; l++) {
        if (layers[l].n_in == 0 || layers[l].n_out == 0) return BP_ERR_ZERO_SIZE;
        if (l > 0 && layers[l].n_in != layers[l - 1].n_out) return BP_ERR_BAD_VALUE;
        if (layers[l].act == BP_ACT_LEAKY_RELU && !isfinite(layers[l].param)) return BP_ERR_BAD_VALUE;
    }
    bp_activation last = layers[n_layers - 1].act;
    if ((loss == BP_LOSS_BCE_LOGITS && last != BP_ACT_SIGMOID) ||
        (loss == BP_LOSS_SOFTMAX_CCE && last != BP_ACT_SOFTMAX))
        return BP_ERR_BAD_VALUE;

    /* Size everything in doubles, checking every product for overflow. */
    size_t n_params = 0, activations = 0, t;
    for (size_t l = 0; l < n_layers; l++) {
        if (bp_mul_overflows(layers[l].n_in, layers[l].n_out, &t) ||
            __builtin_add_overflow(t, layers[l].n_out, &t) ||
            __builtin_add_overflow(n_params, t, &n_params))
            return BP_ERR_SIZE_OVERFLOW;
        if (bp_mul_overflows(max_rows, layers[l].n_out, &t) ||
            __builtin_add_overflow(activations, t, &activations))
            return BP_ERR_SIZE_OVERFLOW;
    }
    size_t x_len, y_len, doubles;
    if (bp_mul_overflows(max_rows, layers[0].n_in, &x_len) ||
        bp_mul_overflows(max_rows, layers[n_layers - 1].n_out, &y_len) ||
        bp_mul_overflows(activations, 4, &doubles) ||
        __builtin_add_overflow(doubles, x_len, &doubles) ||
        __builtin_add_overflow(doubles, y_len, &doubles) ||
        __builtin_add_overflow(doubles, n_params, &doubles) ||
        doubles > SIZE_MAX / sizeof(double) / 2)
        return BP_ERR_SIZE_OVERFLOW;
    if (out == NULL) return BP_ERR_NULL_POINTER;

    bp_mlp *m = calloc(1, sizeof *m);
    if (m == NULL) return BP_ERR_NO_MEMORY;
    size_t ptrs = 4 * n_layers;
    m->layers = malloc(n_layers * sizeof *m->layers);
    m->w_off = malloc(2 * n_layers * sizeof(size_t));
    double **tables = malloc(ptrs * sizeof(double *));
    m->block = malloc(doubles * sizeof(double) + max_rows * sizeof(size_t));
    if (m->layers == NULL || m->w_off == NULL || tables == NULL || m->block == NULL) {
        free(tables);
        bp_mlp_free(m);
        return BP_ERR_NO_MEMORY;
    }
    memcpy(m->layers, layers, n_layers * sizeof *layers);
    m->n_layers = n_layers;
    m->loss = loss;
    m->on_logits = loss == BP_LOSS_BCE_LOGITS || loss == BP_LOSS_SOFTMAX_CCE;
    m->max_rows = max_rows;
    m->n_params = n_params;
    m->b_off = m->w_off + n_layers;
    m->Z = tables;
    m->A = tables + n_layers;
    m->dZ = tables + 2 * n_layers;
    m->dA = tables + 3 * n_layers;

    double *cursor = m->block;
    size_t offset = 0;
    for (size_t l = 0; l < n_layers; l++) {
        size_t act = max_rows * layers[l].n_out;
        m->Z[l] = cursor; cursor += act;
        m->A[l] = cursor; cursor += act;
        m->dZ[l] = cursor; cursor += act;
        m->dA[l] = cursor; cursor += act;
        m->w_off[l] = offset; offset += layers[l].n_in * layers[l].n_out;
        m->b_off[l] = offset; offset += layers[l].n_out;
    }
    m->Xg = cursor; cursor += x_len;
    m->Yg = cursor; cursor += y_len;
    m->grad = cursor; cursor += n_params;
    m->Lg = (size_t *)(void *)cursor;
    memset(m->block, 0, doubles * sizeof(double) + max_rows * sizeof(size_t));
    *out = m;
    return BP_OK;
}

void bp_mlp_free(bp_mlp *m) {
    if (m == NULL) return;
    free(m->layers);
    free(m->w_off);
    free(m->Z);
    free(m->block);
    free(m);
}

bp_status bp_mlp_preactivations(const bp_mlp *m, size_t layer, const double **Z) {
    if (m == NULL || Z == NULL) return BP_ERR_NULL_POINTER;
    if (layer >= m->n_layers) return BP_ERR_BAD_VALUE;
    *Z = m->Z[layer];
    return BP_OK;
}

bp_status bp_mlp_parameter_count(const bp_mlp *m, size_t *count) {
    if (m == NULL || count == NULL) return BP_ERR_NULL_POINTER;
    *count = m->n_params;
    return BP_OK;
}

/* Z = X·W + b, A = f(Z) for one layer. */
static bp_status layer_forward(const bp_layer_spec *s, size_t rows, const double *X, size_t ldx,
                               const double *W, const double *b, double *Z, double *A) {
    size_t n_in = s->n_in, n_out = s->n_out;
    if (is_small(s)) {
        /* Direct path: each row of Z starts from b and accumulates x_k·W[k]. */
        for (size_t i = 0; i < rows; i++) {
            double *z = Z + i * n_out;
            const double *x = X + i * ldx;
            for (size_t j = 0; j < n_out; j++) z[j] = b[j];
            for (size_t k = 0; k < n_in; k++) {
                double xk = x[k];
                const double *w = W + k * n_out;
                for (size_t j = 0; j < n_out; j++) z[j] += xk * w[j];
            }
        }
    } else {
        BP_TRY(bp_dgemm(BP_NO_TRANS, BP_NO_TRANS, rows, n_out, n_in, 1.0, X, ldx, W, n_out, 0.0, Z, n_out));
        BP_TRY(bp_bias_add(rows, n_out, b, Z, n_out));
    }
    return bp_activation_forward(s->act, s->param, rows, n_out, Z, A);
}

static bp_status forward(bp_mlp *m, const double *params, size_t rows, const double *X, size_t ldx) {
    for (size_t l = 0; l < m->n_layers; l++) {
        const double *in = l == 0 ? X : m->A[l - 1];
        size_t ld = l == 0 ? ldx : m->layers[l - 1].n_out;
        BP_TRY(layer_forward(&m->layers[l], rows, in, ld, params + m->w_off[l], params + m->b_off[l],
                             m->Z[l], m->A[l]));
    }
    return BP_OK;
}

/* dW = Xᵀ·dZ, db = colsum(dZ), and dX = dZ·Wᵀ when dX is not NULL. */
static bp_status layer_backward(const bp_layer_spec *s, size_t rows, const double *X, size_t ldx,
                                const double *W, const double *dZ, double *dW, double *db,
                                double *dX) {
    size_t n_in = s->n_in, n_out = s->n_out;
    if (is_small(s)) {
        memset(dW, 0, n_in * n_out * sizeof(double));
        memset(db, 0, n_out * sizeof(double));
        for (size_t i = 0; i < rows; i++) {
            const double *dz = dZ + i * n_out, *x = X + i * ldx;
            for (size_t j = 0; j < n_out; j++) db[j] += dz[j];
            for (size_t k = 0; k < n_in; k++) {
                double xk = x[k];
                double *dw = dW + k * n_out;
                for (size_t j = 0; j < n_out; j++) dw[j] += xk * dz[j];
            }
            if (dX) {
                double *dx = dX + i * n_in;
                for (size_t k = 0; k < n_in; k++) {
                    const double *w = W + k * n_out;
                    double sum = 0.0;
                    for (size_t j = 0; j < n_out; j++) sum += dz[j] * w[j];
                    dx[k] = sum;
                }
            }
        }
        return BP_OK;
    }
    BP_TRY(bp_dgemm(BP_TRANS, BP_NO_TRANS, n_in, n_out, rows, 1.0, X, ldx, dZ, n_out, 0.0, dW, n_out));
    BP_TRY(bp_bias_gradient(rows, n_out, 1.0, dZ, n_out, 0.0, db));
    if (dX) BP_TRY(bp_dgemm(BP_NO_TRANS, BP_TRANS, rows, n_in, n_out, 1.0, dZ, n_out, W, n_out, 0.0, dX, n_in));
    return BP_OK;
}

/* Backward pass from dZ of the last layer (already in m->dZ[L]). */
static bp_status backward(bp_mlp *m, const double *params, size_t rows, const double *X, size_t ldx,
                          double *grad, double *dX) {
    for (size_t l = m->n_layers; l-- > 0;) {
        const bp_layer_spec *s = &m->layers[l];
        const double *in = l == 0 ? X : m->A[l - 1];
        size_t ld = l == 0 ? ldx : s->n_in;
        double *down = l == 0 ? dX : m->dA[l - 1];
        BP_TRY(layer_backward(s, rows, in, ld, params + m->w_off[l], m->dZ[l],
                              grad + m->w_off[l], grad + m->b_off[l], down));
        if (l > 0) {
            const bp_layer_spec *below = &m->layers[l - 1];
            BP_TRY(bp_activation_backward(below->act, below->param, rows, below->n_out,
                                          m->Z[l - 1], m->A[l - 1], m->dA[l - 1], m->dZ[l - 1]));
        }
    }
    return BP_OK;
}

/* Loss of the batch after forward; with gradient, dL/dZ_L into m->dZ[L]. */
static bp_status output_loss(bp_mlp *m, size_t rows, const double *Y, const size_t *labels,
                             double *loss, int gradient) {
    size_t L = m->n_layers - 1, k = m->layers[L].n_out;
    const double *pred = m->on_logits ? m->Z[L] : m->A[L];
    double *g = gradient ? (m->on_logits ? m->dZ[L] : m->dA[L]) : NULL;
    if (labels) BP_TRY(bp_loss_compute_labels(m->loss, rows, k, pred, labels, loss, g));
    else BP_TRY(bp_loss_compute(m->loss, rows, k, pred, Y, loss, g));
    if (gradient && !m->on_logits)
        BP_TRY(bp_activation_backward(m->layers[L].act, m->layers[L].param, rows, k,
                                      m->Z[L], m->A[L], m->dA[L], m->dZ[L]));
    return BP_OK;
}

/* Shared argument checks for a batch of `rows` inputs. */
static bp_status check_batch(const bp_mlp *m, const double *params, size_t rows,
                             const double *X, size_t ldx) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    if (rows == 0) return BP_ERR_ZERO_SIZE;
    if (rows > m->max_rows) return BP_ERR_BAD_VALUE;
    BP_TRY(bp_check_matrix(rows, m->layers[0].n_in, X, ldx));   /* ld, overflow, X */
    return params == NULL ? BP_ERR_NULL_POINTER : BP_OK;
}

/* Labels only for categorical losses (an enum-class error, checked first). */
static bp_status check_label_kind(const bp_mlp *m, const size_t *labels) {
    if (labels && m->loss != BP_LOSS_CCE && m->loss != BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    return BP_OK;
}

/* Targets: exactly one of Y and labels. */
static bp_status check_targets(const bp_mlp *m, const double *Y, const size_t *labels) {
    (void)m;
    if ((Y == NULL) == (labels == NULL)) return BP_ERR_NULL_POINTER;
    return BP_OK;
}

bp_status bp_mlp_forward(bp_mlp *m, const double *params, size_t rows,
                         const double *X, size_t ldx, double *out) {
    BP_TRY(check_batch(m, params, rows, X, ldx));
    BP_TRY(forward(m, params, rows, X, ldx));
    if (out) memcpy(out, m->A[m->n_layers - 1], rows * m->layers[m->n_layers - 1].n_out * sizeof(double));
    return BP_OK;
}

bp_status bp_mlp_gradient(bp_mlp *m, const double *params, size_t rows,
                          const double *X, size_t ldx, const double *Y,
                          const size_t *labels, double *loss, double *grad, double *dX) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(check_label_kind(m, labels));
    BP_TRY(check_batch(m, params, rows, X, ldx));
    BP_TRY(check_targets(m, Y, labels));
    if (loss == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(forward(m, params, rows, X, ldx));
    BP_TRY(output_loss(m, rows, Y, labels, loss, grad != NULL || dX != NULL));
    if (grad == NULL && dX == NULL) return BP_OK;
    return backward(m, params, rows, X, ldx, grad ? grad : m->grad, dX);
}

bp_status bp_mlp_backward(bp_mlp *m, const double *params, size_t rows,
                          const double *X, size_t ldx, const double *dA_out,
                          double *grad, double *dX) {
    BP_TRY(check_batch(m, params, rows, X, ldx));
    if (dA_out == NULL || grad == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(forward(m, params, rows, X, ldx));
    size_t L = m->n_layers - 1, k = m->layers[L].n_out;
    BP_TRY(bp_activation_backward(m->layers[L].act, m->layers[L].param, rows, k,
                                  m->Z[L], m->A[L], dA_out, m->dZ[L]));
    return backward(m, params, rows, X, ldx, grad, dX);
}

static int all_finite(size_t n, const double *x) {
    /* x·0 is ±0 for finite x and NaN for NaN or ±∞: the sum is exactly 0
     * when every element is finite (and the loop vectorises). */
    double acc = 0.0;
    for (size_t i = 0; i < n; i++) acc += x[i] * 0.0;
    return acc == 0.0;
}

bp_status bp_mlp_train_step(bp_mlp *m, double *params,
                            const double *X_all, size_t ldx, const double *Y_all,
                            const size_t *labels_all, const size_t *indices,
                            size_t start, size_t rows, double learning_rate,
                            double *loss, int *diverged) {
    if (m == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(check_label_kind(m, labels_all));
    size_t n_in = m->layers[0].n_in, k = m->layers[m->n_layers - 1].n_out;
    if (ldx < n_in) return BP_ERR_LEADING_DIMENSION;
    if (rows == 0) return BP_ERR_ZERO_SIZE;
    if (rows > m->max_rows || !isfinite(learning_rate)) return BP_ERR_BAD_VALUE;
    /* Every row the batch reads must be addressable: row r spans
     * [r·ldx, r·ldx + n_in) of X_all and [r·k, r·k + k) of Y_all. */
    size_t end;
    if (__builtin_add_overflow(start, rows, &end)) return BP_ERR_SIZE_OVERFLOW;
    if (indices == NULL) {
        BP_TRY(bp_check_matrix(end, n_in, X_all, ldx));
        if (Y_all) BP_TRY(bp_check_matrix(end, k, Y_all, k));
    } else {
        for (size_t i = start; i < end; i++) {
            if (indices[i] == SIZE_MAX) return BP_ERR_SIZE_OVERFLOW;
            BP_TRY(bp_check_matrix(indices[i] + 1, n_in, X_all, ldx));
            if (Y_all) BP_TRY(bp_check_matrix(indices[i] + 1, k, Y_all, k));
        }
    }
    if (params == NULL || loss == NULL || diverged == NULL || X_all == NULL) return BP_ERR_NULL_POINTER;
    BP_TRY(check_targets(m, Y_all, labels_all));
    if (labels_all) {
        for (size_t i = start; i < end; i++) {
            size_t r = indices ? indices[i] : i;
            if (labels_all[r] >= k) return BP_ERR_LABEL_OUT_OF_RANGE;
        }
    }

    const double *X = X_all + (indices ? 0 : start * ldx), *Y = Y_all ? Y_all + (indices ? 0 : start * k) : NULL;
    const size_t *labels = labels_all ? labels_all + (indices ? 0 : start) : NULL;
    size_t ld = ldx;
    if (indices) {
        /* Gather the batch rows so the kernels see contiguous memory. */
        for (size_t i = 0; i < rows; i++) {
            size_t r = indices[start + i];
            memcpy(m->Xg + i * n_in, X_all + r * ldx, n_in * sizeof(double));
            if (Y_all) memcpy(m->Yg + i * k, Y_all + r * k, k * sizeof(double));
            else m->Lg[i] = labels_all[r];
        }
        X = m->Xg;
        ld = n_in;
        Y = Y_all ? m->Yg : NULL;
        labels = labels_all ? m->Lg : NULL;
    }

    BP_TRY(forward(m, params, rows, X, ld));
    BP_TRY(output_loss(m, rows, Y, labels, loss, 1));
    *diverged = 0;
    if (!isfinite(*loss)) { *diverged = 1; return BP_OK; }
    BP_TRY(backward(m, params, rows, X, ld, m->grad, NULL));
    if (!all_finite(m->n_params, m->grad)) { *diverged = 1; return BP_OK; }
    BP_TRY(bp_sgd_update(m->n_params, learning_rate, m->grad, params));
    if (!all_finite(m->n_params, params)) *diverged = 2;
    return BP_OK;
}
