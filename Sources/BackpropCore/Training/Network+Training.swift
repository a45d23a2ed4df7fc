/// Training by mini-batch gradient descent.
extension Network {
    /// At most this many epochs per C call (their losses are buffered).
    static var epochsPerCall: Int { 1024 }
    /// With shuffling, at most this many drawn row indices per C call
    /// (512 KB): epochs per call = this / rows, at least one.
    static var ordersPerCall: Int { 65536 }

    /// Trains on dense targets; see ``train(on:epochs:learningRate:batchSize:shuffle:validation:schedule:regularization:earlyStopping:interruption:onEpoch:checkpointEvery:onCheckpoint:)``.
    @discardableResult
    public mutating func train(
        inputs: Matrix<Scalar>, targets: Matrix<Scalar>, epochs: Int, learningRate: Double,
        batchSize: Int? = nil, shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        schedule: LearningRateSchedule = .constant, regularization: Regularization = .none,
        earlyStopping: EarlyStopping? = nil, onEpoch: ((EpochSummary) -> TrainingAction)? = nil
    ) throws -> TrainingReport {
        try train(on: Dataset(inputs: inputs, targets: targets), epochs: epochs,
                  learningRate: learningRate, batchSize: batchSize, shuffle: shuffle,
                  validation: validation, schedule: schedule, regularization: regularization,
                  earlyStopping: earlyStopping, onEpoch: onEpoch)
    }

    /// Trains on integer class labels; see ``train(on:epochs:learningRate:batchSize:shuffle:validation:schedule:regularization:earlyStopping:interruption:onEpoch:checkpointEvery:onCheckpoint:)``.
    @discardableResult
    public mutating func train(
        inputs: Matrix<Scalar>, labels: [Int], epochs: Int, learningRate: Double,
        batchSize: Int? = nil, shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        schedule: LearningRateSchedule = .constant, regularization: Regularization = .none,
        earlyStopping: EarlyStopping? = nil, onEpoch: ((EpochSummary) -> TrainingAction)? = nil
    ) throws -> TrainingReport {
        try train(on: Dataset(inputs: inputs, labels: labels), epochs: epochs,
                  learningRate: learningRate, batchSize: batchSize, shuffle: shuffle,
                  validation: validation, schedule: schedule, regularization: regularization,
                  earlyStopping: earlyStopping, onEpoch: onEpoch)
    }

    /// Trains the network by gradient descent on the mean loss.
    ///
    /// Each epoch visits every sample once, in batches of `batchSize` rows
    /// (the last batch may be smaller); each batch is one forward pass, one
    /// backward pass and one update by the network's ``optimizer`` — by
    /// default plain gradient descent, `θ ← θ − η·∇θ L_batch`. The
    /// optimiser's state carries over between calls (``optimizerState``).
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
    ///   - schedule: how η changes from epoch to epoch (default constant).
    ///   - regularization: L2 penalty, gradient clipping and dropout
    ///     (default none).
    ///   - earlyStopping: stop when the validation loss (the training loss
    ///     without validation data) stops improving, keeping the best
    ///     epoch's parameters (default: never).
    ///   - interruption: when requested, training stops after the step it
    ///     is taking, with ``StopReason/interrupted(epoch:step:)`` and a
    ///     ``TrainingReport/checkpoint`` to resume from.
    ///   - onEpoch: called after every epoch; return `.stop` to end training.
    ///   - checkpointEvery: call `onCheckpoint` after every this many epochs (≥ 1).
    ///   - onCheckpoint: receives a ``TrainingCheckpoint`` of the run after
    ///     every `checkpointEvery` epochs (e.g. to save it); an error it
    ///     throws ends training and is rethrown, the network keeping the
    ///     parameters it had reached.
    /// - Returns: the loss history, the best epoch, why training stopped and
    ///   how long it took. If the loss becomes NaN or infinite, training
    ///   stops and the network keeps its last finite parameters.
    /// - Throws: ``BackpropError`` for invalid data or hyperparameters,
    ///   before anything changes.
    //
    // Specialized for Double: the epoch loop runs generic code otherwise,
    // paying metadata look-ups on every epoch of small, fast networks.
    @_specialize(where Scalar == Double)
    @_specialize(where Scalar == Float)
    @discardableResult
    public mutating func train(
        on data: Dataset<Scalar>, epochs: Int, learningRate: Double, batchSize: Int? = nil,
        shuffle: Bool = true, validation: Dataset<Scalar>? = nil,
        schedule: LearningRateSchedule = .constant, regularization: Regularization = .none,
        earlyStopping: EarlyStopping? = nil, interruption: TrainingInterruption? = nil,
        onEpoch: ((EpochSummary) -> TrainingAction)? = nil,
        checkpointEvery: Int? = nil, onCheckpoint: ((TrainingCheckpoint) throws -> Void)? = nil
    ) throws -> TrainingReport {
        let targets = try resolve(data)
        if let validation { _ = try resolve(validation, name: "validation") }
        let settings = TrainingSettings(epochs: epochs, learningRate: learningRate, batchSize: batchSize,
                                        shuffle: shuffle, schedule: schedule, regularization: regularization,
                                        earlyStopping: earlyStopping)
        try validate(settings, checkpointEvery: checkpointEvery)
        var progress = TrainingProgress(order: Array(0..<data.count))
        progress.start(settings)
        return try run(on: data, targets: targets, settings: settings, progress: &progress,
                       validation: validation, interruption: interruption, checkpointEvery: checkpointEvery,
                       onCheckpoint: onCheckpoint, onEpoch: onEpoch)
    }

