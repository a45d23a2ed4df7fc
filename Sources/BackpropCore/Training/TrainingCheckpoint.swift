import CKernels
import Foundation

/// A training run saved between two steps, from which
/// ``Network/train(on:resumingFrom:validation:interruption:onEpoch:checkpointEvery:onCheckpoint:)``
/// continues it to exactly the parameters the run would have reached
/// without the pause.
///
/// It holds everything the next step depends on: the run's settings
/// (epochs, learning rate, batch size, shuffling), how far it got (epochs
/// completed, steps of the next epoch taken), the parameters, the
/// generator's state, the row order of the epoch in progress (each epoch's
/// order is a shuffle of the previous one), the loss of that epoch's steps
/// so far, and the history for the final ``TrainingReport``. A fingerprint
/// of the training data ties it to the data set it was made on.
///
/// Checkpoints come from ``TrainingReport/checkpoint`` (a run that was
/// interrupted or stopped early) and from the `onCheckpoint` callback of
/// `train` (every `checkpointEvery` epochs). ``encoded()`` and
/// ``init(decoding:)`` turn one into JSON bytes and back, exactly (numbers are
/// written in their shortest round-trip form). Parameters are stored as
/// doubles, which hold a `Float` network's values exactly.
public struct TrainingCheckpoint: Sendable, Equatable, Codable {
    /// The format version written. Version 1 (before optimisers,
    /// schedules, regularisation and early stopping) is read too, as a run
    /// of plain gradient descent at a constant rate.
    public static let formatVersion = 2

    /// Always ``formatVersion`` once decoded.
    public let version: Int
    /// The run's total number of epochs.
    public let epochs: Int
    /// The run's step size η.
    public let learningRate: Double
    /// The run's rows per step as given (`nil`: full batch).
    public let batchSize: Int?
    /// Whether the run shuffles its rows every epoch.
    public let shuffle: Bool
    /// Epochs completed.
    public let epochsCompleted: Int
    /// Steps of epoch `epochsCompleted + 1` already taken (0 at an epoch boundary).
    public let stepsCompleted: Int
    /// Mean training loss of each completed epoch.
    public let trainingLoss: [Double]
    /// Validation loss of each completed epoch, when the run had validation data.
    public let validationLoss: [Double]?
    /// Validation accuracy of each completed epoch, for classification with validation data.
    public let validationAccuracy: [Double]?
    /// Wall-clock seconds the run has taken so far.
    public let seconds: Double
    /// The run's learning-rate schedule (`nil`: constant).
    public let schedule: LearningRateSchedule?
    /// The run's regularisation (`nil`: none).
    public let regularization: Regularization?
    /// The run's early stopping (`nil`: none).
    public let earlyStopping: EarlyStopping?
    /// The optimiser and its state where the run stands (`nil`: plain
    /// gradient descent, which keeps none).
    public let optimizerState: OptimizerState?
    /// A reduce-on-plateau schedule's state.
    let plateau: PlateauState?
    /// Early stopping's state.
    let earlyStoppingState: EarlyStoppingState?
    /// The dropout masks' stream: seed and steps taken.
    let dropoutSeed: UInt64?
    let dropoutStep: UInt64?

    /// `Double` or `Float`: the precision of the network.
    package let precision: String
    /// The input size, then every layer's units.
    package let layerSizes: [Int]
    /// Every parameter, in the network's flat layout.
    let parameters: [Double]
    /// The generator's state (``RandomSource/state()``).
    let generator: [UInt32]
    /// The order of the epoch in progress, or, at an epoch boundary, of the
    /// last epoch (the next epoch's order is a shuffle of it).
    let order: [Int]
    /// Σ loss·rows of the steps taken in the epoch in progress.
    let partialLoss: Double
    /// Rows of the training data.
    let sampleCount: Int
    /// ``dataFingerprint(_:)`` of the training data, in hexadecimal.
    let dataFingerprint: String

    /// Whether every epoch of the run has completed.
    public var isFinished: Bool { epochsCompleted == epochs }

    /// The history so far as a report (its wall time is the run's so far).
    public var report: TrainingReport {
        var report = TrainingReport(trainingLoss: trainingLoss, validationLoss: validationLoss,
                                    validationAccuracy: validationAccuracy,
                                    wallTime: .milliseconds(Int64((seconds * 1000).rounded())))
        report.bestEpoch = TrainingReport.bestEpoch(of: validationLoss ?? trainingLoss)
        return report
    }

