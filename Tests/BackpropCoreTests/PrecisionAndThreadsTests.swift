import BackpropTestSupport
import Testing
@testable import BackpropCore

@Suite("Single precision and threads")
struct PrecisionAndThreadsTests {
    @Test func floatNetworkLearnsCircles() throws {
        let train = try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1).converted(to: Float.self)
        let test = try Dataset.circles(samples: 500, noise: 0.1, factor: 0.5, seed: 2).converted(to: Float.self)
        var net = try Network<Float>(inputSize: 2, layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
                                     loss: .binaryCrossEntropy, seed: 0)
        try net.train(on: train, epochs: 200, learningRate: 0.5, batchSize: 32)
        #expect(try net.accuracy(on: test) >= 0.95)
    }

    /// Float and Double agree to float precision on the same parameters.
    @Test func floatMatchesDoubleToFloatPrecision() throws {
        var rng = TestRandom(seed: 21)
        let x = rng.matrix(16, 5) { $0.normal() }
        let labels = (0..<16).map { _ in rng.int(below: 3) }
        let double = try Network(inputSize: 5, layers: [.dense(7, .tanh), .dense(6, .sigmoid), .dense(3, .softmax)],
                                 loss: .categoricalCrossEntropy, seed: 4)
        let single = try double.converted(to: Float.self)
        let pd = try double.predict(x), ps = try single.predict(x.converted(to: Float.self))
        for (a, b) in zip(pd.elements, ps.elements) { #expect(abs(a - Double(b)) <= 1e-5 * max(abs(a), 1e-3)) }
        let gd = try double.gradients(inputs: x, labels: labels)
        let gs = try single.gradients(inputs: x.converted(to: Float.self), labels: labels)
        // Norm-wise: float rounding (2^-24 ≈ 6e-8) amplified by a few layers.
        for (l, layer) in gd.layers.enumerated() {
            let scale = layer.weights.elements.map(abs).max()!
            for (a, b) in zip(layer.weights.elements, gs.layers[l].weights.elements) {
                #expect(abs(a - Double(b)) <= 1e-5 * scale, "layer \(l)")
            }
        }
        #expect(abs(try #require(gd.loss) - (try #require(gs.loss))) <= 1e-6 * gd.loss!)
    }

    @Test func floatGradientCheckRunsInDouble() throws {
        var rng = TestRandom(seed: 22)
        let net = try Network<Float>(inputSize: 3, layers: [.dense(4, .tanh), .dense(2, .softmax)],
                                     loss: .categoricalCrossEntropy, seed: 1)
        let data = Dataset<Float>(inputs: rng.matrix(5, 3) { $0.normal() }.converted(), labels: [0, 1, 1, 0, 1])
        let report = try net.checkGradients(on: data)
        #expect(report.passed, "\(report)")
        #expect(report.maxRelativeError < 1e-6)
    }

    /// Results are bit-identical whatever the thread count (work is split
    /// by blocks of C, never along the summation index).
    @Test func twoThreadsGiveBitIdenticalTraining() throws {
        var rng = TestRandom(seed: 23)
        let x = rng.matrix(512, 128) { $0.normal() }
        let labels = (0..<512).map { _ in rng.int(below: 10) }
        let data = Dataset(inputs: x, labels: labels)
        func trained(threads: Int) throws -> Network<Double> {
            var net = try Network(inputSize: 128, layers: [.dense(256, .relu), .dense(256, .relu), .dense(10, .softmax)],
                                  loss: .categoricalCrossEntropy, seed: 9)
            net.threads = threads
            try net.train(on: data, epochs: 2, learningRate: 0.05, batchSize: 128)
            return net
        }
        let one = try trained(threads: 1), two = try trained(threads: 2)
        #expect(one.parameters == two.parameters)
        #expect(try one.predict(x) == two.predict(x))
    }

    @Test func threadCountIsValidated() throws {
        var net = try Network(inputSize: 2, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        net.threads = 0
        #expect(throws: BackpropError.self) { try net.predict(Matrix([[1.0, 2]])) }
        net.threads = 1000
        #expect(throws: BackpropError.self) { try net.train(inputs: Matrix([[1.0, 2]]), labels: [1], epochs: 1, learningRate: 0.1) }
    }

    @Test func floatLearningRateMustBeRepresentable() throws {
        var net = try Network<Float>(inputSize: 2, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        #expect(throws: BackpropError.self) {
            try net.train(inputs: Matrix<Float>([[1, 2]]), labels: [1], epochs: 1, learningRate: 1e300)
        }
    }
}
