/// What a network should output for each sample.
///
/// - `values`: an `n × outputSize` matrix: regression targets, 0/1 targets
///   for binary cross-entropy, or one-hot (or probability) rows for
///   categorical cross-entropy.
/// - `labels`: `n` integer class labels. With categorical cross-entropy they
///   are used directly (no one-hot matrix is built); with a single sigmoid
///   output, label 0 or 1 is the target value; otherwise each label becomes
///   a one-hot row.
public enum Targets<Scalar: NetworkScalar>: Sendable, Equatable {
    /// Dense targets, `n × outputSize`.
    case values(Matrix<Scalar>)
    /// Class indices in `0 ..< classes`.
    case labels([Int])

    /// Number of samples.
    public var count: Int {
        switch self {
        case let .values(m): return m.rows
        case let .labels(l): return l.count
        }
    }
}

/// Targets checked against a network and converted to what the loss kernel
/// takes: dense `n × outputSize` values, or labels (categorical
/// cross-entropy only).
enum ResolvedTargets<Scalar: NetworkScalar> {
    case dense([Scalar])
    case labels([Int])
}