    /// The checkpoint as JSON (UTF-8).
    public func encoded() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return try encoder.encode(self)
    }

    /// A checkpoint from ``encoded()``'s bytes, checked for consistency.
    /// - Throws: ``BackpropError/invalidCheckpoint(_:)`` for anything that is
    ///   not such a checkpoint, another format version, or inconsistent state.
    public init(decoding data: Data) throws {
        let decoded: TrainingCheckpoint
        do {
            decoded = try JSONDecoder().decode(TrainingCheckpoint.self, from: data)
        } catch {
            throw BackpropError.invalidCheckpoint("not a training checkpoint (\(Self.describe(error)))")
        }
        try decoded.validate()
        self = decoded
    }

    init(version: Int = formatVersion, settings: TrainingSettings, progress: TrainingProgress,
         precision: String, layerSizes: [Int], parameters: [Double], optimizerState: OptimizerState,
         generator: [UInt32], sampleCount: Int, dataFingerprint: UInt64) {
        self.version = version
        epochs = settings.epochs
        learningRate = settings.learningRate
        batchSize = settings.batchSize
        shuffle = settings.shuffle
        epochsCompleted = progress.epochsCompleted
        stepsCompleted = progress.stepsCompleted
        trainingLoss = progress.report.trainingLoss
        validationLoss = progress.report.validationLoss
        validationAccuracy = progress.report.validationAccuracy
        seconds = Double(progress.report.wallTime.components.seconds)
            + Double(progress.report.wallTime.components.attoseconds) * 1e-18
        schedule = settings.schedule
        regularization = settings.regularization
        earlyStopping = settings.earlyStopping
        self.optimizerState = optimizerState
        plateau = progress.plateau
        earlyStoppingState = progress.earlyStopping
        dropoutSeed = progress.dropoutSeed
        dropoutStep = progress.dropoutSeed == nil ? nil : progress.dropoutStep
        self.precision = precision
        self.layerSizes = layerSizes
        self.parameters = parameters
        self.generator = generator
        order = progress.order
        partialLoss = progress.partialLoss
        self.sampleCount = sampleCount
        self.dataFingerprint = String(dataFingerprint, radix: 16)
    }

    var settings: TrainingSettings {
        TrainingSettings(epochs: epochs, learningRate: learningRate, batchSize: batchSize, shuffle: shuffle,
                         schedule: schedule ?? .constant, regularization: regularization ?? .none,
                         earlyStopping: earlyStopping)
    }

    /// Steps per epoch of this run.
    var stepsPerEpoch: Int {
        let batch = Swift.min(batchSize ?? sampleCount, sampleCount)
        return (sampleCount + batch - 1) / batch
    }

    /// Checks that the fields describe a state a run can be in.
    package func validate() throws {
        func fail(_ message: String) -> BackpropError { .invalidCheckpoint(message) }
        guard version == 1 || version == Self.formatVersion else {
            throw fail("format version \(version); this library reads versions 1 and \(Self.formatVersion)")
        }
        guard epochs >= 1 else { throw fail("epochs is \(epochs), expected ≥ 1") }
        guard learningRate.isFinite && learningRate > 0 else { throw fail("learning rate \(learningRate)") }
        if let batchSize, batchSize < 1 { throw fail("batch size \(batchSize)") }
        guard sampleCount >= 1 else { throw fail("\(sampleCount) samples") }
        guard (0...epochs).contains(epochsCompleted) else {
            throw fail("\(epochsCompleted) epochs completed of \(epochs)")
        }
        guard stepsCompleted >= 0 && stepsCompleted < stepsPerEpoch,
              stepsCompleted == 0 || epochsCompleted < epochs else {
            throw fail("\(stepsCompleted) steps taken of an epoch of \(stepsPerEpoch)")
        }
        guard trainingLoss.count == epochsCompleted, trainingLoss.allSatisfy(\.isFinite) else {
            throw fail("the loss history has \(trainingLoss.count) epochs, expected \(epochsCompleted) finite values")
        }
        for series in [validationLoss, validationAccuracy] {
            if let series, series.count != epochsCompleted {
                throw fail("a validation history has \(series.count) epochs, expected \(epochsCompleted)")
            }
        }
        guard seconds.isFinite && seconds >= 0 else { throw fail("elapsed time \(seconds)") }
        guard precision == "Double" || precision == "Float" else { throw fail("precision \(quoted(precision))") }
        guard layerSizes.count >= 2, layerSizes.allSatisfy({ $0 >= 1 }) else {
            throw fail("layer sizes \(layerSizes)")
        }
        var count = 0
        for l in 1..<layerSizes.count {
            let (weights, o1) = layerSizes[l - 1].multipliedReportingOverflow(by: layerSizes[l])
            let (sum, o2) = count.addingReportingOverflow(weights)
            guard !o1, !o2 else { throw fail("layer sizes \(layerSizes) overflow") }
            count = sum + layerSizes[l]
        }
        guard parameters.count == count else {
            throw fail("\(parameters.count) parameters for layers \(layerSizes), expected \(count)")
        }
        if let i = parameters.firstIndex(where: { !$0.isFinite }) { throw fail("parameter \(i) is not finite") }
        if precision == "Float", let i = parameters.firstIndex(where: { Double(Float($0)) != $0 }) {
            throw fail("parameter \(i) is not a Float value")
        }
        _ = try RandomSource(state: generator)
        guard order.count == sampleCount else {
            throw fail("the row order has \(order.count) entries for \(sampleCount) samples")
        }
        var seen = [Bool](repeating: false, count: sampleCount)
        for i in order {
            guard i >= 0 && i < sampleCount && !seen[i] else { throw fail("the row order is not a permutation") }
            seen[i] = true
        }
        guard partialLoss.isFinite && partialLoss >= 0 || stepsCompleted == 0 && partialLoss == 0 else {
            throw fail("partial loss \(partialLoss)")
        }
        guard UInt64(dataFingerprint, radix: 16) != nil else { throw fail("data fingerprint \(quoted(dataFingerprint))") }
        try validateTrainingOptions(parameterCount: count)
    }

    /// Checks the optimiser, schedule, regularisation and early-stopping
    /// fields and their states.
    private func validateTrainingOptions(parameterCount: Int) throws {
        func fail(_ message: String) -> BackpropError { .invalidCheckpoint(message) }
        do {
            try schedule?.validate()
            try regularization?.validate(hiddenLayers: layerSizes.count - 2)
            try earlyStopping?.validate()
        } catch let error as BackpropError {
            throw fail("\(error)")
        }
        if let optimizerState {
            if precision == "Float" {
                try optimizerState.validate(parameterCount: parameterCount, scalar: Float.self)
            } else {
                try optimizerState.validate(parameterCount: parameterCount, scalar: Double.self)
            }
        }
        if let plateau {
            guard case .reduceOnPlateau = schedule ?? .constant else { throw fail("a plateau state without its schedule") }
            guard plateau.learningRate.isFinite && plateau.learningRate > 0, plateau.badEpochs >= 0,
                  plateau.cooldownLeft >= 0, plateau.best.map({ !$0.isNaN }) ?? true else {
                throw fail("the plateau schedule's state is out of range")
            }
        }
        if let state = earlyStoppingState {
            guard earlyStopping != nil else { throw fail("an early-stopping state without its settings") }
            guard (0...epochsCompleted).contains(state.bestEpoch), state.badEpochs >= 0,
                  state.bestParameters.isEmpty || state.bestParameters.count == parameterCount,
                  state.bestParameters.allSatisfy(\.isFinite) else {
                throw fail("the early-stopping state is out of range")
            }
        }
        if let dropoutStep, dropoutSeed == nil { throw fail("a dropout step \(dropoutStep) without a seed") }
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case let DecodingError.keyNotFound(key, context):
            return "no field \(path(context.codingPath + [key]))"
        case let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context):
            return "field \(path(context.codingPath)) has the wrong type"
        case let DecodingError.dataCorrupted(context):
            return context.codingPath.isEmpty ? "not JSON" : "field \(path(context.codingPath)) is invalid"
        default:
            return "\(error)"
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        quoted(keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: "."))
    }
}

