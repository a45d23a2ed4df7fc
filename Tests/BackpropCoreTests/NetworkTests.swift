import Foundation
import BackpropTestSupport
import Testing
@testable import BackpropCore

@Suite("Network API")
struct NetworkTests {
    static func smallNet(seed: UInt64 = 42) throws -> Network<Double> {
        try Network(inputSize: 2, layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
                    loss: .binaryCrossEntropy, seed: seed)
    }

    @Test func shapesAndDefaults() throws {
        let net = try Self.smallNet()
        #expect(net.inputSize == 2 && net.outputSize == 1)
        #expect(net.layers.map(\.weights.rows) == [2, 4, 3])
        #expect(net.layers.map(\.weights.columns) == [4, 3, 1])
        #expect(net.layers.allSatisfy { $0.bias.allSatisfy { $0 == 0 } })
        #expect(net.parameterCount == 2 * 4 + 4 + 4 * 3 + 3 + 3 + 1)
    }

    @Test func sameSeedSameWeightsAndTraining() throws {
        let data = try Dataset.circles(samples: 200, seed: 3)
        var a = try Self.smallNet(seed: 7), b = try Self.smallNet(seed: 7)
        #expect(a.layers == b.layers)
        let ra = try a.train(on: data, epochs: 20, learningRate: 0.3, batchSize: 16)
        let rb = try b.train(on: data, epochs: 20, learningRate: 0.3, batchSize: 16)
        #expect(a.layers == b.layers, "bit-identical weights after shuffled mini-batch training")
        #expect(ra.trainingLoss == rb.trainingLoss)
        let c = try Self.smallNet(seed: 8)
        #expect(c.layers != b.layers)
    }

    @Test func copiesTrainIndependently() throws {
        let data = try Dataset.circles(samples: 100, seed: 3)
        var a = try Self.smallNet(seed: 7)
        var b = a     // shares the generator until one of them draws
        try a.train(on: data, epochs: 3, learningRate: 0.3, batchSize: 10)
        try b.train(on: data, epochs: 3, learningRate: 0.3, batchSize: 10)
        #expect(a.layers == b.layers, "a copy carries the generator state, so both shuffle alike")
    }

    @Test func initializersHaveTheirScale() throws {
        // 400 × 300 weights: the sample std is within 2% of the target with
        // overwhelming probability (its relative standard error is 1/√(2n) ≈ 0.2%).
        func std(_ scheme: Initializer?, _ act: Activation = .identity) throws -> Double {
            let net = try Network(inputSize: 400, layers: [.dense(300, act, initializer: scheme)],
                                  loss: .meanSquaredError, seed: 1)
            let w = net.layers[0].weights.elements
            let mean = w.reduce(0, +) / Double(w.count)
            return (w.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(w.count)).squareRoot()
        }
        let cases: [(Initializer?, Activation, Double)] = [
            (.xavier, .identity, (2.0 / 700).squareRoot()),
            (.he, .identity, (2.0 / 400).squareRoot()),
            (.xavierUniform, .identity, (6.0 / 700 / 3).squareRoot()),   // U(±r) has std r/√3
            (.heUniform, .identity, (6.0 / 400 / 3).squareRoot()),
            (.normal(standardDeviation: 0.3), .identity, 0.3),
            (nil, .relu, (2.0 / 400).squareRoot()),        // default for ReLU: He
            (nil, .tanh, (2.0 / 700).squareRoot()),        // default otherwise: Xavier
        ]
        for (scheme, act, expected) in cases {
            let measured = try std(scheme, act)
            #expect(abs(measured / expected - 1) < 0.02, "\(String(describing: scheme)) \(act): \(measured) vs \(expected)")
        }
        #expect(try std(.zeros) == 0)
        // Defaults: He for ReLU, Xavier otherwise.
        #expect(Activation.relu.defaultInitializer == .he)
        #expect(Activation.leakyReLU(slope: 0.01).defaultInitializer == .he)
        #expect(Activation.tanh.defaultInitializer == .xavier)
    }

    @Test func predictMatchesForwardByHand() throws {
        var net = try Network(inputSize: 2, layers: [.dense(2, .tanh), .dense(1, .identity)],
                              loss: .meanSquaredError)
        try net.setWeights(Matrix([[0.5, -1], [2, 0.25]]), layer: 0)
        try net.setBias([0.1, -0.2], layer: 0)
        try net.setWeights(Matrix([[1.5], [-0.5]]), layer: 1)
        try net.setBias([0.3], layer: 1)
        let x = try Matrix([[1.0, 2], [-1, 0.5]])
        let out = try net.predict(x)
        for i in 0..<2 {
            let h0 = Foundation.tanh(x[i, 0] * 0.5 + x[i, 1] * 2 + 0.1)
            let h1 = Foundation.tanh(x[i, 0] * -1 + x[i, 1] * 0.25 - 0.2)
            #expect(close(out[i, 0], 1.5 * h0 - 0.5 * h1 + 0.3, rel: 1e-14))
        }
    }

    @Test func predictHandlesMoreRowsThanOneChunk() throws {
        let net = try Self.smallNet()
        var rng = TestRandom(seed: 5)
        let x = rng.matrix(2500, 2) { $0.normal() }
        let all = try net.predict(x)
        for i in [0, 1023, 1024, 2047, 2048, 2499] {
            #expect(try net.predict(Matrix(row: x.row(i))).elements == all.row(i))
        }
    }

