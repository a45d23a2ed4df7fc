import ArgumentParser
import Backprop
import Foundation

/// `backprop gradcheck`: backpropagation's gradients against finite differences.
struct GradcheckCommand: ParsableCommand, DataReadingCommand {
    static let configuration = CommandConfiguration(
        commandName: "gradcheck",
        abstract: "Compare backpropagation's gradients with finite differences, layer by layer.",
        discussion: """
            Checks a model file on rows of a CSV file (--model with --data), or on a \
            built-in data set (--dataset), with a freshly initialized demo network unless \
            --model is given. An entry passes when both gradients are finite and \
            |analytic − numeric| ≤ atol + rtol·|numeric|; the default atol is the rounding \
            bound of each entry: its finite difference's (about 4.4e-10 for --epsilon 1e-6 \
            and losses and logits of order 1), which holds for a batch of any size, plus \
            backpropagation's own in the precision checked (32u·√K times the entry's \
            rounding magnitude). --precision float checks the single-precision kernels on \
            the network converted to float, against the same double-precision finite \
            differences. Exit status 1 when any entry is outside the tolerance or not finite.
            """)

    @Option(help: ArgumentHelp("A model file written by `backprop train`.", valueName: "file"))
    var model: String?

    static let dataHelp = "A CSV file with the model's features and label column (- for standard input)."
    @OptionGroup var input: OptionalDataOptions<GradcheckCommand>

    @Option(help: "A built-in data set instead of --data: circles, moons, spiral, blobs, xor or half-adder.")
    var dataset: DemoDataset?

    @Option(help: "How many rows (the first ones) make up the checked batch.")
    var samples: Int = 8

    @Option(help: "The finite-difference step ε.")
    var epsilon: Double = 1e-6

    @Option(name: [.customLong("rtol"), .customLong("tolerance")],
            help: "rtol: the error allowed in proportion to the numeric gradient (--tolerance is the same).")
    var relativeTolerance: Double = 1e-6

    @Option(name: .customLong("atol"),
            help: "atol: the error allowed at every entry (default: the rounding bound of each entry).")
    var absoluteTolerance: Double?

    @Option(help: "Check at most this many parameters (sampled with a fixed seed); 0 checks all.")
    var maxParameters: Int = 5000

    @Option(help: "The arithmetic of the backpropagation checked: double, or float (the single-precision kernels).")
    var precision: PrecisionOption = .double

    func validate() throws {
        guard (input.data == nil) != (dataset == nil) else {
            throw ValidationError("give exactly one of --data FILE (with --model) or --dataset NAME")
        }
        if input.data != nil && model == nil { throw ValidationError("--data needs --model") }
        guard samples >= 1 else { throw ValidationError("--samples must be ≥ 1, got \(samples)") }
        guard epsilon.isFinite && epsilon > 0 else { throw ValidationError("--epsilon must be finite and > 0") }
        guard relativeTolerance.isFinite && relativeTolerance > 0 else { throw ValidationError("--rtol must be finite and > 0") }
        if let absoluteTolerance, !(absoluteTolerance.isFinite && absoluteTolerance >= 0) {
            throw ValidationError("--atol must be finite and ≥ 0")
        }
        guard maxParameters >= 0 else { throw ValidationError("--max-parameters must be ≥ 0") }
    }

    func run() throws {
        var passed = false
        try reportingErrors {
            let network: Network<Double>
            var batch: Dataset<Double>
            var source: String
            if let dataset {
                let spec = try DemoSpec.make(dataset)
                batch = spec.train
                source = "the \(dataset.rawValue) data set"
                if let path = model {
                    let model = try ModelFile.load(from: URL(fileURLWithPath: path))
                    guard model.featureNames.count == 2 else {
                        throw UserError("\(path): the model has \(model.featureNames.count) features; --dataset \(dataset.rawValue) has 2")
                    }
                    if let classes = model.classes, let labels = batch.labels, let bad = labels.first(where: { $0 >= classes.count }) {
                        throw UserError("\(path): the model has \(classes.count) classes; --dataset \(dataset.rawValue) has label \(bad)")
                    }
                    network = model.network
                    batch = Dataset(inputs: try model.prepare(batch.inputs), targets: batch.targets)
                    source += ", model \(path)"
                } else {
                    network = try Network(inputSize: 2, layers: spec.layers, loss: spec.loss, seed: spec.seed)
                    source += ", a fresh \(Format.architecture(network)) network (seed \(spec.seed))"
                }
            } else {
                let path = model!, file = input.data!
                let model = try ModelFile.load(from: URL(fileURLWithPath: path))
                let table = try input.csv.readTable(file)
                let rows = try TabularData(table: table, featureNames: model.featureNames, labelColumn: model.labelName,
                                           requireLabels: true)
                let inputs = try model.prepare(rows.features)
                if let classes = model.classes {
                    batch = Dataset(inputs: inputs, labels: try rows.classIndices(using: classes))
                } else {
                    batch = Dataset(inputs: inputs, targets: try model.networkTargets(try rows.numericLabels()))
                }
                network = model.network
                source = "model \(path) on \(file)"
            }
            let count = Swift.min(samples, batch.count)
            batch = batch.rows(at: Array(0..<count))
            Console.out("gradient check of \(source)")
            Console.out("batch: the first \(count) rows; loss: \(Format.loss(name: network.loss))")
            let report = try network.checkGradients(on: batch, epsilon: epsilon, relativeTolerance: relativeTolerance,
                                                    absoluteTolerance: absoluteTolerance,
                                                    maxParameters: maxParameters == 0 ? nil : maxParameters,
                                                    precision: precision.precision)
            Console.out(report.description)
            passed = report.passed
        }
        if !passed { throw gradientCheckFailedExitCode }
    }
}

/// `--precision`: the values of ``GradientCheckPrecision``.
enum PrecisionOption: String, ExpressibleByArgument, CaseIterable {
    case double, float

    var precision: GradientCheckPrecision {
        switch self {
        case .double: return .double
        case .float: return .float
        }
    }
}
