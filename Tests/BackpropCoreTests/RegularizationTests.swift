import BackpropCore
import BackpropTestSupport
import Foundation
import Testing

/// `Tests/Fixtures/regularization/*.json`: PyTorch trajectories with an
/// L2 penalty (scikit-learn's alpha) and clip_grad_norm_.
private struct RegularizationFixture: Decodable {
    struct Settings: Decodable {
        let l2: Double?
        let max_grad_norm: Double?
    }
    struct Case: Decodable {
        let name: String
        let optimizer: FixtureOptimizer
        let learning_rate: Double
        let batch: Int
        let regularization: Settings
        let params: [[Double]]
    }
    let every: Int
    let cases: [Case]
}

/// The dropout masks' definition (bp_regularization.h), written again here:
/// u(seed, k, l, i, j) from SplitMix64's finaliser.
func dropoutUniform(seed: UInt64, step: UInt64, layer: UInt64, row: UInt64, unit: UInt64) -> Double {
    func mix(_ x: UInt64) -> UInt64 {
        var z = x
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
    let h = mix(mix(mix(mix(mix(seed &+ 0x9e37_79b9_7f4a_7c15) ^ step) ^ layer) ^ row) ^ unit)
    return Double(h >> 11) * 0x1p-53
}

@Suite("Regularisation through Network.train")
struct RegularizationTests {
    /// L2 penalty and gradient clipping against PyTorch (autograd on
    /// mean loss + α/(2r)·ΣW², clip_grad_norm_, torch.optim), on the cases
    /// whose recorded steps fall on epoch boundaries.
    @Test(arguments: ["regularization/dense.json", "regularization/narrow.json"])
    func penaltyAndClippingMatchPyTorch(file: String) throws {
        let net = try TorchNetworkFixture.load(file)
        let fixture = try JSONDecoder().decode(RegularizationFixture.self, from: Data(contentsOf: fixtureURL(file)))
        let data = try net.dataset()
        var compared = 0
        for c in fixture.cases where c.batch > 1 && net.rows % c.batch == 0 {
            var network = try net.network()
            network.optimizer = c.optimizer.optimizer
            let regularization = Regularization(l2: c.regularization.l2 ?? 0,
                                                maximumGradientNorm: c.regularization.max_grad_norm)
            compared += try followTrajectory(&network, on: data, batch: c.batch, every: fixture.every,
                                             recorded: c.params, learningRate: c.learning_rate,
                                             regularization: regularization, label: "\(file) \(c.name)").compared
        }
        #expect(compared >= 6)
    }

    /// The reported loss includes the penalty α/(2r)·ΣW² (full batch: the
    /// epoch's loss is the one batch's, before its update).
    @Test func reportedLossIncludesThePenalty() throws {
        let data = try Dataset<Double>.moons(samples: 40, noise: 0.1, seed: 1)
        let network = try Network<Double>(inputSize: 2, layers: [.dense(5, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 2)
        let alpha = 0.3
        let squares = network.layers.reduce(0.0) { $0 + $1.weights.elements.reduce(0) { $0 + $1 * $1 } }
        var trained = network
        let report = try trained.train(on: data, epochs: 1, learningRate: 0.1, regularization: Regularization(l2: alpha))
        let expected = try network.loss(on: data) + alpha / (2 * 40) * squares
        #expect(close(report.trainingLoss[0], expected, rel: 1e-14))
    }

    /// One full-batch step with dropout equals the step written out here
    /// with the masks of the documented definition (the stream's seed read
    /// from the checkpoint, which records it).
    @Test func dropoutStepUsesTheDocumentedMasks() throws {
        let rows = 6, inputs = 3, hidden = 7, rate = 0.4, eta = 0.2
        var random = TestRandom(seed: 77)
        let xs = (0..<rows * inputs).map { _ in random.uniform() * 2 - 1 }
        let ys = (0..<rows).map { _ in random.uniform() }
        let data = try Dataset(inputs: Matrix(rows: rows, columns: inputs, elements: xs),
                               targets: Matrix(rows: rows, columns: 1, elements: ys))
        let network = try Network<Double>(inputSize: inputs, layers: [.dense(hidden, .tanh), .dense(1, .identity)],
                                          loss: .meanSquaredError, seed: 8)
        var trained = network
        var checkpoint: TrainingCheckpoint?
        try trained.train(on: data, epochs: 2, learningRate: eta, shuffle: false,
                          regularization: Regularization(dropout: [rate]), checkpointEvery: 1,
                          onCheckpoint: { checkpoint = $0 })
        let json = try JSONSerialization.jsonObject(with: try #require(checkpoint).encoded()) as! [String: Any]
        let seed = try #require((json["dropoutSeed"] as? NSNumber)?.uint64Value)
        #expect((json["dropoutStep"] as? NSNumber)?.uint64Value == 1)

        // The step, by hand.
        let w1 = network.layers[0].weights.elements, b1 = network.layers[0].bias
        let w2 = network.layers[1].weights.elements, b2 = network.layers[1].bias[0]
        var gw1 = [Double](repeating: 0, count: w1.count), gb1 = [Double](repeating: 0, count: hidden)
        var gw2 = [Double](repeating: 0, count: hidden), gb2 = 0.0
        var dropped = 0
        for i in 0..<rows {
            var z = [Double](repeating: 0, count: hidden), a = z, s = z
            var out = b2
            for j in 0..<hidden {
                z[j] = b1[j]
                for k in 0..<inputs { z[j] += xs[i * inputs + k] * w1[k * hidden + j] }
                a[j] = Foundation.tanh(z[j])
                let keep = dropoutUniform(seed: seed, step: 0, layer: 0, row: UInt64(i), unit: UInt64(j)) >= rate
                s[j] = keep ? 1 / (1 - rate) : 0
                dropped += keep ? 0 : 1
                out += a[j] * s[j] * w2[j]
            }
            let dOut = 2 * (out - ys[i]) / Double(rows)
            gb2 += dOut
            for j in 0..<hidden {
                gw2[j] += a[j] * s[j] * dOut
                let dz = dOut * w2[j] * s[j] * (1 - a[j] * a[j])
                gb1[j] += dz
                for k in 0..<inputs { gw1[k * hidden + j] += xs[i * inputs + k] * dz }
            }
        }
        #expect(dropped > 0 && dropped < rows * hidden)
        let expected = zip(w1, gw1).map { $0 - eta * $1 } + zip(b1, gb1).map { $0 - eta * $1 }
            + zip(w2, gw2).map { $0 - eta * $1 } + [b2 - eta * gb2]
        var afterOne = network
        try afterOne.restore(from: try #require(checkpoint))
        #expect(agrees(flatParameters(of: afterOne), expected))
    }

    /// Dropout is reproducible bit for bit from the network's seed, differs
    /// with another seed, resumes exactly from a checkpoint, and never
    /// touches predict.
    @Test func dropoutIsReproducibleAndOffInPredict() throws {
        let data = try Dataset<Double>.spiral(pointsPerClass: 40, classes: 3, seed: 4)
        func network(seed: UInt64) throws -> Network<Double> {
            var n = try Network<Double>(inputSize: 2, layers: [.dense(16, .relu), .dense(16, .relu), .dense(3, .softmax)],
                                        loss: .categoricalCrossEntropy, seed: seed)
            n.optimizer = .adam()
            return n
        }
        let regularization = Regularization(dropout: [0.3, 0.1])
        var a = try network(seed: 1), b = try network(seed: 1), c = try network(seed: 2)
        var plain = try network(seed: 1)
        let train = { (n: inout Network<Double>, r: Regularization) throws in
            try n.train(on: data, epochs: 12, learningRate: 0.01, batchSize: 16, regularization: r)
        }
        try train(&a, regularization)
        try train(&b, regularization)
        try train(&plain, Regularization.none)
        #expect(flatParameters(of: a) == flatParameters(of: b))
        #expect(flatParameters(of: a) != flatParameters(of: plain))
        var cPlain = try network(seed: 2)
        try train(&c, regularization)
        try train(&cPlain, Regularization.none)
        #expect(flatParameters(of: c) != flatParameters(of: cPlain))
        #expect(try a.predict(data.inputs) == a.predict(data.inputs))

        // interrupted after 5 epochs, resumed: the same run
        var first = try network(seed: 1)
        let report = try first.train(on: data, epochs: 12, learningRate: 0.01, batchSize: 16,
                                     regularization: regularization, onEpoch: { $0.epoch == 5 ? .stop : .continue })
        var resumed = try network(seed: 3)
        try resumed.train(on: data, resumingFrom: TrainingCheckpoint(decoding: try #require(report.checkpoint).encoded()))
        #expect(flatParameters(of: resumed) == flatParameters(of: a))

        // rates of zero are exactly no dropout
        var zero = try network(seed: 1)
        try train(&zero, Regularization(dropout: [0, 0]))
        #expect(flatParameters(of: zero) == flatParameters(of: plain))
    }

    @Test(arguments: [Regularization(l2: -1), Regularization(l2: .nan), Regularization(maximumGradientNorm: 0),
                      Regularization(maximumGradientNorm: .infinity), Regularization(dropout: [0.5]),
                      Regularization(dropout: [1, 0]), Regularization(dropout: [-0.1, 0])])
    func invalidRegularizationIsRefused(regularization: Regularization) throws {
        var network = try Network<Double>(inputSize: 2, layers: [.dense(4, .relu), .dense(4, .relu), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy)
        let before = flatParameters(of: network)
        #expect {
            try network.train(on: Dataset<Double>.xor(), epochs: 2, learningRate: 0.1, regularization: regularization)
        } throws: { error in
            guard case let BackpropError.invalidHyperparameter(name, _, _) = error else { return false }
            return name.hasPrefix("regularization.")
        }
        #expect(flatParameters(of: network) == before)
    }
}
