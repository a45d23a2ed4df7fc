/*
 * mlp.c — forward pass, backpropagation and SGD steps of a whole
 * multilayer perceptron (bp_mlp.h), in double and single precision.
 *
 * This file holds what does not depend on the precision — validating the
 * layer specs, sizing the workspace, the parameter layout, argument checks
 * — and instantiates the engine (mlp_tmpl.h) once per precision.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "bp_mlp.h"
#include "bp_optimizer.h"
#include "bp_regularization.h"
#include "bp_dense.h"
#include "bp_update.h"
#include "runtime/internal.h"
#include "dense/dense_internal.h"
#include "runtime/dispatch.h"
#include "mlp/mlp_internal.h"
#include "ops/dropout.h"
#include "reference/mlp_reference.h"

static void mlp_layout_free(mlp_layout *y) {
    free(y->layers);
    free(y->w_off);
}

/*
 * Validates the specs (in bp_status.h's order: enums, sizes and values,
 * overflow, null pointers) and fills `y`; *elements receives the number of
 * scalars of `elem_size` bytes the workspace needs.
 */
static bp_status mlp_layout_init(mlp_layout *y, size_t n_layers, const bp_layer_spec *layers,
                                 bp_loss loss, size_t max_rows, size_t elem_size,
                                 size_t *elements) {
    if (loss < BP_LOSS_MSE || loss > BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    if (layers != NULL)
        for (size_t l = 0; l < n_layers; l++)
            if (layers[l].act < BP_ACT_IDENTITY || layers[l].act > BP_ACT_SOFTMAX)
                return BP_ERR_BAD_ENUM;
    if (n_layers == 0 || max_rows == 0) return BP_ERR_ZERO_SIZE;
    if (layers == NULL) return BP_ERR_NULL_POINTER;
    for (size_t l = 0; l < n_layers; l++) {
        if (layers[l].n_in == 0 || layers[l].n_out == 0) return BP_ERR_ZERO_SIZE;
        if (l > 0 && layers[l].n_in != layers[l - 1].n_out) return BP_ERR_BAD_VALUE;
        /* The slope must be finite in the working precision (float's range
         * is smaller): the layers receive it converted. */
        if (layers[l].act == BP_ACT_LEAKY_RELU &&
            (!isfinite(layers[l].param) ||
             (elem_size == sizeof(float) && fabs(layers[l].param) > FLT_MAX)))
            return BP_ERR_BAD_VALUE;
    }
    bp_activation last = layers[n_layers - 1].act;
    if ((loss == BP_LOSS_BCE_LOGITS && last != BP_ACT_SIGMOID) ||
        (loss == BP_LOSS_SOFTMAX_CCE && last != BP_ACT_SOFTMAX))
        return BP_ERR_BAD_VALUE;

    /* Size everything, checking every product for overflow: parameters,
     * four activation-sized buffers per layer, gathered X and Y, a gradient. */
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
    /* Narrow networks: the narrow engine's scratch (narrow_tmpl.h): input
     * chunk, Z, A and E chunks per layer, targets, two delta buffers. Widths
     * are ≤ BP_NARROW_WIDTH, so nothing here can overflow. */
    int narrow = 1;
    for (size_t l = 0; l < n_layers; l++)
        if (layers[l].n_in > BP_NARROW_WIDTH || layers[l].n_out > BP_NARROW_WIDTH) narrow = 0;
    size_t narrow_elems = 0;
    if (narrow) {
        if (n_layers > SIZE_MAX / (4 * BP_NARROW_WIDTH * BP_NARROW_CHUNK))
            return BP_ERR_SIZE_OVERFLOW;
        narrow_elems = layers[0].n_in * BP_NARROW_CHUNK;
        for (size_t l = 0; l < n_layers; l++) narrow_elems += 3 * layers[l].n_out * BP_NARROW_CHUNK;
        narrow_elems += (layers[n_layers - 1].n_out + 2 * BP_NARROW_WIDTH) * BP_NARROW_CHUNK;
    }
    /* Dense networks: an aligned copy of the parameters for calls of many
     * steps (mlp_tmpl.h, P(work_params)). */
    size_t work_elems = narrow ? 0 : n_params;
    size_t x_len, y_len, total;
    if (bp_mul_overflows(max_rows, layers[0].n_in, &x_len) ||
        bp_mul_overflows(max_rows, layers[n_layers - 1].n_out, &y_len) ||
        bp_mul_overflows(activations, 4, &total) || __builtin_add_overflow(total, x_len, &total) ||
        __builtin_add_overflow(total, y_len, &total) ||
        __builtin_add_overflow(total, n_params, &total) ||
        __builtin_add_overflow(total, narrow_elems, &total) ||
        __builtin_add_overflow(total, work_elems, &total) || total > SIZE_MAX / elem_size / 2 ||
        max_rows > SIZE_MAX / sizeof(size_t) / 2)
        return BP_ERR_SIZE_OVERFLOW;

    y->layers = malloc(n_layers * sizeof *y->layers);
    y->w_off = malloc(3 * n_layers * sizeof(size_t));
    if (y->layers == NULL || y->w_off == NULL) {
        mlp_layout_free(y);
        return BP_ERR_NO_MEMORY;
    }
    memcpy(y->layers, layers, n_layers * sizeof *layers);
    y->n_layers = n_layers;
    y->loss = loss;
    y->on_logits = loss == BP_LOSS_BCE_LOGITS || loss == BP_LOSS_SOFTMAX_CCE;
    y->narrow = narrow;
    y->narrow_elems = narrow_elems;
    y->max_rows = max_rows;
    y->n_params = n_params;
    y->b_off = y->w_off + n_layers;
    y->chunk_off = y->w_off + 2 * n_layers;
    size_t offset = 0, chunk = layers[0].n_in * BP_NARROW_CHUNK;
    for (size_t l = 0; l < n_layers; l++) {
        y->w_off[l] = offset;
        offset += layers[l].n_in * layers[l].n_out;
        y->b_off[l] = offset;
        offset += layers[l].n_out;
        y->chunk_off[l] = chunk;
        chunk += 3 * layers[l].n_out * BP_NARROW_CHUNK;
    }
    *elements = total;
    return BP_OK;
}

/* Labels only for categorical losses (an enum-class error, checked first). */
static bp_status mlp_check_label_kind(const mlp_layout *y, const size_t *labels) {
    if (labels && y->loss != BP_LOSS_CCE && y->loss != BP_LOSS_SOFTMAX_CCE) return BP_ERR_BAD_ENUM;
    return BP_OK;
}

/* Targets: exactly one of Y and labels. */
static bp_status mlp_check_targets(const void *Y, const size_t *labels) {
    return (Y == NULL) == (labels == NULL) ? BP_ERR_NULL_POINTER : BP_OK;
}

/* Every row a training step reads must be addressable: row r spans
 * [r·ldx, r·ldx + n_in) of X and [r·k, r·k + k) of Y. */
static bp_status mlp_check_rows(const void *X, size_t ldx, size_t n_in, const void *Y, size_t k,
                                const size_t *indices, size_t start, size_t rows) {
    size_t end;
    if (__builtin_add_overflow(start, rows, &end)) return BP_ERR_SIZE_OVERFLOW;
    if (indices == NULL) {
        BP_TRY(bp_check_matrix(end, n_in, X, ldx));
        if (Y) BP_TRY(bp_check_matrix(end, k, Y, k));
        return BP_OK;
    }
    for (size_t i = start; i < end; i++) {
        if (indices[i] == SIZE_MAX) return BP_ERR_SIZE_OVERFLOW;
        BP_TRY(bp_check_matrix(indices[i] + 1, n_in, X, ldx));
        if (Y) BP_TRY(bp_check_matrix(indices[i] + 1, k, Y, k));
    }
    return BP_OK;
}

/* Every label of the batch is a class index, checked before anything is written. */
static bp_status mlp_check_labels(const size_t *labels, const size_t *indices, size_t start,
                                  size_t rows, size_t k) {
    if (labels == NULL) return BP_OK;
    /* No early exit: an OR over the batch vectorises (an epoch's check
     * covers every label, each epoch). */
    int bad = 0;
    if (indices == NULL)
        for (size_t i = start; i < start + rows; i++) bad |= labels[i] >= k;
    else
        for (size_t i = start; i < start + rows; i++) bad |= labels[indices[i]] >= k;
    return bad ? BP_ERR_LABEL_OUT_OF_RANGE : BP_OK;
}

/* Passes over a whole parameter vector or batch are split across the
 * context's threads from as many values on as the update stage's
 * (update_stage.h). */
enum { PARALLEL_UPDATE = BP_UPDATE_PARALLEL };

#define R double
#define MLP bp_mlp
#define P(name) name##_d
#define DENSE_FWD bp_dense_forward
#define DENSE_BWD bp_dense_backward
#define LOSS bp_loss_compute
#define LOSS_LABELS bp_loss_compute_labels
#define DIRECT_FWD bp_dense_forward_direct_d
#define DIRECT_BWD bp_dense_backward_direct_d
#define LOSS_FUSED bp_loss_fused_outputs_d
#define NARROW narrow_d
#define NARROW_ONLINE narrow_online_d
#define VEC_NONFINITE vec_nonfinite_d
#define VEC_SGD vec_sgd_d
#define UPDATE_FINISH bp_update_finish_d
#define PENALTY bp_update_penalty_d
#define DROP_DRAW bp_dropout_draw_d
#define DROP_SCALE bp_dropout_scale_d
#define VEC_MAXABS vec_maxabs_d
#define GEMM_RUN bp_dgemm_run
#define R_MAX DBL_MAX
#define R_EPS DBL_EPSILON
#define REF(name) bp_mlp_ref_##name##_d
#define REF_WORK bp_mlp_ref_work_d
#include "mlp_tmpl.h"
#undef R
#undef MLP
#undef P
#undef DENSE_FWD
#undef DENSE_BWD
#undef LOSS
#undef LOSS_LABELS
#undef DIRECT_FWD
#undef DIRECT_BWD
#undef LOSS_FUSED
#undef NARROW
#undef NARROW_ONLINE
#undef VEC_NONFINITE
#undef VEC_SGD
#undef UPDATE_FINISH
#undef PENALTY
#undef DROP_DRAW
#undef DROP_SCALE
#undef VEC_MAXABS
#undef GEMM_RUN
#undef R_MAX
#undef R_EPS
#undef REF
#undef REF_WORK

#define R float
#define MLP bp_mlp_f32
#define P(name) name##_s
#define DENSE_FWD bp_dense_forward_f32
#define DENSE_BWD bp_dense_backward_f32
#define LOSS bp_loss_compute_f32
#define LOSS_LABELS bp_loss_compute_labels_f32
#define DIRECT_FWD bp_dense_forward_direct_s
#define DIRECT_BWD bp_dense_backward_direct_s
#define LOSS_FUSED bp_loss_fused_outputs_s
#define NARROW narrow_s
#define NARROW_ONLINE narrow_online_s
#define VEC_NONFINITE vec_nonfinite_s
#define VEC_SGD vec_sgd_s
#define UPDATE_FINISH bp_update_finish_s
#define PENALTY bp_update_penalty_s
#define DROP_DRAW bp_dropout_draw_s
#define DROP_SCALE bp_dropout_scale_s
#define VEC_MAXABS vec_maxabs_s
#define GEMM_RUN bp_sgemm_run
#define R_MAX FLT_MAX
#define R_EPS FLT_EPSILON
#define REF(name) bp_mlp_ref_##name##_s
#define REF_WORK bp_mlp_ref_work_s
#include "mlp_tmpl.h"
#undef R
#undef MLP
#undef P
#undef DENSE_FWD
#undef DENSE_BWD
#undef LOSS
#undef LOSS_LABELS
#undef DIRECT_FWD
#undef DIRECT_BWD
#undef LOSS_FUSED
#undef NARROW
#undef NARROW_ONLINE
#undef VEC_NONFINITE
#undef VEC_SGD
#undef UPDATE_FINISH
#undef PENALTY
#undef DROP_DRAW
#undef DROP_SCALE
#undef VEC_MAXABS
#undef GEMM_RUN
#undef R_MAX
#undef R_EPS
#undef REF
#undef REF_WORK

/* ---- the public functions (bp_mlp.h) ------------------------------------ */

bp_status bp_mlp_create(size_t n_layers, const bp_layer_spec *layers, bp_loss loss, size_t max_rows,
                        bp_mlp **out) {
    return mlp_create_d(n_layers, layers, loss, max_rows, out);
}

void bp_mlp_free(bp_mlp *mlp) { mlp_free_d(mlp); }

bp_status bp_mlp_workspace_bytes(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                                 size_t max_rows, size_t *bytes) {
    return mlp_workspace_bytes_d(n_layers, layers, loss, max_rows, bytes);
}

bp_status bp_mlp_parameter_count(const bp_mlp *mlp, size_t *count) {
    return mlp_parameter_count_d(mlp, count);
}

bp_status bp_mlp_set_exec(bp_mlp *mlp, const bp_exec *exec) { return mlp_set_exec_d(mlp, exec); }

bp_status bp_mlp_preactivations(const bp_mlp *mlp, size_t layer, const double **Z) {
    return mlp_preactivations_d(mlp, layer, Z);
}

bp_status bp_mlp_activations(const bp_mlp *mlp, size_t layer, const double **A) {
    return mlp_activations_d(mlp, layer, A);
}

bp_status bp_mlp_deltas(const bp_mlp *mlp, size_t layer, const double **dZ) {
    return mlp_deltas_d(mlp, layer, dZ);
}

bp_status bp_mlp_forward(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                         size_t ldx, double *out) {
    return mlp_forward_d(mlp, params, rows, X, ldx, out);
}

bp_status bp_mlp_gradient(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                          size_t ldx, const double *Y, const size_t *labels, double *loss,
                          double *grad, double *dX) {
    return mlp_gradient_d(mlp, params, rows, X, ldx, Y, labels, loss, grad, dX);
}

bp_status bp_mlp_backward(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                          size_t ldx, const double *dA_out, double *grad, double *dX) {
    return mlp_backward_d(mlp, params, rows, X, ldx, dA_out, grad, dX);
}

bp_status bp_mlp_train_step(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                            const double *Y_all, const size_t *labels_all, const size_t *indices,
                            size_t start, size_t rows, double learning_rate, double *loss,
                            int *diverged) {
    return mlp_train_step_d(mlp, params, X_all, ldx, Y_all, labels_all, indices, start, rows,
                            learning_rate, loss, diverged);
}

bp_status bp_mlp_train_epoch(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                             const double *Y_all, const size_t *labels_all, const size_t *indices,
                             size_t n, size_t batch, double learning_rate, double *loss,
                             int *diverged) {
    return mlp_train_epoch_d(mlp, params, X_all, ldx, Y_all, labels_all, indices, n, batch,
                             learning_rate, loss, diverged);
}

bp_status bp_mlp_train_epochs(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                              const double *Y_all, const size_t *labels_all, const size_t *orders,
                              size_t n, size_t batch, size_t epochs, double learning_rate,
                              double *losses, double *snapshot, size_t *completed, int *diverged) {
    return mlp_train_epochs_d(mlp, params, X_all, ldx, Y_all, labels_all, orders, n, batch, epochs,
                              learning_rate, losses, snapshot, completed, diverged);
}

bp_status bp_mlp_create_f32(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                            size_t max_rows, bp_mlp_f32 **out) {
    return mlp_create_s(n_layers, layers, loss, max_rows, out);
}

void bp_mlp_free_f32(bp_mlp_f32 *mlp) { mlp_free_s(mlp); }

bp_status bp_mlp_workspace_bytes_f32(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                                     size_t max_rows, size_t *bytes) {
    return mlp_workspace_bytes_s(n_layers, layers, loss, max_rows, bytes);
}

bp_status bp_mlp_set_exec_f32(bp_mlp_f32 *mlp, const bp_exec *exec) {
    return mlp_set_exec_s(mlp, exec);
}

bp_status bp_mlp_parameter_count_f32(const bp_mlp_f32 *mlp, size_t *count) {
    return mlp_parameter_count_s(mlp, count);
}

bp_status bp_mlp_preactivations_f32(const bp_mlp_f32 *mlp, size_t layer, const float **Z) {
    return mlp_preactivations_s(mlp, layer, Z);
}

bp_status bp_mlp_activations_f32(const bp_mlp_f32 *mlp, size_t layer, const float **A) {
    return mlp_activations_s(mlp, layer, A);
}

bp_status bp_mlp_deltas_f32(const bp_mlp_f32 *mlp, size_t layer, const float **dZ) {
    return mlp_deltas_s(mlp, layer, dZ);
}

bp_status bp_mlp_forward_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                             size_t ldx, float *out) {
    return mlp_forward_s(mlp, params, rows, X, ldx, out);
}

