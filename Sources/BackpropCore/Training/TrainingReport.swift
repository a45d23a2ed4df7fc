/// The history of one `train` call.
public struct TrainingReport: Sendable, Equatable {
    /// Training loss per completed epoch (see ``EpochSummary/trainingLoss``).
    public var trainingLoss: [Double] = []
    /// Validation loss per completed epoch; `nil` without validation data.
    public var validationLoss: [Double]?
    /// Validation accuracy per completed epoch; `nil` without validation data
    /// or for mean squared error.
    public var validationAccuracy: [Double]?
    /// The 1-based epoch with the lowest validation loss (training loss
    /// without validation data); `nil` if no epoch completed.
    public var bestEpoch: Int?
    /// Why training ended.
    public var stopReason: StopReason = .completed
    /// Wall-clock time of the whole call (of the whole run, for a resumed one).
    public var wallTime: Duration = .zero
    /// The run saved where it stopped, when it stopped before its last
    /// epoch (interrupted, or stopped by the callback): resume it with
    /// ``Network/train(on:resumingFrom:validation:interruption:onEpoch:checkpointEvery:onCheckpoint:)``.
    /// `nil` when every epoch ran or the loss diverged.
    public var checkpoint: TrainingCheckpoint?
    /// Signs that training failed although it stayed finite: the loss rose
    /// far above where it started, or ended no better than a constant
    /// prediction (see ``diagnosis(baseline:accuracy:)``). Empty when the
    /// run looked healthy.
    public var warnings: [TrainingWarning] = []

    /// A report with the given history (for tools that train epoch by epoch
    /// and assemble one report, like the `backprop` command).
    public init(trainingLoss: [Double] = [], validationLoss: [Double]? = nil,
                validationAccuracy: [Double]? = nil, bestEpoch: Int? = nil,
                stopReason: StopReason = .completed, wallTime: Duration = .zero,
                warnings: [TrainingWarning] = []) {
        self.trainingLoss = trainingLoss
        self.validationLoss = validationLoss
        self.validationAccuracy = validationAccuracy
        self.bestEpoch = bestEpoch
        self.stopReason = stopReason
        self.wallTime = wallTime
        self.warnings = warnings
    }

    /// Number of epochs that completed.
    public var epochsCompleted: Int { trainingLoss.count }

    mutating func record(_ summary: EpochSummary) {
        trainingLoss.append(summary.trainingLoss)
        if let v = summary.validationLoss {
            if validationLoss == nil { validationLoss = [] }
            validationLoss!.append(v)
        }
        if let a = summary.validationAccuracy {
            if validationAccuracy == nil { validationAccuracy = [] }
            validationAccuracy!.append(a)
        }
        let current = summary.validationLoss ?? summary.trainingLoss
        let series = validationLoss ?? trainingLoss
        if let best = bestEpoch, series[best - 1] <= current { return }
        bestEpoch = summary.epoch
    }

    /// The 1-based position of the first smallest value (`nil` if empty).
    static func bestEpoch(of series: [Double]) -> Int? {
        var best: Int?
        for (i, value) in series.enumerated() where best.map({ value < series[$0 - 1] }) ?? true { best = i + 1 }
        return best
    }
}
