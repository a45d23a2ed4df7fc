/// A parameter (or input) of a network, as named in gradient-check reports.
public enum ParameterLocation: Sendable, Hashable, CustomStringConvertible {
    /// `W_layer[row][col]`.
    case weight(layer: Int, row: Int, col: Int)
    /// `b_layer[index]`.
    case bias(layer: Int, index: Int)
    /// Input `X[row][col]`.
    case input(row: Int, col: Int)

    public var description: String {
        switch self {
        case let .weight(l, r, c): return "W\(l)[\(r), \(c)]"
        case let .bias(l, i): return "b\(l)[\(i)]"
        case let .input(r, c): return "X[\(r), \(c)]"
        }
    }
}

/// The result of comparing backpropagation's gradients with finite differences.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// The comparison for one group of parameters: a layer's weights, a
    /// layer's bias, or the inputs.
    public struct Group: Sendable {
        /// "layer 0 weights", "layer 1 bias", "inputs".
        public var name: String
        /// Number of entries compared (kink entries excluded).
        public var checked: Int
        /// Largest `|analytic − numeric|`.
        public var maxAbsoluteError: Double
        /// Largest relative error (see ``GradientCheckReport``).
        public var maxRelativeError: Double
        /// Where the largest relative error occurs, with both values there.
        public var worst: ParameterLocation?
        /// The backpropagated value at `worst`.
        public var analyticAtWorst: Double
        /// The finite-difference value at `worst`.
        public var numericAtWorst: Double
        /// `maxRelativeError < tolerance`.
        public var passed: Bool
    }

    /// One group per layer's weights and bias, then the inputs.
    public var groups: [Group]
    /// Entries whose finite-difference stencil crossed a ReLU kink (a
    /// pre-activation changed sign between evaluations): the loss is not
    /// differentiable there, so they are listed, not judged.
    public var kinks: [ParameterLocation]
    /// The step of the finite differences.
    public var epsilon: Double
    /// The relative error a group must stay below.
    public var tolerance: Double
    /// Why the check failed regardless of the errors (for example: every
    /// gradient is zero, which would make any comparison pass vacuously).
    public var failure: String?

    /// Whether every group passed and nothing made the check vacuous.
    public var passed: Bool { failure == nil && groups.allSatisfy(\.passed) }

    /// The largest relative error over all groups.
    public var maxRelativeError: Double { groups.map(\.maxRelativeError).max() ?? 0 }

    public var description: String {
        var lines = ["gradient check (ε = \(epsilon), tolerance \(tolerance)): \(passed ? "PASSED" : "FAILED")"]
        for g in groups {
            let worst = g.worst.map { " at \($0) (analytic \(g.analyticAtWorst), numeric \(g.numericAtWorst))" } ?? ""
            lines.append("  \(g.name): \(g.checked) checked, max abs error \(g.maxAbsoluteError), max rel error \(g.maxRelativeError)\(worst) \(g.passed ? "ok" : "FAIL")")
        }
        if !kinks.isEmpty {
            lines.append("  at a ReLU kink (not judged): " + kinks.prefix(20).map(\.description).joined(separator: ", ")
                         + (kinks.count > 20 ? ", … (\(kinks.count) in all)" : ""))
        }
        if let failure { lines.append("  failure: \(failure)") }
        return lines.joined(separator: "\n")
    }
}

