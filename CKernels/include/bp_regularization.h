/*
 * bp_regularization.h — regularisation of a network's training steps: an L2
 * penalty on the weights (scikit-learn's MLP `alpha`), clipping of the
 * gradient's norm (torch.nn.utils.clip_grad_norm_), and inverted dropout on
 * the hidden layers' outputs; and the training objective itself, for
 * gradient checks.
 *
 * A training step of bp_mlp.h (bp_mlp_train_step, _epoch, _epochs; every
 * engine and context) on a batch of r rows runs, in this order:
 *
 *   1. forward with dropout: for every hidden layer l (0 ≤ l ≤ L − 2, L the
 *      number of layers) whose rate p_l > 0,
 *          D_l = A_l ⊙ S_l,   S_l = M_l / (1 − p_l),   M_l ∈ {0, 1}^(r × n_out)
 *      and layer l + 1 reads D_l instead of A_l (the output layer never
 *      drops);
 *   2. the batch's mean loss ℓ and its gradient g by backpropagation, which
 *      multiplies dL/dD_l by the same S_l to give dL/dA_l;
 *   3. the L2 penalty, α = l2 ≥ 0, on the weights W_l only (never the
 *      biases):
 *          L = ℓ + (α / (2r))·Σ_l ‖W_l‖²_F,     g_W_l ← g_W_l + (α / r)·W_l
 *      (the loss the step reports is L);
 *   4. the network's gradient hook, when it has one;
 *   5. clipping, c = max_grad_norm > 0, over the whole gradient (weights and
 *      biases, every layer):
 *          τ = ‖g‖₂,   κ = c / (τ + 10⁻⁶),   g ← κ·g if κ < 1
 *   6. the finiteness check and the optimiser's rule (bp_optimizer.h).
 *
 * With l2 = 0, max_grad_norm = 0 and every rate 0 (a new network's
 * settings) a step is exactly the step without this header, bit for bit,
 * fused paths included. With any of them on, steps take the engines'
 * general path (the gradient formed, then the update stage), and dropout
 * also moves narrow networks from the narrow engine to the dense kernels.
 *
 * The masks. M_l is drawn from a counter-based generator, so that it
 * depends only on (seed, k, l, i, j) — the dropout seed, the mask step
 * counter k, the layer, the row within the batch and the unit — never on
 * threads, engine or path:
 *
 *     mix(z)  = SplitMix64's finaliser on 64-bit words (arithmetic mod 2⁶⁴):
 *               z ← (z ⊕ (z ≫ 30))·0xbf58476d1ce4e5b9
 *               z ← (z ⊕ (z ≫ 27))·0x94d049bb133111eb
 *               z ← z ⊕ (z ≫ 31)
 *     h       = mix(mix(mix(mix(mix(seed + 0x9e3779b97f4a7c15) ⊕ k) ⊕ l) ⊕ i) ⊕ j)
 *     u       = (h ≫ 11)·2⁻⁵³                  (in [0, 1), 53 bits)
 *     M_l[i, j] = 1 if u ≥ p_l, else 0
 *
 * (bp_dropout_uniform computes u.) S_l's values are 0 and 1/(1 − p_l),
 * computed in double (rounded once to float for a float network). The
 * counter k starts at 0 when dropout is set and advances by one with every
 * training step that draws masks and is applied (the optimiser's verdict 0
 * or 2, bp_mlp.h); a step that diverges before its update (verdict 1) or
 * fails leaves it, as it leaves the parameters. bp_mlp_get_dropout_step /
 * _set_dropout_step read and restore it for exact resumption.
 *
 * Forward passes, predictions and gradients of bp_mlp.h never drop;
 * bp_mlp_training_gradient below gives the training objective (with the
 * next step's masks and the penalty) without updating anything.
 *
 * Memory. Setting an L2 penalty or clipping allocates nothing (a step then
 * allocates nothing either). Setting dropout allocates, for each hidden
 * layer with p_l > 0, two buffers of max_rows × n_out values of the
 * network's precision (the masks S_l and the dropped activations D_l) and
 * the rates; bp_mlp_workspace_bytes does not count them, as it counts no
 * optimiser state.
 */
#ifndef BP_REGULARIZATION_H
#define BP_REGULARIZATION_H