bp_status bp_mlp_gradient_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                              size_t ldx, const float *Y, const size_t *labels, double *loss,
                              float *grad, float *dX) {
    return mlp_gradient_s(mlp, params, rows, X, ldx, Y, labels, loss, grad, dX);
}

bp_status bp_mlp_backward_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                              size_t ldx, const float *dA_out, float *grad, float *dX) {
    return mlp_backward_s(mlp, params, rows, X, ldx, dA_out, grad, dX);
}

bp_status bp_mlp_train_step_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                const float *Y_all, const size_t *labels_all, const size_t *indices,
                                size_t start, size_t rows, double learning_rate, double *loss,
                                int *diverged) {
    return mlp_train_step_s(mlp, params, X_all, ldx, Y_all, labels_all, indices, start, rows,
                            learning_rate, loss, diverged);
}

bp_status bp_mlp_train_epoch_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                 const float *Y_all, const size_t *labels_all,
                                 const size_t *indices, size_t n, size_t batch,
                                 double learning_rate, double *loss, int *diverged) {
    return mlp_train_epoch_s(mlp, params, X_all, ldx, Y_all, labels_all, indices, n, batch,
                             learning_rate, loss, diverged);
}

bp_status bp_mlp_train_epochs_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                  const float *Y_all, const size_t *labels_all,
                                  const size_t *orders, size_t n, size_t batch, size_t epochs,
                                  double learning_rate, double *losses, float *snapshot,
                                  size_t *completed, int *diverged) {
    return mlp_train_epochs_s(mlp, params, X_all, ldx, Y_all, labels_all, orders, n, batch, epochs,
                              learning_rate, losses, snapshot, completed, diverged);
}

