import CKernels

/// What a full-batch minimisation
/// (``Network/minimize(on:method:maximumIterations:gradientTolerance:l2:initialStepSize:lineSearchTolerance:)``)
/// did: why it stopped, how many iterations and passes over the data it
/// took, and the objective and its gradient at the parameters it left.
public struct MinimizationReport: Sendable, Equatable {
    /// Why a minimisation stopped.
    public enum Outcome: Sendable, Equatable {
        /// The gradient test passed: `‖∇J‖₂ <` the gradient tolerance at the
        /// final parameters.
        case converged
        /// The iteration budget was spent before the gradient test passed.
        case iterationLimit
        /// An iteration's line search found no lower point: the parameters
        /// are the best point reached, usually as close to a minimum as
        /// rounding allows (a float network reaches this sooner).
        case noProgress
    }

    /// Why it stopped.
    public let outcome: Outcome
    /// Iterations taken, each to a new point (0 when the starting point
    /// already passed the gradient test).
    public let iterations: Int
    /// Passes over the whole data set: evaluations of `J` alone (the line
    /// searches' probes) plus those of `J` and `∇J`.
    public let evaluations: Int
    /// Of ``evaluations``, those that also computed the gradient `∇J`.
    public let gradientEvaluations: Int
    /// The objective `J` at the final parameters: the mean loss plus the L2
    /// penalty `(α / (2n))·Σ_l ‖W_l‖²` (the mean loss alone when `l2` is 0).
    public let loss: Double
    /// `‖∇J‖₂` at the final parameters.
    public let gradientNorm: Double

    /// The report of a successful C call (its outcome one of the three).
    init(_ report: bp_minimize_report) {
        switch report.outcome {
        case BP_MINIMIZE_CONVERGED: outcome = .converged
        case BP_MINIMIZE_ITERATION_LIMIT: outcome = .iterationLimit
        default: outcome = .noProgress
        }
        iterations = report.iterations
        evaluations = report.loss_evaluations + report.gradient_evaluations
        gradientEvaluations = report.gradient_evaluations
        loss = report.loss
        gradientNorm = report.gradient_norm
    }
}
