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
        let ws = Workspace<Scalar>(widths: widths, capacity: batch, training: true)
        var order = Array(0..<n)
        let snapshot = UnsafeMutablePointer<Scalar>.allocate(capacity: Swift.max(parameterCount, 1))
        defer { snapshot.deallocate() }
        var report = TrainingReport()

        try data.inputs.elements.withUnsafeBufferPointer { xAll in
            epochs: for epoch in 1...epochs {
                copyParameters(to: snapshot)   // last finite parameters, restored if an update overflows
                if let random { try random.shuffle(&order) }
                var total = 0.0
                var start = 0
                while start < n {
                    let rows = Swift.min(batch, n - start)
                    let input: UnsafePointer<Scalar>
                    let offset: Int
                    if shuffles {
                        gather(rows: order[start ..< start + rows], from: xAll.baseAddress!,
                               targets: targets, into: ws)
                        input = UnsafePointer(ws.x)
                        offset = -1
                    } else {
                        input = xAll.baseAddress! + start * inputSize
                        offset = start
                    }
                    try forward(input: input, rows: rows, ws: ws)
                    let value = try outputLoss(rows: rows, ws: ws, targets: targets, offset: offset,
                                               gradient: true)
                    try backward(input: input, rows: rows, ws: ws, inputGradient: false)
                    guard value.isFinite, try gradientsAreFinite(ws) else {
                        report.stopReason = .nonFiniteLoss(epoch: epoch)
                        break epochs
                    }
                    try applyWorkspaceGradients(ws, learningRate: learningRate)
                    guard try parametersAreFinite() else {
                        copyParameters(from: snapshot)
                        report.stopReason = .nonFiniteLoss(epoch: epoch)
                        break epochs
                    }
                    total += value * Double(rows)
                    start += rows
                }

                var summary = EpochSummary(epoch: epoch, trainingLoss: total / Double(n),
                                           elapsed: clock.now - started)
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
        }
        report.wallTime = clock.now - started
        return report
    }

    /// Copies the inputs and targets of the samples `rows` into the workspace.
    private func gather(rows: ArraySlice<Int>, from x: UnsafePointer<Scalar>,
                        targets: ResolvedTargets<Scalar>, into ws: Workspace<Scalar>) {
        let k = outputSize
        switch targets {
        case let .dense(y):
            y.withUnsafeBufferPointer { yAll in
                for (i, r) in rows.enumerated() {
                    (ws.x + i * inputSize).update(from: x + r * inputSize, count: inputSize)
                    (ws.y + i * k).update(from: yAll.baseAddress! + r * k, count: k)
                }
            }
        case let .labels(labels):
            for (i, r) in rows.enumerated() {
                (ws.x + i * inputSize).update(from: x + r * inputSize, count: inputSize)
                ws.labels[i] = labels[r]
            }
        }
    }

    /// Copies every weight and bias, layer by layer, into `buffer`.
    private func copyParameters(to buffer: UnsafeMutablePointer<Scalar>) {
        var cursor = buffer
        for layer in layers {
            layer.weights.elements.withUnsafeBufferPointer { cursor.update(from: $0.baseAddress!, count: $0.count) }
            cursor += layer.weights.elements.count
            layer.bias.withUnsafeBufferPointer { cursor.update(from: $0.baseAddress!, count: $0.count) }
            cursor += layer.bias.count
        }
    }

    /// The inverse of `copyParameters(to:)`.
    private mutating func copyParameters(from buffer: UnsafeMutablePointer<Scalar>) {
        var cursor = UnsafePointer(buffer)
        for l in layers.indices {
            layers[l].weights.elements.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: cursor, count: $0.count)
                cursor += $0.count
            }
            layers[l].bias.withUnsafeMutableBufferPointer {
                $0.baseAddress!.update(from: cursor, count: $0.count)
                cursor += $0.count
            }
        }
    }

    /// `W ← W − η·dW`, `b ← b − η·db` from the workspace's gradient buffers.
    private mutating func applyWorkspaceGradients(_ ws: Workspace<Scalar>, learningRate: Double) throws {
        for l in layers.indices {
            try layers[l].weights.elements.withUnsafeMutableBufferPointer { w in
                try Kernels.sgdUpdate(count: w.count, rate: learningRate, g: ws.dW[l], w: w.baseAddress!)
            }
            try layers[l].bias.withUnsafeMutableBufferPointer { b in
                try Kernels.sgdUpdate(count: b.count, rate: learningRate, g: ws.db[l], w: b.baseAddress!)
            }
        }
    }

    /// Whether every gradient in the workspace is finite (a NaN or ∞ anywhere
    /// makes the norm non-finite).
    private func gradientsAreFinite(_ ws: Workspace<Scalar>) throws -> Bool {
        for (l, layer) in layers.enumerated() {
            guard try Kernels.norm2(count: layer.inputSize * layer.outputSize, x: ws.dW[l]).isFinite,
                  try Kernels.norm2(count: layer.outputSize, x: ws.db[l]).isFinite else { return false }
        }
        return true
    }

    /// Whether every parameter is finite (checked after each update: a finite
    /// step can still overflow a huge weight).
    private func parametersAreFinite() throws -> Bool {
        for layer in layers {
            let ok = try layer.weights.elements.withUnsafeBufferPointer { w in
                try Kernels.norm2(count: w.count, x: w.baseAddress!).isFinite
            }
            guard ok, layer.bias.allSatisfy(\.isFinite) else { return false }
        }
        return true
    }
}
