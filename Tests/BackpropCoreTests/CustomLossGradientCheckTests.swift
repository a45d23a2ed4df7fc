import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// `checkGradients(inputs:...loss:)`: a loss the library does not know,
/// given by its value and `dL/dŶ`.
@Suite("Gradient check of a loss given by a closure")
struct CustomLossGradientCheckTests {
    typealias LossClosure = (Matrix<Double>) throws -> (value: Double, gradient: Matrix<Double>)

    /// `L = Σ (ŷ − y)⁴ / n`, `dL/dŷ = factor·(ŷ − y)³ / n` (factor 4 is right).
    static func quartic(_ y: Matrix<Double>, factor: Double = 4) -> LossClosure {
        { outputs in
            let n = Double(outputs.rows)
            var value = 0.0
            var gradient = try Matrix<Double>(rows: outputs.rows, columns: outputs.columns)
            for i in 0..<outputs.rows {
                for j in 0..<outputs.columns {
                    let r = outputs[i, j] - y[i, j]
                    value += r * r * r * r / n
                    gradient[i, j] = factor * r * r * r / n
                }
            }
            return (value, gradient)
        }
    }

    /// The library's mean squared error, `L = Σ (ŷ − y)² / (n·k)`, written out.
    static func meanSquaredError(_ y: Matrix<Double>) -> LossClosure {
        { outputs in
            let count = Double(outputs.rows * outputs.columns)
            var value = 0.0
            var gradient = try Matrix<Double>(rows: outputs.rows, columns: outputs.columns)
            for i in 0..<outputs.rows {
                for j in 0..<outputs.columns {
                    let r = outputs[i, j] - y[i, j]
                    value += r * r / count
                    gradient[i, j] = 2 * r / count
                }
            }
            return (value, gradient)
        }
    }

    static func problem(seed: UInt64, rows: Int = 6) -> (x: Matrix<Double>, y: Matrix<Double>) {
        var rng = TestRandom(seed: seed)
        return (rng.matrix(rows, 3) { $0.normal() }, rng.matrix(rows, 2) { $0.normal() })
    }

    static let architectures: [[LayerSpecification]] = [
        [.dense(5, .tanh), .dense(2, .identity)],
        [.dense(5, .relu), .dense(4, .sigmoid), .dense(2, .identity)],
        [.dense(4, .leakyReLU(slope: 0.1)), .dense(2, .softmax)],
        [.dense(4, .softmax), .dense(2, .sigmoid)],
        [.dense(2, .tanh)],
    ]

