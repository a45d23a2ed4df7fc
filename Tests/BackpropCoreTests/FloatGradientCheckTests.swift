import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// `checkGradients(on:...precision: .float)`: the float kernels' own
/// gradients against the double-precision finite differences. (Every
/// activation and loss: `GradientCheckTests.floatKernelsMatchFiniteDifferences`.)
@Suite("Gradient check of the float kernels")
struct FloatGradientCheckTests {
    static func problem(seed: UInt64) throws -> (net: Network<Float>, data: Dataset<Float>) {
        var rng = TestRandom(seed: seed)
        let net = try Network<Float>(inputSize: 3, layers: [.dense(6, .tanh), .dense(5, .sigmoid), .dense(3, .softmax)],
                                     loss: .categoricalCrossEntropy, seed: seed)
        let data = Dataset<Float>(inputs: rng.matrix(7, 3) { $0.normal() }.converted(),
                                  labels: (0..<7).map { _ in rng.int(below: 3) })
        return (net, data)
    }

    /// The analytic side is the float kernels' gradient itself, not that of
    /// the double conversion: each group's worst entry carries exactly the
    /// value `gradients(on:)` computes in float.
    @Test func judgesTheFloatKernelsGradients() throws {
        let (net, data) = try Self.problem(seed: 1)
        let report = try net.checkGradients(on: data, precision: .float)
        #expect(report.passed, "\(report)")
        #expect(report.precision == .float)
        let float = try net.gradients(on: data)
        let double = try net.converted(to: Double.self).gradients(on: data.converted(to: Double.self))
        var differsFromDouble = false
        for group in report.groups {
            let location = try #require(group.worst)
            #expect(group.analyticAtWorst == Double(float.value(at: location)), "\(group.name)")
            differsFromDouble = differsFromDouble || group.analyticAtWorst != double.value(at: location)
        }
        #expect(differsFromDouble, "float rounding shows in at least one worst entry")
        // The default check of the same network runs on the double conversion.
        let exact = try net.checkGradients(on: data)
        #expect(exact.precision == .double)
        for group in exact.groups {
            #expect(group.analyticAtWorst == double.value(at: try #require(group.worst)), "\(group.name)")
        }
    }

    /// A float gradient 1 % off at one entry, or twice the truth
    /// everywhere, fails; one a few float ulps off (float rounding) passes.
    @Test func catchesAWrongFloatGradient() throws {
        let (net, data) = try Self.problem(seed: 2)
        let settings = GradientCheckSettings(precision: .float)
        let exact = try net.gradients(on: data)
        #expect(try net.checkGradients(on: data, analytic: exact, settings: settings).passed)

        // The largest entry of the middle layer's weights.
        let elements = exact.layers[1].weights.elements
        let index = try #require(elements.indices.max { abs(elements[$0]) < abs(elements[$1]) })
        let location = ParameterLocation.weight(layer: 1, row: index / 5, column: index % 5)
        var wrong = exact
        wrong.layers[1].weights.elements[index] *= 1.01
        let report = try net.checkGradients(on: data, analytic: wrong, settings: settings)
        #expect(!report.passed)
        #expect(report.groups.filter { !$0.passed }.map(\.name) == ["layer 1 weights"], "\(report)")
        #expect(report.groups.first { !$0.passed }?.worst == location)

        var doubled = exact
        for l in doubled.layers.indices {
            doubled.layers[l].weights.elements = doubled.layers[l].weights.elements.map { 2 * $0 }
            doubled.layers[l].bias = doubled.layers[l].bias.map { 2 * $0 }
        }
        doubled.inputs.elements = doubled.inputs.elements.map { 2 * $0 }
        let twice = try net.checkGradients(on: data, analytic: doubled, settings: settings)
        #expect(twice.groups.allSatisfy { !$0.passed }, "\(twice)")

        var rounded = exact
        let value = rounded.layers[1].weights.elements[index]
        rounded.layers[1].weights.elements[index] = value.nextUp.nextUp.nextUp
        #expect(try net.checkGradients(on: data, analytic: rounded, settings: settings).passed)
    }

    /// A `Network<Double>` checked in float runs the float kernels on its
    /// conversion; the tolerance's τ is 32u·√K with the precision's u.
    @Test func checksADoubleNetworkInFloat() throws {
        var rng = TestRandom(seed: 3)
        let net = try Network(inputSize: 4, layers: [.dense(9, .relu), .dense(2, .identity)], loss: .meanSquaredError,
                              seed: 3)
        let x = rng.matrix(5, 4) { $0.normal() }, y = rng.matrix(5, 2) { $0.normal() }
        let data = Dataset(inputs: x, targets: y)
        let float = try net.checkGradients(on: data, precision: .float)
        #expect(float.passed, "\(float)")
        #expect(float.precision == .float)
        #expect(float.description.hasPrefix("gradient check in float"))
        // K: the widest layer (9 units) beats the 5 rows.
        #expect(float.roundingTolerance == 32 * 0x1p-24 * 3)
        let double = try net.checkGradients(on: data)
        #expect(double.roundingTolerance == 32 * 0x1p-53 * 3)
        #expect(double.description.hasPrefix("gradient check in double"))
        #expect(try net.checkGradients(inputs: x, targets: y, precision: .float).passed)
    }

