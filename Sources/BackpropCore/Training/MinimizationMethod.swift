import CKernels

/// A minimiser for full-batch training
/// (``Network/minimize(on:method:maximumIterations:gradientTolerance:l2:initialStepSize:lineSearchTolerance:)``):
/// one of GSL's gradient-based multidimensional minimisers
/// (`gsl_multimin_fdfminimizer`).
///
/// Each iteration picks a direction `p` from the gradient `g = ∇J(θ)` (and,
/// except for steepest descent, from the previous step), then searches along
/// it, `θ ← θ + t·p`, for a step `t` that lowers `J` enough. Every evaluation
/// of `J` is a pass over the whole data set, so these methods suit small data
/// sets, where a pass is cheap and the exact gradient lets curvature
/// information pay — the role L-BFGS plays in scikit-learn
/// (`MLPClassifier(solver="lbfgs")`). On large data sets mini-batch training
/// (``Network/train(on:epochs:learningRate:batchSize:shuffle:validation:schedule:regularization:earlyStopping:interruption:onEpoch:checkpointEvery:onCheckpoint:)``)
/// does more with the same passes.
public enum MinimizationMethod: Sendable, Hashable, CaseIterable {
    /// BFGS (`gsl_multimin_fdfminimizer_vector_bfgs2`): the direction
    /// `p = −H·g`, `H` the BFGS update of the identity by the last step
    /// `s = θ − θ₀` and change of gradient `y = g − g₀` (memoryless: no
    /// `n × n` matrix is kept), with Fletcher's line search, which satisfies
    /// the Wolfe conditions. The method of choice: on small networks it
    /// needs the fewest iterations.
    case bfgs
    /// Conjugate gradients, Fletcher–Reeves (`conjugate_fr`):
    /// `p ← −g + (‖g‖² / ‖g₀‖²)·p`. Two vectors of state; usually more
    /// iterations than BFGS.
    case conjugateGradientFletcherReeves
    /// Conjugate gradients, Polak–Ribière (`conjugate_pr`):
    /// `p ← −g + (g·(g − g₀) / ‖g₀‖²)·p`, which restarts by itself where
    /// Fletcher–Reeves stalls.
    case conjugateGradientPolakRibiere
    /// Steepest descent (`steepest_descent`): `p = −g`, the step doubled
    /// after a success and scaled by the line-search tolerance after a
    /// failure. Slow; for comparison.
    case steepestDescent

    /// The C kernels' constant for the method.
    var kernel: bp_minimize_method {
        switch self {
        case .bfgs: return BP_MINIMIZE_BFGS2
        case .conjugateGradientFletcherReeves: return BP_MINIMIZE_CONJUGATE_FR
        case .conjugateGradientPolakRibiere: return BP_MINIMIZE_CONJUGATE_PR
        case .steepestDescent: return BP_MINIMIZE_STEEPEST_DESCENT
        }
    }
}
