import CKernels

extension Network {
    /// Compares the gradients of ``gradients(on:)`` with central finite
    /// differences of the loss, `(L(θ + ε) − L(θ − ε)) / 2ε`, entry by entry.
    ///
    /// An entry passes when both values are finite and
    /// `|analytic − numeric| ≤ atol + rtol·|numeric|`, as in PyTorch's
    /// `gradcheck`. The absolute term covers the finite difference's own
    /// rounding noise, which no relative tolerance can: by default (`atol`
    /// `nil`) it is the bound `ν = 4u·S̄/ε` of that noise at the entry
    /// (u = 2⁻⁵³), where `S̄ = Σ S_i / n` over the rows the entry affects
    /// (all n rows for a parameter, its own row for an input) and
    /// `S_i = max(|ℓ_i(θ+ε)|, |ℓ_i(θ−ε)|, 1, max_j |z_ij|)` is the scale of
    /// row i's loss terms (O(1) probabilities and targets, or the output
    /// logits z that log-sum-exp works on): ν ≈ 4.4·10⁻¹⁰ for ε = 10⁻⁶ when
    /// every term is at most 1.
    ///
    /// The numeric gradient is formed row by row,
    /// `Σ_i (ℓ_i(θ+ε) − ℓ_i(θ−ε)) / (2ε·n)` with `L = Σ_i ℓ_i / n`, so the
    /// rounding of the batch sum (which grows with the number of rows n)
    /// never enters the difference: the bound, and with it the test, holds
    /// for a batch of any size.
    ///
    /// The check fails, whatever the errors, when every compared gradient
    /// (analytic and numeric) is zero (such a check proves nothing), and
    /// when any gradient is NaN or infinite.
    ///
    /// - Parameters:
    ///   - data: the batch whose mean loss is differentiated.
    ///   - epsilon: the finite-difference step (default 10⁻⁶).
    ///   - relativeTolerance: `rtol` (default 10⁻⁶; finite, > 0).
    ///   - absoluteTolerance: `atol` (finite, ≥ 0); `nil` (the default)
    ///     uses the rounding bound ν of each entry's finite difference.
    ///   - maxParameters: compare at most this many entries, sampled at random
    ///     (seeded, so reproducible) from all weights, biases and inputs;
    ///     `nil` compares all of them.
    ///   - includeInputs: also check `dL/dX`.
    /// - Throws: ``BackpropError`` for invalid data or settings.
    public func checkGradients(
        on data: Dataset<Scalar>, epsilon: Double = 1e-6, relativeTolerance: Double = 1e-6,
        absoluteTolerance: Double? = nil, maxParameters: Int? = nil, includeInputs: Bool = true
    ) throws -> GradientCheckReport {
        guard epsilon.isFinite, epsilon > 0 else {
            throw BackpropError.invalidHyperparameter(name: "epsilon", value: "\(epsilon)", expected: "finite and > 0")
        }
        guard relativeTolerance.isFinite, relativeTolerance > 0 else {
            throw BackpropError.invalidHyperparameter(name: "relativeTolerance", value: "\(relativeTolerance)",
                                                      expected: "finite and > 0")
        }
        if let absoluteTolerance, !(absoluteTolerance.isFinite && absoluteTolerance >= 0) {
            throw BackpropError.invalidHyperparameter(name: "absoluteTolerance", value: "\(absoluteTolerance)",
                                                      expected: "finite and ≥ 0, or nil")
        }
        if let maxParameters, maxParameters < 1 {
            throw BackpropError.invalidHyperparameter(name: "maxParameters", value: "\(maxParameters)", expected: "≥ 1 or nil")
        }
        // Gradient checks run in double precision: a Float network is
        // checked through its exact Double conversion (every Float is a Double).
        let network = try (self as? Network<Double>) ?? converted(to: Double.self)
        let batch = (data as? Dataset<Double>) ?? data.converted(to: Double.self)
        return try network.checkGradients(on: batch, analytic: try network.gradients(on: batch), epsilon: epsilon,
                                          relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                                          maxParameters: maxParameters, includeInputs: includeInputs)
    }

    /// ``checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:)`` with dense targets.
    public func checkGradients(
        inputs: Matrix<Scalar>, targets: Matrix<Scalar>, epsilon: Double = 1e-6,
        relativeTolerance: Double = 1e-6, absoluteTolerance: Double? = nil, maxParameters: Int? = nil
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, targets: targets), epsilon: epsilon,
                           relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                           maxParameters: maxParameters)
    }

    /// ``checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:)`` with class labels.
    public func checkGradients(
        inputs: Matrix<Scalar>, labels: [Int], epsilon: Double = 1e-6,
        relativeTolerance: Double = 1e-6, absoluteTolerance: Double? = nil, maxParameters: Int? = nil
    ) throws -> GradientCheckReport {
        try checkGradients(on: Dataset(inputs: inputs, labels: labels), epsilon: epsilon,
                           relativeTolerance: relativeTolerance, absoluteTolerance: absoluteTolerance,
                           maxParameters: maxParameters)
    }
}

