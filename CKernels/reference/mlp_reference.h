/*
 * mlp_reference.h — the reference network engine (mlp_reference.c): the
 * whole of bp_mlp.h — forward pass, loss, backpropagation, SGD steps and
 * epochs — in plain loops, for testing the fast engine against and for
 * rerunning a computation when a kernel is suspected. Not part of the API:
 * a bp_mlp whose context was created with BP_EXEC_REFERENCE (bp_exec.h)
 * routes every call here, after its arguments have been checked.
 *
 * Same layer specs, flat parameter layout ([W_0 | b_0 | W_1 | b_1 | ...],
 * W_l n_in × n_out row-major), losses and divergence semantics as the
 * fast engine. The functions are unchecked (the caller validated
 * everything) and never allocate: they run in the network's workspace.
 * Training steps update the parameters through the network's update
 * stage (ops/update_stage.h: its hook, optimiser, state and learning
 * rate), in a plain loop over the stage's element rules.
 */
#ifndef BP_MLP_REFERENCE_H
#define BP_MLP_REFERENCE_H

#include <stddef.h>
#include "mlp/mlp_internal.h"
#include "ops/dropout.h"

/*
 * The buffers the reference engine runs in, borrowed from a bp_mlp's
 * workspace: per layer l, Z_l, A_l, dZ_l and dA_l (max_rows × n_out each),
 * one gradient (n_params values), and room for a batch's gathered rows
 * (max_rows rows of inputs, of targets, of labels). With dropout
 * (ops/dropout.h), mask and dropped hold per layer the masks S_l and the dropped
 * activations D_l (NULL for a layer that does not drop): the forward pass
 * then feeds D_l = A_l ⊙ S_l to layer l + 1 and the backward pass scales
 * dL/dD_l by S_l; with drop too (training calls), each step draws its
 * masks first and advances the counter when its update is applied. mask,
 * dropped and drop NULL: no dropout (forward and gradient calls).
 */
#define BP_MLP_REF_DECLARE(R, S)                                                                   \
    typedef struct bp_mlp_ref_work_##S {                                                           \
        R *const *Z, *const *A, *const *dZ, *const *dA;                                            \
        R *grad;                                                                                   \
        R *Xg, *Yg;                                                                                \
        size_t *Lg;                                                                                \
        R *const *mask, *const *dropped;                                                           \
        bp_dropout *drop;                                                                          \
    } bp_mlp_ref_work_##S;                                                                         \
    void bp_mlp_ref_forward_##S(const mlp_layout *y, const bp_mlp_ref_work_##S *w,                 \
                                const R *params, size_t rows, const R *X, size_t ldx);             \
    void bp_mlp_ref_gradient_##S(const mlp_layout *y, const bp_mlp_ref_work_##S *w,                \
                                 const R *params, size_t rows, const R *X, size_t ldx, const R *Y, \
                                 const size_t *labels, double *loss, R *grad, R *dX);              \
    void bp_mlp_ref_backward_##S(const mlp_layout *y, const bp_mlp_ref_work_##S *w,                \
                                 const R *params, size_t rows, const R *X, size_t ldx,             \
                                 const R *dA_out, R *grad, R *dX);                                 \
    bp_status bp_mlp_ref_train_step_##S(                                                           \
        const mlp_layout *y, const bp_mlp_ref_work_##S *w, bp_update_stage *stage, R *params,      \
        const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,                      \
        const size_t *indices, size_t start, size_t rows, double *loss, int *diverged);            \
    bp_status bp_mlp_ref_train_epoch_##S(                                                          \
        const mlp_layout *y, const bp_mlp_ref_work_##S *w, bp_update_stage *stage, R *params,      \
        const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,                      \
        const size_t *indices, size_t n, size_t batch, double *loss, int *diverged);               \
    bp_status bp_mlp_ref_train_epochs_##S(                                                         \
        const mlp_layout *y, const bp_mlp_ref_work_##S *w, bp_update_stage *stage, R *params,      \
        const R *X_all, size_t ldx, const R *Y_all, const size_t *labels_all,                      \
        const size_t *orders, size_t n, size_t batch, size_t epochs, double *losses, R *snapshot,  \
        size_t *completed, int *diverged);

BP_MLP_REF_DECLARE(double, d)
BP_MLP_REF_DECLARE(float, s)
#undef BP_MLP_REF_DECLARE

#endif /* BP_MLP_REFERENCE_H */
