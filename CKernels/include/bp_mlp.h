/*
 * bp_mlp.h — a whole multilayer perceptron: forward pass, backpropagation
 * and a gradient-descent step, each in one call.
 *
 * A network is a stack of dense layers: layer l computes
 *     Z_l = A_{l−1}·W_l + b_l,   A_l = f_l(Z_l),   A_0 = X,
 * with W_l n_in × n_out and b_l n_out. All parameters live in ONE flat
 * vector, layer after layer, W_l (row-major) then b_l:
 *     [ W_0 | b_0 | W_1 | b_1 | ... ]
 * and gradients use the same layout, so an SGD step is a single
 * w ← w − η·g over the whole vector.
 *
 * Backpropagation is the delta rule in matrix form (seed 01, seed 03):
 *     dZ_L = dL/dA_L ⊙ f'_L(Z_L)            (or the fused (Ŷ − Y)/n)
 *     dW_l = A_{l−1}ᵀ·dZ_l,  db_l = Σ_rows dZ_l
 *     dA_{l−1} = dZ_l·W_lᵀ,  dZ_{l−1} = dA_{l−1} ⊙ f'_{l−1}(Z_{l−1})
 *
 * Statuses (checked in bp_status.h's order: enums, sizes and values,
 * overflow, null pointers): BP_ERR_BAD_ENUM for an unknown loss or
 * activation, or integer labels with a non-categorical loss;
 * BP_ERR_ZERO_SIZE for no layers, a zero width, max_rows == 0 or rows == 0;
 * BP_ERR_BAD_VALUE for layers that do not connect, a non-finite leaky-ReLU
 * slope (in the working precision: float for the _f32 functions), a fused
 * loss whose output activation does not match, rows >
 * max_rows, a learning rate that is not finite (in the working precision),
 * or an out-of-range layer index;
 * BP_ERR_LEADING_DIMENSION for ldx < n_in; BP_ERR_SIZE_OVERFLOW when sizes or
 * the rows a call reads do not fit in size_t; BP_ERR_NULL_POINTER for a
 * missing pointer, and for targets given both as Y and labels or as
 * neither; BP_ERR_LABEL_OUT_OF_RANGE for a label ≥ the output width
 * (checked before anything is written); BP_ERR_NO_MEMORY from create.
 *
 * Narrow networks — every layer at most 8 units wide, e.g. 2-4-3-1 — train
 * (bp_mlp_train_step, bp_mlp_train_epoch) through a separate engine: the
 * whole step on chunks of 128 samples held feature-major, every loop
 * running across samples in SIMD registers, instead of a chain of GEMMs
 * with k, n ≤ 8; one-sample steps (online learning) through a path of its
 * own, ordered for latency. It computes the same gradient as
 * bp_mlp_gradient up to rounding (another summation order; its exp and log
 * are within 2 ulp of the C library's), and its AVX-512, AVX2 and portable
 * builds agree to rounding as well.
 *
 * A bp_mlp holds the layer shapes, the loss and scratch memory for batches
 * of up to max_rows samples; after bp_mlp_create nothing allocates. One
 * bp_mlp must be used by one thread at a time; parameters are passed in on
 * every call and never retained.
 */
#ifndef BP_MLP_H
#define BP_MLP_H

#include <stddef.h>
#include "bp_status.h"
#include "bp_activation.h"
#include "bp_loss.h"
#include "bp_exec.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The shape of one dense layer. `param` is the leaky-ReLU slope. */
typedef struct bp_layer_spec {
    size_t n_in;
    size_t n_out;
    bp_activation act;
    double param;
} bp_layer_spec;

/** An opaque network description plus its workspace. */
typedef struct bp_mlp bp_mlp;

/**
 * Creates a network workspace for batches of up to max_rows samples.
 *
 * layers[l].n_in must equal layers[l−1].n_out. `loss` selects the loss and
 * where it reads the output: BP_LOSS_BCE_LOGITS needs a sigmoid output layer
 * and BP_LOSS_SOFTMAX_CCE a softmax one (both read the logits Z_L: the fused
 * gradient); MSE, BCE and CCE read the activations A_L.
 * Returns BP_ERR_ZERO_SIZE for no layers, a zero width or max_rows == 0,
 * BP_ERR_BAD_VALUE for layers that do not connect or a fused loss whose
 * output activation does not match.
 */
