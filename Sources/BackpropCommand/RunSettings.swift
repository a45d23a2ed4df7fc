import ArgumentParser
import Backprop

/// The settings of a `backprop train` run: the options given, with their
/// defaults; for a resumed run, the ones its checkpoint recorded (an option
/// given again must agree with them: a resumed run ends exactly where the
/// uninterrupted run would, so it cannot change course).
struct RunSettings {
    var data: String
    var out: String
    var epochs: Int
    var learningRate: Double
    var batchSize: Int
    var seed: UInt64
    var validation: String?
    var validationSplit: Double?
    var standardize: Bool
    var memory: MemoryBudget
    var optimizer: Optimizer
    var schedule: LearningRateSchedule
    var regularization: Regularization
    var earlyStopping: EarlyStopping?

    /// Metadata keys a model file records the run's settings under.
    enum Key {
        static let data = "trainedOn", epochs = "epochs", learningRate = "learningRate", batchSize = "batchSize"
        static let seed = "seed", validation = "validation", validationSplit = "validationSplit"
        static let standardize = "standardize"
        static let optimizer = "optimizer", schedule = "schedule", l2 = "l2", clipNorm = "clipNorm"
        static let dropout = "dropout", patience = "earlyStoppingPatience", minDelta = "earlyStoppingMinDelta"
        /// Written when early stopping ended the run: the stop reason, and the epoch whose parameters were kept.
        static let stopReason = "stopReason", bestEpoch = "bestEpoch"
    }

    /// - Parameters:
    ///   - recorded: the resumed model's metadata (empty for a new run).
    ///   - checkpoint: the resumed run's checkpoint, if any.
    ///   - hiddenLayers: the hidden layers of the network trained.
    init(command: TrainCommand, recorded: [String: String], checkpoint: TrainingCheckpoint?, hiddenLayers: Int) throws {
        let resuming = checkpoint != nil
        /// The recorded value when resuming (a given one must equal it), else the given one or the default.
        func setting<T: Equatable>(_ option: String, given: T?, recorded: T?, default value: T) throws -> T {
            guard resuming else { return given ?? value }
            guard let recorded else {
                throw UserError("--resume \(command.resume!): the checkpoint does not record \(option)")
            }
            if let given, given != recorded {
                throw UserError("\(option) \(given) differs from the checkpoint's \(recorded): a resumed run keeps its settings")
            }
            return recorded
        }
        epochs = try setting("--epochs", given: command.epochs, recorded: checkpoint?.epochs, default: 300)
        let method = command.method
        (optimizer, schedule, regularization, earlyStopping) = try Self.method(method, hiddenLayers: hiddenLayers,
                                                                             checkpoint: checkpoint)
        learningRate = try setting("--learning-rate", given: command.learningRate, recorded: checkpoint?.learningRate,
                                   default: OptimizerOption(optimizer.rule).defaultLearningRate)
        batchSize = try setting("--batch-size", given: command.batchSize, recorded: checkpoint?.batchSize, default: 32)
        seed = try setting("--seed", given: command.seed, recorded: recorded[Key.seed].flatMap { UInt64($0) }, default: 1)
        standardize = try setting("--standardize", given: command.standardize,
                                  recorded: recorded[Key.standardize].flatMap { Bool($0) }, default: true)
        // Where the data comes from may change (a moved file); what it holds
        // may not (the checkpoint's fingerprint of the data checks that).
        let recordedData = recorded[Key.data]
        guard let data = command.input.data ?? (recordedData == "-" ? nil : recordedData) else {
            throw UserError("--resume \(command.resume!): the run read its data from standard input; give --data again")
        }
        self.data = data
        if resuming && command.validation == nil && recorded[Key.validation] == "-" {
            throw UserError("--resume \(command.resume!): the run read its validation data from standard input; give --validation again")
        }
        validation = command.validation ?? (resuming ? recorded[Key.validation] : nil)
        let recordedSplit = recorded[Key.validationSplit].flatMap { Double($0) }
        if resuming, let given = command.validationSplit, given != recordedSplit {
            throw UserError("--validation-split \(given) differs from the checkpoint's "
                            + "\(recordedSplit.map { "\($0)" } ?? "(none)"): a resumed run keeps its settings")
        }
        validationSplit = resuming ? recordedSplit : command.validationSplit
            ?? (method.earlyStopping && command.validation == nil ? TrainingMethodOptions.earlyStoppingValidationSplit : nil)
        out = command.out ?? command.resume ?? "model.json"
        memory = try command.memoryLimit.map { try MemoryBudget(limit: $0.bytes) } ?? .system
    }

