import BackpropCore
import BackpropTestSupport
import Testing

@Suite("Early stopping")
struct EarlyStoppingTests {
    /// A network that overfits a small noisy training set.
    static func overfitting() throws -> (Network<Double>, Dataset<Double>, Dataset<Double>) {
        var network = try Network<Double>(inputSize: 2, layers: [.dense(32, .relu), .dense(32, .relu), .dense(1, .sigmoid)],
                                          loss: .binaryCrossEntropy, seed: 21)
        network.optimizer = .adam()
        return (network, try Dataset<Double>.moons(samples: 24, noise: 0.4, seed: 5),
                try Dataset<Double>.moons(samples: 400, noise: 0.4, seed: 6))
    }

    /// Where the rule "stop after `patience` epochs without a loss below
    /// best − δ" stops on a series of losses: (epoch, best epoch), 1-based.
    static func stop(on losses: [Double], patience: Int, delta: Double) -> (epoch: Int, best: Int)? {
        var best = Double.infinity, bestEpoch = 0, bad = 0
        for (i, loss) in losses.enumerated() {
            if bestEpoch == 0 || loss < best - delta { best = loss; bestEpoch = i + 1; bad = 0 } else { bad += 1 }
            if bad >= patience { return (i + 1, bestEpoch) }
        }
        return nil
    }

    @Test(arguments: [(10, 0.0), (5, 0.01)])
    func stopsWhenTheValidationLossStopsImproving(patience: Int, delta: Double) throws {
        var (network, training, validation) = try Self.overfitting()
        var losses: [Double] = []
        let report = try network.train(on: training, epochs: 2000, learningRate: 0.01, validation: validation,
                                       earlyStopping: EarlyStopping(patience: patience, minimumImprovement: delta),
                                       onEpoch: { losses.append($0.validationLoss!); return .continue })
        let expected = try #require(Self.stop(on: losses, patience: patience, delta: delta))
        #expect(losses.count < 2000)
        #expect(report.stopReason == .earlyStopped(epoch: expected.epoch, bestEpoch: expected.best))
        #expect(report.epochsCompleted == expected.epoch)
        // The best epoch's parameters are back: its validation loss exactly.
        #expect(try network.loss(on: validation) == losses[expected.best - 1])
    }

    @Test func keepsTheLastParametersWhenAsked() throws {
        var (network, training, validation) = try Self.overfitting()
        var losses: [Double] = []
        let report = try network.train(on: training, epochs: 2000, learningRate: 0.01, validation: validation,
                                       earlyStopping: EarlyStopping(patience: 8, restoresBestParameters: false),
                                       onEpoch: { losses.append($0.validationLoss!); return .continue })
        guard case let .earlyStopped(epoch, best) = report.stopReason else {
            Issue.record("did not stop early: \(report.stopReason)")
            return
        }
        #expect(epoch == best + 8)
        #expect(try network.loss(on: validation) == losses[epoch - 1])
        #expect(losses[epoch - 1] > losses[best - 1])
    }

    /// Without validation data the training loss is watched; a run that
    /// keeps improving completes.
    @Test func watchesTheTrainingLossWithoutValidation() throws {
        var (network, training, _) = try Self.overfitting()
        var losses: [Double] = []
        let report = try network.train(on: training, epochs: 60, learningRate: 0.01,
                                       earlyStopping: EarlyStopping(patience: 3, minimumImprovement: 1e-3),
                                       onEpoch: { losses.append($0.trainingLoss); return .continue })
        if let expected = Self.stop(on: losses, patience: 3, delta: 1e-3) {
            #expect(report.stopReason == .earlyStopped(epoch: expected.epoch, bestEpoch: expected.best))
        } else {
            #expect(report.stopReason == .completed)
        }
        var plain = try Self.overfitting().0
        let long = try plain.train(on: training, epochs: 1000, learningRate: 0.001,
                                   earlyStopping: EarlyStopping(patience: 50))
        #expect(long.stopReason == .completed)
    }

    /// Early stopping's state is part of a checkpoint: a run stopped by the
    /// callback part-way resumes to the same stop and parameters.
    @Test func resumesExactly() throws {
        var (network, training, validation) = try Self.overfitting()
        let stopping = EarlyStopping(patience: 6)
        var whole = network
        let wholeReport = try whole.train(on: training, epochs: 2000, learningRate: 0.01, validation: validation,
                                          earlyStopping: stopping)
        guard case let .earlyStopped(epoch, _) = wholeReport.stopReason, epoch > 4 else {
            Issue.record("did not stop early: \(wholeReport.stopReason)")
            return
        }
        let first = try network.train(on: training, epochs: 2000, learningRate: 0.01, validation: validation,
                                      earlyStopping: stopping,
                                      onEpoch: { $0.epoch == epoch - 3 ? .stop : .continue })
        let checkpoint = try TrainingCheckpoint(decoding: try #require(first.checkpoint).encoded())
        let report = try network.train(on: training, resumingFrom: checkpoint, validation: validation)
        #expect(report.stopReason == wholeReport.stopReason)
        #expect(flatParameters(of: network) == flatParameters(of: whole))
    }

    @Test func invalidSettingsAreRefused() throws {
        var (network, training, _) = try Self.overfitting()
        for stopping in [EarlyStopping(patience: 0), EarlyStopping(minimumImprovement: -1),
                         EarlyStopping(minimumImprovement: .infinity)] {
            #expect(throws: BackpropError.self) {
                try network.train(on: training, epochs: 3, learningRate: 0.01, earlyStopping: stopping)
            }
        }
    }
}
