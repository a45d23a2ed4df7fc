import ArgumentParser
import Backprop
import Foundation

/// `backprop train`: CSV in, model file out.
struct TrainCommand: ParsableCommand, DataReadingCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on a CSV file and save the model.",
        discussion: """
            The CSV file needs a header row. Every column except the label column is a \
            numeric feature. Class labels may be strings or integers; the model stores \
            their names. Features are standardized (the statistics are stored in the model).
            """)

    static let dataHelp = "The training data: a CSV file with a header row (- for standard input)."
    @OptionGroup var input: OptionalDataOptions<TrainCommand>

    @Option(help: ArgumentHelp("Where to write the model (JSON, written atomically; default: model.json, or the --resume file).", valueName: "file"))
    var out: String?

    @Option(help: ArgumentHelp("Continue the run saved in this file (by an interrupted run, or --checkpoint-every) to exactly the model an uninterrupted run gives. Its settings are the run's; --data defaults to the file it recorded.", valueName: "file"))
    var resume: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("The column to predict, by name, or by 1-based position when no column has that name (-1: the last; default: the last column).", valueName: "name|position"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("Allow up to N classes (default: 1000, and a label column with more than 20 classes and fewer than 4 rows per class is refused as an identifier).", valueName: "N"))
    var maxClasses: Int?

    @Option(help: "classification or regression (default: inferred from the label column, and printed).")
    var task: TaskOption?

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated (\"none\" for no hidden layer; default: 32,16).", valueName: "widths"))
    var layers: String?

    @Option(help: "Activation of the hidden layers: relu (the default), tanh, sigmoid, leaky-relu or identity.")
    var activation: ActivationOption?

    @Option(help: "auto (the default), mse, bce (binary cross-entropy) or ce (categorical cross-entropy). auto: bce for 2 classes, ce for more, mse for regression.")
    var loss: LossOption?

    @Option(help: "Passes over the training data (default: 300).")
    var epochs: Int?

    @Option(help: ArgumentHelp("""
        The step size η (default: by --optimizer: 0.1 for sgd, 0.001 for adam and adamw, 0.01 for rmsprop, \
        adagrad and rprop, whose initial step size it is).
        """, valueName: "η"))
    var learningRate: Double?

    @Option(help: "Rows per update (default: 32).")
    var batchSize: Int?

    @Option(help: "Seeds the initial weights, the shuffling and --validation-split (default: 1).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("A CSV file of validation data (same columns), evaluated after every epoch.", valueName: "file"))
    var validation: String?

    @Option(help: ArgumentHelp("Hold out this fraction of the training rows for validation instead.", valueName: "fraction"))
    var validationSplit: Double?

    @OptionGroup(title: "Optimiser, learning-rate schedule, regularisation, early stopping")
    var method: TrainingMethodOptions

    @Flag(inversion: .prefixedNo, help: "Standardize features to mean 0, standard deviation 1 (and regression targets too; the default).")
    var standardize: Bool?

    @Option(help: ArgumentHelp("Write the model with a checkpoint of the run to --out every N epochs (atomically): --resume continues from it.", valueName: "N"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Refuse to start when the data, the network and a batch's buffers need more than this much memory: bytes, or with a suffix K, M, G, T (powers of 1024). Default: the memory available on the machine.", valueName: "size"))
    var memoryLimit: MemorySize?

    @Option(help: ArgumentHelp("Write loss.svg (and, for 2 features, decision-boundary.svg) into this directory.", valueName: "dir"))
    var plot: String?

    @Option(help: ArgumentHelp("Print a progress line every N epochs (the default on a terminal is a live line).", valueName: "N"))
    var progressEvery: Int?

    @Flag(help: "No progress lines (the summary is still printed).")
    var quiet = false

    func validate() throws {
        if let epochs, !(epochs >= 1 && epochs <= 10_000_000) { throw ValidationError("--epochs must be between 1 and 10000000, got \(epochs)") }
        if let learningRate, !(learningRate.isFinite && learningRate > 0) { throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)") }
        if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if validation != nil && validationSplit != nil {
            throw ValidationError("give either --validation FILE or --validation-split FRACTION, not both")
        }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be between 0 and 1 (exclusive), got \(validationSplit)")
        }
        if method.minimizer != nil {
            for (given, option) in [(learningRate != nil, "--learning-rate"), (batchSize != nil, "--batch-size"),
                                    (checkpointEvery != nil, "--checkpoint-every"), (resume != nil, "--resume"),
                                    (plot != nil, "--plot")] where given {
                throw ValidationError("--minimizer trains by full-batch minimisation; \(option) cannot be given with it")
            }
        }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be ≥ 1, got \(checkpointEvery)") }
        if let progressEvery, progressEvery < 1 { throw ValidationError("--progress-every must be ≥ 1, got \(progressEvery)") }
        if let maxClasses, maxClasses < 2 { throw ValidationError("--max-classes must be ≥ 2, got \(maxClasses)") }
        if input.data == "-" && validation == "-" { throw ValidationError("--data and --validation cannot both read standard input (-)") }
        if input.data == nil && resume == nil { throw ValidationError("--data is required (or --resume a checkpoint)") }
        for (option, path) in [("--data", input.data), ("--out", out), ("--resume", resume), ("--validation", validation),
                               ("--plot", plot)] where path?.isEmpty == true {
            throw ValidationError("\(option) needs a path, got an empty one")
        }
        if let layers { _ = try ModelRecipe.hiddenLayers(layers) }
        try method.validate(hiddenLayers: resume == nil ? try ModelRecipe.hiddenLayers(layers ?? Self.defaultLayers).count : nil)
        if task == .regression && (loss == .bce || loss == .ce) {
            throw ValidationError("--loss \(loss!.rawValue) is for classification; regression uses mse")
        }
        if resume != nil {
            // The network and its data's meaning come from the checkpoint.
            for (given, option) in [(layers != nil, "--layers"), (activation != nil, "--activation"),
                                    (loss != nil, "--loss"), (task != nil, "--task"),
                                    (labelColumn != nil, "--label-column"), (maxClasses != nil, "--max-classes")]
                where given {
                throw ValidationError("\(option) cannot be given with --resume: the checkpoint's network and data settings are used")
            }
        }
    }

    func run() throws {
        try reportingErrors { try train() }
    }

    private func train() throws {
        // From here on a signal stops the run at its next step, with a checkpoint.
        let signals = SignalInterruption()
        defer { signals.stop() }

        // A resumed run: the model and checkpoint it saved, and the settings
        // it recorded (in the model's metadata).
        var resumed: (model: TabularModel, checkpoint: TrainingCheckpoint)?
        if let resume {
            let (model, checkpoint) = try ModelFile.loadCheckpoint(from: URL(fileURLWithPath: resume))
            guard let checkpoint else {
                throw UserError("--resume \(resume): the model file holds no training checkpoint (a finished model; "
                                + "checkpoints are written by an interrupted run or --checkpoint-every)")
            }
            guard !checkpoint.isFinished else {
                throw UserError("--resume \(resume): the run finished all its \(checkpoint.epochs) epochs; nothing to resume")
            }
            resumed = (model, checkpoint)
        }
        let recorded = resumed?.model.metadata ?? [:]
        let hiddenLayers = try resumed.map { $0.model.network.layers.count - 1 }
            ?? ModelRecipe.hiddenLayers(layers ?? Self.defaultLayers).count
        let settings = try RunSettings(command: self, recorded: recorded, checkpoint: resumed?.checkpoint,
                                       hiddenLayers: hiddenLayers)
        let data = settings.data, out = settings.out
        let outURL = URL(fileURLWithPath: out)

        // Every output is checked before any work: writable, not an input.
        try requireWritable(out, for: "--out")
        var inputs: [(option: String, path: String)] = [("--data", data)]
        if let validation = settings.validation { inputs.append(("--validation", validation)) }
        try requireDistinct(output: out, for: "--out", from: inputs)
        let plotDirectory = try plot.map { try makeDirectory($0, for: "--plot") }
        if let plotDirectory {
            for name in ["loss.svg", "decision-boundary.svg"] {
                let path = plotDirectory.appendingPathComponent(name).path
                try requireWritable(path, for: "--plot")
                try requireDistinct(output: path, for: "--plot", from: inputs + [("--out", out)])
            }
        }

        // Data.
        for path in [data, settings.validation].compactMap({ $0 }) where path != "-" {
            try settings.memory.requireToParse(fileAt: path, named: path)
        }
        let table = try input.csv.readTable(data)
        var trainingData: TabularData
        if let model = resumed?.model {
            trainingData = try TabularData(table: table, label: .name(model.labelName))
            guard trainingData.featureNames == model.featureNames else {
                throw UserError("--data \(data): its feature columns \(trainingData.featureNames) are not the checkpoint's \(model.featureNames)")
            }
        } else {
            trainingData = try TabularData(table: table, label: labelColumn.map(TabularData.LabelColumn.nameOrPosition) ?? .last)
        }
        say("data: \(table.source), \(trainingData.count) rows, \(trainingData.featureNames.count) features, label column \"\(trainingData.labelName)\"")

        let chosenTask: LearningTask
        if let model = resumed?.model {
            chosenTask = model.task
            say("task: \(chosenTask) (the checkpoint's)")
        } else if let task {
            chosenTask = task.task
            say("task: \(chosenTask) (--task)")
        } else {
            let (inferred, reason) = LearningTask.infer(fromLabels: trainingData.labels!)
            chosenTask = inferred
            say("task: \(chosenTask) (inferred: \(reason); override with --task)")
        }
        let classes = try resumed.map { $0.model.classes }
            ?? (chosenTask == .classification ? try trainingData.fitClasses(maximumClasses: maxClasses) : nil)
        if let classes {
            say("classes: \(classes.count): " + classes.names.prefix(10).joined(separator: ", ") + (classes.count > 10 ? ", …" : ""))
        }

        // Validation data.
        var validationData: TabularData?
        if let validation = settings.validation {
            let validationTable = try input.csv.readTable(validation)
            validationData = try TabularData(table: validationTable, featureNames: trainingData.featureNames,
                                             labelColumn: trainingData.labelName, requireLabels: true)
            say("validation: \(validationTable.source), \(validationData!.count) rows")
        } else if let validationSplit = settings.validationSplit {
            let (a, b) = try DataSplit.indices(count: trainingData.count, validationFraction: validationSplit,
                                               seed: settings.seed)
            validationData = trainingData.rows(at: b)
            trainingData = trainingData.rows(at: a)
            let reason = validationSplit == self.validationSplit || resumed != nil ? "--validation-split \(validationSplit)"
                : "--early-stopping's default --validation-split \(validationSplit)"
            say("validation: \(b.count) of the rows held out (\(reason), seed \(settings.seed)); \(a.count) left for training")
        }

        // Scaling, targets, network: a resumed run takes the checkpoint's.
        let inputScaling: Standardizer?
        var targetScaling: Standardizer?
        if let model = resumed?.model {
            inputScaling = model.inputScaling
            targetScaling = model.targetScaling
        } else {
            inputScaling = settings.standardize ? try Standardizer(fitting: trainingData.features) : nil
            if settings.standardize && classes == nil {
                targetScaling = try Standardizer(fitting: Matrix(column: try trainingData.numericLabels()))
            }
        }
        let trainTargets: Targets<Double>
        var validationTargets: Targets<Double>?
        if let classes {
            trainTargets = .labels(try trainingData.classIndices(using: classes))
            validationTargets = try validationData.map { .labels(try $0.classIndices(using: classes)) }
        } else {
            let scale = { (values: [Double]) throws -> Matrix<Double> in
                try targetScaling?.transform(Matrix(column: values)) ?? Matrix(column: values)
            }
            trainTargets = .values(try scale(try trainingData.numericLabels()))
            validationTargets = try validationData.map { .values(try scale(try $0.numericLabels())) }
        }
        if inputScaling != nil {
            say("standardization: features\(targetScaling != nil ? " and target" : "") to mean 0, standard deviation 1 (stored in the model)")
        }
        var network: Network<Double>
        if let model = resumed?.model {
            network = model.network
        } else {
            let hidden = try ModelRecipe.hiddenLayers(layers ?? Self.defaultLayers).map { LayerSpecification.dense($0, (activation ?? .relu).activation) }
            let (outputLayer, lossFunction) = try ModelRecipe.output(task: chosenTask, classes: classes?.count ?? 0,
                                                                     loss: loss ?? .auto)
            let sizes = [trainingData.featureNames.count] + hidden.map(\.units) + [outputLayer.units]
            try settings.memory.require(Self.parameterBytes(layerSizes: sizes), for: "a network of layers \(sizes)")
            network = try Network(inputSize: trainingData.featureNames.count, layers: hidden + [outputLayer],
                                  loss: lossFunction, seed: settings.seed)
            network.optimizer = settings.optimizer
        }
        network.memoryBudget = settings.memory
        say("network: \(Format.architecture(network)), \(Format.loss(name: network.loss)), \(network.parameterCount) parameters")
        if let checkpoint = resumed?.checkpoint {
            say("resuming: \(resume!), after \(checkpoint.stepsCompleted == 0 ? "epoch \(checkpoint.epochsCompleted)" : "step \(checkpoint.stepsCompleted) of epoch \(checkpoint.epochsCompleted + 1)") of \(checkpoint.epochs)")
        }
        say((method.minimizer.map { "training: full-batch \($0.rawValue), at most \(settings.epochs) iterations, seed \(settings.seed)" }
             ?? "training: \(settings.epochs) epochs, learning rate \(settings.learningRate), batches of \(settings.batchSize), seed \(settings.seed)")
            + Self.methodDescription(settings)
            + (checkpointEvery.map { ", checkpoint every \($0) epochs to \(out)" } ?? ""))

        let prepare = { (x: Matrix<Double>) throws -> Matrix<Double> in try inputScaling?.transform(x) ?? x }
        let trainSet = Dataset(inputs: try prepare(trainingData.features), targets: trainTargets)
        let validationSet = try validationData.map { Dataset(inputs: try prepare($0.features), targets: validationTargets!) }

        var metadata = settings.metadata
        let template = network
        let makeModel = { (network: Network<Double>, epochsDone: Int) throws -> TabularModel in
            var notes = metadata
            notes["epochsCompleted"] = String(epochsDone)
            return try TabularModel(network: network, task: chosenTask, featureNames: trainingData.featureNames,
                             labelName: trainingData.labelName, classes: classes, inputScaling: inputScaling,
                             targetScaling: targetScaling, metadata: notes)
        }
        let saveCheckpoint = { (checkpoint: TrainingCheckpoint) throws in
            var network = template
            try network.restore(from: checkpoint)
            try ModelFile.save(makeModel(network, checkpoint.epochsCompleted), checkpoint: checkpoint, to: outURL)
        }

        if let minimizer = method.minimizer {
            try minimize(&network, by: minimizer, on: trainSet, validation: validationSet, iterations: settings.epochs,
                         l2: settings.regularization.l2, model: { try makeModel($0, $1) }, out: out)
            return
        }
        let loop = TrainingLoop(
            epochs: settings.epochs, learningRate: settings.learningRate, batchSize: settings.batchSize,
            schedule: settings.schedule, regularization: settings.regularization, earlyStopping: settings.earlyStopping,
            progress: ProgressReporter(mode: ProgressReporter.mode(quiet: quiet, every: progressEvery, epochs: settings.epochs),
                                       totalEpochs: settings.epochs),
            checkpointEvery: checkpointEvery, checkpoint: saveCheckpoint, interruption: signals.interruption)
        let history = try loop.run(&network, on: trainSet, validation: validationSet, resuming: resumed?.checkpoint)
        if let checkpoint = history.interrupted {
            try saveCheckpoint(checkpoint)
            let resumeCommand = "\(Console.invocationName) train --resume \(out)" + (data == "-" ? " --data FILE" : "")
            Console.err("backprop: \(signals.signalName): stopped \(checkpoint.stepsCompleted == 0 ? "after epoch \(checkpoint.epochsCompleted)" : "after step \(checkpoint.stepsCompleted) of epoch \(checkpoint.epochsCompleted + 1)") of \(checkpoint.epochs); "
                        + "wrote the model and a checkpoint to \(out); continue with: \(resumeCommand)")
            throw ExitCode(signals.exitCode)
        }
        metadata["finalTrainingLoss"] = String(history.training.last!)
        var stopLine: String?
        if case let .earlyStopped(epoch, bestEpoch) = history.stopReason {
            metadata[RunSettings.Key.stopReason] = history.stopReason.description
            metadata[RunSettings.Key.bestEpoch] = String(bestEpoch)
            stopLine = "stopped early after epoch \(epoch) of \(settings.epochs): best validation loss at epoch \(bestEpoch)"
                + (settings.earlyStopping?.restoresBestParameters == true ? ", its parameters kept" : "")
        }
        try warnAboutTraining(losses: history.training, network: network, on: trainSet,
                              learningRate: settings.learningRate)

        let model = try makeModel(network, history.training.count)
        // Saved first: a network that overflows on some rows is still the
        // run's result, there to inspect.
        try ModelFile.save(model, to: outURL)
        say("trained in \(Format.duration(history.elapsed)): final training loss \(Format.loss(history.training.last!))")
        if let stopLine { say(stopLine) }
        try locatingOverflow(model: out, on: trainingData) {
            if let classes {
                let trainMetrics = try model.evaluate(features: trainingData.features,
                                                      classIndices: try trainingData.classIndices(using: classes))
                var line = "training accuracy \(Format.percent(trainMetrics.accuracy))"
                if let validationData {
                    let v = try locatingOverflow(model: out, on: validationData) {
                        try model.evaluate(features: validationData.features,
                                           classIndices: try validationData.classIndices(using: classes))
                    }
                    line += ", validation accuracy \(Format.percent(v.accuracy))"
                }
                say(line)
            } else {
                let t = try model.evaluate(features: trainingData.features, values: try trainingData.numericLabels())
                say("training: MSE \(Format.number(t.meanSquaredError)), MAE \(Format.number(t.meanAbsoluteError)), R² \(t.rSquared.map(Format.number) ?? "n/a")")
                if let validationData {
                    let v = try locatingOverflow(model: out, on: validationData) {
                        try model.evaluate(features: validationData.features, values: try validationData.numericLabels())
                    }
                    say("validation: MSE \(Format.number(v.meanSquaredError)), MAE \(Format.number(v.meanAbsoluteError)), R² \(v.rSquared.map(Format.number) ?? "n/a")")
                }
            }
        }
        say("wrote \(out)")

        if let plotDirectory {
            let lossURL = plotDirectory.appendingPathComponent("loss.svg")
            let dataName = data == "-" ? standardInputName : URL(fileURLWithPath: data).lastPathComponent
            try LossPlot(training: history.training, validation: history.validation,
                         title: "Training loss — \(dataName)",
                         lossName: Format.loss(name: network.loss)).write(to: lossURL)
            var written = [lossURL.relativePath]
            if let classes, trainingData.featureNames.count == 2 {
                let boundaryURL = plotDirectory.appendingPathComponent("decision-boundary.svg")
                try DecisionBoundaryPlot(model: model, points: trainingData.features,
                                         labels: try trainingData.classIndices(using: classes),
                                         title: "Decision regions — \(dataName)")
                    .write(to: boundaryURL)
                written.append(boundaryURL.relativePath)
            }
            say("wrote " + written.joined(separator: ", "))
        }
    }

    /// The hidden layers when `--layers` is not given.
    static let defaultLayers = "32,16"

    /// The optimiser, schedule, regularisation and early stopping of a run
    /// for the "training:" line: each that is not the default, after a comma.
    static func methodDescription(_ settings: RunSettings) -> String {
        var parts: [String] = []
        if settings.optimizer != .gradientDescent { parts.append("optimizer \(settings.optimizer)") }
        if settings.schedule != .constant { parts.append("schedule \(settings.schedule)") }
        let regularization = settings.regularization
        if regularization.l2 != 0 { parts.append("L2 \(regularization.l2)") }
        if let norm = regularization.maximumGradientNorm { parts.append("gradient norm clipped to \(norm)") }
        if regularization.hasDropout {
            parts.append("dropout " + regularization.dropout.map { String($0) }.joined(separator: ","))
        }
        if let stopping = settings.earlyStopping {
            parts.append("early stopping (patience \(stopping.patience), min delta \(stopping.minimumImprovement))")
        }
        return parts.map { ", " + $0 }.joined()
    }

    /// `--minimizer`: full-batch minimisation, then the model saved and its
    /// accuracy (or errors) printed as after training.
    private func minimize(_ network: inout Network<Double>, by minimizer: MinimizerOption, on trainSet: Dataset<Double>,
                          validation: Dataset<Double>?, iterations: Int, l2: Double,
                          model makeModel: (Network<Double>, Int) throws -> TabularModel, out: String) throws {
        let report = try network.minimize(on: trainSet, method: minimizer.method, maximumIterations: iterations,
                                          gradientTolerance: method.gradientTolerance ?? 1e-5, l2: l2)
        let outcome = switch report.outcome {
        case .converged: "converged (gradient norm \(Format.number(report.gradientNorm)))"
        case .iterationLimit: "stopped at the iteration budget (--epochs \(iterations); gradient norm \(Format.number(report.gradientNorm)))"
        case .noProgress: "stopped: the line search found no lower point (gradient norm \(Format.number(report.gradientNorm)))"
        }
        say("\(minimizer.rawValue): \(report.iterations) iterations, \(report.evaluations) evaluations, "
            + "final loss \(Format.loss(report.loss)), \(outcome)")
        let trained = try makeModel(network, report.iterations)
        try ModelFile.save(trained, to: URL(fileURLWithPath: out))
        if network.loss.isClassification {
            var line = "training accuracy \(Format.percent(Network<Double>.accuracy(of: try network.predict(trainSet.inputs), against: trainSet.targets)))"
            if let validation {
                line += ", validation accuracy \(Format.percent(Network<Double>.accuracy(of: try network.predict(validation.inputs), against: validation.targets)))"
            }
            say(line)
        }
        say("wrote \(out)")
    }

    /// Bytes of a network's parameters while it is built (see ``MemoryBudget``).
    static func parameterBytes(layerSizes: [Int]) -> Int {
        var count = 0
        for l in 1..<layerSizes.count {
            count = Swift.min(count, Int.max / 2) + MemoryBudget.bytes(count: layerSizes[l - 1] + 1, size: layerSizes[l])
        }
        return MemoryBudget.bytes(count: count, size: 3 * MemoryLayout<Double>.stride)
    }

    private func say(_ line: String) {
        Console.out(line)
    }
}