bp_status bp_mlp_create(size_t n_layers, const bp_layer_spec *layers, bp_loss loss, size_t max_rows,
                        bp_mlp **out);

/** Frees a workspace; NULL is ignored. */
void bp_mlp_free(bp_mlp *mlp);

/**
 * The bytes bp_mlp_create allocates for these arguments (its buffers for
 * max_rows rows and its tables), without allocating anything: the check a
 * caller makes before asking for more memory than the machine has. The
 * same argument errors as bp_mlp_create (BP_ERR_SIZE_OVERFLOW when the
 * size does not fit a size_t).
 */
bp_status bp_mlp_workspace_bytes(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                                 size_t max_rows, size_t *bytes);

/** Number of parameters (Σ n_in·n_out + n_out) into *count. */
bp_status bp_mlp_parameter_count(const bp_mlp *mlp, size_t *count);

/**
 * Runs the network's GEMMs through `exec` (threads, packing buffers) from
 * now on; NULL means single-threaded with internal buffers. The context is
 * not owned: it must outlive its use by this workspace. A context created
 * with BP_EXEC_REFERENCE (bp_exec.h) sends every later call to the
 * reference engine: the same results up to rounding, in plain loops.
 */
bp_status bp_mlp_set_exec(bp_mlp *mlp, const bp_exec *exec);

/*
 * The per-layer quantities of the most recent pass, read in place: three
 * accessors that set a pointer into the workspace's own buffers for layer
 * `layer` (0-based), each a contiguous rows × n_out array, `rows` being
 * those of the call that filled it:
 *
 *   bp_mlp_preactivations   Z_l = A_{l−1}·W_l + b_l
 *   bp_mlp_activations      A_l = f_l(Z_l)   (A_L: the outputs)
 *   bp_mlp_deltas           dZ_l = dL/dZ_l, the delta rule's δ_l:
 *                           dZ_L = dL/dA_L ⊙ f'_L(Z_L) (softmax: each
 *                           row times its Jacobian), or the fused losses'
 *                           gradient with respect to the logits
 *                           (BP_LOSS_SOFTMAX_CCE: (Ŷ − Y)/rows,
 *                           BP_LOSS_BCE_LOGITS: (Ŷ − Y)/(rows·n_out));
 *                           dZ_{l−1} = (dZ_l·W_lᵀ) ⊙ f'_{l−1}(Z_{l−1})
 *
 * Z_l and A_l are those of the most recent bp_mlp_forward, bp_mlp_gradient
 * or bp_mlp_backward; dZ_l that of the most recent bp_mlp_gradient with
 * grad or dX not NULL, or bp_mlp_backward (a bp_mlp_forward, or a
 * bp_mlp_gradient computing only the loss, leaves dZ_l as it was). This
 * holds on every path of the engine — the blocked GEMM, the dense
 * kernels' direct loops, the plain loops of narrow networks on at most 16
 * rows, and the reference engine of a BP_EXEC_REFERENCE context — which all
 * compute in these same buffers. Training calls (bp_mlp_train_step,
 * _epoch, _epochs) write them too, but leave unspecified values: a narrow
 * network's steps run in the narrow engine's own scratch.
 *
 * The pointer stays valid until bp_mlp_free; the values until the next
 * call that computes on this workspace. BP_ERR_NULL_POINTER for a NULL
 * mlp or output pointer, BP_ERR_BAD_VALUE for layer ≥ the layer count
 * (the output pointer is then left alone). Gradient checkers read Z to
 * notice a ReLU kink being crossed; a caller that backpropagates a loss
 * of its own reads all three.
 */
bp_status bp_mlp_preactivations(const bp_mlp *mlp, size_t layer, const double **Z);
bp_status bp_mlp_activations(const bp_mlp *mlp, size_t layer, const double **A);
bp_status bp_mlp_deltas(const bp_mlp *mlp, size_t layer, const double **dZ);

/**
 * Forward pass of `rows` samples (1 ≤ rows ≤ max_rows) of X (rows × n_in,
 * leading dimension ldx). If `out` is not NULL, the outputs A_L
 * (rows × n_out, contiguous) are copied there.
 */