extension Network where Scalar == Double {
    /// The comparison behind `checkGradients(on:...)`, with the analytic
    /// gradients given (tests feed it deliberately wrong ones).
    func checkGradients(
        on data: Dataset<Double>, analytic: Gradients<Double>, epsilon: Double, relativeTolerance: Double,
        absoluteTolerance: Double?, maxParameters: Int?, includeInputs: Bool
    ) throws -> GradientCheckReport {
        let targets = try resolve(data)

        // Every entry that can be checked, in a fixed order.
        var entries: [ParameterLocation] = []
        for (l, layer) in shapes.enumerated() {
            for r in 0..<layer.inputSize { for c in 0..<layer.outputSize { entries.append(.weight(layer: l, row: r, column: c)) } }
            for j in 0..<layer.outputSize { entries.append(.bias(layer: l, index: j)) }
        }
        if includeInputs {
            for r in 0..<data.count { for c in 0..<inputSize { entries.append(.input(row: r, column: c)) } }
        }
        if let maxParameters, entries.count > maxParameters {
            var order = Array(entries.indices)
            try RandomSource(seed: 0x6772_6164).shuffle(&order)   // fixed seed: reproducible samples
            entries = order.prefix(maxParameters).sorted().map { entries[$0] }
        }

        var probe = try LossProbe(network: self, data: data, targets: targets)
        var judged: [(location: ParameterLocation, analytic: Double, numeric: Double, atol: Double)] = []
        var kinks: [ParameterLocation] = []
        let unitRoundoff = Double.ulpOfOne / 2
        for entry in entries {
            let difference = try probe.centralDifference(at: entry, epsilon: epsilon)
            if difference.crossedKink { kinks.append(entry); continue }
            judged.append((entry, analytic.value(at: entry), difference.value,
                           absoluteTolerance ?? 4 * unitRoundoff * difference.scale / epsilon))
        }

        var groups: [GradientCheckReport.Group] = []
        func group(named name: String, where belongs: (ParameterLocation) -> Bool) {
            var g = GradientCheckReport.Group(name: name, checked: 0, failed: 0, nonFinite: 0, maxAbsoluteError: 0,
                                              maxRelativeError: 0, worst: nil, analyticAtWorst: 0, numericAtWorst: 0)
            var worstExcess = -Double.infinity
            for entry in judged where belongs(entry.location) {
                let a = entry.analytic, n = entry.numeric
                let absError = abs(a - n)
                let allowed = entry.atol + relativeTolerance * abs(n)
                // NaN and infinity rank above every finite excess.
                let excess = a.isFinite && n.isFinite ? absError / allowed : .infinity
                let denominator = Swift.max(abs(a), abs(n), entry.atol / relativeTolerance)
                let relError = a.isFinite && n.isFinite ? (denominator > 0 ? absError / denominator : 0) : .nan
                g.checked += 1
                if !(a.isFinite && n.isFinite) {
                    g.nonFinite += 1
                    g.failed += 1
                } else if absError > allowed {
                    g.failed += 1
                }
                g.maxAbsoluteError = g.maxAbsoluteError.isNaN || absError.isNaN ? .nan : Swift.max(g.maxAbsoluteError, absError)
                g.maxRelativeError = g.maxRelativeError.isNaN || relError.isNaN ? .nan : Swift.max(g.maxRelativeError, relError)
                if excess > worstExcess {
                    worstExcess = excess
                    g.worst = entry.location; g.analyticAtWorst = a; g.numericAtWorst = n
                }
            }
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
        } else if judged.contains(where: { !$0.analytic.isFinite || !$0.numeric.isFinite }) {
            failure = "non-finite gradients (the loss or a gradient overflows at these parameters)"
        } else if judged.allSatisfy({ $0.analytic == 0 && $0.numeric == 0 }) {
            failure = "every analytic and numeric gradient is zero: the check would pass vacuously"
        }
        return GradientCheckReport(groups: groups, kinks: kinks, epsilon: epsilon, relativeTolerance: relativeTolerance,
                                   absoluteTolerance: absoluteTolerance, failure: failure)
    }
}

