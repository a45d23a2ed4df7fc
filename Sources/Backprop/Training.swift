/// Training by mini-batch gradient descent.
extension Network {
    /// At most this many epochs per C call (their losses are buffered).
    static var epochsPerCall: Int { 1024 }
    /// With shuffling, at most this many drawn row indices per C call
    /// (512 KB): epochs per call = this / rows, at least one.
    static var ordersPerCall: Int { 65536 }

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
        // Epochs run in C several at a time when nothing has to happen
        // between them (no callback, no validation): with a few samples an
        // epoch is shorter than a call from here (online learning on seed
        // 03's four samples: ~0.4 µs). Shuffled orders are drawn for the
        // epochs of a call before it, from the same generator in the same
        // sequence, so the result does not depend on the grouping.
        let grouped = onEpoch == nil && validation == nil
        let perCall = !grouped ? 1
            : shuffles ? Swift.max(1, Swift.min(Self.epochsPerCall, Self.ordersPerCall / n))
            : Self.epochsPerCall
        var order = Array(0..<n)
        var orders = [Int]()
        if shuffles { orders.reserveCapacity(Swift.min(perCall, epochs) * n) }
        var losses = [Double](repeating: 0, count: Swift.min(perCall, epochs))
        // The parameters each epoch started from (written by the C call
        // into the engine's snapshot), restored if an update overflows.
        let snapshot = engine.snapshot
        var report = TrainingReport()
        report.trainingLoss.reserveCapacity(epochs)

        // The generator as it was before a call's draws, to rewind to if an
        // epoch diverges before the last one drawn (one copy per `train`;
        // its state is set again, without allocating, before every call).
        let rewind = perCall > 1 ? try random?.clone() : nil
        var next = 1   // the next epoch to run, 1-based
        epochs: while next <= epochs {
            let count = Swift.min(perCall, epochs - next + 1)
            if let random {
                if let rewind { try rewind.copyState(from: random) }
                orders.removeAll(keepingCapacity: true)
                for _ in 0..<count {
                    try random.shuffle(&order)
                    orders.append(contentsOf: order)
                }
            }
            var run = (completed: 0, outcome: Engine<Scalar>.StepResult.ok)
            try data.inputs.elements.withUnsafeBufferPointer { x in
                try targets.withPointer { t in
                    try orders.withUnsafeBufferPointer { o in
                        try losses.withUnsafeMutableBufferPointer { l in
                            try parameters.withUnsafeMutableBufferPointer { p in
                                run = try engine.trainEpochs(
                                    parameters: p.baseAddress!, x: x.baseAddress!, ldx: inputSize,
                                    targets: t, orders: shuffles ? o.baseAddress : nil, count: n,
                                    batchSize: batch, epochs: count, learningRate: learningRate,
                                    losses: l.baseAddress!, snapshot: snapshot.baseAddress!)
                            }
                        }
                    }
                }
            }
            for i in 0..<run.completed {
                // The clock is read only for a callback, the one reader of
                // `elapsed` (the report keeps losses): with epochs of a few
                // microseconds the read was a fifth of the time around the
                // C call.
                var summary = EpochSummary(epoch: next + i, trainingLoss: losses[i],
                                           elapsed: onEpoch == nil ? .zero : clock.now - started)
                if let validation {
                    summary.validationLoss = try loss(on: validation)
                    if loss.isClassification { summary.validationAccuracy = try accuracy(on: validation) }
                }
                report.record(summary)
                if let onEpoch, onEpoch(summary) == .stop {
                    report.stopReason = .stoppedByCallback(epoch: next + i)
                    break epochs
                }
            }
            if run.outcome != .ok {
                if run.outcome == .nonFiniteParameters { parameters = Array(snapshot) }
                // As if epoch by epoch: the diverging epoch's order was
                // drawn, the later ones' were not.
                if let random, let rewind, run.completed + 1 < count {
                    var scratch = order
                    for _ in 0...run.completed { try rewind.shuffle(&scratch) }
                    try random.copyState(from: rewind)
                }
                report.stopReason = .nonFiniteLoss(epoch: next + run.completed)
                break epochs
            }
            next += count
        }
        report.wallTime = clock.now - started
        return report
    }
}
