import CKernels

/// The result of comparing backpropagation's gradients with finite differences.
///
/// An entry passes when both gradients are finite and
/// `|analytic − numeric| ≤ atol + rtol·|numeric|` (the element-wise test of
/// PyTorch's `gradcheck`), with `rtol` = ``relativeTolerance`` and `atol` =
/// ``absoluteTolerance``, or, when that is `nil`, the rounding bound at the
/// entry: the finite difference's plus ``roundingTolerance`` times the
/// entry's rounding magnitude (see
/// ``Network/checkGradients(on:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:precision:)``
/// and, for a loss given by a closure,
/// ``Network/checkGradients(inputs:epsilon:relativeTolerance:absoluteTolerance:maxParameters:includeInputs:loss:)``).
/// A NaN or infinite gradient, on either side, is a failure.
public struct GradientCheckReport: Sendable, CustomStringConvertible {
    /// The comparison for one group of parameters: a layer's weights, a
    /// layer's bias, or the inputs.
    public struct Group: Sendable {
        /// "layer 0 weights", "layer 1 bias", "inputs".
        public var name: String
        /// Number of entries compared (kink entries excluded).
        public var checked: Int
        /// Number of compared entries outside the tolerance, non-finite ones included.
        public var failed: Int
        /// Number of compared entries where either gradient is NaN or infinite.
        public var nonFinite: Int
        /// Largest `|analytic − numeric|` (NaN when a gradient is not finite).
        public var maxAbsoluteError: Double
        /// Largest relative error `|analytic − numeric| / max(|analytic|, |numeric|, atol/rtol)`:
        /// magnitudes below `atol/rtol`, where the absolute tolerance governs,
        /// count as `atol/rtol`, so that the rounding noise of a near-zero
        /// gradient does not show as a large relative error. An entry within
        /// the tolerance has a relative error of at most `2·rtol`. (NaN when a
        /// gradient is not finite.)
        public var maxRelativeError: Double
        /// The entry furthest outside its tolerance (the largest
        /// `|analytic − numeric| / (atol + rtol·|numeric|)`; a non-finite one first).
        public var worst: ParameterLocation?
        /// The backpropagated value at `worst`.
        public var analyticAtWorst: Double
        /// The finite-difference value at `worst`.
        public var numericAtWorst: Double
        /// Whether every entry is finite and within the tolerance.
        public var passed: Bool { failed == 0 }
    }

    /// One group per layer's weights and bias, then the inputs.
    public var groups: [Group]
    /// Entries whose finite-difference stencil crossed a ReLU kink (a
    /// pre-activation changed sign between evaluations): the loss is not
    /// differentiable there, so they are listed, not judged. In a `.float`
    /// check, also the entries whose gradient passes through a ReLU or
    /// leaky-ReLU pre-activation that the float forward pass puts on the
    /// other side of 0 than the double one.
    public var kinks: [ParameterLocation]
    /// The step of the finite differences.
    public var epsilon: Double
    /// `rtol`: the error allowed in proportion to the numeric gradient.
    public var relativeTolerance: Double
    /// `atol`: the error allowed at every entry; `nil` means the rounding
    /// bound at each entry (the finite difference's, plus
    /// ``roundingTolerance`` times the entry's rounding magnitude).
    public var absoluteTolerance: Double?
    /// The arithmetic whose backpropagated gradients were checked.
    public var precision: GradientCheckPrecision
    /// `τ = 32u·√K`: the rounding allowed for backpropagation in
    /// ``precision`` (unit roundoff u, sums of up to K terms), in units of
    /// each entry's rounding magnitude E (the sum of the absolute values of
    /// the terms behind it, errors carried along); `τ·E` is part of the
    /// default `atol`.
    public var roundingTolerance: Double
    /// Why the check failed regardless of the errors (for example: every
    /// gradient is zero, which would make any comparison pass vacuously).
    public var failure: String?

    /// Whether every group passed and nothing made the check vacuous.
    public var passed: Bool { failure == nil && groups.allSatisfy(\.passed) }

    /// The largest relative error over all groups (NaN when a gradient is not finite).
    public var maxRelativeError: Double {
        groups.contains { $0.maxRelativeError.isNaN } ? .nan : groups.map(\.maxRelativeError).max() ?? 0
    }

    /// The verdict with the precision and tolerances, then a line per
    /// group (entries checked, largest errors, the worst entry) and the
    /// entries at a kink.
    public var description: String {
        let atol = absoluteTolerance.map { "\($0)" }
            ?? "each difference's rounding bound + \(roundingTolerance) × its rounding magnitude"
        var lines = ["gradient check in \(precision) (ε = \(epsilon), rtol \(relativeTolerance), atol \(atol)): "
                     + (passed ? "PASSED" : "FAILED")]
        for g in groups {
            let worst = g.worst.map { ", worst at \($0) (analytic \(g.analyticAtWorst), numeric \(g.numericAtWorst))" } ?? ""
            var verdict = "within tolerance"
            if !g.passed {
                var counts = ["\(g.failed) of \(g.checked) outside the tolerance"]
                if g.nonFinite > 0 { counts.append("\(g.nonFinite) not finite") }
                verdict = "FAIL (" + counts.joined(separator: ", ") + ")"
            }
            lines.append("  \(g.name): \(g.checked) checked, max abs error \(g.maxAbsoluteError), "
                         + "max rel error \(g.maxRelativeError)\(worst): \(verdict)")
        }
        if !kinks.isEmpty {
            lines.append("  at a ReLU kink (not judged): " + kinks.prefix(20).map(\.description).joined(separator: ", ")
                         + (kinks.count > 20 ? ", … (\(kinks.count) in all)" : ""))
        }
        if let failure { lines.append("  failure: \(failure)") }
        return lines.joined(separator: "\n")
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
