import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Every activation × loss combination, depths 1 to 4, widths 1 to 7, batch
/// sizes 1, 3 and 8: backpropagation agrees with central differences, in
/// double precision and, for the float kernels, within their rounding.
@Suite("Gradient checks")
struct GradientCheckTests {
    static let hidden: [Activation] = [.identity, .relu, .leakyReLU(slope: 0.1), .sigmoid, .tanh, .softmax]
    /// Output activation and loss pairs the library accepts.
    static let heads: [(Activation, Loss)] = [
        (.identity, .meanSquaredError), (.relu, .meanSquaredError), (.leakyReLU(slope: 0.1), .meanSquaredError),
        (.sigmoid, .meanSquaredError), (.tanh, .meanSquaredError), (.softmax, .meanSquaredError),
        (.sigmoid, .binaryCrossEntropy), (.softmax, .categoricalCrossEntropy),
    ]

    static let dataSeed: UInt64 = UInt64(ProcessInfo.processInfo.environment["GRADCHECK_SEED"] ?? "") ?? 7

    struct Case: CustomTestStringConvertible, Sendable {
        var index: Int, hidden: Activation, output: Activation, loss: Loss
        var testDescription: String { "hidden \(hidden), output \(output), \(loss)" }
    }

    static let cases: [Case] = hidden.flatMap { h in heads.map { (h, $0.0, $0.1) } }
        .enumerated().map { Case(index: $0, hidden: $1.0, output: $1.1, loss: $1.2) }

    /// A random problem of case `c` at a depth and one of the batch sizes
    /// 1, 3, 8 (`batchIndex` 0, 1, 2): widths cycle through 1...7 across
    /// depths and batches; dense targets, one-hot matrices or labels.
    static func problem(_ c: Case, depth: Int, batchIndex bi: Int, rng: inout TestRandom) throws
        -> (layers: [LayerSpecification], data: Dataset<Double>) {
        let batch = [1, 3, 8][bi]
        let hiddenWidths = (0..<(depth - 1)).map { (depth * 3 + bi + $0 * 2) % 7 + 1 }
        let outWidth = c.output == .softmax || c.loss == .categoricalCrossEntropy
            ? 2 + (depth + bi) % 2 : 1 + (depth + bi) % 3
        let inWidth = (depth + 2 * bi) % 7 + 1
        let layers = hiddenWidths.map { LayerSpecification.dense($0, c.hidden) } + [.dense(outWidth, c.output)]
        let x = rng.matrix(batch, inWidth) { $0.normal() }
        switch c.loss {
        case .meanSquaredError:
            return (layers, Dataset(inputs: x, targets: rng.matrix(batch, outWidth) { $0.normal() }))
        case .binaryCrossEntropy:
            return (layers, Dataset(inputs: x, targets: rng.matrix(batch, outWidth) { $0.uniform() < 0.5 ? 0 : 1 }))
        case .categoricalCrossEntropy:
            // Alternate one-hot matrices and integer labels.
            let labels = (0..<batch).map { _ in rng.int(below: max(outWidth, 2)) }
            if batch == 3 || outWidth == 1 { return (layers, Dataset(inputs: x, labels: labels)) }
            var y = try Matrix<Double>(rows: batch, columns: outWidth)
            for (i, l) in labels.enumerated() { y[i, l] = 1 }
            return (layers, Dataset(inputs: x, targets: y))
        }
    }

    /// Checks case `c` at every depth 1...4 and batch size in `precision`,
    /// on `Network<Scalar>`; returns the worst relative error.
    static func checkEveryShape<Scalar: NetworkScalar>(_ c: Case, in _: Scalar.Type,
                                                       precision: GradientCheckPrecision) throws -> Double {
        var rng = TestRandom(seed: UInt64(c.index) + Self.dataSeed)
        var worst = 0.0
        for depth in 1...4 {
            for bi in 0..<3 {
                let (layers, data) = try problem(c, depth: depth, batchIndex: bi, rng: &rng)
                // A ReLU output can be dead on every sample for some seeds,
                // leaving nothing to compare (the check rightly refuses to
                // pass vacuously): try the next seed, and require a real check.
                var report: GradientCheckReport!
                for attempt in 0..<20 {
                    let net = try Network<Scalar>(inputSize: data.inputs.columns, layers: layers, loss: c.loss,
                                                  seed: UInt64(depth * 100 + bi * 10 + attempt))
                    report = try net.checkGradients(on: data.converted(to: Scalar.self), precision: precision)
                    if report.failure == nil { break }
                }
                #expect(report.passed, "depth \(depth) batch \(data.count) \(layers):\n\(report)")
                #expect(report.precision == precision)
                worst = max(worst, report.maxRelativeError)
            }
        }
        return worst
    }