    /// Continues a run saved in `checkpoint` on the same data, to exactly
    /// the parameters it would have reached without the pause (the same
    /// parameters, generator state and loss history; the losses of an epoch
    /// split by the pause may differ from the unsplit run's in the last
    /// digits, the sum being taken in two parts).
    ///
    /// The network must have the architecture and precision the checkpoint
    /// was made with (its parameters and generator are replaced by the
    /// checkpoint's; its thread count is kept); the settings (epochs,
    /// learning rate, batch size, shuffling) come from the checkpoint. A
    /// finished checkpoint returns its report at once.
    ///
    /// - Parameters:
    ///   - data: the training data the checkpoint was made on (checked by
    ///     its fingerprint).
    ///   - checkpoint: from ``TrainingReport/checkpoint`` or `onCheckpoint`.
    ///   - validation: evaluated after every epoch, as for
    ///     ``train(on:epochs:learningRate:batchSize:shuffle:validation:schedule:regularization:earlyStopping:interruption:onEpoch:checkpointEvery:onCheckpoint:)``.
    ///   - interruption: when requested, training stops after the step it
    ///     is taking, with a new ``TrainingReport/checkpoint``.
    ///   - onEpoch: called after every epoch; return `.stop` to end training.
    ///   - checkpointEvery: call `onCheckpoint` after every this many epochs
    ///     (≥ 1), counted from the start of the run.
    ///   - onCheckpoint: receives a ``TrainingCheckpoint`` of the run after
    ///     every `checkpointEvery` epochs.
    /// - Returns: the report of the whole run, the epochs before the
    ///   checkpoint included.
    /// - Throws: ``BackpropError/invalidCheckpoint(_:)`` when the checkpoint
    ///   does not fit this network or this data, and the errors of `train`.
    @discardableResult
    public mutating func train(
        on data: Dataset<Scalar>, resumingFrom checkpoint: TrainingCheckpoint,
        validation: Dataset<Scalar>? = nil, interruption: TrainingInterruption? = nil,
        onEpoch: ((EpochSummary) -> TrainingAction)? = nil,
        checkpointEvery: Int? = nil, onCheckpoint: ((TrainingCheckpoint) throws -> Void)? = nil
    ) throws -> TrainingReport {
        let targets = try resolve(data)
        if let validation { _ = try resolve(validation, name: "validation") }
        let settings = checkpoint.settings
        try validate(settings, checkpointEvery: checkpointEvery)
        guard checkpoint.sampleCount == data.count else {
            throw BackpropError.invalidCheckpoint(
                "it was made for training data of \(checkpoint.sampleCount) rows; this is \(data.count) rows")
        }
        guard UInt64(checkpoint.dataFingerprint, radix: 16) == dataFingerprint(data) else {
            throw BackpropError.invalidCheckpoint("it was made on other training data (the values differ)")
        }
        try restore(from: checkpoint)
        var progress = TrainingProgress(epochsCompleted: checkpoint.epochsCompleted,
                                        stepsCompleted: checkpoint.stepsCompleted, order: checkpoint.order,
                                        partialLoss: checkpoint.partialLoss, report: checkpoint.report,
                                        plateau: checkpoint.plateau, earlyStopping: checkpoint.earlyStoppingState,
                                        dropoutSeed: checkpoint.dropoutSeed, dropoutStep: checkpoint.dropoutStep ?? 0)
        if progress.plateau == nil || progress.earlyStopping == nil { progress.start(settings) }
        return try run(on: data, targets: targets, settings: settings, progress: &progress,
                       validation: validation, interruption: interruption, checkpointEvery: checkpointEvery,
                       onCheckpoint: onCheckpoint, onEpoch: onEpoch)
    }