/* ---- the optimiser (bp_optimizer.h) -------------------------------------- */

bp_status bp_mlp_set_optimizer(bp_mlp *mlp, const bp_optimizer *optimizer) {
    return mlp_set_optimizer_d(mlp, optimizer);
}

bp_status bp_mlp_get_optimizer(const bp_mlp *mlp, bp_optimizer *optimizer) {
    return mlp_get_optimizer_d(mlp, optimizer);
}

bp_status bp_mlp_optimizer_state_size(const bp_mlp *mlp, size_t *count) {
    return mlp_optimizer_state_size_d(mlp, count);
}

bp_status bp_mlp_get_optimizer_state(const bp_mlp *mlp, double *state, size_t count,
                                     uint64_t *step) {
    return mlp_get_optimizer_state_d(mlp, state, count, step);
}

bp_status bp_mlp_set_optimizer_state(bp_mlp *mlp, const double *state, size_t count,
                                     uint64_t step) {
    return mlp_set_optimizer_state_d(mlp, state, count, step);
}

bp_status bp_mlp_set_optimizer_f32(bp_mlp_f32 *mlp, const bp_optimizer *optimizer) {
    return mlp_set_optimizer_s(mlp, optimizer);
}

bp_status bp_mlp_get_optimizer_f32(const bp_mlp_f32 *mlp, bp_optimizer *optimizer) {
    return mlp_get_optimizer_s(mlp, optimizer);
}