/// What a training run was asked to do.
struct TrainingSettings: Equatable {
    var epochs: Int
    var learningRate: Double
    var batchSize: Int?
    var shuffle: Bool
    var schedule: LearningRateSchedule = .constant
    var regularization: Regularization = .none
    var earlyStopping: EarlyStopping?
}

/// Where a training run stands between two steps.
struct TrainingProgress {
    var epochsCompleted = 0
    /// Steps of the next epoch already taken.
    var stepsCompleted = 0
    /// See ``TrainingCheckpoint/order``.
    var order: [Int]
    /// Σ loss·rows of the steps taken in the epoch in progress.
    var partialLoss = 0.0
    /// The history so far.
    var report = TrainingReport()
    /// A reduce-on-plateau schedule's state (`nil` for other schedules).
    var plateau: PlateauState?
    /// Early stopping's state (`nil` without early stopping).
    var earlyStopping: EarlyStoppingState?
    /// The dropout masks' stream: its seed (drawn from the network's
    /// generator when a run with dropout starts) and steps taken.
    var dropoutSeed: UInt64?
    var dropoutStep: UInt64 = 0

    /// The schedule's and early stopping's states at the start of a run.
    mutating func start(_ settings: TrainingSettings) {
        if case .reduceOnPlateau = settings.schedule, plateau == nil {
            plateau = PlateauState(learningRate: settings.learningRate)
        }
        if settings.earlyStopping != nil, earlyStopping == nil { earlyStopping = EarlyStoppingState() }
    }
}

/// A 64-bit hash of the bit patterns of a data set's inputs and targets
/// (FNV-1a taken a word at a time, each product folded back by a shift): a
/// checkpoint resumes only on the data it was made on.
func dataFingerprint<Scalar: NetworkScalar>(_ data: Dataset<Scalar>) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    func mix(_ word: UInt64) {
        hash = (hash ^ word) &* 0x100_0000_01b3
        hash ^= hash >> 29
    }
    mix(UInt64(data.inputs.rows))
    mix(UInt64(data.inputs.columns))
    for x in data.inputs.elements { mix(Double(x).bitPattern) }
    switch data.targets {
    case let .values(m):
        mix(1)
        mix(UInt64(m.columns))
        for y in m.elements { mix(Double(y).bitPattern) }
    case let .labels(labels):
        mix(2)
        for label in labels { mix(UInt64(bitPattern: Int64(label))) }
    }
    return hash
}
