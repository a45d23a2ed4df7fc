import Foundation
import BackpropTestSupport
import Testing
import Backprop

/// `backprop demo` on every built-in data set.
@Suite("Command line, demo")
struct DemoTests {
    /// Each demo learns its data: the test accuracy it prints reaches the
    /// threshold, and its files are written and usable.
    @Test(arguments: [("circles", 0.97), ("moons", 0.97), ("spiral", 0.85), ("blobs", 0.9), ("xor", 1.0), ("half-adder", 1.0)])
    func demo(_ name: String, _ threshold: Double) throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try backprop(["demo", name, "--out", "out"], in: dir, timeout: 300)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("backprop demo \(name): "))
        let result = try #require(run.stdout.split(separator: "\n").first { $0.hasPrefix("trained in ") })
        let percent = try #require(result.split(separator: "accuracy ").last?.split(separator: "%").first.flatMap { Double($0) })
        #expect(percent / 100 >= threshold, "\(result)")
        for file in ["loss.svg", "decision-boundary.svg"] {
            let svg = try String(contentsOf: dir.appendingPathComponent("out/\(file)"), encoding: .utf8)
            #expect(svg.hasPrefix("<?xml") && svg.hasSuffix("</svg>\n"))
        }
        guard name != "half-adder" else { return }
        // The model file reproduces the printed accuracy through `evaluate`.
        let testFile = ["xor"].contains(name) ? "train.csv" : "test.csv"
        let evaluate = try backprop(["evaluate", "--model", "out/model.json", "--data", "out/\(testFile)"], in: dir)
        #expect(evaluate.status == 0, "\(evaluate.stderr)")
        #expect(evaluate.stdout.contains(String(format: "accuracy: %.1f%%", percent)))
    }

    @Test func defaultIsCirclesInBackpropDemo() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let run = try backprop(["demo", "--quiet"], in: dir)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("backprop demo circles: two concentric circles"))
        #expect(!run.stdout.split(separator: "\n").contains { $0.hasPrefix("epoch ") })
        for file in ["loss.svg", "decision-boundary.svg", "model.json", "train.csv", "test.csv"] {
            #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent("backprop-demo/\(file)").path))
        }
    }
}
