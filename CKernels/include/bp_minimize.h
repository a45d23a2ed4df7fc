/*
 * bp_minimize.h — full-batch training by GSL's multidimensional
 * minimisers: BFGS and conjugate gradients on the whole data set, the role
 * L-BFGS plays for scikit-learn's small networks (MLPClassifier's
 * solver="lbfgs").
 *
 * The objective is the network's mean loss over all n rows, plus an
 * optional L2 penalty on the weights (scikit-learn's `alpha`):
 *
 *     J(θ) = (1/n)·Σ_i L(x_i, y_i; θ) + (α/(2n))·Σ_l ‖W_l‖²_F
 *     ∇J(θ) = (1/n)·Σ_i ∇L(x_i, y_i; θ) + (α/n)·[W_0 | 0 | W_1 | 0 | …]
 *
 * θ the flat parameter vector [W_0 | b_0 | W_1 | b_1 | …] of bp_mlp.h; the
 * biases carry no penalty. The mean loss is evaluated by bp_mlp_gradient in
 * chunks of at most the network's max_rows rows, each chunk's mean weighted
 * by its rows: the same value as one call over all rows (up to rounding),
 * without an engine of the data set's size.
 *
 * The minimiser (gsl_multimin_fdfminimizer) starts from `params` and
 * iterates until the gradient test passes, ‖∇J‖₂ < gradient_tolerance
 * (gsl_multimin_test_gradient, checked at the start point too), or
 * max_iterations iterations have been taken, or an iteration makes no
 * progress (GSL_ENOPROG: the line search found no lower point, usually
 * because the gradient is as small as rounding lets it get). Each iteration
 * is a line search along one direction:
 *
 *   BP_MINIMIZE_BFGS2          BFGS (gsl_multimin_fdfminimizer_vector_bfgs2):
 *                              the direction −H·g, H the BFGS update of the
 *                              identity by the last step and change of
 *                              gradient (memoryless: no n×n matrix is kept),
 *                              and Fletcher's line search, which satisfies
 *                              the Wolfe conditions. The method of choice.
 *   BP_MINIMIZE_CONJUGATE_FR   conjugate gradients, Fletcher–Reeves
 *                              (conjugate_fr): p ← −g + (‖g‖²/‖g₀‖²)·p
 *   BP_MINIMIZE_CONJUGATE_PR   conjugate gradients, Polak–Ribière
 *                              (conjugate_pr): p ← −g + (g·(g − g₀)/‖g₀‖²)·p
 *   BP_MINIMIZE_STEEPEST_DESCENT  p = −g with an adaptive step
 *                              (steepest_descent): slow, for comparison
 *
 * Every iteration costs a few passes over the whole data set (the report
 * counts them): these methods suit small data sets, where a pass is cheap
 * and the exact full-batch gradient makes curvature information pay; on
 * large data sets mini-batch training (bp_mlp_train_epochs) does more with
 * the same passes.
 *
 * Single precision: GSL works in double. bp_mlp_minimize_f32 minimises over
 * a double copy of the parameters, rounding each point the minimiser asks
 * about to float and evaluating the float network there (the objective is
 * J(float(θ)), its gradient that of the float network, widened); the result
 * is rounded to float. Near the minimum J(float(θ)) is flat at float's
 * resolution, so a tolerance below what float can resolve ends with
 * BP_MINIMIZE_NO_PROGRESS rather than convergence.
 *
 * Memory: the minimiser's state (a few vectors of the parameter count) and
 * the scratch of the chunked evaluation are allocated by the call and freed
 * before it returns — one allocation per minimisation, none per iteration.
 *
 * GSL's default error handler aborts the process; this function switches
 * it off first (gsl_set_error_handler_off, once per process, as every GSL
 * user of this library does: bp_random.h), so a GSL failure comes back as
 * BP_ERR_GSL.
 */
#ifndef BP_MINIMIZE_H
#define BP_MINIMIZE_H

#include <stddef.h>
#include "bp_status.h"
#include "bp_mlp.h"

