import Foundation
import BackpropTestSupport
import Testing
import Backprop
@testable import BackpropCommand

/// The warning `backprop train` prints after a run that failed while
/// staying finite (see `warnAboutTraining`).
@Suite("Training warnings")
struct TrainingWarningsTests {
    static func network() throws -> Network<Double> {
        try Network(inputSize: 2, layers: [.dense(32, .relu), .dense(16, .relu), .dense(1, .sigmoid)],
                    loss: .binaryCrossEntropy, seed: 1)
    }

    /// `--learning-rate 100` on circles: finite losses ending far above a
    /// constant prediction's, at chance accuracy.
    @Test func divergedRunIsWarned() throws {
        let data = try Dataset.circles(samples: 400, seed: 2)
        var net = try Self.network()
        let report = try net.train(on: data, epochs: 100, learningRate: 100, batchSize: 32)
        let warnings = try warnAboutTraining(losses: report.trainingLoss, network: net, on: data, learningRate: 100)
        #expect(warnings.contains { if case .noBetterThanConstant = $0 { return true }; return false }, "\(warnings)")
        #expect(warnings.contains(.chanceAccuracy(accuracy: 0.5, majorityRate: 0.5)), "\(warnings)")
    }

    @Test func healthyRunIsNotWarned() throws {
        let data = try Dataset.circles(samples: 400, seed: 2)
        var net = try Self.network()
        let report = try net.train(on: data, epochs: 100, learningRate: 0.1, batchSize: 32)
        #expect(try warnAboutTraining(losses: report.trainingLoss, network: net, on: data, learningRate: 0.1) == [])
    }
}