    @Test(arguments: cases)
    func backpropMatchesFiniteDifferences(_ c: Case) throws {
        let worst = try Self.checkEveryShape(c, in: Double.self, precision: .double)
        print("\(c.testDescription): worst relative error \(worst)")
    }

    /// The float kernels' gradients, in float, against the double
    /// reference: within their rounding allowance for every combination.
    @Test(arguments: cases)
    func floatKernelsMatchFiniteDifferences(_ c: Case) throws {
        let worst = try Self.checkEveryShape(c, in: Float.self, precision: .float)
        print("\(c.testDescription) in float: worst relative error \(worst)")
    }
}

/// The checker itself: it must catch wrong gradients, refuse vacuous
/// passes, and name the entries at a ReLU kink.
@Suite("Gradient checker")
struct GradientCheckerTests {
    static func data() -> Dataset<Double> {
        var rng = TestRandom(seed: 11)
        return Dataset(inputs: rng.matrix(6, 3) { $0.normal() }, labels: [0, 1, 1, 0, 1, 0])
    }

    /// Seed 01's `dsigmoid` carried a factor 2: the output layer's dz, and
    /// with it every gradient below, doubles. The checker must fail it.
    @Test func catchesTheTutorialsDoubledSigmoidDerivative() throws {
        let net = try Network(inputSize: 3, layers: [.dense(4, .tanh), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 2)
        let data = Self.data()
        var wrong = try net.gradients(on: data)
        for l in wrong.layers.indices {
            wrong.layers[l].weights.elements = wrong.layers[l].weights.elements.map { 2 * $0 }
            wrong.layers[l].bias = wrong.layers[l].bias.map { 2 * $0 }
        }
        wrong.inputs.elements = wrong.inputs.elements.map { 2 * $0 }
        let bad = try net.checkGradients(on: data, analytic: wrong, settings: GradientCheckSettings())
        #expect(!bad.passed)
        #expect(bad.groups.allSatisfy { !$0.passed })
        #expect(abs(bad.maxRelativeError - 0.5) < 1e-3, "doubling gives relative error |2g − g|/|2g| = 1/2")
        let good = try net.checkGradients(on: data)
        #expect(good.passed, "\(good)")
    }

    /// A single wrong entry is found and located.
    @Test func locatesOneWrongEntry() throws {
        let net = try Network(inputSize: 3, layers: [.dense(4, .sigmoid), .dense(2, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 2)
        let data = Self.data()
        var wrong = try net.gradients(on: data)
        wrong.layers[0].weights[2, 1] *= 1.001
        let report = try net.checkGradients(on: data, analytic: wrong, settings: GradientCheckSettings())
        #expect(!report.passed)
        let failing = report.groups.filter { !$0.passed }
        #expect(failing.map(\.name) == ["layer 0 weights"])
        #expect(failing.first?.worst == .weight(layer: 0, row: 2, column: 1))
    }

    /// A network whose every ReLU is dead has all-zero gradients: a
    /// comparison of zeros with zeros proves nothing and must fail.
    @Test func refusesToPassVacuously() throws {
        var net = try Network(inputSize: 3, layers: [.dense(4, .relu), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 2)
        // Dead ReLUs, zero output weights, and a sigmoid output of exactly
        // 0.5 against targets 0.5: every gradient, analytic and numeric, is 0.
        try net.setBias([-100, -100, -100, -100], layer: 0)
        try net.setWeights(Matrix<Double>(rows: 4, columns: 1), layer: 1)
        let dead = net
        let deadData = Dataset(inputs: Self.data().inputs, targets: Matrix(column: [Double](repeating: 0.5, count: 6)))
        let zeros = try dead.gradients(on: deadData)
        #expect(zeros.layers.allSatisfy { $0.weights.elements.allSatisfy { $0 == 0 } && $0.bias.allSatisfy { $0 == 0 } })
        let report = try dead.checkGradients(on: deadData)
        #expect(!report.passed)
        #expect(report.failure?.contains("vacuous") == true, "\(report)")
    }

    /// A 2 → 2 ReLU → 1 network whose first sample puts unit 0 exactly at
    /// its kink, z = 0 (1·1 + 1·(−1) + 0).
    static func networkAtAKink() throws -> (network: Network<Double>, data: Dataset<Double>) {
        var net = try Network(inputSize: 2, layers: [.dense(2, .relu), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[1.0, 0.5], [1.0, -0.5]]), layer: 0)
        try net.setBias([0, 0.3], layer: 0)
        try net.setWeights(Matrix([[1.0], [2.0]]), layer: 1)
        return (net, Dataset(inputs: try Matrix([[1.0, -1], [2, 1]]), targets: try Matrix([[3.0], [-1]])))
    }

    /// Entries whose ±ε stencil crosses a ReLU kink are listed, not judged.
    @Test func namesParametersAtAReLUKink() throws {
        let (net, data) = try Self.networkAtAKink()
        let report = try net.checkGradients(on: data)
        #expect(report.kinks.contains(.bias(layer: 0, index: 0)))
        #expect(report.kinks.contains(.weight(layer: 0, row: 0, column: 0)))
        #expect(!report.kinks.contains(.bias(layer: 0, index: 1)))
        #expect(report.passed, "the differentiable entries still agree:\n\(report)")
    }

    @Test func samplesAtMostMaxParameters() throws {
        let net = try Network(inputSize: 20, layers: [.dense(30, .tanh), .dense(3, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 3)
        var rng = TestRandom(seed: 4)
        let data = Dataset(inputs: rng.matrix(5, 20) { $0.normal() }, labels: [0, 1, 2, 0, 1])
        let a = try net.checkGradients(on: data, maxParameters: 50)
        let b = try net.checkGradients(on: data, maxParameters: 50)
        #expect(a.groups.reduce(0) { $0 + $1.checked } + a.kinks.count == 50)
        #expect(a.passed)
        #expect(a.groups.map(\.maxAbsoluteError) == b.groups.map(\.maxAbsoluteError), "seeded sample")
    }
}

/// The tolerance `|analytic − numeric| ≤ atol + rtol·|numeric|`: it holds
/// for correct networks on batches of any size, and a NaN or infinite
/// gradient is always a failure.
@Suite("Gradient check tolerance")
struct GradientCheckToleranceTests {
    /// A batch sum's rounding grows with the rows (a difference of batch
    /// losses is off by ~10⁻⁹ at 2000 rows, above rtol·|g| for gradients of
    /// 10⁻⁴); a correct network on a large batch must still pass with the
    /// default tolerances.
    @Test(arguments: [500, 2000])
    func correctNetworkPassesOnLargeBatches(rows: Int) throws {
        let data = try Dataset.circles(samples: rows, seed: 3)
        let net = try Network(inputSize: 2, layers: [.dense(16, .relu), .dense(16, .relu), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 7)
        let report = try net.checkGradients(on: data, maxParameters: 120, includeInputs: false)
        #expect(report.passed, "\(report)")
        #expect(report.groups.reduce(0) { $0 + $1.checked } >= 100, "a real check, not one of kinks")
    }

    /// The same for softmax with cross-entropy and for mean squared error, on 1500 rows.
    @Test func otherLossesPassOnALargeBatch() throws {
        let spiral = try Dataset.spiral(pointsPerClass: 500, seed: 5)
        let softmax = try Network(inputSize: 2, layers: [.dense(12, .tanh), .dense(3, .softmax)],
                                  loss: .categoricalCrossEntropy, seed: 2)
        let a = try softmax.checkGradients(on: spiral, maxParameters: 80, includeInputs: false)
        #expect(a.passed, "\(a)")
        var rng = TestRandom(seed: 8)
        let regression = Dataset(inputs: rng.matrix(1500, 3) { $0.normal() },
                                 targets: rng.matrix(1500, 2) { 3 * $0.normal() })
        let mse = try Network(inputSize: 3, layers: [.dense(10, .sigmoid), .dense(2, .identity)],
                              loss: .meanSquaredError, seed: 4)
        let b = try mse.checkGradients(on: regression, maxParameters: 80, includeInputs: false)
        #expect(b.passed, "\(b)")
    }

    /// Outputs of 10¹⁶⁰ are finite, their squared error is not: the numeric
    /// gradient is ∞ − ∞ = NaN. Every group holding such an entry fails and
    /// says so; none is reported within tolerance.
    @Test func nonFiniteGradientsFail() throws {
        var net = try Network(inputSize: 1, layers: [.dense(2, .identity), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[1e80, 1.0]]), layer: 0)
        try net.setWeights(Matrix([[1e80], [1.0]]), layer: 1)
        let data = Dataset(inputs: try Matrix([[1.0], [2.0]]), targets: try Matrix([[0.0], [1.0]]))
        let report = try net.checkGradients(on: data)
        #expect(!report.passed)
        #expect(report.failure?.contains("non-finite") == true, "\(report)")
        #expect(report.maxRelativeError.isNaN)
        let nonFinite = report.groups.filter { $0.nonFinite > 0 }
        #expect(!nonFinite.isEmpty)
        for group in nonFinite {
            #expect(!group.passed)
            #expect(group.failed >= group.nonFinite)
        }
        for line in report.description.split(separator: "\n") where line.contains("nan") || line.contains("inf") {
            #expect(!line.contains("within tolerance") && !line.hasSuffix(" ok"), "\(line)")
            #expect(line.contains("FAIL") || line.contains("FAILED"), "\(line)")
        }
    }

    /// `atol + rtol·|numeric|`, element-wise: each term alone decides
    /// where the other is too small.
    @Test func combinedAbsoluteAndRelativeTolerance() throws {
        let net = try Network(inputSize: 3, layers: [.dense(4, .tanh), .dense(2, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 2)
        var rng = TestRandom(seed: 11)
        let data = Dataset(inputs: rng.matrix(6, 3) { $0.normal() }, labels: [0, 1, 1, 0, 1, 0])
        let exact = try net.gradients(on: data)
        func check(_ gradients: Gradients<Double>, rtol: Double, atol: Double?) throws -> GradientCheckReport {
            try net.checkGradients(on: data, analytic: gradients,
                                   settings: GradientCheckSettings(relativeTolerance: rtol, absoluteTolerance: atol))
        }
        // Every entry 0.1 % too large: within rtol 10⁻², outside 10⁻⁴.
        var scaled = exact
        for l in scaled.layers.indices {
            scaled.layers[l].weights.elements = scaled.layers[l].weights.elements.map { $0 * 1.001 }
        }
        #expect(try check(scaled, rtol: 1e-2, atol: 0).passed)
        let tight = try check(scaled, rtol: 1e-4, atol: 0)
        #expect(!tight.passed)
        #expect(tight.groups.filter { !$0.passed }.allSatisfy { $0.name.hasSuffix("weights") })
        // One entry off by 10⁻⁷: an absolute tolerance of 10⁻⁶ allows it,
        // the default (the finite difference's rounding bound, ~10⁻⁹) does not.
        var shifted = exact
        shifted.layers[1].bias[0] += 1e-7
        #expect(try check(shifted, rtol: 1e-6, atol: 1e-6).passed)
        let strict = try check(shifted, rtol: 1e-6, atol: nil)
        #expect(!strict.passed)
        #expect(strict.groups.first { !$0.passed }?.worst == .bias(layer: 1, index: 0))
        #expect(strict.groups.first { !$0.passed }?.failed == 1)
    }

    @Test func rejectsInvalidTolerances() throws {
        let net = try Network(inputSize: 2, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        let data = Dataset(inputs: try Matrix([[1.0, 2.0]]), labels: [1])
        for atol in [-1e-9, .nan, .infinity] {
            #expect(throws: BackpropError.self) { try net.checkGradients(on: data, absoluteTolerance: atol) }
        }
        for rtol in [0, -1e-6, .nan] {
            #expect(throws: BackpropError.self) { try net.checkGradients(on: data, relativeTolerance: rtol) }
        }
        #expect(try net.checkGradients(on: data, absoluteTolerance: 0).absoluteTolerance == 0)
    }
}