bp_status bp_mlp_forward(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                         size_t ldx, double *out);

/**
 * Mean loss over a batch and, when `grad` is not NULL, its gradient with
 * respect to every parameter (same layout as params) and, when `dX` is not
 * NULL, with respect to the inputs (rows × n_in, contiguous).
 * Targets are Y (rows × n_out, contiguous) or, for the categorical losses,
 * `labels` (rows class indices; Y must then be NULL).
 */
bp_status bp_mlp_gradient(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                          size_t ldx, const double *Y, const size_t *labels, double *loss,
                          double *grad, double *dX);

/**
 * Backpropagates a caller-supplied dL/dA_L (rows × n_out) for a loss the
 * library does not know, through the inputs X: runs the forward pass, then
 * the backward pass. Fills grad (params layout) and, if not NULL, dX.
 */
bp_status bp_mlp_backward(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                          size_t ldx, const double *dA_out, double *grad, double *dX);

/**
 * One gradient-descent step on a batch: forward, loss, backward, then
 * params ← params − learning_rate·grad (plain SGD; another optimiser set by
 * bp_mlp_set_optimizer, bp_optimizer.h, applies its rule instead, on the
 * gradient formed and scanned as below). With a context (bp_mlp_set_exec)
 * the weights' update is fused into the products that form their
 * gradients, W ← W − learning_rate·Aᵀ·dZ as one GEMM, so a step does not
 * write, scan and read back the gradient; it is taken once magnitudes
 * prove that no gradient or weight can overflow (else the step runs as
 * below), for batches of up to 4096 rows in float (any in double). Each weight then gets p + (−learning_rate·g), rounded twice,
 * where the vector loop may round once (FMA). Without a context, or when
 * the proof fails: the gradient, a finiteness scan, then a vector loop over
 * the parameters (split across the context's threads for large networks).
 *
 * learning_rate must be finite (also in the network's precision) and ≥ 0:
 * BP_ERR_BAD_VALUE otherwise, for this call and the epoch calls below.
 *
 * The batch is rows `indices[start .. start+rows)` of X_all / Y_all /
 * labels_all (row i of X_all at X_all + i·ldx), or rows start .. start+rows
 * themselves when `indices` is NULL. *loss receives the batch loss before
 * the update. If the loss or any gradient is not finite, nothing is updated
 * and *diverged is set to 1; if the update itself produced a non-finite
 * parameter, *diverged is set to 2 (the caller restores its copy);
 * otherwise it is 0.
 */
bp_status bp_mlp_train_step(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                            const double *Y_all, const size_t *labels_all, const size_t *indices,
                            size_t start, size_t rows, double learning_rate, double *loss,
                            int *diverged);

/**
 * One epoch of gradient descent: bp_mlp_train_step on consecutive batches
 * of `batch` rows (the last one may be smaller) that cover rows 0 .. n of
 * the order `indices` (NULL: rows 0 .. n of X_all themselves). The result is
 * exactly that of those bp_mlp_train_step calls, but every argument and
 * every row is checked once, before the first step, and the loop runs in C:
 * with one-row batches (online learning) the per-call costs of a step are
 * larger than its arithmetic, and a narrow network's online steps run
 * through a path built for them.
 *
 * batch must be between 1 and the max_rows given to bp_mlp_create; n ≥ 1
 * (n need not be ≤ max_rows). Training stops at the first step that
 * diverges, with *diverged set as bp_mlp_train_step sets it (1: nothing of
 * that step applied; 2: the caller restores its copy of the parameters);
 * otherwise *diverged = 0 and *loss receives the epoch's mean loss,
 * Σ loss_b·rows_b / n over its batches b, each loss taken before its update.
 *
 * With a context, a call of several steps on a network with a layer more
 * than 8 units wide and 2^15 parameters or more trains on an internal copy
 * of params when params does not start on a 64-byte boundary (the
 * products read and write the weights a full vector at a time), and copies
 * the result back before returning, whatever the outcome: the same
 * values as in place. Parameters aligned to 64 bytes skip the two copies.
 */
