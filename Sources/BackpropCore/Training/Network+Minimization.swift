import CKernels

/// Full-batch training by GSL's minimisers.
extension Network {
    /// Trains the network by minimising its full-batch objective with one
    /// of GSL's gradient-based minimisers (BFGS by default): for small data
    /// sets, where every iteration can afford the exact gradient over all
    /// rows, as scikit-learn's `lbfgs` solver does.
    ///
    /// The objective, over the `n` rows of `data`, with `α = l2`:
    ///
    ///     J(θ) = (1/n)·Σ_i L(x_i, y_i; θ) + (α / (2n))·Σ_l ‖W_l‖²
    ///     ∇J(θ) = (1/n)·Σ_i ∇L(x_i, y_i; θ) + (α / n)·W   (weights only)
    ///
    /// the mean loss that ``loss(on:)`` computes plus scikit-learn's L2
    /// penalty (its `alpha`) on the weights `W_l`; biases carry none. The
    /// minimiser starts from the current parameters and iterates until
    /// `‖∇J‖₂ < gradientTolerance`, or `maximumIterations` iterations, or
    /// an iteration finds no lower point; ``MinimizationReport/outcome``
    /// says which. Each iteration is a line search of a few passes over the
    /// data (``MinimizationReport/evaluations`` counts them).
    ///
    /// A `Network<Float>` is minimised in double precision over a copy of
    /// its parameters, each point rounded to float to evaluate the float
    /// network; near the minimum `J` is flat at float's resolution, so a
    /// tolerance below it ends with ``MinimizationReport/Outcome/noProgress``.
    ///
    /// - Parameters:
    ///   - data: the training inputs (`n × inputSize`) and targets, all of
    ///     them used by every evaluation.
    ///   - method: the minimiser (``MinimizationMethod``).
    ///   - maximumIterations: the iteration budget (≥ 1; default 200, as
    ///     scikit-learn's `max_iter`).
    ///   - gradientTolerance: stop once `‖∇J‖₂` is below this (finite, > 0).
    ///   - l2: `α`, the weight of the L2 penalty (finite, ≥ 0; default 0).
    ///   - initialStepSize: the length of the first trial step (GSL's
    ///     `step_size`; finite, > 0).
    ///   - lineSearchTolerance: GSL's `tol`, in (0, 1): a line search ends
    ///     when `p·g < tol·‖p‖·‖g‖` along its direction `p` (steepest
    ///     descent scales its step by it after a failed one). 0.1 suits most
    ///     problems.
    /// - Returns: why it stopped, the iterations and evaluations taken, and
    ///   `J` and `‖∇J‖₂` at the parameters the network now has.
    /// - Throws: ``BackpropError`` for invalid data; ``BackpropError/invalidHyperparameter(name:value:expected:)``
    ///   for a setting outside its range; ``BackpropError/overflow(what:row:)``
    ///   when the loss at the starting parameters is NaN or infinite;
    ///   ``BackpropError/minimizationFailed(reason:)`` when `J` or `∇J`
    ///   becomes NaN or infinite at a point the minimiser tries, or GSL
    ///   reports an error. The network keeps its parameters whenever it
    ///   throws.
    @discardableResult
    public mutating func minimize(
        on data: Dataset<Scalar>, method: MinimizationMethod = .bfgs, maximumIterations: Int = 200,
        gradientTolerance: Double = 1e-5, l2: Double = 0, initialStepSize: Double = 0.01,
        lineSearchTolerance: Double = 0.1
    ) throws -> MinimizationReport {
        let targets = try resolve(data)
        func invalid(_ name: String, _ value: Any, _ expected: String) -> BackpropError {
            .invalidHyperparameter(name: name, value: "\(value)", expected: expected)
        }
        guard maximumIterations >= 1 else { throw invalid("maximumIterations", maximumIterations, "≥ 1") }
        guard gradientTolerance.isFinite && gradientTolerance > 0 else {
            throw invalid("gradientTolerance", gradientTolerance, "finite and > 0")
        }
        guard l2.isFinite && l2 >= 0 else { throw invalid("l2", l2, "finite and ≥ 0") }
        guard initialStepSize.isFinite && initialStepSize > 0 else {
            throw invalid("initialStepSize", initialStepSize, "finite and > 0")
        }
        guard lineSearchTolerance > 0 && lineSearchTolerance < 1 else {
            throw invalid("lineSearchTolerance", lineSearchTolerance, "in (0, 1)")
        }
        var options = bp_minimize_options()
        try check(bp_minimize_options_default(method.kernel, &options), "bp_minimize_options_default")
        options.max_iterations = maximumIterations
        options.gradient_tolerance = gradientTolerance
        options.l2 = l2
        options.initial_step_size = initialStepSize
        options.line_search_tolerance = lineSearchTolerance

        // The minimiser works on a copy: the network's parameters change
        // only when it succeeds.
        var candidate = parameters
        let n = data.count, width = inputSize
        let result = try engines.withEngine(for: self, capacity: Swift.min(n, Self.evaluationChunk)) { engine in
            data.inputs.elements.withUnsafeBufferPointer { x in
                targets.withPointer { t in
                    candidate.withUnsafeMutableBufferPointer { p in
                        engine.minimize(parameters: p.baseAddress!, x: x.baseAddress!, ldx: width, targets: t,
                                        count: n, options: options)
                    }
                }
            }
        }
        let report = result.report
        switch result.status {
        case BP_OK:
            parameters = candidate
            return MinimizationReport(report)
        case BP_ERR_NOT_FINITE:
            // At the start: the network overflows on this data, located as
            // `loss(on:)` locates it.
            if report.iterations == 0 && report.loss_evaluations == 0 && report.gradient_evaluations == 1,
               !(try uncheckedLoss(on: data, resolved: targets)).isFinite {
                throw try overflow(in: data.inputs, targets: targets)
            }
            let at = report.loss_evaluations + report.gradient_evaluations == 1
                ? "at the starting parameters" : "at a point tried after \(report.iterations) iterations"
            throw BackpropError.minimizationFailed(reason: "the loss or its gradient is NaN or infinite \(at)")
        case BP_ERR_GSL:
            throw BackpropError.minimizationFailed(
                reason: "GSL's minimiser reported error \(report.gsl_status) after \(report.iterations) iterations")
        default:
            throw BackpropError.kernel(KernelError(code: result.status.rawValue,
                                                   function: Scalar.kernelFunctions.name("bp_mlp_minimize")))
        }
    }
}