    /// What a model file records of the run (enough to resume it).
    var metadata: [String: String] {
        var notes = [
            "createdBy": "backprop \(BackpropCommand.configuration.version)",
            Key.data: data,
            Key.epochs: String(epochs),
            Key.learningRate: String(learningRate),
            Key.batchSize: String(batchSize),
            Key.seed: String(seed),
            Key.standardize: String(standardize),
        ]
        if let validation { notes[Key.validation] = validation }
        if let validationSplit { notes[Key.validationSplit] = String(validationSplit) }
        notes[Key.optimizer] = optimizer.description
        if schedule != .constant { notes[Key.schedule] = schedule.description }
        if regularization.l2 != 0 { notes[Key.l2] = String(regularization.l2) }
        if let norm = regularization.maximumGradientNorm { notes[Key.clipNorm] = String(norm) }
        if regularization.hasDropout { notes[Key.dropout] = regularization.dropout.map { String($0) }.joined(separator: ",") }
        if let earlyStopping {
            notes[Key.patience] = String(earlyStopping.patience)
            notes[Key.minDelta] = String(earlyStopping.minimumImprovement)
        }
        return notes
    }

    /// The optimiser, schedule, regularisation and early stopping of the
    /// run: the options' for a new run; the checkpoint's for a resumed
    /// one, which an option given again must agree with.
    private static func method(_ options: TrainingMethodOptions, hiddenLayers: Int, checkpoint: TrainingCheckpoint?) throws
        -> (Optimizer, LearningRateSchedule, Regularization, EarlyStopping?) {
        let schedule = try options.chosenSchedule()
        let regularization = try options.regularization(hiddenLayers: hiddenLayers)
        guard let checkpoint else {
            return (options.chosenOptimizer, schedule, regularization, options.chosenEarlyStopping)
        }
        func differs(_ option: String, _ given: String, recorded: String) -> UserError {
            UserError("\(option) \(given) differs from the checkpoint's \(recorded): a resumed run keeps its settings")
        }
        let optimizer = checkpoint.optimizerState?.optimizer ?? .gradientDescent
        let rule = OptimizerOption(optimizer.rule)
        if let given = options.optimizer, given != rule { throw differs("--optimizer", given.rawValue, recorded: rule.rawValue) }
        try TrainingMethodOptions.requireRead(options.givenSettings, by: rule)
        for setting in options.givenSettings {
            var changed = optimizer
            setting.apply(&changed)
            if changed != optimizer {
                throw UserError("\(setting.option) differs from the checkpoint's optimizer \(optimizer): a resumed run keeps its settings")
            }
        }
        let recordedSchedule = checkpoint.schedule ?? .constant
        if let text = options.schedule, schedule != recordedSchedule {
            throw differs("--schedule", text, recorded: recordedSchedule.description)
        }
        let recordedRegularization = checkpoint.regularization ?? .none
        if let l2 = options.l2, l2 != recordedRegularization.l2 {
            throw differs("--l2", String(l2), recorded: String(recordedRegularization.l2))
        }
        if let norm = options.clipNorm, norm != recordedRegularization.maximumGradientNorm {
            throw differs("--clip-norm", String(norm), recorded: recordedRegularization.maximumGradientNorm.map { String($0) } ?? "(none)")
        }
        if let text = options.dropout, regularization.dropout != recordedRegularization.dropout {
            throw differs("--dropout", text, recorded: recordedRegularization.hasDropout
                          ? recordedRegularization.dropout.map { String($0) }.joined(separator: ",") : "(none)")
        }
        let recordedStopping = checkpoint.earlyStopping
        if options.earlyStopping && recordedStopping == nil {
            throw UserError("--early-stopping was not a setting of the checkpoint's run: a resumed run keeps its settings")
        }
        if let patience = options.patience, patience != recordedStopping?.patience {
            throw differs("--patience", String(patience), recorded: recordedStopping.map { String($0.patience) } ?? "(none)")
        }
        if let delta = options.minDelta, delta != recordedStopping?.minimumImprovement {
            throw differs("--min-delta", String(delta), recorded: recordedStopping.map { String($0.minimumImprovement) } ?? "(none)")
        }
        return (optimizer, recordedSchedule, recordedRegularization, recordedStopping)
    }
}

/// `--memory-limit`: a number of bytes, with an optional suffix K, M, G or
/// T (powers of 1024; `B` and a trailing `iB` or `B` after the letter are
/// accepted too: `512M`, `2GiB`, `1.5G`).
struct MemorySize: ExpressibleByArgument {
    var bytes: Int

    init?(argument: String) {
        var text = argument.trimmingCharacters(in: .whitespaces).uppercased()
        for suffix in ["IB", "B"] where text.hasSuffix(suffix) && text.count > suffix.count {
            text.removeLast(suffix.count)
            break
        }
        let scales: [Character: Double] = ["K": 1024, "M": 1024 * 1024, "G": 1024 * 1024 * 1024,
                                           "T": 1024 * 1024 * 1024 * 1024]
        var scale = 1.0
        if let last = text.last, let factor = scales[last] {
            scale = factor
            text.removeLast()
        }
        guard let value = Double(text), value.isFinite, value >= 1 / scale else { return nil }
        let bytes = (value * scale).rounded(.down)
        guard bytes >= 1, bytes < 9.2e18 else { return nil }
        self.bytes = Int(bytes)
    }
}
