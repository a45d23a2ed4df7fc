import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// `backprop train`'s optimiser, schedule, regularisation and early-stopping
/// options: refused when wrong, equal to the library when right, recorded
/// in the model file, and kept by `--resume`.
@Suite("Command line, optimisers, schedules, early stopping")
struct TrainingMethodTests {
    /// Runs `train` with `arguments` on a small file and expects a usage
    /// error (status 64) whose message contains `message`, with no model written.
    func expectRefused(_ arguments: [String], _ message: String, in dir: URL,
                       sourceLocation: SourceLocation = #_sourceLocation) throws {
        let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--quiet"] + arguments, in: dir)
        #expect(run.status == 64, "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path),
                sourceLocation: sourceLocation)
    }

    @Test func badOptionsAreRefusedNamingTheOption() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(csv(try Dataset.moons(samples: 40, noise: 0.1, seed: 1), classNames: ["a", "b"]), to: "d.csv", in: dir)
        // An option the optimiser does not read.
        try expectRefused(["--beta1", "0.5"], "--beta1 is an option of adam and adamw, not sgd", in: dir)
        try expectRefused(["--optimizer", "adam", "--momentum", "0.9"], "--momentum is an option of sgd and rmsprop, not adam", in: dir)
        try expectRefused(["--optimizer", "rprop", "--weight-decay", "0.1"],
                          "--weight-decay is an option of sgd, adam, adamw, rmsprop and adagrad, not rprop", in: dir)
        try expectRefused(["--optimizer", "sgd", "--centered"], "--centered is an option of rmsprop, not sgd", in: dir)
        try expectRefused(["--optimizer", "rmsprop", "--amsgrad"], "--amsgrad is an option of adam and adamw, not rmsprop", in: dir)
        try expectRefused(["--optimizer", "nadam"], "nadam", in: dir)
        // Values out of range: the library's rule, named by option.
        try expectRefused(["--optimizer", "adam", "--beta1", "1.5"], "--beta1 must be in [0, 1), got 1.5", in: dir)
        try expectRefused(["--optimizer", "adamw", "--weight-decay=-0.1"], "--weight-decay must be ≥ 0, got -0.1", in: dir)
        try expectRefused(["--optimizer", "rmsprop", "--alpha", "2"], "--alpha must be in [0, 1], got 2.0", in: dir)
        try expectRefused(["--momentum=-1"], "--momentum must be ≥ 0, got -1.0", in: dir)
        try expectRefused(["--nesterov"], "--nesterov must be momentum > 0 and dampening 0", in: dir)
        // Schedules: the option, the text and the bad part.
        try expectRefused(["--schedule", "linear"], "--schedule linear: unknown schedule \"linear\"; expected one of constant, step:K:GAMMA", in: dir)
        try expectRefused(["--schedule", "step:10"], "--schedule step:10: step takes 2 values: step:K:GAMMA", in: dir)
        try expectRefused(["--schedule", "step:x:0.5"], "--schedule step:x:0.5: K must be a whole number, got \"x\"", in: dir)
        try expectRefused(["--schedule", "step:0:0.5"], "--schedule step:0:0.5: K must be ≥ 1, got 0", in: dir)
        try expectRefused(["--schedule", "exponential:0"], "--schedule exponential:0: GAMMA must be finite and > 0, got 0.0", in: dir)
        try expectRefused(["--schedule", "cosine:100:0:5:2"], "--schedule cosine:100:0:5:2: START must be in (0, 1], got 2.0", in: dir)
        try expectRefused(["--schedule", "plateau:2"], "--schedule plateau:2: FACTOR must be in (0, 1), got 2.0", in: dir)
        try expectRefused(["--schedule", "plateau:0.5:3:0:0:0:9"], "plateau takes 0 to 5 values", in: dir)
        // Early stopping and regularisation.
        try expectRefused(["--patience", "5"], "--patience is a setting of --early-stopping, which is not given", in: dir)
        try expectRefused(["--min-delta", "0.1"], "--min-delta is a setting of --early-stopping, which is not given", in: dir)
        try expectRefused(["--early-stopping", "--patience", "0"], "--patience must be ≥ 1, got 0", in: dir)
        try expectRefused(["--early-stopping", "--min-delta=-1"], "--min-delta must be finite and ≥ 0, got -1.0", in: dir)
        try expectRefused(["--l2=-1"], "--l2 must be finite and ≥ 0, got -1.0", in: dir)
        try expectRefused(["--clip-norm", "0"], "--clip-norm must be finite and > 0", in: dir)
        try expectRefused(["--dropout", "1"], "--dropout must be in [0, 1), got 1.0", in: dir)
        try expectRefused(["--dropout", "0.2,x"], "--dropout 0.2,x: \"x\" is not a number", in: dir)
        try expectRefused(["--dropout", "0.2,0.3,0.4"],
                          "--dropout 0.2,0.3,0.4: 3 probabilities for 2 hidden layers; give one, or one per hidden layer", in: dir)
        try expectRefused(["--dropout", "0.2", "--layers", "none"], "--dropout: the network has no hidden layer to drop from", in: dir)
    }

    @Test func helpListsTheOptionsWithTheirDefaults() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let help = try backprop(["train", "--help"], in: dir)
        #expect(help.status == 0)
        let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        for option in ["--optimizer <name>", "--momentum <μ>", "--nesterov", "--dampening <τ>", "--weight-decay <λ>",
                       "--beta1 <β₁>", "--beta2 <β₂>", "--epsilon <ε>", "--amsgrad", "--alpha <α>", "--centered",
                       "--schedule <schedule>", "--l2 <α>", "--clip-norm <C>", "--dropout <P[,P…]>", "--early-stopping",
                       "--patience <N>", "--min-delta <D>"] {
            #expect(text.contains(option), "\(option)")
        }
        for phrase in ["sgd 0.1, adam and adamw 0.001, rmsprop, adagrad and rprop 0.01", "(default: 0.9)",
                       "(default: 0.999)", "decoupled (p ← p·(1 − ηλ) before each step) for adamw (default: 0.01)",
                       "constant (the default)", "--validation-split 0.1", "(default: 10)"] {
            #expect(text.contains(phrase), "\(phrase)")
        }
    }

    /// `--optimizer adam --schedule step:5:0.5` trains exactly the network
    /// the library trains with the same settings, and the model file keeps
    /// the optimiser's state.
    @Test func adamWithAScheduleMatchesTheLibrary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(csv(try Dataset.moons(samples: 200, noise: 0.15, seed: 1), classNames: ["up", "down"]), to: "d.csv", in: dir)
        let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--layers", "8", "--epochs", "12",
                                "--seed", "3", "--no-standardize", "--optimizer", "adam", "--beta2", "0.99",
                                "--schedule", "step:5:0.5", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("training: 12 epochs, learning rate 0.001, batches of 32, seed 3, "
                                    + "optimizer adam(beta2: 0.99), schedule step:5:0.5"), "\(run.stdout)")
        let model = try ModelFile.load(from: dir.appendingPathComponent("m.json"))
        #expect(model.metadata["optimizer"] == "adam(beta2: 0.99)")
        #expect(model.metadata["schedule"] == "step:5:0.5")
        #expect(model.metadata["learningRate"] == "0.001")

        let rows = try TabularData(table: CSVTable(contentsOf: dir.appendingPathComponent("d.csv")))
        let classes = try rows.fitClasses()
        let data = try Dataset(inputs: rows.features, labels: try rows.classIndices(using: classes))
        var network = try Network(inputSize: 2, layers: [.dense(8, .relu), .dense(1, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 3)
        network.optimizer = .adam(beta2: 0.99)
        try network.train(on: data, epochs: 12, learningRate: 0.001, batchSize: 32, schedule: .step(every: 5, factor: 0.5))
        for (a, b) in zip(model.network.layers, network.layers) {
            #expect(a.weights.elements.map(\.bitPattern) == b.weights.elements.map(\.bitPattern))
            #expect(a.bias.map(\.bitPattern) == b.bias.map(\.bitPattern))
        }
        #expect(model.network.optimizerState == network.optimizerState)
        #expect(model.network.optimizerState?.step == 12 * 7)
    }

    /// `--early-stopping` without validation data holds out 10%, stops
    /// `--patience` epochs after the best, and says so (and the model file).
    @Test func earlyStoppingStopsAndRecordsIt() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try IrisTests.split(into: dir)
        let run = try backprop(["train", "--data", "iris-train.csv", "--out", "m.json", "--optimizer", "adam",
                                "--learning-rate", "0.01", "--epochs", "2000", "--early-stopping", "--patience", "7",
                                "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("validation: 12 of the rows held out (--early-stopping's default --validation-split 0.1, seed 1); 108 left for training"))
        #expect(run.stdout.contains("early stopping (patience 7, min delta 0.0)"))
        let line = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("stopped early after epoch ") })
        let model = try ModelFile.load(from: dir.appendingPathComponent("m.json"))
        let stopped = try #require(Int(model.metadata["epochsCompleted"] ?? ""))
        let best = try #require(Int(model.metadata["bestEpoch"] ?? ""))
        #expect(stopped < 2000 && stopped == best + 7)
        #expect(line == "stopped early after epoch \(stopped) of 2000: best validation loss at epoch \(best), its parameters kept")
        #expect(model.metadata["stopReason"] == "stopped early after epoch \(stopped) (best epoch \(best))")
        #expect(model.metadata["validationSplit"] == "0.1")
        #expect(model.metadata["earlyStoppingPatience"] == "7")
    }

    /// An interrupted Adam run with a plateau schedule resumes to exactly
    /// the model of the uninterrupted run, optimiser state included; other
    /// optimiser settings are refused.
    @Test func interruptedAdamRunResumesExactly() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try FaultTests.writeData(to: dir.appendingPathComponent("data.csv"), rows: 10_000)
        let options = ["--data", "data.csv", "--epochs", "8", "--optimizer", "adam", "--amsgrad",
                       "--schedule", "plateau:0.5:1", "--validation-split", "0.2"]
        let whole = try backprop(["train"] + options + ["--out", "whole.json", "--quiet"], in: dir)
        #expect(whole.status == 0, "\(whole.stderr)")
        let (process, out, err) = try FaultTests.start(["train"] + options + ["--out", "ck.json", "--progress-every", "1"],
                                                       in: dir)
        #expect(FaultTests.wait(for: "epoch 1/8", in: out, while: process), "\(FaultTests.text(err))")
        kill(process.processIdentifier, SIGINT)
        process.waitUntilExit()
        #expect(process.terminationStatus == 130, "\(FaultTests.text(err))")
        let checkpoint = dir.appendingPathComponent("ck.json")
        #expect(try FaultTests.hasCheckpoint(checkpoint))

        for (option, message) in [(["--beta1", "0.8"], "--beta1 differs from the checkpoint's optimizer adam(amsgrad)"),
                                  (["--optimizer", "sgd"], "--optimizer sgd differs from the checkpoint's adam"),
                                  (["--schedule", "constant"], "--schedule constant differs from the checkpoint's plateau:0.5:1")] {
            let refused = try backprop(["train", "--resume", "ck.json", "--quiet"] + option, in: dir)
            #expect(refused.status == 2 && refused.stderr.contains(message), "\(refused.stderr)")
        }
        let resumed = try backprop(["train", "--resume", "ck.json", "--quiet"], in: dir)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("optimizer adam(amsgrad), schedule plateau:0.5:1"), "\(resumed.stdout)")
        #expect(try FaultTests.layers(checkpoint) == FaultTests.layers(dir.appendingPathComponent("whole.json")))
        let a = try ModelFile.load(from: checkpoint), b = try ModelFile.load(from: dir.appendingPathComponent("whole.json"))
        #expect(a.network.optimizerState != nil && a.network.optimizerState == b.network.optimizerState)
    }
}
