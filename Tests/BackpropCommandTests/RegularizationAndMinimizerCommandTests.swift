import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// `backprop train --l2 / --clip-norm / --dropout` and `--minimizer`: the
/// same parameters as the library's calls, recorded in the model file.
@Suite("Command line, regularisation and full-batch minimisers")
struct RegularizationAndMinimizerCommandTests {
    /// The moons file of these tests and the same data for the library.
    static func moons(in dir: URL) throws -> Dataset<Double> {
        try write(csv(try Dataset.moons(samples: 120, noise: 0.2, seed: 4), classNames: ["a", "b"]), to: "d.csv", in: dir)
        let rows = try TabularData(table: CSVTable(contentsOf: dir.appendingPathComponent("d.csv")))
        return try Dataset(inputs: rows.features, labels: try rows.classIndices(using: try rows.fitClasses()))
    }

    static func expectSameParameters(_ a: Network<Double>, _ b: Network<Double>,
                                     sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(flatParameters(of: a).map(\.bitPattern) == flatParameters(of: b).map(\.bitPattern),
                sourceLocation: sourceLocation)
    }

    @Test func regularizedTrainingMatchesTheLibrary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Self.moons(in: dir)
        let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--layers", "8,8", "--epochs", "15",
                                "--seed", "5", "--no-standardize", "--optimizer", "adam", "--l2", "0.01",
                                "--clip-norm", "0.5", "--dropout", "0.2,0.1", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        let model = try ModelFile.load(from: dir.appendingPathComponent("m.json"))
        #expect(model.metadata["l2"] == "0.01" && model.metadata["clipNorm"] == "0.5")
        var network = try Network(inputSize: 2, layers: [.dense(8, .relu), .dense(8, .relu), .dense(1, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 5)
        network.optimizer = .adam()
        try network.train(on: data, epochs: 15, learningRate: 0.001, batchSize: 32,
                          regularization: Regularization(l2: 0.01, maximumGradientNorm: 0.5, dropout: [0.2, 0.1]))
        Self.expectSameParameters(model.network, network)

        var unregularized = try Network(inputSize: 2, layers: [.dense(8, .relu), .dense(8, .relu), .dense(1, .sigmoid)],
                                        loss: .binaryCrossEntropy, seed: 5)
        unregularized.optimizer = .adam()
        try unregularized.train(on: data, epochs: 15, learningRate: 0.001, batchSize: 32)
        #expect(flatParameters(of: unregularized) != flatParameters(of: network))
    }

    @Test func minimizerMatchesTheLibrary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let data = try Self.moons(in: dir)
        let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--layers", "6", "--epochs", "60",
                                "--seed", "2", "--no-standardize", "--minimizer", "bfgs", "--l2", "0.001"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("training: full-batch bfgs, at most 60 iterations, seed 2"), "\(run.stdout)")
        var network = try Network(inputSize: 2, layers: [.dense(6, .relu), .dense(1, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 2)
        let report = try network.minimize(on: data, method: .bfgs, maximumIterations: 60, l2: 0.001)
        #expect(run.stdout.contains("bfgs: \(report.iterations) iterations"), "\(run.stdout)")
        let model = try ModelFile.load(from: dir.appendingPathComponent("m.json"))
        Self.expectSameParameters(model.network, network)
    }

    @Test func conflictingOptionsAreRefused() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try Self.moons(in: dir)
        for (arguments, message) in [
            (["--minimizer", "bfgs", "--optimizer", "adam"], "--optimizer and its settings cannot be given with it"),
            (["--minimizer", "cg", "--batch-size", "8"], "--batch-size cannot be given with it"),
            (["--minimizer", "cg", "--dropout", "0.1"], "--dropout cannot be given with it"),
            (["--gradient-tolerance", "1e-3"], "--gradient-tolerance is a setting of --minimizer"),
            (["--minimizer", "bfgs", "--gradient-tolerance", "0"], "--gradient-tolerance must be a finite number > 0"),
            (["--minimizer", "newton"], "newton"),
        ] {
            let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--quiet"] + arguments, in: dir)
            #expect(run.status == 64, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))
        }
    }
}
