import ArgumentParser
import Backprop
import Foundation

/// `backprop demo`: train on a built-in data set and draw what happened.
struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Train on a built-in data set, show progress, and draw the loss curve and decision boundary.",
        discussion: """
            Writes loss.svg and decision-boundary.svg into --out, plus (except for \
            half-adder) the trained model and the data as CSV files, ready for \
            `backprop evaluate` and `backprop train`.
            """)

    @Argument(help: "circles, moons, spiral, blobs, xor or half-adder.")
    var dataset: DemoDataset = .circles

    @Option(help: ArgumentHelp("Directory for the pictures, model and data (created if needed).", valueName: "dir"))
    var out: String = "backprop-demo"

    @Option(help: "Passes over the training data (default: the demo's own).")
    var epochs: Int?

    @Option(help: "Seeds the initial weights and shuffling (default: the demo's own).")
    var seed: UInt64?

    @Option(help: ArgumentHelp("Print a progress line every N epochs (the default on a terminal is a live line).", valueName: "N"))
    var progressEvery: Int?

    @Flag(help: "No progress lines (the summary is still printed).")
    var quiet = false

    func validate() throws {
        if let epochs, !(1...1_000_000).contains(epochs) { throw ValidationError("--epochs must be between 1 and 1000000, got \(epochs)") }
        if let progressEvery, progressEvery < 1 { throw ValidationError("--progress-every must be ≥ 1, got \(progressEvery)") }
    }

    func run() throws {
        try reportingErrors { try demo() }
    }

    private func demo() throws {
        var spec = try DemoSpec.make(dataset)
        if let epochs { spec.epochs = epochs }
        if let seed { spec.seed = seed }
        let directory = try makeDirectory(out)

        var network = try Network(inputSize: 2, layers: spec.layers, loss: spec.loss, seed: spec.seed)
        let sizes = spec.hasTestSet ? "\(spec.train.count) training and \(spec.test.count) test points"
                                    : "all \(spec.train.count) points for training and testing"
        Console.out("backprop demo \(dataset.rawValue): \(spec.summary)")
        Console.out("  data:     \(sizes)")
        Console.out("  network:  \(Format.architecture(network)), \(Format.loss(name: spec.loss)), \(network.parameterCount) parameters (seed \(spec.seed))")
        Console.out("  training: \(spec.epochs) epochs of gradient descent, "
                    + (spec.batchSize.map { "batches of \($0)" } ?? "full batch") + ", learning rate \(spec.learningRate)")
        let before = try DemoSpec.accuracy(network, on: spec.test)
        Console.out("  before training: \(spec.hasTestSet ? "test accuracy" : "accuracy") \(Format.percent(before))")
        Console.out()

        let loop = TrainingLoop(
            epochs: spec.epochs, learningRate: spec.learningRate, batchSize: spec.batchSize,
            progress: ProgressReporter(mode: ProgressReporter.mode(quiet: quiet, every: progressEvery, epochs: spec.epochs),
                                       totalEpochs: spec.epochs),
            validationName: "test")
        let history = try loop.run(&network, on: spec.train, validation: spec.hasTestSet ? spec.test : nil)

        let trainAccuracy = try DemoSpec.accuracy(network, on: spec.train)
        let testAccuracy = try DemoSpec.accuracy(network, on: spec.test)
        Console.out()
        if spec.hasTestSet {
            Console.out("trained in \(Format.duration(history.elapsed)): train accuracy \(Format.percent(trainAccuracy)), test accuracy \(Format.percent(testAccuracy))")
        } else {
            Console.out("trained in \(Format.duration(history.elapsed)): accuracy \(Format.percent(trainAccuracy)) on the \(spec.train.count) points")
            try printTruthTable(network, spec)
        }

        // Pictures.
        var written: [(String, String)] = []
        let lossURL = directory.appendingPathComponent("loss.svg")
        var lossPlot = try LossPlot(training: history.training, validation: history.validation,
                                    title: "Loss while learning \(dataset.rawValue)", lossName: Format.loss(name: spec.loss))
        lossPlot.validationName = "test"
        try lossPlot.write(to: lossURL)
        written.append((lossURL.relativePath, "the loss, epoch by epoch" + (history.validation != nil ? " (training and test)" : "")))
        let boundaryURL = directory.appendingPathComponent("decision-boundary.svg")
        try decisionBoundary(network, spec).write(to: boundaryURL)
        written.append((boundaryURL.relativePath, "what the network learned, with the \(spec.hasTestSet ? "test " : "")points"))

        // The model and the data, for the other commands.
        if let labels = spec.train.labels, let testLabels = spec.test.labels {
            let model = try TabularModel(network: network, task: .classification, featureNames: ["x1", "x2"], labelName: "class",
                                  classes: try ClassLabels(names: spec.classNames), inputScaling: nil,
                                  metadata: ["createdBy": "backprop demo \(dataset.rawValue)", "epochs": String(spec.epochs),
                                             "learningRate": String(spec.learningRate), "seed": String(spec.seed)])
            let modelURL = directory.appendingPathComponent("model.json")
            try ModelFile.save(model, to: modelURL)
            written.append((modelURL.relativePath, "the trained model"))
            let trainURL = directory.appendingPathComponent("train.csv")
            try AtomicFile.write(csv(spec.train.inputs, labels, spec.classNames), to: trainURL)
            written.append((trainURL.relativePath, "the training data"))
            if spec.hasTestSet {
                let testURL = directory.appendingPathComponent("test.csv")
                try AtomicFile.write(csv(spec.test.inputs, testLabels, spec.classNames), to: testURL)
                written.append((testURL.relativePath, "the test data"))
            }
        }
        Console.out()
        Console.out("wrote")
        let width = written.map(\.0.count).max() ?? 0
        for (path, what) in written {
            Console.out("  " + path + String(repeating: " ", count: width - path.count) + "   " + what)
        }
        Console.out()
        Console.out("Open the .svg files in a browser.")
        if spec.train.labels != nil {
            let testFile = spec.hasTestSet ? "test.csv" : "train.csv"
            Console.out("Next, the same through the command line:")
            let me = Console.invocationName
            Console.out("  \(me) evaluate --model \(out)/model.json --data \(out)/\(testFile)")
            Console.out("  \(me) train --data \(out)/train.csv --out model.json --plot plots")
        }
    }

    /// The decision regions: classes for labelled data; for the half adder
    /// the four (sum, carry) combinations, each output an independent
    /// probability.
    private func decisionBoundary(_ network: Network<Double>, _ spec: DemoSpec) throws -> DecisionBoundaryPlot {
        let title = "Decision regions — \(dataset.rawValue)"
        if let labels = spec.test.labels {
            return try DecisionBoundaryPlot(points: spec.test.inputs, labels: labels, classNames: spec.classNames,
                                            title: title) { grid in try network.predict(grid) }
        }
        guard case let .values(targets) = spec.test.targets else { throw UserError("demo \(dataset.rawValue) has no targets") }
        let combination = (0..<targets.rows).map { Int(targets[$0, 0]) + 2 * Int(targets[$0, 1]) }
        return try DecisionBoundaryPlot(
            points: spec.test.inputs, labels: combination,
            classNames: ["sum 0, carry 0", "sum 1, carry 0", "sum 0, carry 1", "sum 1, carry 1"],
            title: title, xLabel: "a", yLabel: "b") { grid in
                let p = try network.predict(grid)
                var out = [Double]()
                for i in 0..<p.rows {
                    let s = p[i, 0], c = p[i, 1]
                    out += [(1 - s) * (1 - c), s * (1 - c), (1 - s) * c, s * c]
                }
                return try Matrix(rows: p.rows, columns: 4, elements: out)
            }
    }

    private func printTruthTable(_ network: Network<Double>, _ spec: DemoSpec) throws {
        let p = try network.predict(spec.train.inputs)
        let outputs = spec.isMultiOutput ? spec.classNames : ["output"]
        let trim = { (s: String) in String(s.reversed().drop { $0 == " " }.reversed()) }
        Console.out(trim("  input    " + outputs.map { $0.padding(toLength: 16, withPad: " ", startingAt: 0) }.joined()))
        for i in 0..<p.rows {
            let input = "(\(Int(spec.train.inputs[i, 0])), \(Int(spec.train.inputs[i, 1])))"
            let cells = (0..<p.columns).map { String(format: "%.3f → %d", p[i, $0], p[i, $0] >= 0.5 ? 1 : 0)
                .padding(toLength: 16, withPad: " ", startingAt: 0) }
            Console.out(trim("  \(input)   " + cells.joined()))
        }
    }

    private func csv(_ x: Matrix<Double>, _ labels: [Int], _ names: [String]) -> String {
        var lines = ["x1,x2,class"]
        for i in 0..<x.rows { lines.append("\(x[i, 0].description),\(x[i, 1].description),\(csvField(names[labels[i]]))") }
        return lines.joined(separator: "\n") + "\n"
    }
}