    @Test(arguments: architectures.indices)
    func quarticLossPasses(_ index: Int) throws {
        let (x, y) = Self.problem(seed: UInt64(index) + 30)
        let net = try Network(inputSize: 3, layers: Self.architectures[index], loss: .meanSquaredError, seed: 5)
        let report = try net.checkGradients(inputs: x, loss: Self.quartic(y))
        #expect(report.passed, "\(report)")
        #expect(report.failure == nil)
        #expect(report.precision == .double)
        #expect(report.groups.map(\.name).last == "inputs")
        #expect(report.groups.count == 2 * Self.architectures[index].count + 1,
                "every layer's weights and bias, and the inputs")
    }

    /// A gradient with 3(ŷ − y)³ for 4(ŷ − y)³: every gradient is 3/4 of
    /// the truth, and every group fails.
    @Test func catchesAWrongFactor() throws {
        let (x, y) = Self.problem(seed: 40)
        let net = try Network(inputSize: 3, layers: [.dense(5, .tanh), .dense(2, .identity)], loss: .meanSquaredError,
                              seed: 5)
        let report = try net.checkGradients(inputs: x, loss: Self.quartic(y, factor: 3))
        #expect(!report.passed)
        #expect(report.groups.allSatisfy { !$0.passed }, "\(report)")
        #expect(abs(report.maxRelativeError - 0.25) < 1e-3, "|3g/4 − g| / |g| = 1/4:\n\(report)")
    }

    /// A 1 % error in one output column's gradient is caught.
    @Test func catchesAnErrorInOneColumn() throws {
        let (x, y) = Self.problem(seed: 41)
        let net = try Network(inputSize: 3, layers: [.dense(5, .sigmoid), .dense(2, .identity)],
                              loss: .meanSquaredError, seed: 6)
        let right = Self.quartic(y)
        let report = try net.checkGradients(inputs: x) { outputs in
            var (value, gradient) = try right(outputs)
            for i in 0..<gradient.rows { gradient[i, 1] *= 1.01 }
            return (value, gradient)
        }
        #expect(!report.passed, "\(report)")
        // Column 1 feeds the second output unit's weights and bias alone in the last layer.
        let last = report.groups.first { $0.name == "layer 1 weights" }
        #expect(last?.passed == false)
        if case let .weight(_, _, column)? = last?.worst { #expect(column == 1) } else { Issue.record("no worst entry") }
        #expect(try net.checkGradients(inputs: x, loss: right).passed)
    }

    /// The closure implementing the library's mean squared error gives the
    /// check of the built-in loss: the same groups, entries and kinks, the
    /// analytic gradients of `gradients(on:)`, and numeric ones that agree.
    @Test(arguments: [false, true])
    func meanSquaredErrorAgreesWithTheBuiltInCheck(relu: Bool) throws {
        let (x, y) = Self.problem(seed: relu ? 43 : 42, rows: 8)
        let net = try Network(inputSize: 3, layers: [.dense(6, relu ? .relu : .tanh), .dense(2, .identity)],
                              loss: .meanSquaredError, seed: 7)
        let data = Dataset(inputs: x, targets: y)
        let builtIn = try net.checkGradients(on: data)
        let custom = try net.checkGradients(inputs: x, loss: Self.meanSquaredError(y))
        #expect(builtIn.passed, "\(builtIn)")
        #expect(custom.passed, "\(custom)")
        #expect(custom.groups.map(\.name) == builtIn.groups.map(\.name))
        #expect(custom.groups.map(\.checked) == builtIn.groups.map(\.checked))
        #expect(custom.kinks == builtIn.kinks)
        let gradients = try net.gradients(on: data)
        for group in custom.groups {
            let location = try #require(group.worst)
            let exact = gradients.value(at: location)
            #expect(abs(group.analyticAtWorst - exact) <= 1e-13 * max(abs(exact), 1e-3), "\(group.name)")
            #expect(abs(group.numericAtWorst - exact) <= 1e-8 + 1e-6 * abs(exact), "\(group.name)")
        }
    }

    /// The entries at a ReLU kink are found with a closure as with the
    /// network's own loss.
    @Test func namesTheSameKinks() throws {
        let (net, data) = try GradientCheckerTests.networkAtAKink()
        guard case let .values(y) = data.targets else { Issue.record("dense targets expected"); return }
        let report = try net.checkGradients(inputs: data.inputs, loss: Self.quartic(y))
        #expect(report.kinks.contains(.bias(layer: 0, index: 0)))
        #expect(report.kinks.contains(.weight(layer: 0, row: 0, column: 0)))
        #expect(!report.kinks.contains(.bias(layer: 0, index: 1)))
        #expect(report.kinks == (try net.checkGradients(on: data)).kinks)
        #expect(report.passed, "\(report)")
    }

    /// The closure sees the outputs of the network converted to `Double`,
    /// once at θ and twice per entry; a `Network<Float>` is checked in double.
    @Test func closureSeesDoubleOutputs() throws {
        let (x, y) = Self.problem(seed: 44)
        let net = try Network<Float>(inputSize: 3, layers: [.dense(4, .tanh), .dense(2, .sigmoid)],
                                     loss: .meanSquaredError, seed: 8)
        let quartic = Self.quartic(y)
        var calls: [Matrix<Double>] = []
        let report = try net.checkGradients(inputs: x.converted(to: Float.self)) { outputs in
            calls.append(outputs)
            return try quartic(outputs)
        }
        #expect(report.passed, "\(report)")
        #expect(calls.first == (try net.converted(to: Double.self).predict(x.converted(to: Float.self).converted())))
        let entries = net.parameterCount + x.rows * x.columns
        #expect(calls.count == 1 + 2 * entries)
        #expect(report.groups.reduce(0) { $0 + $1.checked } + report.kinks.count == entries)
    }

    struct ClosureFailure: Error, Equatable {}

    /// A gradient of the wrong shape, NaN or infinite values, and errors
    /// of the closure itself, each a typed error.
    @Test func badClosureResultsThrow() throws {
        let (x, y) = Self.problem(seed: 45)
        let net = try Network(inputSize: 3, layers: [.dense(4, .tanh), .dense(2, .identity)], loss: .meanSquaredError,
                              seed: 9)
        let right = Self.quartic(y)
        func error(_ loss: LossClosure) -> BackpropError? {
            #expect(throws: BackpropError.self) { try net.checkGradients(inputs: x, loss: loss) }
        }
        for (rows, columns) in [(7, 2), (6, 1), (2, 6), (0, 0)] {
            let thrown = error { outputs in (try right(outputs).value, try Matrix(rows: rows, columns: columns)) }
            guard case let .shapeMismatch(what, expected, got)? = thrown else {
                Issue.record("\(String(describing: thrown))"); continue
            }
            #expect(what.contains("loss closure"))
            #expect(expected.hasPrefix("6 × 2"))
            #expect(got == "\(rows) × \(columns)")
        }
        for bad in [Double.nan, .infinity, -.infinity] {
            let thrown = error { outputs in
                var (value, gradient) = try right(outputs)
                gradient[4, 1] = bad
                return (value, gradient)
            }
            #expect(thrown == .nonFinite(what: "gradient returned by the loss closure", row: 4, column: 1))
            let value = error { outputs in (bad, try right(outputs).gradient) }
            #expect(value == .nonFinite(what: "loss value returned by the loss closure", row: 0, column: 0))
        }
        #expect(throws: ClosureFailure()) { try net.checkGradients(inputs: x) { _ in throw ClosureFailure() } }
        // Inputs and settings are checked as for the network's own loss.
        #expect(throws: BackpropError.self) { try net.checkGradients(inputs: Matrix(rows: 6, columns: 2), loss: right) }
        #expect(throws: BackpropError.self) { try net.checkGradients(inputs: x, epsilon: 0, loss: right) }
        #expect(throws: BackpropError.self) { try net.checkGradients(inputs: x, maxParameters: 0, loss: right) }
    }
}
