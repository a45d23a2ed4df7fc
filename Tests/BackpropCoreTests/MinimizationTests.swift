import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// Full-batch minimisation by GSL's minimisers (`Network.minimize`): BFGS
/// against a long run of full-batch gradient descent, the objective and its
/// gradient (by finite differences) at the point returned, the other
/// methods, the iteration limit, float networks, and every error with the
/// parameters left as they were.
@Suite("Full-batch minimisation")
struct MinimizationTests {
    /// A 2-8-1 tanh/sigmoid classifier on 100 points of the two moons.
    static func moonsProblem(seed: UInt64 = 1) throws -> (Network<Double>, Dataset<Double>) {
        let net = try Network(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: seed)
        return (net, try Dataset.moons(samples: 100, noise: 0.1, seed: 3))
    }

    /// A 2-8-1 tanh regression: y = 0.8·sin(2·x₁)·cos(x₂) on `rows` points
    /// of [−1, 1]².
    static func regression(rows: Int, seed: UInt64 = 2) throws -> (Network<Double>, Dataset<Double>) {
        var random = TestRandom(seed: 77)
        let x = random.matrix(rows, 2) { $0.uniform() * 2 - 1 }
        let y = try Matrix(rows: rows, columns: 1, elements: (0..<rows).map {
            0.8 * sin(2 * x[$0, 0]) * cos(x[$0, 1])
        })
        let net = try Network(inputSize: 2, layers: [.dense(8, .tanh), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: seed)
        return (net, Dataset(inputs: x, targets: y))
    }

    /// Σ_l ‖W_l‖² by a plain loop over the layers' weights.
    static func squaredWeights(_ net: Network<Double>) -> Double {
        net.layers.reduce(0) { sum, layer in sum + layer.weights.elements.reduce(0) { $0 + $1 * $1 } }
    }

    /// J = mean loss + (α/(2n))·Σ‖W‖², recomputed.
    static func objective(_ net: Network<Double>, _ data: Dataset<Double>, l2: Double) throws -> Double {
        try net.loss(on: data) + l2 / (2 * Double(data.count)) * squaredWeights(net)
    }

    /// Every parameter, layer after layer (W then b).
    static func flatParameters<S>(_ net: Network<S>) -> [S] {
        net.layers.flatMap { $0.weights.elements + $0.bias }
    }

    /// BFGS with a tenth of the iterations reaches the loss that 5000
    /// epochs of full-batch gradient descent reach.
    @Test func bfgsReachesLongGradientDescentInATenthOfTheIterations() throws {
        let (start, data) = try Self.moonsProblem()
        var descent = start
        try descent.train(on: data, epochs: 5000, learningRate: 0.5)
        let target = try descent.loss(on: data)

        var bfgs = start
        let report = try bfgs.minimize(on: data, maximumIterations: 500, gradientTolerance: 1e-9)
        let reached = try bfgs.loss(on: data)
        #expect(reached <= target, "BFGS \(reached) after \(report.iterations) iterations, descent \(target)")
        #expect(report.iterations <= 500)
        #expect(close(report.loss, reached, rel: 1e-12))
        #expect(report.evaluations >= report.gradientEvaluations && report.gradientEvaluations >= report.iterations)
    }

    /// At convergence the reported J is J recomputed, and ∇J — by central
    /// differences, and from `gradients(on:)` plus (α/n)·W — is below the
    /// tolerance.
    @Test(arguments: [0.0, 0.5])
    func convergedGradientIsBelowTolerance(l2: Double) throws {
        var (net, data) = try Self.regression(rows: 60)
        let tolerance = 1e-6
        let report = try net.minimize(on: data, maximumIterations: 20000, gradientTolerance: tolerance, l2: l2)
        #expect(report.outcome == .converged)
        #expect(report.gradientNorm < tolerance)
        let objective = try Self.objective(net, data, l2: l2)
        #expect(close(report.loss, objective, rel: 1e-12), "reported \(report.loss), recomputed \(objective)")

        let n = Double(data.count)
        let gradients = try net.gradients(on: data)
        var analytic = [Double]()
        for (layer, g) in zip(net.layers, gradients.layers) {
            analytic += zip(g.weights.elements, layer.weights.elements).map { $0 + l2 / n * $1 }
            analytic += g.bias
        }
        var differences = [Double]()
        let h = 1e-5
        for (l, layer) in net.layers.enumerated() {
            for i in 0..<layer.weights.elements.count {
                func at(_ delta: Double) throws -> Double {
                    var moved = net
                    var w = layer.weights
                    w[i / w.columns, i % w.columns] += delta
                    try moved.setWeights(w, layer: l)
                    return try Self.objective(moved, data, l2: l2)
                }
                differences.append((try at(h) - at(-h)) / (2 * h))
            }
            for j in 0..<layer.bias.count {
                func at(_ delta: Double) throws -> Double {
                    var moved = net
                    var b = layer.bias
                    b[j] += delta
                    try moved.setBias(b, layer: l)
                    return try Self.objective(moved, data, l2: l2)
                }
                differences.append((try at(h) - at(-h)) / (2 * h))
            }
        }
        let norm = { (v: [Double]) in v.reduce(0) { $0 + $1 * $1 }.squareRoot() }
        #expect(norm(differences) < tolerance + 1e-8, "finite-difference ‖∇J‖ \(norm(differences))")
        #expect(abs(norm(analytic) - report.gradientNorm) < 1e-9)
        let gap = zip(analytic, differences).map { abs($0 - $1) }.max() ?? .infinity
        #expect(gap < 1e-8, "analytic and finite-difference gradients differ by \(gap)")
    }

    /// The penalty pulls the weights in: Σ‖W‖² at the minimum is smaller with α > 0.
    @Test func l2ShrinksTheWeights() throws {
        let (start, data) = try Self.regression(rows: 60)
        var plain = start, penalised = start
        try plain.minimize(on: data, maximumIterations: 2000, gradientTolerance: 1e-6)
        try penalised.minimize(on: data, maximumIterations: 2000, gradientTolerance: 1e-6, l2: 2)
        #expect(Self.squaredWeights(penalised) < Self.squaredWeights(plain))
    }

    @Test(arguments: [MinimizationMethod.conjugateGradientFletcherReeves, .conjugateGradientPolakRibiere,
                      .steepestDescent])
    func otherMethodsDecreaseTheLoss(method: MinimizationMethod) throws {
        var (net, data) = try Self.moonsProblem()
        let before = try net.loss(on: data)
        let report = try net.minimize(on: data, method: method, maximumIterations: 100, gradientTolerance: 1e-9)
        let after = try net.loss(on: data)
        #expect(after < 0.5 * before, "\(method): \(after) from \(before)")
        #expect(close(report.loss, after, rel: 1e-12))
        #expect(report.iterations >= 1)
    }

    @Test func iterationLimitIsReported() throws {
        var (net, data) = try Self.moonsProblem()
        let report = try net.minimize(on: data, maximumIterations: 3, gradientTolerance: 1e-9)
        #expect(report.outcome == .iterationLimit)
        #expect(report.iterations == 3)
        #expect(report.gradientNorm >= 1e-9)
    }

    /// More rows than one engine call takes (1024): the chunks' weighted
    /// means are the full-batch objective.
    @Test func dataLargerThanAChunk() throws {
        var (net, data) = try Self.regression(rows: 1500)
        let report = try net.minimize(on: data, maximumIterations: 5, gradientTolerance: 1e-12, l2: 0.3)
        #expect(report.iterations == 5)
        #expect(close(report.loss, try Self.objective(net, data, l2: 0.3), rel: 1e-12))
    }

    /// Integer labels with a softmax output (categorical cross-entropy).
    @Test func labelsWithSoftmax() throws {
        let data = try Dataset.moons(samples: 100, noise: 0.1, seed: 3)
        var net = try Network(inputSize: 2, layers: [.dense(6, .tanh), .dense(2, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 4)
        let before = try net.loss(on: data)
        let report = try net.minimize(on: data, maximumIterations: 200)
        let after = try net.loss(on: data)
        #expect(after < 0.2 * before, "\(after) from \(before)")
        #expect(close(report.loss, after, rel: 1e-12))
    }

    /// A float network: the reported J is the float network's loss at the
    /// float parameters it ends with.
    @Test func floatNetwork() throws {
        let (double, data64) = try Self.regression(rows: 100)
        var net = try double.converted(to: Float.self)
        let data = data64.converted(to: Float.self)
        let before = try net.loss(on: data)
        let report = try net.minimize(on: data, maximumIterations: 300, gradientTolerance: 1e-4)
        let after = try net.loss(on: data)
        #expect(close(report.loss, after, rel: 1e-12), "reported \(report.loss), float network \(after)")
        #expect(after < 0.05 * before, "\(after) from \(before)")
    }

    /// Settings out of range: `invalidHyperparameter`, nothing changed.
    @Test func invalidSettingsAreRefused() throws {
        var (net, data) = try Self.moonsProblem()
        let before = Self.flatParameters(net)
        func refused(_ name: String, _ call: (inout Network<Double>) throws -> Void) {
            #expect {
                try call(&net)
            } throws: { error in
                guard case let .invalidHyperparameter(got, _, _) = error as? BackpropError else { return false }
                return got == name
            }
            #expect(Self.flatParameters(net) == before)
        }
        refused("maximumIterations") { try $0.minimize(on: data, maximumIterations: 0) }
        for bad in [0, -1, Double.nan, .infinity] {
            refused("gradientTolerance") { try $0.minimize(on: data, gradientTolerance: bad) }
            refused("initialStepSize") { try $0.minimize(on: data, initialStepSize: bad) }
            refused("lineSearchTolerance") { try $0.minimize(on: data, lineSearchTolerance: bad) }
        }
        refused("lineSearchTolerance") { try $0.minimize(on: data, lineSearchTolerance: 1) }
        for bad in [-1e-3, Double.nan, .infinity] {
            refused("l2") { try $0.minimize(on: data, l2: bad) }
        }
        #expect(throws: BackpropError.shapeMismatch(what: "inputs", expected: "n × 2", got: "3 × 1")) {
            try net.minimize(on: Dataset(inputs: Matrix([[1.0], [2], [3]]), labels: [0, 1, 0]))
        }
        #expect(Self.flatParameters(net) == before)
    }

    /// A network whose loss overflows at the start: the overflow is named
    /// as `loss(on:)` names it, and the parameters stay.
    @Test func overflowAtTheStart() throws {
        var saturating = try OverflowingNetworks.saturating(secondWeight: -1e200)
        let before = Self.flatParameters(saturating)
        let data = Dataset(inputs: try OverflowingNetworks.inputs(rows: 4, hot: 2), labels: [0, 0, 1, 0])
        #expect(throws: BackpropError.overflow(what: "the pre-activations of layer 1", row: 2)) {
            try saturating.minimize(on: data)
        }
        #expect(Self.flatParameters(saturating) == before)

        var squaring = try OverflowingNetworks.squaring()
        let squares = Dataset(inputs: try Matrix([[0.0], [0.0], [1.0]]), targets: try Matrix([[0.0], [0.0], [0.0]]))
        #expect(throws: BackpropError.overflow(what: "the loss", row: 2)) {
            try squaring.minimize(on: squares)
        }
        #expect(Self.flatParameters(squaring) == Self.flatParameters(try OverflowingNetworks.squaring()))
    }

    /// A first step so long that the loss overflows where it lands:
    /// `minimizationFailed`, the parameters as they were.
    @Test func overflowOnTheWay() throws {
        var net = try Network(inputSize: 1, layers: [.dense(1, .identity)], loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[0.5]]), layer: 0)
        let before = Self.flatParameters(net)
        let data = Dataset(inputs: try Matrix([[1.0]]), targets: try Matrix([[0.0]]))
        #expect(throws: BackpropError.minimizationFailed(
            reason: "the loss or its gradient is NaN or infinite at a point tried after 0 iterations")) {
            try net.minimize(on: data, method: .steepestDescent, initialStepSize: 1e300)
        }
        #expect(Self.flatParameters(net) == before)
    }

    @Test func errorMessage() {
        let error = BackpropError.minimizationFailed(reason: "GSL's minimiser reported error 5 after 2 iterations")
        #expect(error.description
            == "minimisation failed: GSL's minimiser reported error 5 after 2 iterations; the network keeps its parameters")
    }
}