bp_status bp_mlp_train_epoch(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                             const double *Y_all, const size_t *labels_all, const size_t *indices,
                             size_t n, size_t batch, double learning_rate, double *loss,
                             int *diverged);

/**
 * `epochs` epochs of bp_mlp_train_epoch in one call, for many epochs over a
 * small data set (online learning on a few samples, full-batch training of
 * a tiny network), where a call per epoch costs as much as the epoch.
 *
 * Epoch e visits rows orders[e·n .. e·n + n) of X_all in that order (orders
 * NULL: rows 0 .. n in order every epoch; otherwise it holds epochs·n
 * indices); losses[e] receives its mean loss, as bp_mlp_train_epoch's
 * *loss. If snapshot is not NULL (bp_mlp_parameter_count values), params is
 * copied into it at the start of every epoch: after a divergence it holds
 * the parameters the diverging epoch started from.
 *
 * Training stops at the first epoch that diverges, *diverged set as
 * bp_mlp_train_epoch sets it, *completed = the number of epochs finished
 * before it (its loss is not written); otherwise *diverged = 0 and
 * *completed = epochs. The parameters are exactly those of `epochs`
 * bp_mlp_train_epoch calls. Every argument and every epoch's order is
 * checked before anything changes; epochs = 0 is BP_ERR_ZERO_SIZE, epochs·n
 * indices beyond SIZE_MAX BP_ERR_SIZE_OVERFLOW.
 */
bp_status bp_mlp_train_epochs(bp_mlp *mlp, double *params, const double *X_all, size_t ldx,
                              const double *Y_all, const size_t *labels_all, const size_t *orders,
                              size_t n, size_t batch, size_t epochs, double learning_rate,
                              double *losses, double *snapshot, size_t *completed, int *diverged);

/*
 * Single precision: the same engine on float parameters and data (losses are
 * accumulated and returned in double). Every function behaves exactly like
 * its double counterpart above.
 */
typedef struct bp_mlp_f32 bp_mlp_f32;

bp_status bp_mlp_create_f32(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                            size_t max_rows, bp_mlp_f32 **out);
void bp_mlp_free_f32(bp_mlp_f32 *mlp);
bp_status bp_mlp_workspace_bytes_f32(size_t n_layers, const bp_layer_spec *layers, bp_loss loss,
                                     size_t max_rows, size_t *bytes);
bp_status bp_mlp_set_exec_f32(bp_mlp_f32 *mlp, const bp_exec *exec);
bp_status bp_mlp_parameter_count_f32(const bp_mlp_f32 *mlp, size_t *count);
bp_status bp_mlp_preactivations_f32(const bp_mlp_f32 *mlp, size_t layer, const float **Z);
bp_status bp_mlp_activations_f32(const bp_mlp_f32 *mlp, size_t layer, const float **A);
bp_status bp_mlp_deltas_f32(const bp_mlp_f32 *mlp, size_t layer, const float **dZ);
bp_status bp_mlp_forward_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                             size_t ldx, float *out);
bp_status bp_mlp_gradient_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                              size_t ldx, const float *Y, const size_t *labels, double *loss,
                              float *grad, float *dX);
bp_status bp_mlp_backward_f32(bp_mlp_f32 *mlp, const float *params, size_t rows, const float *X,
                              size_t ldx, const float *dA_out, float *grad, float *dX);
bp_status bp_mlp_train_step_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                const float *Y_all, const size_t *labels_all, const size_t *indices,
                                size_t start, size_t rows, double learning_rate, double *loss,
                                int *diverged);
bp_status bp_mlp_train_epoch_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                 const float *Y_all, const size_t *labels_all,
                                 const size_t *indices, size_t n, size_t batch,
                                 double learning_rate, double *loss, int *diverged);
bp_status bp_mlp_train_epochs_f32(bp_mlp_f32 *mlp, float *params, const float *X_all, size_t ldx,
                                  const float *Y_all, const size_t *labels_all,
                                  const size_t *orders, size_t n, size_t batch, size_t epochs,
                                  double learning_rate, double *losses, float *snapshot,
                                  size_t *completed, int *diverged);

#ifdef __cplusplus
}
#endif

#endif /* BP_MLP_H */