extension Network {
    /// Compares the gradients of ``gradients(on:)`` with central finite
    /// differences of the loss, `(L(θ + ε) − L(θ − ε)) / 2ε`, entry by entry.
    ///
    /// The relative error of an entry is
    /// `|analytic − numeric| / max(|analytic|, |numeric|, ν/tolerance)`.
    /// The floor comes from the finite difference's own rounding noise
    /// `ν = 4u·S/ε` (u = 2⁻⁵³) with `S = max(|L(θ+ε)|, |L(θ−ε)|, 1, max|z_out|)`:
    /// each loss is computed to within a few units in the last place of its
    /// largest terms — O(1) probabilities and targets, or the output logits
    /// that log-sum-exp works on, even when L itself is small — and dividing
    /// the difference by 2ε magnifies that error by 1/ε: ν ≈ 4.4·10⁻¹⁰ for
    /// ε = 10⁻⁶ when every term is at most 1. An entry
    /// smaller than ν/tolerance therefore cannot be verified to `tolerance`
    /// relatively; it is held to `|analytic − numeric| < ν` instead, which is
    /// exactly as precise as finite differences allow. Larger entries are
    /// judged by the plain relative error.
    ///
    /// The check fails, whatever the errors, when every compared gradient
    /// (analytic and numeric) is zero: such a check proves nothing.
    ///
    /// - Parameters:
    ///   - data: the batch whose mean loss is differentiated.
    ///   - epsilon: the finite-difference step (default 10⁻⁶).
    ///   - tolerance: the largest relative error a group may have (default 10⁻⁶).
    ///   - maxParameters: compare at most this many entries, sampled at random
    ///     (seeded, so reproducible) from all weights, biases and inputs;
    ///     `nil` compares all of them.
    ///   - includeInputs: also check `dL/dX`.
    public func checkGradients(
        on data: Dataset<Scalar>, epsilon: Double = 1e-6, tolerance: Double = 1e-6,
        maxParameters: Int? = nil, includeInputs: Bool = true
    ) throws -> GradientCheckReport {
        guard epsilon.isFinite, epsilon > 0 else {
            throw BackpropError.invalidHyperparameter(name: "epsilon", value: "\(epsilon)", expected: "finite and > 0")
        }
        guard tolerance.isFinite, tolerance > 0 else {
            throw BackpropError.invalidHyperparameter(name: "tolerance", value: "\(tolerance)", expected: "finite and > 0")
        }
        if let maxParameters, maxParameters < 1 {
            throw BackpropError.invalidHyperparameter(name: "maxParameters", value: "\(maxParameters)", expected: "≥ 1 or nil")
        }
        // Gradient checks run in double precision: a Float network is
        // checked through its exact Double conversion (every Float is a Double).
        if Scalar.self != Double.self {
            return try converted(to: Double.self).checkGradients(
                on: data.converted(to: Double.self), epsilon: epsilon, tolerance: tolerance,
                maxParameters: maxParameters, includeInputs: includeInputs)
        }
        return try checkGradients(on: data, analytic: try gradients(on: data), epsilon: epsilon,
                                  tolerance: tolerance, maxParameters: maxParameters,
                                  includeInputs: includeInputs)
    }

