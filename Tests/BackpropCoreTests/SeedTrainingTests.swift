import BackpropTestSupport
import Testing
@testable import BackpropCore

/// The tutorials' training runs, reproduced through the Swift API.
@Suite("Seeds 01, 03, 04, 05: training")
struct SeedTrainingTests {
    static func sigmoidLayer(_ units: Int) -> LayerSpecification {
        // Seed 03 draws every weight from U(−1, 1).
        .dense(units, .sigmoid, initializer: .uniform(lowerBound: -1, upperBound: 1))
    }

    /// Seed 03: a 2-2-2-2 sigmoid net learns the half adder with MSE at
    /// lr 0.5, gradients averaged over the 4 samples (full batch). Our MSE
    /// is the mean over all 8 outputs, which equals the tutorial's
    /// Σ(out − t)²/(2·4) for 2 outputs, with the same gradient. The
    /// tutorial reached cost 0.00056 after 20000 epochs. Seed 0 is one of
    /// the seeds that converge (this net also has a local minimum where the
    /// sum bit sticks near 0.67: see Examples/HalfAdderSeeds).
    @Test func halfAdderLearnsTruthTable() throws {
        let data = Dataset.halfAdder()
        var net = try Network(inputSize: 2, layers: [Self.sigmoidLayer(2), Self.sigmoidLayer(2), Self.sigmoidLayer(2)],
                              loss: .meanSquaredError, seed: 0)
        let report = try net.train(on: data, epochs: 20000, learningRate: 0.5)
        #expect(report.stopReason == .completed)
        let cost = try net.loss(on: data)
        #expect(cost < 0.001)
        #expect(report.trainingLoss.first! > 0.1, "training started from an untrained net")
        let out = try net.predict(data.inputs)
        let truth: [[Double]] = [[0, 0], [1, 0], [1, 0], [0, 1]]
        for i in 0..<4 {
            for j in 0..<2 {
                #expect(abs(out[i, j] - truth[i][j]) < 0.1, "sample \(i) output \(j): \(out[i, j])")
            }
        }
    }

    /// Seed 01: a 2-4-3-1 ReLU/ReLU/sigmoid net with binary cross-entropy on
    /// `make_circles(noise: 0.1, factor: 0.5)`. The tutorial reached ~0.8
    /// before diverging (its sigmoid derivative carried a factor 2 and its
    /// loss was a sum). Settings here: 1000 training points (data seed 1),
    /// 500 test points (data seed 2), mini-batches of 32, lr 0.5, 200
    /// epochs; three network seeds must all reach ≥ 0.95 test accuracy.
    @Test(arguments: [0, 1, 2] as [UInt64])
    func circlesReachNinetyFivePercent(seed: UInt64) throws {
        let train = try Dataset.circles(samples: 1000, noise: 0.1, factor: 0.5, seed: 1)
        let test = try Dataset.circles(samples: 500, noise: 0.1, factor: 0.5, seed: 2)
        var net = try Network(inputSize: 2, layers: [.dense(4, .relu), .dense(3, .relu), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: seed)
        let before = try net.accuracy(on: test)
        let report = try net.train(on: train, epochs: 200, learningRate: 0.5, batchSize: 32, validation: test)
        let after = try net.accuracy(on: test)
        #expect(after >= 0.95, "test accuracy \(after) (before training \(before))")
        #expect(report.validationAccuracy?.last == after)
        #expect(report.trainingLoss.last! < report.trainingLoss.first!)
    }

    /// Seed 04: one example through a 3-4-1 sigmoid net with binary
    /// cross-entropy at lr 0.5. Its data table is an image, so the example
    /// here is our own; what must hold is the tutorial's observation: each
    /// update raises the prediction toward the label 1 (0.521 → 0.648 →
    /// 0.758 → 0.836 … in the tutorial).
    @Test func singleExamplePredictionRisesMonotonically() throws {
        var net = try Network(inputSize: 3, layers: [.dense(4, .sigmoid), .dense(1, .sigmoid)],
                              loss: .binaryCrossEntropy, seed: 4)
        let x = Matrix(row: [0.5, 0.1, 0.9]), y = Matrix(row: [1.0])
        var predictions = [try net.predict(x)[0, 0]]
        for _ in 0..<30 {
            try net.train(inputs: x, targets: y, epochs: 1, learningRate: 0.5)
            predictions.append(try net.predict(x)[0, 0])
        }
        for i in 1..<predictions.count {
            #expect(predictions[i] > predictions[i - 1], "update \(i): \(predictions[i - 1]) → \(predictions[i])")
        }
        #expect(predictions.last! > 0.9)
        #expect(predictions.last! < 1)
    }

    /// Seed 05: three overlapping Gaussian blobs (centers (0,−2), (2,2),
    /// (−2,2), unit variance, 500 per class) classified by a 2-3-3
    /// sigmoid/softmax net with categorical cross-entropy (the fused
    /// softmax gradient, with b2 where b2 belongs). The Bayes rate is about
    /// 0.97; we require ≥ 0.93 on a fresh test set. Settings: mini-batches of
    /// 32, lr 0.5, 50 epochs, integer labels.
    @Test func blobsReachNinetyThreePercent() throws {
        let train = try Dataset.blobs(samplesPerClass: 500, seed: 1)
        let test = try Dataset.blobs(samplesPerClass: 500, seed: 2)
        var net = try Network(inputSize: 2, layers: [.dense(3, .sigmoid), .dense(3, .softmax)],
                              loss: .categoricalCrossEntropy, seed: 5)
        let chance = try net.accuracy(on: test)
        try net.train(on: train, epochs: 50, learningRate: 0.5, batchSize: 32)
        let accuracy = try net.accuracy(on: test)
        #expect(accuracy >= 0.93, "test accuracy \(accuracy), untrained \(chance)")
        // Probabilities: every output row sums to 1.
        let p = try net.predict(test.inputs)
        for i in 0..<p.rows { #expect(abs(p.row(i).reduce(0, +) - 1) < 1e-12) }
    }
}