#include <stddef.h>
#include <stdint.h>
#include "bp_status.h"
#include "bp_mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The L2 penalty and the gradient clipping of a network's training steps
 *  (steps 3 and 5 above). Both 0: off (a new network's setting). */
typedef struct bp_regularization {
    /** α ≥ 0: L = ℓ + (α / (2r))·Σ_l ‖W_l‖²_F over the weights (scikit-learn's
     *  MLPClassifier/MLPRegressor `alpha`). */
    double l2;
    /** c: 0 (no clipping) or > 0: the gradient is scaled by
     *  κ = c / (‖g‖₂ + 10⁻⁶) when κ < 1 (PyTorch's clip_grad_norm_). */
    double max_grad_norm;
} bp_regularization;

/**
 * Makes `regularization` (copied) the network's penalty and clipping from
 * the next training step on. Allocates nothing.
 *
 * BP_ERR_NULL_POINTER for a NULL argument; BP_ERR_BAD_VALUE for l2 < 0,
 * max_grad_norm < 0, or either not finite (in float too, for the _f32
 * network). On any error the network keeps its settings.
 */
bp_status bp_mlp_set_regularization(bp_mlp *mlp, const bp_regularization *regularization);

/** The network's penalty and clipping into *regularization. */
bp_status bp_mlp_get_regularization(const bp_mlp *mlp, bp_regularization *regularization);

/**
 * Sets inverted dropout on the hidden layers' outputs (step 1 above):
 * rates[l] = p_l ∈ [0, 1) for the output A_l of layer l, l = 0 .. L − 2, so
 * n_rates must be L − 1; rates NULL (n_rates then ignored) or all zero turn
 * dropout off. The mask step counter restarts at 0, with `seed` the
 * generator's key. Allocates the masks' buffers (above; the previous ones
 * freed).
 *
 * BP_ERR_NULL_POINTER for mlp NULL; BP_ERR_BAD_VALUE for n_rates ≠ L − 1 or
 * a rate outside [0, 1) or not finite; BP_ERR_NO_MEMORY. On any error the
 * network keeps its dropout, buffers and counter.
 */
bp_status bp_mlp_set_dropout(bp_mlp *mlp, const double *rates, size_t n_rates, uint64_t seed);

/**
 * The network's dropout: its L − 1 rates into rates[0 .. n_rates) (n_rates
 * must be L − 1; zeros when dropout is off) and its seed into *seed.
 * BP_ERR_BAD_VALUE for another n_rates; rates may be NULL when it is 0.
 */
bp_status bp_mlp_get_dropout(const bp_mlp *mlp, double *rates, size_t n_rates, uint64_t *seed);

/** The mask step counter k (the masks the next training step draws). */
bp_status bp_mlp_get_dropout_step(const bp_mlp *mlp, uint64_t *step);

/** Sets the mask step counter k (a checkpoint's), whether or not dropout is on. */
bp_status bp_mlp_set_dropout_step(bp_mlp *mlp, uint64_t step);

/**
 * The masks last drawn for hidden layer `layer` (by a training step or by
 * bp_mlp_training_gradient): *scale points at *rows × n_out values S_l =
 * M_l / (1 − p_l), row-major, valid until the next training call; *scale
 * NULL and *rows 0 when the layer does not drop or no masks were drawn
 * since dropout was set. BP_ERR_BAD_VALUE for layer ≥ L − 1;
 * BP_ERR_NULL_POINTER for a NULL argument.
 */
bp_status bp_mlp_dropout_mask(const bp_mlp *mlp, size_t layer, const double **scale, size_t *rows);

/**
 * The training objective of the network's next step on a batch (rows × n_in
 * inputs X of leading dimension ldx, targets Y rows × n_out or class labels,
 * exactly one of them), without updating anything: the loss L of steps 1–3
 * above into *loss, and ∂L/∂params into grad (n_params values, the flat
 * layout of bp_mlp.h; may be NULL for the loss alone), with the masks the
 * next training step would draw (the counter k, not advanced) and the L2
 * penalty; no hook, no clipping (they are not part of the objective). With
 * the masks fixed, L is a smooth function of params wherever the
 * activations are, so its central differences match grad.
 *
 * Arguments and errors as bp_mlp_gradient's. The masks drawn are readable
 * by bp_mlp_dropout_mask afterwards.
 */
bp_status bp_mlp_training_gradient(bp_mlp *mlp, const double *params, size_t rows, const double *X,
                                   size_t ldx, const double *Y, const size_t *labels, double *loss,
                                   double *grad);

/**
 * The generator of the masks: u(seed, k, l, i, j) ∈ [0, 1) as defined above
 * (unit j of row i of layer l at mask step k is kept iff u ≥ p_l).
 */
double bp_dropout_uniform(uint64_t seed, uint64_t step, size_t layer, size_t row, size_t unit);

/* Single precision: the same for a bp_mlp_f32 (rates, α and c stay double;
 * the masks' values, the penalty's factor α/r and the clipping factor κ are
 * computed in double and rounded to float once; the sums of squares of the
 * penalty and of ‖g‖₂ accumulate in double). */
bp_status bp_mlp_set_regularization_f32(bp_mlp_f32 *mlp, const bp_regularization *regularization);
bp_status bp_mlp_get_regularization_f32(const bp_mlp_f32 *mlp, bp_regularization *regularization);
bp_status bp_mlp_set_dropout_f32(bp_mlp_f32 *mlp, const double *rates, size_t n_rates,
                                 uint64_t seed);
bp_status bp_mlp_get_dropout_f32(const bp_mlp_f32 *mlp, double *rates, size_t n_rates,
                                 uint64_t *seed);
bp_status bp_mlp_get_dropout_step_f32(const bp_mlp_f32 *mlp, uint64_t *step);
bp_status bp_mlp_set_dropout_step_f32(bp_mlp_f32 *mlp, uint64_t step);
bp_status bp_mlp_dropout_mask_f32(const bp_mlp_f32 *mlp, size_t layer, const float **scale,
                                  size_t *rows);
bp_status bp_mlp_training_gradient_f32(bp_mlp_f32 *mlp, const float *params, size_t rows,
                                       const float *X, size_t ldx, const float *Y,
                                       const size_t *labels, double *loss, float *grad);

#ifdef __cplusplus
}
#endif

#endif /* BP_REGULARIZATION_H */