    /// The comparison behind `checkGradients(on:...)`, with the analytic
    /// gradients given (tests feed it deliberately wrong ones).
    func checkGradients(
        on data: Dataset<Scalar>, analytic: Gradients<Scalar>, epsilon: Double, tolerance: Double,
        maxParameters: Int?, includeInputs: Bool
    ) throws -> GradientCheckReport {
        let targets = try resolve(data)

        // Every entry that can be checked, in a fixed order.
        var entries: [ParameterLocation] = []
        for (l, layer) in shapes.enumerated() {
            for r in 0..<layer.inputSize { for c in 0..<layer.outputSize { entries.append(.weight(layer: l, row: r, col: c)) } }
            for j in 0..<layer.outputSize { entries.append(.bias(layer: l, index: j)) }
        }
        if includeInputs {
            for r in 0..<data.count { for c in 0..<inputSize { entries.append(.input(row: r, col: c)) } }
        }
        if let maxParameters, entries.count > maxParameters {
            var order = Array(entries.indices)
            try RandomSource(seed: 0x6772_6164).shuffle(&order)   // fixed seed: reproducible samples
            entries = order.prefix(maxParameters).sorted().map { entries[$0] }
        }

        var probe = try LossProbe(network: self, data: data, targets: targets)
        var numeric: [Double] = []
        var floors: [Double] = []
        var kinks: [ParameterLocation] = []
        var judged: [ParameterLocation] = []
        let unitRoundoff = Double.ulpOfOne / 2
        for entry in entries {
            let (value, crossed, lossScale) = try probe.centralDifference(at: entry, epsilon: epsilon)
            if crossed { kinks.append(entry); continue }
            judged.append(entry)
            numeric.append(value)
            floors.append(4 * unitRoundoff * lossScale / epsilon / tolerance)
        }
        let analyticValues = judged.map { Double(analytic.value(at: $0)) }
        let scale = numeric.map(abs).max() ?? 0

        var groups: [GradientCheckReport.Group] = []
        func group(named name: String, where belongs: (ParameterLocation) -> Bool) {
            var g = GradientCheckReport.Group(name: name, checked: 0, maxAbsoluteError: 0, maxRelativeError: 0,
                                              worst: nil, analyticAtWorst: 0, numericAtWorst: 0, passed: true)
            for i in judged.indices where belongs(judged[i]) {
                let a = analyticValues[i], n = numeric[i]
                let absError = abs(a - n)
                let denominator = Swift.max(abs(a), abs(n), floors[i])
                let relError = denominator > 0 ? absError / denominator : 0
                g.checked += 1
                g.maxAbsoluteError = Swift.max(g.maxAbsoluteError, absError)
                if relError > g.maxRelativeError || g.worst == nil {
                    g.maxRelativeError = Swift.max(g.maxRelativeError, relError)
                    g.worst = judged[i]; g.analyticAtWorst = a; g.numericAtWorst = n
                }
            }
            g.passed = g.maxRelativeError < tolerance && !(g.maxRelativeError.isNaN)
            if g.checked > 0 { groups.append(g) }
        }
        for l in shapes.indices {
            group(named: "layer \(l) weights") { if case let .weight(layer, _, _) = $0 { return layer == l }; return false }
            group(named: "layer \(l) bias") { if case let .bias(layer, _) = $0 { return layer == l }; return false }
        }
        group(named: "inputs") { if case .input = $0 { return true }; return false }

        var failure: String?
        if judged.isEmpty {
            failure = "no entry could be judged (every sampled entry sits at a ReLU kink)"
        } else if scale == 0 && analyticValues.allSatisfy({ $0 == 0 }) {
            failure = "every analytic and numeric gradient is zero: the check would pass vacuously"
        } else if !scale.isFinite || analyticValues.contains(where: { !$0.isFinite }) {
            failure = "non-finite gradients"
        }
        return GradientCheckReport(groups: groups, kinks: kinks, epsilon: epsilon, tolerance: tolerance,
                                   failure: failure)
    }

    /// ``checkGradients(on:epsilon:tolerance:maxParameters:includeInputs:)`` with dense targets.
    public func checkGradients(
        inputs: Matrix<Scalar>, targets: Matrix<Scalar>, epsilon: Double = 1e-6,
        tolerance: Double = 1e-6, maxParameters: Int? = nil
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, targets: targets), epsilon: epsilon,
                           tolerance: tolerance, maxParameters: maxParameters)
    }

    /// ``checkGradients(on:epsilon:tolerance:maxParameters:includeInputs:)`` with class labels.
    public func checkGradients(
        inputs: Matrix<Scalar>, labels: [Int], epsilon: Double = 1e-6,
        tolerance: Double = 1e-6, maxParameters: Int? = nil
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, labels: labels), epsilon: epsilon,
                           tolerance: tolerance, maxParameters: maxParameters)
    }
}

extension Gradients {
    /// The gradient entry at `location`.
    func value(at location: ParameterLocation) -> Scalar {
        switch location {
        case let .weight(l, r, c): return layers[l].weights[r, c]
        case let .bias(l, i): return layers[l].bias[i]
        case let .input(r, c): return inputs[r, c]
        }
    }
}

