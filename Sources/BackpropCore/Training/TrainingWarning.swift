import Foundation

/// A sign that training failed although every number stayed finite (a
/// non-finite loss ends training: ``StopReason/nonFiniteLoss(epoch:)``).
public enum TrainingWarning: Sendable, Equatable, CustomStringConvertible {
    /// The last epoch's training loss is more than twice the first epoch's:
    /// gradient descent overshoots (typically the learning rate is too large
    /// for the data) and training diverged.
    case lossIncreased(first: Double, last: Double)
    /// The last epoch's training loss is no better (within 1 %) than
    /// `baseline`, the loss of predicting the same for every row (see
    /// ``ConstantBaseline``): the network has learned nothing from its inputs.
    case noBetterThanConstant(last: Double, baseline: Double)
    /// The accuracy is no better than `majorityRate`, that of always
    /// predicting the most frequent class.
    case chanceAccuracy(accuracy: Double, majorityRate: Double)

    /// The warning in words, with a hint of what to try.
    public var description: String {
        switch self {
        case let .lossIncreased(first, last):
            return "the training loss rose from \(Self.short(first)) in the first epoch to \(Self.short(last)) in the last: "
                + "training diverged (the learning rate is probably too large)"
        case let .noBetterThanConstant(last, baseline):
            return "the final training loss \(Self.short(last)) is no better than \(Self.short(baseline)), the loss of "
                + "predicting the same for every row (the class frequencies, or the mean): the network learned nothing from its inputs"
        case let .chanceAccuracy(accuracy, majorityRate):
            return "the accuracy \(Self.percent(accuracy)) is no better than always predicting the most frequent class "
                + "(\(Self.percent(majorityRate)))"
        }
    }

    private static func short(_ x: Double) -> String { String(format: "%.4g", x) }
    private static func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
}

extension TrainingReport {
    /// The warnings this run deserves, judged from its training loss history
    /// against the training data's constant baseline (and, when given, an
    /// accuracy on the same data):
    ///
    /// - ``TrainingWarning/lossIncreased(first:last:)`` when the last epoch's
    ///   loss is more than twice the first's (and, with a baseline, above 1 %
    ///   of it: among losses that small, a converged fit's epoch-to-epoch
    ///   noise may double harmlessly);
    /// - ``TrainingWarning/noBetterThanConstant(last:baseline:)`` when the last
    ///   loss is at least 99 % of a positive baseline loss;
    /// - ``TrainingWarning/chanceAccuracy(accuracy:majorityRate:)`` when
    ///   `accuracy` is at most the baseline's majority rate (below 1).
    ///
    /// No epoch, no warning. `train` stores the result in ``warnings``.
    /// - Parameters:
    ///   - baseline: the training data's ``ConstantBaseline`` (see
    ///     ``Network/constantBaseline(on:)``); `nil` compares the history
    ///     with itself only.
    ///   - accuracy: the trained network's accuracy on the same data, if known.
    public func diagnosis(baseline: ConstantBaseline?, accuracy: Double? = nil) -> [TrainingWarning] {
        guard let first = trainingLoss.first, let last = trainingLoss.last else { return [] }
        var warnings: [TrainingWarning] = []
        if last > Self.risingFactor * first && last > 0.01 * (baseline?.loss ?? 0) {
            warnings.append(.lossIncreased(first: first, last: last))
        }
        if let baseline, baseline.loss > 0, last >= Self.constantFraction * baseline.loss {
            warnings.append(.noBetterThanConstant(last: last, baseline: baseline.loss))
        }
        if let accuracy, let majority = baseline?.majorityRate, majority < 1, accuracy <= majority {
            warnings.append(.chanceAccuracy(accuracy: accuracy, majorityRate: majority))
        }
        return warnings
    }

    /// A last loss this many times the first is ``TrainingWarning/lossIncreased(first:last:)``.
    static let risingFactor = 2.0
    /// A last loss at least this fraction of the baseline is ``TrainingWarning/noBetterThanConstant(last:baseline:)``.
    static let constantFraction = 0.99

    /// Whether ``diagnosis(baseline:accuracy:)`` without an accuracy could
    /// warn, given that the baseline is at most `bound` (`nil`: unknown):
    /// when it could not, the pass over the data that finds the baseline
    /// is not needed.
    func mayWarn(baselineAtMost bound: Double?) -> Bool {
        guard let first = trainingLoss.first, let last = trainingLoss.last else { return false }
        return last > Self.risingFactor * first || bound.map { last >= Self.constantFraction * $0 } ?? true
    }
}

extension Network {
    /// An upper bound of ``constantBaseline(on:)`` known without the data:
    /// the entropy of k classes is at most log k (categorical
    /// cross-entropy), a binary entropy at most log 2 (binary
    /// cross-entropy); mean squared error has none.
    var constantBaselineBound: Double? {
        switch loss {
        case .meanSquaredError: return nil
        case .binaryCrossEntropy: return log(2)
        case .categoricalCrossEntropy: return log(Double(classCount))
        }
    }
}