    /// A linear regression trained to its minimum: each gradient is a sum
    /// of the rows' contributions that cancel to almost nothing, so the
    /// float gradient's rounding, small beside those terms, is large beside
    /// the gradient (here over 1 % of the largest; a tolerance relative to
    /// the gradients would fail it). The check allows for it.
    @Test func passesAFloatNetworkAtAMinimum() throws {
        var rng = TestRandom(seed: 5)
        let x = rng.matrix(200, 3) { $0.normal() }
        var y = try Matrix<Double>(rows: 200, columns: 1)
        for i in 0..<200 { y[i, 0] = 0.5 * x[i, 0] - 1.5 * x[i, 1] + 0.25 * x[i, 2] + 0.3 + 0.1 * rng.normal() }
        let data = Dataset(inputs: x, targets: y).converted(to: Float.self)
        var net = try Network<Float>(inputSize: 3, layers: [.dense(1, .identity)], loss: .meanSquaredError, seed: 4)
        try net.train(on: data, epochs: 3000, learningRate: 0.3, batchSize: 200)

        let float = try net.gradients(on: data).layers[0]
        let exact = try net.converted(to: Double.self).gradients(on: data.converted(to: Double.self)).layers[0]
        let floatValues = float.weights.elements.map(Double.init) + float.bias.map(Double.init)
        let exactValues = exact.weights.elements + exact.bias
        let largest = try #require(exactValues.map(abs).max())
        let error = try #require(zip(floatValues, exactValues).map { abs($0 - $1) }.max())
        #expect(largest < 1e-5, "at the minimum")
        #expect(error > 0.01 * largest, "rounding beside the gradient: \(error) of \(largest)")

        let report = try net.checkGradients(on: data, precision: .float)
        #expect(report.passed, "\(report)")
        #expect(report.groups.reduce(0) { $0 + $1.checked } == net.parameterCount + 600)
    }

    /// The entries set aside when the float pass puts a ReLU on the other
    /// side of 0 than the double one: the unit's weights and bias, every
    /// parameter below it, the inputs of its row.
    @Test func branchDisagreementsCoverEverythingBelowTheUnit() throws {
        let shapes = try Network(inputSize: 2, layers: [.dense(3, .relu), .dense(2, .relu), .dense(1, .identity)],
                                 loss: .meanSquaredError).shapes
        let reference: [[Bool]?] = [[true, false, true, true, false, true], [true, true, false, true], nil]
        var kernel = reference
        kernel[1]![3] = false   // row 1, unit 1 of layer 1
        let differs = BranchDisagreements(kernel: kernel, reference: reference, shapes: shapes)
        #expect(differs.contains(.weight(layer: 1, row: 2, column: 1)))
        #expect(differs.contains(.bias(layer: 1, index: 1)))
        #expect(!differs.contains(.weight(layer: 1, row: 2, column: 0)))
        #expect(!differs.contains(.bias(layer: 1, index: 0)))
        #expect(differs.contains(.weight(layer: 0, row: 1, column: 2)))
        #expect(differs.contains(.bias(layer: 0, index: 0)))
        #expect(!differs.contains(.weight(layer: 2, row: 1, column: 0)))
        #expect(!differs.contains(.bias(layer: 2, index: 0)))
        #expect(differs.contains(.input(row: 1, column: 0)))
        #expect(!differs.contains(.input(row: 0, column: 1)))
        let none = BranchDisagreements(kernel: reference, reference: reference, shapes: shapes)
        #expect(!none.contains(.bias(layer: 0, index: 0)) && !none.contains(.input(row: 1, column: 0)))
    }

    /// A ReLU unit at z = 2⁻¹⁵ in exact arithmetic, from 1024·1 + 2⁻¹⁵·1 −
    /// 1024: float rounding can make it 0 (off), depending on the order the
    /// kernel sums in. When it does, the unit's weights and bias are set
    /// aside (their float gradient is 0, their double one is not), and the
    /// check still passes; when it does not, they are judged and pass.
    @Test func setsAsideAUnitTheFloatPassTurnsOff() throws {
        var net = try Network<Float>(inputSize: 2, layers: [.dense(2, .relu), .dense(1, .identity)],
                                     loss: .meanSquaredError, seed: 1)
        try net.setWeights(Matrix([[1024, 0.5], [0x1p-15, -0.5]]), layer: 0)
        try net.setBias([-1024, 0.25], layer: 0)
        try net.setWeights(Matrix([[1], [2]]), layer: 1)
        let data = Dataset<Float>(inputs: try Matrix([[1, 1]]), targets: try Matrix([[3]]))
        let floatSigns = try net.kinkSigns(on: data.inputs)
        let doubleSigns = try net.converted(to: Double.self).kinkSigns(on: data.converted(to: Double.self).inputs)
        #expect(doubleSigns[0] == [true, true])
        let report = try net.checkGradients(on: data, precision: .float)
        #expect(report.passed, "\(report)")
        let unit: [ParameterLocation] = [.weight(layer: 0, row: 0, column: 0), .weight(layer: 0, row: 1, column: 0),
                                         .bias(layer: 0, index: 0)]
        if floatSigns == doubleSigns {
            #expect(unit.allSatisfy { !report.kinks.contains($0) }, "\(report)")
        } else {
            #expect(floatSigns[0] == [false, true])
            #expect(unit.allSatisfy(report.kinks.contains), "\(report)")
            #expect(!report.kinks.contains(.bias(layer: 0, index: 1)))
            #expect(!report.kinks.contains(.weight(layer: 1, row: 1, column: 0)))
        }
        // In double the unit is on: nothing is set aside but the entries
        // whose ±ε step crosses the kink (the input, 1024 times ε).
        let exact = try net.checkGradients(on: data)
        #expect(unit.allSatisfy { !exact.kinks.contains($0) }, "\(exact)")
    }
}
