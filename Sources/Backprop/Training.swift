/// Training by mini-batch gradient descent.
extension Network {
    /// Trains on dense targets; see ``train(on:epochs:learningRate:batchSize:shuffle:validation:onEpoch:)``.
    @discardableResult
    public mutating func train(
        inputs: Matrix<Scalar>, targets: Matrix<Scalar>, epochs: Int, learningRate: Double,
        batchSize: Int? = nil, shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        onEpoch: ((EpochSummary) -> TrainingAction)? = nil
    ) throws -> TrainingReport {
        try train(on: Dataset(inputs: inputs, targets: targets), epochs: epochs,
                  learningRate: learningRate, batchSize: batchSize, shuffle: shuffle,
                  validation: validation, onEpoch: onEpoch)
    }

    /// Trains on integer class labels; see ``train(on:epochs:learningRate:batchSize:shuffle:validation:onEpoch:)``.
    @discardableResult
    public mutating func train(
        inputs: Matrix<Scalar>, labels: [Int], epochs: Int, learningRate: Double,
        batchSize: Int? = nil, shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        onEpoch: ((EpochSummary) -> TrainingAction)? = nil
    ) throws -> TrainingReport {
        try train(on: Dataset(inputs: inputs, labels: labels), epochs: epochs,
                  learningRate: learningRate, batchSize: batchSize, shuffle: shuffle,
                  validation: validation, onEpoch: onEpoch)
    }

    /// Trains the network by gradient descent on the mean loss.
    ///
    /// Each epoch visits every sample once, in batches of `batchSize` rows
    /// (the last batch may be smaller); each batch is one forward pass, one
    /// backward pass and one update `θ ← θ − η·∇θ L_batch`.
    ///
    /// - Parameters:
    ///   - data: training inputs (`n × inputSize`) and targets.
    ///   - epochs: number of passes over the data (≥ 1).
    ///   - learningRate: the step size η (finite, > 0).
    ///   - batchSize: rows per update: `nil` is full batch (one update per
    ///     epoch), `1` is online learning; values above `n` mean full batch.
    ///   - shuffle: visit the samples in a fresh random order each epoch
    ///     (drawn from the network's generator; ignored for full batches,
    ///     where the order cannot change the update).
    ///   - validation: evaluated after every epoch (loss, and accuracy for
    ///     classification losses).
    ///   - onEpoch: called after every epoch; return `.stop` to end training.
    /// - Returns: the loss history, the best epoch, why training stopped and
    ///   how long it took. If the loss becomes NaN or infinite, training
    ///   stops and the network keeps its last finite parameters.
    /// - Throws: ``BackpropError`` for invalid data or hyperparameters,
    ///   before anything changes.
    // Specialized for Double: the epoch loop runs generic code otherwise,
    // paying metadata look-ups on every epoch of small, fast networks.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    @discardableResult
    public mutating func train(
        on data: Dataset<Scalar>, epochs: Int, learningRate: Double, batchSize: Int? = nil,
        shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        onEpoch: ((EpochSummary) -> TrainingAction)? = nil
    ) throws -> TrainingReport {
        let targets = try resolve(data)
        if let validation { _ = try resolve(validation, name: "validation") }
        try Self.validateLearningRate(learningRate)
        guard epochs >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "epochs", value: "\(epochs)", expected: "≥ 1")
        }
        if let batchSize, batchSize < 1 {
            throw BackpropError.invalidHyperparameter(name: "batchSize", value: "\(batchSize)",
                                                      expected: "≥ 1 (or nil for full batch)")
        }

        let clock = ContinuousClock()
        let started = clock.now
        let n = data.count
        let batch = Swift.min(batchSize ?? n, n)
        let shuffles = shuffle && batch < n
        let random = shuffles ? try uniqueRandom() : nil
        let engine = try engines.take(for: self, capacity: batch)
        defer { engines.keep(engine) }
        var order = Array(0..<n)
        // The last finite parameters, restored if an update overflows.
        var snapshot = parameters
        var report = TrainingReport()
        report.trainingLoss.reserveCapacity(epochs)

        epochs: for epoch in 1...epochs {
            if let random { try random.shuffle(&order) }
            snapshot.withUnsafeMutableBufferPointer { s in
                parameters.withUnsafeBufferPointer { s.baseAddress!.update(from: $0.baseAddress!, count: $0.count) }
            }
            var epochLoss = 0.0
            var outcome = Engine<Scalar>.StepResult.ok
            // The whole epoch in one C call: its rows are checked once and
            // the steps loop in C (online learning's steps are shorter than
            // a call from here with its checks).
            try data.inputs.elements.withUnsafeBufferPointer { x in
                try targets.withPointer { t in
                    try order.withUnsafeBufferPointer { indices in
                        try parameters.withUnsafeMutableBufferPointer { p in
                            outcome = try engine.trainEpoch(
                                parameters: p.baseAddress!, x: x.baseAddress!, ldx: inputSize, targets: t,
                                indices: shuffles ? indices.baseAddress : nil, count: n, batchSize: batch,
                                learningRate: learningRate, loss: &epochLoss)
                        }
                    }
                }
            }
            if outcome != .ok {
                if outcome == .nonFiniteParameters { parameters = snapshot }
                report.stopReason = .nonFiniteLoss(epoch: epoch)
                break epochs
            }

            // The clock is read only for a callback, the one reader of
            // `elapsed` (the report keeps losses): with epochs of a few
            // microseconds (online learning on four samples) the read was a
            // fifth of the time around the C call.
            var summary = EpochSummary(epoch: epoch, trainingLoss: epochLoss,
                                       elapsed: onEpoch == nil ? .zero : clock.now - started)
            if let validation {
                summary.validationLoss = try loss(on: validation)
                if loss.isClassification { summary.validationAccuracy = try accuracy(on: validation) }
            }
            report.record(summary)
            if let onEpoch, onEpoch(summary) == .stop {
                report.stopReason = .stoppedByCallback(epoch: epoch)
                break
            }
        }
        report.wallTime = clock.now - started
        return report
    }
}
