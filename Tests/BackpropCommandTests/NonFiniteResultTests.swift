import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// Results that overflow, training that failed while staying finite, and
/// gradient checks that must neither fail correct networks nor pass
/// non-finite gradients.
@Suite("Non-finite results")
struct NonFiniteResultTests {
    /// A regression model whose finite weights (10⁸⁰ twice in a row) make
    /// outputs of about 10¹⁶⁰: finite, but their squared error is not.
    static let overflowingRegression = """
        {
          "format": "backprop-model", "version": 1, "task": "regression", "loss": "meanSquaredError",
          "features": ["a", "b"], "label": "y",
          "layers": [
            {"activation": "identity", "inputs": 2, "units": 2, "weights": [[1e80, 1], [1, 1]], "bias": [0, 0]},
            {"activation": "identity", "inputs": 2, "units": 1, "weights": [[1e80], [1]], "bias": [0]}
          ]
        }
        """

    /// On 1000 rows, a correct network's finite differences carry more
    /// rounding than on 8; the check must still pass.
    @Test func gradcheckPassesACorrectNetworkOnManyRows() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try backprop(["gradcheck", "--dataset", "circles", "--samples", "1000", "--max-parameters", "150"],
                               in: dir, timeout: 600)
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("PASSED"))
        #expect(!run.stdout.contains("FAIL"))
    }

    /// A NaN numeric gradient is a failure, on the line of its group.
    @Test func gradcheckFailsNonFiniteGradients() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(Self.overflowingRegression, to: "model.json", in: dir)
        try write("a,b,y\n1,2,3\n0,1,4\n2,0,1\n", to: "data.csv", in: dir)
        let run = try backprop(["gradcheck", "--model", "model.json", "--data", "data.csv"], in: dir)
        #expect(run.status == 1, "\(run.stdout)\(run.stderr)")
        #expect(run.stdout.contains("FAILED"))
        let groupLines = run.stdout.split(separator: "\n").filter { $0.hasPrefix("  layer") || $0.hasPrefix("  inputs") }
        #expect(!groupLines.isEmpty)
        for line in groupLines where line.contains("nan") || line.contains("inf") {
            #expect(line.contains("FAIL"), "\(line)")
            #expect(!line.contains("within tolerance") && !line.hasSuffix(" ok"), "\(line)")
        }
    }

    /// `--atol` widens the absolute term: a step so large that truncation
    /// errors fail the default check passes with a generous atol.
    @Test func gradcheckTakesAbsoluteAndRelativeTolerances() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let strict = try backprop(["gradcheck", "--dataset", "half-adder", "--epsilon", "0.5"], in: dir)
        #expect(strict.status == 1)
        let loose = try backprop(["gradcheck", "--dataset", "half-adder", "--epsilon", "0.5", "--atol", "1", "--rtol", "0.5"], in: dir)
        #expect(loose.status == 0, "\(loose.stdout)")
        #expect(loose.stdout.contains("rtol 0.5, atol 1.0"))
        let alias = try backprop(["gradcheck", "--dataset", "xor", "--tolerance", "1e-5"], in: dir)
        #expect(alias.status == 0, "\(alias.stdout)")
        #expect(alias.stdout.contains("rtol 1e-05"))
        for bad in [["--atol", "-1"], ["--atol", "nan"], ["--rtol", "0"]] {
            let run = try backprop(["gradcheck", "--dataset", "xor"] + bad, in: dir)
            #expect(run.status == 64, "\(bad): \(run.stderr)")
            #expect(run.stderr.contains(bad[0]), "\(run.stderr)")
        }
    }

    /// A classifier (2 → 2 ReLU → 1 sigmoid) whose finite weights overflow
    /// on rows with a = 1: hidden units of 10²⁰⁰, and an output logit of
    /// 10²⁰⁰·h₀ + `second`·h₁ (∞ − ∞ = NaN for −10²⁰⁰, +∞ for +10²⁰⁰).
    static func overflowingClassifier(second: String) -> String {
        """
        {
          "format": "backprop-model", "version": 1, "task": "classification", "loss": "binaryCrossEntropy",
          "features": ["a", "b"], "label": "y", "classes": ["x", "z"],
          "layers": [
            {"activation": "relu", "inputs": 2, "units": 2, "weights": [[1e200, 1e200], [0, 0]], "bias": [0, 0]},
            {"activation": "sigmoid", "inputs": 2, "units": 1, "weights": [[1e200], [\(second)]], "bias": [0]}
          ]
        }
        """
    }

    /// Row 2 (after a blank line, on line 5) is the one that overflows.
    static let rows = "a,b,y\n0,1,x\n\n0,2,z\n1,0,x\n"

    /// NaN outputs: evaluate and predict fail at the data row's line, naming the model.
    @Test func evaluateAndPredictRefuseNaNOutputs() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(Self.overflowingClassifier(second: "-1e200"), to: "model.json", in: dir)
        try write(Self.rows, to: "data.csv", in: dir)
        let expected = "backprop: error: data.csv:5: model model.json overflows on this row: NaN or infinity in "
            + "the pre-activations of layer 1, although the features and the model's parameters are finite\n"
        for command in [["evaluate"], ["predict"], ["predict", "--probabilities"]] {
            let run = try backprop(command + ["--model", "model.json", "--data", "data.csv"], in: dir)
            #expect(run.status == 2, "\(command): \(run.stdout)\(run.stderr)")
            #expect(run.stderr == expected, "\(command)")
            #expect(run.stdout.isEmpty, "\(command): nothing printed before the error: \(run.stdout)")
        }
        let out = try backprop(["predict", "--model", "model.json", "--data", "data.csv", "--out", "p.csv"], in: dir)
        #expect(out.status == 2)
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("p.csv").path))
    }

    /// An output saturated at 1 is a prediction; its loss (∞ − ∞ on the
    /// logit) is not a number, so evaluate fails instead of printing "nan".
    @Test func evaluateRefusesANonFiniteLoss() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(Self.overflowingClassifier(second: "1e200"), to: "model.json", in: dir)
        try write(Self.rows, to: "data.csv", in: dir)
        let predict = try backprop(["predict", "--model", "model.json", "--data", "data.csv", "--probabilities"], in: dir)
        #expect(predict.status == 0, "\(predict.stderr)")
        #expect(predict.stdout == "y,P(x),P(z)\nz,0.5,0.5\nz,0.5,0.5\nz,0.0,1.0\n")
        let evaluate = try backprop(["evaluate", "--model", "model.json", "--data", "data.csv"], in: dir)
        #expect(evaluate.status == 2)
        #expect(evaluate.stderr.hasPrefix("backprop: error: data.csv:5: model model.json overflows on this row: "))
        #expect(!evaluate.stdout.contains("nan"))
    }

    /// Regression: finite predictions whose squared error overflows.
    @Test func evaluateRefusesAnInfiniteSquaredError() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        try write(Self.overflowingRegression, to: "model.json", in: dir)
        try write("a,b,y\n0,0,3\n0,1,4\n2,0,1\n", to: "data.csv", in: dir)
        let run = try backprop(["evaluate", "--model", "model.json", "--data", "data.csv"], in: dir)
        #expect(run.status == 2)
        #expect(run.stderr == "backprop: error: data.csv:4: model model.json overflows on this row: NaN or infinity in "
                + "the squared error, although the features and the model's parameters are finite\n")
        #expect(!run.stdout.contains("inf"))
    }
}
