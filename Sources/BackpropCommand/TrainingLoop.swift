import Backprop

/// Trains a network with the command's progress display: one library
/// `train` call whose callbacks draw the progress line and write the
/// periodic checkpoints, interruptible by a signal.
struct TrainingLoop {
    var epochs: Int
    var learningRate: Double
    var batchSize: Int?
    var schedule: LearningRateSchedule = .constant
    var regularization: Regularization = .none
    var earlyStopping: EarlyStopping?
    var progress: ProgressReporter
    /// Called with a checkpoint of the run after every `checkpointEvery` epochs.
    var checkpointEvery: Int?
    var checkpoint: ((TrainingCheckpoint) throws -> Void)?
    /// Stops training at the next step when requested (see ``SignalInterruption``).
    var interruption: TrainingInterruption?
    /// The name of the validation set in progress lines ("val", "test").
    var validationName = "val"

    /// What happened, epoch by epoch.
    struct History {
        var training: [Double] = []
        var validation: [Double]?
        var validationAccuracy: [Double]?
        var elapsed: Duration = .zero
        /// Where an interrupted run stopped (`nil`: every epoch ran, or
        /// early stopping ended the run).
        var interrupted: TrainingCheckpoint?
        /// Why training ended.
        var stopReason: StopReason = .completed
    }

    /// Runs all epochs, or the rest of those of `resuming`.
    /// - Throws: `UserError` when the loss becomes non-finite (the network
    ///   keeps its last finite parameters, but it is not saved), or any
    ///   error of the data or the checkpoint.
    func run(_ network: inout Network<Double>, on train: Dataset<Double>, validation: Dataset<Double>?,
             resuming: TrainingCheckpoint? = nil) throws -> History {
        defer { progress.finish() }
        let onEpoch = { (summary: EpochSummary) -> TrainingAction in
            var metric: String?
            if let accuracy = summary.validationAccuracy {
                metric = "\(validationName) acc \(Format.percent(accuracy))"
            } else if let loss = summary.validationLoss {
                metric = "\(validationName) loss \(Format.loss(loss))"
            }
            progress.update(epoch: summary.epoch, loss: summary.trainingLoss, metric: metric, elapsed: summary.elapsed)
            return .continue
        }
        let report: TrainingReport
        if let resuming {
            report = try network.train(on: train, resumingFrom: resuming, validation: validation,
                                       interruption: interruption, onEpoch: onEpoch,
                                       checkpointEvery: checkpointEvery, onCheckpoint: checkpoint)
        } else {
            report = try network.train(on: train, epochs: epochs, learningRate: learningRate, batchSize: batchSize,
                                       validation: validation, schedule: schedule, regularization: regularization,
                                       earlyStopping: earlyStopping, interruption: interruption, onEpoch: onEpoch,
                                       checkpointEvery: checkpointEvery, onCheckpoint: checkpoint)
        }
        if case let .nonFiniteLoss(epoch) = report.stopReason {
            progress.finish()
            throw UserError("training diverged in epoch \(epoch): the loss became NaN or infinite; "
                            + "the learning rate \(learningRate) is too large for this data, try a smaller --learning-rate")
        }
        return History(training: report.trainingLoss, validation: report.validationLoss,
                       validationAccuracy: report.validationAccuracy, elapsed: report.wallTime,
                       interrupted: report.checkpoint, stopReason: report.stopReason)
    }
}
