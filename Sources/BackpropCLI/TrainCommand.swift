import ArgumentParser
import Backprop
import Foundation

/// `backprop train`: CSV in, model file out.
struct TrainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train",
        abstract: "Train a network on a CSV file and save the model.",
        discussion: """
            The CSV file needs a header row. Every column except the label column is a \
            numeric feature. Class labels may be strings or integers; the model stores \
            their names. Features are standardized (the statistics are stored in the model).
            """)

    @Option(help: ArgumentHelp("The training data: a CSV file with a header row (- for standard input).", valueName: "file"))
    var data: String

    @Option(help: ArgumentHelp("The CSV field delimiter: , ; or tab (default: found in the header line).", valueName: "delimiter"))
    var delimiter: DelimiterOption?

    @Option(help: ArgumentHelp("Where to write the model (JSON, written atomically).", valueName: "file"))
    var out: String = "model.json"

    @Option(parsing: .unconditional, help: ArgumentHelp("The column to predict, by name, or by 1-based position when no column has that name (-1: the last; default: the last column).", valueName: "name|position"))
    var labelColumn: String?

    @Option(help: ArgumentHelp("Allow up to N classes (default: 1000, and a label column with more than 20 classes and fewer than 4 rows per class is refused as an identifier).", valueName: "N"))
    var maxClasses: Int?

    @Option(help: "classification or regression (default: inferred from the label column, and printed).")
    var task: TaskOption?

    @Option(help: ArgumentHelp("Hidden layer widths, comma-separated (\"none\" for no hidden layer).", valueName: "widths"))
    var layers: String = "32,16"

    @Option(help: "Activation of the hidden layers: relu, tanh, sigmoid, leaky-relu or identity.")
    var activation: ActivationOption = .relu

    @Option(help: "auto, mse, bce (binary cross-entropy) or ce (categorical cross-entropy). auto: bce for 2 classes, ce for more, mse for regression.")
    var loss: LossOption = .auto

    @Option(help: "Passes over the training data.")
    var epochs: Int = 300

    @Option(help: "The gradient-descent step size.")
    var learningRate: Double = 0.1

    @Option(help: "Rows per update.")
    var batchSize: Int = 32

    @Option(help: "Seeds the initial weights, the shuffling and --validation-split.")
    var seed: UInt64 = 1

    @Option(help: ArgumentHelp("A CSV file of validation data (same columns), evaluated after every epoch.", valueName: "file"))
    var validation: String?

    @Option(help: ArgumentHelp("Hold out this fraction of the training rows for validation instead.", valueName: "fraction"))
    var validationSplit: Double?

    @Flag(inversion: .prefixedNo, help: "Standardize features to mean 0, standard deviation 1 (and regression targets too).")
    var standardize = true

    @Option(help: ArgumentHelp("Write the model to --out every N epochs (atomically), so an interrupted run keeps its progress.", valueName: "N"))
    var checkpointEvery: Int?

    @Option(help: ArgumentHelp("Write loss.svg (and, for 2 features, decision-boundary.svg) into this directory.", valueName: "dir"))
    var plot: String?

    @Option(help: ArgumentHelp("Print a progress line every N epochs (the default on a terminal is a live line).", valueName: "N"))
    var progressEvery: Int?

    @Flag(help: "No progress lines (the summary is still printed).")
    var quiet = false

    func validate() throws {
        guard epochs >= 1 && epochs <= 10_000_000 else { throw ValidationError("--epochs must be between 1 and 10000000, got \(epochs)") }
        guard learningRate.isFinite && learningRate > 0 else { throw ValidationError("--learning-rate must be a finite number > 0, got \(learningRate)") }
        guard batchSize >= 1 else { throw ValidationError("--batch-size must be ≥ 1, got \(batchSize)") }
        if validation != nil && validationSplit != nil {
            throw ValidationError("give either --validation FILE or --validation-split FRACTION, not both")
        }
        if let validationSplit, !(validationSplit > 0 && validationSplit < 1) {
            throw ValidationError("--validation-split must be between 0 and 1 (exclusive), got \(validationSplit)")
        }
        if let checkpointEvery, checkpointEvery < 1 { throw ValidationError("--checkpoint-every must be ≥ 1, got \(checkpointEvery)") }
        if let progressEvery, progressEvery < 1 { throw ValidationError("--progress-every must be ≥ 1, got \(progressEvery)") }
        if let maxClasses, maxClasses < 2 { throw ValidationError("--max-classes must be ≥ 2, got \(maxClasses)") }
        if data == "-" && validation == "-" { throw ValidationError("--data and --validation cannot both read standard input (-)") }
        _ = try ModelRecipe.hiddenLayers(layers)
        if task == .regression && (loss == .bce || loss == .ce) {
            throw ValidationError("--loss \(loss.rawValue) is for classification; regression uses mse")
        }
    }

    func run() throws {
        try reportingErrors { try train() }
    }

    private func train() throws {
        let outURL = URL(fileURLWithPath: out)
        try requireDirectory(of: outURL, for: "--out")
        let plotDirectory = try plot.map { try makeDirectory($0) }

        // Data.
        let table = try readTable(data, delimiter: delimiter)
        var trainingData = try TabularData(table: table, label: labelColumn.map(TabularData.LabelColumn.nameOrPosition) ?? .last)
        say("data: \(table.source), \(trainingData.count) rows, \(trainingData.featureNames.count) features, label column \"\(trainingData.labelName)\"")

        let chosenTask: LearningTask
        if let task {
            chosenTask = task.task
            say("task: \(chosenTask) (--task)")
        } else {
            let (inferred, reason) = LearningTask.infer(fromLabels: trainingData.labels!)
            chosenTask = inferred
            say("task: \(chosenTask) (inferred: \(reason); override with --task)")
        }
        let classes = chosenTask == .classification ? try trainingData.fitClasses(maximumClasses: maxClasses) : nil
        if let classes {
            say("classes: \(classes.count): " + classes.names.prefix(10).joined(separator: ", ") + (classes.count > 10 ? ", …" : ""))
        }

        // Validation data.
        var validationData: TabularData?
        if let validation {
            let validationTable = try readTable(validation, delimiter: delimiter)
            validationData = try TabularData(table: validationTable, featureNames: trainingData.featureNames,
                                             labelColumn: trainingData.labelName, requireLabels: true)
            say("validation: \(validation), \(validationData!.count) rows")
        } else if let validationSplit {
            let (a, b) = try DataSplit.indices(count: trainingData.count, validationFraction: validationSplit, seed: seed)
            validationData = trainingData.rows(at: b)
            trainingData = trainingData.rows(at: a)
            say("validation: \(b.count) of the rows held out (--validation-split \(validationSplit), seed \(seed)); \(a.count) left for training")
        }

        // Scaling, targets, network.
        let inputScaling = standardize ? try Standardizer(fitting: trainingData.features) : nil
        var targetScaling: Standardizer?
        let trainTargets: Targets<Double>
        var validationTargets: Targets<Double>?
        if let classes {
            trainTargets = .labels(try trainingData.classIndices(using: classes))
            validationTargets = try validationData.map { .labels(try $0.classIndices(using: classes)) }
        } else {
            let y = try trainingData.numericLabels()
            if standardize { targetScaling = try Standardizer(fitting: Matrix(column: y)) }
            let scale = { (values: [Double]) throws -> Matrix<Double> in
                try targetScaling?.transform(Matrix(column: values)) ?? Matrix(column: values)
            }
            trainTargets = .values(try scale(y))
            validationTargets = try validationData.map { .values(try scale(try $0.numericLabels())) }
        }
        if standardize {
            say("standardization: features\(chosenTask == .regression ? " and target" : "") to mean 0, standard deviation 1 (stored in the model)")
        }
        let hidden = try ModelRecipe.hiddenLayers(layers).map { Layer.dense($0, activation.activation) }
        let (outputLayer, lossFunction) = try ModelRecipe.output(task: chosenTask, classes: classes?.count ?? 0, loss: loss)
        var network = try Network(inputSize: trainingData.featureNames.count, layers: hidden + [outputLayer],
                                  loss: lossFunction, seed: seed)
        say("network: \(Format.architecture(network)), \(Format.loss(name: lossFunction)), \(network.parameterCount) parameters")
        say("training: \(epochs) epochs, learning rate \(learningRate), batches of \(batchSize), seed \(seed)"
            + (checkpointEvery.map { ", checkpoint every \($0) epochs to \(out)" } ?? ""))

        let prepare = { (x: Matrix<Double>) throws -> Matrix<Double> in try inputScaling?.transform(x) ?? x }
        let trainSet = Dataset(inputs: try prepare(trainingData.features), targets: trainTargets)
        let validationSet = try validationData.map { Dataset(inputs: try prepare($0.features), targets: validationTargets!) }

        var metadata = [
            "createdBy": "backprop \(BackpropCommand.configuration.version)",
            "trainedOn": data,
            "epochs": String(epochs),
            "learningRate": String(learningRate),
            "batchSize": String(batchSize),
            "seed": String(seed),
        ]
        let makeModel = { (network: Network<Double>, epochsDone: Int) throws -> Model in
            var notes = metadata
            notes["epochsCompleted"] = String(epochsDone)
            return try Model(network: network, task: chosenTask, featureNames: trainingData.featureNames,
                             labelName: trainingData.labelName, classes: classes, inputScaling: inputScaling,
                             targetScaling: targetScaling, metadata: notes)
        }

        let loop = TrainingLoop(
            epochs: epochs, learningRate: learningRate, batchSize: batchSize,
            progress: ProgressReporter(mode: ProgressReporter.mode(quiet: quiet, every: progressEvery, epochs: epochs),
                                       totalEpochs: epochs),
            checkpointEvery: checkpointEvery,
            checkpoint: { network, epoch in try ModelFile.save(makeModel(network, epoch), to: outURL) })
        let history = try loop.run(&network, on: trainSet, validation: validationSet)
        metadata["finalTrainingLoss"] = String(history.training.last!)

        let model = try makeModel(network, epochs)
        say("trained in \(Format.duration(history.elapsed)): final training loss \(Format.loss(history.training.last!))")
        if let classes {
            let trainMetrics = try model.evaluate(features: trainingData.features,
                                                  classIndices: try trainingData.classIndices(using: classes))
            var line = "training accuracy \(Format.percent(trainMetrics.accuracy))"
            if let validationData {
                let v = try model.evaluate(features: validationData.features,
                                           classIndices: try validationData.classIndices(using: classes))
                line += ", validation accuracy \(Format.percent(v.accuracy))"
            }
            say(line)
        } else {
            let t = try model.evaluate(features: trainingData.features, values: try trainingData.numericLabels())
            say("training: MSE \(Format.number(t.meanSquaredError)), MAE \(Format.number(t.meanAbsoluteError)), R² \(t.r2.map(Format.number) ?? "n/a")")
            if let validationData {
                let v = try model.evaluate(features: validationData.features, values: try validationData.numericLabels())
                say("validation: MSE \(Format.number(v.meanSquaredError)), MAE \(Format.number(v.meanAbsoluteError)), R² \(v.r2.map(Format.number) ?? "n/a")")
            }
        }
        try ModelFile.save(model, to: outURL)
        say("wrote \(out)")

        if let plotDirectory {
            let lossURL = plotDirectory.appendingPathComponent("loss.svg")
            try LossPlot(training: history.training, validation: history.validation,
                         title: "Training loss — \(URL(fileURLWithPath: data).lastPathComponent)",
                         lossName: Format.loss(name: lossFunction)).write(to: lossURL)
            var written = [lossURL.relativePath]
            if let classes, trainingData.featureNames.count == 2 {
                let boundaryURL = plotDirectory.appendingPathComponent("decision-boundary.svg")
                try DecisionBoundaryPlot(model: model, points: trainingData.features,
                                         labels: try trainingData.classIndices(using: classes),
                                         title: "Decision regions — \(URL(fileURLWithPath: data).lastPathComponent)")
                    .write(to: boundaryURL)
                written.append(boundaryURL.relativePath)
            }
            say("wrote " + written.joined(separator: ", "))
        }
    }

    private func say(_ line: String) {
        Console.out(line)
    }
}

/// Fails early (before training) when a file's directory does not exist.
func requireDirectory(of url: URL, for option: String) throws {
    let directory = url.deletingLastPathComponent()
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: directory.path, isDirectory: &isDirectory), isDirectory.boolValue else {
        throw UserError("\(option) \(url.relativePath): no such directory \(directory.relativePath)")
    }
}

/// Creates a directory (and its parents) if needed.
func makeDirectory(_ path: String) throws -> URL {
    let url = URL(fileURLWithPath: path, isDirectory: true)
    do {
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    } catch {
        throw UserError("\(path): cannot create directory: \((error as NSError).localizedDescription)")
    }
    return url
}
