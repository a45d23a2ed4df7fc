import Testing
@testable import Backprop

/// Every activation × loss combination, depths 1 to 4, widths 1 to 7, batch
/// sizes 1, 3 and 8: backpropagation agrees with central differences.
@Suite("Gradient checks")
struct GradientCheckTests {
    static let hidden: [Activation] = [.identity, .relu, .leakyReLU(slope: 0.1), .sigmoid, .tanh, .softmax]
    /// Output activation and loss pairs the library accepts.
    static let heads: [(Activation, Loss)] = [
        (.identity, .meanSquaredError), (.relu, .meanSquaredError), (.leakyReLU(slope: 0.1), .meanSquaredError),
        (.sigmoid, .meanSquaredError), (.tanh, .meanSquaredError), (.softmax, .meanSquaredError),
        (.sigmoid, .binaryCrossEntropy), (.softmax, .binaryCrossEntropy),
        (.sigmoid, .categoricalCrossEntropy), (.softmax, .categoricalCrossEntropy),
    ]

    struct Case: CustomTestStringConvertible, Sendable {
        var hidden: Activation, output: Activation, loss: Loss
        var testDescription: String { "hidden \(hidden), output \(output), \(loss)" }
    }

    static let cases: [Case] = hidden.flatMap { h in heads.map { Case(hidden: h, output: $0.0, loss: $0.1) } }

    @Test(arguments: cases)
    func backpropMatchesFiniteDifferences(_ c: Case) throws {
        var rng = TestRandom(seed: UInt64(abs(c.testDescription.hashValue % 1000)) + 7)
        var worst = 0.0
        for depth in 1...4 {
            for (bi, batch) in [1, 3, 8].enumerated() {
                // Widths cycle through 1...7 across depths and batches.
                let hiddenWidths = (0..<(depth - 1)).map { (depth * 3 + bi + $0 * 2) % 7 + 1 }
                let outWidth = c.output == .softmax || c.loss == .categoricalCrossEntropy
                    ? 2 + (depth + bi) % 2 : 1 + (depth + bi) % 3
                let inWidth = (depth + 2 * bi) % 7 + 1
                let layers = hiddenWidths.map { Layer.dense($0, c.hidden) } + [.dense(outWidth, c.output)]
                let x = rng.matrix(batch, inWidth) { $0.normal() }
                let data: Dataset<Double>
                switch c.loss {
                case .meanSquaredError:
                    data = Dataset(inputs: x, targets: rng.matrix(batch, outWidth) { $0.normal() })
                case .binaryCrossEntropy:
                    data = Dataset(inputs: x, targets: rng.matrix(batch, outWidth) { $0.uniform() < 0.5 ? 0 : 1 })
                case .categoricalCrossEntropy:
                    // Alternate one-hot matrices and integer labels.
                    let labels = (0..<batch).map { _ in rng.int(below: max(outWidth, 2)) }
                    if batch == 3 || outWidth == 1 {
                        data = Dataset(inputs: x, labels: labels)
                    } else {
                        var y = try Matrix<Double>(rows: batch, cols: outWidth)
                        for (i, l) in labels.enumerated() { y[i, l] = 1 }
                        data = Dataset(inputs: x, targets: y)
                    }
                }
                // A ReLU output can be dead on every sample for some seeds,
                // leaving nothing to compare (the check rightly refuses to
                // pass vacuously): try the next seed, and require a real check.
                var report: GradientCheckReport!
                for attempt in 0..<8 {
                    let net = try Network(inputSize: inWidth, layers: layers, loss: c.loss,
                                          seed: UInt64(depth * 100 + bi * 10 + attempt))
                    report = try net.checkGradients(on: data)
                    if report.failure == nil { break }
                }
                #expect(report.passed, "depth \(depth) batch \(batch) widths \(inWidth)-\(hiddenWidths)-\(outWidth):\n\(report)")
                worst = max(worst, report.maxRelativeError)
            }
        }
        print("\(c.testDescription): worst relative error \(worst)")
    }
}
