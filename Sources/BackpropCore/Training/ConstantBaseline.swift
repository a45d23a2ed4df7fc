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

extension Network {
    /// The ``ConstantBaseline`` of `data` for this network's loss, with the
    /// targets read as the loss reads them (labels become one-hot rows, or
    /// 0/1 for a single output). It takes one or two passes over the targets.
    /// - Throws: ``BackpropError`` for data that does not fit the network.
    public func constantBaseline(on data: Dataset<Scalar>) throws -> ConstantBaseline {
        constantBaseline(of: try resolve(data), count: data.count)
    }

    /// ``constantBaseline(on:)`` of `n` targets already resolved.
    func constantBaseline(of resolved: ResolvedTargets<Scalar>, count n: Int) -> ConstantBaseline {
        let k = outputSize
        // Column sums of the targets, and the count of each true class.
        var sums = [Double](repeating: 0, count: k)
        var classCounts = [Int](repeating: 0, count: classCount)
        switch resolved {
        case let .labels(labels):
            for label in labels { sums[label] += 1; classCounts[label] += 1 }
        case let .dense(values):
            let classification = loss.isClassification
            for i in 0..<n {
                for j in 0..<k { sums[j] += Double(values[i * k + j]) }
                if classification { classCounts[Self.classOfRow(i, of: values, columns: k)] += 1 }
            }
        }
        let means = sums.map { $0 / Double(n) }
        let baseline: Double
        switch loss {
        case .meanSquaredError:
            // A second, centred pass: E[y²] − ȳ² would cancel for large means.
            var variances = [Double](repeating: 0, count: k)
            if case let .dense(values) = resolved {
                for i in 0..<n { for j in 0..<k { let d = Double(values[i * k + j]) - means[j]; variances[j] += d * d } }
            }
            baseline = variances.reduce(0, +) / Double(n * k)
        case .binaryCrossEntropy:
            baseline = means.map { p in -xLogX(p) - xLogX(1 - p) }.reduce(0, +) / Double(k)
        case .categoricalCrossEntropy:
            let total = means.reduce(0, +)
            baseline = total > 0 ? -means.map { xLogX($0 / total) * total }.reduce(0, +) : 0
        }
        let majority = loss.isClassification ? Double(classCounts.max() ?? 0) / Double(n) : nil
        return ConstantBaseline(loss: Swift.max(0, baseline), majorityRate: majority)
    }
}

/// `x log x`, 0 at 0.
private func xLogX(_ x: Double) -> Double { x > 0 ? x * log(x) : 0 }
