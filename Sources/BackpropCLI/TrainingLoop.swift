import Backprop

/// Trains a network one epoch at a time, so that progress can be shown and
/// checkpoints written between epochs (the library's `train` keeps the
/// network to itself until it returns).
struct TrainingLoop {
    var epochs: Int
    var learningRate: Double
    var batchSize: Int?
    var progress: ProgressReporter
    /// Called with the network after every `checkpointEvery` epochs.
    var checkpointEvery: Int?
    var checkpoint: ((Network<Double>, Int) throws -> Void)?
    /// The name of the validation set in progress lines ("val", "test").
    var validationName = "val"

    /// What happened, epoch by epoch.
    struct History {
        var training: [Double] = []
        var validation: [Double]?
        var validationAccuracy: [Double]?
        var elapsed: Duration = .zero
    }

    /// Runs all epochs.
    /// - Throws: `UserError` when the loss becomes non-finite (the network
    ///   keeps its last finite parameters, but it is not saved), or any
    ///   error of the data or the checkpoint.
    func run(_ network: inout Network<Double>, on train: Dataset<Double>,
             validation: Dataset<Double>?) throws -> History {
        var history = History()
        if validation != nil {
            history.validation = []
            if network.loss.isClassification { history.validationAccuracy = [] }
        }
        let clock = ContinuousClock()
        let started = clock.now
        defer { progress.finish() }
        for epoch in 1...epochs {
            let report = try network.train(on: train, epochs: 1, learningRate: learningRate, batchSize: batchSize,
                                           validation: validation)
            if case .nonFiniteLoss = report.stopReason {
                progress.finish()
                throw UserError("training diverged in epoch \(epoch): the loss became NaN or infinite; "
                                + "the learning rate \(learningRate) is too large for this data, try a smaller --learning-rate")
            }
            let loss = report.trainingLoss[0]
            history.training.append(loss)
            var metric: String?
            if let v = report.validationLoss?.first {
                history.validation?.append(v)
                if let a = report.validationAccuracy?.first {
                    history.validationAccuracy?.append(a)
                    metric = "\(validationName) acc \(Format.percent(a))"
                } else {
                    metric = "\(validationName) loss \(Format.loss(v))"
                }
            }
            history.elapsed = clock.now - started
            progress.update(epoch: epoch, loss: loss, metric: metric, elapsed: history.elapsed)
            if let every = checkpointEvery, let checkpoint, epoch % every == 0 {
                try checkpoint(network, epoch)
            }
        }
        return history
    }
}
