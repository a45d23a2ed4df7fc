import Foundation
import BackpropTestSupport
import Testing
import Backprop

#if canImport(Glibc)
import Glibc
#endif

/// `backprop train`, `evaluate`, `predict` and `gradcheck` through the built
/// executable, checked against the library computing the same things.
@Suite("Command line, end to end")
struct EndToEndTests {
    @Test func executableIsBuilt() {
        #expect(FileManager.default.isExecutableFile(atPath: backpropExecutable.path),
                "no backprop executable found next to the tests (set BACKPROP_BIN)")
    }

    @Test func classificationMatchesTheLibrary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let names = ["up", "down"]
        try write(csv(try Dataset.moons(samples: 300, noise: 0.15, seed: 1), classNames: names), to: "train.csv", in: dir)
        try write(csv(try Dataset.moons(samples: 100, noise: 0.15, seed: 2), classNames: names), to: "test.csv", in: dir)

        let train = try backprop(["train", "--data", "train.csv", "--out", "model.json", "--layers", "16,8",
                                  "--epochs", "60", "--learning-rate", "0.1", "--seed", "3",
                                  "--validation-split", "0.2", "--plot", "plots"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stderr.isEmpty)
        #expect(train.stdout.contains("task: classification (inferred: the labels are not all numbers"))
        #expect(train.stdout.contains("classes: 2: down, up"))
        #expect(train.stdout.contains("validation: 60 of the rows held out"))
        #expect(train.stdout.contains("network: 2 → 16 relu → 8 relu → 1 sigmoid, binary cross-entropy, 193 parameters"))
        #expect(train.stdout.contains("wrote model.json"))
        for plot in ["loss.svg", "decision-boundary.svg"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("plots/\(plot)").path))
        }

        let model = try ModelFile.load(from: dir.appendingPathComponent("model.json"))
        #expect(model.featureNames == ["x1", "x2"] && model.labelName == "label")
        #expect(model.classes?.names == ["down", "up"])
        #expect(model.metadata["epochsCompleted"] == "60")
        #expect(model.inputScaling != nil)

        // evaluate: the library's numbers, formatted as the command does.
        let testRows = try TabularData(table: CSVTable(contentsOf: dir.appendingPathComponent("test.csv")),
                                       featureNames: model.featureNames, labelColumn: "label", requireLabels: true)
        let metrics = try model.evaluate(features: testRows.features, classIndices: try testRows.classIndices(using: model.classes!))
        #expect(metrics.accuracy > 0.9)
        let evaluate = try backprop(["evaluate", "--model", "model.json", "--data", "test.csv"], in: dir)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains(String(format: "loss: %.4f (binary cross-entropy)", metrics.loss)))
        #expect(evaluate.stdout.contains(String(format: "accuracy: %.1f%% (%d of 100)", 100 * metrics.accuracy, metrics.confusion.correct)))
        #expect(evaluate.stdout.contains(metrics.confusion.description))

        // predict: labels and probabilities, bit-identical to the library's.
        let predict = try backprop(["predict", "--model", "model.json", "--data", "test.csv", "--probabilities",
                                    "--out", "predictions.csv"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout == "wrote 100 predictions to predictions.csv\n")
        let predicted = try CSVTable(contentsOf: dir.appendingPathComponent("predictions.csv"))
        #expect(predicted.header == ["label", "P(down)", "P(up)"])
        let classes = try model.predictClasses(testRows.features)
        let probabilities = try model.classProbabilities(testRows.features)
        #expect(predicted.count == 100)
        for i in 0..<predicted.count {
            #expect(predicted.records[i][0] == model.classes![classes[i]])
            for j in 0..<2 {
                #expect(Double(predicted.records[i][j + 1])!.bitPattern == probabilities[i, j].bitPattern)
            }
        }
        // Without --out the same CSV goes to standard output; the label column is optional.
        let features = try String(contentsOf: dir.appendingPathComponent("test.csv"), encoding: .utf8)
            .split(separator: "\n").map { $0.split(separator: ",").prefix(2).joined(separator: ",") }.joined(separator: "\n")
        try write(features + "\n", to: "features.csv", in: dir)
        let toStdout = try backprop(["predict", "--model", "model.json", "--data", "features.csv", "--probabilities"], in: dir)
        #expect(toStdout.status == 0, "\(toStdout.stderr)")
        #expect(toStdout.stdout == (try String(contentsOf: dir.appendingPathComponent("predictions.csv"), encoding: .utf8)))

        // gradcheck of the trained model on the test rows.
        let check = try backprop(["gradcheck", "--model", "model.json", "--data", "test.csv"], in: dir)
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
        #expect(check.stdout.contains("PASSED"))
        for group in ["layer 0 weights", "layer 0 bias", "layer 1 weights", "layer 2 bias", "inputs"] {
            #expect(check.stdout.contains("  \(group): "))
        }
    }

    @Test func regressionMatchesTheLibrary() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var random = TestRandom(seed: 21)
        func rows(_ n: Int) -> String {
            var lines = ["size,rooms,price"]
            for _ in 0..<n {
                let size = 50 + 100 * random.uniform(), rooms = Double(1 + random.int(below: 5))
                let price = 1000 * size + 5000 * rooms + 20000 + 2000 * random.normal()
                lines.append("\(size),\(rooms),\(price)")
            }
            return lines.joined(separator: "\n") + "\n"
        }
        try write(rows(200), to: "train.csv", in: dir)
        try write(rows(50), to: "test.csv", in: dir)
        let train = try backprop(["train", "--data", "train.csv", "--out", "m.json", "--layers", "8", "--epochs", "80",
                                  "--learning-rate", "0.05", "--validation", "test.csv"], in: dir)
        #expect(train.status == 0, "\(train.stderr)")
        #expect(train.stdout.contains("task: regression (inferred: the labels are numbers with fractions"))
        #expect(train.stdout.contains("features and target to mean 0"))
        #expect(train.stdout.contains("1 identity, mean squared error"))

        let model = try ModelFile.load(from: dir.appendingPathComponent("m.json"))
        #expect(model.task == .regression && model.targetScaling != nil)
        let test = try TabularData(table: CSVTable(contentsOf: dir.appendingPathComponent("test.csv")),
                                   featureNames: model.featureNames, labelColumn: "price", requireLabels: true)
        let metrics = try model.evaluate(features: test.features, values: try test.numericLabels())
        #expect(metrics.rSquared! > 0.9)
        let evaluate = try backprop(["evaluate", "--model", "m.json", "--data", "test.csv"], in: dir)
        #expect(evaluate.status == 0)
        #expect(evaluate.stdout.contains(String(format: "MSE: %.6g\nMAE: %.6g\nR²: %.6g\n", metrics.meanSquaredError,
                                                metrics.meanAbsoluteError, metrics.rSquared!)))
        let predict = try backprop(["predict", "--model", "m.json", "--data", "test.csv"], in: dir)
        #expect(predict.status == 0)
        let values = try model.predictValues(test.features)
        let lines = predict.stdout.split(separator: "\n")
        #expect(lines.first == "price")
        #expect(lines.dropFirst().map { Double($0)!.bitPattern } == values.map(\.bitPattern))
    }

    @Test func trainingIsReproducible() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(csv(try Dataset.blobs(samplesPerClass: 40, seed: 1), classNames: ["a", "b", "c"]), to: "d.csv", in: dir)
        for (out, seed) in [("one.json", "5"), ("two.json", "5"), ("three.json", "6")] {
            let run = try backprop(["train", "--data", "d.csv", "--out", out, "--epochs", "15", "--seed", seed,
                                    "--validation-split", "0.25", "--quiet"], in: dir)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(!run.stdout.contains("epoch "))   // --quiet: no progress lines
        }
        let one = try Data(contentsOf: dir.appendingPathComponent("one.json"))
        #expect(one == (try Data(contentsOf: dir.appendingPathComponent("two.json"))))
        #expect(one != (try Data(contentsOf: dir.appendingPathComponent("three.json"))))
    }

    @Test func progressLines() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(csv(Dataset.xor(), classNames: ["no", "yes"]), to: "xor.csv", in: dir)
        // Not a terminal: a plain line every N epochs, plus the first and last.
        let plain = try backprop(["train", "--data", "xor.csv", "--out", "m.json", "--epochs", "25", "--batch-size", "4",
                                  "--progress-every", "10", "--validation", "xor.csv"], in: dir)
        #expect(plain.status == 0, "\(plain.stderr)")
        let epochs = plain.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }
        #expect(epochs.map { $0.split(separator: "/")[0] } == ["epoch  1", "epoch 10", "epoch 20", "epoch 25"])
        #expect(epochs.allSatisfy { $0.contains("loss ") && $0.contains("val acc ") && $0.contains("elapsed") })
        #expect(epochs.dropLast().allSatisfy { $0.contains("ETA") })
        #expect(!plain.stdout.contains("\r"))
        // The default is a tenth of the run.
        let tenth = try backprop(["train", "--data", "xor.csv", "--out", "m.json", "--epochs", "50"], in: dir)
        #expect(tenth.stdout.split(separator: "\n").filter { $0.hasPrefix("epoch ") }.count == 11)
    }

    /// On a terminal (a pseudo-terminal made by util-linux `script`), one
    /// line redrawn in place with a progress bar.
    @Test func liveProgressOnATerminal() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let script = "/usr/bin/script"
        try #require(FileManager.default.isExecutableFile(atPath: script), "util-linux script(1) is needed to make a terminal")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: script)
        process.arguments = ["-qec", "TERM=xterm '\(backpropExecutable.path)' demo xor --out out", "/dev/null"]
        process.currentDirectoryURL = dir
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(output)")
        #expect(output.contains("\r\u{1B}[2Kepoch "))
        #expect(output.contains("█"))
        #expect(output.contains("/1000 ████████████████ loss"))   // the last redraw: a full bar
    }

    @Test func checkpointsSurviveSIGKILL() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        // A small data set and a wide network: epochs are short and each
        // checkpoint (≈ 50 000 parameters) takes a while to write, so the
        // kills often land in the middle of a write.
        try write(csv(try Dataset.circles(samples: 100, seed: 4), classNames: ["o", "i"]), to: "d.csv", in: dir)
        let model = dir.appendingPathComponent("model.json")
        for round in 0..<3 {
            try? FileManager.default.removeItem(at: model)
            let process = Process()
            process.executableURL = backpropExecutable
            process.arguments = ["train", "--data", "d.csv", "--out", "model.json", "--layers", "200,200",
                                 "--epochs", "1000000", "--checkpoint-every", "1", "--quiet"]
            process.currentDirectoryURL = dir
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            // Wait for a few checkpoints, then kill at a varying moment.
            // Meanwhile the file, whenever it exists, must be complete: a
            // reader never sees a half-written checkpoint.
            let deadline = Date().addingTimeInterval(60)
            var epochs = 0, observations = 0
            while epochs < 3 + round && Date() < deadline {
                for _ in 0..<20 {
                    guard let bytes = FileManager.default.contents(atPath: model.path) else { continue }
                    observations += 1
                    #expect(bytes.count > 1000 && bytes.suffix(2) == Data("}\n".utf8), "a partial checkpoint was visible")
                }
                if let m = try? ModelFile.load(from: model) { epochs = Int(m.metadata["epochsCompleted"] ?? "0") ?? 0 }
            }
            #expect(observations > 0)
            Thread.sleep(forTimeInterval: 0.013 * Double(round))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            #expect(process.terminationReason == .uncaughtSignal && process.terminationStatus == SIGKILL)
            #expect(epochs >= 3 + round, "no checkpoint within a minute")
            // The last checkpoint is intact, loadable, and usable.
            let loaded = try ModelFile.load(from: model)
            #expect(Int(loaded.metadata["epochsCompleted"]!)! >= epochs)
            #expect(loaded.network.layers.map(\.outputSize) == [200, 200, 1])
            let evaluate = try backprop(["evaluate", "--model", "model.json", "--data", "d.csv"], in: dir)
            #expect(evaluate.status == 0, "\(evaluate.stderr)")
        }
    }

    @Test func divergenceIsAnErrorAndWritesNoModel() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        var lines = ["x,y"]
        for i in 0..<50 { lines.append("\(i),\(Double(i) * 1e3)") }
        try write(lines.joined(separator: "\n"), to: "d.csv", in: dir)
        let run = try backprop(["train", "--data", "d.csv", "--out", "m.json", "--no-standardize", "--learning-rate", "10",
                                "--epochs", "50", "--quiet"], in: dir)
        #expect(run.status == 2)
        #expect(run.stderr.hasPrefix("backprop: error: training diverged in epoch "))
        #expect(run.stderr.contains("try a smaller --learning-rate"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("m.json").path))
    }

    @Test func gradcheckExitStatus() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for dataset in ["circles", "spiral", "half-adder"] {
            let ok = try backprop(["gradcheck", "--dataset", dataset], in: dir)
            #expect(ok.status == 0, "\(dataset): \(ok.stdout)")
            #expect(ok.stdout.contains("PASSED"))
        }
        // A step so large that the finite differences themselves are wrong
        // (truncation error ~ ε²): the check fails, with exit status 1.
        let strict = try backprop(["gradcheck", "--dataset", "half-adder", "--epsilon", "0.5"], in: dir)
        #expect(strict.status == 1)
        #expect(strict.stdout.contains("FAILED"))
        #expect(strict.stdout.contains(" FAIL"))
    }

    /// `--precision float` checks the float kernels (and says so); a bad
    /// value is a usage error.
    @Test func gradcheckInFloat() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for dataset in ["spiral", "half-adder"] {
            let run = try backprop(["gradcheck", "--dataset", dataset, "--precision", "float"], in: dir)
            #expect(run.status == 0, "\(dataset): \(run.stdout)\(run.stderr)")
            #expect(run.stdout.contains("gradient check in float"), "\(run.stdout)")
            #expect(run.stdout.contains("PASSED"))
        }
        let double = try backprop(["gradcheck", "--dataset", "xor"], in: dir)
        #expect(double.stdout.contains("gradient check in double"), "\(double.stdout)")
        let bad = try backprop(["gradcheck", "--dataset", "xor", "--precision", "half"], in: dir)
        #expect(bad.status == 64, "\(bad.stderr)")
        #expect(bad.stderr.contains("--precision"), "\(bad.stderr)")
    }
}
