extension Network where Scalar == Double {
    /// Compares `analytic` with the central differences of `loss` on this
    /// (reference) network, entry by entry, and groups the results.
    ///
    /// - Parameters:
    ///   - kernelSigns: the ReLU sign patterns of the forward pass that
    ///     computed `analytic`, when it is not this network's own (entries
    ///     that pattern decides otherwise than the reference's are set aside
    ///     as kinks); `nil` when `analytic` came from this network.
    ///   - unitRoundoff: the unit roundoff of the arithmetic that computed
    ///     `analytic` (the `u_p` of the tolerance `τ`).
    func compareGradients(_ analytic: Gradients<Double>, loss: CheckedLoss, inputs: Matrix<Double>,
                          kernelSigns: [[Bool]?]?, unitRoundoff: Double,
                          settings: GradientCheckSettings) throws -> GradientCheckReport {
        var probe = try LossProbe(network: self, inputs: inputs, loss: loss)
        let disagreements = kernelSigns.map {
            BranchDisagreements(kernel: $0, reference: probe.baselineSigns, shapes: shapes)
        }

        // The central differences, with the rounding bound ν of each.
        var compared: [(location: ParameterLocation, analytic: Double, numeric: Double, bound: Double)] = []
        var kinks: [ParameterLocation] = []
        let unitRoundoffOfDifferences = Double.ulpOfOne / 2
        for entry in try checkedEntries(rows: inputs.rows, settings: settings) {
            if disagreements?.contains(entry) == true { kinks.append(entry); continue }
            let difference = try probe.centralDifference(at: entry, epsilon: settings.epsilon)
            if difference.crossedKink { kinks.append(entry); continue }
            compared.append((entry, analytic.value(at: entry), difference.value,
                             4 * unitRoundoffOfDifferences * difference.scale / settings.epsilon))
        }

        // Backpropagation's rounding: τ = 32u·√K times each entry's rounding magnitude E.
        let widest = shapes.reduce(inputSize) { Swift.max($0, $1.outputSize) }
        let longestSum = Swift.max(inputs.rows, widest)
        let roundingTolerance = 32 * unitRoundoff * Double(longestSum).squareRoot()
        let bounds = settings.absoluteTolerance == nil ? try roundingBounds(inputs: inputs, loss: loss) : nil
        let judged = compared.map { entry in
            var atol = settings.absoluteTolerance ?? entry.bound
            if let bounds {
                // A magnitude that overflows allows nothing rather than everything.
                let allowance = roundingTolerance * bounds.value(at: entry.location)
                atol += allowance.isFinite ? allowance : 0
            }
            return (location: entry.location, analytic: entry.analytic, numeric: entry.numeric, atol: atol)
        }

        var groups: [GradientCheckReport.Group] = []
        func group(named name: String, where belongs: (ParameterLocation) -> Bool) {
            var g = GradientCheckReport.Group(name: name, checked: 0, failed: 0, nonFinite: 0, maxAbsoluteError: 0,
                                              maxRelativeError: 0, worst: nil, analyticAtWorst: 0, numericAtWorst: 0)
            var worstExcess = -Double.infinity
            for entry in judged where belongs(entry.location) {
                let a = entry.analytic, n = entry.numeric
                let absError = abs(a - n)
                let allowed = entry.atol + settings.relativeTolerance * abs(n)
                // NaN and infinity rank above every finite excess.
                let excess = a.isFinite && n.isFinite ? absError / allowed : .infinity
                let denominator = Swift.max(abs(a), abs(n), entry.atol / settings.relativeTolerance)
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
        return GradientCheckReport(groups: groups, kinks: kinks, epsilon: settings.epsilon,
                                   relativeTolerance: settings.relativeTolerance,
                                   absoluteTolerance: settings.absoluteTolerance, precision: settings.precision,
                                   roundingTolerance: roundingTolerance, failure: failure)
    }

    /// Every entry that can be checked, in a fixed order, or a seeded sample
    /// of `maxParameters` of them (in that order).
    func checkedEntries(rows: Int, settings: GradientCheckSettings) throws -> [ParameterLocation] {
        var entries: [ParameterLocation] = []
        for (l, layer) in shapes.enumerated() {
            for r in 0..<layer.inputSize { for c in 0..<layer.outputSize { entries.append(.weight(layer: l, row: r, column: c)) } }
            for j in 0..<layer.outputSize { entries.append(.bias(layer: l, index: j)) }
        }
        if settings.includeInputs {
            for r in 0..<rows { for c in 0..<inputSize { entries.append(.input(row: r, column: c)) } }
        }
        if let maxParameters = settings.maxParameters, entries.count > maxParameters {
            var order = Array(entries.indices)
            try RandomSource(seed: 0x6772_6164).shuffle(&order)   // fixed seed: reproducible samples
            entries = order.prefix(maxParameters).sorted().map { entries[$0] }
        }
        return entries
    }
}

/// The ReLU and leaky-ReLU units that two forward passes of the same
/// network (the kernels under test and the double reference) put on
/// different sides of 0, and the entries whose gradient passes through
/// them: the unit's incoming weights and bias, every parameter of the
/// layers below it (they reach the loss through it), and the inputs of the
/// row where it happens. The derivative there is 0 in one pass and 1 (or
/// the leak slope) in the other: an O(1) difference that is no error of
/// either.
struct BranchDisagreements {
    /// Per layer, the units that differ (in any row).
    private var units: [Set<Int>]
    /// The rows where any unit differs.
    private var rows: Set<Int> = []
    /// The deepest layer with a difference (−1 for none).
    private var deepest = -1

    init(kernel: [[Bool]?], reference: [[Bool]?], shapes: [LayerShape]) {
        units = Array(repeating: [], count: shapes.count)
        for (l, shape) in shapes.enumerated() {
            guard let kernelSigns = kernel[l], let referenceSigns = reference[l] else { continue }
            for index in kernelSigns.indices where kernelSigns[index] != referenceSigns[index] {
                units[l].insert(index % shape.outputSize)
                rows.insert(index / shape.outputSize)
                deepest = Swift.max(deepest, l)
            }
        }
    }

    /// Whether the entry's gradient passes through a unit that differs.
    func contains(_ location: ParameterLocation) -> Bool {
        switch location {
        case let .weight(l, _, c): return l < deepest || units[l].contains(c)
        case let .bias(l, j): return l < deepest || units[l].contains(j)
        case let .input(r, _): return rows.contains(r)
        }
    }
}