bp_status bp_mlp_optimizer_state_size_f32(const bp_mlp_f32 *mlp, size_t *count) {
    return mlp_optimizer_state_size_s(mlp, count);
}

bp_status bp_mlp_get_optimizer_state_f32(const bp_mlp_f32 *mlp, float *state, size_t count,
                                         uint64_t *step) {
    return mlp_get_optimizer_state_s(mlp, state, count, step);
}

bp_status bp_mlp_set_optimizer_state_f32(bp_mlp_f32 *mlp, const float *state, size_t count,
                                         uint64_t step) {
    return mlp_set_optimizer_state_s(mlp, state, count, step);
}

/* ---- regularisation (bp_regularization.h) --------------------------------- */

bp_status bp_mlp_set_regularization(bp_mlp *mlp, const bp_regularization *regularization) {
    return mlp_set_regularization_d(mlp, regularization);
}

bp_status bp_mlp_get_regularization(const bp_mlp *mlp, bp_regularization *regularization) {
    return mlp_get_regularization_d(mlp, regularization);
}

bp_status bp_mlp_set_dropout(bp_mlp *mlp, const double *rates, size_t n_rates, uint64_t seed) {
    return mlp_set_dropout_d(mlp, rates, n_rates, seed);
}

bp_status bp_mlp_get_dropout(const bp_mlp *mlp, double *rates, size_t n_rates, uint64_t *seed) {
    return mlp_get_dropout_d(mlp, rates, n_rates, seed);
}

