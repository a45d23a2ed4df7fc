import BackpropCore
import BackpropTestSupport
import Foundation
import Testing

/// `Tests/Fixtures/optimizers/*.json`: torch.optim trajectories.
private struct OptimizerFixture: Decodable {
    struct Case: Decodable {
        let name: String
        let optimizer: FixtureOptimizer
        let learning_rate: Double
        let batch: Int
        let params: [[Double]]
    }
    let every: Int
    let cases: [Case]
}

/// |a − e| within 1e-12 of e, or 1e-15 of the largest expected value.
func agrees(_ got: [Double], _ expected: [Double], relative: Double = 1e-12) -> Bool {
    let scale = expected.map(abs).max() ?? 0
    return got.count == expected.count
        && zip(got, expected).allSatisfy { abs($0 - $1) <= relative * abs($1) + 1e-15 * scale }
}

/// Trains `network` unshuffled along a fixture's trajectory — one `train`
/// call up to each recorded point that falls on an epoch boundary (so the
/// optimiser's state carries over between calls) — and checks the
/// parameters there; returns how many points it compared and the steps
/// it took.
@discardableResult
func followTrajectory(_ network: inout Network<Double>, on data: Dataset<Double>, batch: Int, every: Int,
                      recorded: [[Double]], learningRate: Double, regularization: Regularization = .none,
                      label: String) throws -> (compared: Int, steps: Int) {
    let stepsPerEpoch = data.count / batch
    var steps = 0, compared = 0
    for (k, expected) in recorded.enumerated() where ((k + 1) * every) % stepsPerEpoch == 0 {
        let target = (k + 1) * every
        try network.train(on: data, epochs: (target - steps) / stepsPerEpoch, learningRate: learningRate,
                          batchSize: batch, shuffle: false, regularization: regularization)
        steps = target
        #expect(agrees(flatParameters(of: network), expected), "\(label) after \(target) steps")
        compared += 1
    }
    return (compared, steps)
}

@Suite("Optimisers through Network.train, against torch.optim")
struct OptimizerTrainingTests {
    /// Every case whose recorded steps fall on epoch boundaries (batches of
    /// 8 or 32 of the 32 rows), trained unshuffled in one `train` call per
    /// recorded point — so the optimiser's state carries over between calls.
    @Test(arguments: ["optimizers/dense.json", "optimizers/narrow.json"])
    func trajectoriesMatchPyTorch(file: String) throws {
        let net = try TorchNetworkFixture.load(file)
        let fixture = try JSONDecoder().decode(OptimizerFixture.self, from: Data(contentsOf: fixtureURL(file)))
        let data = try net.dataset()
        var compared = 0
        for c in fixture.cases where c.batch > 1 && net.rows % c.batch == 0 {
            var network = try net.network()
            network.optimizer = c.optimizer.optimizer
            let run = try followTrajectory(&network, on: data, batch: c.batch, every: fixture.every,
                                           recorded: c.params, learningRate: c.learning_rate, label: "\(file) \(c.name)")
            compared += run.compared
            #expect(network.optimizerState?.step == (c.optimizer.optimizer.isGradientDescent ? nil : run.steps))
        }
        #expect(compared >= 9)
    }

    /// Training in several calls equals one call, bit for bit, with every
    /// rule (unshuffled: each call's first order is the rows' own);
    /// assigning the optimiser again restarts it.
    @Test(arguments: [Optimizer.sgd(momentum: 0.9, nesterov: true), .adam(amsgrad: true), .adamW(),
                      .rmsprop(momentum: 0.5, centered: true), .adagrad(learningRateDecay: 0.01), .rprop()])
    func stateCarriesOverBetweenCalls(optimizer: Optimizer) throws {
        let data = try Dataset<Double>.moons(samples: 64, noise: 0.1, seed: 3)
        var once = try Network<Double>(inputSize: 2, layers: [.dense(6, .tanh), .dense(1, .sigmoid)],
                                       loss: .binaryCrossEntropy, seed: 5)
        once.optimizer = optimizer
        var split = once
        let batch = optimizer.rule == .rprop ? 64 : 16
        try once.train(on: data, epochs: 9, learningRate: 0.01, batchSize: batch, shuffle: false)
        for _ in 0..<3 { try split.train(on: data, epochs: 3, learningRate: 0.01, batchSize: batch, shuffle: false) }
        #expect(flatParameters(of: once) == flatParameters(of: split))
        #expect(once.optimizerState == split.optimizerState)
        #expect(once.optimizerState?.values.count == optimizer.stateSlots * once.parameterCount)

        var restarted = split
        restarted.optimizer = optimizer
        #expect(restarted.optimizerState == nil)
        try restarted.train(on: data, epochs: 1, learningRate: 0.01, batchSize: batch)
        try split.train(on: data, epochs: 1, learningRate: 0.01, batchSize: batch)
        #expect(flatParameters(of: restarted) != flatParameters(of: split))
    }

    /// A Float network follows the double trajectory to float accuracy.
    @Test func floatNetworkFollowsTheDoubleTrajectory() throws {
        let net = try TorchNetworkFixture.load("optimizers/dense.json")
        let data = try net.dataset()
        var double = try net.network()
        double.optimizer = .adam()
        var float = try double.converted(to: Float.self)
        try double.train(on: data, epochs: 10, learningRate: 0.01, batchSize: 8, shuffle: false)
        try float.train(on: data.converted(to: Float.self), epochs: 10, learningRate: 0.01, batchSize: 8,
                        shuffle: false)
        let d = flatParameters(of: double), f = flatParameters(of: float)
        let scale = d.map(abs).max()!
        #expect(zip(d, f).allSatisfy { abs($0 - $1) <= 1e-4 * scale })
        #expect(zip(d, f).contains { $0 != $1 })
    }

