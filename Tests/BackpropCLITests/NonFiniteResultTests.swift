import Foundation
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
}