    /// Takes the parameters and the generator state of a checkpoint: the
    /// network as the run stood when it was made (to save or use it; to
    /// continue the run, use ``train(on:resumingFrom:validation:interruption:onEpoch:checkpointEvery:onCheckpoint:)``).
    /// - Throws: ``BackpropError/invalidCheckpoint(_:)``, with the network
    ///   unchanged, when the checkpoint is damaged or was made for another
    ///   architecture or precision.
    public mutating func restore(from checkpoint: TrainingCheckpoint) throws {
        try checkpoint.validate()
        func mismatch(_ what: String, _ expected: String, _ got: String) -> BackpropError {
            .invalidCheckpoint("it was made for \(what) \(expected); this is \(got)")
        }
        guard checkpoint.precision == Self.precisionName else {
            throw mismatch("a network of precision", checkpoint.precision, Self.precisionName)
        }
        guard checkpoint.layerSizes == layerSizes else {
            throw mismatch("layers", "\(checkpoint.layerSizes)", "\(layerSizes)")
        }
        let generator = try RandomSource(state: checkpoint.generator)
        var restored = self
        if let state = checkpoint.optimizerState {
            try restored.restoreOptimizerState(state)
        } else {
            restored.optimizer = .gradientDescent
        }
        parameters = checkpoint.parameters.map { Scalar($0) }
        random = generator
        optimizer = restored.optimizer
        keepOptimizerState(restored.optimizerState)
    }

    /// Rows trained between two looks at a ``TrainingInterruption`` (at
    /// least one step): an epoch of more rows runs in runs of steps.
    public static var rowsPerInterruptionCheck: Int { 8192 }

    /// The input size, then each layer's units.
    package var layerSizes: [Int] { [inputSize] + shapes.map(\.outputSize) }

    /// "Double" or "Float": the precision a checkpoint records.
    static var precisionName: String { String(describing: Scalar.self) }

    func validate(_ settings: TrainingSettings, checkpointEvery: Int?) throws {
        try Self.validateLearningRate(settings.learningRate)
        try optimizer.validate(for: Scalar.self)
        try settings.schedule.validate()
        try settings.regularization.validate(hiddenLayers: shapes.count - 1)

        try settings.earlyStopping?.validate()
        guard settings.epochs >= 1 else {
            throw BackpropError.invalidHyperparameter(name: "epochs", value: "\(settings.epochs)", expected: "≥ 1")
        }
        if let batchSize = settings.batchSize, batchSize < 1 {
            throw BackpropError.invalidHyperparameter(name: "batchSize", value: "\(batchSize)",
                                                      expected: "≥ 1 (or nil for full batch)")
        }
        if let checkpointEvery, checkpointEvery < 1 {
            throw BackpropError.invalidHyperparameter(name: "checkpointEvery", value: "\(checkpointEvery)",
                                                      expected: "≥ 1")
        }
    }

