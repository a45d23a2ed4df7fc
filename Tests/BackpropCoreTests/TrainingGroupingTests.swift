import BackpropTestSupport
import Testing
@testable import BackpropCore

/// `train` runs epochs in C several at a time when nothing happens between
/// them (no callback, no validation), drawing the shuffled orders of a
/// group before it. Grouped or not, training must give the same bits: the
/// same parameters, losses and stop reason, and the generator left in the
/// same state (checked by training on afterwards with shuffling).
@Suite("Training: epochs grouped into C calls")
struct TrainingGroupingTests {
    /// Trains `net` one epoch per call: a callback that never stops.
    static func epochByEpoch<S: NetworkScalar>(
        _ net: inout Network<S>, _ data: Dataset<S>, epochs: Int, learningRate: Double,
        batchSize: Int?, shuffle: Bool
    ) throws -> TrainingReport {
        try net.train(on: data, epochs: epochs, learningRate: learningRate, batchSize: batchSize,
                      shuffle: shuffle) { _ in .continue }
    }

    @Test(arguments: [(1, true), (1, false), (5, true), (nil, true)] as [(Int?, Bool)])
    func groupedEqualsEpochByEpoch(batchSize: Int?, shuffle: Bool) throws {
        // 12 samples: shuffled, the 1100 epochs fit in one call (up to
        // 65536 / 12 orders); in order they are two calls (1024 + 76).
        let data = try Dataset.blobs(samplesPerClass: 4, seed: 4)
        var grouped = try Network(inputSize: 2, layers: [.dense(3, .sigmoid), .dense(3, .softmax)],
                                  loss: .categoricalCrossEntropy, seed: 11)
        var single = grouped
        let a = try grouped.train(on: data, epochs: 1100, learningRate: 0.05, batchSize: batchSize,
                                  shuffle: shuffle)
        let b = try Self.epochByEpoch(&single, data, epochs: 1100, learningRate: 0.05,
                                      batchSize: batchSize, shuffle: shuffle)
        #expect(a.trainingLoss.count == 1100 && a.stopReason == .completed)
        #expect(a.trainingLoss == b.trainingLoss && a.bestEpoch == b.bestEpoch)
        #expect(grouped.layers == single.layers)
        #expect(a.trainingLoss.last! < a.trainingLoss.first!, "training made progress")
        // the generators are in the same state
        try grouped.train(on: data, epochs: 3, learningRate: 0.05, batchSize: 2)
        try single.train(on: data, epochs: 3, learningRate: 0.05, batchSize: 2)
        #expect(grouped.layers == single.layers)
    }

    @Test func floatNetworksGroupAlike() throws {
        let data = try Dataset.blobs(samplesPerClass: 5, seed: 4).converted(to: Float.self)
        var grouped = try Network<Float>(inputSize: 2, layers: [.dense(4, .tanh), .dense(3, .softmax)],
                                         loss: .categoricalCrossEntropy, seed: 5)
        var single = grouped
        let a = try grouped.train(on: data, epochs: 1500, learningRate: 0.1, batchSize: 1)
        let b = try Self.epochByEpoch(&single, data, epochs: 1500, learningRate: 0.1, batchSize: 1,
                                      shuffle: true)
        #expect(a.trainingLoss == b.trainingLoss && grouped.layers == single.layers)
    }

    /// Online learning at a learning rate that overflows within a few
    /// epochs, shuffled: the divergence falls inside a group, whose later
    /// epochs' orders were drawn already; the generator is rewound to where
    /// epoch-by-epoch training leaves it.
    @Test func divergenceInsideAGroup() throws {
        let x = try Matrix([[1.0, 2], [3, 4], [5, 6]]), y = try Matrix([[1.0], [2], [3]])
        let data = Dataset(inputs: x, targets: y)
        // linear: the updates grow geometrically and overflow in epoch ~5
        var grouped = try Network(inputSize: 2, layers: [.dense(8, .identity), .dense(1, .identity)],
                                  loss: .meanSquaredError, seed: 3)
        var single = grouped
        let a = try grouped.train(on: data, epochs: 1000, learningRate: 0.02, batchSize: 1)
        let b = try Self.epochByEpoch(&single, data, epochs: 1000, learningRate: 0.02, batchSize: 1,
                                      shuffle: true)
        guard case let .nonFiniteLoss(epoch) = a.stopReason else {
            Issue.record("expected divergence, got \(a.stopReason)")
            return
        }
        #expect(epoch > 1 && epoch < 1000, "the divergence is inside the group")
        #expect(a.stopReason == b.stopReason && a.trainingLoss == b.trainingLoss)
        #expect(grouped.layers == single.layers)
        #expect(grouped.layers.allSatisfy { $0.weights.elements.allSatisfy(\.isFinite) })
        try Self.expectSameGenerators(grouped, single)
    }

    /// The same in a later group: 30000 rows give two shuffled epochs per
    /// call (65536 / 30000), and the divergence in epoch 5 is the first of
    /// the third call's two, so the generator must be rewound to where that
    /// call began, not where training did.
    @Test func divergenceInALaterGroup() throws {
        let rows: [[Double]] = [[1, 2], [3, 4], [5, 6]], ys: [[Double]] = [[1], [2], [3]]
        let data = Dataset(inputs: try Matrix((0..<30000).map { rows[$0 % 3] }),
                           targets: try Matrix((0..<30000).map { ys[$0 % 3] }))
        var grouped = try Network(inputSize: 2, layers: [.dense(8, .identity), .dense(1, .identity)],
                                  loss: .meanSquaredError, seed: 3)
        var single = grouped
        let a = try grouped.train(on: data, epochs: 40, learningRate: 0.012, batchSize: 10000)
        let b = try Self.epochByEpoch(&single, data, epochs: 40, learningRate: 0.012,
                                      batchSize: 10000, shuffle: true)
        #expect(a.stopReason == .nonFiniteLoss(epoch: 5), "the scenario this test is built on")
        #expect(a.stopReason == b.stopReason && a.trainingLoss == b.trainingLoss)
        #expect(grouped.layers == single.layers)
        try Self.expectSameGenerators(grouped, single)
    }

    /// Whether two networks' generators are in the same state: fresh
    /// networks take them over and train on with shuffling.
    static func expectSameGenerators(_ x: Network<Double>, _ y: Network<Double>) throws {
        let safe = try Dataset.blobs(samplesPerClass: 4, seed: 1)
        var c = try Network(inputSize: 2, layers: [.dense(8, .identity), .dense(1, .identity)],
                            loss: .meanSquaredError, seed: 3)
        var d = c
        c.random = try x.random.clone()
        d.random = try y.random.clone()
        let targets = try Matrix(rows: safe.count, columns: 1, elements: safe.labels!.map(Double.init))
        try c.train(inputs: safe.inputs, targets: targets, epochs: 2, learningRate: 0.01, batchSize: 1)
        try d.train(inputs: safe.inputs, targets: targets, epochs: 2, learningRate: 0.01, batchSize: 1)
        #expect(c.layers == d.layers, "the generators were left in the same state")
    }
}