/// Evaluates the per-row losses with one entry perturbed, on a private copy
/// of the parameters and inputs, and watches the sign pattern of every
/// ReLU-family layer to detect kink crossings.
private struct LossProbe {
    let network: Network<Double>
    var parameters: [Double]
    var inputs: Matrix<Double>
    let targets: ResolvedTargets<Double>
    let engine: Engine<Double>
    /// The loss kernel and whether it reads the logits (fused) or the outputs.
    let loss: (kind: bp_loss, onLogits: Bool)
    /// The outputs of the last forward pass (`rows × outputSize`).
    var outputs: [Double]
    var baselineSigns: [[Bool]?] = []

    /// One evaluation: each row's loss ℓ_i (the batch loss is their mean)
    /// and the scale of its rounding, `max(|ℓ_i|, 1, max_j |z_ij|)`.
    struct Rows {
        var losses: [Double]
        var scales: [Double]
    }

    init(network: Network<Double>, data: Dataset<Double>, targets: ResolvedTargets<Double>) throws {
        self.network = network
        self.parameters = network.parameters
        self.inputs = data.inputs
        self.targets = targets
        self.engine = try Engine(network, capacity: data.count)
        self.loss = network.loss.kernel(for: network.shapes[network.shapes.count - 1].activation)
        self.outputs = [Double](repeating: 0, count: data.count * network.outputSize)
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

    /// A forward pass, then the loss kernel on every row by itself.
    mutating func evaluate() throws -> Rows {
        let rows = inputs.rows, width = network.outputSize
        try parameters.withUnsafeBufferPointer { p in
            try inputs.elements.withUnsafeBufferPointer { x in
                try outputs.withUnsafeMutableBufferPointer { o in
                    try engine.forward(parameters: p.baseAddress!, rows: rows, x: x.baseAddress!, ldx: inputs.columns,
                                       out: o.baseAddress!)
                }
            }
        }
        let logits = try engine.preactivations(layer: network.shapes.count - 1)
        var result = Rows(losses: [Double](repeating: 0, count: rows), scales: [Double](repeating: 1, count: rows))
        try outputs.withUnsafeBufferPointer { o in
            try targets.withPointer { t in
                let predictions = loss.onLogits ? logits : o.baseAddress!
                for i in 0..<rows {
                    var value = 0.0
                    let row = predictions + i * width
                    if let labels = t.labels {
                        try check(bp_loss_compute_labels(loss.kind, 1, width, row, labels + i, &value, nil),
                                  "bp_loss_compute_labels")
                    } else {
                        try check(bp_loss_compute(loss.kind, 1, width, row, t.values! + i * width, &value, nil),
                                  "bp_loss_compute")
                    }
                    var scale = Swift.max(1, abs(value))
                    for j in 0..<width { scale = Swift.max(scale, abs(logits[i * width + j])) }
                    result.losses[i] = value
                    result.scales[i] = scale
                }
            }
        }
        return result
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
            return (false, r * inputs.columns + c)
        }
    }

    mutating func set(_ location: ParameterLocation, to value: Double) {
        let (inParameters, index) = slot(location)
        if inParameters { parameters[index] = value } else { inputs.elements[index] = value }
    }

    func get(_ location: ParameterLocation) -> Double {
        let (inParameters, index) = slot(location)
        return inParameters ? parameters[index] : inputs.elements[index]
    }

    /// `Σ_i (ℓ_i(θ + ε) − ℓ_i(θ − ε)) / (2ε·n)` at one entry, whether either
    /// evaluation changed a ReLU sign pattern, and the rounding scale S̄:
    /// `Σ S_i / n` over the rows the entry affects (every row for a
    /// parameter, its own row for an input, whose difference alone is
    /// nonzero).
    mutating func centralDifference(at location: ParameterLocation, epsilon: Double)
        throws -> (value: Double, crossedKink: Bool, scale: Double) {
        let original = get(location)
        set(location, to: original + epsilon)
        let plus = try evaluate()
        var crossed = try signs() != baselineSigns
        set(location, to: original - epsilon)
        let minus = try evaluate()
        crossed = try crossed || signs() != baselineSigns
        set(location, to: original)
        // Divide by the step actually taken: θ ± ε is rounded.
        let step = (original + epsilon) - (original - epsilon)
        let rows: Range<Int>
        if case let .input(r, _) = location { rows = r ..< r + 1 } else { rows = 0 ..< inputs.rows }
        var difference = 0.0, scale = 0.0
        for i in rows {
            difference += plus.losses[i] - minus.losses[i]
            scale += Swift.max(plus.scales[i], minus.scales[i])
        }
        // S̄ is over all n rows: an input's row is the only one whose terms differ.
        let n = Double(inputs.rows)
        return (difference / (step * n), crossed, scale / n)
    }
}