    /// A checkpoint of the run as it stands.
    func checkpoint(settings: TrainingSettings, progress: TrainingProgress, sampleCount: Int,
                    fingerprint: UInt64) throws -> TrainingCheckpoint {
        TrainingCheckpoint(settings: settings, progress: progress, precision: Self.precisionName,
                           layerSizes: layerSizes, parameters: parameters.map { Double($0) },
                           optimizerState: optimizerState ?? OptimizerState(optimizer: optimizer, step: 0, values: []),
                           generator: try random.state(), sampleCount: sampleCount,
                           dataFingerprint: fingerprint)
    }

    /// The training loop behind both `train` entry points: runs the epochs
    /// of `settings` from where `progress` stands.
    private mutating func run(
        on data: Dataset<Scalar>, targets: ResolvedTargets<Scalar>, settings: TrainingSettings,
        progress: inout TrainingProgress, validation: Dataset<Scalar>?, interruption: TrainingInterruption?,
        checkpointEvery: Int?, onCheckpoint: ((TrainingCheckpoint) throws -> Void)?,
        onEpoch: ((EpochSummary) -> TrainingAction)?
    ) throws -> TrainingReport {
        let clock = ContinuousClock()
        let started = clock.now
        let earlier = progress.report.wallTime
        let epochs = settings.epochs
        let n = data.count
        let batch = Swift.min(settings.batchSize ?? n, n)
        let stepsPerEpoch = (n + batch - 1) / batch
        let shuffles = settings.shuffle && batch < n
        let random = shuffles ? try uniqueRandom() : nil
        let validationTargets = try validation.map { try resolve($0, name: "validation") }
        let engine = try engines.take(for: self, capacity: batch)
        defer { engines.keep(engine) }
        // The optimiser on the engine (its state allocated there, once per
        // call), continuing from the state the last call left.
        let stateful = !optimizer.isGradientDescent
        try engine.setOptimizer(optimizer)
        // The optimiser's state as the current C call found it: set back
        // if the call's update overflows, with the parameters' snapshot.
        var stateSnapshot = [Scalar](repeating: 0, count: try engine.optimizerStateCount())
        var stepSnapshot = 0
        // Regularisation; dropout's masks from a stream seeded by one draw
        // from the network's generator when the run starts.
        if settings.regularization.hasDropout && progress.dropoutSeed == nil {
            progress.dropoutSeed = try (random ?? uniqueRandom()).nextWord()
        }
        try engine.setRegularization(settings.regularization, dropoutSeed: progress.dropoutSeed ?? 0,
                                     dropoutStep: progress.dropoutStep)
        var dropoutSnapshot = progress.dropoutStep
        if let state = optimizerState, state.optimizer == optimizer, state.values.count == stateSnapshot.count {
            for i in stateSnapshot.indices { stateSnapshot[i] = Scalar(state.values[i]) }
            try stateSnapshot.withUnsafeBufferPointer { try engine.writeOptimizerState($0, step: state.step) }
        }
        /// Takes the engine's optimiser state into the network (and the
        /// dropout masks' counter into the progress).
        func keepState() throws {
            if progress.dropoutSeed != nil { progress.dropoutStep = try engine.dropoutStep }
            guard stateful else { return }
            var values = [Scalar](repeating: 0, count: stateSnapshot.count)
            let step = try values.withUnsafeMutableBufferPointer { try engine.readOptimizerState(into: $0) }
            keepOptimizerState(OptimizerState(optimizer: optimizer, step: step, values: values.map { Double($0) }))
        }
        /// Records the state a C call starts from.
        func snapshotState() throws {
            if progress.dropoutSeed != nil { dropoutSnapshot = try engine.dropoutStep }
            guard stateful else { return }
            stepSnapshot = try stateSnapshot.withUnsafeMutableBufferPointer { try engine.readOptimizerState(into: $0) }
        }
        /// After an update overflowed: the parameters and the optimiser
        /// state the diverging epoch (or run of steps) started from.
        func restoreSnapshots() throws {
            parameters = Array(engine.snapshot)
            if progress.dropoutSeed != nil { try engine.setDropoutStep(dropoutSnapshot) }
            if stateful {
                try stateSnapshot.withUnsafeBufferPointer { try engine.writeOptimizerState($0, step: stepSnapshot) }
            }
        }
        // Computed once per call, when a checkpoint is first made.
        var fingerprint: UInt64?
        func makeCheckpoint() throws -> TrainingCheckpoint {
            let hash = fingerprint ?? dataFingerprint(data)
            fingerprint = hash
            progress.report.wallTime = earlier + (clock.now - started)
            try keepState()
            if !best.isEmpty { progress.earlyStopping?.bestParameters = best.map { Double($0) } }
            return try checkpoint(settings: settings, progress: progress, sampleCount: n, fingerprint: hash)
        }
        /// The learning rate of the next epoch: the schedule's.
        let constantRate = settings.schedule == .constant
        func rate() -> Double {
            if constantRate { return settings.learningRate }
            return progress.plateau?.learningRate
                ?? settings.schedule.learningRate(base: settings.learningRate, epoch: progress.epochsCompleted)
        }
        // The parameters of the best epoch so far, for early stopping.
        var best: [Scalar] = []
        if settings.earlyStopping?.restoresBestParameters == true {
            let saved = progress.earlyStopping?.bestParameters ?? []
            best = saved.count == parameters.count ? saved.map { Scalar($0) } : parameters
        }
        var stepsLeft = interruption?.stepLimit
        // Epochs run in C several at a time when nothing has to happen
        // between them (no callback, validation or checkpoint): with a few
        // samples an epoch is shorter than a call from here (online
        // learning on seed 03's four samples: ~0.4 µs). Shuffled orders are
        // drawn for the epochs of a call before it, from the same generator
        // in the same sequence, so the result does not depend on the
        // grouping. With an interruption, a call holds at most
        // `rowsPerInterruptionCheck` rows, and an epoch of more rows (or one
        // resumed part-way) runs a run of steps per call. An optimiser with
        // state, dropout, a schedule or early stopping trains an epoch per
        // call: the state and the masks' counter are snapshotted, the rate
        // set or the loss watched between them.
        let grouped = onEpoch == nil && validation == nil && onCheckpoint == nil && !stateful
            && settings.schedule == .constant && settings.earlyStopping == nil && !settings.regularization.hasDropout
        let checkRows = interruption == nil ? Int.max : Self.rowsPerInterruptionCheck
        var perCall = !grouped ? 1
            : shuffles ? Swift.max(1, Swift.min(Self.epochsPerCall, Self.ordersPerCall / n))
            : Self.epochsPerCall
        perCall = Swift.max(1, Swift.min(perCall, checkRows / n))
        let stepsPerCall = Swift.max(1, checkRows / batch)
        let partEpochs = stepsPerCall < stepsPerEpoch || stepsLeft != nil
        var orders = [Int]()
        if shuffles { orders.reserveCapacity(Swift.min(perCall, epochs) * n) }
        var losses = [Double](repeating: 0, count: Swift.min(perCall, epochs))
        // The parameters each epoch (or run of steps) started from, written
        // by the C call into the engine's snapshot, restored if an update
        // overflows.
        let snapshot = engine.snapshot
        progress.report.stopReason = .completed
        progress.report.checkpoint = nil
        if progress.report.trainingLoss.isEmpty { progress.report.trainingLoss.reserveCapacity(epochs) }

        // The generator as it was before a call's draws, to rewind to if an
        // epoch diverges before the last one drawn (one copy per `train`;
        // its state is set again, without allocating, before every call).
        let rewind = perCall > 1 && !partEpochs ? try random?.clone() : nil
        // Whether a plateau schedule or early stopping watches the losses.
        let watches = progress.plateau != nil || settings.earlyStopping != nil
        /// The schedule and early stopping take the epoch's monitored loss
        /// (the validation loss, or the training loss without validation
        /// data); true when early stopping's patience has run out.
        func watch(_ monitored: Double, epoch: Int) throws -> Bool {
            if case let .reduceOnPlateau(factor, patience, threshold, cooldown, minimum) = settings.schedule {
                progress.plateau?.record(loss: monitored, factor: factor, patience: patience, threshold: threshold,
                                         cooldown: cooldown, minimum: minimum)
            }
            guard let stopping = settings.earlyStopping, var state = progress.earlyStopping else { return false }
            if state.record(loss: monitored, epoch: epoch, settings: stopping), stopping.restoresBestParameters {
                best.withUnsafeMutableBufferPointer { _ = $0.update(fromContentsOf: parameters) }
            }
            progress.earlyStopping = state
            return state.badEpochs >= stopping.patience
        }
        /// Records a finished epoch; false when the callback stops training.
        @inline(__always) func finish(epoch: Int, loss: Double) throws -> Bool {
            // The clock is read only for a callback, the one reader of
            // `elapsed` (the report keeps losses): with epochs of a few
            // microseconds the read was a fifth of the time around the C call.
            var summary = EpochSummary(epoch: epoch, trainingLoss: loss,
                                       elapsed: onEpoch == nil ? .zero : earlier + (clock.now - started),
                                       learningRate: constantRate ? settings.learningRate : rate())
            // A validation set the network overflows on is recorded (NaN or
            // infinite loss), not thrown: the parameters have moved by now.
            if let validation, let validationTargets {
                summary.validationLoss = try uncheckedLoss(on: validation, resolved: validationTargets)
                if self.loss.isClassification {
                    summary.validationAccuracy = Self.accuracy(of: try uncheckedPredict(validation.inputs),
                                                               against: validation.targets)
                }
            }
            progress.report.record(summary)
            progress.epochsCompleted = epoch
            progress.stepsCompleted = 0
            progress.partialLoss = 0
            let stopsEarly = watches ? try watch(summary.validationLoss ?? loss, epoch: epoch) : false
            if let onEpoch, onEpoch(summary) == .stop {
                progress.report.stopReason = .stoppedByCallback(epoch: epoch)
                return false
            }
            if stopsEarly, let state = progress.earlyStopping {
                progress.report.stopReason = .earlyStopped(epoch: epoch, bestEpoch: state.bestEpoch)
                if settings.earlyStopping?.restoresBestParameters == true { parameters = best }
                return false
            }
            if let checkpointEvery, let onCheckpoint, epoch % checkpointEvery == 0, epoch < epochs {
                try onCheckpoint(try makeCheckpoint())
            }
            return true
        }
        func interrupted() -> Bool {
            guard let interruption else { return false }
            if stepsLeft == 0 { interruption.request() }
            return interruption.isRequested
        }

        epochs: while progress.epochsCompleted < epochs {
            if interrupted() {
                progress.report.stopReason = .interrupted(epoch: progress.epochsCompleted + 1,
                                                          step: progress.stepsCompleted)
                break epochs
            }
            if partEpochs || progress.stepsCompleted > 0 {
                // One run of steps of the epoch in progress.
                if progress.stepsCompleted == 0, let random { try random.shuffle(&progress.order) }
                let steps = Swift.min(stepsPerCall, stepsPerEpoch - progress.stepsCompleted, stepsLeft ?? .max)
                let first = progress.stepsCompleted * batch
                let rows = Swift.min(steps * batch, n - first)
                let width = outputSize, ldx = inputSize
                var run = (completed: 0, outcome: Engine<Scalar>.StepResult.ok)
                let epochRate = rate()
                try snapshotState()
                try data.inputs.elements.withUnsafeBufferPointer { x in
                    try targets.withPointer { t in
                        try progress.order.withUnsafeBufferPointer { o in
                            try losses.withUnsafeMutableBufferPointer { l in
                                try parameters.withUnsafeMutableBufferPointer { p in
                                    // Unshuffled rows are visited in place: the
                                    // run starts at row `first` itself.
                                    run = try engine.trainEpochs(
                                        parameters: p.baseAddress!,
                                        x: x.baseAddress! + (shuffles ? 0 : first * ldx), ldx: ldx,
                                        targets: shuffles ? t : t.rows(from: first, width: width),
                                        orders: shuffles ? o.baseAddress! + first : nil, count: rows,
                                        batchSize: batch, epochs: 1, learningRate: epochRate,
                                        losses: l.baseAddress!, snapshot: snapshot.baseAddress!)
                                }
                            }
                        }
                    }
                }
                if run.outcome != .ok {
                    if run.outcome == .nonFiniteParameters { try restoreSnapshots() }
                    progress.report.stopReason = .nonFiniteLoss(epoch: progress.epochsCompleted + 1)
                    break epochs
                }
                progress.partialLoss += losses[0] * Double(rows)
                progress.stepsCompleted += steps
                stepsLeft = stepsLeft.map { $0 - steps }
                if progress.stepsCompleted == stepsPerEpoch {
                    guard try finish(epoch: progress.epochsCompleted + 1, loss: progress.partialLoss / Double(n))
                    else { break epochs }
                }
                continue
            }
            let next = progress.epochsCompleted + 1
            var count = Swift.min(perCall, epochs - next + 1)
            if let checkpointEvery, onCheckpoint != nil {
                count = Swift.min(count, checkpointEvery - (next - 1) % checkpointEvery)
            }
            if let random {
                if let rewind { try rewind.copyState(from: random) }
                orders.removeAll(keepingCapacity: true)
                for _ in 0..<count {
                    try random.shuffle(&progress.order)
                    orders.append(contentsOf: progress.order)
                }
            }
            var run = (completed: 0, outcome: Engine<Scalar>.StepResult.ok)
            let epochRate = rate()
            try snapshotState()
            try data.inputs.elements.withUnsafeBufferPointer { x in
                try targets.withPointer { t in
                    try orders.withUnsafeBufferPointer { o in
                        try losses.withUnsafeMutableBufferPointer { l in
                            try parameters.withUnsafeMutableBufferPointer { p in
                                run = try engine.trainEpochs(
                                    parameters: p.baseAddress!, x: x.baseAddress!, ldx: inputSize,
                                    targets: t, orders: shuffles ? o.baseAddress : nil, count: n,
                                    batchSize: batch, epochs: count, learningRate: epochRate,
                                    losses: l.baseAddress!, snapshot: snapshot.baseAddress!)
                            }
                        }
                    }
                }
            }
            for i in 0..<run.completed {
                guard try finish(epoch: next + i, loss: losses[i]) else { break epochs }
            }
            if run.outcome != .ok {
                if run.outcome == .nonFiniteParameters { try restoreSnapshots() }
                // As if epoch by epoch: the diverging epoch's order was
                // drawn, the later ones' were not.
                if let random, let rewind, run.completed + 1 < count {
                    // (a shuffle's draws depend on n alone, not on the order shuffled)
                    var scratch = progress.order
                    for _ in 0...run.completed { try rewind.shuffle(&scratch) }
                    try random.copyState(from: rewind)
                    progress.order = Array(orders[run.completed * n ..< (run.completed + 1) * n])
                }
                progress.report.stopReason = .nonFiniteLoss(epoch: next + run.completed)
                break epochs
            }
        }
        switch progress.report.stopReason {
        case .interrupted, .stoppedByCallback:
            if progress.epochsCompleted < epochs { progress.report.checkpoint = try makeCheckpoint() }
        case .completed:
            // Early stopping ends with the best epoch's parameters also when
            // its patience never ran out (scikit-learn's `early_stopping`).
            if !best.isEmpty, let state = progress.earlyStopping, state.bestEpoch > 0,
               state.bestEpoch < progress.epochsCompleted {
                parameters = best
            }
        case .nonFiniteLoss, .earlyStopped:
            break
        }
        try keepState()
        if progress.report.mayWarn(baselineAtMost: constantBaselineBound) {
            progress.report.warnings = progress.report.diagnosis(baseline: constantBaseline(of: targets, count: n))
        }
        progress.report.wallTime = earlier + (clock.now - started)
        return progress.report
    }
}