    /// Invalid hyperparameters are typed errors, before anything changes.
    @Test func invalidHyperparametersAreRefused() throws {
        let data = Dataset<Double>.xor()
        var network = try Network<Double>(inputSize: 2, layers: [.dense(3, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 1)
        let before = flatParameters(of: network)
        let cases: [(Optimizer, String)] = [
            (.sgd(momentum: -1), "optimizer.momentum"), (.sgd(dampening: 2), "optimizer.dampening"),
            (.sgd(nesterov: true), "optimizer.nesterov"), (.adam(beta1: 1), "optimizer.beta1"),
            (.adam(beta2: .nan), "optimizer.beta2"), (.adamW(weightDecay: -0.1), "optimizer.weightDecay"),
            (.rmsprop(alpha: 1.5), "optimizer.alpha"), (.adagrad(epsilon: -1), "optimizer.epsilon"),
            (.rprop(etaMinus: 1), "optimizer.etaMinus"), (.rprop(etaPlus: 1), "optimizer.etaPlus"),
            (.rprop(minimumStepSize: 1, maximumStepSize: 0.5), "optimizer.maximumStepSize"),
        ]
        for (optimizer, name) in cases {
            network.optimizer = optimizer
            #expect {
                try network.train(on: data, epochs: 1, learningRate: 0.1)
            } throws: { error in
                guard case let BackpropError.invalidHyperparameter(n, _, _) = error else { return false }
                return n == name
            }
            #expect(flatParameters(of: network) == before)
        }
        var float = try network.converted(to: Float.self)
        float.optimizer = .adam(epsilon: 1e300)
        #expect(throws: BackpropError.self) { try float.train(on: data.converted(to: Float.self), epochs: 1, learningRate: 0.1) }
    }

    /// A state restored from its encoding continues exactly; one that does
    /// not fit is refused with the network unchanged.
    @Test func stateRoundTripsAndIsChecked() throws {
        let data = try Dataset<Double>.blobs(samplesPerClass: 20, seed: 2)
        var network = try Network<Double>(inputSize: 2, layers: [.dense(5, .relu), .dense(3, .softmax)],
                                          loss: .categoricalCrossEntropy, seed: 4)
        network.optimizer = .adam()
        try network.train(on: data, epochs: 4, learningRate: 0.01, batchSize: 10)
        let state = try #require(network.optimizerState)
        let decoded = try JSONDecoder().decode(OptimizerState.self, from: JSONEncoder().encode(state))
        #expect(decoded == state)

        var fresh = try Network<Double>(layers: network.layers, loss: network.loss)
        try fresh.restoreOptimizerState(decoded)
        var continued = network
        try continued.train(on: data, epochs: 2, learningRate: 0.01, batchSize: 10, shuffle: false)
        try fresh.train(on: data, epochs: 2, learningRate: 0.01, batchSize: 10, shuffle: false)
        #expect(flatParameters(of: fresh) == flatParameters(of: continued))

        var bad = state.values
        bad[bad.count - 1] = -1  // a second moment below zero
        let wrong = [OptimizerState(optimizer: .adam(), step: 4, values: Array(state.values.dropLast())),
                     OptimizerState(optimizer: .adam(), step: -1, values: state.values),
                     OptimizerState(optimizer: .adam(), step: 4, values: state.values.map { _ in .nan }),
                     OptimizerState(optimizer: .adam(beta1: 2), step: 4, values: state.values),
                     OptimizerState(optimizer: .adam(), step: 4, values: bad)]
        for w in wrong {
            var target = try Network<Double>(layers: network.layers, loss: network.loss)
            #expect(throws: BackpropError.self) { try target.restoreOptimizerState(w) }
            #expect(target.optimizer == .gradientDescent && target.optimizerState == nil)
        }
    }
}

@Suite("Optimiser state before the first step")
struct UnstartedOptimizerTests {
    /// A run interrupted before its first step saves an optimiser that has
    /// not started (no values); it restores and resumes like a fresh run.
    @Test func interruptedBeforeTheFirstStepResumes() throws {
        let data = try Dataset<Double>.moons(samples: 50, noise: 0.1, seed: 1)
        var network = try Network<Double>(inputSize: 2, layers: [.dense(4, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 3)
        network.optimizer = .adam()
        var whole = network
        try whole.train(on: data, epochs: 3, learningRate: 0.01, batchSize: 10)
        let interruption = TrainingInterruption()
        interruption.request()
        let report = try network.train(on: data, epochs: 3, learningRate: 0.01, batchSize: 10,
                                       interruption: interruption)
        let checkpoint = try TrainingCheckpoint(decoding: try #require(report.checkpoint).encoded())
        #expect(checkpoint.optimizerState?.step == 0 && checkpoint.optimizerState?.optimizer == .adam())
        var resumed = try Network<Double>(inputSize: 2, layers: [.dense(4, .tanh), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 9)
        try resumed.train(on: data, resumingFrom: checkpoint)
        #expect(flatParameters(of: resumed) == flatParameters(of: whole))

        var fresh = try Network<Double>(inputSize: 2, layers: [.dense(4, .tanh), .dense(1, .sigmoid)],
                                        loss: .binaryCrossEntropy, seed: 3)
        try fresh.restoreOptimizerState(OptimizerState(optimizer: .rmsprop(centered: true), step: 0, values: []))
        #expect(fresh.optimizer == .rmsprop(centered: true) && fresh.optimizerState == nil)
    }
}