#ifdef __cplusplus
extern "C" {
#endif

/** The minimisers (GSL's gsl_multimin_fdfminimizer types). */
typedef enum bp_minimize_method {
    BP_MINIMIZE_BFGS2 = 0,           /**< vector_bfgs2: quasi-Newton (BFGS) */
    BP_MINIMIZE_CONJUGATE_FR = 1,    /**< conjugate_fr: Fletcher–Reeves CG */
    BP_MINIMIZE_CONJUGATE_PR = 2,    /**< conjugate_pr: Polak–Ribière CG */
    BP_MINIMIZE_STEEPEST_DESCENT = 3 /**< steepest_descent */
} bp_minimize_method;

/**
 * How to minimise. Start from bp_minimize_options_default and change what
 * is needed.
 */
typedef struct bp_minimize_options {
    /** The minimiser. */
    bp_minimize_method method;
    /** Iterations at most (≥ 1; default 200, scikit-learn's max_iter). */
    size_t max_iterations;
    /** Stop when ‖∇J‖₂ < this (finite, > 0; default 1e-5). */
    double gradient_tolerance;
    /** GSL's step_size: the length of the first trial step (finite, > 0;
     *  default 0.01). */
    double initial_step_size;
    /** GSL's tol: BFGS and CG end a line search when the directional
     *  derivative is below tol times its starting value (p·g < tol·|p|·|g|);
     *  steepest descent scales its step by tol after a step that fails.
     *  In (0, 1); default 0.1, GSL's recommendation. */
    double line_search_tolerance;
    /** α, the L2 penalty (α/(2n))·Σ‖W_l‖² on the weights (finite, ≥ 0;
     *  default 0). */
    double l2;
} bp_minimize_options;

/** Why a minimisation stopped. */
typedef enum bp_minimize_outcome {
    /** ‖∇J‖₂ < gradient_tolerance at the final point. */
    BP_MINIMIZE_CONVERGED = 0,
    /** max_iterations iterations taken without passing the gradient test. */
    BP_MINIMIZE_ITERATION_LIMIT = 1,
    /** An iteration found no lower point (GSL_ENOPROG); the parameters are
     *  the best point reached. */
    BP_MINIMIZE_NO_PROGRESS = 2,
    /** The minimisation failed (BP_ERR_NOT_FINITE or BP_ERR_GSL returned). */
    BP_MINIMIZE_FAILED = 3
} bp_minimize_outcome;

/** What a minimisation did. */
typedef struct bp_minimize_report {
    /** Why it stopped. */
    bp_minimize_outcome outcome;
    /** Iterations taken (each moved to a new point), 0 when the start
     *  point already passes the gradient test. */
    size_t iterations;
    /** Passes over the data computing J alone (the line searches' probes). */
    size_t loss_evaluations;
    /** Passes over the data computing J and ∇J. */
    size_t gradient_evaluations;
    /** J at the final parameters (the mean loss plus the L2 penalty). */
    double loss;
    /** ‖∇J‖₂ at the final parameters. */
    double gradient_norm;
    /** GSL's status code when GSL failed (BP_ERR_GSL), else 0. */
    int gsl_status;
} bp_minimize_report;

/**
 * The default options for `method` into *out: 200 iterations, gradient
 * tolerance 1e-5, initial step 0.01, line-search tolerance 0.1, no L2.
 * BP_ERR_BAD_ENUM for an unknown method, BP_ERR_NULL_POINTER for out NULL
 * (*out untouched on an error).
 */
bp_status bp_minimize_options_default(bp_minimize_method method, bp_minimize_options *out);

/**
 * Minimises J(θ) (above) over the network's parameters, starting from
 * `params` (bp_mlp_parameter_count values), on rows 0 .. n of X (n × n_in,
 * leading dimension ldx) with targets Y (n × n_out, contiguous) or, for the
 * categorical losses, labels (n class indices; Y then NULL), exactly as
 * bp_mlp_gradient takes them. n may exceed the network's max_rows.
 *
 * On BP_OK, params holds the final point and *report what happened (its
 * outcome CONVERGED, ITERATION_LIMIT or NO_PROGRESS).
 *
 * Errors, in bp_status.h's order: BP_ERR_NULL_POINTER for mlp or options
 * NULL; BP_ERR_BAD_ENUM for an unknown method, or labels with a loss that
 * is not categorical; BP_ERR_ZERO_SIZE for n == 0; BP_ERR_BAD_VALUE for an
 * option outside its domain (max_iterations 0, a tolerance, step or l2 that
 * is not finite or out of range); BP_ERR_LEADING_DIMENSION for ldx < n_in;
 * BP_ERR_SIZE_OVERFLOW when the rows do not fit in size_t;
 * BP_ERR_NULL_POINTER for X, params or report NULL, or targets given both
 * as Y and labels or as neither; BP_ERR_LABEL_OUT_OF_RANGE for a label ≥
 * the output width. Nothing is written on these.
 *
 * After validation: BP_ERR_NO_MEMORY when the minimiser's memory cannot be
 * had; BP_ERR_NOT_FINITE when J or ∇J is NaN or infinite at a point the
 * minimiser evaluates (the start point included: data or parameters for
 * which the network overflows); BP_ERR_GSL when GSL reports an error. On
 * these params is unchanged; for the last two *report is written with
 * outcome BP_MINIMIZE_FAILED, the iterations and evaluations made before
 * the failure, loss and gradient_norm NaN, and (BP_ERR_GSL) GSL's status.
 */
bp_status bp_mlp_minimize(bp_mlp *mlp, double *params, const double *X, size_t ldx, const double *Y,
                          const size_t *labels, size_t n, const bp_minimize_options *options,
                          bp_minimize_report *report);

/**
 * bp_mlp_minimize for a float network: the minimiser runs in double on a
 * copy of the parameters, each point rounded to float for the network's
 * evaluation (see the top of this header); params receives the final
 * point rounded to float.
 */
bp_status bp_mlp_minimize_f32(bp_mlp_f32 *mlp, float *params, const float *X, size_t ldx,
                              const float *Y, const size_t *labels, size_t n,
                              const bp_minimize_options *options, bp_minimize_report *report);

#ifdef __cplusplus
}
#endif

#endif /* BP_MINIMIZE_H */