/// Evaluates the loss with one entry perturbed, on a private copy of the
/// parameters and inputs, and watches the sign pattern of every
/// ReLU-family layer to detect kink crossings.
private struct LossProbe<Scalar: NetworkScalar> {
    let network: Network<Scalar>
    var parameters: [Scalar]
    var inputs: Matrix<Scalar>
    let targets: ResolvedTargets<Scalar>
    let engine: Engine<Scalar>
    var baselineSigns: [[Bool]?] = []

    init(network: Network<Scalar>, data: Dataset<Scalar>, targets: ResolvedTargets<Scalar>) throws {
        self.network = network
        self.parameters = network.parameters
        self.inputs = data.inputs
        self.targets = targets
        self.engine = try Engine(network, capacity: data.count)
        _ = try evaluate()
        self.baselineSigns = try signs()
    }

    /// The sign pattern `z > 0` of each layer with a kink, `nil` for the others.
    func signs() throws -> [[Bool]?] {
        try network.shapes.enumerated().map { l, shape in
            guard shape.activation.hasKink else { return nil }
            let z = try engine.preactivations(layer: l)
            return (0..<(inputs.rows * shape.outputSize)).map { z[$0] > 0 }
        }
    }

    func evaluate() throws -> Double {
        try parameters.withUnsafeBufferPointer { p in
            try inputs.elements.withUnsafeBufferPointer { x in
                try targets.withPointer { t in
                    try engine.gradient(parameters: p.baseAddress!, rows: inputs.rows, x: x.baseAddress!,
                                        ldx: inputs.cols, targets: t, grad: nil, dx: nil)
                }
            }
        }
    }

    /// Index of an entry in the parameter vector or the inputs.
    func slot(_ location: ParameterLocation) -> (inParameters: Bool, index: Int) {
        switch location {
        case let .weight(l, r, c):
            let shape = network.shapes[l]
            return (true, shape.weightOffset + r * shape.outputSize + c)
        case let .bias(l, i):
            return (true, network.shapes[l].biasRange.lowerBound + i)
        case let .input(r, c):
            return (false, r * inputs.cols + c)
        }
    }

    mutating func set(_ location: ParameterLocation, to value: Scalar) {
        let (inParameters, index) = slot(location)
        if inParameters { parameters[index] = value } else { inputs.elements[index] = value }
    }

    func get(_ location: ParameterLocation) -> Scalar {
        let (inParameters, index) = slot(location)
        return inParameters ? parameters[index] : inputs.elements[index]
    }

    /// `(L(θ + ε) − L(θ − ε)) / 2ε` at one entry, whether either evaluation
    /// changed a ReLU sign pattern, and the scale S of its rounding noise.
    mutating func centralDifference(at location: ParameterLocation, epsilon: Double) throws -> (Double, Bool, Double) {
        let original = get(location)
        var crossed = false
        set(location, to: original + Scalar(epsilon))
        let plus = try evaluate()
        crossed = try crossed || signs() != baselineSigns
        set(location, to: original - Scalar(epsilon))
        let minus = try evaluate()
        crossed = try crossed || signs() != baselineSigns
        set(location, to: original)
        // Divide by the step actually taken: θ ± ε is rounded to the scalar type.
        let step = Double(original + Scalar(epsilon)) - Double(original - Scalar(epsilon))
        return ((plus - minus) / step, crossed, Swift.max(abs(plus), abs(minus), 1, try outputScale()))
    }

    /// The largest output pre-activation |z| of the last evaluation: a loss
    /// computed from logits (log-sum-exp, log(1 + e^−|z|)) carries rounding
    /// errors of about u·|z|, even when the loss itself is small.
    func outputScale() throws -> Double {
        let last = network.shapes.count - 1
        let z = try engine.preactivations(layer: last)
        var scale = 0.0
        for i in 0..<(inputs.rows * network.shapes[last].outputSize) { scale = Swift.max(scale, abs(Double(z[i]))) }
        return scale
    }
}