bp_status bp_mlp_get_dropout_step(const bp_mlp *mlp, uint64_t *step) {
    return mlp_get_dropout_step_d(mlp, step);
}

bp_status bp_mlp_set_dropout_step(bp_mlp *mlp, uint64_t step) {
    return mlp_set_dropout_step_d(mlp, step);
}

bp_status bp_mlp_dropout_mask(const bp_mlp *mlp, size_t layer, const double **scale, size_t *rows) {
    return mlp_dropout_mask_d(mlp, layer, scale, rows);
}

bp_status bp_mlp_training_gradient(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                                   size_t ldx, const double *Y, const size_t *labels, double *loss,
                                   double *grad) {
    return mlp_training_gradient_d(mlp, params, rows, X, ldx, Y, labels, loss, grad);
}

bp_status bp_mlp_set_regularization_f32(bp_mlp_f32 *mlp, const bp_regularization *regularization) {
    return mlp_set_regularization_s(mlp, regularization);
}

bp_status bp_mlp_get_regularization_f32(const bp_mlp_f32 *mlp, bp_regularization *regularization) {
    return mlp_get_regularization_s(mlp, regularization);
}

bp_status bp_mlp_set_dropout_f32(bp_mlp_f32 *mlp, const double *rates, size_t n_rates,
                                 uint64_t seed) {
    return mlp_set_dropout_s(mlp, rates, n_rates, seed);
}

bp_status bp_mlp_get_dropout_f32(const bp_mlp_f32 *mlp, double *rates, size_t n_rates,
                                 uint64_t *seed) {
    return mlp_get_dropout_s(mlp, rates, n_rates, seed);
}

bp_status bp_mlp_get_dropout_step_f32(const bp_mlp_f32 *mlp, uint64_t *step) {
    return mlp_get_dropout_step_s(mlp, step);
}

bp_status bp_mlp_set_dropout_step_f32(bp_mlp_f32 *mlp, uint64_t step) {
    return mlp_set_dropout_step_s(mlp, step);
}

bp_status bp_mlp_dropout_mask_f32(const bp_mlp_f32 *mlp, size_t layer, const float **scale,
                                  size_t *rows) {
    return mlp_dropout_mask_s(mlp, layer, scale, rows);
}

bp_status bp_mlp_training_gradient_f32(bp_mlp_f32 *mlp, const float *params, size_t rows,
                                       const float *X, size_t ldx, const float *Y,
                                       const size_t *labels, double *loss, float *grad) {
    return mlp_training_gradient_s(mlp, params, rows, X, ldx, Y, labels, loss, grad);
}
