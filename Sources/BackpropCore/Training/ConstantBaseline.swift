import Foundation

/// What predicting the same thing for every row achieves on a data set:
/// the yardstick for "the network learned nothing from its inputs".
///
/// The loss is the lowest mean loss of any constant prediction `q`:
/// - mean squared error: `(1/k) Σ_j Var(y_j)` (q = each column's mean; 1 for
///   standardized targets);
/// - binary cross-entropy: `(1/k) Σ_j H(ȳ_j)` with the binary entropy
///   `H(p) = −p log p − (1 − p) log(1 − p)` (q = each column's mean, the
///   class frequency for 0/1 targets);
/// - categorical cross-entropy: `−Σ_j ȳ_j log(ȳ_j / Σ_m ȳ_m)`, the entropy of
///   the class frequencies for one-hot targets or labels (q = those
///   frequencies), at most `log k`.
public struct ConstantBaseline: Sendable, Equatable {
    /// The lowest mean loss of a constant prediction (≥ 0).
    public var loss: Double
    /// For classification losses, the fraction of rows in the most frequent
    /// class: the accuracy of always predicting it. `nil` for mean squared error.
    public var majorityRate: Double?

    /// A baseline with known values.
    public init(loss: Double, majorityRate: Double? = nil) {
        self.loss = loss
        self.majorityRate = majorityRate
    }
}
