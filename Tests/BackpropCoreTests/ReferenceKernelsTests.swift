import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

/// `Network.kernels` (KernelSet.swift): the reference engine and the
/// portable kernels selected at run time, and their results against the
/// default kernels'.
///
/// Tolerances: the engines compute the same sums in other orders (blocked
/// and SIMD against plain loops, with or without FMA), so they differ by a
/// few hundred units of roundoff per layer at most, relative to the
/// magnitudes compared (the C harness, test_reference.c, holds every fast
/// path to that). Here: 1e-11 relative in double (ε ≈ 2.2e-16, so about
/// 5·10⁴ ε: a few layers times sums of up to a few hundred terms) and 2e-4
/// in float (ε ≈ 1.2e-7: about 1.7·10³ ε), norm-wise; training over a few
/// epochs lets those differences add up, so it gets ten times as much. A
/// wrong derivative or a missing bias is off by far more.
@Suite("Reference kernels")
struct ReferenceKernelsTests {
    /// `max |a − b| / max(max |a|, max |b|)`.
    static func difference<S: NetworkScalar>(_ a: [S], _ b: [S]) -> Double {
        var d = 0.0, m = 0.0
        for (x, y) in zip(a, b) {
            let xd = Double(x), yd = Double(y)
            d = max(d, abs(xd - yd))
            m = max(m, abs(xd), abs(yd))
        }
        return m == 0 ? 0 : d / m
    }

    static func tolerance<S: NetworkScalar>(_: S.Type) -> Double { S.self == Float.self ? 2e-4 : 1e-11 }

    /// Every parameter of a gradient, layer after layer, and dL/dX.
    static func flat<S>(_ g: Gradients<S>) -> [S] {
        g.layers.flatMap { $0.weights.elements + $0.bias } + g.inputs.elements
    }

    /// A wide network (the blocked GEMM and the fused update), a narrow one
    /// (the narrow engine), and a tiny one trained one sample at a time.
    static func networks<S: NetworkScalar>(_: S.Type) throws -> [(Network<S>, Dataset<S>, Int)] {
        var rng = TestRandom(seed: 91)
        let x1 = rng.matrix(150, 5) { $0.normal() }.converted(to: S.self)
        let labels = (0..<150).map { _ in rng.int(below: 3) }
        let wide = try Network<S>(inputSize: 5, layers: [.dense(40, .relu), .dense(24, .tanh), .dense(3, .softmax)],
                                  loss: .categoricalCrossEntropy, seed: 5)
        let x2 = rng.matrix(200, 2) { $0.normal() }.converted(to: S.self)
        let binary = (0..<200).map { i in Double(x2.elements[2 * i]) * Double(x2.elements[2 * i + 1]) > 0 ? 1 : 0 }
        let narrow = try Network<S>(inputSize: 2, layers: [.dense(4, .tanh), .dense(3, .sigmoid), .dense(1, .sigmoid)],
                                    loss: .binaryCrossEntropy, seed: 6)
        let tiny = try Network<S>(inputSize: 2, layers: [.dense(3, .sigmoid), .dense(1, .sigmoid)],
                                  loss: .binaryCrossEntropy, seed: 7)
        return [(wide, Dataset(inputs: x1, labels: labels), 32),
                (narrow, Dataset(inputs: x2, labels: binary), 64),
                (tiny, Dataset(inputs: x2, labels: binary), 1)]
    }

    /// The option selects the engine: the C context reports the reference
    /// (or the portable kernels), and back to the default.
    @Test func theOptionSwitchesTheEngine() throws {
        var net = try Network(inputSize: 3, layers: [.dense(12, .relu), .dense(2, .softmax)],
                              loss: .categoricalCrossEntropy)
        #expect(net.kernels == .automatic)
        let automatic = try net.engineKernelName()
        #expect(automatic != "reference")
        net.kernels = .reference
        #expect(try net.engineKernelName() == "reference")
        net.kernels = .portable
        #expect(try net.engineKernelName() == "portable")
        net.kernels = .automatic
        #expect(try net.engineKernelName() == automatic)
        // engines of every kind were kept; each call took its own
        #expect(Set(net.engines.idleKernels).isSubset(of: Set(KernelSet.allCases)))
        let copy = net
        net.kernels = .reference
        #expect(copy.kernels == .automatic, "a copy keeps its own choice")
        #expect(try copy.engineKernelName() == automatic)
        #expect(try net.converted(to: Float.self).kernels == .reference)
    }

    /// Forward outputs, loss and gradients on the reference agree with the
    /// default kernels' within the tolerance, in both precisions.
    @Test(arguments: [false, true]) func evaluationAgrees(float: Bool) throws {
        if float { try evaluation(Float.self) } else { try evaluation(Double.self) }
    }

    func evaluation<S: NetworkScalar>(_: S.Type) throws {
        for (fast, data, _) in try Self.networks(S.self) {
            var slow = fast
            slow.kernels = .reference
            let tol = Self.tolerance(S.self)
            #expect(Self.difference(try fast.predict(data.inputs).elements,
                                    try slow.predict(data.inputs).elements) <= tol)
            #expect(close(try fast.loss(on: data), try slow.loss(on: data), rel: tol))
            let g = try fast.gradients(on: data), h = try slow.gradients(on: data)
            #expect(Self.difference(Self.flat(g), Self.flat(h)) <= tol)
        }
    }

    /// Training on the reference (mini-batches, and one sample per step on
    /// the tiny network) ends within the tolerance of the default kernels'.
    @Test(arguments: [false, true]) func trainingAgrees(float: Bool) throws {
        if float { try training(Float.self) } else { try training(Double.self) }
    }

    func training<S: NetworkScalar>(_: S.Type) throws {
        for (net, data, batch) in try Self.networks(S.self) {
            var fast = net, slow = net
            slow.kernels = .reference
            let a = try fast.train(on: data, epochs: 3, learningRate: 0.1, batchSize: batch, shuffle: true)
            let b = try slow.train(on: data, epochs: 3, learningRate: 0.1, batchSize: batch, shuffle: true)
            let tol = 10 * Self.tolerance(S.self)
            #expect(Self.difference(fast.parameters, slow.parameters) <= tol)
            #expect(a.trainingLoss.count == 3 && zip(a.trainingLoss, b.trainingLoss).allSatisfy { close($0, $1, rel: tol) })
        }
    }
}