    @Test func concurrentPredictEqualsSerial() async throws {
        let net = try Self.smallNet()
        var rng = TestRandom(seed: 9)
        let batches = (0..<32).map { _ in rng.matrix(50, 2) { $0.normal() } }
        let serial = try batches.map { try net.predict($0) }
        let parallel = try await withThrowingTaskGroup(of: (Int, Matrix<Double>).self) { group in
            for (i, b) in batches.enumerated() { group.addTask { (i, try net.predict(b)) } }
            var out = [Matrix<Double>?](repeating: nil, count: batches.count)
            for try await (i, m) in group { out[i] = m }
            return out.map { $0! }
        }
        #expect(parallel == serial)
    }

    @Test func lossAndAccuracyAgreeWithDefinitions() throws {
        var net = try Network(inputSize: 1, layers: [.dense(1, .sigmoid)], loss: .binaryCrossEntropy)
        try net.setWeights(Matrix([[2.0]]), layer: 0)
        let x = Matrix(column: [-1.0, 0.5, 2]), labels = [0, 0, 1]
        let p = [-2.0, 1, 4].map { 1 / (1 + Foundation.exp(-$0)) }
        let bce = -(Foundation.log(1 - p[0]) + Foundation.log(1 - p[1]) + Foundation.log(p[2])) / 3
        #expect(close(try net.loss(inputs: x, labels: labels), bce, rel: 1e-14))
        #expect(try net.accuracy(inputs: x, labels: labels) == 2.0 / 3)
        #expect(try net.predictClasses(x) == [0, 1, 1])
    }

    @Test func onlineLearningIsOneUpdatePerSample() throws {
        // With batch size 1 and no shuffling, one epoch equals applying the
        // per-sample gradients in order.
        let data = Dataset.halfAdder()
        var a = try Network(inputSize: 2, layers: [.dense(3, .tanh), .dense(2, .sigmoid)], loss: .meanSquaredError, seed: 3)
        var b = a
        try a.train(on: data, epochs: 1, learningRate: 0.5, batchSize: 1, shuffle: false)
        for i in 0..<4 {
            let g = try b.gradients(on: Dataset(inputs: Matrix(row: data.inputs.row(i)),
                                                targets: Matrix(row: try #require({ if case let .values(m) = data.targets { return m.row(i) }; return nil }()))))
            try b.apply(g, learningRate: 0.5)
        }
        for l in 0..<2 {
            for (x, y) in zip(a.layers[l].weights.elements, b.layers[l].weights.elements) { #expect(close(x, y, rel: 1e-13)) }
        }
    }

    @Test func reportAndCallback() throws {
        let train = try Dataset.blobs(samplesPerClass: 50, seed: 1), val = try Dataset.blobs(samplesPerClass: 20, seed: 2)
        var net = try Network(inputSize: 2, layers: [.dense(3, .sigmoid), .dense(3, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 1)
        var seen: [Int] = []
        let report = try net.train(on: train, epochs: 10, learningRate: 0.5, batchSize: 16, validation: val) { summary in
            seen.append(summary.epoch)
            return summary.epoch == 4 ? .stop : .continue
        }
        #expect(seen == [1, 2, 3, 4])
        #expect(report.stopReason == .stoppedByCallback(epoch: 4))
        #expect(report.epochsCompleted == 4)
        #expect(report.validationLoss?.count == 4 && report.validationAccuracy?.count == 4)
        let best = try #require(report.bestEpoch)
        #expect(report.validationLoss![best - 1] == report.validationLoss!.min())
        #expect(report.wallTime > .zero)
    }

    @Test func divergenceStopsWithFiniteParameters() throws {
        var net = try Network(inputSize: 2, layers: [.dense(8, .relu), .dense(1, .identity)],
                              loss: .meanSquaredError, seed: 3)
        let x = try Matrix([[1.0, 2], [3, 4], [5, 6]]), y = try Matrix([[1.0], [2], [3]])
        let report = try net.train(inputs: x, targets: y, epochs: 1000, learningRate: 10)
        guard case let .nonFiniteLoss(epoch) = report.stopReason else {
            Issue.record("expected divergence, got \(report.stopReason)")
            return
        }
        #expect(epoch > 1 && epoch <= 1000)
        #expect(report.trainingLoss.count == epoch - 1)
        #expect(report.trainingLoss.allSatisfy { $0.isFinite })
        for layer in net.layers {
            #expect(layer.weights.elements.allSatisfy { $0.isFinite })
            #expect(layer.bias.allSatisfy { $0.isFinite })
        }
        #expect(try net.predict(x).elements.allSatisfy { $0.isFinite })
    }

    /// An update that overflows a parameter (learning rate 1e308, gradients
    /// well above 1 from far targets) ends training with the parameters its
    /// epoch started from — here the initial ones, bit for bit — for a
    /// narrow network (the narrow engine) and a wide one (the dense engine,
    /// whose fused update must fall back to the separate passes), in
    /// several epochs per call and in one.
    @Test(arguments: [8, 40])
    func overflowingUpdateRestoresTheEpochsStart(width: Int) throws {
        let net0 = try Network<Double>(inputSize: 3, layers: [.dense(width, .tanh), .dense(2, .identity)],
                                       loss: .meanSquaredError, seed: 5)
        var rows: [[Double]] = []
        for i in 0..<12 {
            rows.append((0..<3).map { j -> Double in Double((i * 3 + j) % 7) / 7 - 0.4 })
        }
        let x = try Matrix(rows)
        let y = try Matrix([[Double]](repeating: [100, -100], count: 12))
        for epochs in [1, 5] {
            var net = net0
            let report = try net.train(inputs: x, targets: y, epochs: epochs, learningRate: 1e308,
                                       batchSize: 4, shuffle: false)
            #expect(report.stopReason == StopReason.nonFiniteLoss(epoch: 1), "width \(width)")
            #expect(net.layers == net0.layers, "width \(width), \(epochs) epochs: not restored")
        }
    }
}
